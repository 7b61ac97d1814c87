/* The SQLite backend's handle and the helpers its files share. */
#ifndef SHEER_POWER_STORE_SQLITE_STORE_H
#define SHEER_POWER_STORE_SQLITE_STORE_H

#include <sqlite3.h>

#include "power/store/store_internal.h"

struct sqlite_store {
	struct fleet_store base;
	sqlite3 *db;
};

static inline struct sqlite_store *sqlite_of(struct fleet_store *s)
{
	return (struct sqlite_store *)s;
}

/* SQLite's reason for the last failure, as the handle's error: a negative errno. */
int sqlite_fail(struct sqlite_store *q, const char *what);
int sqlite_prepare(struct sqlite_store *q, const char *sql, sqlite3_stmt **st, const char *what);
/* Step st to its end and finalize it. */
int sqlite_finish(struct sqlite_store *q, sqlite3_stmt *st, const char *what);
/* Copy text column col (NULL reads as "") into dst. */
void sqlite_text(sqlite3_stmt *st, int col, char *dst, size_t size);

/* Every row st selects, each made an item of size bytes by from_row, into a malloc'd array; st finalized. */
int sqlite_collect(struct sqlite_store *q, sqlite3_stmt *st, void **out, size_t *n, size_t size,
		   void (*from_row)(sqlite3_stmt *st, void *item));

/*
 * BEGIN IMMEDIATE: the write lock, so that what is read next cannot change
 * before the commit. fenced: and this handle still leads its term, or the
 * transaction is rolled back and -EPERM returned.
 */
int sqlite_begin(struct sqlite_store *q, bool fenced, const char *what);
int sqlite_commit(struct sqlite_store *q, const char *what);
/* Roll back after a failure, keeping its ret and error line. */
int sqlite_rollback(struct sqlite_store *q, int ret);

/* One statement in a transaction of its own: sqlite_begin, then sql prepared (rolled back on failure);
 * sqlite_write_end steps it to its end and commits (or rolls back). */
int sqlite_write_begin(struct sqlite_store *q, bool fenced, const char *sql, sqlite3_stmt **st, const char *what);
int sqlite_write_end(struct sqlite_store *q, sqlite3_stmt *st, const char *what);

int sqlite_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now);
int sqlite_resign(struct fleet_store *s);
int sqlite_leader(struct fleet_store *s, struct fleet_leader *now);
int sqlite_intent(struct fleet_store *s, struct fleet_action *a);
int sqlite_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail);
int sqlite_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n);
int sqlite_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n);
int sqlite_host_get(struct fleet_store *s, const char *name, struct fleet_host *h);
int sqlite_host_put(struct fleet_store *s, const struct fleet_host *h);
int sqlite_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n);
int sqlite_host_clear_wake_failed(struct fleet_store *s, const char *name);
int sqlite_value_get(struct fleet_store *s, const char *key, char *value, size_t len);
int sqlite_value_put(struct fleet_store *s, const char *key, const char *value);
int sqlite_doc_get(struct fleet_store *s, const char *space, const char *name, char **text);
int sqlite_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text);

#endif
