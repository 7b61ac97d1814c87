/* The DSDT's AML: PCI root complex, COM1, motherboard resources, \_S5. */
#ifndef SHEER_VMM_BOOT_DSDT_H
#define SHEER_VMM_BOOT_DSDT_H

#include "vmm/boot/acpi.h"
#include "vmm/boot/aml.h"

void dsdt_build(struct aml *aml, const struct acpi_config *cfg);

#endif
