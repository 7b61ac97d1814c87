/*
 * A tiny builder for ACPI Machine Language (ACPI 6.x, section 20), enough
 * for the DSDT: names, integers, strings, buffers, packages, scopes,
 * devices, I/O operation regions and their fields, and the few statements
 * hotplug methods need (Store, And, If, Notify). Nested objects are opened and closed; closing fills in the
 * PkgLength. An error (out of memory, bad name) sticks and is reported once
 * by aml_finish().
 */
#ifndef SHEER_VMM_BOOT_AML_H
#define SHEER_VMM_BOOT_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int error;
};

void aml_init(struct aml *aml);
void aml_free(struct aml *aml);
int aml_finish(struct aml *aml);	/* 0 or the first error */

void aml_bytes(struct aml *aml, const void *data, size_t len);
void aml_name_string(struct aml *aml, const char *path);	/* "\\_SB_.PCI0", "_HID" */
void aml_integer(struct aml *aml, uint64_t value);
void aml_string(struct aml *aml, const char *s);
void aml_eisa_id(struct aml *aml, const char *id);		/* "PNP0A03" */
void aml_buffer(struct aml *aml, const void *data, size_t len);

/* Name(path, <next object>) */
void aml_name(struct aml *aml, const char *path);

/* Nested objects: each open returns a mark for the matching aml_close(). */
size_t aml_scope_open(struct aml *aml, const char *path);
size_t aml_device_open(struct aml *aml, const char *path);
size_t aml_package_open(struct aml *aml, unsigned int n_elements);
void aml_close(struct aml *aml, size_t mark);

/* Method(path, nargs, Serialized): a body of statements until aml_close(). */
size_t aml_method_open(struct aml *aml, const char *path, unsigned int nargs);
/* If (<next term>) { ... until aml_close() } */
size_t aml_if_open(struct aml *aml);
/* OperationRegion(name, SystemIO, base, len) */
void aml_io_region(struct aml *aml, const char *name, uint16_t base, uint16_t len);
/* Field(region, DWordAcc, NoLock, WriteAsZeros) { names[0], 32, names[1], 32, ... } */
void aml_dword_fields(struct aml *aml, const char *region, const char *const *names, unsigned int n);
/* Statement and operator openers: their operands follow, in order. */
void aml_store(struct aml *aml);	/* Store(source, target) */
void aml_and(struct aml *aml);		/* And(a, b, target): give aml_null_target() as target */
void aml_notify(struct aml *aml);	/* Notify(object, value) */
void aml_local(struct aml *aml, unsigned int n);	/* Local0..Local7 */
void aml_null_target(struct aml *aml);

/* PkgLength encoding of a length that already counts the encoding itself. */
size_t aml_pkg_length_encode(uint8_t out[4], size_t body_len);
/* The 32-bit compressed EISA ID of "ABC1234"; 0 if malformed. */
uint32_t aml_eisa_id_value(const char *id);

#endif
