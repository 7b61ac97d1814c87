/*
 * One etcd cluster as sheer reaches it: its client URLs, tried in turn, and a
 * POST of a JSON body to the v3 gateway with a bounded answer. The endpoint
 * that answered last is asked first next time.
 */
#ifndef SHEER_POWER_STORE_ETCD_CLIENT_H
#define SHEER_POWER_STORE_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define ETCD_ENDPOINTS_MAX 16
#define ETCD_ENDPOINT_LEN 256
#define ETCD_PATH_LEN 256
#define ETCD_ANSWER_MAX (4 << 20)
#define ETCD_DEFAULT_TIMEOUT_MS 5000

struct etcd_client {
	char endpoints[ETCD_ENDPOINTS_MAX][ETCD_ENDPOINT_LEN];	/* "http://10.0.0.1:2379", no trailing '/' */
	size_t n_endpoints;
	size_t current;
	char ca_file[ETCD_PATH_LEN];	/* "" for none */
	char cert_file[ETCD_PATH_LEN];
	char key_file[ETCD_PATH_LEN];
	unsigned int timeout_ms;
};

/* Parse "http://H:P,https://H2:P" into c: -EINVAL with the reason in why. */
int etcd_client_init(struct etcd_client *c, const char *endpoints, char *why, size_t whylen);

/*
 * POST body to path ("/v3/kv/range") and parse the answer: 0 with *answer (a
 * JSON object, the caller's), or -errno with why. An endpoint that cannot be
 * reached is left for the next; one that times out too, but only when the
 * request is idempotent (a read, a lease's keepalive): a write that timed out
 * may have been carried out, and is not sent twice.
 */
int etcd_client_post(struct etcd_client *c, const char *path, const json_t *body, bool idempotent,
		     json_t **answer, char *why, size_t whylen);

#endif
