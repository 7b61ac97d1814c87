/*
 * Live migration of a logical server (protocol.h has the message sequence
 * and the rule that exactly one end runs the guest).
 */
#ifndef SHEER_P2V_MIGRATE_MIGRATE_H
#define SHEER_P2V_MIGRATE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2v/checkpoint/checkpoint.h"
#include "vmm/machine/config.h"
#include "vmm/vm/vm.h"

#define MIGRATE_DEFAULT_DOWNTIME_MS 300
#define MIGRATE_DEFAULT_TIMEOUT_S 600
/* The rounds a result records one by one (later ones are only counted). */
#define MIGRATE_MAX_ROUNDS 30

struct migrate_options {
	uint64_t downtime_ns;		/* the pause the source may cause */
	uint64_t timeout_ns;		/* pre-copy past this is cancelled; the source keeps running */
	uint64_t bandwidth;		/* bytes per second, 0: as fast as the link goes */
};

/* After each pre-copy round: what it sent and what is left. */
struct migrate_round {
	unsigned int round;
	uint64_t pages_sent;
	uint64_t dirty_pages;		/* found dirty at the start of the next round */
	uint64_t bytes_total;
	uint64_t ram_pages;
	uint64_t rate;			/* bytes per second over the round */
	unsigned int throttle_pct;	/* of the vCPUs' time, taken away so that pre-copy converges */
};

struct migrate_progress {
	void (*update)(void *ctx, const struct migrate_round *round);
	void *ctx;
};

/* One pre-copy round, as `sheer migrate --json` lists it. */
struct migrate_round_record {
	uint64_t pages;			/* sent in it, zero pages too */
	uint64_t bytes;
	uint64_t ns;			/* to the target's MRAK */
	uint64_t dirty_pages;		/* found dirty after it */
	unsigned int throttle_pct;	/* in force when it ended */
};

struct migrate_result {
	uint64_t total_ns;
	uint64_t downtime_ns;		/* from the source's pause to the target's MRUN */
	uint64_t final_ns;		/* of it: from the pause until MEND was handed to the connection */
	uint64_t load_ns;		/* of it: the target applying the machine state after MEND (its figure) */
	uint64_t final_pages;		/* the non-zero pages sent while paused */
	uint64_t bytes;
	unsigned int rounds;
	uint64_t pages;
	bool committed;			/* MGO0 was sent: the source must never resume */
	unsigned int n_round_log;
	struct migrate_round_record round_log[MIGRATE_MAX_ROUNDS];
};

/*
 * Source: move the running vm over fd (connected to a target). 0: the target
 * runs the guest, the caller stops its VM. < 0 with committed false: the
 * guest runs here as before (resumed if it was paused). < 0 with committed
 * true: the target may be running it; the VM stays paused.
 */
int migrate_source(struct vm *vm, const struct server_config *cfg, int fd, const struct migrate_options *options,
		   const struct migrate_progress *progress, struct migrate_result *result, char *err, size_t errlen);

/* Target, first step (in the supervisor): the magic, HDR0 and CPID; info->cfg is the server to place. */
struct migrate_hello {
	struct checkpoint_info info;
	void *cpuid;			/* the CPID payload */
	size_t cpuid_len;
};
int migrate_receive_hello(int fd, struct migrate_hello *hello, char *err, size_t errlen);
void migrate_hello_free(struct migrate_hello *hello);
/* Tell the source why this target will not take the server. */
void migrate_refuse(int fd, const char *why);
/* Target, in the VMM before it is confined: the empty VM as cfg with the hello's CPUID (refused if this host cannot). */
int migrate_receive_build(int fd, const struct migrate_hello *hello, const struct server_config *cfg,
			  struct vm **out, char *err, size_t errlen);
/*
 * Then, confined: say ready, take pages and state, confirm, wait for the
 * switch-over, start the guest (hooks->start_guest) and answer that it runs.
 * 0: the guest is this host's; 1: it is, but the source did not hear so (it
 * stays paused there, err says why); < 0: the source goes on, the caller
 * discards vm.
 */
struct migrate_receiver {
	bool (*stop_requested)(void *ctx);	/* true: back out while the source can still keep the guest */
	void (*start_guest)(void *ctx);		/* after MGO0, before MRUN: MRUN says the guest runs */
	void *ctx;
};
int migrate_receive(int fd, struct vm *vm, const struct migrate_receiver *hooks, uint64_t *bytes, char *err,
		    size_t errlen);

#endif
