#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/server/metrics.h"

/* Every state a status reply names, so that a dashboard sees each series at 0 too (the enum-as-gauge idiom). */
static const char *const server_states[] = {
	"created", "running", "paused", "shutting-down", "stopped", "migrating", "receiving",
};

#define N_STATES (sizeof(server_states) / sizeof(server_states[0]))

struct metric_family {
	const char *name;
	const char *type;
	const char *help;
	/* One sample per server that is up, labelled by server alone ... */
	double (*value)(const struct control_status *s);
	/* ... or samples with more labels. */
	void (*samples)(FILE *out, const struct metric_family *family, const struct server_metrics *m);
};

/* A label value as the format wants it: backslash, double quote and newline escaped. */
static void put_label_value(FILE *out, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', out);
		if (*value == '\n')
			fputs("\\n", out);
		else
			fputc(*value, out);
	}
}

/* NAME{server="S"EXTRA} VALUE: extra is the further labels, each starting with a comma, or "". */
static void put_sample(FILE *out, const char *family, const char *server, const char *extra, double value)
{
	fprintf(out, "%s{server=\"", family);
	put_label_value(out, server);
	fprintf(out, "\"%s} %.15g\n", extra, value);
}

static double value_vcpus(const struct control_status *s) { return s->cpus; }
static double value_memory(const struct control_status *s) { return (double)s->memory_bytes; }
static double value_uptime(const struct control_status *s) { return (double)s->uptime_s; }
static double value_unhandled(const struct control_status *s) { return (double)s->unhandled_accesses; }
static double value_dma_map(const struct control_status *s) { return (double)s->dma_map_us / 1e6; }
static double value_devices(const struct control_status *s) { return s->n_devices; }
static double value_nics(const struct control_status *s) { return s->n_nics; }
static double value_console_dropped(const struct control_status *s) { return (double)s->console_dropped_bytes; }
static double value_migrating(const struct control_status *s) { return s->migrating; }
static double value_mig_round(const struct control_status *s) { return s->migrating ? s->migration.round : 0; }
static double value_mig_sent(const struct control_status *s) { return s->migrating ? (double)s->migration.sent_bytes : 0; }
static double value_mig_dirty(const struct control_status *s) { return s->migrating ? (double)s->migration.dirty_bytes : 0; }
static double value_mig_rate(const struct control_status *s) { return s->migrating ? (double)s->migration.rate : 0; }
static double value_mig_throttle(const struct control_status *s)
{
	return s->migrating ? s->migration.throttle_pct / 100.0 : 0;
}

static void samples_up(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	put_sample(out, family->name, m->name, "", m->up);
}

static void samples_state(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	char extra[64];
	bool known = false;

	for (size_t i = 0; i < N_STATES; i++) {
		bool here = strcmp(m->status.state, server_states[i]) == 0;

		snprintf(extra, sizeof(extra), ",state=\"%s\"", server_states[i]);
		put_sample(out, family->name, m->name, extra, here);
		known |= here;
	}
	/* A state newer than this list still shows, rather than vanishing into all zeros. */
	if (!known && m->status.state[0]) {
		fprintf(out, "%s{server=\"", family->name);
		put_label_value(out, m->name);
		fputs("\",state=\"", out);
		put_label_value(out, m->status.state);
		fputs("\"} 1\n", out);
	}
}

static void samples_exits(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	char extra[64];

	for (unsigned int i = 0; i < m->status.cpus && i < SERVER_MAX_CPUS; i++)
		for (unsigned int k = 0; k < VCPU_EXIT_KINDS; k++) {
			snprintf(extra, sizeof(extra), ",vcpu=\"%u\",kind=\"%s\"", i, vcpu_exit_kind_name(k));
			put_sample(out, family->name, m->name, extra, (double)m->status.vcpus[i].exits[k]);
		}
}

static void samples_vcpu_seconds(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	char extra[32];

	for (unsigned int i = 0; m->has_vcpu_seconds && i < m->status.cpus && i < SERVER_MAX_CPUS; i++) {
		snprintf(extra, sizeof(extra), ",vcpu=\"%u\"", i);
		put_sample(out, family->name, m->name, extra, m->vcpu_seconds[i]);
	}
}

static void samples_outcomes(FILE *out, const char *family, const char *server, const struct control_outcomes *o)
{
	put_sample(out, family, server, ",result=\"ok\"", (double)o->ok);
	put_sample(out, family, server, ",result=\"failed\"", (double)o->failed);
}

static void samples_checkpoints(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	samples_outcomes(out, family->name, m->name, &m->status.checkpoints);
}

static void samples_migrations(FILE *out, const struct metric_family *family, const struct server_metrics *m)
{
	samples_outcomes(out, family->name, m->name, &m->status.migrations);
}

static const struct metric_family families[] = {
	{ "sheer_up", "gauge", "1 when the server's VMM answered on its control socket, 0 when it did not.",
	  NULL, samples_up },
	{ "sheer_server_state", "gauge", "1 for the state the server is in, 0 for the others.", NULL, samples_state },
	{ "sheer_uptime_seconds", "gauge", "Time since the guest started running.", value_uptime, NULL },
	{ "sheer_vcpus", "gauge", "Virtual CPUs of the server.", value_vcpus, NULL },
	{ "sheer_memory_bytes", "gauge", "Guest memory.", value_memory, NULL },
	{ "sheer_passthru_devices", "gauge", "PCI functions passed through to the server.", value_devices, NULL },
	{ "sheer_virtio_net_nics", "gauge", "virtio-net NICs of the server.", value_nics, NULL },
	{ "sheer_vcpu_seconds_total", "counter",
	  "Host CPU time of each vCPU's thread (guest and host side of KVM_RUN), from its schedstat; given by "
	  "sheer exporter, not by a server's own /v1/metrics.", NULL, samples_vcpu_seconds },
	{ "sheer_kvm_exits_total", "counter",
	  "Times a vCPU left KVM_RUN for sheer, by kind: io and mmio accesses it emulated, intr (signals: "
	  "pause, throttle, stop), other.", NULL, samples_exits },
	{ "sheer_unhandled_accesses_total", "counter", "Guest port and MMIO accesses no device claimed.",
	  value_unhandled, NULL },
	{ "sheer_dma_map_seconds", "gauge", "Time mapping guest RAM for device DMA took (0 without devices).",
	  value_dma_map, NULL },
	{ "sheer_console_dropped_bytes_total", "counter", "Console output dropped because its reader was too slow.",
	  value_console_dropped, NULL },
	{ "sheer_checkpoints_total", "counter", "Checkpoints this VMM ran to an end, by result (refusals not counted).",
	  NULL, samples_checkpoints },
	{ "sheer_migrations_total", "counter", "Outgoing live migrations this VMM ran to an end, by result.", NULL,
	  samples_migrations },
	{ "sheer_migration_active", "gauge", "1 while an outgoing live migration runs.", value_migrating, NULL },
	{ "sheer_migration_round", "gauge", "Pre-copy round of the running migration (0: none).", value_mig_round,
	  NULL },
	{ "sheer_migration_sent_bytes", "gauge", "Bytes the running migration sent so far.", value_mig_sent, NULL },
	{ "sheer_migration_dirty_bytes", "gauge", "Guest memory written since it was sent: the next round's work.",
	  value_mig_dirty, NULL },
	{ "sheer_migration_rate_bytes_per_second", "gauge", "Rate of the running migration's last round.",
	  value_mig_rate, NULL },
	{ "sheer_migration_throttle_ratio", "gauge", "Share of the vCPUs' time taken away so that pre-copy converges.",
	  value_mig_throttle, NULL },
};

void server_metrics_from_status(struct server_metrics *m, const struct control_status *status)
{
	snprintf(m->name, sizeof(m->name), "%s", status->name);
	m->up = true;
	m->status = *status;
}

static void render_family(FILE *out, const struct metric_family *family, const struct server_metrics *servers,
			  size_t n)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", family->name, family->help, family->name, family->type);
	for (size_t i = 0; i < n; i++) {
		/* A server that did not answer has only sheer_up: every other number would be made up. */
		if (!servers[i].up && family->samples != samples_up)
			continue;
		if (family->samples)
			family->samples(out, family, &servers[i]);
		else
			put_sample(out, family->name, servers[i].name, "", family->value(&servers[i].status));
	}
}

char *metrics_render(const struct server_metrics *servers, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		render_family(out, &families[f], servers, n);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
