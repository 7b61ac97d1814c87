/*
 * Runs each tiny test guest through the VM engine (vm_create/vm_run, the
 * contract of vmm/vm/vm.h) in a child process, captures its serial output and
 * checks it and the exit reason. Usage: runner GUEST_DIR
 * Prints one PASS/FAIL line per test and "N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/vm/vm.h"

static void print_warning(void *ctx, const char *message) { (void)ctx; fprintf(stderr, "warning: %s\n", message); }
static const struct report stderr_report = { print_warning, NULL };

#define GUEST_MEMORY (64ULL << 20)
#define OUTPUT_MAX (1 << 20)
#define MAX_EXPECT 16

struct guest_test {
	const char *name;
	const char *image;
	unsigned int cpus;
	const char *cmdline;
	bool initrd;
	bool operator_thread;	/* pause, resume, then press the power button from another thread */
	enum vm_exit_reason reason;
	int timeout_s;
	const char *expect[MAX_EXPECT];
	const char *stdin_text;	/* fed to sheer's stdin through a pipe (the guest's serial input) */
};

static const char *dir;
static char initrd_path[] = "/tmp/sheer-guest-initrd-XXXXXX";

static const char *reason_name(enum vm_exit_reason reason)
{
	switch (reason) {
	case VM_EXIT_POWEROFF: return "poweroff";
	case VM_EXIT_REBOOT: return "reboot";
	case VM_EXIT_CRASH: return "crash";
	case VM_EXIT_VMM_ERROR: return "vmm-error";
	case VM_EXIT_SAVED: return "saved";
	}
	return "?";
}

static void fill_config(struct server_config *cfg, const char *kernel, unsigned int cpus, const char *cmdline,
			const char *initrd)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "guest-test");
	cfg->cpus = cpus;
	cfg->memory_bytes = GUEST_MEMORY;
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s", kernel);
	snprintf(cfg->initrd, sizeof(cfg->initrd), "%s", initrd ? initrd : "");
	snprintf(cfg->cmdline, sizeof(cfg->cmdline), "%s", cmdline ? cmdline : "");
	cfg->numa_node = -1;
	for (int i = 0; i < SERVER_MAX_CPUS; i++)
		cfg->host_cpu[i] = -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static enum vm_state state_after_button = VM_STATE_CREATED;

/*
 * What the control socket will do: pause, look, resume, then press the button until the guest is
 * gone. Nothing is printed once the button is pressed, so that the guest's answer is not interleaved.
 */
static void *operator_main(void *arg)
{
	struct vm *vm = arg;
	struct vm_status st;

	sleep_ms(300);
	dprintf(1, "\nRUNNER: pause %d\n", vm_pause(vm));
	vm_get_status(vm, &st);
	dprintf(1, "RUNNER: state %s cpus %u memory %llu\n", vm_state_name(st.state), st.cpus,
		(unsigned long long)st.memory_bytes);
	sleep_ms(100);
	dprintf(1, "RUNNER: resume %d\n", vm_resume(vm));
	vm_get_status(vm, &st);
	dprintf(1, "RUNNER: state %s\n", vm_state_name(st.state));
	dprintf(1, "RUNNER: pressing the power button\n");
	for (int ret = vm_press_power_button(vm); ret == 0; ret = vm_press_power_button(vm)) {
		if (state_after_button == VM_STATE_CREATED) {
			vm_get_status(vm, &st);
			state_after_button = st.state;
		}
		sleep_ms(500);
	}
	return NULL;
}

static void child_run(const struct guest_test *t)
{
	char kernel[4096], err[256], detail[256];
	struct server_config cfg;
	enum vm_exit_reason reason;
	struct vm_status st;
	pthread_t operator;
	struct vm *vm;
	int ret;

	snprintf(kernel, sizeof(kernel), "%s/%s", dir, t->image ? t->image : "");
	fill_config(&cfg, t->image ? kernel : "", t->cpus, t->cmdline, t->initrd ? initrd_path : NULL);
	cfg.boot = t->image ? SERVER_BOOT_KERNEL : SERVER_BOOT_DISK;
	ret = vm_create(&cfg, &stderr_report, &vm, err, sizeof(err));
	if (ret < 0) {
		dprintf(1, "RUNNER: vm_create failed: %s\n", err);
		_exit(3);
	}
	if (t->operator_thread)
		pthread_create(&operator, NULL, operator_main, vm);
	ret = vm_run(vm, &reason, detail, sizeof(detail));
	vm_get_status(vm, &st);
	if (t->operator_thread) {
		pthread_join(operator, NULL);
		dprintf(1, "\nRUNNER: state after the button %s\n", vm_state_name(state_after_button));
	}
	dprintf(1, "\nRUNNER: vm_run %d exit=%s detail=[%s] state=%s unhandled=%llu exits=%llu\n", ret,
		reason_name(reason), detail, vm_state_name(st.state), (unsigned long long)st.unhandled_accesses,
		(unsigned long long)st.exits);
	vm_destroy(vm);
	_exit(0);
}

/* Runs the test in a child; returns its output (NUL terminated) or NULL on timeout. */
static char *run_child(const struct guest_test *t, double *seconds)
{
	char *out = malloc(OUTPUT_MAX + 1);
	struct timespec start, now;
	size_t len = 0;
	int fds[2], status;
	bool timed_out = false;
	pid_t pid;

	if (!out || pipe(fds) < 0)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid == 0) {
		int in[2], null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		if (t->stdin_text && pipe(in) == 0) {
			ssize_t n = write(in[1], t->stdin_text, strlen(t->stdin_text));

			close(in[1]);
			dup2(in[0], 0);
			if (n < 0)
				_exit(4);
		}
		dup2(fds[1], 1);
		close(fds[0]);
		child_run(t);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > t->timeout_s) {
			kill(pid, SIGKILL);
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fds[0], out + len, OUTPUT_MAX - len);
		if (n <= 0)
			break;
		len += n;
		if (len == OUTPUT_MAX)
			len = 0;	/* runaway output: keep the tail */
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	*seconds = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
	out[len] = 0;
	for (size_t i = 0; i < len; i++)	/* the garbage guest may have sent NULs */
		if (!out[i])
			out[i] = '?';
	if (WIFSIGNALED(status) && !timed_out)
		snprintf(out + len, OUTPUT_MAX + 1 - len, "\nRUNNER: child killed by signal %d\n", WTERMSIG(status));
	if (timed_out) {
		free(out);
		return NULL;
	}
	return out;
}

static void show_output(const char *out)
{
	size_t len = strlen(out);
	const char *from = len > 3000 ? out + len - 3000 : out;

	fprintf(stderr, "---- guest output%s ----\n%s\n---- end ----\n", from != out ? " (tail)" : "", from);
}

/*
 * GUEST_RETRY_CRASH=N (the lab's tiny-guests): a guest that crashed where it should not have is run up
 * to N times more, saying so each time. In the lab's emulated hosts a guest sometimes dies on its own
 * while it exits for I/O at a high rate (tests/lab/README.md, Known limits); on the build machine
 * nothing is retried.
 */
static bool run_guest_test_once(const struct guest_test *t, bool *crashed);

static bool run_guest_test(const struct guest_test *t)
{
	const char *retries = getenv("GUEST_RETRY_CRASH");
	int left = retries ? atoi(retries) : 0;
	bool crashed = false;

	while (!run_guest_test_once(t, &crashed)) {
		if (!crashed || t->reason == VM_EXIT_CRASH || left-- <= 0)
			return false;
		printf("RETRY %-13s the guest crashed in this emulated host (tests/lab/README.md, Known limits): once more\n",
		       t->name);
	}
	return true;
}

static bool run_guest_test_once(const struct guest_test *t, bool *crashed)
{
	char want_exit[64], *out;
	const char *missing = NULL;
	double seconds;

	*crashed = false;
	snprintf(want_exit, sizeof(want_exit), "exit=%s ", reason_name(t->reason));
	out = run_child(t, &seconds);
	if (!out) {
		printf("FAIL %-14s timed out after %d s\n", t->name, t->timeout_s);
		return false;
	}
	if (!strstr(out, want_exit))
		missing = want_exit;
	for (int i = 0; i < MAX_EXPECT && t->expect[i] && !missing; i++)
		if (!strstr(out, t->expect[i]))
			missing = t->expect[i];
	if (missing) {
		*crashed = strstr(out, "exit=crash ") != NULL;
		printf("FAIL %-14s output lacks \"%s\"\n", t->name, missing);
		show_output(out);
	} else {
		const char *summary = strstr(out, "RUNNER: vm_run");

		printf("PASS %-14s %.1f s  %.*s\n", t->name, seconds, summary ? (int)strcspn(summary, "\n") : 0,
		       summary ? summary : "");
	}
	if (getenv("GUEST_VERBOSE"))
		show_output(out);
	free(out);
	return !missing;
}

/* vm_create must refuse what is not a 64-bit bzImage, with one line saying why. */
static bool run_refusal_test(const char *name, const char *path, const char *want)
{
	struct server_config cfg;
	char err[256] = "";
	struct vm *vm = NULL;
	int ret;

	fill_config(&cfg, path, 1, "", NULL);
	ret = vm_create(&cfg, &stderr_report, &vm, err, sizeof(err));
	if (ret < 0 && !vm && strstr(err, want) && !strchr(err, '\n')) {
		printf("PASS %-14s refused: %s\n", name, err);
		return true;
	}
	printf("FAIL %-14s ret %d, error \"%s\", wanted \"%s\"\n", name, ret, err, want);
	vm_destroy(vm);
	return false;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f)
		ok &= fclose(f) == 0;
	return ok ? 0 : -1;
}

static uint32_t initrd_hash(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = sum * 31 + data[i];
	return sum;
}

/* GUEST_EXCLUDE="a b": tests another run covers, left out of this one (guests.mk says which and why). */
static bool excluded(const char *name)
{
	const char *list = getenv("GUEST_EXCLUDE");
	size_t len = strlen(name);

	for (const char *p = list; p && (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static uint8_t initrd[12345];
	static char want_initrd[128], want_ram[64], not_bz[256], truncated[256], hello_path[4096];
	int passed = 0, failed = 0, fd;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: runner GUEST_DIR [TEST]\n");
		return 2;
	}
	dir = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = "SHEER-INITRD\n"[i % 13] ^ (i / 13 % 7);
	fd = mkstemp(initrd_path);
	if (fd < 0 || write(fd, initrd, sizeof(initrd)) != sizeof(initrd) || close(fd) < 0) {
		perror(initrd_path);
		return 1;
	}
	snprintf(want_initrd, sizeof(want_initrd), "size %zu hash 0x%x aligned yes", sizeof(initrd),
		 initrd_hash(initrd, sizeof(initrd)));
	snprintf(want_ram, sizeof(want_ram), "e820 ram %llu bytes", 0x9fc00ULL + GUEST_MEMORY - 0x100000);

	const struct guest_test tests[] = {
		{ "serial", "hello.bzImage", 1, "", false, false, VM_EXIT_POWEROFF, 60,
		  { "hello: sheer test guest on serial", "poweroff: SLP_TYP 5 to PM1a_CNT 0x604",
		    "detail=[guest powered off (ACPI S5)]" }, NULL },
		{ "boot-protocol", "boot.bzImage", 1, "console=ttyS0 sheer.test=boot-protocol", true, false,
		  VM_EXIT_POWEROFF, 60,
		  { "magic HdrS loader 0xff", "cmdline [console=ttyS0 sheer.test=boot-protocol]", want_initrd,
		    "e820 0x0-0x9fbff type 1", "e820 0x9fc00-0x9ffff type 2", "e820 0xe0000-0xfffff type 2",
		    "e820 0x100000-0x3ffffff type 1", "e820 0xb0000000-0xb00fffff type 2", want_ram,
		    "rsdp 0xe0000" }, NULL },
		{ "pci-config", "pci.bzImage", 1, "", false, false, VM_EXIT_POWEROFF, 60,
		  { "cf8 00:00.0 id 0x29c08086 class 0x600", "cf8 00:01.0 id 0xffffffff", "ecam base 0xb0000000",
		    "ecam 00:00.0 id 0x29c08086 class 0x600", "ecam 00:01.0 id 0xffffffff",
		    "latency via ecam 0x40", "id after write 0x29c08086" }, NULL },
		{ "acpi-tables", "acpi.bzImage", 3, "", false, false, VM_EXIT_POWEROFF, 60,
		  { "rsdp found at 0xe0000, zero page says 0xe0000", "rsdp rev 2 checksum ok extended ok",
		    "XSDT len 60 rev 1 checksum ok", "FACP len 276 rev 6 checksum ok", "APIC len",
		    "MCFG len 60 rev 1 checksum ok", "DSDT len", "facs ok", "fadt sci 9 pm1a_evt 0x600 pm1a_cnt 0x604",
		    "madt cpus 3 ioapics 1 overrides 2 lapic 0xfee00000", "mcfg base 0xb0000000 buses 0-0",
		    "dsdt has _S5_ yes, PCI0 yes", "acpi: all checksums ok" }, NULL },
		{ "smp-start", "smp.bzImage", 2, "", false, false, VM_EXIT_POWEROFF, 120,
		  { "BSP apic id 0 starts AP apic id 1", "smp: hello from the AP in real mode",
		    "smp: AP reported, 2 CPUs up" }, NULL },
		{ "crash", "crash.bzImage", 1, "", false, false, VM_EXIT_CRASH, 60,
		  { "crash: loading an empty IDT", "detail=[vCPU 0: triple fault (shutdown)]" }, NULL },
		{ "reboot-cf9", "reboot.bzImage", 1, "reset=cf9", false, false, VM_EXIT_REBOOT, 60,
		  { "detail=[guest reset through port 0xcf9]" }, NULL },
		{ "reboot-kbd", "reboot.bzImage", 1, "reset=kbd", false, false, VM_EXIT_REBOOT, 60,
		  { "detail=[guest reset through the keyboard controller]" }, NULL },
		{ "reboot-triple", "reboot.bzImage", 1, "reset=triple", false, false, VM_EXIT_REBOOT, 60,
		  { "detail=[guest reset by triple fault after a reboot request]" }, NULL },
		{ "power-button", "button.bzImage", 2, "", false, true, VM_EXIT_POWEROFF, 120,
		  { "RUNNER: pause 0", "RUNNER: state paused cpus 2", "RUNNER: resume 0", "RUNNER: state running",
		    "button: pressed, status now 0x0", "RUNNER: state after the button shutting-down", "detail=[guest powered off (ACPI S5)] state=stopped" }, NULL },
		{ "interrupts", "irq.bzImage", 1, "", false, true, VM_EXIT_POWEROFF, 120,
		  { "irq: serial THRI interrupts seen, received [ping|]", "RUNNER: pause 0", "RUNNER: resume 0",
		    "RUNNER: state after the button shutting-down", "irq: SCI vector 0x29 first status 0x100, now 0x0", "detail=[guest powered off (ACPI S5)]" },
		  "ping\n" },
		/* boot = disk without a disk: SeaBIOS, told everything by fw_cfg, finds nothing and resets. */
		{ "firmware", NULL, 2, "", false, false, VM_EXIT_REBOOT, 300,
		  { "SeaBIOS (version", "No bootable device.  Retrying in 1 seconds.",
		    "detail=[guest reset through port 0xcf9]" }, NULL },
		{ "garbage", "garbage.bzImage", 1, "", false, false, VM_EXIT_POWEROFF, 600,
		  { "garbage: 65536 ports done", "garbage: 327679 mmio pages done",
		    "detail=[guest powered off (ACPI S5)]" }, NULL },
	};

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if ((only && strcmp(only, tests[i].name)) || excluded(tests[i].name))
			continue;
		if (run_guest_test(&tests[i]))
			passed++;
		else
			failed++;
	}

	if (!only) {
		snprintf(not_bz, sizeof(not_bz), "/tmp/sheer-not-a-kernel-%d", (int)getpid());
		write_file(not_bz, "#!/bin/sh\necho this is not a kernel\n", 36);
		snprintf(hello_path, sizeof(hello_path), "%s/hello.bzImage", dir);
		snprintf(truncated, sizeof(truncated), "/tmp/sheer-truncated-%d", (int)getpid());
		{
			FILE *f = fopen(hello_path, "rb");
			uint8_t head[0x300];
			size_t n = f ? fread(head, 1, sizeof(head), f) : 0;

			if (f)
				fclose(f);
			write_file(truncated, head, n);
		}
		bool ok[3] = {
			run_refusal_test("refuse-script", not_bz, "not a bzImage (no HdrS header)"),
			run_refusal_test("refuse-short", truncated, "truncated bzImage"),
			run_refusal_test("refuse-missing", "/nonexistent/vmlinuz", "No such file or directory"),
		};

		for (int i = 0; i < 3; i++)
			ok[i] ? passed++ : failed++;
		unlink(not_bz);
		unlink(truncated);
	}
	unlink(initrd_path);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
