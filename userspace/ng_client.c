// SPDX-License-Identifier: GPL-2.0-only
/* A small ng protocol client (bencode over UDP or a unix datagram socket): used by the tests, the
 * tools and relayctl. */
#include "ng_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define UNIX_PREFIX "unix:"

/* An unbound unix datagram socket cannot be replied to: autobind (an address of just the
 * family) gives it a unique abstract name that vanishes with the socket. */
static int open_unix(struct ng_client *c, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX}, self = {.sun_family = AF_UNIX};

	if (!*path || strlen(path) >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&self, sizeof(sa_family_t)) ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)))
		return -errno;
	return 0;
}

static int open_udp(struct ng_client *c, const char *server)
{
	if (ep_parse(&c->server, server, "127.0.0.1") || !ep_port(&c->server))
		return -EINVAL;
	c->fd = socket(ep_family(&c->server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, &c->server.sa, ep_len(&c->server)))
		return -errno;
	return 0;
}

int ng_client_open(struct ng_client *c, const char *server)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!strncmp(server, UNIX_PREFIX, strlen(UNIX_PREFIX)))
		ret = open_unix(c, server + strlen(UNIX_PREFIX));
	else
		ret = open_udp(c, server);
	if (ret) {
		ng_client_close(c);
		return ret;
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
	char *msg, *buf = NULL;
	int ret = -ETIMEDOUT;

	clen = (size_t)snprintf(cookie, sizeof(cookie), "%lx_%lu ", (unsigned long)getpid(),
				++c->cookie_seq);
	msg = malloc(clen + len);
	if (!msg) {
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
			/* MSG_TRUNC with MSG_PEEK gives the datagram's full size (UDP and unix). */
			ssize_t n = recv(c->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);

			free(buf);
			buf = n < 0 ? NULL : malloc((size_t)n + 1);
			if (n >= 0 && !buf) {
				recv(c->fd, NULL, 0, 0); /* drop it, or poll spins on it */
				ret = -ENOMEM;
				goto out;
			}
			if (n >= 0)
				n = recv(c->fd, buf, (size_t)n, 0);
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
