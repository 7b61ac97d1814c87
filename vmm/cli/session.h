/*
 * The foreground session of one logical server (vmm/cli/session.c): name
 * check, placement, devices, registry entry and control socket in the
 * supervisor; the VM's build and run in the confined VMM process
 * (vmm/cli/supervisor.h); the cleanup after it in the supervisor, on one
 * path whatever way the VMM ends.
 */
#ifndef SHEER_VMM_CLI_SESSION_H
#define SHEER_VMM_CLI_SESSION_H

#include <hwloc.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "p2v/migrate/migrate.h"
#include "passthru/host/assign.h"
#include "vmm/cli/supervisor.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/server/console_relay.h"
#include "vmm/server/control.h"
#include "vmm/server/placement.h"
#include "vmm/server/registry.h"
#include "vmm/server/spec.h"
#include "vmm/vm/vm.h"

#define ERR_MAX 1024

struct run_session {
	struct server_spec spec;
	struct registry registry;
	struct placement_host host;
	hwloc_bitmap_t taken;		/* host CPUs this server holds */
	struct vm *vm;
	struct passthru_claims claims;	/* devices bound to vfio-pci for this server */
	bool refused;			/* a refusal its errno does not show: devices the host keeps, no usable KVM */
	struct control_server control;
	int listen_fd;			/* the control socket, made by the supervisor, served by the VMM */
	char socket_path[REGISTRY_SOCKET_PATH_MAX];
	struct sandbox_user user;	/* who the VMM becomes */
	struct sandbox sandbox;
	struct supervisor supervisor;
	pid_t supervisor_pid;
	sigset_t stop_signals;
	pthread_t signal_thread;
	atomic_bool finished;
	/* `sheer start`: the console goes to a relay (log, `sheer console`); started_fd hears 'r' once the guest runs. */
	bool detached;
	int started_fd;
	struct console_relay console;
	const char *restore_from;	/* a checkpoint file to build the VM from instead of booting */
	int receive_fd;			/* an incoming migration to build the VM from, or -1 */
	int ready_fd;			/* the VMM's: the switch-over is told to the supervisor here, or -1 */
	unsigned int n_failover_pool;	/* receive --failover-pool: NICs for the server's failover pairs */
	char failover_pool[SERVER_MAX_DEVICES][16];
	const char *receive_from;	/* its address, for messages */
	struct migrate_hello hello;	/* what the source said it sends */
	/* An outgoing migration, as status shows it (set by the control worker, read by the control thread). */
	pthread_mutex_t migration_lock;
	bool migrating;
	struct control_migration migration;
	const struct control_channel *migration_channel;
	struct control_outcomes checkpoints, migrations;	/* under migration_lock: the metrics' counters */
	atomic_bool receiving;		/* the stream is coming in: status says "receiving" */
	int receive_ret;
	uint64_t received_bytes;
	char receive_err[ERR_MAX];
};

/* Nothing yet: no descriptors, no VM. */
void session_init(struct run_session *session);
/* In a process forked to run a server in the background: a session of its own, no terminal, stdin from /dev/null. */
int session_detach(void);
/* Register, place, build (boot, restore or receive), run and clean up; returns the exit status. */
int session_main(struct run_session *session);

#endif
