/*
 * Boots a real kernel through the VM engine without the `sheer run` front
 * end, for trying the engine on the lab hosts and on /dev/kvm here.
 * Usage: bootlinux KERNEL INITRD|- CPUS MEMORY_MIB TIMEOUT_S [CMDLINE [BUTTON_S]]
 * Serial output goes to stdout; from BUTTON_S seconds on the ACPI power button
 * is pressed every 5 s; after TIMEOUT_S the VM is powered off.
 * Prints "bootlinux: exit=REASON detail=[...]" and exits 0 for a guest power off.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vm/vm.h"

static void print_warning(void *ctx, const char *message) { (void)ctx; fprintf(stderr, "warning: %s\n", message); }
static const struct report stderr_report = { print_warning, NULL };

static unsigned int timeout_s, button_s;

static void *watchdog(void *arg)
{
	struct vm *vm = arg;
	struct vm_status st;

	for (unsigned int i = 0; i < timeout_s; i++) {
		sleep(1);
		vm_get_status(vm, &st);
		if (st.state == VM_STATE_STOPPED)
			return NULL;
		if (button_s && i >= button_s && (i - button_s) % 5 == 0)
			fprintf(stderr, "bootlinux: power button at %u s: %d\n", i, vm_press_power_button(vm));
	}
	fprintf(stderr, "bootlinux: %u s timeout, powering off (exits %llu)\n", timeout_s,
		(unsigned long long)st.exits);
	vm_power_off(vm);
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "poweroff", "reboot", "crash", "vmm-error" };
	struct server_config cfg = { .numa_node = -1 };
	char err[256], detail[256];
	enum vm_exit_reason reason;
	struct vm_status st;
	pthread_t dog;
	struct vm *vm;
	int ret;

	if (argc < 6) {
		fprintf(stderr, "usage: bootlinux KERNEL INITRD|- CPUS MEMORY_MIB TIMEOUT_S [CMDLINE [BUTTON_S]]\n");
		return 2;
	}
	snprintf(cfg.name, sizeof(cfg.name), "bootlinux");
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", argv[1]);
	if (strcmp(argv[2], "-"))
		snprintf(cfg.initrd, sizeof(cfg.initrd), "%s", argv[2]);
	cfg.cpus = atoi(argv[3]);
	cfg.memory_bytes = strtoull(argv[4], NULL, 0) << 20;
	timeout_s = atoi(argv[5]);
	button_s = argc > 7 ? atoi(argv[7]) : 0;
	snprintf(cfg.cmdline, sizeof(cfg.cmdline), "%s", argc > 6 ? argv[6] : "console=ttyS0");
	for (int i = 0; i < SERVER_MAX_CPUS; i++)
		cfg.host_cpu[i] = -1;
	ret = vm_create(&cfg, &stderr_report, &vm, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "bootlinux: %s\n", err);
		return 2;
	}
	pthread_create(&dog, NULL, watchdog, vm);
	ret = vm_run(vm, &reason, detail, sizeof(detail));
	pthread_join(dog, NULL);
	vm_get_status(vm, &st);
	printf("\nbootlinux: vm_run %d exit=%s detail=[%s] uptime %.1f s exits %llu unhandled %llu\n", ret,
	       names[reason], detail, st.uptime_ns / 1e9, (unsigned long long)st.exits,
	       (unsigned long long)st.unhandled_accesses);
	vm_destroy(vm);
	return reason == VM_EXIT_POWEROFF ? 0 : 1;
}
