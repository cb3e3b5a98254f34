/* SPDX-License-Identifier: GPL-2.0-only */
/* The ng control socket over UDP: "COOKIE SP BODY", replies cached by cookie so that a
 * retransmitted request gets the same reply and is not executed twice. */
#ifndef XRELAY_NG_SERVER_H
#define XRELAY_NG_SERVER_H

#include "addr.h"

#include <time.h>

/* Seconds a reply stays in the cache. */
#define NG_CACHE_TTL 60

/* Binds the socket; returns its fd (non-blocking) or -errno. */
int ng_server_open(const struct endpoint *listen);
/* Reads and answers every pending request on fd. */
void ng_server_readable(int fd);
/* Drops cached replies older than NG_CACHE_TTL. */
void ng_server_tick(time_t now);
void ng_server_close(int fd);

#endif
