// SPDX-License-Identifier: GPL-2.0-only
/* The ng control socket over UDP with its reply cache (control thread only). */
#include "ng_server.h"

#include "log.h"
#include "ng_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CACHE_BUCKETS 4096
#define MAX_DGRAM     65536

struct cached {
	struct cached *next;
	struct endpoint src;
	time_t expires;
	char *cookie; /* NUL-terminated */
	char *reply;  /* "COOKIE SP BODY" */
	size_t len;
};

static struct cached *cache[CACHE_BUCKETS];
static char rxbuf[MAX_DGRAM + 1];

static unsigned int hash_cookie(const char *s, size_t len)
{
	unsigned int h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % CACHE_BUCKETS;
}

int ng_server_open(const struct endpoint *listen)
{
	int fd, one = 1;

	fd = socket(ep_family(listen), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &listen->sa, ep_len(listen))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static struct cached *cache_find(const char *cookie, size_t clen, const struct endpoint *src)
{
	for (struct cached *c = cache[hash_cookie(cookie, clen)]; c; c = c->next)
		if (strlen(c->cookie) == clen && !memcmp(c->cookie, cookie, clen) &&
		    ep_eq(&c->src, src))
			return c;
	return NULL;
}

static void cache_add(const char *cookie, size_t clen, const struct endpoint *src, char *reply,
		      size_t len)
{
	struct cached *c = calloc(1, sizeof(*c));
	unsigned int h = hash_cookie(cookie, clen);

	if (!c || !(c->cookie = strndup(cookie, clen))) {
		free(c);
		free(reply);
		return;
	}
	c->src = *src;
	c->reply = reply;
	c->len = len;
	c->expires = time(NULL) + NG_CACHE_TTL;
	c->next = cache[h];
	cache[h] = c;
}

static void handle(int fd, const char *msg, size_t len, bool truncated, const struct endpoint *src)
{
	const char *sp = memchr(msg, ' ', len);
	char addr[EP_STRLEN];
	struct cached *hit;
	size_t clen, blen;
	char *body, *out;

	if (!sp || sp == msg) {
		log_warn_rl("ng: request without a cookie from %s dropped",
			    ep_str(src, addr, sizeof(addr)));
		return;
	}
	clen = (size_t)(sp - msg);
	hit = cache_find(msg, clen, src);
	if (hit) {
		log_debug("ng: retransmission of %.*s, cached reply sent", (int)clen, msg);
		sendto(fd, hit->reply, hit->len, 0, &src->sa, ep_len(src));
		return;
	}
	/* A truncated datagram is answered as too large without being read. */
	body = ng_cmd_handle(sp + 1, truncated ? SIZE_MAX : len - clen - 1, &blen);
	if (!body)
		return;
	out = malloc(clen + 1 + blen);
	if (!out) {
		free(body);
		return;
	}
	memcpy(out, msg, clen + 1);
	memcpy(out + clen + 1, body, blen);
	free(body);
	if (sendto(fd, out, clen + 1 + blen, 0, &src->sa, ep_len(src)) < 0)
		log_warn_rl("ng: cannot reply to %s: %s", ep_str(src, addr, sizeof(addr)),
			    strerror(errno));
	cache_add(msg, clen, src, out, clen + 1 + blen);
}

void ng_server_readable(int fd)
{
	for (;;) {
		struct endpoint src;
		socklen_t slen = sizeof(src);
		ssize_t n = recvfrom(fd, rxbuf, MAX_DGRAM, MSG_TRUNC, &src.sa, &slen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn_rl("ng: receive: %s", strerror(errno));
			return;
		}
		ep_unmap_v4(&src);
		handle(fd, rxbuf, n > MAX_DGRAM ? MAX_DGRAM : (size_t)n, n > MAX_DGRAM, &src);
	}
}

void ng_server_tick(time_t now)
{
	for (int i = 0; i < CACHE_BUCKETS; i++) {
		struct cached **pp = &cache[i];

		while (*pp) {
			struct cached *c = *pp;

			if (c->expires > now) {
				pp = &c->next;
				continue;
			}
			*pp = c->next;
			free(c->cookie);
			free(c->reply);
			free(c);
		}
	}
}

void ng_server_close(int fd)
{
	close(fd);
	ng_server_tick((time_t)1 << 62);
}
