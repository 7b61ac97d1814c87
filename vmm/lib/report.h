/*
 * Where a library reports what goes wrong without failing the operation (a
 * kernel cache that cannot be written, a device without a reset method, a
 * guest's MSI route KVM refused): the caller at the edge decides how it is
 * shown. Library code never prints.
 */
#ifndef SHEER_VMM_LIB_REPORT_H
#define SHEER_VMM_LIB_REPORT_H

struct report {
	void (*warn)(void *ctx, const char *message);
	void *ctx;
};

/* Format one line and hand it to report->warn; nothing when report or its warn is NULL. */
void report_warn(const struct report *report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
