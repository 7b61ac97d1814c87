/*
 * `sheer run [PROFILE] [--flag VALUE...]`: the profile is read first, then
 * each flag is applied on top in order, through the same keys as the profile.
 */
#ifndef SHEER_VMM_CLI_RUN_OPTIONS_H
#define SHEER_VMM_CLI_RUN_OPTIONS_H

#include <stddef.h>

#include "vmm/server/spec.h"

/* 0, or a negative errno with err set. Its help is the command table's (vmm/cli/command_table.c). */
int run_options_parse(int argc, char **argv, struct server_spec *spec, char *err, size_t errlen);

#endif
