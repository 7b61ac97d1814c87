/*
 * The source's side (protocol.h): hello, pre-copy rounds while the guest
 * runs, then the pause, the rest, and the switch-over. Runs on the VMM's
 * control thread, on a socket the `sheer migrate` command connected.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "p2v/checkpoint/header.h"
#include "p2v/migrate/migrate.h"
#include "p2v/migrate/protocol.h"
#include "p2v/migrate/stream.h"
#include "vmm/kvm/memory_pages.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/le.h"

#define PAGE_SIZE 4096
/* Waiting for the target to place and build the server (its RAM is allocated then). */
#define MIGRATE_READY_TIMEOUT_MS 120000
/* Waiting for the target to load the state, and to start the guest after MGO0. */
#define MIGRATE_ANSWER_TIMEOUT_MS 30000
/* A round's MRAK comes after whatever the buffers on the way still held (two with TLS): minutes on a slow link. */
#define MIGRATE_ROUND_ACK_TIMEOUT_MS 120000
/* A round of a large guest takes long: status and the progress line hear of it this often. */
#define MIGRATE_REPORT_EVERY (64ULL << 20)

struct source_run {
	struct vm *vm;
	const struct migrate_options *options;
	const struct migrate_progress *progress;
	struct migrate_result *result;
	struct migrate_stream st;
	struct state_sink sink;
	struct dirty_log log;
	bool logging;
	bool paused;
	unsigned int throttle_pct;
	unsigned int round;		/* in progress */
	struct migrate_round last;	/* what the last whole round reported */
	uint64_t next_report;		/* bytes_sent at which a long round reports how far it got */
	uint64_t pause_ns;
	uint64_t start_ns;
	uint64_t answer;		/* the number the target's last answer carried (MLOD: its load time) */
	uint64_t ram_pages;
	char *err;
	size_t errlen;
};

static int source_fail(struct source_run *run, int ret, const char *fmt, const char *detail)
{
	snprintf(run->err, run->errlen, fmt, detail);
	return ret;
}

/* Keep to the bandwidth limit: sleep until the bytes sent so far are due. */
static int throttled_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct source_run *run = ctx;
	struct state_sink inner = migrate_stream_sink(&run->st);
	int ret = inner.write(inner.ctx, iov, iovcnt);
	uint64_t due_ns, elapsed;

	if (run->progress && run->st.bytes_sent >= run->next_report) {
		struct migrate_round r = run->last;

		r.round = run->round;
		r.bytes_total = run->st.bytes_sent;
		r.ram_pages = run->ram_pages;
		r.throttle_pct = run->throttle_pct;
		run->progress->update(run->progress->ctx, &r);
		run->next_report = run->st.bytes_sent + MIGRATE_REPORT_EVERY;
	}
	if (ret < 0 || !run->options->bandwidth)
		return ret;
	due_ns = (uint64_t)((double)run->st.bytes_sent * 1e9 / (double)run->options->bandwidth);
	elapsed = clock_monotonic_ns() - run->start_ns;
	if (due_ns > elapsed) {
		struct timespec nap = { (time_t)((due_ns - elapsed) / 1000000000ull),
					(long)((due_ns - elapsed) % 1000000000ull) };

		nanosleep(&nap, NULL);
	}
	return 0;
}

static int send_hello(struct source_run *run, const struct server_config *cfg)
{
	struct checkpoint_info info;
	struct state_writer w;
	uint8_t version[4];
	int ret = migrate_stream_send_raw(&run->st, MIGRATE_MAGIC, 8);

	le_put(version, MIGRATE_PROTOCOL_VERSION, sizeof(version));
	if (ret == 0)
		ret = migrate_stream_send(&run->st, MIGRATE_HELLO, version, sizeof(version));
	checkpoint_info_fill(&info, cfg);
	state_writer_init(&w);
	checkpoint_header_encode(&info, &w);
	if (ret == 0)
		ret = state_sink_writer(&run->sink, CHECKPOINT_HEADER_TYPE, CHECKPOINT_SECTION_VERSION, 0, &w);
	state_writer_free(&w);
	if (ret == 0)
		ret = vm_save_cpuid(run->vm, &run->sink);
	return ret < 0 ? source_fail(run, ret, "sending to the target: %s", strerror(-ret)) : 0;
}

/*
 * The target's answer: expected, or its reason for not going on: MREF (it
 * will not take this server: the operator's to change, -ECONNREFUSED) or
 * MFAL (something failed there: -EREMOTEIO).
 */
static int await_answer(struct source_run *run, uint32_t expected, uint32_t refusal, int timeout_ms)
{
	struct state_section s;
	const uint8_t *payload;
	char why[200], text[MIGRATE_TEXT_MAX + 1];
	int ret;

	run->st.timeout_ms = timeout_ms;
	ret = migrate_stream_receive(&run->st, &s, &payload, why, sizeof(why));
	if (ret < 0)
		return source_fail(run, ret, "the target: %s", why);
	if (s.type == refusal) {
		snprintf(text, sizeof(text), "%.*s", (int)(s.length < MIGRATE_TEXT_MAX ? s.length : MIGRATE_TEXT_MAX),
			 (const char *)payload);
		return refusal == MIGRATE_REFUSED ? source_fail(run, -ECONNREFUSED, "the target refused: %s", text)
						  : source_fail(run, -EREMOTEIO, "the target failed: %s", text);
	}
	if (s.type != expected)
		return source_fail(run, -EPROTO, "%s", "the target answered out of turn");
	run->answer = s.length >= 8 ? le_get(payload, 8) : 0;
	return 0;
}

static void report_round(struct source_run *run, unsigned int round, uint64_t pages, uint64_t dirty,
			 uint64_t round_ns, uint64_t round_bytes, uint64_t rate)
{
	struct migrate_round r = { round, pages, dirty, run->st.bytes_sent, run->ram_pages, rate, run->throttle_pct };

	run->last = r;
	if (run->result->n_round_log < MIGRATE_MAX_ROUNDS)
		run->result->round_log[run->result->n_round_log++] = (struct migrate_round_record){
			pages, round_bytes, round_ns, dirty, run->throttle_pct };
	if (run->progress)
		run->progress->update(run->progress->ctx, &r);
}

/*
 * Sending failed: a target that backs out says why (MFAL) before it closes,
 * and the source, busy writing, hits the closed socket first. Its last
 * words, if they are there to read, name the cause better than EPIPE.
 */
#define MIGRATE_LAST_WORDS_MS 1000
static int send_failed(struct source_run *run, int ret, const char *what)
{
	int said;

	if (ret != -EPIPE && ret != -ECONNRESET)
		return source_fail(run, ret, what, strerror(-ret));
	said = await_answer(run, 0, MIGRATE_FAILED, MIGRATE_LAST_WORDS_MS);
	if (said == -EREMOTEIO || said == -ECONNREFUSED)
		return said;
	return source_fail(run, ret, what, strerror(-ret));
}

/*
 * One round: the pages the log holds now; *rate: the bytes per second that
 * reached the target's RAM (timed to its MRAK, not into socket buffers, or a
 * short last round would promise a pause it cannot keep); *dirty: what is left.
 */
static int send_round(struct source_run *run, unsigned int round, uint64_t *rate, uint64_t *dirty)
{
	struct memory_send_stats stats = { 0 };
	uint64_t start = clock_monotonic_ns(), bytes = run->st.bytes_sent, ns;
	uint8_t marker[12];
	int ret = memory_send_dirty(&run->log, &run->sink, round == 1, &stats);

	le_put(marker, round, 4);
	le_put(marker + 4, stats.data_pages + stats.zero_pages, 8);
	if (ret == 0)
		ret = migrate_stream_send(&run->st, MIGRATE_ROUND, marker, sizeof(marker));
	if (ret < 0)
		return send_failed(run, ret, "pre-copy: %s");
	ret = await_answer(run, MIGRATE_ROUND_DONE, MIGRATE_FAILED, MIGRATE_ROUND_ACK_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	ret = dirty_log_fetch(&run->log, dirty);
	if (ret < 0)
		return source_fail(run, ret, "pre-copy: %s", strerror(-ret));
	ns = clock_monotonic_ns() - start;
	*rate = ns ? (uint64_t)((double)(run->st.bytes_sent - bytes) * 1e9 / (double)ns) : 0;
	run->result->rounds = round;
	run->result->pages += stats.data_pages;
	report_round(run, round, stats.data_pages + stats.zero_pages, *dirty, ns, run->st.bytes_sent - bytes, *rate);
	return 0;
}

/*
 * Auto-converge, as QEMU's: when the guest dirtied more than half of what a
 * round sent, take 20% of the vCPUs' time away, then 10% more each round
 * it still does, up to 99%. The guest runs slower, never stops.
 */
static void throttle_if_outrun(struct source_run *run, uint64_t dirty_pages, uint64_t round_bytes)
{
	if ((double)dirty_pages * PAGE_SIZE <= (double)round_bytes / 2)
		return;
	run->throttle_pct = run->throttle_pct ? run->throttle_pct + 10 : 20;
	if (run->throttle_pct > 99)
		run->throttle_pct = 99;
	/* Without its timers (a host out of them) pre-copy goes on unthrottled, bounded by the time limit. */
	(void)vm_set_throttle(run->vm, run->throttle_pct);
}

/* Rounds until what is dirty can be sent within the downtime limit; -ETIMEDOUT past the time limit. */
static int precopy(struct source_run *run)
{
	uint64_t dirty, rate = 0;
	int ret = vm_dirty_log_start(run->vm, &run->log);

	if (ret < 0)
		return source_fail(run, ret, "dirty logging: %s",
				   ret == -EOPNOTSUPP ? "not offered by this host's KVM" : strerror(-ret));
	run->logging = true;
	ret = dirty_log_fetch(&run->log, &dirty);
	for (unsigned int round = 1; ret == 0; round++) {
		uint64_t before = run->st.bytes_sent;

		run->round = round;
		ret = send_round(run, round, &rate, &dirty);
		if (ret < 0)
			return ret;
		if (round > 1)
			throttle_if_outrun(run, dirty, run->st.bytes_sent - before);
		if (rate && (double)dirty * PAGE_SIZE * 1e9 / (double)rate <= (double)run->options->downtime_ns)
			return 0;
		if (clock_monotonic_ns() - run->start_ns > run->options->timeout_ns)
			return source_fail(run, -ETIMEDOUT, "%s",
					   "the guest dirties memory faster than it can be sent; cancelled at the time limit");
	}
	return ret;
}

/* Paused: the last pages and the machine, then the target's word that it has it all. */
static int stop_and_copy(struct source_run *run)
{
	struct memory_send_stats stats = { 0 };
	uint64_t dirty;
	uint8_t end[8] = { 0 };
	int ret = vm_pause(run->vm);

	if (ret < 0)
		return source_fail(run, ret, "pausing: %s", strerror(-ret));
	run->paused = true;
	run->pause_ns = clock_monotonic_ns();
	ret = dirty_log_fetch(&run->log, &dirty);
	if (ret == 0)
		ret = memory_send_dirty(&run->log, &run->sink, false, &stats);
	run->result->pages += stats.data_pages;
	run->result->final_pages = stats.data_pages;
	if (ret < 0)
		return send_failed(run, ret, "sending the last pages: %s");
	ret = vm_save_machine_state(run->vm, &run->sink, run->err, run->errlen);
	if (ret == 0)
		ret = migrate_stream_send(&run->st, MIGRATE_END, end, sizeof(end));
	if (ret < 0)
		return ret;
	run->result->final_ns = clock_monotonic_ns() - run->pause_ns;
	ret = await_answer(run, MIGRATE_LOADED, MIGRATE_FAILED, MIGRATE_ANSWER_TIMEOUT_MS);
	/* The target's own figure, for the report only: never more than the time the answer took. */
	run->result->load_ns = run->answer < clock_monotonic_ns() - run->pause_ns ? run->answer : 0;
	return ret;
}

/* Everything up to the target saying it has the whole machine; on failure the guest runs here as before. */
static int source_transfer(struct source_run *run, const struct server_config *cfg)
{
	int ret = send_hello(run, cfg);

	if (ret == 0)
		ret = await_answer(run, MIGRATE_READY, MIGRATE_REFUSED, MIGRATE_READY_TIMEOUT_MS);
	if (ret == 0)
		ret = precopy(run);
	if (ret == 0)
		ret = stop_and_copy(run);
	return ret;
}

int migrate_source(struct vm *vm, const struct server_config *cfg, int fd, const struct migrate_options *options,
		   const struct migrate_progress *progress, struct migrate_result *result, char *err, size_t errlen)
{
	struct source_run run = { .vm = vm, .options = options, .progress = progress, .result = result,
				  .err = err, .errlen = errlen, .start_ns = clock_monotonic_ns(),
				  .ram_pages = cfg->memory_bytes / PAGE_SIZE };
	int ret;

	memset(result, 0, sizeof(*result));
	ret = migrate_stream_init(&run.st, fd, MIGRATE_ANSWER_TIMEOUT_MS);
	if (ret < 0)
		return source_fail(&run, ret, "%s", strerror(-ret));
	run.sink = (struct state_sink){ throttled_write, &run, 0 };
	ret = source_transfer(&run, cfg);
	if (ret == 0) {
		/* The switch-over: from here on this guest never runs here again. */
		ret = migrate_stream_send(&run.st, MIGRATE_GO, NULL, 0);
		result->committed = true;
		if (ret == 0)
			ret = await_answer(&run, MIGRATE_RUNNING, MIGRATE_FAILED, MIGRATE_ANSWER_TIMEOUT_MS);
	}
	if (run.throttle_pct)
		(void)vm_set_throttle(vm, 0);
	if (run.logging)
		vm_dirty_log_stop(vm, &run.log);
	if (!result->committed && run.paused)
		vm_resume(vm);
	result->bytes = run.st.bytes_sent;
	result->total_ns = clock_monotonic_ns() - run.start_ns;
	result->downtime_ns = run.paused ? clock_monotonic_ns() - run.pause_ns : 0;
	migrate_stream_free(&run.st);
	return ret;
}
