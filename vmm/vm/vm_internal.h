/*
 * The VM object, shared by the files of vmm/vm/ only: vm.c builds and tears
 * it down, vm_devices.c plugs its devices in, vm_run.c runs and pauses it,
 * vm_state.c saves and restores it. Everything else sees struct vm as opaque.
 */
#ifndef SHEER_VMM_VM_VM_INTERNAL_H
#define SHEER_VMM_VM_VM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "vmm/devices/console.h"
#include "vmm/devices/console_out.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pci_hotplug.h"
#include "vmm/devices/pm.h"
#include "vmm/devices/reset_control.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/boot/firmware.h"
#include "vmm/kvm/irq_routing.h"
#include "vmm/kvm/memory.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vcpu_state.h"
#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"
#include "vmm/lib/report.h"
#include "vmm/machine/resources.h"
#include "vmm/vm/vm.h"

struct passthru_vm;
struct virtio_net;

/* PCI slots: the host bridge at 0, passed-through devices from 2 (passthru_vm.c), virtio-net NICs after them. */
#define VM_NIC_FIRST_SLOT (2 + SERVER_MAX_DEVICES)

/* The emulated devices, each one listed in vm_devices.c's table. */
struct vm_devices {
	struct serial com1;
	struct rtc rtc;
	struct pci_bus pci;
	struct reset_control reset;
	struct pm pm;
	struct i8042 i8042;
	struct fw_cfg fw_cfg;
	struct pci_hotplug hotplug;
};

/* What a restore collected before it can apply it: state sections are applied together, in order. */
struct vm_restore;

struct vm {
	struct server_config cfg;
	int kvm_fd;
	int vm_fd;
	struct guest_memory mem;
	struct firmware_rom rom;	/* boot = disk: the BIOS image KVM maps below 4 GiB */
	struct kvm_cpuid2 *cpuid;	/* the table the guest was built with: KVM's, or its checkpoint's */
	unsigned int n_vcpus;
	struct vcpu vcpus[SERVER_MAX_CPUS];
	struct vcpu_state_plan state_plan;	/* built at the first save */
	struct resources res;
	struct irq_routing routing;	/* KVM's whole GSI table: every MSI route of every device */
	struct report report;		/* where the VM's warnings go (the caller of vm_create) */
	struct vm_restore *restore;	/* between vm_create_empty() and vm_restore_finish() */
	const struct sandbox *sandbox;	/* confines the threads vm_run starts, and the caller; NULL: none */

	/* Devices, all under devices_lock. */
	pthread_mutex_t devices_lock;
	struct machine machine;
	struct bus pio;
	struct bus mmio;
	struct vm_devices dev;
	struct console console;
	struct console_out console_out;	/* guest output to stdout, never blocking the UART */
	struct passthru_vm *passthru;	/* assigned PCI devices; NULL when this host has no VFIO */
	uint32_t ejecting;		/* slots whose device the guest was asked to release (vm_hotplug.c) */
	bool dirty_logging;		/* a migration tracks guest writes: no device may come (its DMA would not be) */
	unsigned int n_nics;
	struct virtio_net *nics[SERVER_MAX_NICS];	/* cfg.nics[i], at PCI slot VM_NIC_FIRST_SLOT + i */

	/* Run state, under lock. Lock order: devices_lock, then lock. */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	enum vm_state state;
	enum vm_state state_before_pause;
	bool stop_requested;
	bool stopping;		/* vCPU threads must leave */
	bool pause_requested;
	bool held;		/* vm_hold: vm_run starts with its vCPUs paused until vm_release */
	unsigned int paused_vcpus;
	unsigned int live_vcpus;
	uint64_t paused_clock_ns;	/* the guest's KVM clock when it was paused */
	enum vm_exit_reason exit_reason;
	char exit_detail[192];
	uint64_t start_ns;
	uint64_t stop_ns;
	uint64_t exits;		/* atomic */
	unsigned int throttle_pct;	/* atomic: vm_set_throttle */
	bool throttle_timers;		/* one per vCPU, kicking it each period, while throttled */
	timer_t throttle_timer[SERVER_MAX_CPUS];
};

/* vm_devices.c */
int vm_devices_add(struct vm *vm, char *err, size_t errlen);
int vm_devices_save(struct vm *vm, struct state_sink *sink);
/* The server's virtio-net NICs (cfg.nics), each on its tap, plugged into the bus; err names the NIC. */
int vm_nics_add(struct vm *vm, char *err, size_t errlen);
void vm_nics_remove(struct vm *vm);
/* -ENOENT when no device owns s->type; -EEXIST when its state came twice. */
int vm_devices_restore(struct vm *vm, const struct state_section *s, const void *payload, bool *restored);
/* A device with state that the checkpoint did not restore, or NULL. */
const char *vm_devices_missing(const struct vm *vm, const bool *restored);
/* After every device section is in: devices whose host wiring follows their state (BARs, vectors, vhost) catch up. */
void vm_devices_resync(struct vm *vm);
/* After a migration: each NIC announces the guest's MAC from this host. */
void vm_devices_announce(struct vm *vm);
/* NIC i tells the network where the guest's MAC lives (a RARP), if its driver runs. */
void vm_nic_announce(struct vm *vm, unsigned int i);
/* Each standby NIC's tap follows whether its failover primary is in the guest (virtio_net_set_primary). */
void vm_failover_sync(struct vm *vm);
unsigned int vm_devices_count(void);
/* Stop and restart device timers and console input; call with devices_lock held. */
void vm_devices_pause(struct vm *vm);
void vm_devices_resume(struct vm *vm);

/* vm_state.c */
int vm_restore_begin(struct vm *vm, char *err, size_t errlen);
void vm_restore_abort(struct vm *vm);

/* vm_run.c */
void vm_request_stop(struct vm *vm, enum vm_exit_reason reason, const char *detail);

#endif
