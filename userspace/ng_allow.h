/* SPDX-License-Identifier: GPL-2.0-only */
/* The ng allow-list (--ng-allow): which source addresses may send ng requests over UDP, TCP,
 * HTTP and WebSocket; the others are refused and counted (control thread only). */
#ifndef XRELAY_NG_ALLOW_H
#define XRELAY_NG_ALLOW_H

#include "addr.h"
#include "cidr.h"

#include <stdbool.h>
#include <stdint.h>

/* Uses list[0..n), which must outlive its use (the daemon's configuration); n == 0: every source
 * allowed (the default). Logs the list. */
void ng_allow_set(const struct cidr *list, int n);
/* True when src may send ng requests. Otherwise counts the refusal, logs it (rate-limited,
 * naming the transport: "udp", "tcp", "http") and returns false. */
bool ng_allow_check(const struct endpoint *src, const char *transport);
/* Requests (UDP datagrams, TCP connections, HTTP requests) refused since start. */
uint64_t ng_allow_denied(void);

#endif
