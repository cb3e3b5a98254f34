/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4 and IPv6 address prefixes (CIDR): parse, print, and match a source address, for the ng
 * allow-list (--ng-allow). */
#ifndef XRELAY_CIDR_H
#define XRELAY_CIDR_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Long enough for "ffff:...:ffff/128". */
#define CIDR_STRLEN 64

struct cidr {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t prefix;	  /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order; 4 bytes used for IPv4; host bits zero */
};

/* Parses "IP/PREFIX" or a bare "IP" (a /32 or /128). The address must have no bits set past
 * the prefix ("10.1.0.0/8" is refused: a typo for /16 or /32 would otherwise widen the list).
 * 0 or -EINVAL; why in why (may be NULL) when invalid. */
int cidr_parse(struct cidr *c, const char *s, char *why, size_t whylen);
/* "10.0.0.0/8", "2001:db8::/32". Returns buf. */
const char *cidr_str(const struct cidr *c, char *buf, size_t len);
/* True when ep's address lies in c (the port is ignored). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, from a dual-stack socket) matches as the IPv4 address it carries; an IPv4
 * address matches an IPv6 prefix only inside ::ffff:0:0/96 (so ::/0 is all of IPv6 only). */
bool cidr_match(const struct cidr *c, const struct endpoint *ep);
/* True when ep lies in any of list[0..n). */
bool cidr_list_match(const struct cidr *list, int n, const struct endpoint *ep);

#endif
