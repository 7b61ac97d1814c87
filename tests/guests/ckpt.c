/*
 * Checkpoint/restore continuity. The runner saves this guest once it has
 * printed "ckpt: count 5" and restores it in a new process; whatever the
 * restore gets wrong shows in the one summary line at the end:
 *  - pattern: 1 MiB at 16 MiB, and one qword in each of 8 pages spread over
 *    20-56 MiB (sparse capture), hold a pattern of their address and a seed;
 *  - timer: the local APIC timer (periodic) must keep ticking, so the tick
 *    count grows between any two count lines;
 *  - thre: every output byte waits for exactly one UART transmit-empty
 *    interrupt (IRQ 4, edge, through the IO-APIC), so an interrupt lost or
 *    delivered twice across the restore is counted.
 * Only the designed lines are printed: the output before the checkpoint
 * followed by the output after the restore reads as one run, counts 1..12.
 */
#include "lib.h"

#define COM1		0x3f8
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_ID_MASK	0x0e
#define IIR_THRI	0x02
#define MCR_DTR_RTS_OUT2 0x0b

#define LAPIC		0xfee00000ULL
#define LAPIC_TPR	0x80
#define LAPIC_EOI	0xb0
#define LAPIC_SVR	0xf0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV	0x3e0
#define LVT_PERIODIC	(1U << 17)
#define UART_IRQ	4

#define VEC_SERIAL	0x24
#define VEC_TIMER	0x30
#define VEC_SPURIOUS	0xff

/* KVM's local APIC timer counts at 1 GHz: divided by 16, 62500 counts are 1 ms. */
#define TIMER_DIV_16	0x3
#define TIMER_COUNT	62500

#define REGION		(16ULL << 20)
#define REGION_SIZE	(1ULL << 20)
#define SPARSE_PAGES	8
#define SPARSE_BASE	(20ULL << 20)
#define SPARSE_STRIDE	(5ULL << 20)
#define GOLDEN		0x9e3779b97f4a7c15ULL

#define COUNTS		12
#define TICKS_PER_COUNT	250		/* about 250 ms of waiting per count line */
#define WORK_TIMEOUT_MS	2000		/* a stopped timer must show as "timer bad", not hang */
#define THRE_TIMEOUT_MS	500		/* generous: the interrupt comes right after the write */
#define LOST_FALLBACK	3		/* this many lost interrupts: print polled from then on */
#define PM_MAX_STEP	(PM_TIMER_HZ / 20)	/* 50 ms, see stopwatch_passed */
#define PM_MASK		0xffffff

struct stopwatch {
	uint32_t last;		/* PM timer at the previous look */
	uint64_t elapsed;	/* PM timer ticks summed so far */
};

struct pattern_check {
	unsigned int bad;
	uint64_t first_bad;
};

static volatile uint64_t ticks;
static volatile unsigned int serial_irqs, thre_irqs;
static unsigned int want_serial, want_thre;	/* the counters once each write so far was answered */
static unsigned int lost, dup, stalled;
static int polled;
static uint16_t pm_tmr_port;
static uint64_t seed;

extern void ckpt_isr_timer(void), ckpt_isr_serial(void), ckpt_isr_spurious(void);

void ckpt_timer_interrupt(void)
{
	ticks++;
	mmio_write32(LAPIC + LAPIC_EOI, 0);
}

/* Only THRI is enabled; reading IIR acknowledges it. Bounded in case a restored UART is confused. */
void ckpt_serial_interrupt(void)
{
	serial_irqs++;
	for (int i = 0; i < 4; i++) {
		uint8_t iir = inb(COM1 + UART_IIR);

		if (iir & IIR_NO_INT)
			break;
		if ((iir & IIR_ID_MASK) == IIR_THRI)
			thre_irqs++;
	}
	mmio_write32(LAPIC + LAPIC_EOI, 0);
}

void ckpt_spurious_interrupt(void)
{
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
 * Real time from the ACPI PM timer, not the LAPIC timer under test. Summed in steps of at most 50 ms:
 * the restored VM runs in a new process whose PM timer may start anywhere, and that one jump must
 * not look like a timeout.
 */
static int stopwatch_passed(struct stopwatch *sw, unsigned int ms)
{
	uint32_t now = pm_now(), step = (now - sw->last) & PM_MASK;

	sw->last = now;
	sw->elapsed += step < PM_MAX_STEP ? step : PM_MAX_STEP;
	return sw->elapsed >= ms * PM_TIMER_HZ / 1000;
}

/* Interrupts beyond one per write are duplicates: count them once, then expect what is there. */
static void account_duplicates(void)
{
	unsigned int serial = serial_irqs, thre = thre_irqs;
	int extra = (int)(serial - want_serial);

	if ((int)(thre - want_thre) > extra)
		extra = (int)(thre - want_thre);
	if (extra > 0)
		dup += extra;
	want_serial = serial;
	want_thre = thre;
}

static int thre_answered(void)
{
	return (int)(thre_irqs - want_thre) >= 0;
}

/*
 * One write that must raise exactly one THRE interrupt, and the wait for it. Spinning rather than
 * hlt: a hlt would depend on the timer to wake up, and the timer is under test too.
 */
static void write_expecting_thre(uint16_t port, uint8_t value)
{
	struct stopwatch sw;

	account_duplicates();
	want_serial++;
	want_thre++;
	outb(port, value);
	if (thre_answered())
		return;
	stopwatch_start(&sw);
	while (!thre_answered()) {
		if (stopwatch_passed(&sw, THRE_TIMEOUT_MS)) {
			lost++;
			want_serial = serial_irqs;
			want_thre = thre_irqs;
			return;
		}
		__asm__ volatile("pause");
	}
}

static void out_char(char c)
{
	if (polled) {
		gprintf("%c", c);
		return;
	}
	write_expecting_thre(COM1, c);
	if (lost >= LOST_FALLBACK) {	/* waiting THRE_TIMEOUT_MS per byte would take minutes */
		outb(COM1 + UART_IER, 0);
		polled = 1;
	}
}

/* gprintf's formats, every byte through the THRE handshake. */
static void cprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(out_char, fmt, ap);
	va_end(ap);
}

static void timer_start(void)
{
	mmio_write32(LAPIC + LAPIC_TIMER_DIV, TIMER_DIV_16);
	mmio_write32(LAPIC + LAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
	mmio_write32(LAPIC + LAPIC_TIMER_INIT, TIMER_COUNT);
}

static void interrupts_start(const uint8_t *zp)
{
	const struct acpi_header *fadt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "FACP");

	if (!fadt)
		guest_fail("ckpt: no FADT");
	pm_tmr_port = acpi_fadt32(fadt, FADT_PM_TMR);
	idt_set_gate(VEC_SERIAL, ckpt_isr_serial);
	idt_set_gate(VEC_TIMER, ckpt_isr_timer);
	idt_set_gate(VEC_SPURIOUS, ckpt_isr_spurious);
	idt_load();
	pic_mask_all();
	mmio_write32(LAPIC + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	mmio_write32(LAPIC + LAPIC_TPR, 0);
	ioapic_route(UART_IRQ, VEC_SERIAL, 0);
	timer_start();
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	__asm__ volatile("sti");
	/* Enabling THRI while the transmitter is empty raises one interrupt by itself: the first answer. */
	write_expecting_thre(COM1 + UART_IER, IER_THRI);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* A different offset in each page, so that not only page starts are looked at. */
static uint64_t sparse_addr(unsigned int i)
{
	return SPARSE_BASE + i * SPARSE_STRIDE + ((i * 0x238) & 0xff8);
}

/* addr * GOLDEN ^ seed, the product kept by addition: cheap in emulated instructions. */
static void fill_pattern(void)
{
	volatile uint64_t *p = (volatile uint64_t *)REGION;
	uint64_t product = REGION * GOLDEN;

	for (uint64_t i = 0; i < REGION_SIZE / 8; i++, product += 8 * GOLDEN)
		p[i] = product ^ seed;
	for (unsigned int i = 0; i < SPARSE_PAGES; i++)
		*(volatile uint64_t *)sparse_addr(i) = sparse_addr(i) * GOLDEN ^ seed;
}

static void note_bad(struct pattern_check *c, uint64_t addr)
{
	if (!c->bad++)
		c->first_bad = addr;
}

static struct pattern_check check_pattern(void)
{
	const volatile uint64_t *p = (const volatile uint64_t *)REGION;
	uint64_t product = REGION * GOLDEN;
	struct pattern_check c = { 0, 0 };

	for (uint64_t i = 0; i < REGION_SIZE / 8; i++, product += 8 * GOLDEN)
		if (p[i] != (product ^ seed))
			note_bad(&c, REGION + 8 * i);
	for (unsigned int i = 0; i < SPARSE_PAGES; i++)
		if (*(const volatile uint64_t *)sparse_addr(i) != (sparse_addr(i) * GOLDEN ^ seed))
			note_bad(&c, sparse_addr(i));
	return c;
}

/* Let the timer tick TICKS_PER_COUNT times, or give up after WORK_TIMEOUT_MS of real time. */
static void work(void)
{
	uint64_t until = ticks + TICKS_PER_COUNT;
	struct stopwatch sw;

	stopwatch_start(&sw);
	while (ticks < until && !stopwatch_passed(&sw, WORK_TIMEOUT_MS))
		for (int i = 0; i < 16; i++)
			__asm__ volatile("pause");
}

/* The timer must have ticked since the previous look. */
static void check_ticked(uint64_t *last)
{
	uint64_t now = ticks;

	if (now == *last)
		stalled++;
	*last = now;
}

static void print_summary(unsigned int counted, struct pattern_check pattern)
{
	cprintf("ckpt: done count %u", counted);
	if (pattern.bad)
		cprintf(" pattern bad %u at 0x%lx", pattern.bad, pattern.first_bad);
	else
		cprintf(" pattern ok");
	if (stalled)
		cprintf(" timer bad stalled %u", stalled);
	else
		cprintf(" timer ok");
	if (lost || dup)
		cprintf(" thre bad lost %u dup %u\n", lost, dup);
	else
		cprintf(" thre ok\n");
}

void guest_main(const uint8_t *zp)
{
	unsigned int count;
	uint64_t last;

	interrupts_start(zp);
	cprintf("ckpt: start\n");
	seed = rdtsc();
	fill_pattern();
	last = ticks;
	for (count = 1; count <= COUNTS; count++) {
		if (count > 1)
			check_ticked(&last);
		cprintf("ckpt: count %u ticks %lu\n", count, last);
		work();
	}
	check_ticked(&last);
	account_duplicates();	/* any late second answer to the last byte */
	print_summary(count - 1, check_pattern());
	outb(COM1 + UART_IER, 0);	/* guest_poweroff's own line is polled */
	__asm__ volatile("cli");
	guest_poweroff();
}
