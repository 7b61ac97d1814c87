#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vmm/lib/parse.h"

static int unit_shift(char suffix, unsigned int *shift)
{
	static const char units[] = "KMGT";
	const char *found = strchr(units, toupper((unsigned char)suffix));

	if (suffix == '\0' || !found)
		return -EINVAL;
	*shift = 10 * (unsigned int)(found - units + 1);
	return 0;
}

int parse_size(const char *text, uint64_t *bytes)
{
	uint64_t value = 0;
	unsigned int shift = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int digit = (unsigned int)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -EINVAL;
		value = value * 10 + digit;
	}
	if (*p != '\0') {
		if (unit_shift(*p, &shift) < 0 || p[1] != '\0')
			return -EINVAL;
		if (value > (UINT64_MAX >> shift))
			return -EINVAL;
	}
	*bytes = value << shift;
	return 0;
}

int parse_uint(const char *text, unsigned int max, unsigned int *value)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	for (; *text; text++) {
		if (!isdigit((unsigned char)*text))
			return -EINVAL;
		v = v * 10 + (uint64_t)(*text - '0');
		if (v > max)
			return -EINVAL;
	}
	*value = (unsigned int)v;
	return 0;
}

int parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = { "yes", "true", "on", "1" };
	static const char *const lies[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, lies[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_pci_address(const char *text, char *out, size_t out_len)
{
	unsigned int domain = 0, bus, slot, function;
	int consumed = 0;

	if (sscanf(text, "%4x:%2x:%2x.%1x%n", &domain, &bus, &slot, &function, &consumed) != 4 ||
	    (size_t)consumed != strlen(text)) {
		domain = 0;
		consumed = 0;
		if (sscanf(text, "%2x:%2x.%1x%n", &bus, &slot, &function, &consumed) != 3 ||
		    (size_t)consumed != strlen(text))
			return -EINVAL;
	}
	/* sscanf's %x accepts signs and "0x"; only plain hex digits are an address. */
	for (const char *p = text; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return -EINVAL;
	if (slot > 0x1f || function > 7)
		return -EINVAL;
	if ((size_t)snprintf(out, out_len, "%04x:%02x:%02x.%x", domain, bus, slot, function) >= out_len)
		return -ENAMETOOLONG;
	return 0;
}

static bool host_chars_are_valid(const char *from, const char *to, bool bracketed)
{
	for (const char *p = from; p < to; p++)
		if (bracketed ? !isxdigit((unsigned char)*p) && *p != ':' && *p != '.'
			      : !isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	return from < to;
}

int parse_host_port(const char *text, char *host, size_t host_len, unsigned int *port)
{
	const char *colon = strrchr(text, ':'), *from = text, *to = colon;
	bool bracketed = text[0] == '[';

	if (!colon || parse_uint(colon + 1, 65535, port) < 0 || *port == 0)
		return -EINVAL;
	if (bracketed) {
		from++;
		to--;
		if (to < from || *to != ']')
			return -EINVAL;
	}
	if (!host_chars_are_valid(from, to, bracketed) || (size_t)(to - from) >= host_len)
		return -EINVAL;
	snprintf(host, host_len, "%.*s", (int)(to - from), from);
	return 0;
}

int parse_path(const char *dir, const char *text, char *out, size_t out_len)
{
	int n = text[0] == '/' ? snprintf(out, out_len, "%s", text) : snprintf(out, out_len, "%s/%s", dir, text);

	return text[0] && n > 0 && (size_t)n < out_len ? 0 : -EINVAL;
}

bool server_name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= SERVER_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

void format_size(uint64_t bytes, char *out, size_t out_len)
{
	static const char units[] = "KMGT";
	int unit = -1;
	double value = (double)bytes;

	while (unit < 3 && value >= 1024.0) {
		value /= 1024.0;
		unit++;
	}
	if (unit < 0)
		snprintf(out, out_len, "%llu", (unsigned long long)bytes);
	else if (value == (double)(uint64_t)value)
		snprintf(out, out_len, "%llu%c", (unsigned long long)value, units[unit]);
	else
		snprintf(out, out_len, "%.1f%c", value, units[unit]);
}

int copy_string(char *dst, size_t dst_len, const char *src)
{
	size_t len = strlen(src);

	if (len >= dst_len)
		return -ENAMETOOLONG;
	memcpy(dst, src, len + 1);
	return 0;
}

int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int byte[6];
	int end = 0;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%n", &byte[0], &byte[1], &byte[2], &byte[3], &byte[4], &byte[5],
		   &end) != 6 || end != 17 || text[end] != '\0')
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)byte[i];
	/* A NIC's own address: unicast and not all zero. */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

void format_mac(const uint8_t mac[6], char out[MAC_TEXT_SIZE])
{
	snprintf(out, MAC_TEXT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int parse_interface_name(const char *text, char *out, size_t out_len)
{
	size_t len = strlen(text);

	if (len == 0 || len >= 16 || strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
		return -EINVAL;
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return -EINVAL;
	return copy_string(out, out_len, text);
}
