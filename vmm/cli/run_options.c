#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/run_options.h"
#include "vmm/server/profile.h"

enum run_flag {
	FLAG_NAME = 0x100,
	FLAG_CPUS,
	FLAG_MEMORY,
	FLAG_KERNEL,
	FLAG_INITRD,
	FLAG_CMDLINE,
	FLAG_BOOT,
	FLAG_FIRMWARE,
	FLAG_NUMA_NODE,
	FLAG_SHARED_CORES,
	FLAG_ALLOW_UNSAFE_INTERRUPTS,
	FLAG_DEVICE,
};

static const struct option run_long_options[] = {
	{ "name", required_argument, NULL, FLAG_NAME },
	{ "cpus", required_argument, NULL, FLAG_CPUS },
	{ "memory", required_argument, NULL, FLAG_MEMORY },
	{ "kernel", required_argument, NULL, FLAG_KERNEL },
	{ "initrd", required_argument, NULL, FLAG_INITRD },
	{ "cmdline", required_argument, NULL, FLAG_CMDLINE },
	{ "boot", required_argument, NULL, FLAG_BOOT },
	{ "firmware", required_argument, NULL, FLAG_FIRMWARE },
	{ "numa-node", required_argument, NULL, FLAG_NUMA_NODE },
	{ "shared-cores", no_argument, NULL, FLAG_SHARED_CORES },
	{ "allow-unsafe-interrupts", no_argument, NULL, FLAG_ALLOW_UNSAFE_INTERRUPTS },
	{ "device", required_argument, NULL, FLAG_DEVICE },
	{ NULL, 0, NULL, 0 },
};

/* Which profile key each flag sets, and the value of the flags that take none. */
static const struct {
	int flag;
	const char *key;
	const char *fixed_value;
} flag_keys[] = {
	{ FLAG_NAME, "name", NULL },
	{ FLAG_CPUS, "cpus", NULL },
	{ FLAG_MEMORY, "memory", NULL },
	{ FLAG_KERNEL, "kernel", NULL },
	{ FLAG_INITRD, "initrd", NULL },
	{ FLAG_CMDLINE, "cmdline", NULL },
	{ FLAG_BOOT, "boot", NULL },
	{ FLAG_FIRMWARE, "firmware", NULL },
	{ FLAG_NUMA_NODE, "numa_node", NULL },
	{ FLAG_SHARED_CORES, "dedicated_cores", "no" },
	{ FLAG_ALLOW_UNSAFE_INTERRUPTS, "allow_unsafe_interrupts", "yes" },
};

#define RUN_FLAGS_MAX 128

struct given_flag {
	int flag;
	const char *value;
};

static int apply_device_flag(struct server_spec *spec, const char *value, char *err, size_t errlen)
{
	int ret = spec_add_device(spec, err, errlen);

	if (ret < 0)
		return ret;
	return spec_set(spec, SPEC_SECTION_DEVICE, "pci", value, NULL, err, errlen);
}

static int apply_flag(struct server_spec *spec, const struct given_flag *given, char *err, size_t errlen)
{
	char reason[256];
	int ret = -EINVAL;

	if (given->flag == FLAG_DEVICE) {
		ret = apply_device_flag(spec, given->value, reason, sizeof(reason));
	} else {
		for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++)
			if (flag_keys[i].flag == given->flag)
				ret = spec_set(spec, SPEC_SECTION_SERVER, flag_keys[i].key,
					       flag_keys[i].fixed_value ? flag_keys[i].fixed_value : given->value,
					       NULL, reason, sizeof(reason));
	}
	if (ret < 0)
		snprintf(err, errlen, "run: %s", reason);
	return ret;
}

/* getopt keeps its state in globals; start from scratch so a second parse (tests) works. */
static void getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

static int collect_flags(int argc, char **argv, struct given_flag *flags, unsigned int *n_flags,
			 const char **profile, char *err, size_t errlen)
{
	int flag;

	getopt_reset();
	while ((flag = getopt_long(argc, argv, "", run_long_options, NULL)) != -1) {
		if (flag == '?' || flag == ':') {
			snprintf(err, errlen, "run: bad option '%.64s' (try 'sheer run --help')", argv[optind - 1]);
			return -EINVAL;
		}
		if (*n_flags == RUN_FLAGS_MAX) {
			snprintf(err, errlen, "run: too many options");
			return -E2BIG;
		}
		flags[(*n_flags)++] = (struct given_flag){ flag, optarg };
	}
	if (argc - optind > 1) {
		snprintf(err, errlen, "run: more than one profile given ('%.64s', '%.64s')", argv[optind], argv[optind + 1]);
		return -EINVAL;
	}
	*profile = optind < argc ? argv[optind] : NULL;
	return 0;
}

int run_options_parse(int argc, char **argv, struct server_spec *spec, char *err, size_t errlen)
{
	struct given_flag flags[RUN_FLAGS_MAX];
	unsigned int n_flags = 0;
	const char *profile = NULL;
	int ret;

	spec_init(spec);
	ret = collect_flags(argc, argv, flags, &n_flags, &profile, err, errlen);
	if (ret != 0)
		return ret;
	if (profile) {
		if (n_flags == 0 && !realpath(profile, spec->profile))
			spec->profile[0] = '\0';
		ret = profile_load(profile, spec, err, errlen);
		if (ret < 0)
			return ret;
	}
	for (unsigned int i = 0; i < n_flags; i++) {
		ret = apply_flag(spec, &flags[i], err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}
