/* Serial output, then power off through ACPI. */
#include "lib.h"

void guest_main(const uint8_t *zero_page)
{
	(void)zero_page;
	gprintf("hello: sheer test guest on serial\n");
}
