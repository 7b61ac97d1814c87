/*
 * The guest-physical address map of a sheer machine, shared by the loader,
 * the firmware tables and the devices so that they all agree on it.
 */
#ifndef SHEER_VMM_MACHINE_LAYOUT_H
#define SHEER_VMM_MACHINE_LAYOUT_H

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Low memory, below 1 MiB: what a BIOS would leave for the kernel. */
#define LAYOUT_GDT		0x0500ULL
#define LAYOUT_IDT		0x0520ULL
#define LAYOUT_ZERO_PAGE	0x7000ULL
#define LAYOUT_BOOT_STACK	0x8ff0ULL
#define LAYOUT_PML4		0x9000ULL
#define LAYOUT_PDPT		0xa000ULL
#define LAYOUT_PD		0xb000ULL	/* four pages: identity map of 4 GiB */
#define LAYOUT_CMDLINE		0x20000ULL
#define LAYOUT_EBDA		0x9fc00ULL	/* low RAM ends here */
#define LAYOUT_BIOS		0xe0000ULL	/* ACPI tables; Linux scans here for the RSDP */
#define LAYOUT_BIOS_END		0x100000ULL
#define LAYOUT_KERNEL		0x100000ULL

/*
 * The 32-bit hole: RAM stops where ECAM starts (2.75 GiB) and resumes at
 * 4 GiB, so no RAM ever covers ECAM, the PCI window, the IO-APIC, the LAPIC
 * or the KVM pages below 4 GiB.
 */
#define LAYOUT_ECAM		0xb0000000ULL	/* PCI ECAM, bus 0 only */
#define LAYOUT_LOW_RAM_MAX	LAYOUT_ECAM
#define LAYOUT_HIGH_RAM		(4 * GiB)
#define LAYOUT_ECAM_SIZE	(1 * MiB)
#define LAYOUT_PCI_MMIO		0xc0000000ULL	/* window for device BARs */
#define LAYOUT_PCI_MMIO_END	0xfec00000ULL
#define LAYOUT_IOAPIC		0xfec00000ULL
#define LAYOUT_LAPIC		0xfee00000ULL

/* KVM needs three pages below 4 GiB for VMX real-mode support. */
#define LAYOUT_KVM_IDENTITY_MAP	0xfffbc000ULL
#define LAYOUT_KVM_TSS		0xfffbd000ULL

/* Legacy and ACPI I/O ports. */
#define PORT_PM_BASE		0x600
#define PORT_PM1_EVT		(PORT_PM_BASE + 0)	/* 4 bytes: status, enable */
#define PORT_PM1_CNT		(PORT_PM_BASE + 4)	/* 2 bytes */
#define PORT_PM_TMR		(PORT_PM_BASE + 8)	/* 4 bytes */
#define PORT_PM_GPE0		(PORT_PM_BASE + 12)	/* 4 bytes: status, enable */
#define PORT_PCI_HOTPLUG	0xae00			/* 12 bytes: vmm/devices/pci_hotplug.h */
#define PORT_PCI_CONFIG		0xcf8			/* 8 bytes: address, data */
#define PORT_RESET_CONTROL	0xcf9
#define PORT_COM1		0x3f8
#define PORT_RTC		0x70
#define PORT_I8042_DATA		0x60
#define PORT_I8042_CMD		0x64
#define PORT_POST		0x80
#define PORT_FW_CFG		0x510			/* selector; data at 0x511 */

#define IRQ_COM1		4
#define IRQ_RTC			8
#define IRQ_SCI			9
#define IOAPIC_PINS		24

/* INTx of PCI slot 1..31, pin 0..3 (INTA..INTD): swizzled over IO-APIC pins 16..19. */
#define PCI_INTX_GSI(slot, pin)	(16 + ((slot) + (pin)) % 4)

/* SLP_TYP value for S5 (soft off), announced by \_S5 in the DSDT. */
#define ACPI_SLP_TYP_S5		5

#endif
