/* A device claim (RUN_DIR/devices/BDF.json) as a crashed, buggy or hostile sheer process could have left it. */
/*
 * Parsed as json_file_load() parses it, decoded by claim_from_json() (what
 * claim_read() does) for the file of device 03:00.0. Recovery and `sheer
 * release` act on what a claim that decodes says: it must name the device of
 * its file (issue 9, defect 4: else recovery unbinds another device) and a
 * host driver that stays one name under /sys/bus/pci/drivers/; a violation
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "passthru/host/claim.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmm/lib/json_file.h"
#include "vmm/lib/parse.h"

#define CLAIMED_BDF "03:00.0"
#define CLAIMED_CANONICAL "0000:03:00.0"

static bool claim_safe(const struct device_claim *claim)
{
	char canonical[PCI_BDF_LEN];

	return parse_pci_address(claim->bdf, canonical, sizeof(canonical)) == 0 &&
	       strcmp(canonical, CLAIMED_CANONICAL) == 0 && claim->pid > 0 && !strchr(claim->host_driver, '/') &&
	       strcmp(claim->host_driver, "..") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct device_claim claim;
	json_t *object = json_loadb((const char *)data, len, JSON_FILE_FLAGS, NULL);

	if (!object)
		return 0;
	if (claim_from_json(object, CLAIMED_BDF, &claim) == 0 && !claim_safe(&claim)) {
		fprintf(stderr, "fuzz_claim_record: a claim that decodes names another device or driver path\n");
		abort();
	}
	json_decref(object);
	return 0;
}
