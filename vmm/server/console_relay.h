/*
 * The console of a server started in the background (`sheer start`): a
 * small process between the server and its operators. The supervisor's and
 * the VMM's standard output and error go into it, and it keeps the last
 * CONSOLE_RING_SIZE bytes, appends everything to the server's log
 * (LOG/NAME.log, rotated to NAME.log.1 past CONSOLE_LOG_MAX bytes) and
 * passes it on to whoever is attached to RUN/NAME.console (`sheer console`):
 * up to CONSOLE_MAX_VIEWERS at once, each first given the ring. One of them
 * at a time has the keyboard: its bytes become the guest's serial input.
 * It ends when both the supervisor and the VMM have closed their output,
 * that is when both have exited.
 *
 * A viewer connects, sends one byte ('w' to ask for the keyboard, 'r' to
 * only watch), and gets a line "sheer-console NAME writer|reader" before the
 * console's bytes.
 */
#ifndef SHEER_VMM_SERVER_CONSOLE_RELAY_H
#define SHEER_VMM_SERVER_CONSOLE_RELAY_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define CONSOLE_RING_SIZE (256 * 1024)
#define CONSOLE_LOG_MAX (8 << 20)
#define CONSOLE_MAX_VIEWERS 8
#define CONSOLE_HELLO_TIMEOUT_MS 200

struct console_relay {
	pid_t pid;
	char log_path[PATH_MAX];
	char socket_path[PATH_MAX];	/* where viewers connect once the server's name is its own */
	char pending_path[PATH_MAX];	/* where the socket is bound until then */
};

/* RUN/NAME.console, where a server's console is reached. */
int console_relay_socket_path(const char *run_dir, const char *name, char *out, size_t outlen);
/* LOG/NAME.log. */
int console_relay_log_path(const char *name, char *out, size_t outlen);
/* LOG/NAME.log into path, opened to append (its folder made if need be): the fd, or -errno with err. */
int console_relay_log_open(const char *name, char *path, size_t pathlen, char *err, size_t errlen);
/*
 * Start the relay process and make this process's standard input, output
 * and error its pipes (the VMM forked later inherits them). Its socket waits
 * at a private path until console_relay_publish(): a name not yet checked
 * must not take over the console of a running server of that name.
 */
int console_relay_spawn(struct console_relay *relay, const char *run_dir, const char *name, char *err,
			size_t errlen);
/* The server's name is its own now: viewers can reach its console. */
int console_relay_publish(struct console_relay *relay);

#endif
