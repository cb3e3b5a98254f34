// SPDX-License-Identifier: GPL-2.0-only
/* ng over TCP: a listener and the message framing; connections are ng_conn's. */
#include "ng_tcp.h"

#include "bencode.h"
#include "ctl_fd.h"
#include "log.h"
#include "ng_allow.h"
#include "ng_cmd.h"
#include "ng_conn.h"
#include "ng_cookie.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A cookie, a space, a body of at most NG_MAX_REQUEST, and some blank lines between. */
#define MAX_IN (NG_COOKIE_MAX + 1 + NG_MAX_REQUEST + 64)

static int listen_fd = -1;

/* Length of the bencode value at b[0..len): > 0, 0 when incomplete, -EINVAL when malformed,
 * -E2BIG when a string alone is longer than a request may be. */
static ssize_t bencode_len(const char *b, size_t len)
{
	size_t i = 0;
	int depth = 0;

	do {
		if (i >= len)
			return 0;
		if (b[i] == 'd' || b[i] == 'l') {
			if (++depth > BENCODE_MAX_DEPTH)
				return -EINVAL;
			i++;
		} else if (b[i] == 'e') {
			if (--depth < 0)
				return -EINVAL;
			i++;
		} else if (b[i] == 'i') {
			size_t start = ++i;

			if (i < len && b[i] == '-')
				i++;
			while (i < len && isdigit((unsigned char)b[i]))
				i++;
			if (i >= len)
				return 0;
			if (b[i] != 'e' || i == start || (b[i - 1] == '-'))
				return -EINVAL;
			i++;
		} else if (isdigit((unsigned char)b[i])) {
			size_t slen = 0;

			while (i < len && isdigit((unsigned char)b[i])) {
				if (slen > NG_MAX_REQUEST)
					return -E2BIG;
				slen = slen * 10 + (size_t)(b[i++] - '0');
			}
			if (slen > NG_MAX_REQUEST)
				return -E2BIG;
			if (i >= len)
				return 0;
			if (b[i++] != ':')
				return -EINVAL;
			if (len - i < slen)
				return 0;
			i += slen;
		} else {
			return -EINVAL;
		}
	} while (depth > 0);
	return (ssize_t)i;
}

/* Length of the JSON object at b[0..len) (b[0] == '{'), found by matching braces outside
 * strings; the parser checks the rest. 0 when incomplete, -EINVAL when nested too deep. */
static ssize_t json_len(const char *b, size_t len)
{
	bool in_str = false, esc = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = b[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > BENCODE_MAX_DEPTH)
				return -EINVAL;
		} else if (ch == '}' || ch == ']') {
			if (--depth == 0)
				return (ssize_t)i + 1;
		}
	}
	return 0;
}

int ng_tcp_frame(const char *buf, size_t len, size_t *skip, size_t *clen, size_t *total)
{
	const char *sp;
	size_t i = 0, body, avail;
	ssize_t n;

	*clen = 0;
	while (i < len && (buf[i] == '\r' || buf[i] == '\n' || buf[i] == ' ' || buf[i] == '\t'))
		i++;
	*skip = i;
	if (i == len)
		return 0;
	avail = len - i < NG_COOKIE_MAX + 1 ? len - i : NG_COOKIE_MAX + 1;
	sp = memchr(buf + i, ' ', avail);
	if (!sp)
		return avail > NG_COOKIE_MAX ? -EINVAL : 0;
	for (const char *p = buf + i; p < sp; p++)
		if (!isgraph((unsigned char)*p))
			return -EINVAL;
	*clen = (size_t)(sp - (buf + i));
	body = (size_t)(sp + 1 - buf);
	if (body == len)
		return 0;
	if (buf[body] == '{')
		n = json_len(buf + body, len - body);
	else if (buf[body] == 'd')
		n = bencode_len(buf + body, len - body);
	else
		return -EINVAL;
	if (n < 0)
		return (int)n;
	if ((n == 0 && len - body > NG_MAX_REQUEST) || (size_t)n > NG_MAX_REQUEST)
		return -E2BIG;
	if (n == 0)
		return 0;
	*total = body + (size_t)n;
	return 1;
}

static ssize_t input(struct ng_conn *c, const char *in, size_t len)
{
	size_t skip, clen, total, rlen;
	char addr[EP_STRLEN];
	char *reply;
	int ret = ng_tcp_frame(in, len, &skip, &clen, &total);

	if (ret == 0)
		return len == skip ? (ssize_t)skip : 0;
	if (ret < 0) {
		const char *why = ret == -E2BIG ? "Request too large" : "Malformed request framing";

		log_warn_rl("ng tcp: %s: %s, closing", ep_str(ng_conn_peer(c), addr, sizeof(addr)),
			    why);
		if (clen && (reply = ng_error_reply(in + skip, clen, why, &rlen))) {
			ng_conn_send(c, reply, rlen);
			free(reply);
		}
		return -1;
	}
	reply = ng_cookie_handle(in + skip, total - skip, ng_conn_peer(c), &rlen);
	if (reply) {
		ng_conn_send(c, reply, rlen);
		free(reply);
	}
	return (ssize_t)total;
}

static void release(struct ng_conn *c, int fd, void *ctx)
{
	close(fd);
}

static const struct ng_conn_ops tcp_ops = {
	.name = "tcp",
	.input = input,
	.release = release,
};

static void on_accept(void *ctx, int fd, uint32_t events)
{
	for (int i = 0; i < 64; i++) {
		struct endpoint peer;
		socklen_t slen = sizeof(peer);
		int cfd = accept4(fd, &peer.sa, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn_rl("ng tcp: accept: %s", strerror(errno));
			return;
		}
		ep_unmap_v4(&peer);
		if (!ng_allow_check(&peer, "tcp")) {
			close(cfd);
			continue;
		}
		ng_conn_new(cfd, &peer, &tcp_ops, NULL, MAX_IN, NULL, 0);
	}
}

int ng_tcp_open(const struct endpoint *addr)
{
	int fd, one = 1, ret;

	fd = socket(ep_family(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &addr->sa, ep_len(addr)) || listen(fd, 128)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = ctl_fd_add(fd, EPOLLIN, on_accept, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	listen_fd = fd;
	return 0;
}

void ng_tcp_close(void)
{
	ng_conn_close_all(&tcp_ops);
	if (listen_fd >= 0) {
		ctl_fd_del(listen_fd);
		close(listen_fd);
		listen_fd = -1;
	}
}
