/* A schedule's days and hours as the fleet file writes them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "power/fleet/schedule.h"

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int day_index(const char *name, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (len == 3 && strncasecmp(name, day_names[d], 3) == 0)
			return d;
	return -1;
}

/* One item of the list: "daily", "sat" or "fri-mon" (a range may wrap past Sunday). */
static int days_item(const char *item, size_t len, unsigned int *days)
{
	const char *dash = memchr(item, '-', len);
	int from = dash ? day_index(item, (size_t)(dash - item)) : day_index(item, len);
	int to = dash ? day_index(dash + 1, len - (size_t)(dash + 1 - item)) : from;

	if (len == 5 && strncasecmp(item, "daily", 5) == 0) {
		*days |= SCHEDULE_EVERY_DAY;
		return 0;
	}
	if (from < 0 || to < 0)
		return -EINVAL;
	for (int d = from;; d = (d + 1) % 7) {
		*days |= 1u << d;
		if (d == to)
			return 0;
	}
}

int schedule_days_parse(const char *text, unsigned int *days, char *reason, size_t len)
{
	const char *p = text;

	*days = 0;
	for (;;) {
		size_t item;

		p += strspn(p, " \t");
		item = strcspn(p, ",");
		while (item && isspace((unsigned char)p[item - 1]))
			item--;
		if (days_item(p, item, days) < 0) {
			snprintf(reason, len, "days: '%.*s' is not a day (mon, tue, wed, thu, fri, sat, sun), a range "
				 "such as mon-fri, or daily", (int)(item > 40 ? 40 : item), p);
			return -EINVAL;
		}
		p = strchr(p, ',');
		if (!p)
			return 0;
		p++;
	}
}

void schedule_days_format(unsigned int days, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	if ((days & SCHEDULE_EVERY_DAY) == SCHEDULE_EVERY_DAY) {
		snprintf(out, len, "daily");
		return;
	}
	for (int d = 0; d < 7 && used < len; d++) {
		int last = d;

		if (!(days >> d & 1))
			continue;
		while (last < 6 && (days >> (last + 1) & 1))
			last++;
		/* Three days or more read better as a range; two as a list. */
		if (last - d < 2)
			last = d;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", day_names[d]);
		if (last > d && used < len)
			used += (size_t)snprintf(out + used, len - used, "-%s", day_names[last]);
		d = last;
	}
}

/* "H:MM" or "HH:MM" at text, exactly len characters: minutes after midnight, 24:00 being 1440. */
static int time_parse(const char *text, size_t len, unsigned int *minutes)
{
	unsigned int h = 0, m;
	size_t i = 0;

	if (len < 4 || len > 5 || text[len - 3] != ':')
		return -EINVAL;
	for (; i < len - 3; i++) {
		if (!isdigit((unsigned char)text[i]))
			return -EINVAL;
		h = h * 10 + (unsigned int)(text[i] - '0');
	}
	if (!isdigit((unsigned char)text[len - 2]) || !isdigit((unsigned char)text[len - 1]))
		return -EINVAL;
	m = (unsigned int)(text[len - 2] - '0') * 10 + (unsigned int)(text[len - 1] - '0');
	*minutes = h * 60 + m;
	return (h < 24 && m < 60) || *minutes == SCHEDULE_DAY_MIN ? 0 : -ERANGE;
}

int schedule_hours_parse(const char *text, struct fleet_hours *hours, char *reason, size_t len)
{
	const char *dash = strchr(text, '-');
	int from = dash ? time_parse(text, (size_t)(dash - text), &hours->start_min) : -EINVAL;
	int to = dash ? time_parse(dash + 1, strlen(dash + 1), &hours->end_min) : -EINVAL;

	if (from == -EINVAL || to == -EINVAL)
		snprintf(reason, len, "hours: '%.40s' is not HH:MM-HH:MM (20:00-07:00 crosses midnight)", text);
	else if (from < 0 || to < 0 || hours->start_min == SCHEDULE_DAY_MIN)
		snprintf(reason, len, "hours: '%.40s' has a time out of range (00:00 to 23:59; 24:00 may end a window)",
			 text);
	else if (hours->start_min == hours->end_min)
		snprintf(reason, len, "hours: '%.40s' is an empty window (00:00-24:00 is the whole day)", text);
	else
		return 0;
	return -EINVAL;
}

void schedule_hours_format(const struct fleet_hours *hours, char *out, size_t len)
{
	snprintf(out, len, "%02u:%02u-%02u:%02u", hours->start_min / 60, hours->start_min % 60, hours->end_min / 60,
		 hours->end_min % 60);
}

void schedule_minute_format(unsigned int week_minute, char *out, size_t len)
{
	unsigned int minute = week_minute % SCHEDULE_DAY_MIN;

	snprintf(out, len, "%s %02u:%02u", day_names[week_minute / SCHEDULE_DAY_MIN % 7], minute / 60, minute % 60);
}
