/*
 * What a host's agent reported in its last `host` answer, as the controller
 * keeps it: its CPUs and memory, each server with its vCPU time and devices
 * (by model), and the devices still free. The answer is checked field by
 * field (agent_response_check) before it is read here, and read again from
 * the fleet store the same way: both are hostile input.
 */
#ifndef SHEER_POWER_FLEET_FLEET_REPORT_H
#define SHEER_POWER_FLEET_FLEET_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "power/planner/power.h"
#include "vmm/lib/parse.h"

#define FLEET_PCI_MAX 16	/* "0000:03:00.0" and its NUL */

struct fleet_seen_device {
	char pci[FLEET_PCI_MAX];
	char id[POWER_MODEL_LEN];	/* vendor:device, "" when the host has no such device */
};

struct fleet_seen_server {
	char name[SERVER_NAME_MAX];
	bool running;
	unsigned int vcpus;
	unsigned int memory_mib;
	double vcpu_seconds;		/* cumulative host CPU time of its vCPUs; < 0 when not reported */
	unsigned int n_devices;		/* more than POWER_MAX_DEVICES: pinned, the planner never moves it */
	struct fleet_seen_device devices[POWER_MAX_DEVICES];
	bool pinned;
};

struct fleet_report {
	int64_t at_ms;			/* when it was taken, on the controller's wall clock */
	unsigned int cpus;
	unsigned int memory_total_mib, memory_free_mib;
	struct fleet_seen_server *servers;
	unsigned int n_servers;
	struct fleet_seen_device *free_devices;
	unsigned int n_free;
};

/* An agent's checked `host` answer into r (its arrays malloc'd); -EBADMSG with err when it is not one. */
int fleet_report_from_json(json_t *answer, int64_t at_ms, struct fleet_report *r, char *err, size_t errlen);
/* The report as the fleet store keeps it ("report" document): the answer with "at_ms"; NULL when out of memory. */
char *fleet_report_to_text(json_t *answer, int64_t at_ms);
/* The stored text back, checked again as an agent's answer. */
int fleet_report_from_text(const char *text, struct fleet_report *r, char *err, size_t errlen);
void fleet_report_free(struct fleet_report *r);
/* A deep copy of from into to (to's old arrays freed first); -ENOMEM leaves to empty. */
int fleet_report_copy(struct fleet_report *to, const struct fleet_report *from);
/* The server of that name, or NULL. */
const struct fleet_seen_server *fleet_report_server(const struct fleet_report *r, const char *name);
/*
 * A server's CPU demand between two reports of its host: the growth of its
 * vCPU time over the wall time between them, per vCPU, 0 to 1. -1 when it
 * cannot be told (not in both, not running, no time between, a counter that
 * went back: the server was restarted).
 */
double fleet_report_demand(const struct fleet_report *prev, const struct fleet_report *now, const char *name);

#endif
