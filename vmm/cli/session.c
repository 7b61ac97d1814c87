/*
 * A logical server in the foreground, for `sheer run` and `sheer restore`:
 * the guest's serial console on stdin/stdout until it stops. Everything that
 * can be refused (bad input, no room on the host, name taken, not a kernel,
 * a bad checkpoint) is refused before anything is started, with exit status 2.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passthru/host/assign.h"
#include "passthru/host/failover.h"
#include "vmm/cli/device_ops.h"
#include "passthru/host/device_numa.h"
#include "vmm/lib/cli.h"
#include "vmm/cli/commands.h"
#include "vmm/server/control.h"
#include "vmm/server/placement.h"
#include "vmm/server/registry.h"
#include "vmm/cli/progress.h"
#include "vmm/cli/session.h"
#include "vmm/kvm/kvm_device.h"
#include "vmm/kvm/vcpu.h"
#include "p2v/checkpoint/checkpoint.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/file_store.h"
#include "vmm/lib/thread.h"
#include "vmm/vm/vm.h"


/* Each NIC; a standby's partner is the device whose failover names it, if the server holds one here. */
static void session_status_nics(const struct server_config *cfg, struct control_status *status)
{
	status->n_nics = cfg->n_nics;
	for (unsigned int i = 0; i < cfg->n_nics; i++) {
		const struct server_nic *nic = &cfg->nics[i];
		struct control_nic *out = &status->nics[i];

		snprintf(out->name, sizeof(out->name), "%s", nic->name);
		format_mac(nic->mac, out->mac);
		out->standby = nic->standby;
		for (unsigned int d = 0; d < cfg->n_devices; d++)
			if (strcmp(cfg->devices[d].failover, nic->name) == 0)
				snprintf(out->primary, sizeof(out->primary), "%s", cfg->devices[d].pci);
	}
}

/* The control socket's view of the VM. */
static void session_status(void *ctx, struct control_status *status)
{
	struct run_session *session = ctx;
	const struct server_config *cfg = &session->spec.cfg;
	struct vm_status vm_status;

	vm_get_status(session->vm, &vm_status);
	snprintf(status->name, sizeof(status->name), "%s", cfg->name);
	snprintf(status->state, sizeof(status->state), "%s", vm_state_name(vm_status.state));
	status->pid = session->supervisor_pid;
	status->vmm_pid = getpid();
	status->cpus = vm_status.cpus;
	status->memory_bytes = vm_status.memory_bytes;
	status->uptime_s = vm_status.uptime_ns / 1000000000ull;
	status->numa_node = cfg->numa_node;
	status->n_host_cpus = cfg->cpus;
	memcpy(status->host_cpu, cfg->host_cpu, cfg->cpus * sizeof(cfg->host_cpu[0]));
	status->exits = vm_status.exits;
	status->unhandled_accesses = vm_status.unhandled_accesses;
	status->dma_map_us = vm_status.dma_map_ns / 1000;
	vm_get_devices(session->vm, &session->spec.cfg);
	status->n_devices = cfg->n_devices;
	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		snprintf(status->devices[i], sizeof(status->devices[i]), "%s", cfg->devices[i].pci);
		snprintf(status->device_failover[i], sizeof(status->device_failover[i]), "%s", cfg->devices[i].failover);
	}
	session_status_nics(cfg, status);
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		status->vcpus[i].tid = vm_status.vcpu[i].tid;
		memcpy(status->vcpus[i].exits, vm_status.vcpu[i].exits, sizeof(status->vcpus[i].exits));
	}
	status->console_dropped_bytes = vm_status.console_dropped;
	pthread_mutex_lock(&session->migration_lock);
	status->migrating = session->migrating;
	status->migration = session->migration;
	status->checkpoints = session->checkpoints;
	status->migrations = session->migrations;
	pthread_mutex_unlock(&session->migration_lock);
	if (status->migrating && vm_status.state == VM_STATE_RUNNING)
		snprintf(status->state, sizeof(status->state), "migrating");
	if (atomic_load(&session->receiving))
		snprintf(status->state, sizeof(status->state), "receiving");
}

/* What GET /v1/server shows besides the status; the devices as the VM holds them now. */
static void session_config(void *ctx, struct server_config *cfg)
{
	struct run_session *session = ctx;

	vm_get_devices(session->vm, &session->spec.cfg);
	*cfg = session->spec.cfg;
	for (unsigned int i = 0; i < cfg->n_nics; i++)
		snprintf(cfg->nics[i].tap, sizeof(cfg->nics[i].tap), "%s", vm_nic_tap(session->vm, i));
}

/* A checkpoint's or migration's end, for the metrics; refusals (nothing was tried) are not counted. */
static void session_count(struct run_session *session, struct control_outcomes *outcomes, json_t *reply)
{
	json_t *refused = json_object_get(reply, "refused");

	if (json_is_true(refused))
		return;
	pthread_mutex_lock(&session->migration_lock);
	if (json_is_true(json_object_get(reply, "ok")))
		outcomes->ok++;
	else
		outcomes->failed++;
	pthread_mutex_unlock(&session->migration_lock);
}

/*
 * While a migration comes in, the guest is not this host's yet: the source
 * still runs it, and stopping the VM being built would lose it after the
 * switch-over. Requests that act on the guest wait for it to arrive.
 */
static bool session_receiving(void *ctx)
{
	return atomic_load(&((struct run_session *)ctx)->receiving);
}

static int session_shutdown(void *ctx)
{
	return session_receiving(ctx) ? -EBUSY : vm_press_power_button(((struct run_session *)ctx)->vm);
}

static int session_poweroff(void *ctx)
{
	return session_receiving(ctx) ? -EBUSY : vm_power_off(((struct run_session *)ctx)->vm);
}

static int session_pause(void *ctx)
{
	return session_receiving(ctx) ? -EBUSY : vm_pause(((struct run_session *)ctx)->vm);
}

static int session_resume(void *ctx)
{
	return session_receiving(ctx) ? -EBUSY : vm_resume(((struct run_session *)ctx)->vm);
}

/* The edge where the engine's and the device layer's warnings reach the operator. */
static void session_warn(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "sheer: warning: %s\n", message);
}

static const struct report session_report = { session_warn, NULL };

/* A guest restored where KVM cannot give it its TSC frequency runs on at this host's: say so once. */
static void session_warn_tsc(const struct run_session *session)
{
	uint32_t saved, here;

	if (!vm_tsc_unscaled(session->vm, &saved, &here))
		return;
	cli_error("warning: %s: its TSC ran at %u kHz, this host's KVM cannot scale it and gives %u kHz "
		  "(%+.3f%%): its kvmclock stays right, raw TSC readings do not", session->spec.cfg.name, saved, here,
		  ((double)here - saved) * 100.0 / saved);
}

static int session_restore(struct run_session *session, char *err, size_t errlen)
{
	const struct server_config *cfg = &session->spec.cfg;
	struct progress_meter meter;
	const struct checkpoint_progress progress = { progress_meter_update, &meter };
	struct checkpoint_result result;
	char why[ERR_MAX - 300];
	int ret;

	progress_meter_start(&meter, "restoring");
	ret = checkpoint_restore(session->restore_from, cfg, &progress, &session->vm, &result, why, sizeof(why));
	progress_meter_finish(&meter);
	if (ret < 0) {
		snprintf(err, errlen, "%.250s: %s", session->restore_from, why);
		return ret;
	}
	fprintf(stderr, "sheer: %s: restored from %s (%llu MiB in %.2f s, %.0f MiB/s)\n", cfg->name,
		session->restore_from, (unsigned long long)(result.file_bytes >> 20), result.elapsed_ns / 1e9,
		progress_mib_per_s(result.file_bytes, result.elapsed_ns));
	session_warn_tsc(session);
	return 0;
}

/* A refused or failed request, as the control reply says it: "OP: why". */
static json_t *request_error(const char *op, const char *why, bool refused)
{
	char message[ERR_MAX];

	snprintf(message, sizeof(message), "%s: %.900s", op, why);
	return json_pack("{s:b, s:s, s:b}", "ok", 0, "error", message, "refused", refused);
}

static json_t *checkpoint_error(const char *why, bool refused)
{
	return request_error("checkpoint", why, refused);
}

/* Pause unless paused already; returns whether it was running (so it must be resumed). */
static int session_pause_for_checkpoint(struct vm *vm, bool *was_running)
{
	struct vm_status status;

	vm_get_status(vm, &status);
	*was_running = status.state == VM_STATE_RUNNING || status.state == VM_STATE_SHUTTING_DOWN;
	if (*was_running)
		return vm_pause(vm);
	return status.state == VM_STATE_PAUSED ? 0 : -EINVAL;
}

/* Written, and the client has put the file in place: only now may the server stop. */
static int session_checkpoint_commit(const struct control_channel *channel, char *why, size_t whylen)
{
	int ret = channel ? channel->confirm(channel->ctx) : -ENOTCONN;

	if (ret < 0)
		snprintf(why, whylen, "the file was written but never confirmed in place (%s); the server keeps running",
			 strerror(-ret));
	return ret;
}

/*
 * Pause, write into the file the client passed, then stop or resume. Until
 * the client confirms the file is whole and in place the server is never
 * stopped: a failed write or a silent client resumes it.
 */
static json_t *session_checkpoint_run(void *ctx, const struct control_request *request,
				      const struct control_channel *channel)
{
	const struct checkpoint_progress write_progress = { channel ? channel->progress : NULL,
							    channel ? channel->ctx : NULL };
	struct run_session *session = ctx;
	struct checkpoint_result result;
	char why[ERR_MAX - 400], detail[ERR_MAX];
	bool was_running;
	int ret;

	if (request->file_fd < 0)
		return checkpoint_error("no file came with the request ('sheer checkpoint' passes one)", true);
	if (vm_save_refusal(session->vm, VM_SAVE_CHECKPOINT, why, sizeof(why)) < 0)
		return checkpoint_error(why, true);
	if (session_pause_for_checkpoint(session->vm, &was_running) < 0)
		return checkpoint_error("the server is not running", true);
	ret = checkpoint_write_fd(session->vm, &session->spec.cfg, request->file_fd,
				  request->progress && channel ? &write_progress : NULL, &result, why, sizeof(why));
	if (ret == 0)
		ret = session_checkpoint_commit(channel, why, sizeof(why));
	if (ret < 0 || request->leave_running) {
		if (was_running)
			vm_resume(session->vm);
		if (ret < 0)
			return checkpoint_error(why, ret == -EINVAL);
	} else {
		snprintf(detail, sizeof(detail), "checkpoint written to %.400s; restore it with 'sheer restore %.400s'",
			 request->path, request->path);
		vm_stop_saved(session->vm, detail);
	}
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:b}", "ok", 1, "path", request->path, "bytes",
			 (json_int_t)result.file_bytes, "memory_pages", (json_int_t)result.memory_pages, "zero_pages",
			 (json_int_t)result.zero_pages, "elapsed_ns", (json_int_t)result.elapsed_ns, "stopped",
			 !request->leave_running);
}

/* After each round: the status a `sheer status` shows, and the client's progress line. */
static void session_migration_round(void *ctx, const struct migrate_round *round)
{
	struct run_session *session = ctx;
	struct control_migration m = {
		.round = round->round,
		.sent_bytes = round->bytes_total,
		.ram_bytes = round->ram_pages * 4096,
		.dirty_bytes = round->dirty_pages * 4096,
		.rate = round->rate,
		.expected_downtime_ms = round->rate ? round->dirty_pages * 4096 * 1000 / round->rate : 0,
		.throttle_pct = round->throttle_pct,
	};

	pthread_mutex_lock(&session->migration_lock);
	session->migration = m;
	pthread_mutex_unlock(&session->migration_lock);
	if (session->migration_channel && session->migration_channel->migration)
		session->migration_channel->migration(session->migration_channel->ctx, &m);
}

static json_t *migrate_error(const char *why, bool refused)
{
	return request_error("migrate", why, refused);
}

/* Each pre-copy round (the first MIGRATE_MAX_ROUNDS): what it sent, how long it took, what it left dirty. */
static json_t *migrate_round_log_json(const struct migrate_result *result)
{
	json_t *log = json_array();

	for (unsigned int i = 0; log && i < result->n_round_log; i++) {
		const struct migrate_round_record *r = &result->round_log[i];

		json_array_append_new(log, json_pack("{s:I, s:I, s:I, s:I, s:i}", "pages", (json_int_t)r->pages,
						     "bytes", (json_int_t)r->bytes, "ns", (json_int_t)r->ns,
						     "dirty_pages", (json_int_t)r->dirty_pages, "throttle_pct",
						     (int)r->throttle_pct));
	}
	return log;
}

/* The answer once the target has the guest, or why the guest still runs here (or, after the switch-over, waits). */
static json_t *session_migrate_reply(struct run_session *session, const struct control_request *request, int ret,
				     const struct migrate_result *result, const char *why)
{
	char detail[ERR_MAX];
	struct vm_status status;

	vm_get_status(session->vm, &status);
	if (ret < 0 && !result->committed && status.state == VM_STATE_STOPPED) {
		snprintf(detail, sizeof(detail), "the server stopped during the migration (its guest powered off, or it "
			 "was stopped); nothing was moved and the target discards what it had");
		return migrate_error(detail, false);
	}
	if (ret < 0 && result->committed) {
		json_t *reply;

		snprintf(detail, sizeof(detail), "%.300s after the switch-over: the guest stays paused here; it may run "
			 "on %.200s: check there, and resume it here only if it does not", why, request->to);
		reply = migrate_error(detail, false);
		/* Past the switch-over: nothing of the server may be given back to it here (its failover NICs). */
		json_object_set_new(reply, "committed", json_true());
		return reply;
	}
	if (ret < 0) {
		snprintf(detail, sizeof(detail), "%.400s; the server keeps running here", why);
		return migrate_error(detail, ret == -ECONNREFUSED);
	}
	snprintf(detail, sizeof(detail), "migrated to %.300s, where it runs now", request->to);
	vm_stop_saved(session->vm, detail);
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:i, s:I, s:{s:I, s:I, s:I}, s:o}", "ok", 1, "to", request->to,
			 "total_ns", (json_int_t)result->total_ns, "downtime_ns", (json_int_t)result->downtime_ns,
			 "bytes", (json_int_t)result->bytes, "rounds", (int)result->rounds, "pages",
			 (json_int_t)result->pages, "downtime", "final_pages", (json_int_t)result->final_pages,
			 "final_ns", (json_int_t)result->final_ns, "target_load_ns", (json_int_t)result->load_ns,
			 "round_log", migrate_round_log_json(result));
}

/* Pre-copy over the connection the client passed; the guest runs here until the target has it all. */
static json_t *session_migrate_run(void *ctx, const struct control_request *request,
				   const struct control_channel *channel)
{
	struct run_session *session = ctx;
	const struct migrate_options options = {
		.downtime_ns = (uint64_t)request->downtime_ms * 1000000ull,
		.timeout_ns = (uint64_t)request->timeout_s * 1000000000ull,
		.bandwidth = (uint64_t)request->bandwidth_mib << 20,
	};
	const struct migrate_progress progress = { session_migration_round, session };
	struct migrate_result result;
	struct vm_status status;
	char why[ERR_MAX - 600];
	int ret;

	if (request->file_fd < 0)
		return migrate_error("no connection came with the request ('sheer migrate' passes one)", true);
	if (vm_save_refusal(session->vm, VM_SAVE_MIGRATE, why, sizeof(why)) < 0)
		return migrate_error(why, true);
	vm_get_status(session->vm, &status);
	if (status.state != VM_STATE_RUNNING)
		return migrate_error("the server is not running", true);
	session->migration_channel = request->progress ? channel : NULL;
	pthread_mutex_lock(&session->migration_lock);
	session->migration = (struct control_migration){ .ram_bytes = session->spec.cfg.memory_bytes };
	session->migrating = true;
	pthread_mutex_unlock(&session->migration_lock);
	ret = migrate_source(session->vm, &session->spec.cfg, request->file_fd, &options, &progress, &result, why,
			     sizeof(why));
	pthread_mutex_lock(&session->migration_lock);
	session->migrating = false;
	pthread_mutex_unlock(&session->migration_lock);
	return session_migrate_reply(session, request, ret, &result, why);
}

static json_t *session_checkpoint(void *ctx, const struct control_request *request,
				  const struct control_channel *channel)
{
	struct run_session *session = ctx;
	json_t *reply = session_checkpoint_run(ctx, request, channel);

	session_count(session, &session->checkpoints, reply);
	return reply;
}

static json_t *session_migrate(void *ctx, const struct control_request *request, const struct control_channel *channel)
{
	struct run_session *session = ctx;
	json_t *reply = session_migrate_run(ctx, request, channel);

	session_count(session, &session->migrations, reply);
	return reply;
}

static json_t *device_error(const char *message)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

static bool session_is_migrating(struct run_session *session)
{
	bool migrating;

	pthread_mutex_lock(&session->migration_lock);
	migrating = session->migrating;
	pthread_mutex_unlock(&session->migration_lock);
	return migrating;
}

/*
 * Hot-plug, done by the VM; the session's copy of the server's devices
 * follows, since a migration announces it. The group's descriptor is the
 * connection's, so the VM gets its own copy.
 */
static json_t *session_device(void *ctx, const struct control_request *request)
{
	struct run_session *session = ctx;
	char err[ERR_MAX] = "";
	bool detached = false;
	int ret, fd;

	if (session_is_migrating(session))
		return device_error("busy: the server is migrating");
	switch (request->command) {
	case CONTROL_DEVICE_ATTACH:
		fd = request->file_fd >= 0 ? fcntl(request->file_fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (fd < 0)
			return device_error("no IOMMU group came with the request ('sheer device attach' passes it)");
		ret = vm_device_attach(session->vm, request->pci, request->group, fd, request->failover, err, sizeof(err));
		break;
	case CONTROL_DEVICE_DETACH:
		ret = vm_device_detach(session->vm, request->pci, &detached, err, sizeof(err));
		break;
	default:
		ret = vm_device_detach_cancel(session->vm, request->pci);
		if (ret < 0)
			snprintf(err, sizeof(err), "device %s: the server does not hold it", request->pci);
		break;
	}
	vm_get_devices(session->vm, &session->spec.cfg);
	if (ret < 0)
		return device_error(err[0] ? err : strerror(-ret));
	if (request->command == CONTROL_DEVICE_DETACH)
		return json_pack("{s:b, s:b}", "ok", 1, "detached", detached);
	return json_pack("{s:b}", "ok", 1);
}

static const struct control_ops session_control_ops = {
	.status = session_status,
	.config = session_config,
	.shutdown = session_shutdown,
	.poweroff = session_poweroff,
	.pause = session_pause,
	.resume = session_resume,
	.checkpoint = session_checkpoint,
	.migrate = session_migrate,
	.device = session_device,
};

/*
 * SIGTERM/SIGHUP/SIGQUIT power the guest off, so vm_run returns and cleanup
 * runs on one path. SIGINT (Ctrl-C) first asks the guest, with the power
 * button, as an operator at a console expects; a second one powers it off.
 */
static void *session_signal_loop(void *arg)
{
	struct run_session *session = arg;
	bool asked = false;
	int signal_number;

	while (sigwait(&session->stop_signals, &signal_number) == 0 && !atomic_load(&session->finished)) {
		if (signal_number == SIGINT && !asked && vm_press_power_button(session->vm) == 0) {
			asked = true;
			fprintf(stderr, "\r\nsheer: %s: power button pressed; the guest shuts down (Ctrl-C again powers it "
				"off at once)\r\n", session->spec.cfg.name);
			continue;
		}
		vm_power_off(session->vm);
	}
	return NULL;
}

/*
 * Every other signal whose default action would end the VMM, and with it
 * the clean-up (registry entry, socket, devices back to their drivers): a
 * closed console pipe, a stray kill -USR1, a file size limit while writing a
 * checkpoint become errors or nothing. Real-time signals too, but the one
 * that kicks vCPUs (vm_run installs its handler).
 */
static void session_ignore_signals(void)
{
	static const int ignored[] = { SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
				       SIGPWR, SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGTRAP };

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		if (sig != VCPU_KICK_SIGNAL)
			signal(sig, SIG_IGN);
}

/* SIGINT/SIGTERM/SIGHUP/SIGQUIT stop the guest through the signal thread; the rest are ignored. */
static void session_block_signals(struct run_session *session)
{
	sigemptyset(&session->stop_signals);
	sigaddset(&session->stop_signals, SIGINT);
	sigaddset(&session->stop_signals, SIGTERM);
	sigaddset(&session->stop_signals, SIGHUP);
	sigaddset(&session->stop_signals, SIGQUIT);
	/* Blocked before any thread exists, so every engine thread inherits it and only sigwait sees them. */
	pthread_sigmask(SIG_BLOCK, &session->stop_signals, NULL);
	session_ignore_signals();
}

static int collect_held_cpus(struct registry *registry, hwloc_bitmap_t held)
{
	struct registry_names running;
	struct registry_entry entry;
	int ret = registry_list(registry, true, &running);

	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < running.count; i++) {
		/* An unreadable entry of a live server cannot be helped; its cores stay unknown. */
		if (registry_read_entry(registry, running.names[i], &entry) < 0)
			continue;
		for (unsigned int c = 0; c < entry.n_held_cpus; c++)
			hwloc_bitmap_set(held, (unsigned int)entry.held_cpus[c]);
	}
	registry_names_free(&running);
	return 0;
}

static int session_check_name(struct run_session *session, char *err, size_t errlen)
{
	char path[REGISTRY_SOCKET_PATH_MAX];
	const char *name = session->spec.cfg.name;
	int ret = registry_socket_path(&session->registry, name, path, sizeof(path));

	if (ret < 0) {
		snprintf(err, errlen, "%s: name too long for a socket under %.200s", name, session->registry.dir);
		return -EINVAL;
	}
	ret = registry_probe(&session->registry, name);
	if (ret > 0) {
		snprintf(err, errlen, "%s: a server with this name is already running", name);
		return -EEXIST;
	}
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

/* With devices, the server's vCPUs and memory default to the devices' NUMA node. */
static void session_prefer_device_node(struct server_config *cfg)
{
	int node = passthru_devices_numa_node(cfg);

	if (node < 0)
		return;
	if (cfg->numa_node < 0)
		cfg->numa_node = node;
	else if (cfg->numa_node != node)
		fprintf(stderr, "sheer: warning: %s: numa_node %d is not the devices' node %d: "
			"their DMA and interrupts cross nodes\n", cfg->name, cfg->numa_node, node);
}

static int session_place(struct run_session *session, char *err, size_t errlen)
{
	int ret = placement_host_load(&session->host, NULL, err, errlen);

	if (ret < 0)
		return ret;
	session->taken = hwloc_bitmap_alloc();
	if (!session->taken)
		return -ENOMEM;
	ret = collect_held_cpus(&session->registry, session->host.held);
	if (ret < 0) {
		snprintf(err, errlen, "%.200s: %s", session->registry.dir, strerror(-ret));
		return ret;
	}
	session_prefer_device_node(&session->spec.cfg);
	return placement_choose(&session->host, &session->spec, session->taken, err, errlen);
}

/* The registry entry names the supervisor: signals to it reach the VMM, and it outlives the VMM to clean up. */
static int session_register(struct run_session *session, char *err, size_t errlen)
{
	const struct server_config *cfg = &session->spec.cfg;
	struct registry_entry entry = { .pid = session->supervisor_pid, .numa_node = cfg->numa_node };
	int ret, cpu;

	snprintf(entry.name, sizeof(entry.name), "%s", cfg->name);
	snprintf(entry.profile, sizeof(entry.profile), "%s", session->spec.profile);
	hwloc_bitmap_foreach_begin(cpu, session->taken)
		if (entry.n_held_cpus < REGISTRY_HELD_CPUS_MAX)
			entry.held_cpus[entry.n_held_cpus++] = cpu;
	hwloc_bitmap_foreach_end();
	ret = registry_write_entry(&session->registry, &entry);
	if (ret < 0)
		snprintf(err, errlen, "registry entry for %s: %s", cfg->name, strerror(-ret));
	return ret;
}

/* Refusals of what the operator asked (exit 2), as opposed to failures of the host or of sheer. */
static bool is_input_error(int ret)
{
	return ret == -EINVAL || ret == -ENOEXEC || ret == -EEXIST || ret == -ENOSPC || ret == -E2BIG || ret == -EFBIG ||
	       ret == -EBADMSG || ret == -ENOTSUP || ret == -EPROTONOSUPPORT;
}

/* Stale claims of killed servers first; then this server's devices, all or none. */
static int session_claim_devices(struct run_session *session, char *err, size_t errlen)
{
	const struct server_config *cfg = &session->spec.cfg;
	struct host_fs fs;
	int ret;

	if (cfg->n_devices == 0)
		return 0;
	ret = passthru_recover_stale(err, errlen);
	if (ret < 0)
		return ret;
	host_fs_init(&fs, NULL);
	ret = failover_check_pairs(&fs, &session->spec.cfg, err, errlen);
	if (ret < 0) {
		session->refused = true;
		return ret;
	}
	ret = passthru_claim(cfg, &session_report, &session->claims, err, errlen);
	session->refused = ret < 0 && passthru_error_is_refusal(ret);
	return ret;
}

/*
 * Every device back to its host driver, on every way out: those claimed at
 * start and those hot-plugged since, whose claims also name this supervisor.
 */
static void session_release_devices(struct run_session *session)
{
	struct passthru_env env;
	char err[ERR_MAX] = "";

	passthru_env_init(&env, NULL, NULL);
	env.report = &session_report;
	if (passthru_release_held(&env, getpid(), err, sizeof(err)) < 0)
		cli_error("%s: giving devices back: %s", session->spec.cfg.name, err);
	session->claims.count = 0;
}

/* The control socket, made here with the caller's rights; the VMM only answers on it. */
static int session_listen(struct run_session *session, char *err, size_t errlen)
{
	registry_socket_path(&session->registry, session->spec.cfg.name, session->socket_path,
			     sizeof(session->socket_path));
	session->listen_fd = control_listen(session->socket_path);
	if (session->listen_fd < 0) {
		snprintf(err, errlen, "control socket %s: %s", session->socket_path, strerror(-session->listen_fd));
		return session->listen_fd;
	}
	return 0;
}

/*
 * A KVM this user cannot open (no module, no virtualization, no permission)
 * is a host to set up, not a failure of this server: refused, exit 2, with
 * the fix, before any device leaves its host driver. The VMM opens it later
 * with the same rights.
 */
static int session_check_kvm(struct run_session *session, char *err, size_t errlen)
{
	char why[ERR_MAX - SERVER_NAME_MAX - 8];
	int ret = kvm_device_check(KVM_DEVICE_PATH, why, sizeof(why));

	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", session->spec.cfg.name, why);
		session->refused = true;
	}
	return ret;
}

/* Name, cores, user, KVM, devices, socket: each a refusal (exit 2) when the operator asked for something impossible. */
static int session_prepare(struct run_session *session, char *err, size_t errlen)
{
	int ret = session_check_name(session, err, errlen);

	if (ret == 0)
		ret = session_place(session, err, errlen);
	if (ret == 0)
		ret = sandbox_user_resolve(&session->user, err, errlen);
	if (ret == 0)
		ret = session_check_kvm(session, err, errlen);
	if (ret < 0)
		return ret;
	ret = placement_apply(&session->spec.cfg);
	if (ret < 0) {
		snprintf(err, errlen, "binding to NUMA node %d: %s", session->spec.cfg.numa_node, strerror(-ret));
		return ret;
	}
	ret = session_claim_devices(session, err, errlen);
	if (ret == 0)
		ret = session_listen(session, err, errlen);
	return ret;
}

/* What the supervisor undoes whichever way the VMM ended: socket, registry entry, devices. */
static void session_cleanup(struct run_session *session, bool registered)
{
	if (session->listen_fd >= 0) {
		unlink(session->socket_path);
		close(session->listen_fd);
		session->listen_fd = -1;
	}
	if (registered)
		registry_remove(&session->registry, session->spec.cfg.name);
	session_release_devices(session);
}

static const char *session_cleaned(const struct run_session *session)
{
	return session->claims.count ? "its devices go back to their host drivers" : "nothing of it is left";
}

/* ---- the VMM process ---- */

static int session_build_vm(struct run_session *session, char *err, size_t errlen)
{
	int ret;

	if (session->receive_fd >= 0)
		ret = migrate_receive_build(session->receive_fd, &session->hello, &session->spec.cfg, &session->vm, err,
					    errlen);
	else if (session->restore_from)
		ret = session_restore(session, err, errlen);
	else
		ret = vm_create(&session->spec.cfg, &session_report, &session->vm, err, errlen);

	if (ret == 0)
		vm_set_sandbox(session->vm, &session->sandbox);
	return ret;
}

/*
 * A device hot-plugged later pins all guest RAM for its DMA, as the
 * unprivileged VMM: let it lock that much (the caller may raise the limit;
 * the VMM could not).
 */
static void session_allow_dma_pinning(const struct server_config *cfg)
{
	struct rlimit limit;
	rlim_t want = cfg->memory_bytes + (64ULL << 20);

	if (getrlimit(RLIMIT_MEMLOCK, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want)
		return;
	limit.rlim_cur = want;
	if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want)
		limit.rlim_max = want;
	setrlimit(RLIMIT_MEMLOCK, &limit);
}

/* Built as the caller (KVM, VFIO and the socket are open); from here on the VMM holds only those. */
static int session_confine(struct run_session *session, char *err, size_t errlen)
{
	int ret;

	/*
	 * Libraries that open a file on first use, now while files can be
	 * opened: jansson seeds its hash tables from /dev/urandom, and glibc's
	 * time conversion (the RTC's gmtime_r) reads /etc/localtime once.
	 */
	json_object_seed(0);
	tzset();
	session_allow_dma_pinning(&session->spec.cfg);
	ret = sandbox_user_enter(&session->user, err, errlen);
	if (ret == 0 && supervisor_bind_vmm_to_parent(session->supervisor_pid) < 0) {
		snprintf(err, errlen, "the supervisor is gone");
		ret = -ESRCH;
	}
	if (ret == 0) {
		ret = control_server_start_on(&session->control, session->listen_fd, &session_control_ops, session,
					      &session->sandbox);
		if (ret < 0)
			snprintf(err, errlen, "control socket: %s", strerror(-ret));
	}
	return ret;
}

static int report_exit(const struct server_config *cfg, int ret, enum vm_exit_reason reason, const char *detail)
{
	if (ret < 0) {
		cli_error("%s: running the guest: %s", cfg->name, strerror(-ret));
		return SHEER_EXIT_FAILURE;
	}
	switch (reason) {
	case VM_EXIT_POWEROFF:
		return SHEER_EXIT_OK;
	case VM_EXIT_REBOOT:
		cli_error("%s: guest asked for a reboot (%s); sheer stops it instead", cfg->name,
			  detail[0] ? detail : "no detail");
		return SHEER_EXIT_OK;
	case VM_EXIT_CRASH:
		cli_error("%s: guest crashed: %s", cfg->name, detail[0] ? detail : "no detail");
		return SHEER_EXIT_FAILURE;
	case VM_EXIT_SAVED:
		cli_error("%s: %s", cfg->name, detail);
		return SHEER_EXIT_OK;
	case VM_EXIT_VMM_ERROR:
		break;
	}
	cli_error("%s: VMM error: %s", cfg->name, detail[0] ? detail : "no detail");
	return SHEER_EXIT_FAILURE;
}

/* The operator stopped the server (a signal, through the signal thread) while the stream came in. */
static bool session_receive_stopped(void *ctx)
{
	return vm_stop_is_requested(((struct run_session *)ctx)->vm);
}

/* The switch-over: the vCPUs, held since vm_run started them, run the guest from here; the supervisor gives it NICs. */
static void session_receive_start_guest(void *ctx)
{
	struct run_session *session = ctx;

	vm_release(session->vm);
	if (session->ready_fd >= 0)
		supervisor_signal_switched_over(session->ready_fd);
	session->ready_fd = -1;
}

/*
 * The incoming stream, on a thread of its own kind (the peer's bytes are
 * parsed confined), while vm_run holds the vCPUs: at the switch-over every
 * thread is up, and only the vCPUs are let go.
 */
static void *session_receive_thread(void *arg)
{
	struct run_session *session = arg;
	const struct migrate_receiver hooks = { session_receive_stopped, session_receive_start_guest, session };
	const char *name = session->spec.cfg.name;
	uint64_t start = clock_monotonic_ns();
	int ret = migrate_receive(session->receive_fd, session->vm, &hooks, &session->received_bytes,
				  session->receive_err, sizeof(session->receive_err));

	session->receive_ret = ret;
	atomic_store(&session->receiving, false);
	if (ret < 0) {
		/* The guest never ran here: the VM ends, and sheer with the reason (session_receive_finish). */
		vm_abort(session->vm, "the incoming migration failed");
		return NULL;
	}
	fprintf(stderr, "sheer: %s: received from %s (%llu MiB in %.2f s)\n", name, session->receive_from,
		(unsigned long long)(session->received_bytes >> 20), (clock_monotonic_ns() - start) / 1e9);
	session_warn_tsc(session);
	if (ret > 0)
		cli_error("warning: %s: the guest runs here, but telling the source failed (%s); it stays paused "
			  "there", name, session->receive_err);
	return NULL;
}

/*
 * After vm_run: the stream's thread is done. Stopped while the stream still
 * came in, the thread backs out at the next section and tells the source
 * (MFAL); a source that sends nothing for RECEIVE_BACKOUT_S is cut off.
 */
#define RECEIVE_BACKOUT_S 5
static int session_receive_finish(struct run_session *session, pthread_t thread)
{
	struct timespec deadline;
	bool cut = false;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += RECEIVE_BACKOUT_S;
	if (pthread_timedjoin_np(thread, NULL, &deadline) != 0) {
		cut = true;
		shutdown(session->receive_fd, SHUT_RDWR);
		pthread_join(thread, NULL);
	}
	close(session->receive_fd);
	session->receive_fd = -1;
	if (session->receive_ret < 0 && cut)
		snprintf(session->receive_err, sizeof(session->receive_err), "stopped on the target before the switch-over");
	if (session->receive_ret < 0)
		cli_error("%s: receiving from %s: %s; the source keeps it", session->spec.cfg.name,
			  session->receive_from, session->receive_err);
	return session->receive_ret;
}

/* With an incoming stream, vm_run starts held and the stream's thread lets the vCPUs go at the switch-over. */
static int session_start_receiver(struct run_session *session, pthread_t *receiver)
{
	int ret;

	vm_hold(session->vm);
	atomic_store(&session->receiving, true);
	ret = sandbox_thread_start(&session->sandbox, SANDBOX_RECEIVE, receiver, session_receive_thread, session, -1);
	if (ret < 0) {
		atomic_store(&session->receiving, false);
		session->receive_ret = ret;
		snprintf(session->receive_err, sizeof(session->receive_err), "%s", strerror(-ret));
	}
	return ret;
}

static int session_run(struct run_session *session)
{
	enum vm_exit_reason reason = VM_EXIT_VMM_ERROR;
	char detail[ERR_MAX] = "";
	bool receiving = session->receive_fd >= 0;
	pthread_t receiver;
	int ret, received = 0;

	if (receiving && session_start_receiver(session, &receiver) < 0) {
		cli_error("%s: receiving from %s: %s; the source keeps it", session->spec.cfg.name,
			  session->receive_from, session->receive_err);
		control_server_stop(&session->control);
		vm_destroy(session->vm);
		return SHEER_EXIT_FAILURE;
	}
	ret = sandbox_thread_start(&session->sandbox, SANDBOX_MAIN, &session->signal_thread, session_signal_loop,
				   session, -1);
	if (ret < 0) {
		vm_abort(session->vm, "could not start the signal thread");
	} else {
		ret = vm_run(session->vm, &reason, detail, sizeof(detail));
		atomic_store(&session->finished, true);
		pthread_kill(session->signal_thread, SIGTERM);
		pthread_join(session->signal_thread, NULL);
	}
	if (receiving)
		received = session_receive_finish(session, receiver);
	control_server_stop(&session->control);
	vm_destroy(session->vm);
	return received < 0 ? SHEER_EXIT_FAILURE : report_exit(&session->spec.cfg, ret, reason, detail);
}

/* The VMM: build the VM as the caller, confine, tell the supervisor, run; the exit status is sheer's. */
static int session_vmm_main(void *ctx, int ready_fd)
{
	struct run_session *session = ctx;
	char err[ERR_MAX] = "";
	int ret;

	/* The supervisor's lock stays the supervisor's: close only this process's reference. */
	close(session->registry.lock_fd);
	session->registry.lock_fd = -1;
	/* Nor is the word to `sheer start` the VMM's to keep open. */
	if (session->started_fd >= 0)
		close(session->started_fd);
	session->started_fd = -1;
	session_block_signals(session);
	ret = session_build_vm(session, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return is_input_error(ret) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	ret = session_confine(session, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s: %s", session->spec.cfg.name, err);
		vm_destroy(session->vm);
		return SHEER_EXIT_FAILURE;
	}
	/*
	 * Registered before an incoming stream, not after it: the name and cores
	 * are held by the entry, and the host's registry lock is free for other
	 * servers while the migration (minutes, perhaps) comes in.
	 */
	if (session->receive_fd >= 0) {
		supervisor_signal_ready_keep(ready_fd);
		session->ready_fd = ready_fd;
	} else {
		supervisor_signal_ready(ready_fd);
	}
	return session_run(session);
}

/* ---- the supervisor ---- */

/* Everything before the guest runs; on success the VMM is ready and the server registered. */
static int session_start(struct run_session *session, char *err, size_t errlen, int *exit_status)
{
	int ret = registry_lock(&session->registry);

	if (ret < 0) {
		snprintf(err, errlen, "%.200s: cannot lock: %s", session->registry.dir, strerror(-ret));
		return ret;
	}
	/* Under the lock from the name check to the registry entry, so no one else takes the name or cores. */
	ret = session_prepare(session, err, errlen);
	*exit_status = is_input_error(ret) || session->refused ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	if (ret == 0) {
		ret = supervisor_spawn(&session->supervisor, session_vmm_main, session);
		if (ret < 0)
			snprintf(err, errlen, "starting the VMM: %s", strerror(-ret));
	}
	/* The incoming stream is the VMM's now: its end must be the only one, so that closing it is seen. */
	if (ret == 0 && session->receive_fd >= 0) {
		close(session->receive_fd);
		session->receive_fd = -1;
	}
	if (ret == 0 && supervisor_await_ready(&session->supervisor) < 0) {
		/* The VMM said why on stderr; its status is ours. */
		*exit_status = supervisor_exit_status(&session->supervisor, session->spec.cfg.name,
						      session_cleaned(session));
		err[0] = '\0';
		ret = -ECHILD;
	}
	if (ret == 0)
		ret = session_register(session, err, errlen);
	if (ret < 0 && session->receive_fd >= 0 && err[0])
		migrate_refuse(session->receive_fd, err);
	if (ret < 0) {
		if (session->supervisor.vmm > 0 && !session->supervisor.exited) {
			kill(session->supervisor.vmm, SIGKILL);
			supervisor_wait(&session->supervisor);
		}
		session_cleanup(session, false);
	}
	registry_unlock(&session->registry);
	return ret;
}

/*
 * In the supervisor, once a migrated server runs here: each failover pair
 * whose passed-through side stayed behind gets a free NIC of the same model
 * and MAC from this host (the pool, or any), plugged into the running guest.
 * None free: the server runs on its virtio-net NIC, and says so in status.
 */
static void session_failover_in(void *ctx)
{
	struct run_session *session = ctx;
	const struct server_config *cfg = &session->spec.cfg;
	struct host_fs fs;

	host_fs_init(&fs, NULL);
	for (unsigned int i = 0; i < cfg->n_nics; i++) {
		const struct server_nic *nic = &cfg->nics[i];
		struct device_target t = { cfg->name, NULL, getpid(), false, nic->name };
		char bdf[16];

		if (!nic->standby)
			continue;
		if (failover_pick(&fs, NULL, nic, session->failover_pool, session->n_failover_pool, bdf) < 0) {
			cli_error("warning: %s: no free NIC of model %04x:%04x with MAC %02x:%02x:%02x:%02x:%02x:%02x here "
				  "for failover pair %s; the server runs on virtio-net",
				  cfg->name, nic->primary_vendor, nic->primary_device, nic->mac[0], nic->mac[1],
				  nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5], nic->name);
			continue;
		}
		t.bdf = bdf;
		if (device_attach_to(&session->registry, &t) == 0)
			fprintf(stderr, "sheer: %s: failover pair %s: NIC %s passed through here\n", cfg->name, nic->name,
				bdf);
	}
}

static int session_supervise(struct run_session *session)
{
	int status;

	session->supervisor.switched_over = session_failover_in;
	session->supervisor.ctx = session;
	supervisor_wait(&session->supervisor);
	status = supervisor_exit_status(&session->supervisor, session->spec.cfg.name, session_cleaned(session));
	session_cleanup(session, true);
	return status;
}

static void session_free(struct run_session *session)
{
	if (session->taken)
		hwloc_bitmap_free(session->taken);
	if (session->host.topology)
		placement_host_free(&session->host);
	supervisor_close(&session->supervisor);
	registry_close(&session->registry);
}

void session_init(struct run_session *session)
{
	memset(session, 0, sizeof(*session));
	pthread_mutex_init(&session->migration_lock, NULL);
	session->registry.lock_fd = -1;
	session->listen_fd = -1;
	session->receive_fd = -1;
	session->ready_fd = -1;
	session->started_fd = -1;
}

int session_detach(void)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), ret = 0;

	if (null_fd < 0 || setsid() < 0)
		ret = -errno;
	else
		dup2(null_fd, STDIN_FILENO);
	if (null_fd >= 0)
		close(null_fd);
	return ret;
}

/* fd moved above the low slots it is settled into later, so that settling one cannot overwrite another; or -1. */
static int session_lift_fd(int fd)
{
	int high = fd >= 0 ? fcntl(fd, F_DUPFD, 100) : -1;

	if (fd >= 0)
		close(fd);
	return high;
}

static int session_settle_fd(int fd, int *slot)
{
	if (fd < 0)
		return -1;
	dup2(fd, *slot);
	close(fd);
	return (*slot)++;
}

/* Nothing the caller left open reaches the guest's VMM but an incoming migration and `sheer start`'s pipe. */
static void session_close_inherited(struct run_session *session)
{
	int slot = 3;

	session->receive_fd = session_lift_fd(session->receive_fd);
	session->started_fd = session_lift_fd(session->started_fd);
	session->receive_fd = session_settle_fd(session->receive_fd, &slot);
	session->started_fd = session_settle_fd(session->started_fd, &slot);
	close_range((unsigned int)slot, ~0u, 0);
}

/* NAME.pid, for service managers (sheer@.service): written before `sheer start` returns, removed with the entry. */
static void session_write_pid_file(struct run_session *session)
{
	char path[PATH_MAX], text[24];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid()), ret;

	ret = registry_pid_path(&session->registry, session->spec.cfg.name, path, sizeof(path));
	if (ret == 0)
		ret = file_store_text(path, text, (size_t)len);
	if (ret < 0)
		cli_error("warning: %s: no pid file: %s", session->spec.cfg.name, strerror(-ret));
}

/*
 * A background start that failed: what it said must be in the log before
 * `sheer start` (which hears the end of this process) reads it there. Our
 * end of the relay's pipe closes; the relay drains it and ends.
 */
static void session_drain_console(struct run_session *session)
{
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null_fd < 0)
		return;
	dup2(null_fd, STDOUT_FILENO);
	dup2(null_fd, STDERR_FILENO);
	close(null_fd);
	while (waitpid(session->console.pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A server started in the background: its console goes to the relay; `sheer start` hears it runs. */
static void session_announce_started(struct run_session *session)
{
	if (session->detached && console_relay_publish(&session->console) < 0)
		cli_error("warning: %s: its console cannot be reached (%s): %s", session->spec.cfg.name,
			  session->console.socket_path, strerror(errno));
	if (session->detached)
		session_write_pid_file(session);
	if (session->started_fd >= 0) {
		ssize_t ignored = write(session->started_fd, "r", 1);

		(void)ignored;
		close(session->started_fd);
		session->started_fd = -1;
	}
}

int session_main(struct run_session *session)
{
	char err[ERR_MAX] = "";
	int exit_status = SHEER_EXIT_FAILURE, ret;

	/*
	 * One malloc arena: a thread arena that shrinks makes glibc read
	 * /proc/sys/vm/overcommit_memory, an open the confined threads may not
	 * make (seen: the control thread after a migration). sheer's few
	 * threads do not need an arena each.
	 */
	mallopt(M_ARENA_MAX, 1);
	session_close_inherited(session);
	session->supervisor_pid = getpid();
	sandbox_test_hook_init(&session->sandbox);
	session->sandbox.confine = true;
	ret = supervisor_block_signals(&session->supervisor);
	if (ret == 0)
		session_ignore_signals();
	if (ret == 0)
		ret = registry_open(&session->registry, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "signals: %s", strerror(-ret));
	if (ret == 0 && session->detached)
		ret = console_relay_spawn(&session->console, session->registry.dir, session->spec.cfg.name, err,
					  sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	ret = session_start(session, err, sizeof(err), &exit_status);
	if (ret < 0 && err[0])
		cli_error("%s", err);
	if (ret < 0 && session->detached)
		session_drain_console(session);
	else if (ret == 0)
		session_announce_started(session);
	if (ret == 0)
		exit_status = session_supervise(session);
	session_free(session);
	return exit_status;
}
