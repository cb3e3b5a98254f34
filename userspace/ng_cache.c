// SPDX-License-Identifier: GPL-2.0-only
/* The ng reply cache shared by UDP, the control socket and the stream transports (control
 * thread only). */
#include "ng_cache.h"

#include "log.h"
#include "ng_cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

struct cached {
	struct cached *next;
	time_t expires;
	size_t clen, plen, len;
	unsigned char peer[NG_PEER_KEY_MAX];
	char reply[]; /* "COOKIE SP REPLY": the cookie is its first clen bytes */
};

static struct cached *cache[BUCKETS];

static unsigned int fnv1a(unsigned int h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static unsigned int bucket(const char *cookie, size_t clen, const void *peer, size_t plen)
{
	return fnv1a(fnv1a(2166136261u, cookie, clen), peer, plen) % BUCKETS;
}

size_t ng_cache_ep_key(const struct endpoint *ep, bool with_port, unsigned char *key)
{
	sa_family_t family = ep->sa.sa_family;
	uint16_t port = ep_port(ep);
	size_t n = 0;

	memcpy(key, &family, sizeof(family));
	n += sizeof(family);
	if (family == AF_INET) {
		memcpy(key + n, &ep->sin.sin_addr, sizeof(ep->sin.sin_addr));
		n += sizeof(ep->sin.sin_addr);
	} else if (family == AF_INET6) {
		memcpy(key + n, &ep->sin6.sin6_addr, sizeof(ep->sin6.sin6_addr));
		n += sizeof(ep->sin6.sin6_addr);
	}
	if (with_port) {
		memcpy(key + n, &port, sizeof(port));
		n += sizeof(port);
	}
	return n;
}

const char *ng_cache_reply(const char *msg, size_t clen, size_t blen, const void *peer, size_t plen,
			   size_t *len)
{
	unsigned int h = bucket(msg, clen, peer, plen);
	struct cached *c;
	size_t rlen;
	char *body;

	if (plen > NG_PEER_KEY_MAX)
		return NULL;
	for (c = cache[h]; c; c = c->next) {
		if (c->clen == clen && c->plen == plen && !memcmp(c->reply, msg, clen) &&
		    !memcmp(c->peer, peer, plen)) {
			log_debug("ng: retransmission of %.*s, cached reply sent", (int)clen, msg);
			*len = c->len;
			return c->reply;
		}
	}
	body = ng_cmd_handle(msg + clen + 1, blen, &rlen);
	if (!body)
		return NULL;
	c = malloc(sizeof(*c) + clen + 1 + rlen);
	if (!c) {
		free(body);
		return NULL;
	}
	memcpy(c->reply, msg, clen + 1);
	memcpy(c->reply + clen + 1, body, rlen);
	free(body);
	memcpy(c->peer, peer, plen);
	c->plen = plen;
	c->clen = clen;
	c->len = clen + 1 + rlen;
	c->expires = time(NULL) + NG_CACHE_TTL;
	c->next = cache[h];
	cache[h] = c;
	*len = c->len;
	return c->reply;
}

void ng_cache_tick(time_t now)
{
	for (int i = 0; i < BUCKETS; i++) {
		struct cached **pp = &cache[i];

		while (*pp) {
			struct cached *c = *pp;

			if (c->expires > now) {
				pp = &c->next;
				continue;
			}
			*pp = c->next;
			free(c);
		}
	}
}

void ng_cache_flush(void)
{
	ng_cache_tick((time_t)1 << 62);
}
