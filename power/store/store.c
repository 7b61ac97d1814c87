/*
 * The fleet store's front: the URL picks the backend, and every argument is
 * checked here once, so that neither backend stores a name that would not be
 * a safe etcd key or a reason without its NUL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "power/store/store_internal.h"
#include "vmm/lib/parse.h"

int store_fail(struct fleet_store *s, int ret, const char *fmt, ...)
{
	int n = snprintf(s->err, sizeof(s->err), "%s: ", s->url);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - n, fmt, ap);
	va_end(ap);
	return ret;
}

int store_not_leader(struct fleet_store *s, const char *what)
{
	s->term = 0;
	return store_fail(s, -EPERM, "%s refused: controller %s does not lead (its lease expired or another took "
			  "over); campaign again and finish the unfinished actions first", what, s->controller);
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t store_now(void)
{
	return store_now_ms() / 1000;
}

int store_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *bigger;

	if (n < *cap)
		return 0;
	bigger = realloc(*arr, want * size);
	if (!bigger)
		return -ENOMEM;
	*arr = bigger;
	*cap = want;
	return 0;
}

void store_init(struct fleet_store *s, const struct fleet_store_ops *ops, const char *url, const char *controller)
{
	s->ops = ops;
	snprintf(s->url, sizeof(s->url), "%s", url);
	snprintf(s->controller, sizeof(s->controller), "%s", controller);
	s->term = 0;
	s->err[0] = '\0';
}

int fleet_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out, char *err,
		     size_t errlen)
{
	*out = NULL;
	if (!url || strlen(url) >= FLEET_URL_MAX) {
		snprintf(err, errlen, "fleet state: no URL, or one longer than %d bytes", FLEET_URL_MAX - 1);
		return -EINVAL;
	}
	if (!opt || !opt->controller || !server_name_is_valid(opt->controller)) {
		snprintf(err, errlen, "%s: controller id '%.64s' is not a name (letters, digits, '-', '_', '.'; at "
			 "most 63)", url, opt && opt->controller ? opt->controller : "");
		return -EINVAL;
	}
	if (strncmp(url, "sqlite:", 7) == 0 && url[7])
		return sqlite_store_open(url, opt, out, err, errlen);
	if (strncmp(url, "etcd:", 5) == 0 && url[5])
		return etcd_store_open(url, opt, out, err, errlen);
	snprintf(err, errlen, "%s: not a fleet state URL (sqlite:PATH or etcd:http://HOST:2379[,...])", url);
	return -EINVAL;
}

void fleet_store_close(struct fleet_store *s)
{
	if (s)
		s->ops->close(s);
}

const char *fleet_store_error(const struct fleet_store *s)
{
	return s->err;
}

int fleet_store_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now)
{
	struct fleet_leader ignored;

	*leading = false;
	if (lease_s < 1 || lease_s > 3600)
		return store_fail(s, -EINVAL, "lease of %u s: give 1 to 3600 seconds", lease_s);
	return s->ops->campaign(s, lease_s, leading, now ? now : &ignored);
}

int fleet_store_resign(struct fleet_store *s)
{
	return s->ops->resign(s);
}

int fleet_store_leader(struct fleet_store *s, struct fleet_leader *now)
{
	return s->ops->leader(s, now);
}

static bool text_ends(const char *text, size_t size)
{
	return strnlen(text, size) < size;
}

/* "" or a name that is safe as an etcd key component and a file name. */
static int name_check(struct fleet_store *s, const char *what, const char *name, bool required)
{
	if (!text_ends(name, FLEET_NAME_MAX) || (name[0] && !server_name_is_valid(name)) || (required && !name[0]))
		return store_fail(s, -EINVAL, "%s '%.63s' is not a name (letters, digits, '-', '_', '.'; at most 63)",
				  what, name);
	return 0;
}

int fleet_store_intent(struct fleet_store *s, struct fleet_action *a)
{
	int ret;

	if ((unsigned int)a->kind >= FLEET_ACTION_KINDS)
		return store_fail(s, -EINVAL, "action kind %d is not one sheer knows", (int)a->kind);
	if ((ret = name_check(s, "server", a->server, false)) < 0 ||
	    (ret = name_check(s, "host", a->from_host, false)) < 0 ||
	    (ret = name_check(s, "host", a->to_host, false)) < 0)
		return ret;
	if (!text_ends(a->reason, sizeof(a->reason)))
		return store_fail(s, -EINVAL, "an action's reason must end within %d bytes", FLEET_TEXT_MAX);
	if (a->interval > INT64_MAX)
		return store_fail(s, -EINVAL, "interval %llu is out of range", (unsigned long long)a->interval);
	snprintf(a->controller, sizeof(a->controller), "%s", s->controller);
	a->started = store_now();
	a->result = FLEET_PENDING;
	a->detail[0] = '\0';
	a->finished = 0;
	return s->ops->intent(s, a);
}

int fleet_store_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail)
{
	char cut[FLEET_TEXT_MAX];

	if (result == FLEET_PENDING || (unsigned int)result >= FLEET_RESULTS)
		return store_fail(s, -EINVAL, "action %llu: result %d is not ok, failed or rolled_back",
				  (unsigned long long)id, (int)result);
	if (id == 0 || id > INT64_MAX)
		return store_fail(s, -ENOENT, "no action %llu", (unsigned long long)id);
	snprintf(cut, sizeof(cut), "%s", detail ? detail : "");
	return s->ops->result(s, id, result, cut);
}

int fleet_store_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n)
{
	*out = NULL, *n = 0;
	return s->ops->unfinished(s, out, n);
}

int fleet_store_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n)
{
	*out = NULL, *n = 0;
	if (limit < 1 || limit > FLEET_HISTORY_MAX)
		return store_fail(s, -EINVAL, "history of %zu actions: give 1 to %d", limit, FLEET_HISTORY_MAX);
	return s->ops->history(s, since, limit, out, n);
}

int fleet_store_host_get(struct fleet_store *s, const char *name, struct fleet_host *h)
{
	int ret = name_check(s, "host", name, true);

	return ret < 0 ? ret : s->ops->host_get(s, name, h);
}

int fleet_store_host_put(struct fleet_store *s, const struct fleet_host *h)
{
	int ret = name_check(s, "host", h->name, true);

	if (ret < 0)
		return ret;
	if ((unsigned int)h->power >= FLEET_POWER_STATES)
		return store_fail(s, -EINVAL, "host %s: power state %d is not on, off or unknown", h->name,
				  (int)h->power);
	if (!text_ends(h->wake_failed_reason, sizeof(h->wake_failed_reason)))
		return store_fail(s, -EINVAL, "host %s: the wake failure's reason must end within %d bytes", h->name,
				  FLEET_TEXT_MAX);
	return s->ops->host_put(s, h);
}

int fleet_store_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n)
{
	*out = NULL, *n = 0;
	return s->ops->host_list(s, out, n);
}

int fleet_store_host_clear_wake_failed(struct fleet_store *s, const char *name)
{
	int ret = name_check(s, "host", name, true);

	return ret < 0 ? ret : s->ops->host_clear_wake_failed(s, name);
}

int fleet_store_value_get(struct fleet_store *s, const char *key, char *value, size_t len)
{
	int ret = name_check(s, "value key", key, true);

	return ret < 0 ? ret : s->ops->value_get(s, key, value, len);
}

int fleet_store_value_put(struct fleet_store *s, const char *key, const char *value)
{
	int ret = name_check(s, "value key", key, true);

	if (ret < 0)
		return ret;
	if (strlen(value) >= FLEET_VALUE_MAX)
		return store_fail(s, -EINVAL, "value %s: longer than %d bytes", key, FLEET_VALUE_MAX - 1);
	return s->ops->value_put(s, key, value);
}

int fleet_store_doc_get(struct fleet_store *s, const char *space, const char *name, char **text)
{
	int ret = name_check(s, "document space", space, true);

	*text = NULL;
	if (ret == 0)
		ret = name_check(s, "document", name, true);
	return ret < 0 ? ret : s->ops->doc_get(s, space, name, text);
}

int fleet_store_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text)
{
	int ret = name_check(s, "document space", space, true);

	if (ret == 0)
		ret = name_check(s, "document", name, true);
	if (ret < 0)
		return ret;
	if (strlen(text) > FLEET_DOC_MAX)
		return store_fail(s, -EINVAL, "document %s/%s: longer than %d bytes", space, name, FLEET_DOC_MAX);
	return s->ops->doc_put(s, space, name, text);
}
