#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/devices/console_out.h"


static void unlock_mutex(void *mutex)
{
	pthread_mutex_unlock(mutex);
}

/* The next contiguous run of queued bytes, waiting for one; 0 when stopping with nothing left. */
static size_t console_out_next(struct console_out *out)
{
	size_t run;

	pthread_mutex_lock(&out->lock);
	pthread_cleanup_push(unlock_mutex, &out->lock);
	while (!out->len && !out->stopping)
		pthread_cond_wait(&out->changed, &out->lock);
	run = out->len < CONSOLE_OUT_SIZE - out->head ? out->len : CONSOLE_OUT_SIZE - out->head;
	pthread_cleanup_pop(1);
	return run;
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

/* Blocking writes happen here, with no lock held: only this thread waits for the reader. */
static void *console_out_main(void *arg)
{
	struct console_out *out = arg;
	size_t run;

	sandbox_test_hook(out->sandbox, SANDBOX_CONSOLE);
	while ((run = console_out_next(out)) > 0) {
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
	out->sandbox = sandbox;
	out->head = out->len = 0;
	out->dropped = 0;
	out->stopping = out->broken = false;
	pthread_mutex_init(&out->lock, NULL);
	pthread_cond_init(&out->changed, NULL);
	ret = sandbox_thread_start(sandbox, SANDBOX_CONSOLE, &out->thread, console_out_main, out, -1);
	out->started = ret == 0;
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
	/* A reader that never reads would keep the writer in write() for ever. */
	if (!drained)
		pthread_cancel(out->thread);
	pthread_join(out->thread, NULL);
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
