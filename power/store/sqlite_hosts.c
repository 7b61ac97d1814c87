/* Host records and the controller's values in SQLite. */
#include <errno.h>
#include <string.h>

#include "power/store/sqlite_store.h"

#define HOST_COLUMNS \
	"name, power, trusted_to_sleep, wake_failed, wake_failed_reason, wake_failed_at, power_changed_at, " \
	"heartbeat_at"

static void host_from_row(sqlite3_stmt *st, void *out)
{
	struct fleet_host *h = out;
	char word[16];

	memset(h, 0, sizeof(*h));
	sqlite_text(st, 0, h->name, sizeof(h->name));
	sqlite_text(st, 1, word, sizeof(word));
	(void)fleet_power_parse(word, &h->power);	/* the table's CHECK allows only known states */
	h->trusted_to_sleep = sqlite3_column_int(st, 2) != 0;
	h->wake_failed = sqlite3_column_int(st, 3) != 0;
	sqlite_text(st, 4, h->wake_failed_reason, sizeof(h->wake_failed_reason));
	h->wake_failed_at = sqlite3_column_int64(st, 5);
	h->power_changed_at = sqlite3_column_int64(st, 6);
	h->heartbeat_at = sqlite3_column_int64(st, 7);
}

int sqlite_host_get(struct fleet_store *s, const char *name, struct fleet_host *h)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	bool found;
	int ret = sqlite_prepare(q, "SELECT " HOST_COLUMNS " FROM hosts WHERE name = ?", &st, "reading a host");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		host_from_row(st, h);
	ret = sqlite_finish(q, st, "reading a host");
	return ret == 0 && !found ? store_fail(s, -ENOENT, "no record of host %s", name) : ret;
}

/* A wake failure, once recorded, keeps its reason and time until the operator clears it. */
static const char host_upsert[] =
	"INSERT INTO hosts (" HOST_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
	"power = excluded.power, trusted_to_sleep = excluded.trusted_to_sleep, "
	"wake_failed_reason = CASE WHEN wake_failed THEN wake_failed_reason ELSE excluded.wake_failed_reason END, "
	"wake_failed_at = CASE WHEN wake_failed THEN wake_failed_at ELSE excluded.wake_failed_at END, "
	"wake_failed = MAX(wake_failed, excluded.wake_failed), "
	"power_changed_at = excluded.power_changed_at, heartbeat_at = excluded.heartbeat_at";

int sqlite_host_put(struct fleet_store *s, const struct fleet_host *h)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_write_begin(q, true, host_upsert, &st, "writing a host");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fleet_power_name(h->power), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, h->trusted_to_sleep);
	sqlite3_bind_int(st, 4, h->wake_failed);
	sqlite3_bind_text(st, 5, h->wake_failed ? h->wake_failed_reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, h->wake_failed ? h->wake_failed_at : 0);
	sqlite3_bind_int64(st, 7, h->power_changed_at);
	sqlite3_bind_int64(st, 8, h->heartbeat_at);
	return sqlite_write_end(q, st, "writing a host");
}

int sqlite_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "SELECT " HOST_COLUMNS " FROM hosts ORDER BY name", &st, "reading the hosts");

	return ret < 0 ? ret : sqlite_collect(q, st, (void **)out, n, sizeof(**out), host_from_row);
}

int sqlite_host_clear_wake_failed(struct fleet_store *s, const char *name)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_prepare(q, "UPDATE hosts SET wake_failed = 0, wake_failed_reason = '', wake_failed_at = 0 "
				 "WHERE name = ?", &st, "clearing a wake failure");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ret = sqlite_finish(q, st, "clearing a wake failure");
	if (ret == 0 && sqlite3_changes(q->db) == 0)
		ret = store_fail(s, -ENOENT, "no record of host %s", name);
	return ret;
}

int sqlite_value_get(struct fleet_store *s, const char *key, char *value, size_t len)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	bool found;
	int ret = sqlite_prepare(q, "SELECT value FROM controller_values WHERE key = ?", &st, "reading a value");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		sqlite_text(st, 0, value, len);
	ret = sqlite_finish(q, st, "reading a value");
	return ret == 0 && !found ? store_fail(s, -ENOENT, "no value %s", key) : ret;
}

int sqlite_value_put(struct fleet_store *s, const char *key, const char *value)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_write_begin(q, true, "INSERT INTO controller_values (key, value) VALUES (?, ?) "
				     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", &st, "writing a value");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return sqlite_write_end(q, st, "writing a value");
}
