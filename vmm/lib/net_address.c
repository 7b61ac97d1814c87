#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "vmm/lib/net_address.h"

int net_address_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(text, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *found = NULL;
	size_t host_len = colon ? (size_t)(colon - text) : 0;

	if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
		text++;
		host_len -= 2;
	}
	if (!colon || host_len == 0 || host_len >= sizeof(host) || !colon[1]) {
		snprintf(err, errlen, "expected HOST:PORT");
		return -EINVAL;
	}
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &found) != 0 || !found) {
		snprintf(err, errlen, "not a numeric address and port");
		return -EINVAL;
	}
	memcpy(addr, found->ai_addr, found->ai_addrlen);
	*len = found->ai_addrlen;
	freeaddrinfo(found);
	return 0;
}

bool net_host_is_valid(const char *host)
{
	unsigned char addr[16];
	size_t label = 0;

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return true;
	if (!host[0] || strlen(host) > NET_HOST_MAX)
		return false;
	for (const char *p = host;; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (!*p)
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}
