/*
 * Fleet state in one SQLite file: WAL (readers never wait for the writer),
 * synchronous FULL (an intent is on disk before the action starts), a busy
 * timeout (two controllers on one file take turns), and the schema migrated
 * on open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/sqlite_schema.h"
#include "power/store/sqlite_store.h"

#define SQLITE_BUSY_MS 5000

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EPROTO;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int sqlite_fail(struct sqlite_store *q, const char *what)
{
	return store_fail(&q->base, sqlite_errno(sqlite3_extended_errcode(q->db)), "%s: %s", what,
			  sqlite3_errmsg(q->db));
}

int sqlite_prepare(struct sqlite_store *q, const char *sql, sqlite3_stmt **st, const char *what)
{
	return sqlite3_prepare_v2(q->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : sqlite_fail(q, what);
}

int sqlite_finish(struct sqlite_store *q, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(q, what);
}

void sqlite_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *text = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", text ? (const char *)text : "");
}

int sqlite_collect(struct sqlite_store *q, sqlite3_stmt *st, void **out, size_t *n, size_t size,
		   void (*from_row)(sqlite3_stmt *st, void *item))
{
	size_t cap = 0;
	int ret = 0;

	while (ret == 0 && sqlite3_step(st) == SQLITE_ROW) {
		ret = store_grow(out, &cap, *n, size);
		if (ret == 0)
			from_row(st, (char *)*out + size * (*n)++);
	}
	if (ret < 0)
		sqlite3_finalize(st), store_fail(&q->base, ret, "reading the fleet state: out of memory");
	else
		ret = sqlite_finish(q, st, "reading the fleet state");
	if (ret < 0) {
		free(*out);
		*out = NULL, *n = 0;
	}
	return ret;
}

int sqlite_rollback(struct sqlite_store *q, int ret)
{
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int sqlite_commit(struct sqlite_store *q, const char *what)
{
	if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	return sqlite_rollback(q, sqlite_fail(q, what));
}

/* Whether the leader row says this handle leads its term now. */
static int sqlite_still_leads(struct sqlite_store *q, bool *leads)
{
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT 1 FROM leader WHERE one = 1 AND controller = ? AND term = ? AND "
				 "expires_ms > ?", &st, "reading the leader");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, q->base.controller, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)q->base.term);
	sqlite3_bind_int64(st, 3, store_now_ms());
	*leads = q->base.term && sqlite3_step(st) == SQLITE_ROW;
	return sqlite_finish(q, st, "reading the leader");
}

int sqlite_begin(struct sqlite_store *q, bool fenced, const char *what)
{
	bool leads = false;
	int ret;

	if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(q, what);
	if (!fenced)
		return 0;
	ret = sqlite_still_leads(q, &leads);
	if (ret == 0 && !leads)
		ret = store_not_leader(&q->base, what);
	return ret < 0 ? sqlite_rollback(q, ret) : 0;
}

int sqlite_write_begin(struct sqlite_store *q, bool fenced, const char *sql, sqlite3_stmt **st, const char *what)
{
	int ret = sqlite_begin(q, fenced, what);

	if (ret == 0)
		ret = sqlite_prepare(q, sql, st, what);
	return ret < 0 ? sqlite_rollback(q, ret) : 0;
}

int sqlite_write_end(struct sqlite_store *q, sqlite3_stmt *st, const char *what)
{
	int ret = sqlite_finish(q, st, what);

	if (ret == 0)
		ret = sqlite_commit(q, what);
	return ret < 0 ? sqlite_rollback(q, ret) : 0;
}

static void sqlite_close(struct fleet_store *s)
{
	sqlite3_close(sqlite_of(s)->db);
	free(s);
}

static const struct fleet_store_ops sqlite_ops = {
	.close = sqlite_close,
	.campaign = sqlite_campaign,
	.resign = sqlite_resign,
	.leader = sqlite_leader,
	.intent = sqlite_intent,
	.result = sqlite_result,
	.unfinished = sqlite_unfinished,
	.history = sqlite_history,
	.host_get = sqlite_host_get,
	.host_put = sqlite_host_put,
	.host_list = sqlite_host_list,
	.host_clear_wake_failed = sqlite_host_clear_wake_failed,
	.value_get = sqlite_value_get,
	.value_put = sqlite_value_put,
	.doc_get = sqlite_doc_get,
	.doc_put = sqlite_doc_put,
};

/* WAL and the pragmas each connection needs; "wal" must come back (a file system without shared memory
 * would leave the file in rollback mode, where readers wait for the writer). */
static int sqlite_configure(sqlite3 *db, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	const char *mode;
	int ret = 0;

	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	if (sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(db));
		return sqlite_errno(sqlite3_errcode(db));
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(db));
		ret = sqlite_errno(sqlite3_errcode(db));
	} else if (strcmp((mode = (const char *)sqlite3_column_text(st, 0)) ? mode : "", "wal") != 0) {
		snprintf(why, whylen, "it cannot be put in WAL mode (journal mode %s)", mode ? mode : "?");
		ret = -EIO;
	}
	sqlite3_finalize(st);
	return ret;
}

int sqlite_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out,
		      char *err, size_t errlen)
{
	const char *path = url + strlen("sqlite:");
	struct sqlite_store *q = calloc(1, sizeof(*q));
	char why[FLEET_ERR_MAX] = "";
	int ret = q ? 0 : -ENOMEM;

	if (q && sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
				 NULL) != SQLITE_OK) {
		snprintf(why, sizeof(why), "cannot open it: %s (does its folder exist, and may this user write "
			 "there?)", q->db ? sqlite3_errmsg(q->db) : "out of memory");
		ret = -EACCES;
	}
	if (ret == 0)
		ret = sqlite_configure(q->db, why, sizeof(why));
	if (ret == 0)
		ret = sqlite_schema_upgrade(q->db, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", url, ret == -ENOMEM ? strerror(ENOMEM) : why);
		if (q)
			sqlite3_close(q->db);
		free(q);
		return ret;
	}
	store_init(&q->base, &sqlite_ops, url, opt->controller);
	*out = &q->base;
	return 0;
}
