/*
 * Parsers for the small values operators type (profile values, flags): each
 * returns 0 or -EINVAL and never accepts trailing garbage, so a typo is an
 * error rather than a silently different server.
 */
#ifndef SHEER_VMM_LIB_PARSE_H
#define SHEER_VMM_LIB_PARSE_H

/* A server name, with its NUL: see server_name_is_valid(). */
#define SERVER_NAME_MAX 64

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "512M", "2G", "65536", "64k": binary units K/M/G/T, no suffix means bytes. */
int parse_size(const char *text, uint64_t *bytes);
/* Decimal, no sign, at most max. */
int parse_uint(const char *text, unsigned int max, unsigned int *value);
/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *text, bool *value);
/* "0000:03:00.0" or "03:00.0" into the full form "0000:03:00.0". */
int parse_pci_address(const char *text, char *out, size_t out_len);
/* "02:5e:00:00:00:01": a unicast, non-zero MAC address. */
int parse_mac(const char *text, uint8_t mac[6]);
#define MAC_TEXT_SIZE 18
/* The other way: "02:5e:00:00:00:01", lower case. */
void format_mac(const uint8_t mac[6], char out[MAC_TEXT_SIZE]);
/* A network interface name (a bridge, a tap): 1 to 15 of letters, digits, '-', '_', '.'. */
int parse_interface_name(const char *text, char *out, size_t out_len);
/*
 * "HOST:PORT": HOST a name or IPv4 address (letters, digits, '.', '-') or an
 * IPv6 address in brackets ("[::1]:9735", stored without them); PORT 1 to 65535.
 */
int parse_host_port(const char *text, char *host, size_t host_len, unsigned int *port);
/* Server names become file names under the run directory: keep them boring. */
bool server_name_is_valid(const char *name);
/* Human form of a byte count for messages ("512M", "1.5G"). */
void format_size(uint64_t bytes, char *out, size_t out_len);
/* A path an INI file gives: absolute as written, or relative to dir (the file's folder); -EINVAL when empty or too long. */
int parse_path(const char *dir, const char *text, char *out, size_t out_len);
/* Copy with truncation treated as an error: -ENAMETOOLONG. */
int copy_string(char *dst, size_t dst_len, const char *src);

#endif
