/* Devices chosen by model on the target (fleet_remap.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/fleet_remap.h"

/* "03:00.0" and "0000:03:00.0" name one function. */
static bool same_bdf(const char *a, const char *b)
{
	if (strlen(a) == 7)
		return strlen(b) == 12 && strncmp(b, "0000:", 5) == 0 && strcmp(a, b + 5) == 0;
	if (strlen(b) == 7)
		return same_bdf(b, a);
	return strcasecmp(a, b) == 0;
}

static int free_of_model(const struct fleet_report *target, const bool *taken, const char *id)
{
	for (unsigned int i = 0; i < target->n_free; i++)
		if (!taken[i] && id[0] && strcmp(target->free_devices[i].id, id) == 0)
			return (int)i;
	return -1;
}

bool fleet_remap_fits(const struct fleet_seen_server *server, const struct fleet_report *target, const bool *taken)
{
	bool mine[target->n_free + 1];
	bool fits = !server->pinned;

	memcpy(mine, taken, target->n_free * sizeof(bool));
	for (unsigned int d = 0; fits && d < server->n_devices; d++) {
		int pick = free_of_model(target, mine, server->devices[d].id);

		fits = pick >= 0;
		if (fits)
			mine[pick] = true;
	}
	return fits;
}

/* A line "pci = VALUE" (any spacing): VALUE's start and length, or false. */
static bool pci_line(const char *line, size_t len, size_t *at, size_t *vlen)
{
	size_t i = 0;

	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (len - i < 3 || strncmp(line + i, "pci", 3) != 0)
		return false;
	i += 3;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (i == len || line[i++] != '=')
		return false;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	*at = i;
	*vlen = len - i;
	while (*vlen && isspace((unsigned char)line[i + *vlen - 1]))
		(*vlen)--;
	return *vlen > 0;
}

/* Whether the line opens a section, and *is_device whether that is a [device]. */
static bool header_line(const char *line, size_t len, bool *is_device)
{
	size_t i = 0;

	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (i == len || line[i] != '[')
		return false;
	*is_device = len - i >= 8 && strncmp(line + i, "[device]", 8) == 0;
	return true;
}

struct remap {
	const struct fleet_seen_server *server;
	const struct fleet_report *target;
	bool *taken;
	char *why;
	size_t whylen;
};

/* The target's BDF for the source's device bdf; a negative errno with why. */
static int remap_one(struct remap *m, const char *bdf, const char **to)
{
	const char *id = NULL;
	int pick;

	for (unsigned int d = 0; d < m->server->n_devices && !id; d++)
		if (same_bdf(m->server->devices[d].pci, bdf))
			id = m->server->devices[d].id;
	if (!id || !id[0]) {
		snprintf(m->why, m->whylen, "%s: device %s is not in its host's last report", m->server->name, bdf);
		return -ENOENT;
	}
	pick = free_of_model(m->target, m->taken, id);
	if (pick < 0) {
		snprintf(m->why, m->whylen, "%s: no free device of model %s for it", m->server->name, id);
		return -ENOSPC;
	}
	m->taken[pick] = true;
	*to = m->target->free_devices[pick].pci;
	return 0;
}

int fleet_remap_definition(const char *text, const struct fleet_seen_server *server,
			   const struct fleet_report *target, bool *taken, char **out, char *why, size_t whylen)
{
	struct remap m = { server, target, taken, why, whylen };
	/* A rewritten line grows by at most a domain and a newline: never past twice the text. */
	size_t cap = 2 * strlen(text) + 64, n = 0;
	char *result = malloc(cap);
	bool in_device = false;
	int ret = 0;

	if (!result)
		return -ENOMEM;
	result[0] = '\0';
	for (const char *line = text; *line && ret == 0;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), at, vlen;
		char bdf[FLEET_PCI_MAX + 8];
		const char *to;

		if (!header_line(line, len, &in_device) && in_device && pci_line(line, len, &at, &vlen) &&
		    vlen < sizeof(bdf)) {
			memcpy(bdf, line + at, vlen);
			bdf[vlen] = '\0';
			ret = remap_one(&m, bdf, &to);
			if (ret == 0)
				n += (size_t)snprintf(result + n, cap - n, "%.*s%s\n", (int)at, line, to);
		} else {
			n += (size_t)snprintf(result + n, cap - n, "%.*s%s", (int)len, line, nl ? "\n" : "");
		}
		line = nl ? nl + 1 : line + len;
	}
	if (ret < 0) {
		free(result);
		return ret;
	}
	*out = result;
	return 0;
}
