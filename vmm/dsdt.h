/* The DSDT's AML: PCI root complex, COM1, motherboard resources, \_S5. */
#ifndef SHEER_DSDT_H
#define SHEER_DSDT_H

#include "vmm/acpi.h"
#include "vmm/aml.h"

void dsdt_build(struct aml *aml, const struct acpi_config *cfg);

#endif
