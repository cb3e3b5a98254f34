/* SPDX-License-Identifier: GPL-2.0-only */
/* The ng reply cache of every transport: a request retried with the same cookie by the same peer
 * gets the same reply again without being executed twice. Each transport decides which bytes
 * identify its peer. */
#ifndef XRELAY_NG_CACHE_H
#define XRELAY_NG_CACHE_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>
#include <time.h>

/* Seconds a reply stays in the cache. */
#define NG_CACHE_TTL 60
/* Longest peer key: a unix socket address. */
#define NG_PEER_KEY_MAX sizeof(struct sockaddr_un)

/* Writes to key the bytes identifying an IP peer: its family and address, then its port when
 * with_port. Returns their count (at most NG_PEER_KEY_MAX). The key of a stream transport,
 * without the port, never equals that of a datagram one. */
size_t ng_cache_ep_key(const struct endpoint *ep, bool with_port, unsigned char *key);
/* Answers msg = "COOKIE SP BODY" (cookie of clen > 0 bytes, body of blen bytes; SIZE_MAX when
 * the body was truncated, which ng_cmd_handle answers as too large) from the peer whose key is
 * the plen <= NG_PEER_KEY_MAX bytes at peer: the reply cached for this cookie and peer, else
 * the body is executed and its reply cached. Returns "COOKIE SP REPLY" (length in *len), owned
 * by the cache and valid until the next ng_cache_tick or ng_cache_flush; NULL when out of
 * memory. */
const char *ng_cache_reply(const char *msg, size_t clen, size_t blen, const void *peer, size_t plen,
			   size_t *len);
/* Drops replies older than NG_CACHE_TTL; once a second. */
void ng_cache_tick(time_t now);
/* Drops every cached reply. */
void ng_cache_flush(void);

#endif
