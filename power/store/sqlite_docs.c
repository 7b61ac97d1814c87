/* Documents (a host's last report, a server's definition) in SQLite. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/sqlite_store.h"

int sqlite_doc_get(struct fleet_store *s, const char *space, const char *name, char **text)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	bool found;
	int ret = sqlite_prepare(q, "SELECT text FROM documents WHERE space = ? AND name = ?", &st,
				 "reading a document");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, space, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		const unsigned char *value = sqlite3_column_text(st, 0);

		*text = strdup(value ? (const char *)value : "");
	}
	ret = sqlite_finish(q, st, "reading a document");
	if (ret == 0 && found && !*text)
		ret = store_fail(s, -ENOMEM, "reading a document: %s", strerror(ENOMEM));
	if (ret == 0 && !found)
		ret = store_fail(s, -ENOENT, "no document %s/%s", space, name);
	return ret;
}

int sqlite_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text)
{
	struct sqlite_store *q = sqlite_of(s);
	sqlite3_stmt *st;
	int ret = sqlite_write_begin(q, true, "INSERT INTO documents (space, name, text) VALUES (?, ?, ?) "
				     "ON CONFLICT (space, name) DO UPDATE SET text = excluded.text", &st,
				     "writing a document");

	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, space, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	return sqlite_write_end(q, st, "writing a document");
}
