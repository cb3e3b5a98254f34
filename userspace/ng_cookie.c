// SPDX-License-Identifier: GPL-2.0-only
/* The reply cache of the stream ng transports (control thread only). */
#include "ng_cookie.h"

#include "log.h"
#include "ng_cmd.h"
#include "ng_server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

struct cached {
	struct cached *next;
	struct endpoint peer; /* port 0 */
	time_t expires;
	size_t clen, len;
	char *reply; /* "COOKIE SP REPLY": the cookie is its first clen bytes */
};

static struct cached *cache[BUCKETS];

static unsigned int bucket(const char *s, size_t len)
{
	unsigned int h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % BUCKETS;
}

char *ng_error_reply(const char *cookie, size_t clen, const char *reason, size_t *out_len)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	if (cookie)
		fprintf(f, "%.*s ", (int)clen, cookie);
	fprintf(f, "d6:result5:error12:error-reason%zu:%se", strlen(reason), reason);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	*out_len = len;
	return out;
}

char *ng_cookie_handle(const char *msg, size_t len, const struct endpoint *peer, size_t *out_len)
{
	const char *sp = memchr(msg, ' ', len < NG_COOKIE_MAX + 1 ? len : NG_COOKIE_MAX + 1);
	struct endpoint ip = *peer;
	struct cached *c;
	size_t clen, blen;
	unsigned int h;
	char *body, *out;

	if (!sp || sp == msg)
		return NULL;
	clen = (size_t)(sp - msg);
	ep_set_port(&ip, 0);
	h = bucket(msg, clen);
	for (c = cache[h]; c; c = c->next) {
		if (c->clen == clen && !memcmp(c->reply, msg, clen) && ep_eq(&c->peer, &ip)) {
			log_debug("ng: retransmission of %.*s, cached reply sent", (int)clen, msg);
			out = malloc(c->len);
			if (out) {
				memcpy(out, c->reply, c->len);
				*out_len = c->len;
			}
			return out;
		}
	}
	body = ng_cmd_handle(sp + 1, len - clen - 1, &blen);
	if (!body)
		return NULL;
	out = malloc(clen + 1 + blen);
	if (!out) {
		free(body);
		return NULL;
	}
	memcpy(out, msg, clen + 1);
	memcpy(out + clen + 1, body, blen);
	free(body);
	*out_len = clen + 1 + blen;
	c = calloc(1, sizeof(*c));
	if (c && (c->reply = malloc(*out_len))) {
		memcpy(c->reply, out, *out_len);
		c->peer = ip;
		c->clen = clen;
		c->len = *out_len;
		c->expires = time(NULL) + NG_CACHE_TTL;
		c->next = cache[h];
		cache[h] = c;
	} else {
		free(c);
	}
	return out;
}

void ng_cookie_tick(time_t now)
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
			free(c->reply);
			free(c);
		}
	}
}

void ng_cookie_flush(void)
{
	ng_cookie_tick((time_t)1 << 62);
}
