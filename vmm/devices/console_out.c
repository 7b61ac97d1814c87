#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/devices/console_out.h"

/*
 * At most this much per write: once poll says a pipe or terminal is
 * writable there is room for this much, so the write returns instead of
 * waiting for a reader, and the writer stays free to be told to stop.
 */
#define CONSOLE_OUT_CHUNK 4096

/* The next contiguous run of queued bytes, waiting for one; 0 when stopping with nothing left. */
static size_t console_out_next(struct console_out *out)
{
	size_t run;

	pthread_mutex_lock(&out->lock);
	while (!out->len && !out->stopping)
		pthread_cond_wait(&out->changed, &out->lock);
	run = out->len < CONSOLE_OUT_SIZE - out->head ? out->len : CONSOLE_OUT_SIZE - out->head;
	pthread_mutex_unlock(&out->lock);
	return run < CONSOLE_OUT_CHUNK ? run : CONSOLE_OUT_CHUNK;
}

static void console_out_consumed(struct console_out *out, size_t n, bool broken)
{
	pthread_mutex_lock(&out->lock);
	out->head = (out->head + n) % CONSOLE_OUT_SIZE;
	out->len -= n;
	if (broken) {
		out->broken = true;
		out->dropped += out->len;
		out->len = 0;
	}
	pthread_cond_broadcast(&out->changed);
	pthread_mutex_unlock(&out->lock);
}

/* Until the reader takes more; false when console_out_stop gave up on it. */
static bool console_out_wait_writable(struct console_out *out)
{
	struct pollfd fds[2] = { { .fd = out->fd, .events = POLLOUT }, { .fd = out->wake_fd, .events = POLLIN } };

	while (poll(fds, 2, -1) < 0)
		if (errno != EINTR)
			return true;	/* let the write report what is wrong with the fd */
	return !fds[1].revents;
}

/* The waiting for the reader happens here, with no lock held: only this thread waits. */
static void *console_out_main(void *arg)
{
	struct console_out *out = arg;
	size_t run;

	sandbox_test_hook(out->sandbox, SANDBOX_CONSOLE);
	while ((run = console_out_next(out)) > 0 && console_out_wait_writable(out)) {
		ssize_t n = write(out->fd, out->buf + out->head, run);

		if (n < 0 && errno == EINTR)
			continue;
		console_out_consumed(out, n > 0 ? (size_t)n : 0, n <= 0);
	}
	return NULL;
}

int console_out_start(struct console_out *out, int fd, const struct sandbox *sandbox)
{
	int ret;

	out->fd = fd;
	out->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (out->wake_fd < 0)
		return -errno;
	out->sandbox = sandbox;
	out->head = out->len = 0;
	out->dropped = 0;
	out->stopping = out->broken = false;
	pthread_mutex_init(&out->lock, NULL);
	pthread_cond_init(&out->changed, NULL);
	ret = sandbox_thread_start(sandbox, SANDBOX_CONSOLE, &out->thread, console_out_main, out, -1);
	out->started = ret == 0;
	if (ret < 0)
		close(out->wake_fd);
	return ret;
}

void console_out_write(struct console_out *out, const uint8_t *data, size_t len)
{
	size_t room, n;

	if (!out->started)
		return;
	pthread_mutex_lock(&out->lock);
	room = out->stopping || out->broken ? 0 : CONSOLE_OUT_SIZE - out->len;
	n = len < room ? len : room;
	for (size_t i = 0; i < n; i++)
		out->buf[(out->head + out->len + i) % CONSOLE_OUT_SIZE] = data[i];
	out->len += n;
	out->dropped += len - n;
	if (n)
		pthread_cond_broadcast(&out->changed);
	pthread_mutex_unlock(&out->lock);
}

void console_out_stop(struct console_out *out, int timeout_ms)
{
	struct timespec deadline;
	uint64_t one = 1;
	bool drained;

	if (!out->started)
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&out->lock);
	out->stopping = true;
	pthread_cond_broadcast(&out->changed);
	while (out->len && pthread_cond_timedwait(&out->changed, &out->lock, &deadline) != ETIMEDOUT)
		;
	drained = out->len == 0;
	out->dropped += out->len;
	pthread_mutex_unlock(&out->lock);
	/* A reader that never reads would keep the writer waiting for ever. */
	if (!drained && write(out->wake_fd, &one, sizeof(one)) != sizeof(one))
		return;	/* an eventfd takes a write of 1 unless broken: leave the writer rather than hang */
	pthread_join(out->thread, NULL);
	close(out->wake_fd);
	pthread_cond_destroy(&out->changed);
	pthread_mutex_destroy(&out->lock);
	out->started = false;
}

uint64_t console_out_dropped(struct console_out *out)
{
	uint64_t dropped;

	if (!out->started)
		return out->dropped;
	pthread_mutex_lock(&out->lock);
	dropped = out->dropped;
	pthread_mutex_unlock(&out->lock);
	return dropped;
}
