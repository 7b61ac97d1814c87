/*
 * The host agent's responses: one JSON object per line, {"ok": true|false,
 * "op": OP, ...}, and on failure "error" (one line: what went wrong and
 * where), "refused" (nothing was changed) and, for an op that ran a sheer
 * command, its exit "status". What an agent sends is hostile input to
 * whoever asked: the client checks every field it will use against what
 * the op promises (README, "Host agent", lists them) before anyone reads it.
 */
#ifndef SHEER_POWER_AGENT_AGENT_RESPONSE_H
#define SHEER_POWER_AGENT_AGENT_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

#include "power/agent/agent_request.h"

/* One response line, its newline included: a host with many servers and devices. */
#define AGENT_RESPONSE_MAX (4 << 20)
#define AGENT_ERROR_MAX 1024
#define AGENT_OUTPUT_MAX 65536
#define AGENT_LIST_MAX 4096

/* A failure: {"ok":false,"op":OP,"error":why,"refused":refused}; op NULL when the request had none. */
json_t *agent_response_error(const char *op, bool refused, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 0 when response is what req's op promises; -EBADMSG with err naming the field and what is wrong. */
int agent_response_check(const struct agent_request *req, json_t *response, char *err, size_t errlen);

#endif
