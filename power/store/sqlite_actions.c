/* The action log in SQLite: one row per action, its result NULL while it runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/sqlite_store.h"

#define ACTION_COLUMNS \
	"id, kind, server, from_host, to_host, reason, interval_id, controller, started, result, detail, finished"

int sqlite_intent(struct fleet_store *s, struct fleet_action *a)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_write_begin(q, true, "INSERT INTO actions (kind, server, from_host, to_host, reason, "
				     "interval_id, controller, term, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &st,
				     "recording an intent");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, fleet_action_kind_name(a->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->from_host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->to_host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)a->interval);
	sqlite3_bind_text(st, 7, s->controller, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)s->term);
	sqlite3_bind_int64(st, 9, a->started);
	ret = sqlite_write_end(q, st, "recording an intent");
	/* The connection's own last insert: no other writer can change it. */
	if (ret == 0)
		a->id = (uint64_t)sqlite3_last_insert_rowid(q->db);
	return ret;
}

/* -ENOENT for no such action, -EALREADY when it has its result. */
static int action_is_pending(struct sqlite_store *q, uint64_t id)
{
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT result IS NULL FROM actions WHERE id = ?", &st, "reading an action");
	int found, pending = 0;

	if (ret < 0)
		return ret;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		pending = sqlite3_column_int(st, 0);
	ret = sqlite_finish(q, st, "reading an action");
	if (ret == 0 && !found)
		ret = store_fail(&q->base, -ENOENT, "no action %llu", (unsigned long long)id);
	else if (ret == 0 && !pending)
		ret = store_fail(&q->base, -EALREADY, "action %llu has its result already", (unsigned long long)id);
	return ret;
}

int sqlite_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_begin(q, true, "recording a result");

	if (ret == 0)
		ret = action_is_pending(q, id);
	if (ret == 0)
		ret = sqlite_prepare(q, "UPDATE actions SET result = ?, detail = ?, finished = ? WHERE id = ?", &st,
				     "recording a result");
	if (ret < 0)
		return sqlite_rollback(q, ret);
	sqlite3_bind_text(st, 1, fleet_result_name(result), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, store_now());
	sqlite3_bind_int64(st, 4, (sqlite3_int64)id);
	return sqlite_write_end(q, st, "recording a result");
}

static void action_from_row(sqlite3_stmt *st, void *out)
{
	struct fleet_action *a = out;
	char word[32];

	memset(a, 0, sizeof(*a));
	a->id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite_text(st, 1, word, sizeof(word));
	(void)fleet_action_kind_parse(word, &a->kind);	/* the table's CHECK allows only known kinds */
	sqlite_text(st, 2, a->server, sizeof(a->server));
	sqlite_text(st, 3, a->from_host, sizeof(a->from_host));
	sqlite_text(st, 4, a->to_host, sizeof(a->to_host));
	sqlite_text(st, 5, a->reason, sizeof(a->reason));
	a->interval = (uint64_t)sqlite3_column_int64(st, 6);
	sqlite_text(st, 7, a->controller, sizeof(a->controller));
	a->started = sqlite3_column_int64(st, 8);
	sqlite_text(st, 9, word, sizeof(word));
	if (fleet_result_parse(word, &a->result) < 0)
		a->result = FLEET_PENDING;	/* NULL: no result yet */
	sqlite_text(st, 10, a->detail, sizeof(a->detail));
	a->finished = sqlite3_column_int64(st, 11);
}

int sqlite_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT " ACTION_COLUMNS " FROM actions WHERE result IS NULL ORDER BY id", &st,
				 "reading the action log");

	return ret < 0 ? ret : sqlite_collect(q, st, (void **)out, n, sizeof(**out), action_from_row);
}

int sqlite_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT " ACTION_COLUMNS " FROM actions WHERE started >= ? ORDER BY id DESC "
				 "LIMIT ?", &st, "reading the action log");

	if (ret < 0)
		return ret;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	return sqlite_collect(q, st, (void **)out, n, sizeof(**out), action_from_row);
}
