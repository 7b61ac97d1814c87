/*
 * What a fleet-state backend implements (store.h's calls, after store.c has
 * checked their arguments) and the handle part every backend shares.
 */
#ifndef SHEER_POWER_STORE_STORE_INTERNAL_H
#define SHEER_POWER_STORE_STORE_INTERNAL_H

#include "power/store/store.h"

#define FLEET_ERR_MAX 512

struct fleet_store_ops {
	void (*close)(struct fleet_store *s);
	int (*campaign)(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now);
	int (*resign)(struct fleet_store *s);
	int (*leader)(struct fleet_store *s, struct fleet_leader *now);
	int (*intent)(struct fleet_store *s, struct fleet_action *a);
	int (*result)(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail);
	int (*unfinished)(struct fleet_store *s, struct fleet_action **out, size_t *n);
	int (*history)(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n);
	int (*host_get)(struct fleet_store *s, const char *name, struct fleet_host *h);
	int (*host_put)(struct fleet_store *s, const struct fleet_host *h);
	int (*host_list)(struct fleet_store *s, struct fleet_host **out, size_t *n);
	int (*host_clear_wake_failed)(struct fleet_store *s, const char *name);
	int (*value_get)(struct fleet_store *s, const char *key, char *value, size_t len);
	int (*value_put)(struct fleet_store *s, const char *key, const char *value);
	int (*doc_get)(struct fleet_store *s, const char *space, const char *name, char **text);
	int (*doc_put)(struct fleet_store *s, const char *space, const char *name, const char *text);
};

/* The first member of each backend's own struct. */
struct fleet_store {
	const struct fleet_store_ops *ops;
	char url[FLEET_URL_MAX];
	char controller[FLEET_NAME_MAX];
	uint64_t term;		/* the term this handle won; 0 when it does not lead */
	char err[FLEET_ERR_MAX];
};

/* Set s's error line ("URL: " and the message) and return ret (a negative errno). */
int store_fail(struct fleet_store *s, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The refusal of a fenced write by a handle that does not (or no longer) lead. */
int store_not_leader(struct fleet_store *s, const char *what);
/* Unix seconds now, and milliseconds. */
int64_t store_now(void);
int64_t store_now_ms(void);
/* Grow *arr (of *cap elements of size each) to hold n + 1: 0 or -ENOMEM. */
int store_grow(void **arr, size_t *cap, size_t n, size_t size);

/* The backends' openers, given the whole URL ("sqlite:..." and "etcd:...": its scheme checked) and the
 * options (the controller id checked). */
int sqlite_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out,
		      char *err, size_t errlen);
int etcd_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out, char *err,
		    size_t errlen);
/* Fill the shared part of a new handle. */
void store_init(struct fleet_store *s, const struct fleet_store_ops *ops, const char *url, const char *controller);

#endif
