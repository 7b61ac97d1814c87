/*
 * The controller's endpoint on `listen` (HTTP, JSON; loopback only until it
 * has TLS) and its Prometheus metrics on `metrics`:
 *
 *   GET  /v1/status | /v1/hosts | /v1/plan | /v1/history    what `sheer fleet status ...` prints
 *   POST /v1/hosts/NAME/test-wake                          -> 202 {"request": N}; the leader only
 *   GET  /metrics                                          (on `metrics`)
 *
 * The answers are copies of what the loop last built (controller_snapshot),
 * so a slow client never holds the loop up.
 */
#ifndef SHEER_POWER_FLEET_FLEET_API_H
#define SHEER_POWER_FLEET_FLEET_API_H

#include <stddef.h>

struct controller;

/* Whether HOST (of `listen`) is a loopback address: the only ones served until the endpoint has TLS. */
int fleet_api_loopback(const char *host);
int fleet_api_start(struct controller *ctl, char *err, size_t errlen);
void fleet_api_stop(struct controller *ctl);

#endif
