/*
 * Which schedules apply at an instant, and when that changes. What applies is
 * a function of the local wall-clock minute of the week; the next change is
 * the first instant whose wall-clock minute has a different set, found by
 * walking real time towards the next edge on the wall clock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "power/fleet/schedule.h"

/*
 * The most a wall clock jumps forward at once (daylight saving time; two
 * hours in the zones that jump most): walking real time this much short of a
 * wall-clock edge never walks past it.
 */
#define CLOCK_JUMP_MAX_MIN 120
#define WALK_STEPS_MAX 2000

bool schedule_applies(const struct fleet_schedule *s, unsigned int week_minute)
{
	unsigned int day = week_minute / SCHEDULE_DAY_MIN % 7, minute = week_minute % SCHEDULE_DAY_MIN;
	bool today = s->days >> day & 1, yesterday = s->days >> ((day + 6) % 7) & 1;
	const struct fleet_hours *h = &s->hours;

	if (h->start_min < h->end_min)
		return today && minute >= h->start_min && minute < h->end_min;
	/* Across midnight: the evening of a listed day, and the morning after it. */
	return (today && minute >= h->start_min) || (yesterday && minute < h->end_min);
}

static unsigned int active_at(const struct fleet_config *c, unsigned int week_minute)
{
	unsigned int active = 0;

	for (unsigned int i = 0; i < c->n_schedules; i++)
		if (schedule_applies(&c->schedules[i], week_minute))
			active |= 1u << i;
	return active;
}

/* The wall-clock minute of the week at t (0 is Monday 00:00) in the local time zone. */
static unsigned int wall_minute(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (unsigned int)((tm.tm_wday + 6) % 7) * SCHEDULE_DAY_MIN + (unsigned int)(tm.tm_hour * 60 + tm.tm_min);
}

/* Wall-clock minutes from week_minute until other schedules than `active` apply; 0 when that never happens. */
static unsigned int minutes_to_change(const struct fleet_config *c, unsigned int week_minute, unsigned int active)
{
	for (unsigned int ahead = 1; ahead < SCHEDULE_WEEK_MIN; ahead++)
		if (active_at(c, (week_minute + ahead) % SCHEDULE_WEEK_MIN) != active)
			return ahead;
	return 0;
}

static bool next_change(const struct fleet_config *c, time_t at, unsigned int active, time_t *next)
{
	/* Schedules change on whole minutes: from the next one on. */
	time_t t = at - ((at % 60) + 60) % 60 + 60;

	for (unsigned int step = 0; step < WALK_STEPS_MAX; step++) {
		unsigned int minute = wall_minute(t), ahead;

		if (active_at(c, minute) != active) {
			*next = t;
			return true;
		}
		ahead = minutes_to_change(c, minute, active);
		if (ahead == 0)
			return false;
		t += 60 * (time_t)(ahead > CLOCK_JUMP_MAX_MIN ? ahead - CLOCK_JUMP_MAX_MIN : 1);
	}
	return false;
}

void schedule_evaluate(const struct fleet_config *c, time_t at, struct schedule_now *now)
{
	now->active = active_at(c, wall_minute(at));
	now->effective = c->policy;
	for (unsigned int i = 0; i < c->n_schedules; i++)
		if (now->active >> i & 1)
			fleet_policy_overlay(&now->effective, &c->schedules[i].values, c->schedules[i].sets);
	now->next_change = 0;
	now->changes = next_change(c, at, now->active, &now->next_change);
}

static bool both_apply(const struct fleet_schedule *a, const struct fleet_schedule *b, unsigned int week_minute)
{
	return schedule_applies(a, week_minute % SCHEDULE_WEEK_MIN) && schedule_applies(b, week_minute % SCHEDULE_WEEK_MIN);
}

/* The first stretch [*from, *to) of the week in which a and b both apply (to may pass the week's end). */
static bool overlap(const struct fleet_schedule *a, const struct fleet_schedule *b, unsigned int *from,
		    unsigned int *to)
{
	unsigned int start = 0;

	/* From a minute where they do not both apply, so that a stretch across Sunday midnight is found whole. */
	while (start < SCHEDULE_WEEK_MIN && both_apply(a, b, start))
		start++;
	if (start == SCHEDULE_WEEK_MIN) {
		*from = 0, *to = SCHEDULE_WEEK_MIN;
		return true;
	}
	for (*from = start + 1; *from < start + SCHEDULE_WEEK_MIN; (*from)++) {
		if (!both_apply(a, b, *from))
			continue;
		for (*to = *from + 1; both_apply(a, b, *to); (*to)++)
			;
		return true;
	}
	return false;
}

static void conflict_describe(const struct fleet_schedule *a, const struct fleet_schedule *b, unsigned int differ,
			      unsigned int from, unsigned int to, char *reason, size_t len)
{
	enum fleet_setting setting = (enum fleet_setting)(differ & -differ);
	char when[48], start[16], end[16], value_a[64], value_b[64];

	schedule_minute_format(from, start, sizeof(start));
	schedule_minute_format(to, end, sizeof(end));
	if (to - from >= SCHEDULE_WEEK_MIN)
		snprintf(when, sizeof(when), "at all times");
	else
		snprintf(when, sizeof(when), "from %s to %s", start, end);
	fleet_setting_describe(setting, &a->values, value_a, sizeof(value_a));
	fleet_setting_describe(setting, &b->values, value_b, sizeof(value_b));
	snprintf(reason, len, "schedules '%.40s' (line %u) and '%.40s' (line %u) both apply %s and disagree: %s and %s "
		 "(move a window or make them agree)", a->name, a->line, b->name, b->line, when, value_a, value_b);
}

int schedule_find_conflict(const struct fleet_config *c, char *reason, size_t len, unsigned int *line)
{
	for (unsigned int j = 1; j < c->n_schedules; j++) {
		for (unsigned int i = 0; i < j; i++) {
			const struct fleet_schedule *a = &c->schedules[i], *b = &c->schedules[j];
			unsigned int differ = fleet_policy_differences(&a->values, &b->values, a->sets & b->sets);
			unsigned int from, to;

			if (differ && overlap(a, b, &from, &to)) {
				conflict_describe(a, b, differ, from, to, reason, len);
				*line = b->line;
				return -EINVAL;
			}
		}
	}
	return 0;
}
