/*
 * vmm/sandbox: the user the VMM becomes, and the per-thread-kind seccomp
 * lists. Each filter test confines a forked child and watches how it ends:
 * an allowed call goes through; a forbidden one stops the whole process with
 * SANDBOX_VIOLATION_EXIT and one line naming the thread kind and the call.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/sandbox/sandbox.h"

static char err[512];

struct child_end {
	int status;
	char stderr_text[512];
};

/* Run fn confined as kind in a child, stderr captured; the child exits 0 when fn returns. */
static void run_confined(enum sandbox_thread kind, void (*fn)(void), struct child_end *end)
{
	const struct sandbox sandbox = { .confine = true, .forbidden_in = -1 };
	int pipe_fds[2];
	ssize_t got;
	pid_t pid;

	ck_assert_int_eq(pipe(pipe_fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipe_fds[1], STDERR_FILENO);
		close(pipe_fds[0]);
		if (sandbox_confine_thread(&sandbox, kind) < 0)
			_exit(3);
		fn();
		_exit(0);
	}
	close(pipe_fds[1]);
	got = read(pipe_fds[0], end->stderr_text, sizeof(end->stderr_text) - 1);
	end->stderr_text[got > 0 ? got : 0] = '\0';
	close(pipe_fds[0]);
	ck_assert_int_eq(waitpid(pid, &end->status, 0), pid);
}

static void assert_violation(const struct child_end *end, const char *line)
{
	ck_assert_msg(WIFEXITED(end->status) && WEXITSTATUS(end->status) == SANDBOX_VIOLATION_EXIT,
		      "status 0x%x, stderr '%s'", end->status, end->stderr_text);
	ck_assert_str_eq(end->stderr_text, line);
}

static void assert_clean_exit(const struct child_end *end)
{
	ck_assert_msg(WIFEXITED(end->status) && WEXITSTATUS(end->status) == 0, "status 0x%x, stderr '%s'",
		      end->status, end->stderr_text);
}

static void open_a_file(void)
{
	int fd = open("/etc/hostname", O_RDONLY);

	if (fd >= 0)
		close(fd);
}

static void tty_ioctl(void)
{
	struct winsize ws;

	ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
}

static void map_executable(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
}

static void fork_a_process(void)
{
	if (fork() == 0)
		_exit(0);
}

/* What every kind may do: allocate, take locks, read the clock, write to stderr. */
static void ordinary_work(void)
{
	char *buffer = malloc(1 << 20);
	struct timespec now;

	memset(buffer, 1, 1 << 20);
	free(buffer);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (write(STDERR_FILENO, "", 0) < 0)
		_exit(4);
}

START_TEST(every_kind_refuses_opening_a_file)
{
	struct child_end end;
	char line[256];

	run_confined((enum sandbox_thread)_i, open_a_file, &end);
	snprintf(line, sizeof(line),
		 "sheer: VMM stopped: its %s thread made system call openat (257) of /etc/hostname, which its seccomp filter does not "
		 "allow (README, Security)\n", sandbox_thread_name((enum sandbox_thread)_i));
	assert_violation(&end, line);
}
END_TEST

START_TEST(every_kind_does_ordinary_work)
{
	struct child_end end;

	run_confined((enum sandbox_thread)_i, ordinary_work, &end);
	assert_clean_exit(&end);
}
END_TEST

START_TEST(every_kind_refuses_executable_memory_and_fork)
{
	struct child_end end;

	run_confined((enum sandbox_thread)_i, map_executable, &end);
	ck_assert_int_eq(WEXITSTATUS(end.status), SANDBOX_VIOLATION_EXIT);
	ck_assert_ptr_nonnull(strstr(end.stderr_text, "system call mmap (9)"));
	run_confined((enum sandbox_thread)_i, fork_a_process, &end);
	ck_assert_int_eq(WEXITSTATUS(end.status), SANDBOX_VIOLATION_EXIT);
	ck_assert_ptr_nonnull(strstr(end.stderr_text, "system call clone (56)"));
}
END_TEST

START_TEST(vcpu_ioctl_outside_its_requests_is_named)
{
	struct child_end end;

	run_confined(SANDBOX_VCPU, tty_ioctl, &end);
	assert_violation(&end, "sheer: VMM stopped: its vcpu thread made system call ioctl (16) (ioctl request 0x5413), "
			       "which its seccomp filter does not allow (README, Security)\n");
}
END_TEST

static void *open_in_thread(void *arg)
{
	(void)arg;
	open_a_file();
	return NULL;
}

static void confined_thread_opening_a_file(void)
{
	const struct sandbox sandbox = { .confine = true, .forbidden_in = -1 };
	pthread_t thread;

	/* The caller is not confined: only the new thread's call is refused, and it stops the process. */
	if (sandbox_thread_start(&sandbox, SANDBOX_CONSOLE, &thread, open_in_thread, NULL, -1) == 0)
		pthread_join(thread, NULL);
}

START_TEST(a_started_thread_is_confined_before_its_function_runs)
{
	struct child_end end;
	int pipe_fds[2];
	pid_t pid;
	ssize_t got;

	ck_assert_int_eq(pipe(pipe_fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipe_fds[1], STDERR_FILENO);
		confined_thread_opening_a_file();
		_exit(0);
	}
	close(pipe_fds[1]);
	got = read(pipe_fds[0], end.stderr_text, sizeof(end.stderr_text) - 1);
	end.stderr_text[got > 0 ? got : 0] = '\0';
	ck_assert_int_eq(waitpid(pid, &end.status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(end.status), SANDBOX_VIOLATION_EXIT);
	ck_assert_ptr_nonnull(strstr(end.stderr_text, "its console thread made system call openat"));
}
END_TEST

START_TEST(no_sandbox_confines_nothing)
{
	const struct sandbox off = { .confine = false, .forbidden_in = -1 };

	ck_assert_int_eq(sandbox_confine_thread(&off, SANDBOX_VCPU), 0);
	ck_assert_int_eq(sandbox_confine_thread(NULL, SANDBOX_VCPU), 0);
	open_a_file();
}
END_TEST

START_TEST(vmm_user_must_exist_and_not_be_root)
{
	struct sandbox_user user;

	if (geteuid() != 0) {
		/* Not root: the VMM stays the caller, whatever is asked. */
		setenv("SHEER_VMM_USER", "no-such-user-here", 1);
		ck_assert_int_eq(sandbox_user_resolve(&user, err, sizeof(err)), 0);
		ck_assert(!user.change && user.uid == getuid());
		return;
	}
	setenv("SHEER_VMM_USER", "no-such-user-here", 1);
	ck_assert_int_lt(sandbox_user_resolve(&user, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "no user 'no-such-user-here' to run the VMM as; create it with 'useradd --system "
			      "--no-create-home --shell /usr/sbin/nologin no-such-user-here' (README, Security)");
	setenv("SHEER_VMM_USER", "root", 1);
	ck_assert_int_eq(sandbox_user_resolve(&user, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "user 'root' has uid or gid 0: the VMM must not run as root");
	unsetenv("SHEER_VMM_USER");
}
END_TEST

START_TEST(entering_the_user_sets_no_new_privileges_and_drops_root)
{
	struct sandbox_user user = { .uid = 65534, .gid = 65534, .change = geteuid() == 0, .name = "nobody" };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (sandbox_user_enter(&user, err, sizeof(err)) < 0)
			_exit(3);
		/* No way back to root, no capability left, and no exec may raise privileges. */
		if (user.change && (setuid(0) == 0 || geteuid() != 65534 || getegid() != 65534))
			_exit(4);
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 5);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *filters = tcase_create("filters"), *user = tcase_create("user");

	tcase_add_loop_test(filters, every_kind_refuses_opening_a_file, 0, SANDBOX_THREAD_KINDS);
	tcase_add_loop_test(filters, every_kind_does_ordinary_work, 0, SANDBOX_THREAD_KINDS);
	tcase_add_loop_test(filters, every_kind_refuses_executable_memory_and_fork, 0, SANDBOX_THREAD_KINDS);
	tcase_add_test(filters, vcpu_ioctl_outside_its_requests_is_named);
	tcase_add_test(filters, a_started_thread_is_confined_before_its_function_runs);
	tcase_add_test(filters, no_sandbox_confines_nothing);
	tcase_add_test(user, vmm_user_must_exist_and_not_be_root);
	tcase_add_test(user, entering_the_user_sets_no_new_privileges_and_drops_root);
	suite_add_tcase(s, filters);
	suite_add_tcase(s, user);
	return s;
}
