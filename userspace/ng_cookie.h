/* SPDX-License-Identifier: GPL-2.0-only */
/* "COOKIE SP BODY" requests of the stream transports (TCP, HTTP /ng, WebSocket): replies cached
 * (ng_cache.h) by cookie and peer IP so that a request retried, even on a new connection, is
 * answered again without being executed twice. */
#ifndef XRELAY_NG_COOKIE_H
#define XRELAY_NG_COOKIE_H

#include "addr.h"

#include <stddef.h>

/* Longest cookie accepted. */
#define NG_COOKIE_MAX 256

/* Handles msg = "COOKIE SP BODY" from peer (its port is ignored: a retry may come from a new
 * connection). Returns "COOKIE SP REPLY" (malloc'd, length in *out_len), or NULL when msg has no
 * cookie (or out of memory). */
char *ng_cookie_handle(const char *msg, size_t len, const struct endpoint *peer, size_t *out_len);
/* A bencode error reply body ("d6:result5:error12:error-reason...e"), prefixed with
 * "COOKIE SP" when cookie is not NULL. malloc'd; NULL when out of memory. */
char *ng_error_reply(const char *cookie, size_t clen, const char *reason, size_t *out_len);

#endif
