/* An SVG an operator can open: active hosts and power over time, one line per policy. */
#include <errno.h>
#include <stdio.h>

#include "power/sim/report.h"

#define W 960
#define PANEL_H 260
#define MARGIN 60

static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				       "#8c564b", "#e377c2", "#7f7f7f" };

static double point_value(const struct sim_point *p, int panel)
{
	return panel == 0 ? p->active_hosts : p->power_w / 1000;
}

static void panel_write(FILE *f, const struct svg_series *s, int n, int panel, int top)
{
	const char *title = panel == 0 ? "active hosts" : "power (kW)";
	double max_v = 1, max_t = 1;
	int n_days = n ? s[0].n_days : 0;

	for (int i = 0; i < n; i++)
		for (int d = 0; d < s[i].n_days; d++)
			for (int k = 0; k < s[i].days[d].n_points; k++) {
				double v = point_value(&s[i].days[d].series[k], panel);

				if (v > max_v)
					max_v = v;
			}
	max_t = n_days * 86400.0;
	fprintf(f, "<text x='%d' y='%d' font-size='14'>%s</text>\n", MARGIN, top - 8, title);
	fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>\n", MARGIN, top,
		W - 2 * MARGIN, PANEL_H);
	for (int g = 0; g <= 4; g++) {
		double v = max_v * g / 4;
		int y = top + PANEL_H - (int)(PANEL_H * g / 4);

		fprintf(f, "<text x='%d' y='%d' font-size='11' text-anchor='end'>%.0f</text>\n", MARGIN - 4,
			y + 4, v);
	}
	for (int d = 0; d < n_days; d++) {
		int x = MARGIN + (int)((W - 2 * MARGIN) * d / (double)n_days);

		fprintf(f, "<text x='%d' y='%d' font-size='11'>%s</text>\n", x + 2, top + PANEL_H + 14,
			s[0].days[d].day);
	}
	for (int i = 0; i < n; i++) {
		fprintf(f, "<polyline fill='none' stroke-width='1.2' stroke='%s' points='",
			colours[i % (int)(sizeof(colours) / sizeof(colours[0]))]);
		for (int d = 0; d < s[i].n_days; d++)
			for (int k = 0; k < s[i].days[d].n_points; k++) {
				const struct sim_point *p = &s[i].days[d].series[k];
				double t = d * 86400.0 + p->time_s;
				double x = MARGIN + (W - 2 * MARGIN) * t / max_t;
				double y = top + PANEL_H - PANEL_H * point_value(p, panel) / max_v;

				fprintf(f, "%.1f,%.1f ", x, y);
			}
		fprintf(f, "'/>\n");
	}
}

int svg_write(const char *path, const struct svg_series *s, int n)
{
	int height = 2 * PANEL_H + 3 * MARGIN + 20 * n;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
		   "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n", W, height);
	panel_write(f, s, n, 0, MARGIN / 2 + 10);
	panel_write(f, s, n, 1, MARGIN / 2 + PANEL_H + MARGIN + 10);
	for (int i = 0; i < n; i++) {
		int y = 2 * PANEL_H + 2 * MARGIN + 20 * i + 20;

		fprintf(f, "<rect x='%d' y='%d' width='14' height='4' fill='%s'/>"
			   "<text x='%d' y='%d' font-size='12'>%s</text>\n",
			MARGIN, y - 4, colours[i % (int)(sizeof(colours) / sizeof(colours[0]))], MARGIN + 20, y,
			s[i].label);
	}
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0)
		return -errno;
	return 0;
}
