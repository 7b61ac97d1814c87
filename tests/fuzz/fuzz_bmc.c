/*
 * What a BMC or an operator hands the BMC client: the input, split at its
 * first NUL, is a target URL (bmc_target_parse) and a Redfish answer body
 * (its PowerState and an error's message, as redfish.c reads them).
 */
#include <string.h>

#include "power/bmc/bmc_internal.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t url_len = nul ? (size_t)(nul - data) : size;
	char url[512], err[256], msg[128];
	struct bmc_target t;
	bool on;

	if (url_len < sizeof(url)) {
		memcpy(url, data, url_len);
		url[url_len] = '\0';
		(void)bmc_target_parse(url, &t, err, sizeof(err));
	}
	if (nul) {
		(void)redfish_parse_power_state((const char *)nul + 1, size - url_len - 1, &on);
		redfish_parse_error_message((const char *)nul + 1, size - url_len - 1, msg, sizeof(msg));
	}
	return 0;
}
