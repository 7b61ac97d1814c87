/*
 * The fleet database's migrations. A new version is a new step at the end of
 * fleet_migrations: never edit a step that has shipped, files out there are at
 * its version already.
 */
#include <errno.h>
#include <stdio.h>

#include "power/store/sqlite_schema.h"

static const struct sqlite_migration fleet_migrations[] = {
	{ 1,
	  /* One row: who leads, in which term, until when (unix ms). The term only grows. */
	  "CREATE TABLE leader (one INTEGER PRIMARY KEY CHECK (one = 1), controller TEXT NOT NULL,"
	  "  term INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
	  /* AUTOINCREMENT: an id is never given twice, even after the newest action is gone. */
	  "CREATE TABLE actions (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  kind TEXT NOT NULL CHECK (kind IN ('migrate','power_off','power_on','wake_test','fence','restart',"
	  "    'switch')),"
	  "  server TEXT NOT NULL, from_host TEXT NOT NULL, to_host TEXT NOT NULL, reason TEXT NOT NULL,"
	  "  interval_id INTEGER NOT NULL, controller TEXT NOT NULL, term INTEGER NOT NULL,"
	  "  started INTEGER NOT NULL,"
	  "  result TEXT CHECK (result IN ('ok','failed','rolled_back')), detail TEXT NOT NULL DEFAULT '',"
	  "  finished INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX actions_unfinished ON actions (id) WHERE result IS NULL;"
	  "CREATE INDEX actions_started ON actions (started);"
	  "CREATE TABLE hosts (name TEXT PRIMARY KEY,"
	  "  power TEXT NOT NULL CHECK (power IN ('unknown','on','off')),"
	  "  trusted_to_sleep INTEGER NOT NULL, wake_failed INTEGER NOT NULL,"
	  "  wake_failed_reason TEXT NOT NULL, wake_failed_at INTEGER NOT NULL,"
	  "  power_changed_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL);"
	  "CREATE TABLE controller_values (key TEXT PRIMARY KEY, value TEXT NOT NULL);" },
	{ 2,
	  /* What the controller must still know of a host that is gone: its last report, its servers' definitions. */
	  "CREATE TABLE documents (space TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL,"
	  "  PRIMARY KEY (space, name));" },
};

#define FLEET_MIGRATIONS (sizeof(fleet_migrations) / sizeof(fleet_migrations[0]))

int sqlite_schema_version(void)
{
	return fleet_migrations[FLEET_MIGRATIONS - 1].version;
}

static int one_int(sqlite3 *db, const char *sql, int *value)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*value = sqlite3_column_int(st, 0), rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* A version-0 file is new only when it holds nothing: anything else is another program's database. */
static int schema_check_start(sqlite3 *db, int have, int latest, char *why, size_t whylen)
{
	int tables = 0;

	if (have > latest) {
		snprintf(why, whylen, "its schema version %d is newer than this sheer knows (%d): run the sheer that "
			 "wrote it, or a newer one", have, latest);
		return -EPROTONOSUPPORT;
	}
	if (have == 0 && one_int(db, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK) {
		snprintf(why, whylen, "cannot read its tables: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	if (tables) {
		snprintf(why, whylen, "it holds %d tables and no schema version: not a sheer fleet database", tables);
		return -EPROTO;
	}
	return 0;
}

static int schema_apply(sqlite3 *db, const struct sqlite_migration *steps, size_t n, int have, char *why,
			size_t whylen)
{
	char pragma[64];

	for (size_t i = 0; i < n; i++) {
		if (steps[i].version <= have)
			continue;
		if (sqlite3_exec(db, steps[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(why, whylen, "migration to schema version %d failed: %s", steps[i].version,
				 sqlite3_errmsg(db));
			return -EIO;
		}
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", steps[n - 1].version);
	if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(why, whylen, "cannot set the schema version: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return 0;
}

int sqlite_schema_migrate(sqlite3 *db, const struct sqlite_migration *steps, size_t n, char *why, size_t whylen)
{
	int latest = steps[n - 1].version, have = 0, ret;

	/* IMMEDIATE: two controllers opening one new file do not both create the tables. */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    one_int(db, "PRAGMA user_version", &have) != SQLITE_OK) {
		snprintf(why, whylen, "cannot read the schema version: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	ret = schema_check_start(db, have, latest, why, whylen);
	if (ret == 0 && have < latest)
		ret = schema_apply(db, steps, n, have, why, whylen);
	if (ret == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(why, whylen, "cannot commit the schema: %s", sqlite3_errmsg(db));
		ret = -EIO;
	}
	if (ret < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int sqlite_schema_upgrade(sqlite3 *db, char *why, size_t whylen)
{
	return sqlite_schema_migrate(db, fleet_migrations, FLEET_MIGRATIONS, why, whylen);
}
