/* The controller's endpoint and metrics over HTTP (fleet_api.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_api.h"
#include "vmm/lib/net_address.h"

#define API_CONNECTIONS 16
#define API_TIMEOUT_S 10
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

int fleet_api_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type, char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;

	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES)
		ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	char *line = text ? malloc(strlen(text) + 2) : NULL;

	json_decref(body);
	if (line)
		sprintf(line, "%s\n", text);
	free(text);
	return reply(c, status, "application/json", line);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status, const char *message)
{
	return reply_json(c, status, json_pack("{s:s}", "error", message));
}

/* POST /v1/hosts/NAME/test-wake */
static enum MHD_Result test_wake(struct controller *ctl, struct MHD_Connection *c, const char *url)
{
	char name[SERVER_NAME_MAX + 1], message[256];
	const char *slash = strchr(url, '/');
	size_t len = slash ? (size_t)(slash - url) : 0;
	uint64_t seq;
	int i;

	if (!slash || strcmp(slash, "/test-wake") != 0 || len == 0 || len >= sizeof(name))
		return reply_error(c, MHD_HTTP_NOT_FOUND, "POST /v1/hosts/NAME/test-wake");
	memcpy(name, url, len);
	name[len] = '\0';
	if ((i = controller_host_index(ctl, name)) < 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such host in the fleet file");
	pthread_mutex_lock(&ctl->lock);
	if (!json_is_true(json_object_get(json_object_get(ctl->shown, "status"), "leading"))) {
		snprintf(message, sizeof(message), "this controller does not lead the fleet; ask the leader (%s)",
			 json_string_value(json_object_get(json_object_get(ctl->shown, "status"), "leader")));
		pthread_mutex_unlock(&ctl->lock);
		return reply_error(c, MHD_HTTP_CONFLICT, message);
	}
	ctl->test_wake = i;
	seq = ++ctl->test_wake_seq;
	pthread_mutex_unlock(&ctl->lock);
	return reply_json(c, MHD_HTTP_ACCEPTED, json_pack("{s:I, s:s}", "request", (json_int_t)seq, "host", name));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const char *const parts[] = { "status", "hosts", "plan", "history", NULL };
	struct controller *ctl = cls;
	json_t *part = NULL;

	(void)version, (void)upload_data, (void)con_cls;
	if (*upload_data_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strncmp(url, "/v1/hosts/", 10) == 0)
		return test_wake(ctl, c, url + 10);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /v1/status, /v1/hosts, /v1/plan, /v1/history");
	for (const char *const *p = parts; *p; p++)
		if (strncmp(url, "/v1/", 4) == 0 && strcmp(url + 4, *p) == 0) {
			pthread_mutex_lock(&ctl->lock);
			part = json_deep_copy(json_object_get(ctl->shown, *p));
			pthread_mutex_unlock(&ctl->lock);
			return part ? reply_json(c, MHD_HTTP_OK, part)
				    : reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting: ask again in a second");
		}
	return reply_error(c, MHD_HTTP_NOT_FOUND, "GET /v1/status, /v1/hosts, /v1/plan, /v1/history");
}

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct controller *ctl = cls;
	char *text;

	(void)version, (void)upload_data, (void)con_cls;
	if (*upload_data_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 || strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("GET /metrics\n"));
	pthread_mutex_lock(&ctl->lock);
	text = strdup(ctl->metrics ? ctl->metrics : "");
	pthread_mutex_unlock(&ctl->lock);
	return reply(c, MHD_HTTP_OK, METRICS_TYPE, text);
}

static void *serve(const struct fleet_endpoint *e, MHD_AccessHandlerCallback handler, struct controller *ctl,
		   const char *what, char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len;
	char text[FLEET_HOST_NAME_MAX + 16], why[128];
	struct MHD_Daemon *d;
	bool v6 = strchr(e->host, ':') != NULL;

	snprintf(text, sizeof(text), "%s%s%s:%u", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port);
	if (net_address_parse(text, &addr, &len, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s = %s: %s", what, text, why);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
			     handler, ctl, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)API_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_TIMEOUT_S,
			     MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "%s = %s: cannot listen there (in use, or not an address of this host)", what, text);
	return d;
}

int fleet_api_start(struct controller *ctl, char *err, size_t errlen)
{
	ctl->api = serve(&ctl->cfg->controller.listen, on_request, ctl, "listen", err, errlen);
	if (!ctl->api)
		return -EADDRINUSE;
	ctl->metrics_api = serve(&ctl->cfg->controller.metrics, on_metrics, ctl, "metrics", err, errlen);
	return ctl->metrics_api ? 0 : -EADDRINUSE;
}

void fleet_api_stop(struct controller *ctl)
{
	if (ctl->api)
		MHD_stop_daemon(ctl->api);
	if (ctl->metrics_api)
		MHD_stop_daemon(ctl->metrics_api);
	ctl->api = ctl->metrics_api = NULL;
}
