/*
 * Fleet state: what the fleet controller must not forget across a restart or a
 * change of leader. One interface, two backends chosen by URL:
 *
 *   sqlite:/var/lib/sheer/fleet.db                   one controller (or several on one host)
 *   etcd:http://HOST:2379[,http://HOST2:2379...]     several controllers, on etcd's v3 JSON gateway
 *
 * Exactly one controller acts: it must win fleet_store_campaign() and keep
 * calling it within its lease. Every write but the operator's
 * fleet_store_host_clear_wake_failed() is fenced: it is carried out only if, in
 * the same transaction, this handle still holds the lease of the term it won,
 * so a deposed leader that wakes up late can neither record nor start an action.
 *
 * Every call returns 0 or a negative errno; fleet_store_error() then says why in
 * one line naming the URL. -EPERM always means "this handle does not lead".
 */
#ifndef SHEER_POWER_STORE_STORE_H
#define SHEER_POWER_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_NAME_MAX 64	/* controller, host and server names, with the NUL (server_name_is_valid) */
#define FLEET_TEXT_MAX 256	/* reasons and details, with the NUL; longer ones are cut */
#define FLEET_VALUE_MAX 1024	/* a controller value, with the NUL */
#define FLEET_URL_MAX 1024
#define FLEET_HISTORY_MAX 10000	/* the most actions one history call returns */
#define FLEET_DOC_MAX (256 * 1024)	/* a document's text, without the NUL */

struct fleet_store;

struct fleet_store_options {
	const char *controller;	/* this controller's id (a name: letters, digits, '-', '_', '.'); required */
	const char *prefix;	/* etcd: keys live under it; NULL for "/sheer/fleet/" */
	const char *ca_file;	/* etcd over https: the CA of its certificate; NULL for the system's */
	const char *cert_file;	/* etcd over https: this controller's client certificate and key */
	const char *key_file;
	unsigned int timeout_ms;	/* etcd: one request to one endpoint; 0 for 5000 */
};

enum fleet_action_kind {
	FLEET_MIGRATE,
	FLEET_POWER_OFF,
	FLEET_POWER_ON,
	FLEET_WAKE_TEST,
	FLEET_FENCE,
	FLEET_RESTART,
	FLEET_SWITCH,
	FLEET_ACTION_KINDS
};

enum fleet_result { FLEET_PENDING, FLEET_OK, FLEET_FAILED, FLEET_ROLLED_BACK, FLEET_RESULTS };

struct fleet_action {
	uint64_t id;			/* given by fleet_store_intent: grows with every intent, never reused */
	enum fleet_action_kind kind;
	char server[FLEET_NAME_MAX];	/* "" when the action is about a host alone */
	char from_host[FLEET_NAME_MAX];	/* "" when it does not apply */
	char to_host[FLEET_NAME_MAX];
	char reason[FLEET_TEXT_MAX];
	uint64_t interval;		/* the plan interval that decided it */
	char controller[FLEET_NAME_MAX];	/* who recorded the intent */
	int64_t started;		/* unix seconds of the intent */
	enum fleet_result result;	/* FLEET_PENDING until its result is recorded */
	char detail[FLEET_TEXT_MAX];
	int64_t finished;		/* unix seconds of the result, 0 while pending */
};

enum fleet_power { FLEET_POWER_UNKNOWN, FLEET_POWER_IS_ON, FLEET_POWER_IS_OFF, FLEET_POWER_STATES };

struct fleet_host {
	char name[FLEET_NAME_MAX];
	enum fleet_power power;		/* as last known */
	bool trusted_to_sleep;		/* it has been powered off and woken through its BMC once */
	bool wake_failed;		/* sticky: only fleet_store_host_clear_wake_failed() clears it */
	char wake_failed_reason[FLEET_TEXT_MAX];
	int64_t wake_failed_at;		/* unix seconds; 0 when it never failed */
	int64_t power_changed_at;	/* unix seconds of the last power change (hysteresis) */
	int64_t heartbeat_at;		/* unix seconds of the last heartbeat */
};

struct fleet_leader {
	char controller[FLEET_NAME_MAX];	/* "" when no one leads */
	uint64_t term;		/* grows each time leadership is taken (a new term means: finish the unfinished) */
};

/* Open URL (forms above) as controller opt->controller: -EINVAL for a bad URL or option, else the backend's
 * error (unreachable, not a fleet database, a newer schema); the reason in err, naming the URL. */
int fleet_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out, char *err,
		     size_t errlen);
/* Close; a leader's lease is left to expire (fleet_store_resign hands over at once). NULL is fine. */
void fleet_store_close(struct fleet_store *s);
/* The last failure's line: "STORE-URL: what went wrong". */
const char *fleet_store_error(const struct fleet_store *s);

/*
 * Become or stay leader with a lease of lease_s seconds from now (etcd may
 * grant more: its minimum is about 2 s). *leading says whether this handle
 * leads; now, when not NULL, who does. Call it again well within the lease:
 * a leader that does not is deposed once its lease runs out.
 */
int fleet_store_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now);
/* Give up leadership now if held (another can take over at once). */
int fleet_store_resign(struct fleet_store *s);
/* Who leads now (controller "" when no one does). A read: any handle may ask. */
int fleet_store_leader(struct fleet_store *s, struct fleet_leader *now);

/* Record a's intent before it starts (fenced): kind, names, reason and interval are read; the store sets
 * id, controller, started and result (pending). */
int fleet_store_intent(struct fleet_store *s, struct fleet_action *a);
/* Record the result of action id (fenced): -ENOENT for no such action, -EALREADY when it has one. */
int fleet_store_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail);
/* Intents without a result, oldest first, in a malloc'd array (*n of them; free() it). */
int fleet_store_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n);
/* Actions started at or after since (unix seconds), newest first, at most limit (<= FLEET_HISTORY_MAX). */
int fleet_store_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n);

/* Host name's record: -ENOENT when there is none. */
int fleet_store_host_get(struct fleet_store *s, const char *name, struct fleet_host *h);
/* Write h (fenced). A wake failure already recorded stays, with its reason and time, whatever h says. */
int fleet_store_host_put(struct fleet_store *s, const struct fleet_host *h);
/* Every host record, by name, in a malloc'd array (free() it). */
int fleet_store_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n);
/* The operator's word that the host wakes again: not fenced (no leader needed). -ENOENT for no such host. */
int fleet_store_host_clear_wake_failed(struct fleet_store *s, const char *name);

/* The controller's own small values (last interval, alert flags): key a name, value text. */
int fleet_store_value_get(struct fleet_store *s, const char *key, char *value, size_t len);	/* -ENOENT */
int fleet_store_value_put(struct fleet_store *s, const char *key, const char *value);		/* fenced */

/*
 * Documents: the larger texts a controller must still have when their host is
 * gone, by space and name (both names): a host's last report ("report", HOST)
 * and a server's definition ("definition", SERVER). Text of at most
 * FLEET_DOC_MAX bytes, no NUL.
 */
int fleet_store_doc_get(struct fleet_store *s, const char *space, const char *name, char **text);	/* malloc'd; -ENOENT */
int fleet_store_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text);	/* fenced */

const char *fleet_action_kind_name(enum fleet_action_kind kind);	/* "migrate", "power_off", ... */
const char *fleet_result_name(enum fleet_result result);		/* "pending", "ok", "failed", "rolled_back" */
const char *fleet_power_name(enum fleet_power power);			/* "unknown", "on", "off" */
/* The reverse: 0, or -EINVAL for any other word. */
int fleet_action_kind_parse(const char *name, enum fleet_action_kind *kind);
int fleet_result_parse(const char *name, enum fleet_result *result);
int fleet_power_parse(const char *name, enum fleet_power *power);

#endif
