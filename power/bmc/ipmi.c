/*
 * IPMI 2.0 over LAN (RMCP+) through libfreeipmi: one session per request, as
 * ipmitool and ipmipower do, so nothing is held open between the steps of a
 * switch. Chassis status, chassis control and the boot-flags parameter of the
 * system boot options are all a physical server's BMC needs to give us.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <freeipmi/freeipmi.h>

#include "power/bmc/bmc_internal.h"

/* HMAC-SHA1 authentication and integrity, AES-CBC-128: the suite IPMI 2.0 BMCs offer by default. */
#define IPMI_CIPHER_SUITE 3

/* Map a failed session or (chassis) command to -errno and a line naming the BMC's reason. */
static int ipmi_failure(ipmi_ctx_t ctx, fiid_obj_t rs, const char *what, char *err, size_t errlen)
{
	int errnum = ipmi_ctx_errnum(ctx);
	char code[128];

	switch (errnum) {
	case IPMI_ERR_USERNAME_INVALID:
	case IPMI_ERR_PASSWORD_INVALID:
	case IPMI_ERR_K_G_INVALID:
	case IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT:
	case IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED:
		snprintf(err, errlen, "%s: the BMC refused the credentials (%s)", what, ipmi_ctx_errormsg(ctx));
		return -EACCES;
	case IPMI_ERR_CONNECTION_TIMEOUT:
	case IPMI_ERR_SESSION_TIMEOUT:
	case IPMI_ERR_MESSAGE_TIMEOUT:
		snprintf(err, errlen, "%s: the BMC did not answer", what);
		return -ETIMEDOUT;
	case IPMI_ERR_HOSTNAME_INVALID:
		snprintf(err, errlen, "%s: no such host", what);
		return -EHOSTUNREACH;
	case IPMI_ERR_COMMAND_INVALID_OR_UNSUPPORTED:
	case IPMI_ERR_BMC_BUSY:
		snprintf(err, errlen, "%s: the BMC refused the request (%s)", what, ipmi_ctx_errormsg(ctx));
		return -EIO;
	case IPMI_ERR_BAD_COMPLETION_CODE:
		if (!rs || ipmi_completion_code_strerror_cmd_r(rs, IPMI_NET_FN_CHASSIS_RQ, code, sizeof(code)) < 0)
			snprintf(code, sizeof(code), "%s", ipmi_ctx_errormsg(ctx));
		snprintf(err, errlen, "%s: the BMC refused the request (%s)", what, code);
		return -EIO;
	default:
		snprintf(err, errlen, "%s: %s", what, ipmi_ctx_errormsg(ctx));
		return -EPROTO;
	}
}

/*
 * FreeIPMI retransmits within the session: each packet waits timeout_ms, the
 * whole request (timeout_ms x (retries + 1)). The open-session workaround asks
 * for the ADMINISTRATOR privilege in the Open Session request too, which a BMC
 * that hashes the keys with that request's level (ipmi_sim among them) needs
 * and a BMC that follows the specification does not mind.
 */
static int ipmi_open(const struct bmc_target *t, ipmi_ctx_t *out, char *err, size_t errlen)
{
	unsigned int attempts = t->retries + 1;
	char host[BMC_FIELD_MAX + 8];
	ipmi_ctx_t ctx = ipmi_ctx_create();
	int ret;

	if (!ctx) {
		snprintf(err, errlen, "IPMI: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	snprintf(host, sizeof(host), "%s:%u", t->host, t->port);
	if (ipmi_ctx_open_outofband_2_0(ctx, host, t->user, t->password, NULL, 0, IPMI_PRIVILEGE_LEVEL_ADMIN,
					IPMI_CIPHER_SUITE, t->timeout_ms * attempts, t->timeout_ms,
					IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE, 0) < 0) {
		ret = ipmi_failure(ctx, NULL, "IPMI session", err, errlen);
		ipmi_ctx_destroy(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

static void ipmi_close(ipmi_ctx_t ctx)
{
	ipmi_ctx_close(ctx);
	ipmi_ctx_destroy(ctx);
}

/* Run one command (cmd) in its own session; rs is its response object. */
static int ipmi_request(const struct bmc_target *t, fiid_template_t rs_template, const char *what,
			int (*cmd)(ipmi_ctx_t ctx, fiid_obj_t rs, const void *arg), const void *arg,
			int (*read_answer)(fiid_obj_t rs, void *out), void *out, char *err, size_t errlen)
{
	fiid_obj_t rs = fiid_obj_create(rs_template);
	ipmi_ctx_t ctx;
	int ret;

	if (!rs) {
		snprintf(err, errlen, "IPMI: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = ipmi_open(t, &ctx, err, errlen);
	if (ret == 0) {
		if (cmd(ctx, rs, arg) < 0)
			ret = ipmi_failure(ctx, rs, what, err, errlen);
		else if (read_answer && (ret = read_answer(rs, out)) < 0)
			snprintf(err, errlen, "%s: the BMC's answer lacks its fields", what);
		ipmi_close(ctx);
	}
	fiid_obj_destroy(rs);
	return ret;
}

static int cmd_chassis_status(ipmi_ctx_t ctx, fiid_obj_t rs, const void *arg)
{
	(void)arg;
	return ipmi_cmd_get_chassis_status(ctx, rs);
}

static int read_power_is_on(fiid_obj_t rs, void *out)
{
	uint64_t on;

	if (fiid_obj_get(rs, "current_power_state.power_is_on", &on) <= 0)
		return -EPROTO;
	*(bool *)out = on != 0;
	return 0;
}

static int ipmi_power_state(const struct bmc_target *t, bool *on, char *err, size_t errlen)
{
	return ipmi_request(t, tmpl_cmd_get_chassis_status_rs, "IPMI chassis status", cmd_chassis_status, NULL,
			    read_power_is_on, on, err, errlen);
}

static int cmd_chassis_control(ipmi_ctx_t ctx, fiid_obj_t rs, const void *arg)
{
	return ipmi_cmd_chassis_control(ctx, *(const uint8_t *)arg, rs);
}

static int ipmi_power(const struct bmc_target *t, enum bmc_power_action action, char *err, size_t errlen)
{
	static const uint8_t control[] = {
		[BMC_POWER_ON] = IPMI_CHASSIS_CONTROL_POWER_UP,
		[BMC_POWER_OFF] = IPMI_CHASSIS_CONTROL_POWER_DOWN,
		[BMC_POWER_SOFT] = IPMI_CHASSIS_CONTROL_INITIATE_SOFT_SHUTDOWN,
		[BMC_POWER_CYCLE] = IPMI_CHASSIS_CONTROL_POWER_CYCLE,
	};

	return ipmi_request(t, tmpl_cmd_chassis_control_rs, "IPMI chassis control", cmd_chassis_control,
			    &control[action], NULL, NULL, err, errlen);
}

struct boot_flags {
	uint8_t device;
	uint8_t persistent;
};

static int cmd_boot_flags(ipmi_ctx_t ctx, fiid_obj_t rs, const void *arg)
{
	const struct boot_flags *f = arg;

	return ipmi_cmd_set_system_boot_options_boot_flags(
		ctx, IPMI_SYSTEM_BOOT_OPTIONS_PARAMETER_VALID_UNLOCKED,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_TYPE_PC_COMPATIBLE, f->persistent,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_VALID, IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		f->device, IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_CONSOLE_REDIRECTION_DEFAULT, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_FIRMWARE_BIOS_VERBOSITY_DEFAULT, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAGS_SET_MUX_TO_RECOMENDED_AT_END_OF_POST,
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, 0, rs);
}

static int ipmi_set_boot_device(const struct bmc_target *t, enum bmc_boot_device device, bool persistent, char *err,
				size_t errlen)
{
	struct boot_flags flags = {
		.device = device == BMC_BOOT_PXE ? IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_DEVICE_FORCE_PXE
						 : IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_DEVICE_FORCE_HARD_DRIVE,
		.persistent = persistent ? IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_VALID_PERSISTENTLY
					 : IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_VALID_FOR_NEXT_BOOT,
	};

	return ipmi_request(t, tmpl_cmd_set_system_boot_options_rs, "IPMI boot device", cmd_boot_flags, &flags,
			    NULL, NULL, err, errlen);
}

const struct bmc_ops bmc_ipmi_ops = {
	.power_state = ipmi_power_state,
	.power = ipmi_power,
	.set_boot_device = ipmi_set_boot_device,
};
