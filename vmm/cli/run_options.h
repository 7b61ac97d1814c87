/*
 * `sheer run [PROFILE] [--flag VALUE...]`: the profile is read first, then
 * each flag is applied on top in order, through the same keys as the profile.
 */
#ifndef SHEER_VMM_CLI_RUN_OPTIONS_H
#define SHEER_VMM_CLI_RUN_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/server/spec.h"

#define RUN_OPTIONS_HELP 1

/* 0, RUN_OPTIONS_HELP when --help was asked, or a negative errno with err set. */
int run_options_parse(int argc, char **argv, struct server_spec *spec, char *err, size_t errlen);
void run_options_usage(FILE *out);

#endif
