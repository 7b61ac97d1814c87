/*
 * The host agent's requests (README, "Host agent"): one JSON object per
 * line, {"op": OP, ...fields}. Every field is checked here, on both ends:
 * the agent refuses a request that does not pass, and `sheer agent call`
 * refuses to send one. A field an op does not take is an error too, so a
 * typo never becomes a default.
 */
#ifndef SHEER_POWER_AGENT_AGENT_REQUEST_H
#define SHEER_POWER_AGENT_AGENT_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/lib/net_address.h"
#include "vmm/lib/parse.h"

/* One request line, its newline included. */
#define AGENT_REQUEST_MAX 65536
/* A definition's text: profiles are short; this leaves room for comments. */
#define AGENT_DEFINITION_MAX 32768
#define AGENT_HOST_MAX NET_HOST_MAX
#define AGENT_STOP_TIMEOUT_DEFAULT_S 60
#define AGENT_STOP_TIMEOUT_MAX_S 3600
#define AGENT_MIGRATE_DEADLINE_DEFAULT_S 600
#define AGENT_MIGRATE_DEADLINE_MAX_S 86400

enum agent_op {
	AGENT_PING,
	AGENT_HOST,
	AGENT_DEFINITION,
	AGENT_DEFINE,
	AGENT_START,
	AGENT_STOP,
	AGENT_RECEIVE,
	AGENT_MIGRATE,
	AGENT_UNDEFINE,
	AGENT_OPS,
};

struct agent_request {
	enum agent_op op;
	char name[SERVER_NAME_MAX];
	char text[AGENT_DEFINITION_MAX + 1];	/* define: the profile, its [server] name = name */
	bool replace;				/* define: over an existing definition */
	bool force;				/* stop: power off instead of the power button */
	unsigned int timeout_s;			/* stop: how long to wait for the guest */
	unsigned int port;			/* receive: where to listen; migrate: where the target listens */
	bool shared_cores;			/* receive */
	char to[AGENT_HOST_MAX + 1];		/* migrate: the target host, a name or a numeric address */
	unsigned int deadline_s;		/* migrate: cancelled, the server running here, past it */
};

/* "ping", "host", ...; NULL for a value that is no op. */
const char *agent_op_name(enum agent_op op);
/* The ops, comma-separated, for messages. */
const char *agent_op_list(void);
/* Parse and check one request (len bytes, without its newline); -EINVAL with err naming the field and why. */
int agent_request_parse(const char *line, size_t len, struct agent_request *req, char *err, size_t errlen);
/* The same from an object already parsed. */
int agent_request_from_json(json_t *object, struct agent_request *req, char *err, size_t errlen);
/* The request as it goes on the wire (only the fields its op takes); NULL when out of memory. */
json_t *agent_request_to_json(const struct agent_request *req);
/* The longest the agent takes to answer it, in seconds: what a client waits, plus the way there and back. */
unsigned int agent_request_deadline_s(const struct agent_request *req);

#endif
