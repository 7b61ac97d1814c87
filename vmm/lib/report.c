#include <stdarg.h>
#include <stdio.h>

#include "vmm/lib/report.h"

#define REPORT_LINE_MAX 512

void report_warn(const struct report *report, const char *fmt, ...)
{
	char message[REPORT_LINE_MAX];
	va_list ap;

	if (!report || !report->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	report->warn(report->ctx, message);
}
