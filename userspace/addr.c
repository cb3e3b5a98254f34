// SPDX-License-Identifier: GPL-2.0-only
/* Endpoint addresses (IPv4/IPv6 + port): parse, format, compare. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ep_is_set(const struct endpoint *ep)
{
	return ep->sa.sa_family == AF_INET || ep->sa.sa_family == AF_INET6;
}

int ep_family(const struct endpoint *ep)
{
	return ep->sa.sa_family;
}

socklen_t ep_len(const struct endpoint *ep)
{
	return ep->sa.sa_family == AF_INET6 ? sizeof(ep->sin6) : sizeof(ep->sin);
}

uint16_t ep_port(const struct endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET)
		return ntohs(ep->sin.sin_port);
	if (ep->sa.sa_family == AF_INET6)
		return ntohs(ep->sin6.sin6_port);
	return 0;
}

void ep_set_port(struct endpoint *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->sin.sin_port = htons(port);
	else if (ep->sa.sa_family == AF_INET6)
		ep->sin6.sin6_port = htons(port);
}

bool ep_addr_eq(const struct endpoint *a, const struct endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, sizeof(struct in6_addr));
	return true;
}

bool ep_eq(const struct endpoint *a, const struct endpoint *b)
{
	return ep_addr_eq(a, b) && ep_port(a) == ep_port(b);
}

bool ep_is_any(const struct endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET)
		return ep->sin.sin_addr.s_addr == INADDR_ANY;
	if (ep->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&ep->sin6.sin6_addr);
	return true;
}

int ep_parse_ip(struct endpoint *ep, const char *s)
{
	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, s, &ep->sin.sin_addr) == 1) {
		ep->sa.sa_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &ep->sin6.sin6_addr) == 1) {
		ep->sa.sa_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int ep_parse(struct endpoint *ep, const char *s, const char *def_ip)
{
	char buf[EP_STRLEN];
	const char *colon;
	uint16_t port;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		memcpy(buf, s + 1, close - s - 1);
		buf[close - s - 1] = 0;
		if (parse_port(close + 2, &port) || ep_parse_ip(ep, buf) ||
		    ep->sa.sa_family != AF_INET6)
			return -EINVAL;
		ep_set_port(ep, port);
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon) {
		/* A bare port, or a bare address. */
		if (!parse_port(s, &port)) {
			if (!def_ip || ep_parse_ip(ep, def_ip))
				return -EINVAL;
			ep_set_port(ep, port);
			return 0;
		}
		return ep_parse_ip(ep, s);
	}
	if (strchr(colon + 1, ':'))
		return ep_parse_ip(ep, s); /* a bare IPv6 address */
	memcpy(buf, s, colon - s);
	buf[colon - s] = 0;
	if (parse_port(colon + 1, &port) || ep_parse_ip(ep, buf))
		return -EINVAL;
	ep_set_port(ep, port);
	return 0;
}

const char *ep_ip_str(const struct endpoint *ep, char *buf, size_t len)
{
	const void *a = ep->sa.sa_family == AF_INET6 ? (const void *)&ep->sin6.sin6_addr
						     : (const void *)&ep->sin.sin_addr;

	if (!ep_is_set(ep) || !inet_ntop(ep->sa.sa_family, a, buf, len))
		snprintf(buf, len, "(none)");
	return buf;
}

const char *ep_str(const struct endpoint *ep, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	ep_ip_str(ep, ip, sizeof(ip));
	if (ep->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, ep_port(ep));
	else
		snprintf(buf, len, "%s:%u", ip, ep_port(ep));
	return buf;
}

void ep_unmap_v4(struct endpoint *ep)
{
	struct in_addr v4;
	uint16_t port;

	if (ep->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&ep->sin6.sin6_addr))
		return;
	memcpy(&v4, &ep->sin6.sin6_addr.s6_addr[12], 4);
	port = ep->sin6.sin6_port;
	memset(ep, 0, sizeof(*ep));
	ep->sin.sin_family = AF_INET;
	ep->sin.sin_addr = v4;
	ep->sin.sin_port = port;
}
