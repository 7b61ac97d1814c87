/* `sheer host check [--json]`: the host report for operators and scripts. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iommu/host_check.h"
#include "vmm/lib/cli.h"

static void host_report_print(const struct host_report *report)
{
	unsigned int failed = 0;

	for (unsigned int i = 0; i < report->count; i++) {
		const struct host_check *check = &report->checks[i];

		printf("%-5s %-20s %s", host_check_level_name(check->level), check->name, check->detail);
		if (check->level != HOST_CHECK_OK && check->remedy[0])
			printf("; fix: %s", check->remedy);
		printf("\n");
		failed += check->level == HOST_CHECK_FAIL;
	}
	if (failed)
		printf("host: not ready for device assignment (%u check(s) failed)\n", failed);
	else
		printf("host: ready for device assignment\n");
}

static int host_report_print_json(const struct host_report *report)
{
	json_t *checks = json_array(), *root;
	int ret;

	for (unsigned int i = 0; checks && i < report->count; i++) {
		const struct host_check *check = &report->checks[i];

		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "name", check->name, "status",
							host_check_level_name(check->level), "detail", check->detail,
							"remedy", check->remedy));
	}
	root = json_pack("{s:b, s:o}", "ready", host_report_ready(report), "checks", checks);
	if (!root)
		return -1;
	ret = json_dumpf(root, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(root);
	return ret;
}

static int host_check(int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	struct host_report report;
	struct host_fs fs;

	if (argc > 2 || (argc == 2 && !json)) {
		cli_error("host check: usage: sheer host check [--json]");
		return SHEER_EXIT_USAGE;
	}
	host_fs_init(&fs, NULL);
	host_report_run(&fs, &report);
	if (json ? host_report_print_json(&report) < 0 : (host_report_print(&report), 0)) {
		cli_error("host check: cannot write the report");
		return SHEER_EXIT_FAILURE;
	}
	return host_report_ready(&report) ? SHEER_EXIT_OK : SHEER_EXIT_FAILURE;
}

int cmd_host(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return host_check(argc - 1, argv + 1);
	cli_error("host: usage: sheer host check [--json]");
	return SHEER_EXIT_USAGE;
}
