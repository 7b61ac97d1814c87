/* Waits (polling, interrupts off) for the ACPI power button, then powers off as an OS would. */
#include "lib.h"

#define PWRBTN (1U << 8)

void guest_main(const uint8_t *zp)
{
	const struct acpi_header *fadt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "FACP");
	uint16_t evt = acpi_fadt32(fadt, FADT_PM1A_EVT);

	outw(evt + 2, PWRBTN);	/* PM1_EN.PWRBTN_EN */
	gprintf("button: waiting for the power button\n");
	while (!(inw(evt) & PWRBTN))
		;
	outw(evt, PWRBTN);	/* acknowledge: write one to clear */
	gprintf("button: pressed, status now 0x%x\n", inw(evt));
}
