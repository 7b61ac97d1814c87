/* The parts of `sheer fleet` (power/cli/fleet_cmd.c dispatches to them). */
#ifndef SHEER_POWER_CLI_FLEET_CLI_H
#define SHEER_POWER_CLI_FLEET_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "power/fleet/fleet_config.h"

#define FLEET_CONFIG_DEFAULT "/etc/sheer/fleet.ini"

/* The options the controller's subcommands share. */
struct fleet_cli_args {
	const char *config;
	const char *host;	/* test-wake, clear-wake: HOST */
	bool json;
	unsigned int timeout_s;	/* test-wake */
};

/* argv of subcommand `what` (argv[0] its name): --config, --json (when json_ok), --timeout (test-wake), HOST. */
int fleet_cli_parse(const char *what, int argc, char **argv, bool json_ok, bool wants_host, struct fleet_cli_args *a);
/* Load the fleet file (no file checks) into a new *c; 0, or an exit status after one line. */
int fleet_cli_load(const char *what, const char *path, struct fleet_config **c);

int fleet_serve(int argc, char **argv);				/* fleet_serve.c */
int fleet_ask(const char *what, int argc, char **argv);		/* fleet_ask.c: status, hosts, plan, history */
int fleet_test_wake(int argc, char **argv);			/* fleet_ask.c */
int fleet_clear_wake(int argc, char **argv);			/* fleet_serve.c */
/* The text form of an answer of the endpoint (fleet_show.c). */
void fleet_show(FILE *out, const char *what, json_t *answer);

#endif
