/*
 * `sheer console NAME [--read-only]`: attach to the console of a server
 * started with `sheer start` (vmm/server/console_relay.h). What the console
 * kept comes first, then what the guest prints; keys go to the guest if this
 * viewer has the keyboard. Ctrl-] detaches, as in virsh.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/cli/commands.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/fd_write.h"
#include "vmm/lib/parse.h"
#include "vmm/server/console_relay.h"
#include "vmm/server/registry.h"

#define ERR_MAX 512
#define CONSOLE_ESCAPE 0x1d	/* Ctrl-] */

static int console_connect(const char *name, char mode)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct registry registry;
	char err[ERR_MAX];
	int fd, ret = registry_open_existing(&registry, err, sizeof(err));

	if (ret < 0) {
		cli_error("%s", err);
		return ret;
	}
	ret = console_relay_socket_path(registry.dir, name, addr.sun_path, sizeof(addr.sun_path));
	registry_close(&registry);
	fd = ret < 0 ? ret : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || send(fd, &mode, 1, 0) != 1)) {
		ret = -errno;
		close(fd);
		fd = ret;
	}
	return fd;
}

enum console_header { CONSOLE_HEADER_OK, CONSOLE_HEADER_BUSY, CONSOLE_HEADER_NONE };

/*
 * SIGTERM, SIGHUP and SIGINT through a descriptor the loop polls, so that the
 * terminal is put back as it was whatever ends this; SIGPIPE is an error on
 * the write instead. -1 if not (the signals then act as they would).
 */
static int console_stop_signals(void)
{
	sigset_t stop;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGINT);
	fd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (fd >= 0)
		sigprocmask(SIG_BLOCK, &stop, NULL);
	return fd;
}

/* The relay's first line: "sheer-console NAME writer|reader", or "sheer-console busy". */
static enum console_header console_read_header(int fd, bool *writer)
{
	char line[128];
	size_t len = 0;

	while (len < sizeof(line) - 1 && recv(fd, line + len, 1, 0) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	*writer = strstr(line, " writer") != NULL;
	if (strcmp(line, "sheer-console busy") == 0)
		return CONSOLE_HEADER_BUSY;
	return strncmp(line, "sheer-console ", 14) == 0 ? CONSOLE_HEADER_OK : CONSOLE_HEADER_NONE;
}

/* Keys typed: true when the escape came (detach). Without the keyboard they go nowhere. */
static bool console_keys(int fd, bool writer, const char *keys, size_t len)
{
	const char *escape = memchr(keys, CONSOLE_ESCAPE, len);
	size_t before = escape ? (size_t)(escape - keys) : len;

	if (writer && before)
		send(fd, keys, before, MSG_NOSIGNAL);
	return escape != NULL;
}

/* Until the escape, a stop signal, or the server stops (its console closes): true for the last. */
static bool console_relay_loop(int fd, bool writer, int signal_fd)
{
	struct pollfd fds[3] = { { .fd = fd, .events = POLLIN }, { .fd = signal_fd, .events = POLLIN },
				 { .fd = STDIN_FILENO, .events = POLLIN } };
	char buf[16384];
	bool stdin_open = true;

	for (;;) {
		ssize_t n;

		if (poll(fds, stdin_open ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (fds[1].revents)
			return false;
		if (fds[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return true;
			if (fd_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return false;
		}
		if (stdin_open && fds[2].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			/* Input that ends (a pipe, /dev/null) leaves a viewer watching. */
			stdin_open = n > 0;
			if (n > 0 && console_keys(fd, writer, buf, (size_t)n))
				return false;
		}
	}
}

int cmd_console(int argc, char **argv)
{
	bool read_only = argc == 3 && strcmp(argv[2], "--read-only") == 0, writer, tty, stopped;
	enum console_header header;
	int signal_fd;
	struct termios saved, raw;
	const char *name = argv[1];
	int fd;

	if (argc != 2 && !read_only) {
		cli_error("usage: sheer console NAME [--read-only]");
		return SHEER_EXIT_USAGE;
	}
	if (!server_name_is_valid(name)) {
		cli_error("invalid server name '%.64s'", name);
		return SHEER_EXIT_USAGE;
	}
	fd = console_connect(name, read_only ? 'r' : 'w');
	if (fd == -EACCES || fd == -EPERM) {
		cli_error("%s: its console is its owner's (%s): run sheer console as the user that started it",
			  name, strerror(-fd));
		return SHEER_EXIT_FAILURE;
	}
	if (fd < 0) {
		cli_error("%s: no console here (%s): only a server started with 'sheer start' has one; one run with "
			  "'sheer run' has its terminal", name, strerror(-fd));
		return SHEER_EXIT_USAGE;
	}
	header = console_read_header(fd, &writer);
	if (header != CONSOLE_HEADER_OK) {
		if (header == CONSOLE_HEADER_BUSY)
			cli_error("%s: its console has %d viewers already", name, CONSOLE_MAX_VIEWERS);
		else
			cli_error("%s: its console closed before it answered (the server is stopping?)", name);
		close(fd);
		return SHEER_EXIT_FAILURE;
	}
	signal_fd = console_stop_signals();
	fprintf(stderr, "sheer: %s: console attached%s; Ctrl-] detaches\n", name,
		writer ? "" : " read-only (another viewer has the keyboard, or --read-only)");
	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	stopped = console_relay_loop(fd, writer, signal_fd);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close(fd);
	if (signal_fd >= 0)
		close(signal_fd);
	fprintf(stderr, stopped ? "\nsheer: %s: console closed: the server stopped\n" : "\nsheer: %s: detached\n", name);
	return SHEER_EXIT_OK;
}
