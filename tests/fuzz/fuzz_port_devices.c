/* A hostile guest's port I/O on the legacy devices: any port near them, any size, in any order. */
/*
 * The devices are the VM's own table (vm_devices_add(): COM1, RTC, PCI config
 * at 0xcf8, reset control at 0xcf9, ACPI PM, i8042, port 0x80) on a machine
 * that records its interrupt lines and stops. Between accesses come what the
 * host side does: console input, the power button, and a checkpoint (pause,
 * save, resume) after which the guest goes on in the machine restored from
 * it. Two properties are checked, and a violation aborts:
 *   - each interrupt line the machine sees is at the level the device's own
 *     state says (COM1 and the SCI), as the IO-APIC relies on edges;
 *   - a saved state restores into a fresh machine, whose own save gives the
 *     same bytes (the PM timer excepted: it may only have moved on).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/machine/layout.h"
#include "vmm/vm/vm_internal.h"

#define SAVED_MAX (64 * 1024)
#define PM_TIMER_AT 7		/* the PM section's timer: after status, enable, control and the SCI level */
#define PM_TIMER_BYTES 8
#define NS_PER_S 1000000000ULL
#define CHECKPOINTS_MAX 3	/* per input: each costs a save and restore of 4 KiB of PCI config space */

/* What the machine saw of its devices. */
struct fake_machine {
	bool level[IOAPIC_PINS];
};

/* The bytes of one save, and a sink writing into them. */
struct saved {
	uint8_t data[SAVED_MAX];
	size_t len;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_port_devices: %s\n", what);
	abort();
}

static void record_irq(void *opaque, unsigned int gsi, bool level)
{
	struct fake_machine *fake = opaque;

	if (gsi >= IOAPIC_PINS)
		fail("interrupt on a GSI past the IO-APIC");
	fake->level[gsi] = level;
}

static void ignore_stop(void *opaque, enum vm_exit_reason reason, const char *detail)
{
	(void)opaque;
	(void)reason;
	(void)detail;
}

static void drop_console(void *opaque, const uint8_t *data, size_t len)
{
	(void)opaque;
	(void)data;
	(void)len;
}

static int saved_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct saved *saved = ctx;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SAVED_MAX - saved->len)
			return -ENOSPC;
		memcpy(saved->data + saved->len, iov[i].iov_base, iov[i].iov_len);
		saved->len += iov[i].iov_len;
	}
	return 0;
}

/* A machine with every device at power-on, as vm_create() builds it. */
static void machine_build(struct vm *vm, struct fake_machine *fake)
{
	char err[128];

	memset(fake, 0, sizeof(*fake));
	vm->machine = (struct machine){ fake, record_irq, ignore_stop, drop_console };
	if (vm_devices_add(vm, err, sizeof(err)) < 0)
		fail(err);
}

static struct vm *machine_alloc(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		fail("out of memory");
	pthread_mutex_init(&vm->devices_lock, NULL);
	return vm;
}

static void check_lines(const struct vm *vm, const struct fake_machine *fake)
{
	if (fake->level[IRQ_COM1] != vm->dev.com1.s.irq_level)
		fail("COM1's interrupt line differs from the UART's state");
	if (fake->level[IRQ_SCI] != vm->dev.pm.s.sci_level)
		fail("the SCI line differs from the PM block's state");
}

/* Ports of the devices and two on either side of each, so that accesses straddling an edge come too. */
static uint16_t pick_port(struct fuzz_input *in)
{
	static const struct {
		uint16_t base, len;
	} windows[] = {
		{ PORT_I8042_DATA, 5 }, { PORT_RTC, 2 }, { PORT_POST, 1 },
		{ PORT_COM1, 8 }, { PORT_PM_BASE, 16 }, { PORT_PCI_CONFIG, 8 }, { PORT_FW_CFG, 2 },
		{ PORT_PCI_HOTPLUG, 12 },
	};
	unsigned int w = (unsigned int)fuzz_take(in, 1) % (sizeof(windows) / sizeof(windows[0]));

	return windows[w].base - 2 + (uint16_t)(fuzz_take(in, 1) % (windows[w].len + 4u));
}

/* What a vCPU's KVM_EXIT_IO turns into: 1, 2 or 4 bytes. */
static void port_access(struct vm *vm, struct fuzz_input *in, bool is_write)
{
	uint16_t port = pick_port(in);
	unsigned int size = fuzz_access_size(in, 4);
	uint64_t value = fuzz_take(in, 4);
	uint8_t data[8];

	memcpy(data, &value, sizeof(data));
	bus_access(&vm->pio, port, data, size, is_write);
}

/* Typed input reaching the UART, as the console thread hands it over. */
static void console_input(struct vm *vm, struct fuzz_input *in)
{
	uint8_t bytes[SERIAL_FIFO_SIZE + 8];
	size_t n = fuzz_take(in, 1) % sizeof(bytes);

	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)fuzz_take(in, 1);
	pthread_mutex_lock(&vm->devices_lock);
	serial_receive(&vm->dev.com1, bytes, n);
	pthread_mutex_unlock(&vm->devices_lock);
}

static void power_button(struct vm *vm)
{
	pthread_mutex_lock(&vm->devices_lock);
	pm_press_power_button(&vm->dev.pm);
	pthread_mutex_unlock(&vm->devices_lock);
}

static void save(struct vm *vm, struct saved *saved)
{
	struct state_sink sink = { saved_write, saved, 0 };

	saved->len = 0;
	if (vm_devices_save(vm, &sink) < 0)
		fail("saving the devices failed");
}

/* The next section of saved at *pos, or false at the end. */
static bool next_section(const struct saved *saved, size_t *pos, struct state_section *s, const uint8_t **payload)
{
	if (*pos == saved->len)
		return false;
	if (saved->len - *pos < STATE_HEADER_SIZE || state_header_decode(saved->data + *pos, s) < 0 ||
	    s->length > saved->len - *pos - STATE_HEADER_SIZE)
		fail("a device wrote a malformed section");
	*payload = saved->data + *pos + STATE_HEADER_SIZE;
	*pos += STATE_HEADER_SIZE + s->length;
	return true;
}

static void restore(struct vm *vm, const struct saved *saved)
{
	bool restored[32] = { false };
	const uint8_t *payload;
	struct state_section s;
	size_t pos = 0;

	if (vm_devices_count() > sizeof(restored) / sizeof(restored[0]))
		fail("more devices than this target knows");
	while (next_section(saved, &pos, &s, &payload))
		if (vm_devices_restore(vm, &s, payload, restored) < 0)
			fail("a device refused the state it saved itself");
	if (vm_devices_missing(vm, restored))
		fail("a device saved no state");
}

static bool pm_timer_moved_on(const uint8_t *before, const uint8_t *after)
{
	uint64_t was, now;

	memcpy(&was, before, sizeof(was));
	memcpy(&now, after, sizeof(now));
	return now >= was && now - was < NS_PER_S;
}

static bool section_same(const struct state_section *a, const uint8_t *pa, const struct state_section *b,
			 const uint8_t *pb)
{
	size_t compared = a->length;

	if (a->type != b->type || a->version != b->version || a->instance != b->instance || a->length != b->length)
		return false;
	/* The PM timer runs on from the restore: the same bytes around it, the timer a little further. */
	if (a->type == pm_device.state_type)
		return compared >= PM_TIMER_AT + PM_TIMER_BYTES && memcmp(pa, pb, PM_TIMER_AT) == 0 &&
		       pm_timer_moved_on(pa + PM_TIMER_AT, pb + PM_TIMER_AT) &&
		       memcmp(pa + PM_TIMER_AT + PM_TIMER_BYTES, pb + PM_TIMER_AT + PM_TIMER_BYTES,
			      compared - PM_TIMER_AT - PM_TIMER_BYTES) == 0;
	return memcmp(pa, pb, compared) == 0;
}

static void compare(const struct saved *a, const struct saved *b)
{
	size_t pos_a = 0, pos_b = 0;
	struct state_section sa, sb;
	const uint8_t *pa, *pb;

	while (next_section(a, &pos_a, &sa, &pa)) {
		if (!next_section(b, &pos_b, &sb, &pb) || !section_same(&sa, pa, &sb, pb))
			fail("a restored device saves a different state");
	}
	if (pos_b != b->len)
		fail("a restored machine saves more sections");
}

/* The guest drives one machine; a checkpoint moves it to the other, which the guest drives from then on. */
struct machines {
	struct vm *vm[2];
	struct fake_machine lines[2];
	unsigned int current;
};

/*
 * Pause, save, resume, as a checkpoint that leaves the guest running; then
 * restore into the other machine, compare its own save, and go on there.
 */
static void checkpoint(struct machines *m)
{
	static struct saved first, second;
	struct vm *vm = m->vm[m->current], *copy = m->vm[!m->current];

	pthread_mutex_lock(&vm->devices_lock);
	vm_devices_pause(vm);
	save(vm, &first);
	vm_devices_resume(vm);
	pthread_mutex_unlock(&vm->devices_lock);
	machine_build(copy, &m->lines[!m->current]);
	restore(copy, &first);
	check_lines(copy, &m->lines[!m->current]);
	save(copy, &second);
	compare(&first, &second);
	m->current = !m->current;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct machines m;
	struct fuzz_input in = { data, len };
	unsigned int checkpoints = 0;

	if (!m.vm[0]) {
		m.vm[0] = machine_alloc();
		m.vm[1] = machine_alloc();
	}
	m.current = 0;
	machine_build(m.vm[0], &m.lines[0]);
	while (fuzz_left(&in) > 0) {
		struct vm *vm = m.vm[m.current];
		unsigned int op = (unsigned int)fuzz_take(&in, 1) % 16;

		if (op < 12)
			port_access(vm, &in, op & 1);
		else if (op == 12 || op == 13)
			console_input(vm, &in);
		else if (op == 14)
			power_button(vm);
		else if (checkpoints++ < CHECKPOINTS_MAX)
			checkpoint(&m);
		check_lines(m.vm[m.current], &m.lines[m.current]);
	}
	return 0;
}
