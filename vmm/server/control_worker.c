/*
 * The long requests (checkpoint, migrate) run here, one at a time, so the
 * control thread goes on answering status, pause and power-off meanwhile:
 * an operator can watch a migration and stop the server during one. The
 * worker is started with the control thread, confined the same way (it
 * cannot start threads once the VMM is confined).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/server/control.h"
#include "vmm/server/control_connection.h"

static bool control_worker_wait(struct control_worker *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->busy && !w->stopping)
		pthread_cond_wait(&w->changed, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return w->busy;
}

static void control_worker_done(struct control_worker *w)
{
	pthread_mutex_lock(&w->lock);
	close(w->client_fd);
	if (w->file_fd >= 0)
		close(w->file_fd);
	w->client_fd = w->file_fd = -1;
	w->busy = false;
	pthread_mutex_unlock(&w->lock);
}

static void *control_worker_loop(void *arg)
{
	struct control_worker *w = arg;

	while (control_worker_wait(w)) {
		int channel_fd = w->client_fd;
		const struct control_channel channel = control_conn_channel(&channel_fd);
		char *reply = control_handle_stream(w->ops, w->ctx, w->request, w->len, w->file_fd, &channel);

		control_conn_reply(w->client_fd, reply);
		control_worker_done(w);
	}
	return NULL;
}

int control_worker_start(struct control_worker *w, const struct control_ops *ops, void *ctx,
			 const struct sandbox *sandbox)
{
	int ret;

	*w = (struct control_worker){ .ops = ops, .ctx = ctx, .client_fd = -1, .file_fd = -1 };
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->changed, NULL);
	ret = sandbox_thread_start(sandbox, SANDBOX_CONTROL, &w->thread, control_worker_loop, w, -1);
	w->started = ret == 0;
	return ret;
}

bool control_worker_take(struct control_worker *w, int client_fd, int file_fd, const char *request, size_t len)
{
	bool taken;

	pthread_mutex_lock(&w->lock);
	taken = w->started && !w->busy && !w->stopping && len <= sizeof(w->request);
	if (taken) {
		memcpy(w->request, request, len);
		w->len = len;
		w->client_fd = client_fd;
		w->file_fd = file_fd;
		w->busy = true;
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
	return taken;
}

void control_worker_stop(struct control_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	/* A migration in flight fails at once instead of waiting out its peer. */
	if (w->busy && w->file_fd >= 0)
		shutdown(w->file_fd, SHUT_RDWR);
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->changed);
	w->started = false;
}
