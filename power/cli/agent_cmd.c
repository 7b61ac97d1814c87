/*
 * `sheer agent --listen HOST:PORT --tls DIR`: this host's agent, the fleet
 * controller's channel to it (power/agent/agent_server.h), until SIGINT or
 * SIGTERM. `sheer agent call ADDR --tls DIR OP [JSON]`: one request to an
 * agent, its checked answer printed, for operators and tests.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/agent/agent_client.h"
#include "power/agent/agent_response.h"
#include "power/agent/agent_server.h"
#include "power/cli/commands.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"

#define ERR_MAX 1024

enum agent_flag { FLAG_LISTEN = 0x100, FLAG_TLS, FLAG_TIMEOUT };

struct agent_args {
	const char *listen;
	const char *tls_dir;
	unsigned int timeout_s;
	const char *words[4];	/* call: ADDR OP [JSON] */
	int n_words;
};

/* The options of both forms (the dispatcher has checked which each form takes and that they have values). */
static int agent_parse(int argc, char **argv, struct agent_args *args)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, FLAG_LISTEN },
		{ "tls", required_argument, NULL, FLAG_TLS },
		{ "timeout", required_argument, NULL, FLAG_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	memset(args, 0, sizeof(*args));
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == FLAG_LISTEN)
			args->listen = optarg;
		else if (option == FLAG_TLS)
			args->tls_dir = optarg;
		else if (option == FLAG_TIMEOUT && parse_uint(optarg, AGENT_MIGRATE_DEADLINE_MAX_S * 2, &args->timeout_s) < 0)
			return cli_error("agent call: --timeout '%.32s': seconds, 0 to %d", optarg,
					 AGENT_MIGRATE_DEADLINE_MAX_S * 2), -EINVAL;
		else if (option == '?')
			return -EINVAL;
	}
	for (int i = optind; i < argc && args->n_words < 4; i++)
		args->words[args->n_words++] = argv[i];
	return 0;
}

static int agent_serve(const struct agent_args *args)
{
	struct agent_server server;
	char err[ERR_MAX];
	int ret = agent_server_open(&server, args->listen, args->tls_dir, err, sizeof(err));

	if (ret < 0) {
		cli_error("agent: %s", err);
		return ret == -EINVAL ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	ret = agent_server_run(&server);
	/*
	 * Out at once: connection threads may still be in OpenSSL, whose exit
	 * handlers would pull it from under them.
	 */
	fflush(NULL);
	_exit(ret < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK);
}

/* OP and its fields (a JSON object) as a checked request; reported when it is not one. */
static int call_request(const struct agent_args *args, struct agent_request *req)
{
	const char *fields = args->n_words > 2 ? args->words[2] : "{}";
	json_error_t error;
	json_t *object = json_loads(fields, JSON_REJECT_DUPLICATES, &error);
	char err[512];
	int ret;

	if (!json_is_object(object) || json_object_get(object, "op")) {
		cli_error("agent call: '%.64s': the fields are one JSON object without \"op\", like '{\"name\":\"web01\"}'",
			  fields);
		json_decref(object);
		return -EINVAL;
	}
	json_object_set_new(object, "op", json_string(args->words[1]));
	ret = agent_request_from_json(object, req, err, sizeof(err));
	json_decref(object);
	if (ret < 0)
		cli_error("agent call: %s", err);
	return ret;
}

/* The answer on stdout; a failure there also as one line, with the exit status it means. */
static int call_print(const char *addr, const struct agent_request *req, json_t *answer)
{
	json_t *refused = json_object_get(answer, "refused");

	json_dumpf(answer, stdout, JSON_INDENT(2));
	putchar('\n');
	if (json_is_true(json_object_get(answer, "ok")))
		return SHEER_EXIT_OK;
	cli_error("agent call: %s: %s%s%s: %s", addr, agent_op_name(req->op), req->name[0] ? " " : "", req->name,
		  json_string_value(json_object_get(answer, "error")));
	return json_is_true(refused) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
}

static int agent_call(const struct agent_args *args)
{
	struct agent_request *req = malloc(sizeof(*req));
	struct agent_client client;
	json_t *answer = NULL;
	char err[ERR_MAX];
	int ret, status = SHEER_EXIT_USAGE;

	if (!req) {
		cli_error("agent call: out of memory");
		return SHEER_EXIT_FAILURE;
	}
	if (call_request(args, req) == 0) {
		ret = agent_client_connect(&client, args->words[0], args->tls_dir, err, sizeof(err));
		if (ret == 0) {
			ret = agent_client_call(&client, req, args->timeout_s, &answer, err, sizeof(err));
			agent_client_close(&client);
		}
		if (ret < 0)
			cli_error("agent call: %s", err);
		status = ret == -EINVAL ? SHEER_EXIT_USAGE : ret < 0 ? SHEER_EXIT_FAILURE
								     : call_print(args->words[0], req, answer);
	}
	json_decref(answer);
	free(req);
	return status;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_args args;
	bool call = argc > 1 && strcmp(argv[1], "call") == 0;

	if (agent_parse(call ? argc - 1 : argc, call ? argv + 1 : argv, &args) < 0)
		return SHEER_EXIT_USAGE;
	if (!call)
		return agent_serve(&args);
	if (args.n_words < 2) {
		cli_error("agent call: needs ADDR and OP (one of %s)", agent_op_list());
		return SHEER_EXIT_USAGE;
	}
	return agent_call(&args);
}
