/* What each BMC protocol provides to bmc.c. */
#ifndef SHEER_POWER_BMC_BMC_INTERNAL_H
#define SHEER_POWER_BMC_BMC_INTERNAL_H

#include "power/bmc/bmc.h"

struct bmc_ops {
	int (*power_state)(const struct bmc_target *t, bool *on, char *err, size_t errlen);
	int (*power)(const struct bmc_target *t, enum bmc_power_action action, char *err, size_t errlen);
	int (*set_boot_device)(const struct bmc_target *t, enum bmc_boot_device device, bool persistent, char *err,
			       size_t errlen);
};

/* What a Redfish BMC answers, parsed (exposed for the fuzzer). */
int redfish_parse_power_state(const char *data, size_t len, bool *on);
void redfish_parse_error_message(const char *data, size_t len, char *out, size_t outlen);

extern const struct bmc_ops bmc_ipmi_ops;
extern const struct bmc_ops bmc_redfish_ops;

#endif
