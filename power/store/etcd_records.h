/*
 * Actions and host records as the JSON values etcd holds. Decoding treats the
 * text as untrusted: every field must be there with its type, names must be
 * names, texts must fit, and times and ids must not be negative.
 */
#ifndef SHEER_POWER_STORE_ETCD_RECORDS_H
#define SHEER_POWER_STORE_ETCD_RECORDS_H

#include "power/store/store.h"

/* The JSON text (malloc'd), or NULL when out of memory. */
char *etcd_action_encode(const struct fleet_action *a);
char *etcd_host_encode(const struct fleet_host *h);
/* 0, or -EPROTO for anything that is not a record sheer writes. */
int etcd_action_decode(const char *text, size_t len, struct fleet_action *a);
int etcd_host_decode(const char *text, size_t len, struct fleet_host *h);

#endif
