#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/server/config_json.h"
#include "vmm/server/http_api.h"
#include "vmm/server/metrics.h"

#define JSON_TYPE "application/json"

struct route {
	const char *path;
	const char *method;	/* GET routes answer HEAD too */
	void (*handle)(const struct control_ops *ops, void *ctx, const struct http_request *request,
		       struct http_reply *reply);
};

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
}

/* Takes text (json_dumps' or the metrics'); NULL is a 500 without a body. */
static void reply_text(struct http_reply *reply, unsigned int status, const char *content_type, char *text)
{
	*reply = (struct http_reply){ .status = text ? status : 500, .content_type = text ? content_type : NULL,
				      .body = text, .len = text ? strlen(text) : 0 };
}

static void reply_json(struct http_reply *reply, unsigned int status, json_t *object)
{
	reply_text(reply, status, JSON_TYPE, object ? json_dumps(object, JSON_COMPACT) : NULL);
	json_decref(object);
}

void http_reply_error(struct http_reply *reply, unsigned int status, const char *message)
{
	reply_json(reply, status, json_pack("{s:s}", "error", message));
}

/* The status a `sheer status --json` shows (without its protocol's "ok"), and under "config" what it runs with. */
static void get_server(const struct control_ops *ops, void *ctx, const struct http_request *request,
		       struct http_reply *reply)
{
	struct control_status *status = calloc(1, sizeof(*status));
	struct server_config *cfg = ops->config ? calloc(1, sizeof(*cfg)) : NULL;
	json_t *object = NULL;

	(void)request;
	if (status && (cfg || !ops->config)) {
		ops->status(ctx, status);
		object = control_status_to_json(status);
	}
	if (object && cfg) {
		ops->config(ctx, cfg);
		json_object_set_new(object, "config", server_config_to_json(cfg));
	}
	if (object)
		json_object_del(object, "ok");
	reply_json(reply, 200, object);
	free(status);
	free(cfg);
}

static void get_metrics(const struct control_ops *ops, void *ctx, const struct http_request *request,
			struct http_reply *reply)
{
	struct control_status *status = calloc(1, sizeof(*status));
	struct server_metrics *m = calloc(1, sizeof(*m));

	(void)request;
	if (status && m) {
		ops->status(ctx, status);
		server_metrics_from_status(m, status);
		reply_text(reply, 200, METRICS_CONTENT_TYPE, metrics_render(m, 1));
	} else {
		reply_text(reply, 500, NULL, NULL);
	}
	free(status);
	free(m);
}

static const struct power_action {
	const char *name;
	enum control_command command;
} power_actions[] = {
	{ "shutdown", CONTROL_SHUTDOWN },	/* the ACPI power button: the guest stops itself */
	{ "off", CONTROL_POWEROFF },
	{ "pause", CONTROL_PAUSE },
	{ "resume", CONTROL_RESUME },
};

#define N_POWER_ACTIONS (sizeof(power_actions) / sizeof(power_actions[0]))

/* {"action": NAME} and nothing else; NULL with why in err when it is not that. */
static const struct power_action *parse_power(const struct http_request *request, char *err, size_t errlen)
{
	json_t *object = json_loadb(request->body, request->len, JSON_REJECT_DUPLICATES, NULL);
	json_t *action = json_object_get(object, "action");
	const struct power_action *found = NULL;

	if (!json_is_object(object) || !json_is_string(action) || json_object_size(object) != 1) {
		snprintf(err, errlen, "the body must be {\"action\": \"shutdown|off|pause|resume\"}");
	} else {
		for (size_t i = 0; i < N_POWER_ACTIONS && !found; i++)
			if (strcmp(json_string_value(action), power_actions[i].name) == 0)
				found = &power_actions[i];
		if (!found)
			snprintf(err, errlen, "unknown action '%.32s': use shutdown, off, pause or resume",
				 json_string_value(action));
	}
	json_decref(object);
	return found;
}

/* "application/json", with parameters (charset) or not; none given is taken as JSON too. */
static bool is_json_type(const char *content_type)
{
	size_t n = strlen(JSON_TYPE);

	return !content_type ||
	       (strncasecmp(content_type, JSON_TYPE, n) == 0 && (content_type[n] == '\0' || content_type[n] == ';'));
}

static void put_power(const struct control_ops *ops, void *ctx, const struct http_request *request,
		      struct http_reply *reply)
{
	struct control_status status;
	const struct power_action *action;
	int (*op)(void *ctx);
	char message[160];
	int ret;

	if (!is_json_type(request->content_type)) {
		http_reply_error(reply, 415, "the body must be sent as Content-Type: application/json");
		return;
	}
	action = parse_power(request, message, sizeof(message));
	op = action ? control_command_action(ops, action->command) : NULL;
	ret = op ? op(ctx) : -EOPNOTSUPP;
	if (!action) {
		http_reply_error(reply, 400, message);
	} else if (ret == 0) {
		*reply = (struct http_reply){ .status = 204 };
	} else if (ret == -EINVAL || ret == -EBUSY || ret == -EALREADY) {
		/* The engine refuses what the state does not allow (pause a paused server, act while a migration comes in). */
		memset(&status, 0, sizeof(status));
		ops->status(ctx, &status);
		snprintf(message, sizeof(message), "%s: refused: the server is %s", action->name, status.state);
		http_reply_error(reply, 409, message);
	} else {
		snprintf(message, sizeof(message), "%s: %s", action->name, strerror(-ret));
		http_reply_error(reply, 500, message);
	}
}

/* RFC 9110's tchar: what a method is made of. */
static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool http_request_line_valid(const char *line, size_t len)
{
	size_t i = 0, start;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (i < len && is_token_char(line[i]))
		i++;
	if (i == 0 || i >= len || line[i++] != ' ')
		return false;
	for (start = i; i < len && line[i] > ' ' && line[i] < 0x7f; i++)
		;
	if (i == start || i >= len || line[i++] != ' ')
		return false;
	return len - i == 8 && memcmp(line + i, "HTTP/", 5) == 0 && line[i + 5] >= '0' && line[i + 5] <= '9' &&
	       line[i + 6] == '.' && line[i + 7] >= '0' && line[i + 7] <= '9';
}

static const struct route routes[] = {
	{ "/v1/server", "GET", get_server },
	{ "/v1/server/power", "PUT", put_power },
	{ "/v1/metrics", "GET", get_metrics },
};

static bool method_matches(const struct route *route, const char *method)
{
	return strcmp(route->method, method) == 0 || (strcmp(route->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

void http_api_handle(const struct control_ops *ops, void *ctx, const struct http_request *request,
		     struct http_reply *reply)
{
	char message[160];

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].path, request->path) != 0)
			continue;
		if (method_matches(&routes[i], request->method)) {
			routes[i].handle(ops, ctx, request, reply);
			return;
		}
		snprintf(message, sizeof(message), "%.16s %.64s: method not allowed; use %s", request->method,
			 request->path, routes[i].method);
		http_reply_error(reply, 405, message);
		reply->allow = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
		return;
	}
	snprintf(message, sizeof(message), "%.64s: no such resource (see /v1/server, /v1/server/power, /v1/metrics)",
		 request->path);
	http_reply_error(reply, 404, message);
}
