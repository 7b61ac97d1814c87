#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2v/switch/switch.h"
#include "vmm/lib/clock.h"
#include "vmm/server/control.h"

#define POLL_MS 500
#define CONNECT_TIMEOUT_MS 2000

extern char **environ;

void switch_record_init(struct switch_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	clock_gettime(CLOCK_REALTIME, &rec->started_at);
	rec->started_ns = clock_monotonic_ns();
	rec->source_off_s = rec->target_on_s = -1;
	rec->outcome = "failed";
	rec->logical_pid = -1;
}

static double since_start(const struct switch_record *rec)
{
	return (clock_monotonic_ns() - rec->started_ns) / 1e9;
}

static struct switch_step *step_begin(struct switch_record *rec, const char *name)
{
	struct switch_step *step = &rec->steps[rec->n_steps < SWITCH_STEPS_MAX ? rec->n_steps++ : SWITCH_STEPS_MAX - 1];

	memset(step, 0, sizeof(*step));
	snprintf(step->name, sizeof(step->name), "%s", name);
	step->start_s = since_start(rec);
	return step;
}

/* Close the step with ret's verdict and a detail, tell the caller's callback, and pass ret on. */
__attribute__((format(printf, 4, 5))) static int step_end(struct switch_record *rec, struct switch_step *step,
							   int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step->detail, sizeof(step->detail), fmt, ap);
	va_end(ap);
	step->ok = ret >= 0;
	step->seconds = since_start(rec) - step->start_s;
	if (rec->on_step)
		rec->on_step(step, rec->ctx);
	return ret;
}

/* ---- the physical side, through its BMC ---- */

static int power_state(const struct switch_request *req, bool *on, char *why, size_t len)
{
	return bmc_power_state(&req->physical.bmc.target, on, why, len);
}

/*
 * Poll the BMC until it reports want_on, for up to timeout_s of wall time. A BMC that misses an answer
 * now and then is asked again (one lost answer must not force a power-off or a rollback); only refused
 * credentials end the wait at once.
 */
static int wait_power(const struct switch_request *req, const struct switch_record *rec, bool want_on,
		      unsigned int timeout_s, char *why, size_t len)
{
	double deadline = since_start(rec) + timeout_s;

	for (;;) {
		bool on = !want_on;
		int ret = power_state(req, &on, why, len);

		if (ret == -EACCES)
			return ret;
		if (ret == 0 && on == want_on)
			return 0;
		if (since_start(rec) >= deadline) {
			if (ret == 0)
				snprintf(why, len, "still %s after %u s", on ? "on" : "off", timeout_s);
			return ret < 0 ? ret : -ETIMEDOUT;
		}
		clock_sleep_ms(POLL_MS);
	}
}

/* One TCP connection to HOST:PORT within CONNECT_TIMEOUT_MS. */
static bool tcp_answers(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
	bool answered = false;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return false;
	for (a = ai; a && !answered; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int soerr = -1;
		socklen_t soerr_len = sizeof(soerr);

		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && poll(&pfd, 1, CONNECT_TIMEOUT_MS) == 1 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == 0 && soerr == 0))
			answered = true;
		close(fd);
	}
	freeaddrinfo(ai);
	return answered;
}

/* ready = tcp:HOST:PORT: up once the port accepts, within timeout_s. */
static int wait_ready(const char *ready, unsigned int timeout_s, const struct switch_record *rec, char *why,
		      size_t len)
{
	char host[BMC_FIELD_MAX], port[8];
	double deadline = since_start(rec) + timeout_s;
	unsigned int port_number;

	if (physical_ready_parse(ready, host, sizeof(host), &port_number) < 0) {
		snprintf(why, len, "ready '%.128s' is not tcp:HOST:PORT", ready);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", port_number);
	while (!tcp_answers(host, port)) {
		if (since_start(rec) >= deadline) {
			snprintf(why, len, "%.128s did not answer within %u s", ready, timeout_s);
			return -ETIMEDOUT;
		}
		clock_sleep_ms(POLL_MS);
	}
	return 0;
}

/* Boot device, power on, and wait for the BMC (and the ready probe) to say it is up. */
static int physical_start(const struct switch_request *req, struct switch_record *rec, const char *prefix,
			  char *why, size_t len)
{
	const struct physical_server *ps = &req->physical;
	char name[48];
	struct switch_step *step;
	int ret;

	snprintf(name, sizeof(name), "%sbmc-boot-device", prefix);
	step = step_begin(rec, name);
	rec->changed = true;
	ret = bmc_set_boot_device(&ps->bmc.target, ps->boot, false, why, len);
	if (step_end(rec, step, ret, "%s, once: %s", bmc_boot_device_name(ps->boot), ret < 0 ? why : "set") < 0)
		return ret;
	snprintf(name, sizeof(name), "%sbmc-power-on", prefix);
	step = step_begin(rec, name);
	if (!prefix[0])
		rec->target_on_s = step->start_s;
	ret = bmc_power(&ps->bmc.target, BMC_POWER_ON, why, len);
	if (step_end(rec, step, ret, "%s", ret < 0 ? why : "sent") < 0)
		return ret;
	snprintf(name, sizeof(name), "%sphysical-up", prefix);
	step = step_begin(rec, name);
	ret = wait_power(req, rec, true, req->timeout_s, why, len);
	if (ret == 0 && ps->ready[0])
		ret = wait_ready(ps->ready, req->timeout_s, rec, why, len);
	return step_end(rec, step, ret, "%s", ret < 0 ? why : ps->ready[0] ? "powered on, ready answers" : "powered on");
}

/* Power off (soft first when asked), and read "off" back: only then may the other side start. */
static int physical_stop(const struct switch_request *req, struct switch_record *rec, bool soft, char *why, size_t len)
{
	struct switch_step *step;
	int ret = -ETIMEDOUT;

	rec->changed = true;
	if (soft) {
		step = step_begin(rec, "bmc-soft-off");
		ret = bmc_power(&req->physical.bmc.target, BMC_POWER_SOFT, why, len);
		if (ret == 0)
			ret = wait_power(req, rec, false, req->timeout_s, why, len);
		step_end(rec, step, ret, "%s", ret < 0 ? why : "the OS shut down after its power button");
	}
	if (ret < 0) {
		step = step_begin(rec, "bmc-force-off");
		ret = bmc_power(&req->physical.bmc.target, BMC_POWER_OFF, why, len);
		if (ret == 0)
			ret = wait_power(req, rec, false, SWITCH_POWEROFF_WAIT_S, why, len);
		if (step_end(rec, step, ret, "%s", ret < 0 ? why : "powered off") < 0)
			return ret;
	}
	return 0;
}

/* ---- the logical side, through its control socket ---- */

/* Its supervisor's pid when NAME answers on its socket, else -ENOENT. */
static int logical_find(struct registry *registry, const char *name, long long *pid)
{
	char path[REGISTRY_SOCKET_PATH_MAX], err[256];
	struct control_status status;
	json_t *reply = NULL;
	int ret = registry_socket_path(registry, name, path, sizeof(path));

	if (ret == 0)
		ret = control_call(path, CONTROL_STATUS, &reply, err, sizeof(err));
	if (ret == 0)
		ret = control_status_from_json(reply, &status) < 0 ? -EPROTO : 0;
	json_decref(reply);
	if (ret == -ECONNREFUSED)
		ret = -ENOENT;
	if (ret == 0)
		*pid = status.pid;
	return ret;
}

static int logical_request(const char *path, enum control_command command, char *why, size_t len)
{
	json_t *reply = NULL;
	int ret = control_call(path, command, &reply, why, len);

	if (ret == 0)
		ret = control_reply_check(reply, why, len);
	json_decref(reply);
	return ret;
}

/* The power button, then (after the timeout) power off; done when its supervisor has exited. */
static int logical_stop(const struct switch_request *req, struct registry *registry, struct switch_record *rec,
			long long pid, char *why, size_t len)
{
	char path[REGISTRY_SOCKET_PATH_MAX];
	struct switch_step *step = step_begin(rec, "guest-shutdown");
	int ret = registry_socket_path(registry, req->logical, path, sizeof(path));

	rec->changed = true;
	if (ret == 0)
		ret = logical_request(path, CONTROL_SHUTDOWN, why, len);
	if (ret == 0 && !control_wait_stopped(path, pid, req->timeout_s)) {
		snprintf(why, len, "still running %u s after its power button", req->timeout_s);
		ret = -ETIMEDOUT;
	}
	step_end(rec, step, ret, "%s", ret < 0 ? why : "the guest powered off after its power button");
	if (ret < 0) {
		step = step_begin(rec, "forced-poweroff");
		ret = logical_request(path, CONTROL_POWEROFF, why, len);
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			ret = 0;	/* it stopped just now, after the wait: its supervisor may still be giving devices back */
		if (ret == 0 && !control_wait_stopped(path, pid, SWITCH_POWEROFF_WAIT_S)) {
			snprintf(why, len, "%s still runs %d s after a power-off", req->logical, SWITCH_POWEROFF_WAIT_S);
			ret = -ETIMEDOUT;
		}
		if (step_end(rec, step, ret, "%s", ret < 0 ? why : "powered off") < 0)
			return ret;
	}
	return 0;
}

/* `sheer run PROFILE`, in the foreground (stdio inherited) or detached from this command (its own session). */
static int logical_spawn(const struct switch_request *req, bool detached, pid_t *pid)
{
	char *argv[] = { (char *)req->sheer_path, "run", (char *)req->profile, NULL };
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	int ret;

	posix_spawn_file_actions_init(&actions);
	posix_spawnattr_init(&attr);
	if (detached) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
		for (int fd = 0; fd <= 2; fd++)
			posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
	}
	ret = -posix_spawn(pid, req->sheer_path, &actions, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	return ret;
}

/* Until the started server answers on its socket; -ECHILD (with its exit status) if `sheer run` ended first. */
static int logical_wait_running(const struct switch_request *req, struct registry *registry, pid_t pid, char *why,
				size_t len)
{
	for (unsigned int waited_ms = 0;; waited_ms += POLL_MS) {
		long long supervisor;
		int status;

		if (logical_find(registry, req->logical, &supervisor) == 0)
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			snprintf(why, len, "sheer run %.160s exited %d before it ran", req->profile,
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return -ECHILD;
		}
		if (waited_ms >= req->timeout_s * 1000u) {
			snprintf(why, len, "%s did not start within %u s", req->logical, req->timeout_s);
			return -ETIMEDOUT;
		}
		clock_sleep_ms(POLL_MS);
	}
}

/* A `sheer run` that never came up: nothing of it may stay (its VMM dies with its supervisor). */
static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	for (unsigned int waited_ms = 0; waitpid(pid, NULL, WNOHANG) != pid; waited_ms += POLL_MS) {
		if (waited_ms >= SWITCH_POWEROFF_WAIT_S * 1000u) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		clock_sleep_ms(POLL_MS);
	}
}

static int logical_start(const struct switch_request *req, struct registry *registry, struct switch_record *rec,
			 bool rollback, char *why, size_t len)
{
	struct switch_step *step = step_begin(rec, rollback ? "rollback-start-logical" : "start-logical");
	pid_t pid;
	int ret;

	if (!rollback)
		rec->target_on_s = step->start_s;
	rec->changed = true;
	ret = logical_spawn(req, rollback, &pid);
	if (ret < 0)
		snprintf(why, len, "cannot start %s: %s", req->sheer_path, strerror(-ret));
	else
		ret = logical_wait_running(req, registry, pid, why, len);
	if (ret == -ETIMEDOUT)
		stop_child(pid);
	if (ret == 0 && !rollback)
		rec->logical_pid = pid;
	return step_end(rec, step, ret, "%s", ret < 0 ? why : rollback ? "runs here again (detached)" : "running");
}

/* ---- the two directions ---- */

static void plan(struct switch_record *rec, const char *const *steps)
{
	for (; *steps; steps++)
		step_end(rec, step_begin(rec, *steps), 0, "planned");
	rec->outcome = "planned";
}

static int to_physical(const struct switch_request *req, struct registry *registry, struct switch_record *rec,
		       char *err, size_t errlen)
{
	static const char *const steps[] = { "guest-shutdown", "source-off", "bmc-confirm-off", "bmc-boot-device",
					     "bmc-power-on", "physical-up", NULL };
	const char *server = req->physical.name;
	struct switch_step *step;
	char why[256];
	long long pid;
	bool on;
	int ret;

	if (logical_find(registry, req->logical, &pid) < 0) {
		snprintf(err, errlen, "%s is not running on this host", req->logical);
		return -ENOENT;
	}
	/* Whether it stopped is judged by its supervisor, as this host's registry names it (not the VMM's word). */
	if (req->supervisor <= 0 || pid != req->supervisor) {
		snprintf(err, errlen, "%s: its registry entry and its control socket name different processes", req->logical);
		return -EINVAL;
	}
	if (req->profile[0] == '\0') {
		snprintf(err, errlen, "%s was not started from a profile alone ('sheer run PROFILE'): a switch needs one to "
			 "start it again if %s does not come up", req->logical, server);
		return -EINVAL;
	}
	if ((ret = power_state(req, &on, why, sizeof(why))) < 0 || on) {
		snprintf(err, errlen, "%s: %s", server, ret < 0 ? why : "its BMC says it is powered on (is it running this disk?)");
		return ret < 0 ? ret : -EBUSY;
	}
	if (req->dry_run) {
		plan(rec, steps);
		return 0;
	}
	if ((ret = logical_stop(req, registry, rec, pid, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s did not stop: %s; nothing else was done", req->logical, why);
		return ret;
	}
	rec->source_off_s = since_start(rec);
	step_end(rec, step_begin(rec, "source-off"), 0, "%s's VMM exited, its devices are back on their host drivers",
		 req->logical);
	step = step_begin(rec, "bmc-confirm-off");
	ret = power_state(req, &on, why, sizeof(why));
	if (step_end(rec, step, ret < 0 || on ? -EBUSY : 0, "%s",
		     ret < 0 ? why : on ? "on: someone powered it on meanwhile" : "off") < 0) {
		snprintf(err, errlen, "%s is not confirmed off (%s); %s stays stopped", server, ret < 0 ? why : "on",
			 req->logical);
		return -EIO;
	}
	if (physical_start(req, rec, "", why, sizeof(why)) == 0) {
		rec->outcome = "switched";
		return 0;
	}
	snprintf(err, errlen, "%s did not come up: %s", server, why);
	if (physical_stop(req, rec, false, why, sizeof(why)) < 0) {
		snprintf(err + strlen(err), errlen - strlen(err), "; it is not confirmed off (%s), so %s stays stopped", why,
			 req->logical);
		return -EIO;
	}
	if (logical_start(req, registry, rec, true, why, sizeof(why)) < 0) {
		snprintf(err + strlen(err), errlen - strlen(err), "; starting %s again failed too: %s", req->logical, why);
		return -EIO;
	}
	rec->outcome = "rolled back";
	snprintf(err + strlen(err), errlen - strlen(err), "; %s runs here again", req->logical);
	return -EIO;
}

static int to_logical(const struct switch_request *req, struct registry *registry, struct switch_record *rec,
		      char *err, size_t errlen)
{
	static const char *const steps[] = { "bmc-soft-off", "source-off", "start-logical", NULL };
	const char *server = req->physical.name;
	struct switch_step *step;
	char why[256];
	long long pid;
	bool on, was_on;
	int ret;

	if ((ret = logical_find(registry, req->logical, &pid)) != -ENOENT) {
		snprintf(err, errlen, ret == 0 ? "%s is already running on this host"
					       : "%s has a control socket here that does not answer as it should: is it running?",
			 req->logical);
		return -EBUSY;
	}
	if ((ret = power_state(req, &on, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", server, why);
		return ret;
	}
	if (req->dry_run) {
		plan(rec, steps);
		return 0;
	}
	was_on = on;
	if (on && (ret = physical_stop(req, rec, true, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s did not power off: %s; nothing was started", server, why);
		return ret;
	}
	step = step_begin(rec, "source-off");
	ret = power_state(req, &on, why, sizeof(why));
	if (step_end(rec, step, ret < 0 || on ? -EBUSY : 0, "%s",
		     ret < 0 ? why : on ? "on: someone powered it on meanwhile" : "its BMC reads off") < 0) {
		snprintf(err, errlen, "%s is not confirmed off (%s); nothing was started", server, ret < 0 ? why : "on");
		return -EIO;
	}
	rec->source_off_s = step->start_s + step->seconds;
	if (logical_start(req, registry, rec, false, why, sizeof(why)) == 0) {
		rec->outcome = "switched";
		return 0;
	}
	snprintf(err, errlen, "%s did not start: %s", req->logical, why);
	if (!was_on) {
		snprintf(err + strlen(err), errlen - strlen(err), "; %s was off before, and stays off", server);
		return -EIO;
	}
	if (physical_start(req, rec, "rollback-", why, sizeof(why)) < 0) {
		snprintf(err + strlen(err), errlen - strlen(err), "; powering %s on again failed too: %s", server, why);
		return -EIO;
	}
	rec->outcome = "rolled back";
	snprintf(err + strlen(err), errlen - strlen(err), "; %s is powered on again", server);
	return -EIO;
}

/* One switch of a server at a time: NAME.switch in the registry's folder, locked for the whole switch. */
static int switch_lock(const struct registry *registry, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.switch", registry->dir, name) >= sizeof(path)) {
		snprintf(err, errlen, "%s: registry path too long", name);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

		snprintf(err, errlen, ret == -EBUSY ? "%s: another sheer switch of it is under way" : "%s: lock: %s", name,
			 strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

int switch_run(const struct switch_request *req, struct registry *registry, struct switch_record *rec, char *err,
	       size_t errlen)
{
	int lock = switch_lock(registry, req->logical, err, errlen), ret;

	if (lock < 0)
		return lock;
	ret = req->direction == SWITCH_TO_PHYSICAL ? to_physical(req, registry, rec, err, errlen)
						   : to_logical(req, registry, rec, err, errlen);
	close(lock);
	return ret;
}
