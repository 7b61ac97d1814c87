#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/server/control.h"
#include "vmm/server/definitions.h"
#include "vmm/server/exporter.h"
#include "vmm/server/metrics.h"
#include "vmm/server/registry.h"

#define ERR_MAX 512
/* A server that does not answer within this is sheer_up 0: one hung VMM must not cost the whole scrape. */
#define EXPORTER_SERVER_TIMEOUT_S 2

/* The first field of /proc/PID/task/TID/schedstat: nanoseconds on a CPU. */
static int thread_cpu_seconds(long long pid, long long tid, double *seconds)
{
	char path[96];
	unsigned long long ns;
	FILE *file;
	int n;

	snprintf(path, sizeof(path), "/proc/%lld/task/%lld/schedstat", pid, tid);
	file = fopen(path, "re");
	if (!file)
		return -errno;
	n = fscanf(file, "%llu", &ns);
	fclose(file);
	if (n != 1)
		return -EINVAL;
	*seconds = (double)ns / 1e9;
	return 0;
}

static void read_vcpu_seconds(struct server_metrics *m)
{
	m->has_vcpu_seconds = m->status.cpus > 0;
	for (unsigned int i = 0; i < m->status.cpus && i < SERVER_MAX_CPUS; i++)
		if (m->status.vcpus[i].tid <= 0 ||
		    thread_cpu_seconds(m->status.vmm_pid, m->status.vcpus[i].tid, &m->vcpu_seconds[i]) < 0)
			m->has_vcpu_seconds = false;
}

/* A running server as it answers; one that does not is up = 0. */
static void scrape_running(const struct registry *registry, const char *name, struct server_metrics *m)
{
	char path[REGISTRY_SOCKET_PATH_MAX], err[ERR_MAX];
	const struct control_request request = { .command = CONTROL_STATUS, .file_fd = -1 };
	struct control_status status;
	json_t *reply = NULL;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->running = true;
	if (registry_socket_path(registry, name, path, sizeof(path)) == 0 &&
	    control_call_request(path, &request, EXPORTER_SERVER_TIMEOUT_S, NULL, &reply, err, sizeof(err)) == 0 &&
	    control_reply_check(reply, err, sizeof(err)) == 0 && control_status_from_json(reply, &status) == 0) {
		server_metrics_from_status(m, &status);
		read_vcpu_seconds(m);
	}
	json_decref(reply);
}

int exporter_collect(struct server_metrics **out, size_t *count, char *err, size_t errlen)
{
	struct registry_names running = { 0, NULL }, defined = { 0, NULL };
	struct server_metrics *servers;
	struct definitions defs;
	struct registry registry;
	size_t n = 0;

	if (registry_open_existing(&registry, err, errlen) < 0)
		return -EIO;
	if (registry_list(&registry, false, &running) < 0) {
		snprintf(err, errlen, "%.400s: cannot be read", registry.dir);
		registry_close(&registry);
		return -EIO;
	}
	if (definitions_open(&defs) == 0)
		definitions_list(&defs, &defined);
	servers = calloc(running.count + defined.count + 1, sizeof(*servers));
	for (unsigned int i = 0; servers && i < running.count; i++)
		scrape_running(&registry, running.names[i], &servers[n++]);
	for (unsigned int i = 0; servers && i < defined.count; i++)
		if (!registry_names_contain(&running, defined.names[i]))
			snprintf(servers[n++].name, sizeof(servers[0].name), "%s", defined.names[i]);
	registry_names_free(&running);
	registry_names_free(&defined);
	registry_close(&registry);
	if (!servers) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = servers;
	*count = n;
	return 0;
}

char *exporter_scrape(char *err, size_t errlen)
{
	struct server_metrics *servers;
	char *text;
	size_t n;

	if (exporter_collect(&servers, &n, err, errlen) < 0)
		return NULL;
	text = metrics_render(servers, n);
	if (!text)
		snprintf(err, errlen, "out of memory");
	free(servers);
	return text;
}
