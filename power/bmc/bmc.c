/* The BMC calls, each handed to the target's protocol. */
#include "power/bmc/bmc_internal.h"

static const struct bmc_ops *bmc_ops_of(const struct bmc_target *t)
{
	return t->protocol == BMC_IPMI ? &bmc_ipmi_ops : &bmc_redfish_ops;
}

int bmc_power_state(const struct bmc_target *t, bool *on, char *err, size_t errlen)
{
	return bmc_ops_of(t)->power_state(t, on, err, errlen);
}

int bmc_power(const struct bmc_target *t, enum bmc_power_action action, char *err, size_t errlen)
{
	return bmc_ops_of(t)->power(t, action, err, errlen);
}

int bmc_set_boot_device(const struct bmc_target *t, enum bmc_boot_device device, bool persistent, char *err,
			size_t errlen)
{
	return bmc_ops_of(t)->set_boot_device(t, device, persistent, err, errlen);
}
