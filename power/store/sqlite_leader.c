/*
 * Leader election on one SQLite file: the leader row is read and taken in one
 * BEGIN IMMEDIATE transaction, so of two controllers campaigning at once the
 * second sees the first's row. A lease runs on the wall clock (unix ms), which
 * every controller on one host shares.
 */
#include <string.h>

#include "power/store/sqlite_store.h"

struct leader_row {
	bool present;
	char controller[FLEET_NAME_MAX];
	uint64_t term;
	int64_t expires_ms;
};

static int leader_row_read(struct sqlite_store *q, struct leader_row *row)
{
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT controller, term, expires_ms FROM leader WHERE one = 1", &st,
				 "reading the leader");

	if (ret < 0)
		return ret;
	memset(row, 0, sizeof(*row));
	if (sqlite3_step(st) == SQLITE_ROW) {
		row->present = true;
		sqlite_text(st, 0, row->controller, sizeof(row->controller));
		row->term = (uint64_t)sqlite3_column_int64(st, 1);
		row->expires_ms = sqlite3_column_int64(st, 2);
	}
	return sqlite_finish(q, st, "reading the leader");
}

static void leader_of(const struct leader_row *row, int64_t now_ms, struct fleet_leader *now)
{
	bool alive = row->present && row->expires_ms > now_ms;

	strcpy(now->controller, alive ? row->controller : "");
	now->term = alive ? row->term : 0;
}

static int leader_row_write(struct sqlite_store *q, uint64_t term, int64_t expires_ms)
{
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "INSERT INTO leader (one, controller, term, expires_ms) VALUES (1, ?, ?, ?) "
				 "ON CONFLICT (one) DO UPDATE SET controller = excluded.controller, "
				 "term = excluded.term, expires_ms = excluded.expires_ms", &st, "taking the lead");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, q->base.controller, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)term);
	sqlite3_bind_int64(st, 3, expires_ms);
	return sqlite_finish(q, st, "taking the lead");
}

int sqlite_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now)
{
	struct sqlite_store *q = sqlite_of(s);
	int64_t now_ms = store_now_ms();
	struct leader_row row;
	uint64_t term;
	int ret = sqlite_begin(q, false, "campaigning");

	if (ret == 0)
		ret = leader_row_read(q, &row);
	if (ret < 0)
		return sqlite_rollback(q, ret);
	leader_of(&row, now_ms, now);
	/* Someone else's lease is running (or this controller's own, held by another handle). */
	if (now->controller[0] && !(strcmp(now->controller, s->controller) == 0 && now->term == s->term)) {
		s->term = 0;
		return sqlite_rollback(q, 0);
	}
	/* A lease that ran out is a new term, even for the controller that held it. */
	term = now->controller[0] ? s->term : row.term + 1;
	ret = leader_row_write(q, term, now_ms + (int64_t)lease_s * 1000);
	if (ret == 0)
		ret = sqlite_commit(q, "taking the lead");
	if (ret < 0)
		return sqlite_rollback(q, ret);
	s->term = term;
	*leading = true;
	strcpy(now->controller, s->controller);
	now->term = term;
	return 0;
}

int sqlite_resign(struct fleet_store *s)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret;

	if (!s->term)
		return 0;
	/* The row stays, expired, so that the next term still counts up from it. */
	ret = sqlite_write_begin(q, false, "UPDATE leader SET expires_ms = 0 WHERE one = 1 AND controller = ? AND "
				 "term = ?", &st, "resigning");
	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, s->controller, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->term);
	ret = sqlite_write_end(q, st, "resigning");
	if (ret == 0)
		s->term = 0;
	return ret;
}

int sqlite_leader(struct fleet_store *s, struct fleet_leader *now)
{
	struct leader_row row;
	int ret = leader_row_read(sqlite_of(s), &row);

	if (ret == 0)
		leader_of(&row, store_now_ms(), now);
	return ret;
}
