/*
 * What a peer with a certificate of the fleet's CA sends the host agent,
 * and what an agent sends back. The bytes are one request line for
 * agent_request_parse (the define check of a profile's text included);
 * then, as an answer to a request picked by the first byte, for
 * agent_response_check. Checks: a request that parses has a server name
 * where its op takes one, a port from 1 to 65535, and comes back the same
 * from its wire form; the command it becomes has no empty word and no
 * option where a name goes; an answer that passes is an object whose "ok"
 * is a boolean.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "power/agent/agent_command.h"
#include "power/agent/agent_request.h"
#include "power/agent/agent_response.h"
#include "tests/fuzz/fuzz_input.h"

static void check_request(const struct agent_request *req)
{
	static struct agent_request again;
	static struct agent_argv argv;
	const struct agent_command_env env = { "/etc/sheer/agent", "127.0.0.1" };
	json_t *object = agent_request_to_json(req);
	char *text = object ? json_dumps(object, JSON_COMPACT) : NULL, err[512];

	if (req->op != AGENT_PING && req->op != AGENT_HOST && !server_name_is_valid(req->name))
		abort();
	if ((req->op == AGENT_RECEIVE || req->op == AGENT_MIGRATE) && (req->port < 1 || req->port > 65535))
		abort();
	if (!text || agent_request_parse(text, strlen(text), &again, err, sizeof(err)) < 0 ||
	    memcmp(&again, req, sizeof(again)) != 0)
		abort();
	if (agent_command_argv(req, &env, "/tmp/sheer-agent.x/a.ini", &argv) == 0)
		for (unsigned int i = 0; i < argv.n; i++)
			if (!argv.argv[i][0] || (i == 2 && argv.argv[i][0] == '-' && req->op != AGENT_DEFINE &&
						 req->op != AGENT_RECEIVE))
				abort();
	free(text);
	json_decref(object);
}

/* The answer's bytes against a request of each op in turn, picked by the first byte. */
static void check_answer(const uint8_t *data, size_t len)
{
	static const char *const asked[] = {
		"{\"op\":\"ping\"}",
		"{\"op\":\"host\"}",
		"{\"op\":\"definition\",\"name\":\"web01\"}",
		"{\"op\":\"start\",\"name\":\"web01\"}",
		"{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"h2\",\"port\":7000}",
	};
	static struct agent_request req;
	const char *line = asked[len ? data[0] % 5 : 0];
	json_t *answer = len > 1 ? json_loadb((const char *)data + 1, len - 1, 0, NULL) : NULL;
	char err[512];

	if (!answer || agent_request_parse(line, strlen(line), &req, err, sizeof(err)) < 0) {
		json_decref(answer);
		return;
	}
	if (agent_response_check(&req, answer, err, sizeof(err)) == 0 &&
	    (!json_is_object(answer) || !json_is_boolean(json_object_get(answer, "ok"))))
		abort();
	json_decref(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct agent_request req;
	char err[512];

	if (agent_request_parse((const char *)data, len, &req, err, sizeof(err)) == 0)
		check_request(&req);
	check_answer(data, len);
	return 0;
}
