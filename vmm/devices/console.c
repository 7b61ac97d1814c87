#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/devices/console.h"


#define CONSOLE_RETRY_MS 10	/* how soon to retry when the guest's FIFO is full */

static bool console_wanted(int fd)
{
	struct stat st;

	return isatty(fd) || (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)));
}

static size_t console_room(struct console *console)
{
	size_t room;

	pthread_mutex_lock(console->lock);
	room = console->paused ? 0 : serial_rx_room(console->uart);
	pthread_mutex_unlock(console->lock);
	return room;
}

void console_set_paused(struct console *console, bool paused)
{
	console->paused = paused;
}

static void *console_main(void *arg)
{
	struct console *console = arg;
	uint8_t buf[SERIAL_FIFO_SIZE];

	for (;;) {
		size_t room = console_room(console);
		struct pollfd fds[2] = {
			{ .fd = console->wake_fd, .events = POLLIN },
			{ .fd = console->in_fd, .events = room ? POLLIN : 0 },
		};
		ssize_t n;

		if (poll(fds, 2, room ? -1 : CONSOLE_RETRY_MS) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (!fds[1].revents)
			continue;
		/* The FIFO only fills from here, so the room measured above is still there. */
		n = read(console->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;	/* end of input: the guest just stops receiving */
		if (n > 0) {
			pthread_mutex_lock(console->lock);
			serial_receive(console->uart, buf, n);
			pthread_mutex_unlock(console->lock);
		}
	}
	return NULL;
}

int console_start(struct console *console, int in_fd, struct serial *uart, pthread_mutex_t *lock,
		  const struct sandbox *sandbox)
{
	int ret;

	*console = (struct console){ .in_fd = in_fd, .wake_fd = -1, .uart = uart, .lock = lock };
	if (!console_wanted(in_fd))
		return 0;
	console->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (console->wake_fd < 0)
		return -errno;
	ret = sandbox_thread_start(sandbox, SANDBOX_CONSOLE, &console->thread, console_main, console, -1);
	if (ret < 0) {
		close(console->wake_fd);
		console->wake_fd = -1;
		return ret;
	}
	console->started = true;
	return 0;
}

void console_stop(struct console *console)
{
	uint64_t one = 1;

	if (!console->started)
		return;
	if (write(console->wake_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(console->thread);
	pthread_join(console->thread, NULL);
	close(console->wake_fd);
	console->started = false;
}
