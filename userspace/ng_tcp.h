/* SPDX-License-Identifier: GPL-2.0-only */
/* ng over TCP (--listen-tcp-ng), framed as rtpengine frames it: "COOKIE SP BODY" back to back,
 * each message ending where its bencode dictionary (or JSON object) ends; replies likewise. */
#ifndef XRELAY_NG_TCP_H
#define XRELAY_NG_TCP_H

#include "addr.h"

#include <stddef.h>

/* Finds the first message in buf[0..len): *skip blank bytes before it, then a cookie of *clen
 * bytes, a space and a body; *total is skip + cookie + space + body. Returns 1 (complete),
 * 0 (incomplete: read more), -EINVAL (malformed; *clen > 0 when the cookie was read) or -E2BIG
 * (the body exceeds NG_MAX_REQUEST; *clen set). */
int ng_tcp_frame(const char *buf, size_t len, size_t *skip, size_t *clen, size_t *total);

/* Listens on the control loop (ctl_fd). 0 or -errno. */
int ng_tcp_open(const struct endpoint *listen);
/* Closes the listener and every connection. */
void ng_tcp_close(void);

#endif
