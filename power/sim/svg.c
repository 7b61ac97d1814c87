/*
 * An SVG an operator can open: active hosts and power over time, one line per policy, under a
 * title and the run's parameters. The y-axes fit the bulk of the day, not the initial
 * placement's peak (plot_range()): a value above the scale is drawn at the top edge and marked
 * with a triangle that names it.
 */
#include <errno.h>
#include <stdio.h>

#include "power/planner/power.h"
#include "power/sim/report.h"

#define W 960
#define LEFT 70
#define RIGHT 30
#define PLOT_W (W - LEFT - RIGHT)
#define HEADER_H 80		/* title and parameters */
#define PANEL_H 240
#define PANEL_GAP 70		/* hour and day labels under a panel, the next panel's title */
#define LEGEND_LINE 20
#define Y_TICKS 5
#define X_TICKS 14

static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				       "#8c564b", "#e377c2", "#7f7f7f" };

static const char *colour(int i)
{
	return colours[i % (int)(sizeof(colours) / sizeof(colours[0]))];
}

/* Names come from the command line and folder names: escaped so the file stays well-formed XML. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

struct panel {
	enum plot_panel kind;
	int top;		/* y of the panel's frame */
	struct axis y;
	double hours;		/* length of the x-axis */
};

static double panel_x(const struct panel *p, double hours)
{
	return LEFT + PLOT_W * hours / p->hours;
}

static double panel_y(const struct panel *p, double v)
{
	return p->top + PANEL_H - PANEL_H * (v < p->y.top ? v : p->y.top) / p->y.top;
}

static void title_write(FILE *f, const struct svg_plot *plot)
{
	const struct svg_series *s0 = &plot->series[0];

	fprintf(f, "<text x='%d' y='24' font-size='16' font-weight='bold'>sheer power simulate: active hosts "
		   "and power</text>\n<text x='%d' y='44' font-size='11' fill='#444'>traces ", LEFT, LEFT);
	put_escaped(f, plot->traces ? plot->traces : "?");
	fprintf(f, " (%d day%s", s0->n_days, s0->n_days == 1 ? "" : "s");
	if (s0->n_days > 0) {
		fputs(", ", f);
		put_escaped(f, s0->days[0].day);
		if (s0->n_days > 1) {
			fputs(" to ", f);
			put_escaped(f, s0->days[s0->n_days - 1].day);
		}
	}
	fputs("); policies ", f);
	for (int i = 0; i < plot->n_series; i++) {
		fputs(i ? ", " : "", f);
		put_escaped(f, plot->series[i].label);
	}
	fprintf(f, "</text>\n<text x='%d' y='60' font-size='11' fill='#444'>%d hosts; ", LEFT, plot->n_hosts);
	if (plot->min_servers == plot->max_servers)
		fprintf(f, "%d servers", plot->min_servers);
	else
		fprintf(f, "%d to %d servers a day", plot->min_servers, plot->max_servers);
	fprintf(f, "; interval %.0f s", POWER_INTERVAL_S);
	if (plot->max_migrations >= 0)
		fprintf(f, "; at most %d migrations an interval", plot->max_migrations);
	fprintf(f, "%s</text>\n", plot->reserve_memory ? "; servers' memory reserved" : "");
}

static void grid_write(FILE *f, const struct panel *p, const struct svg_plot *plot, double clipped_max)
{
	const struct svg_series *s0 = &plot->series[0];
	int hour_step = axis_hour_step(p->hours, X_TICKS);

	fprintf(f, "<text x='%d' y='%d' font-size='14'>%s", LEFT, p->top - 8,
		p->kind == PLOT_ACTIVE_HOSTS ? "active hosts" : "power (kW)");
	if (clipped_max > p->y.top)
		fprintf(f, "<tspan dx='8' font-size='11' fill='#444'>(&#9650;: values above the scale, "
			   "up to %.4g)</tspan>", clipped_max);
	fprintf(f, "</text>\n");
	for (int k = 0; k * p->y.step <= p->y.top * (1 + 1e-9); k++) {
		double y = panel_y(p, k * p->y.step);

		fprintf(f, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#e4e4e4'/>"
			   "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%g</text>\n",
			LEFT, LEFT + PLOT_W, y, y, LEFT - 4, y + 4, k * p->y.step);
	}
	for (int h = 0; h <= p->hours + 1e-9; h += hour_step) {
		double x = panel_x(p, h);

		fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='%s'/>"
			   "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%d h</text>\n",
			x, x, p->top, p->top + PANEL_H, h % 24 ? "#e4e4e4" : "#bbb", x, p->top + PANEL_H + 14, h);
	}
	for (int d = 0; d < s0->n_days && s0->n_days > 1; d++) {
		fprintf(f, "<text x='%.1f' y='%d' font-size='11' fill='#444'>", panel_x(p, 24.0 * d) + 2,
			p->top + PANEL_H + 28);
		put_escaped(f, s0->days[d].day);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>\n", LEFT, p->top,
		PLOT_W, PANEL_H);
}

static double point_hours(int day, const struct sim_point *pt)
{
	return day * 24.0 + pt->time_s / 3600;
}

static void series_write(FILE *f, const struct panel *p, const struct svg_series *s, const char *stroke)
{
	fprintf(f, "<polyline fill='none' stroke-width='1.2' stroke='%s' points='", stroke);
	for (int d = 0; d < s->n_days; d++)
		for (int k = 0; k < s->days[d].n_points; k++) {
			const struct sim_point *pt = &s->days[d].series[k];

			fprintf(f, "%.1f,%.1f ", panel_x(p, point_hours(d, pt)), panel_y(p, plot_value(pt, p->kind)));
		}
	fprintf(f, "'/>\n");
	for (int d = 0; d < s->n_days; d++)
		for (int k = 0; k < s->days[d].n_points; k++) {
			const struct sim_point *pt = &s->days[d].series[k];
			double v = plot_value(pt, p->kind);

			if (v > p->y.top)
				fprintf(f, "<path d='M%.1f,%d l-4,7 h8 z' fill='%s'><title>%.4g</title></path>\n",
					panel_x(p, point_hours(d, pt)), p->top - 7, stroke, v);
		}
}

static void panel_write(FILE *f, const struct svg_plot *plot, enum plot_panel kind, int top)
{
	int n_days = plot->series[0].n_days;
	struct panel p = { .kind = kind, .top = top, .hours = 24.0 * (n_days > 0 ? n_days : 1) };
	struct plot_range range = plot_range(plot->series, plot->n_series, kind);

	axis_fit(range.limit, Y_TICKS, &p.y);
	grid_write(f, &p, plot, range.max);
	for (int i = 0; i < plot->n_series; i++)
		series_write(f, &p, &plot->series[i], colour(i));
}

int svg_write(FILE *f, const struct svg_plot *plot)
{
	int legend_top = HEADER_H + 2 * (PANEL_H + PANEL_GAP);

	if (plot->n_series < 1)
		return -EINVAL;
	fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='%d' "
		   "height='%d' font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
		W, legend_top + LEGEND_LINE * plot->n_series + 10);
	title_write(f, plot);
	panel_write(f, plot, PLOT_ACTIVE_HOSTS, HEADER_H + 20);
	panel_write(f, plot, PLOT_POWER_KW, HEADER_H + 20 + PANEL_H + PANEL_GAP);
	for (int i = 0; i < plot->n_series; i++) {
		int y = legend_top + LEGEND_LINE * i + 10;

		fprintf(f, "<rect x='%d' y='%d' width='14' height='4' fill='%s'/><text x='%d' y='%d' font-size='12'>",
			LEFT, y - 4, colour(i), LEFT + 20, y);
		put_escaped(f, plot->series[i].label);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
	return ferror(f) ? -EIO : 0;
}
