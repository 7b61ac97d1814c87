/*
 * Power control of physical servers through their BMCs: IPMI 2.0 over LAN
 * (libfreeipmi) and Redfish over HTTPS. A target is named by a URL,
 * ipmi://USER@HOST[:PORT] or redfish://USER@HOST[:PORT]/SYSTEM-ID; its password
 * comes from a file only its owner can read, never from the command line.
 * Everything a BMC answers is bounded and checked before it is believed.
 */
#ifndef SHEER_POWER_BMC_BMC_H
#define SHEER_POWER_BMC_BMC_H

#include <stdbool.h>
#include <stddef.h>

#define BMC_FIELD_MAX 256
#define BMC_PASSWORD_MAX 128	/* Redfish has no limit; IPMI 2.0 allows 20 bytes */
#define BMC_IPMI_PASSWORD_MAX 20
#define BMC_IPMI_PORT 623
#define BMC_REDFISH_PORT 443
#define BMC_DEFAULT_TIMEOUT_MS 5000
#define BMC_DEFAULT_RETRIES 2
#define BMC_MAX_TIMEOUT_MS 600000
#define BMC_MAX_RETRIES 10

enum bmc_protocol { BMC_IPMI, BMC_REDFISH };

struct bmc_target {
	enum bmc_protocol protocol;
	char user[BMC_FIELD_MAX];
	char host[BMC_FIELD_MAX];
	unsigned int port;
	char system_id[BMC_FIELD_MAX];	/* Redfish only */
	char password[BMC_PASSWORD_MAX + 1];
	char ca_file[BMC_FIELD_MAX];	/* Redfish: the CA that signed the BMC's certificate; "" for the system's */
	unsigned int timeout_ms;	/* one attempt at one request */
	unsigned int retries;		/* further attempts after a timeout */
};

enum bmc_power_action { BMC_POWER_ON, BMC_POWER_OFF, BMC_POWER_SOFT, BMC_POWER_CYCLE };
enum bmc_boot_device { BMC_BOOT_DISK, BMC_BOOT_PXE };

/* Parse URL into t (timeouts left as they are); -EINVAL with the reason in err. */
int bmc_target_parse(const char *url, struct bmc_target *t, char *err, size_t errlen);
/* Read the password from PATH: a regular file of its caller's, unreadable to group and others. */
int bmc_password_load(struct bmc_target *t, const char *path, char *err, size_t errlen);
/* "ipmi://admin@10.0.0.5:623" (no password), for messages. */
void bmc_target_describe(const struct bmc_target *t, char *out, size_t outlen);

/*
 * Each call: 0, or -errno with the BMC's reason in err: -EACCES (credentials
 * refused), -ETIMEDOUT (no answer within timeout_ms, after every retry),
 * -EPROTO (an answer that makes no sense), -EIO (the BMC refused the request).
 */
int bmc_power_state(const struct bmc_target *t, bool *on, char *err, size_t errlen);
int bmc_power(const struct bmc_target *t, enum bmc_power_action action, char *err, size_t errlen);
int bmc_set_boot_device(const struct bmc_target *t, enum bmc_boot_device device, bool persistent, char *err,
			size_t errlen);

const char *bmc_power_action_name(enum bmc_power_action action);
const char *bmc_boot_device_name(enum bmc_boot_device device);
/* The reverse of the names above ("on", ..., "disk", "pxe"): 0, or -EINVAL for any other word. */
int bmc_power_action_parse(const char *name, enum bmc_power_action *action);
int bmc_boot_device_parse(const char *name, enum bmc_boot_device *device);

#endif
