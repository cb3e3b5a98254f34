// SPDX-License-Identifier: GPL-2.0-only
/* A small ng protocol client (bencode over UDP): used by the tests, the tools and relayctl. */
#include "ng_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define NG_CLIENT_MAX_REPLY 65536

int ng_client_open(struct ng_client *c, const char *server)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (ep_parse(&c->server, server, "127.0.0.1") || !ep_port(&c->server))
		return -EINVAL;
	c->fd = socket(ep_family(&c->server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, &c->server.sa, ep_len(&c->server))) {
		int err = -errno;

		close(c->fd);
		c->fd = -1;
		return err;
	}
	c->timeout_ms = 1000;
	c->retries = 2;
	/* Clients of one process opened in the same second must not share cookies: a server's
	 * reply cache would answer one with the other's reply. */
	if (getrandom(&c->cookie_seq, sizeof(c->cookie_seq), 0) != sizeof(c->cookie_seq))
		c->cookie_seq = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^
				(unsigned long)(uintptr_t)c;
	return 0;
}

void ng_client_close(struct ng_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int ng_client_call_raw(struct ng_client *c, const char *body, size_t len, char **reply,
		       size_t *reply_len)
{
	char cookie[32];
	size_t clen;
	char *msg, *buf;
	int ret = -ETIMEDOUT;

	clen = (size_t)snprintf(cookie, sizeof(cookie), "%lx_%lu ", (unsigned long)getpid(),
				++c->cookie_seq);
	msg = malloc(clen + len);
	buf = malloc(NG_CLIENT_MAX_REPLY + 1);
	if (!msg || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(msg, cookie, clen);
	memcpy(msg + clen, body, len);
	for (unsigned int attempt = 0; attempt <= c->retries; attempt++) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

		if (send(c->fd, msg, clen + len, 0) < 0) {
			ret = -errno;
			goto out;
		}
		while (poll(&pfd, 1, (int)c->timeout_ms) > 0) {
			ssize_t n = recv(c->fd, buf, NG_CLIENT_MAX_REPLY, 0);

			if (n < 0) {
				ret = -errno;
				goto out;
			}
			/* A late reply to an earlier request carries another cookie. */
			if ((size_t)n < clen || memcmp(buf, cookie, clen))
				continue;
			memmove(buf, buf + clen, (size_t)n - clen);
			buf[n - clen] = 0;
			*reply = buf;
			*reply_len = (size_t)n - clen;
			buf = NULL;
			ret = 0;
			goto out;
		}
	}
out:
	free(msg);
	free(buf);
	return ret;
}

int ng_client_call(struct ng_client *c, struct barena *a, const struct bnode *req,
		   struct bnode **reply)
{
	const char *perr;
	size_t len, rlen;
	char *body, *rbody;
	int ret;

	body = bencode_encode(req, &len);
	if (!body)
		return -ENOMEM;
	ret = ng_client_call_raw(c, body, len, &rbody, &rlen);
	free(body);
	if (ret)
		return ret;
	if (bencode_parse(a, rbody, rlen, reply, &perr) || (*reply)->type != BN_DICT)
		ret = -EPROTO;
	free(rbody);
	return ret;
}
