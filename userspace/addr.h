/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint addresses (IPv4/IPv6 + port): parse, format, compare. */
#ifndef XRELAY_ADDR_H
#define XRELAY_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IP address and a port; family 0 means "unset". */
struct endpoint {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	};
};

/* Long enough for "[ffff:...:ffff%ifname]:65535". */
#define EP_STRLEN 64

bool ep_is_set(const struct endpoint *ep);
int ep_family(const struct endpoint *ep);
socklen_t ep_len(const struct endpoint *ep);
uint16_t ep_port(const struct endpoint *ep);
void ep_set_port(struct endpoint *ep, uint16_t port);
/* Same address and port. */
bool ep_eq(const struct endpoint *a, const struct endpoint *b);
/* Same address, port ignored. */
bool ep_addr_eq(const struct endpoint *a, const struct endpoint *b);
/* 0.0.0.0 or :: */
bool ep_is_any(const struct endpoint *ep);
/* Parses a bare IPv4 or IPv6 address; port set to 0. Returns 0 or -EINVAL. */
int ep_parse_ip(struct endpoint *ep, const char *s);
/* Parses "IP", "IP:PORT", "[IPv6]:PORT" or "PORT" (then the address is def_ip). */
int ep_parse(struct endpoint *ep, const char *s, const char *def_ip);
/* Writes the address only ("192.0.2.1", "2001:db8::1"). Returns buf. */
const char *ep_ip_str(const struct endpoint *ep, char *buf, size_t len);
/* Writes "IP:PORT" or "[IPv6]:PORT". Returns buf. */
const char *ep_str(const struct endpoint *ep, char *buf, size_t len);
/* Converts an IPv4-mapped IPv6 address (from a dual-stack socket) to IPv4. */
void ep_unmap_v4(struct endpoint *ep);

#endif
