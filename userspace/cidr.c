// SPDX-License-Identifier: GPL-2.0-only
/* IPv4 and IPv6 prefixes (CIDR) and matching a source address against them. */
#include "cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

__attribute__((format(printf, 3, 4))) static int invalid(char *why, size_t whylen, const char *fmt,
							 ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The first prefix bits of a and b are equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int prefix)
{
	unsigned int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || !((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest)));
}

/* Clears every bit of addr past prefix. */
static void mask(uint8_t addr[16], unsigned int prefix)
{
	unsigned int full = prefix / 8;

	if (prefix % 8)
		addr[full++] &= (uint8_t)(0xff << (8 - prefix % 8));
	memset(addr + full, 0, 16 - full);
}

/* "N" with 1 to 3 digits, N <= max; -1 otherwise (no sign, blank or leading "+"). */
static int parse_prefix(const char *p, unsigned int max)
{
	unsigned int v = 0;
	size_t n = strlen(p);

	if (n < 1 || n > 3)
		return -1;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	return v <= max ? (int)v : -1;
}

int cidr_parse(struct cidr *c, const char *s, char *why, size_t whylen)
{
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
	struct cidr out = {0}, net;
	char ip[INET6_ADDRSTRLEN], buf[CIDR_STRLEN];
	unsigned int max;
	int prefix;

	if (!iplen || iplen >= sizeof(ip))
		return invalid(why, whylen, "'%s' is not IP[/PREFIX]", s);
	memcpy(ip, s, iplen);
	ip[iplen] = 0;
	if (inet_pton(AF_INET, ip, out.addr) == 1) {
		out.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, ip, out.addr) == 1) {
		out.family = AF_INET6;
		max = 128;
	} else {
		return invalid(why, whylen, "'%s': '%s' is not an IP address", s, ip);
	}
	prefix = slash ? parse_prefix(slash + 1, max) : (int)max;
	if (prefix < 0)
		return invalid(why, whylen, "'%s': the prefix length must be 0 to %u", s, max);
	out.prefix = (uint8_t)prefix;
	net = out;
	mask(net.addr, out.prefix);
	if (memcmp(net.addr, out.addr, sizeof(out.addr)))
		return invalid(why, whylen, "'%s' has host bits set (the network is %s)", s,
			       cidr_str(&net, buf, sizeof(buf)));
	*c = out;
	return 0;
}

const char *cidr_str(const struct cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s/%u", ip, c->prefix);
	return buf;
}

bool cidr_match(const struct cidr *c, const struct endpoint *ep)
{
	uint8_t a[16];
	bool v4;

	/* Both sides compared as IPv6, IPv4 in its mapped form (::ffff:a.b.c.d): a dual-stack
	 * socket reports IPv4 peers that way. */
	if (ep->sa.sa_family == AF_INET) {
		memcpy(a, v4_mapped, sizeof(v4_mapped));
		memcpy(a + 12, &ep->sin.sin_addr, 4);
	} else if (ep->sa.sa_family == AF_INET6) {
		memcpy(a, ep->sin6.sin6_addr.s6_addr, 16);
	} else {
		return false;
	}
	v4 = !memcmp(a, v4_mapped, sizeof(v4_mapped));
	/* An IPv4 source is in an IPv6 prefix only inside ::ffff:0:0/96: ::/0 is all of IPv6. */
	if (c->family == AF_INET6)
		return (!v4 || c->prefix >= 96) && prefix_eq(a, c->addr, c->prefix);
	return c->family == AF_INET && v4 && prefix_eq(a + 12, c->addr, c->prefix);
}

bool cidr_list_match(const struct cidr *list, int n, const struct endpoint *ep)
{
	for (int i = 0; i < n; i++)
		if (cidr_match(&list[i], ep))
			return true;
	return false;
}
