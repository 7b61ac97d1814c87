/* The configuration a server runs with, as GET /v1/server shows it (vmm/server/api/openapi.yaml, ServerConfig). */
#ifndef SHEER_VMM_SERVER_CONFIG_JSON_H
#define SHEER_VMM_SERVER_CONFIG_JSON_H

#include <jansson.h>

#include "vmm/machine/config.h"

/* A new object (NULL when out of memory); a path or text that is not set is null. */
json_t *server_config_to_json(const struct server_config *cfg);

#endif
