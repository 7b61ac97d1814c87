/*
 * sheer fleet status|hosts|plan|history [--json] and test-wake HOST: asked of
 * the controller's endpoint (the fleet file's `listen`), over HTTP with
 * libcurl; its answers are bounded and checked as JSON before they are shown.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/cli/fleet_cli.h"
#include "vmm/lib/bounded_buffer.h"
#include "vmm/lib/cli.h"

#define ANSWER_MAX (16 << 20)
#define ASK_TIMEOUT_S 10

/*
 * METHOD path of the controller of c; *status the HTTP status, *out its JSON
 * object. A failure is one line (exit status returned: 1).
 */
static int request(const char *what, const struct fleet_config *c, bool post, const char *path, long *status,
		   json_t **out)
{
	const struct fleet_endpoint *e = &c->controller.listen;
	bool v6 = strchr(e->host, ':') != NULL;
	struct bounded_buffer a = { .max = ANSWER_MAX };
	char url[FLEET_HOST_NAME_MAX + 128];
	CURL *curl = curl_easy_init();
	CURLcode rc;

	snprintf(url, sizeof(url), "http://%s%s%s:%u%s", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port, path);
	if (!curl) {
		cli_error("fleet %s: %s", what, strerror(ENOMEM));
		return SHEER_EXIT_FAILURE;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)ASK_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, bounded_buffer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (post)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(curl);
	*out = rc == CURLE_OK && a.data ? json_loads(a.data, 0, NULL) : NULL;
	free(a.data);
	if (rc != CURLE_OK) {
		cli_error("fleet %s: no controller answers on %s:%u (%s; is 'sheer fleet serve --config %s' running?)",
			  what, e->host, e->port, a.too_long ? "an answer over 16 MiB" : curl_easy_strerror(rc), c->path);
		return SHEER_EXIT_FAILURE;
	}
	if (!json_is_object(*out) && !json_is_array(*out) && !json_is_null(*out)) {
		json_decref(*out);
		cli_error("fleet %s: the controller on %s:%u answered something that is not JSON", what, e->host, e->port);
		return SHEER_EXIT_FAILURE;
	}
	return 0;
}

int fleet_ask(const char *what, int argc, char **argv)
{
	struct fleet_cli_args a;
	struct fleet_config *c;
	char path[64];
	json_t *answer = NULL;
	long status = 0;
	int rc;

	if (fleet_cli_parse(what, argc, argv, true, false, &a) < 0)
		return SHEER_EXIT_USAGE;
	if ((rc = fleet_cli_load(what, a.config, &c)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/%s", what);
	rc = request(what, c, false, path, &status, &answer);
	if (rc == 0 && status != 200) {
		cli_error("fleet %s: the controller answered HTTP %ld: %s", what, status,
			  json_string_value(json_object_get(answer, "error")));
		rc = SHEER_EXIT_FAILURE;
	} else if (rc == 0 && a.json) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (rc == 0) {
		fleet_show(stdout, what, answer);
	}
	json_decref(answer);
	fleet_config_free(c);
	free(c);
	return rc;
}

/* The host's wake test once the controller took request seq: NULL while it has not, or runs. */
static const char *wake_outcome(json_t *hosts, const char *host, json_int_t seq)
{
	json_t *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		const char *state = json_string_value(json_object_get(h, "wake_test"));

		if (strcmp(json_string_value(json_object_get(h, "name")), host) != 0)
			continue;
		if (json_integer_value(json_object_get(h, "wake_test_request")) != seq || !state ||
		    strcmp(state, "running") == 0)
			return NULL;
		return state;
	}
	return NULL;
}

static int wait_wake(const struct fleet_config *c, const struct fleet_cli_args *a, json_int_t seq)
{
	for (unsigned int waited = 0; waited < a->timeout_s; waited++) {
		json_t *hosts = NULL;
		long status;
		int rc = request("test-wake", c, false, "/v1/hosts", &status, &hosts);
		const char *outcome = rc == 0 ? wake_outcome(hosts, a->host, seq) : NULL;

		if (outcome) {
			rc = strcmp(outcome, "ok") == 0 ? SHEER_EXIT_OK
			     : strncmp(outcome, "refused", 7) == 0 ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
			if (rc == SHEER_EXIT_OK)
				printf("%s: powered off and woken through its BMC; trusted to sleep\n", a->host);
			else
				cli_error("fleet test-wake: %s: %s%s", a->host, outcome,
					  rc == SHEER_EXIT_FAILURE ? " (marked wake_failed: never put to sleep until "
								     "'sheer fleet clear-wake')" : "");
		}
		json_decref(hosts);
		if (outcome || rc != 0)
			return rc;
		sleep(1);
	}
	cli_error("fleet test-wake: %s: no outcome within %u s ('sheer fleet hosts' shows it when it comes)", a->host,
		  a->timeout_s);
	return SHEER_EXIT_FAILURE;
}

int fleet_test_wake(int argc, char **argv)
{
	struct fleet_cli_args a;
	struct fleet_config *c;
	char path[SERVER_NAME_MAX + 64];
	json_t *answer = NULL;
	long status = 0;
	int rc;

	if (fleet_cli_parse("test-wake", argc, argv, false, true, &a) < 0)
		return SHEER_EXIT_USAGE;
	if ((rc = fleet_cli_load("test-wake", a.config, &c)) != 0)
		return rc;
	if (!server_name_is_valid(a.host)) {
		cli_error("fleet test-wake: '%.64s' is not a host name of the fleet file", a.host);
		rc = SHEER_EXIT_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/hosts/%s/test-wake", a.host);
	rc = request("test-wake", c, true, path, &status, &answer);
	if (rc == 0 && status != 202) {
		cli_error("fleet test-wake: %s: %s", a.host, json_string_value(json_object_get(answer, "error")));
		rc = status == 404 ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	} else if (rc == 0) {
		rc = wait_wake(c, &a, json_integer_value(json_object_get(answer, "request")));
	}
out:
	json_decref(answer);
	fleet_config_free(c);
	free(c);
	return rc;
}
