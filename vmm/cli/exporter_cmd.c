/*
 * `sheer exporter [--listen HOST:PORT] [--once]`: Prometheus metrics of every
 * server on this host (vmm/server/exporter.h) over HTTP, GET /metrics, served
 * by libmicrohttpd's own thread until SIGINT or SIGTERM. --once prints one
 * scrape on stdout instead (for scripts and the node exporter's textfile
 * collector).
 */
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vmm/cli/commands.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/net_address.h"
#include "vmm/lib/stop_signals.h"
#include "vmm/server/exporter.h"
#include "vmm/server/metrics.h"

#define EXPORTER_CONNECTIONS 16
#define EXPORTER_TIMEOUT_S 10
#define EXPORTER_CONNECTIONS_PER_ADDRESS 4
#define ERR_MAX 512

static enum MHD_Result exporter_reply(struct MHD_Connection *connection, unsigned int status, const char *type,
				      char *body, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(strlen(body), body, mode);
	enum MHD_Result ret = MHD_NO;

	if (!response)
		return MHD_NO;
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES)
		ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return ret;
}

static enum MHD_Result exporter_request(void *cls, struct MHD_Connection *connection, const char *url,
					const char *method, const char *version, const char *upload_data,
					size_t *upload_data_size, void **con_cls)
{
	char err[ERR_MAX], *text;

	(void)cls, (void)version, (void)upload_data, (void)con_cls;
	if (*upload_data_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return exporter_reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET /metrics\n",
				      MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return exporter_reply(connection, MHD_HTTP_NOT_FOUND, "text/plain",
				      "sheer exporter: the metrics are at /metrics\n", MHD_RESPMEM_PERSISTENT);
	text = exporter_scrape(err, sizeof(err));
	if (!text) {
		cli_error("exporter: %s", err);
		return exporter_reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", err, MHD_RESPMEM_MUST_COPY);
	}
	return exporter_reply(connection, MHD_HTTP_OK, METRICS_CONTENT_TYPE, text, MHD_RESPMEM_MUST_FREE);
}

/* HOST:PORT or [HOST]:PORT, numeric, into addr; -EINVAL (reported) otherwise. */
static int exporter_address(const char *listen, struct sockaddr_storage *addr, socklen_t *len)
{
	char why[64];
	int ret = net_address_parse(listen, addr, len, why, sizeof(why));

	if (ret < 0)
		cli_error("exporter: --listen '%.64s': %s, like %s or [::1]:9734", listen, why, EXPORTER_DEFAULT_LISTEN);
	return ret;
}

static int exporter_once(void)
{
	char err[ERR_MAX], *text = exporter_scrape(err, sizeof(err));

	if (!text) {
		cli_error("exporter: %s", err);
		return SHEER_EXIT_FAILURE;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? SHEER_EXIT_OK : SHEER_EXIT_FAILURE;
}

static int exporter_serve(const char *listen)
{
	struct sockaddr_storage addr;
	struct MHD_Daemon *daemon;
	socklen_t addr_len;
	sigset_t stop;

	if (exporter_address(listen, &addr, &addr_len) < 0)
		return SHEER_EXIT_USAGE;
	/* Blocked before libmicrohttpd's thread starts, so that only the wait below takes them. */
	stop_signals_block(&stop);
	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				  (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, exporter_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)EXPORTER_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)EXPORTER_CONNECTIONS_PER_ADDRESS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)EXPORTER_TIMEOUT_S, MHD_OPTION_END);
	if (!daemon) {
		cli_error("exporter: cannot listen on %s (in use, or not an address of this host)", listen);
		return SHEER_EXIT_FAILURE;
	}
	fprintf(stderr, "sheer: exporter: serving http://%s/metrics\n", listen);
	stop_signals_wait(&stop);
	MHD_stop_daemon(daemon);
	return SHEER_EXIT_OK;
}

int cmd_exporter(int argc, char **argv)
{
	const char *listen = EXPORTER_DEFAULT_LISTEN;
	bool once = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = true;
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
	}
	return once ? exporter_once() : exporter_serve(listen);
}
