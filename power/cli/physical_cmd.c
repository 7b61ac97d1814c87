/*
 * sheer physical list [--json]: the inventory of physical servers, each with
 * the power state its BMC reports now. A server whose entry or BMC fails is
 * listed with the reason; the command fails only when the inventory cannot be read.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/bmc/bmc.h"
#include "power/cli/commands.h"
#include "power/physical/inventory.h"
#include "vmm/lib/cli.h"

struct physical_row {
	struct physical_server ps;
	char bmc[3 * BMC_FIELD_MAX];
	const char *power;	/* "on", "off", or NULL with why */
	char why[PATH_MAX + 256];
};

static void physical_probe(const char *name, struct physical_row *row)
{
	bool on;

	row->power = NULL;
	row->bmc[0] = '\0';
	if (physical_load(name, &row->ps, row->why, sizeof(row->why)) < 0)
		return;
	bmc_target_describe(&row->ps.bmc.target, row->bmc, sizeof(row->bmc));
	if (bmc_password_load(&row->ps.bmc.target, row->ps.bmc.password_file, row->why, sizeof(row->why)) == 0 &&
	    bmc_power_state(&row->ps.bmc.target, &on, row->why, sizeof(row->why)) == 0)
		row->power = on ? "on" : "off";
	explicit_bzero(row->ps.bmc.target.password, sizeof(row->ps.bmc.target.password));
}

static void physical_print_text(const char *name, const struct physical_row *row)
{
	printf("%-16s %-8s %-5s %s%s%s\n", name, row->power ? row->power : "unknown",
	       row->bmc[0] ? bmc_boot_device_name(row->ps.boot) : "-", row->bmc[0] ? row->bmc : "-",
	       row->power ? "" : "  # ", row->power ? "" : row->why);
}

static json_t *physical_json(const char *name, const struct physical_row *row)
{
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?}", "name", name, "bmc", row->bmc[0] ? row->bmc : NULL,
			      "boot", row->bmc[0] ? bmc_boot_device_name(row->ps.boot) : NULL, "power", row->power);

	if (o && !row->power)
		json_object_set_new(o, "error", json_string(row->why));
	if (o && row->ps.disk[0])
		json_object_set_new(o, "disk", json_string(row->ps.disk));
	if (o && row->ps.ready[0])
		json_object_set_new(o, "ready", json_string(row->ps.ready));
	return o;
}

static int physical_list_cmd(bool as_json)
{
	char (*names)[SERVER_NAME_MAX] = calloc(PHYSICAL_LIST_MAX, SERVER_NAME_MAX);
	struct physical_row *row = calloc(1, sizeof(*row));
	json_t *list = json_array();
	char err[PATH_MAX + 64];
	unsigned int n = 0;
	int ret = names && row && list ? physical_names(names, PHYSICAL_LIST_MAX, &n, err, sizeof(err)) : -ENOMEM;

	if (ret < 0)
		cli_error("physical list: %s", ret == -ENOMEM ? strerror(ENOMEM) : err);
	else if (!as_json && n)
		printf("%-16s %-8s %-5s %s\n", "NAME", "POWER", "BOOT", "BMC");
	for (unsigned int i = 0; ret == 0 && i < n; i++) {
		physical_probe(names[i], row);
		if (as_json)
			json_array_append_new(list, physical_json(names[i], row));
		else
			physical_print_text(names[i], row);
	}
	if (ret == 0 && as_json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(list);
	free(row);
	free(names);
	return ret < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK;
}

int cmd_physical(int argc, char **argv)
{
	bool as_json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc >= 2 && strcmp(argv[1], "list") == 0 && (argc == 2 || as_json))
		return physical_list_cmd(as_json);
	cli_error("physical: usage: sheer physical list [--json]");
	return SHEER_EXIT_USAGE;
}
