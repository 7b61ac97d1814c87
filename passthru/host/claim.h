/*
 * Claim records: which logical server holds which PCI device, and which host
 * driver to give it back to. One small JSON file per device under
 * RUN_DIR/devices/ (RUN_DIR is $SHEER_RUN_DIR or /run/sheer, as for the
 * server registry), written before the device leaves its host driver, so a
 * VMM killed at any moment leaves enough behind to undo its claims.
 */
#ifndef SHEER_PASSTHRU_HOST_CLAIM_H
#define SHEER_PASSTHRU_HOST_CLAIM_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "iommu/pci_function.h"
#include "iommu/host_fs.h"
#include "vmm/machine/config.h"

struct device_claim {
	char bdf[PCI_BDF_LEN];
	char holder[SERVER_NAME_MAX];
	pid_t pid;
	unsigned long long pid_start;	/* the holder's start time, so a reused pid is not mistaken for it */
	char host_driver[PCI_DRIVER_LEN];	/* "" when the device had no driver */
};

struct claim_store {
	char dir[PATH_MAX];	/* RUN_DIR/devices */
	int lock_fd;
};

/* run_dir NULL: $SHEER_RUN_DIR or /run/sheer. Creates the directories (0700). */
int claim_store_open(struct claim_store *store, const char *run_dir);
/* To read claims only: nothing is made, and directories that are not there hold no claims. */
int claim_store_open_existing(struct claim_store *store, const char *run_dir);
void claim_store_close(struct claim_store *store);
/* Serialises claim and release between sheer processes. */
int claim_store_lock(struct claim_store *store);
void claim_store_unlock(struct claim_store *store);

int claim_write(const struct claim_store *store, const struct device_claim *claim);
/* -ENOENT when nobody claims the device. */
int claim_read(const struct claim_store *store, const char *bdf, struct device_claim *claim);
/* Decode the record of device bdf as claim_read() parsed it from its file; -EINVAL for anything malformed. */
int claim_from_json(json_t *object, const char *bdf, struct device_claim *claim);
int claim_remove(const struct claim_store *store, const char *bdf);
/* The BDFs with a claim record. */
int claim_list(const struct claim_store *store, struct name_list *bdfs);

/* Fill pid and pid_start for the process PID (the one that will hold the device). */
int claim_set_holder(const struct host_fs *fs, struct device_claim *claim, const char *holder, pid_t pid);
/* Is the holder still running? A dead holder's claim is stale and may be undone. */
bool claim_is_live(const struct host_fs *fs, const struct device_claim *claim);

#endif
