/*
 * When the fleet's schedules apply, and what the policy is then. A schedule
 * is days and a window of wall-clock hours (`days = mon-fri`, `hours =
 * 20:00-07:00`); a window that crosses midnight belongs to the day it starts
 * on. Everything is judged on the local broken-down time (TZ), so a window
 * opens at 20:00 on the days clocks change as on any other; a window edge in
 * the hour clocks skip is passed when they land past it, and one in the hour
 * they repeat is passed both times.
 */
#ifndef SHEER_POWER_FLEET_SCHEDULE_H
#define SHEER_POWER_FLEET_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "power/fleet/fleet_config.h"

#define SCHEDULE_DAY_MIN (24 * 60)
#define SCHEDULE_WEEK_MIN (7 * SCHEDULE_DAY_MIN)
#define SCHEDULE_EVERY_DAY 0x7fu

/* "mon-fri", "sat,sun", "fri-mon", "daily": bit 0 Monday ... bit 6 Sunday; -EINVAL with the reason. */
int schedule_days_parse(const char *text, unsigned int *days, char *reason, size_t len);
/* The other way: "daily", "mon-fri", "sat,sun". */
void schedule_days_format(unsigned int days, char *out, size_t len);
/* "20:00-07:00" (24:00 may end a window); an empty window or a time out of range: -EINVAL with the reason. */
int schedule_hours_parse(const char *text, struct fleet_hours *hours, char *reason, size_t len);
void schedule_hours_format(const struct fleet_hours *hours, char *out, size_t len);
/* "sat 07:00": a minute of the week (0 is Monday 00:00). */
void schedule_minute_format(unsigned int week_minute, char *out, size_t len);

/* Whether s applies at a minute of the week (0 is Monday 00:00). */
bool schedule_applies(const struct fleet_schedule *s, unsigned int week_minute);

struct schedule_now {
	unsigned int active;		/* bit i: c->schedules[i] applies */
	struct fleet_policy effective;	/* [policy] with what the active schedules change */
	bool changes;			/* false: what applies never changes (no schedules, or always the same) */
	time_t next_change;		/* the first instant after `at` at which other schedules apply */
};

/* What applies at `at`, in the local time zone, and when that next changes. */
void schedule_evaluate(const struct fleet_config *c, time_t at, struct schedule_now *now);
/*
 * Two schedules that apply at once and set one value differently: -EINVAL,
 * the reason naming both and when, at the later one's line; 0 when none do.
 */
int schedule_find_conflict(const struct fleet_config *c, char *reason, size_t len, unsigned int *line);

#endif
