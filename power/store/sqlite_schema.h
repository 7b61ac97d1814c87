/*
 * The fleet database's schema: PRAGMA user_version is its version, and each
 * migration takes a file from the version before it to its own. Opening a
 * file applies the missing ones in order, all in one transaction.
 */
#ifndef SHEER_POWER_STORE_SQLITE_SCHEMA_H
#define SHEER_POWER_STORE_SQLITE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

struct sqlite_migration {
	int version;		/* what the file is after this step; steps are listed in order, from 1 */
	const char *sql;
};

/* The version this sheer writes. */
int sqlite_schema_version(void);
/* Bring db to the latest of steps (n of them): 0, -EPROTONOSUPPORT for a file newer than the last step,
 * -EPROTO for a database that is not a fleet's, -EIO when a step fails (nothing changed); why says. */
int sqlite_schema_migrate(sqlite3 *db, const struct sqlite_migration *steps, size_t n, char *why, size_t whylen);
/* sqlite_schema_migrate with sheer's own migrations. */
int sqlite_schema_upgrade(sqlite3 *db, char *why, size_t whylen);

#endif
