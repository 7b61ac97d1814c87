/*
 * Running a VM: one thread per vCPU, the console thread, and the requests
 * other threads (the control socket, signals) make of it: power button,
 * power off, pause and resume of the whole machine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "passthru/vfio/passthru_vm.h"
#include "vmm/kvm/platform_state.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/vm/vm_internal.h"
#include "vmm/lib/clock.h"

#define CONSOLE_FLUSH_MS 2000
/* glibc names the thread of a SIGEV_THREAD_ID only from 2.35 on, and only in some headers. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_STATE_CREATED: return "created";
	case VM_STATE_RUNNING: return "running";
	case VM_STATE_PAUSED: return "paused";
	case VM_STATE_SHUTTING_DOWN: return "shutting-down";
	case VM_STATE_STOPPED: return "stopped";
	}
	return "unknown";
}

/* The first reason to stop wins; later ones (a second vCPU crashing) are dropped. */
void vm_request_stop(struct vm *vm, enum vm_exit_reason reason, const char *detail)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_requested) {
		vm->stop_requested = true;
		vm->exit_reason = reason;
		snprintf(vm->exit_detail, sizeof(vm->exit_detail), "%s", detail);
		pthread_cond_broadcast(&vm->changed);
	}
	pthread_mutex_unlock(&vm->lock);
}

/* A paused vCPU's registers may be saved: it parks on an instruction boundary (vcpu_settle). */
static int vcpu_thread_wait_while_paused(struct vm *vm, struct vcpu *vcpu)
{
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	while (vm->pause_requested && !vm->stopping && !ret) {
		if (vcpu->access_unfinished) {
			pthread_mutex_unlock(&vm->lock);
			ret = vcpu_settle(vcpu, &vm->pio, &vm->mmio);
			pthread_mutex_lock(&vm->lock);
			continue;
		}
		vm->paused_vcpus++;
		pthread_cond_broadcast(&vm->changed);
		pthread_cond_wait(&vm->changed, &vm->lock);
		vm->paused_vcpus--;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

static bool vm_is_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST);
}

static void vcpu_thread_stop(struct vm *vm, const struct vcpu_stop *stop)
{
	/* Linux's last reboot method is a triple fault: after a reset request it is a reboot. */
	if (stop->triple_fault) {
		bool reboot;

		pthread_mutex_lock(&vm->devices_lock);
		reboot = reset_control_reboot_requested(&vm->dev.reset);
		pthread_mutex_unlock(&vm->devices_lock);
		if (reboot) {
			vm_request_stop(vm, VM_EXIT_REBOOT, "guest reset by triple fault after a reboot request");
			return;
		}
	}
	vm_request_stop(vm, stop->reason, stop->detail);
}

static void vcpu_thread_fail(struct vm *vm, const struct vcpu *vcpu, const char *what, int err)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "vCPU %u: %s: %s", vcpu->id, what, strerror(-err));
	vm_request_stop(vm, VM_EXIT_VMM_ERROR, detail);
}

#define THROTTLE_PERIOD_NS 10000000ull
#define THROTTLE_MAX_OWED_NS (100 * THROTTLE_PERIOD_NS)

/* The time a throttled vCPU has run since it last slept, and the sleep it owes for it. */
struct vcpu_throttle {
	unsigned int pct;	/* as last seen: 0 is unthrottled */
	uint64_t ran_since;
	uint64_t owed_ns;
};

static bool vcpu_thread_should_wake(struct vm *vm)
{
	return vm_is_stopping(vm) || __atomic_load_n(&vm->pause_requested, __ATOMIC_RELAXED);
}

/*
 * Keep a throttled vCPU asleep pct of the wall time. The sleep owed grows with the time actually run, not
 * with the kicks: a nap that ends late (a loaded host) would otherwise line the vCPU up with the timer's
 * phase and let it run whole periods. A pause or stop cuts the nap short; the debt is kept for later.
 */
static void vcpu_thread_throttle(struct vm *vm, struct vcpu_throttle *t)
{
	unsigned int pct = __atomic_load_n(&vm->throttle_pct, __ATOMIC_RELAXED);
	uint64_t now;

	/* Every exit passes here: unthrottled, not even the clock is read. */
	if (!pct && !t->pct)
		return;
	now = clock_monotonic_ns();
	if (!pct || !t->pct) {	/* the throttle starts or ends: nothing is owed for the time before */
		*t = (struct vcpu_throttle){ pct, now, 0 };
		return;
	}
	t->pct = pct;
	t->owed_ns += (now - t->ran_since) * pct / (100 - pct);
	if (t->owed_ns > THROTTLE_MAX_OWED_NS)
		t->owed_ns = THROTTLE_MAX_OWED_NS;
	t->ran_since = now;
	if (t->owed_ns < THROTTLE_PERIOD_NS * pct / 100)
		return;
	while (t->owed_ns && !vcpu_thread_should_wake(vm)) {
		uint64_t nap_ns = t->owed_ns < THROTTLE_PERIOD_NS ? t->owed_ns : THROTTLE_PERIOD_NS;
		struct timespec nap = { 0, (long)nap_ns };
		uint64_t slept;

		nanosleep(&nap, NULL);	/* a kick ends it early: what was slept is measured */
		slept = clock_monotonic_ns() - now;
		now += slept;
		t->owed_ns -= slept < t->owed_ns ? slept : t->owed_ns;
	}
	t->ran_since = now;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->owner;
	struct vcpu_stop stop;
	sigset_t only_kick;
	struct vcpu_throttle throttle = { 0 };

	/* Leave every other signal to the front end's threads; SIGSYS reports a seccomp violation. */
	sigfillset(&only_kick);
	sigdelset(&only_kick, VCPU_KICK_SIGNAL);
	sigdelset(&only_kick, SIGSYS);
	sandbox_test_hook(vm->sandbox, SANDBOX_VCPU);
	pthread_sigmask(SIG_SETMASK, &only_kick, NULL);
	__atomic_store_n(&vcpu->tid, gettid(), __ATOMIC_RELEASE);
	while (!vm_is_stopping(vm)) {
		int step;

		step = vcpu_thread_wait_while_paused(vm, vcpu);
		if (step < 0) {
			char what[64];

			snprintf(what, sizeof(what), "finishing an IO/MMIO access before a pause (KVM exit %u)",
				 vcpu->run->exit_reason);
			vcpu_thread_fail(vm, vcpu, what, step);
			break;
		}
		if (vm_is_stopping(vm))
			break;
		vcpu_thread_throttle(vm, &throttle);
		step = vcpu_step(vcpu, &vm->pio, &vm->mmio, &stop);
		if (step == VCPU_STEP_CONTINUE) {
			__atomic_add_fetch(&vm->exits, 1, __ATOMIC_RELAXED);
		} else if (step == VCPU_STEP_STOP) {
			vcpu_thread_stop(vm, &stop);
			break;
		} else if (step < 0) {
			vcpu_thread_fail(vm, vcpu, "KVM_RUN", step);
			break;
		}
	}
	pthread_mutex_lock(&vm->lock);
	vm->live_vcpus--;
	pthread_cond_broadcast(&vm->changed);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static void vm_kick_all(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int vm_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: the point of the signal is to make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static int vcpu_thread_start(struct vm *vm, struct vcpu *vcpu)
{
	int ret = sandbox_thread_start(vm->sandbox, SANDBOX_VCPU, &vcpu->thread, vcpu_thread, vcpu,
				       vm->cfg.host_cpu[vcpu->id]);

	if (ret == 0)
		vcpu->thread_started = true;
	return ret;
}

static int vm_start_vcpus(struct vm *vm)
{
	int ret = vm_install_kick_handler();

	for (unsigned int i = 0; i < vm->n_vcpus && ret == 0; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->live_vcpus++;
		pthread_mutex_unlock(&vm->lock);
		ret = vcpu_thread_start(vm, &vm->vcpus[i]);
		if (ret < 0) {
			pthread_mutex_lock(&vm->lock);
			vm->live_vcpus--;
			pthread_mutex_unlock(&vm->lock);
		}
	}
	return ret;
}

static void vm_stop_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->stopping, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->changed);
	pthread_mutex_unlock(&vm->lock);
	vm_kick_all(vm);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
}

/* The guest's last words reach a reader that keeps up; a stuck one does not hold the exit up for long. */
static void vm_flush_console(struct vm *vm)
{
	uint64_t dropped;

	console_out_stop(&vm->console_out, CONSOLE_FLUSH_MS);
	dropped = console_out_dropped(&vm->console_out);
	if (dropped)
		report_warn(&vm->report, "%s: %llu bytes of console output dropped: its reader was too slow",
			    vm->cfg.name, (unsigned long long)dropped);
}

int vm_run(struct vm *vm, enum vm_exit_reason *reason, char *detail, size_t detail_len)
{
	int ret;

	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STATE_CREATED) {
		pthread_mutex_unlock(&vm->lock);
		return -EALREADY;
	}
	vm->state = VM_STATE_RUNNING;
	if (vm->held) {
		vm->state_before_pause = VM_STATE_RUNNING;
		vm->state = VM_STATE_PAUSED;
		vm->pause_requested = true;
	}
	vm->start_ns = clock_monotonic_ns();
	pthread_mutex_unlock(&vm->lock);

	ret = console_out_start(&vm->console_out, STDOUT_FILENO, vm->sandbox);
	if (ret == 0)
		ret = console_start(&vm->console, STDIN_FILENO, &vm->dev.com1, &vm->devices_lock, vm->sandbox);
	if (ret == 0)
		ret = vm_start_vcpus(vm);
	/* Every thread is started: from here the caller only waits and tears down. */
	if (ret == 0)
		ret = sandbox_confine_thread(vm->sandbox, SANDBOX_MAIN);
	if (ret == 0)
		sandbox_test_hook(vm->sandbox, SANDBOX_MAIN);
	if (ret < 0)
		vm_request_stop(vm, VM_EXIT_VMM_ERROR, "could not start and confine the vCPU and console threads");

	pthread_mutex_lock(&vm->lock);
	while (!vm->stop_requested && vm->live_vcpus > 0)
		pthread_cond_wait(&vm->changed, &vm->lock);
	pthread_mutex_unlock(&vm->lock);

	vm_stop_vcpus(vm);
	console_stop(&vm->console);
	vm_flush_console(vm);

	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_requested) {	/* every vCPU left without saying why */
		vm->exit_reason = VM_EXIT_VMM_ERROR;
		snprintf(vm->exit_detail, sizeof(vm->exit_detail), "all vCPUs stopped");
	}
	vm->state = VM_STATE_STOPPED;
	vm->stop_ns = clock_monotonic_ns();
	*reason = vm->exit_reason;
	if (detail && detail_len)
		snprintf(detail, detail_len, "%s", vm->exit_detail);
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

static void vm_throttle_timers_stop(struct vm *vm, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		timer_delete(vm->throttle_timer[i]);
	vm->throttle_timers = false;
}

/* A timer per vCPU signalling its thread (the kick signal) every period: KVM_RUN returns, the throttle sleeps. */
static int vm_throttle_timers_start(struct vm *vm)
{
	const struct itimerspec every = { { 0, THROTTLE_PERIOD_NS }, { 0, THROTTLE_PERIOD_NS } };

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct sigevent kick = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = VCPU_KICK_SIGNAL };

		kick.sigev_notify_thread_id = __atomic_load_n(&vm->vcpus[i].tid, __ATOMIC_ACQUIRE);
		if (!kick.sigev_notify_thread_id || timer_create(CLOCK_MONOTONIC, &kick, &vm->throttle_timer[i]) < 0) {
			int ret = kick.sigev_notify_thread_id ? -errno : -ESRCH;

			vm_throttle_timers_stop(vm, i);
			return ret;
		}
		if (timer_settime(vm->throttle_timer[i], 0, &every, NULL) < 0) {
			int ret = -errno;

			vm_throttle_timers_stop(vm, i + 1);
			return ret;
		}
	}
	vm->throttle_timers = true;
	return 0;
}

int vm_set_throttle(struct vm *vm, unsigned int pct)
{
	__atomic_store_n(&vm->throttle_pct, pct > 99 ? 99 : pct, __ATOMIC_RELAXED);
	if (pct && !vm->throttle_timers)
		return vm_throttle_timers_start(vm);
	if (!pct && vm->throttle_timers)
		vm_throttle_timers_stop(vm, vm->n_vcpus);
	return 0;
}

void vm_set_sandbox(struct vm *vm, const struct sandbox *sandbox)
{
	vm->sandbox = sandbox;
}

/* ---- requests from other threads ---- */

void vm_stop_saved(struct vm *vm, const char *detail)
{
	vm_request_stop(vm, VM_EXIT_SAVED, detail);
}

static bool vm_is_live(enum vm_state state)
{
	return state == VM_STATE_RUNNING || state == VM_STATE_PAUSED || state == VM_STATE_SHUTTING_DOWN;
}

int vm_press_power_button(struct vm *vm)
{
	bool live;

	pthread_mutex_lock(&vm->lock);
	live = vm_is_live(vm->state) && !vm->stop_requested;
	if (live && vm->state == VM_STATE_RUNNING)
		vm->state = VM_STATE_SHUTTING_DOWN;
	else if (live && vm->state == VM_STATE_PAUSED)
		vm->state_before_pause = VM_STATE_SHUTTING_DOWN;
	pthread_mutex_unlock(&vm->lock);
	if (!live)
		return -EINVAL;
	pthread_mutex_lock(&vm->devices_lock);
	pm_press_power_button(&vm->dev.pm);
	pthread_mutex_unlock(&vm->devices_lock);
	return 0;
}

int vm_power_off(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_STATE_STOPPED) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&vm->lock);
	/* Also valid before vm_run: the run then ends at once. */
	vm_request_stop(vm, VM_EXIT_POWEROFF, "powered off by the operator");
	return 0;
}

/*
 * The whole machine stops: vCPUs out of KVM_RUN, device timers frozen,
 * console input held back, passed-through devices' bus mastering off (no
 * DMA into a paused guest), the guest's KVM clock read so that resume can
 * put it back and the guest does not see the pause.
 */
static void vm_freeze(struct vm *vm)
{
	pthread_mutex_lock(&vm->devices_lock);
	vm_devices_pause(vm);
	passthru_vm_quiesce(vm->passthru, true);
	pthread_mutex_unlock(&vm->devices_lock);
	if (platform_clock_get(vm->vm_fd, &vm->paused_clock_ns) < 0)
		vm->paused_clock_ns = 0;
}

static void vm_thaw(struct vm *vm)
{
	if (vm->paused_clock_ns)
		platform_clock_set(vm->vm_fd, vm->paused_clock_ns);
	pthread_mutex_lock(&vm->devices_lock);
	passthru_vm_quiesce(vm->passthru, false);
	vm_devices_resume(vm);
	pthread_mutex_unlock(&vm->devices_lock);
}

/* Let the paused vCPUs go on as the VM was before the pause (vm->lock held). */
static void vm_unpause_locked(struct vm *vm)
{
	vm->pause_requested = false;
	vm->state = vm->state_before_pause;
	pthread_cond_broadcast(&vm->changed);
}

void vm_hold(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->held = true;
	pthread_mutex_unlock(&vm->lock);
}

/* Nothing to thaw: a held VM never ran, so its clock and devices are as its state was restored. */
void vm_release(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->held && vm->state == VM_STATE_PAUSED)
		vm_unpause_locked(vm);
	vm->held = false;
	pthread_mutex_unlock(&vm->lock);
	/* The guest runs here now: switches learn where its MACs went. */
	pthread_mutex_lock(&vm->devices_lock);
	vm_devices_announce(vm);
	pthread_mutex_unlock(&vm->devices_lock);
}

void vm_abort(struct vm *vm, const char *detail)
{
	vm_request_stop(vm, VM_EXIT_VMM_ERROR, detail);
}

bool vm_stop_is_requested(struct vm *vm)
{
	bool requested;

	pthread_mutex_lock(&vm->lock);
	requested = vm->stop_requested;
	pthread_mutex_unlock(&vm->lock);
	return requested;
}

int vm_pause(struct vm *vm)
{
	int refusal;

	pthread_mutex_lock(&vm->lock);
	refusal = vm->state == VM_STATE_PAUSED ? -EALREADY
		  : vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_SHUTTING_DOWN ? -EINVAL : 0;
	if (refusal) {
		pthread_mutex_unlock(&vm->lock);
		return refusal;
	}
	vm->pause_requested = true;
	vm->state_before_pause = vm->state;
	vm->state = VM_STATE_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	vm_kick_all(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->paused_vcpus < vm->live_vcpus && !vm->stop_requested)
		pthread_cond_wait(&vm->changed, &vm->lock);
	if (vm->stop_requested) {
		/* The guest stopped, or a vCPU failed, while pausing: nothing whole is left to save. */
		vm_unpause_locked(vm);
		pthread_mutex_unlock(&vm->lock);
		return -ECANCELED;
	}
	pthread_mutex_unlock(&vm->lock);
	vm_freeze(vm);
	return 0;
}

int vm_resume(struct vm *vm)
{
	int refusal;

	pthread_mutex_lock(&vm->lock);
	/* A held VM is not the operator's to resume: vm_release starts it. */
	refusal = vm->held ? -EBUSY : vm->state != VM_STATE_PAUSED ? -EINVAL : 0;
	if (refusal) {
		pthread_mutex_unlock(&vm->lock);
		return refusal;
	}
	pthread_mutex_unlock(&vm->lock);
	vm_thaw(vm);
	pthread_mutex_lock(&vm->lock);
	vm_unpause_locked(vm);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void vm_get_status(struct vm *vm, struct vm_status *status)
{
	pthread_mutex_lock(&vm->lock);
	status->state = vm->state;
	status->cpus = vm->cfg.cpus;
	status->memory_bytes = vm->mem.size;
	if (vm->state == VM_STATE_CREATED)
		status->uptime_ns = 0;
	else
		status->uptime_ns = (vm->state == VM_STATE_STOPPED ? vm->stop_ns : clock_monotonic_ns()) - vm->start_ns;
	pthread_mutex_unlock(&vm->lock);
	status->exits = __atomic_load_n(&vm->exits, __ATOMIC_RELAXED);
	status->unhandled_accesses = bus_unhandled(&vm->pio) + bus_unhandled(&vm->mmio);
	status->dma_map_ns = passthru_vm_dma_map_ns(vm->passthru);
	status->console_dropped = console_out_dropped(&vm->console_out);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		status->vcpu[i].tid = __atomic_load_n(&vm->vcpus[i].tid, __ATOMIC_ACQUIRE);
		for (unsigned int k = 0; k < VCPU_EXIT_KINDS; k++)
			status->vcpu[i].exits[k] = __atomic_load_n(&vm->vcpus[i].exits[k], __ATOMIC_RELAXED);
	}
}
