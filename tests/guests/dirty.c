/*
 * dirty: keeps rewriting its memory and counting on the serial port, for
 * tests/guests/migrate.sh (live migration while the guest dirties pages).
 *
 * Each pass walks a hot region at 16 MiB, one qword per cache line: it
 * checks that the qword still holds what the previous pass wrote there, and
 * writes this pass's value, a pattern of the address, the pass number and a
 * seed from the TSC (so no other boot's memory can pass the check). A cold
 * region at 32 MiB, one qword per page written once at start, is checked
 * after every pass: pre-copy sends it only in its first round. Each pass
 * ends with one line, "dirty: pass N ok", or "dirty: pass N BAD at 0x..."
 * naming the first qword that did not hold what it should (then the next
 * passes go on from the rewritten values). The guest never powers off.
 *
 * Kernel command line: dirty.kib=N (hot region, KiB, default 2048) and
 * dirty.pass_ms=N (spread the pages of a pass over at least N ms of PM
 * timer time, default 0: as fast as it goes), so that a test can give the
 * guest a dirty rate below a migration's bandwidth limit.
 */
#include "lib.h"

#define HOT_BASE	(16ULL << 20)
#define HOT_MAX_KIB	(16U << 10)
#define HOT_DEFAULT_KIB	2048
#define COLD_BASE	(32ULL << 20)
#define COLD_PAGES	512
#define PAGE_SIZE	4096
#define LINE_SIZE	64
#define LINES_PER_PAGE	(PAGE_SIZE / LINE_SIZE)
#define GOLDEN		0x9e3779b97f4a7c15ULL
#define PASS_SALT	0xc2b2ae3d27d4eb4fULL
#define PM_MASK		0xffffff
#define PM_MAX_STEP	(PM_TIMER_HZ / 20)	/* 50 ms, see stopwatch_ms */

struct stopwatch {
	uint32_t last;		/* PM timer at the previous look */
	uint64_t elapsed;	/* PM timer ticks summed so far */
};

struct pass_check {
	unsigned int bad;
	uint64_t first_bad;
};

static uint16_t pm_tmr_port;
static uint64_t seed;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint32_t pm_now(void)
{
	return inl(pm_tmr_port) & PM_MASK;
}

static void stopwatch_start(struct stopwatch *sw)
{
	sw->last = pm_now();
	sw->elapsed = 0;
}

/*
 * Milliseconds since the start, summed in steps of at most 50 ms: after a
 * migration the PM timer is the target's, which may start anywhere, and
 * that one jump must not look like a long pause (or a negative one).
 */
static uint64_t stopwatch_ms(struct stopwatch *sw)
{
	uint32_t now = pm_now(), step = (now - sw->last) & PM_MASK;

	sw->last = now;
	sw->elapsed += step < PM_MAX_STEP ? step : PM_MAX_STEP;
	return sw->elapsed * 1000 / PM_TIMER_HZ;
}

/* The decimal value after KEY on the command line, or fallback when it is absent. */
static unsigned int cmdline_value(const char *cmdline, const char *key, unsigned int fallback)
{
	const char *at = cmdline ? gstrstr(cmdline, key) : 0;
	unsigned int value = 0;

	if (!at)
		return fallback;
	for (at += gstrlen(key); *at >= '0' && *at <= '9'; at++)
		value = value * 10 + (unsigned int)(*at - '0');
	return value;
}

static uint64_t pass_key(unsigned int pass)
{
	return seed ^ (pass * PASS_SALT);
}

static void note_bad(struct pass_check *c, uint64_t addr)
{
	if (!c->bad++)
		c->first_bad = addr;
}

/* A different offset in each cold page, so that not only page starts are looked at. */
static uint64_t cold_addr(unsigned int i)
{
	return COLD_BASE + (uint64_t)i * PAGE_SIZE + ((i * 0x238) & 0xff8);
}

static void cold_fill(void)
{
	for (unsigned int i = 0; i < COLD_PAGES; i++)
		*(volatile uint64_t *)cold_addr(i) = cold_addr(i) * GOLDEN ^ seed;
}

static void cold_check(struct pass_check *c)
{
	for (unsigned int i = 0; i < COLD_PAGES; i++)
		if (*(const volatile uint64_t *)cold_addr(i) != (cold_addr(i) * GOLDEN ^ seed))
			note_bad(c, cold_addr(i));
}

/*
 * One page of the hot region: check the previous pass's value (unless this
 * is the first fill) and write this pass's. addr * GOLDEN is kept by
 * addition: cheap in emulated instructions.
 */
static void hot_page(uint64_t page, unsigned int pass, struct pass_check *c)
{
	volatile uint64_t *p = (volatile uint64_t *)page;
	uint64_t product = page * GOLDEN, old_key = pass_key(pass - 1), new_key = pass_key(pass);

	for (unsigned int i = 0; i < LINES_PER_PAGE; i++, product += LINE_SIZE * GOLDEN) {
		uint64_t *word = (uint64_t *)&p[i * (LINE_SIZE / 8)];

		if (pass && *(volatile uint64_t *)word != (product ^ old_key))
			note_bad(c, (uint64_t)word);
		*(volatile uint64_t *)word = product ^ new_key;
	}
}

/* Spin until page `done` of `pages` is due, when the pass is spread over pass_ms. */
static void pace(struct stopwatch *sw, unsigned int done, unsigned int pages, unsigned int pass_ms)
{
	uint64_t due_ms = (uint64_t)done * pass_ms / pages;

	while (stopwatch_ms(sw) < due_ms)
		__asm__ volatile("pause");
}

static struct pass_check hot_pass(unsigned int pass, unsigned int pages, unsigned int pass_ms)
{
	struct pass_check c = { 0, 0 };
	struct stopwatch sw;

	stopwatch_start(&sw);
	for (unsigned int i = 0; i < pages; i++) {
		hot_page(HOT_BASE + (uint64_t)i * PAGE_SIZE, pass, &c);
		if (pass_ms)
			pace(&sw, i + 1, pages, pass_ms);
	}
	return c;
}

static void report(unsigned int pass, struct pass_check c)
{
	if (c.bad)
		gprintf("dirty: pass %u BAD at 0x%lx (%u qwords)\n", pass, c.first_bad, c.bad);
	else
		gprintf("dirty: pass %u ok\n", pass);
}

void guest_main(const uint8_t *zp)
{
	const struct acpi_header *fadt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "FACP");
	const char *cmdline = (const char *)(uint64_t)zp32(zp, ZP_CMDLINE);
	unsigned int kib = cmdline_value(cmdline, "dirty.kib=", HOT_DEFAULT_KIB);
	unsigned int pass_ms = cmdline_value(cmdline, "dirty.pass_ms=", 0);
	unsigned int pages;

	if (!fadt)
		guest_fail("dirty: no FADT");
	if (kib < PAGE_SIZE / 1024 || kib > HOT_MAX_KIB)
		guest_fail("dirty: dirty.kib out of range");
	pm_tmr_port = acpi_fadt32(fadt, FADT_PM_TMR);
	pages = kib / (PAGE_SIZE / 1024);
	seed = rdtsc();
	cold_fill();
	hot_pass(0, pages, 0);
	gprintf("dirty: start %u KiB hot, %u KiB cold, pass_ms %u\n", kib, COLD_PAGES * PAGE_SIZE / 1024, pass_ms);
	for (unsigned int pass = 1;; pass++) {
		struct pass_check c = hot_pass(pass, pages, pass_ms);

		cold_check(&c);
		report(pass, c);
	}
}
