// SPDX-License-Identifier: GPL-2.0-only
/* The ng control sockets: UDP, and the local unix datagram socket relayctl uses (control thread
 * only). */
#include "ng_server.h"

#include "log.h"
#include "ng_allow.h"
#include "ng_cache.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_DGRAM 65536
/* Send buffer of the control socket: a unix datagram must fit in it whole, and a list reply
 * with every call-id outgrows UDP's 64 KiB. */
#define CONTROL_SNDBUF (8 << 20)

/* Who sent a request: an IP endpoint, or a unix socket address (relayctl's own). */
struct peer {
	union {
		struct sockaddr sa;
		struct endpoint ep;
		struct sockaddr_un un;
	};
	socklen_t len;
};

static char rxbuf[MAX_DGRAM + 1];
/* The control socket file we bound, so that exit removes it only if it is still ours. */
static struct stat control_st;

/* "IP:PORT", "unix:PATH" or "unix:@NAME" (abstract). */
static const char *peer_str(const struct peer *p, char *buf, size_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (p->sa.sa_family != AF_UNIX)
		return ep_str(&p->ep, buf, len);
	if (p->len <= off)
		snprintf(buf, len, "unix:(unbound)");
	else if (!p->un.sun_path[0])
		snprintf(buf, len, "unix:@%.*s", (int)(p->len - off - 1), p->un.sun_path + 1);
	else
		snprintf(buf, len, "unix:%.*s", (int)strnlen(p->un.sun_path, p->len - off),
			 p->un.sun_path);
	return buf;
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

/* Creates the directories of path that are missing (like mkdir -p on its dirname). */
static int make_parent_dirs(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* A socket file left by a daemon that died is removed; one that a live daemon answers on is
 * not taken over. */
static int remove_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, err;

	if (lstat(sun->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ? errno : 0;
	close(fd);
	if (!err)
		return -EADDRINUSE;
	if (err != ECONNREFUSED)
		return -err;
	return unlink(sun->sun_path) && errno != ENOENT ? -errno : 0;
}

int ng_server_open_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, ret, sndbuf = CONTROL_SNDBUF;

	if (!*path || strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ret = make_parent_dirs(path);
	if (!ret)
		ret = remove_stale(&sun);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* FORCE passes net.core.wmem_max when we may; the plain one is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* The ng protocol has no authentication: only root and the socket's group may talk. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0660) ||
	    lstat(path, &control_st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* A reply the socket cannot carry (EMSGSIZE) is replaced by a short error reply, in the
 * request's encoding, so the client hears why instead of timing out. */
static void send_too_large(int fd, const char *msg, size_t clen, const char *body, size_t blen,
			   const struct peer *src)
{
	char reason[64], out[256];
	int n, rlen;

	rlen = snprintf(reason, sizeof(reason), "Reply too large (%zu bytes)", blen);
	if (blen && body[0] == '{')
		n = snprintf(out, sizeof(out),
			     "%.*s {\"result\":\"error\",\"error-reason\":\"%s\"}", (int)clen, msg,
			     reason);
	else
		n = snprintf(out, sizeof(out), "%.*s d12:error-reason%d:%s6:result5:errore",
			     (int)clen, msg, rlen, reason);
	if (n > 0 && (size_t)n < sizeof(out))
		sendto(fd, out, (size_t)n, 0, &src->sa, src->len);
}

/* The bytes that identify src in the reply cache: a retransmission comes from the same IP and
 * port, or the same unix socket address. */
static size_t peer_key(const struct peer *src, unsigned char *key)
{
	if (src->sa.sa_family != AF_UNIX)
		return ng_cache_ep_key(&src->ep, true, key);
	size_t len = src->len < sizeof(src->un) ? src->len : sizeof(src->un);

	memcpy(key, &src->un, len);
	return len;
}

static void handle(int fd, const char *msg, size_t len, bool truncated, const struct peer *src)
{
	const char *sp = memchr(msg, ' ', len);
	unsigned char key[NG_PEER_KEY_MAX];
	const char *out;
	char addr[128];
	size_t clen, olen;

	if (!sp || sp == msg) {
		log_warn_rl("ng: request without a cookie from %s dropped",
			    peer_str(src, addr, sizeof(addr)));
		return;
	}
	if (src->sa.sa_family == AF_UNIX && src->len <= offsetof(struct sockaddr_un, sun_path)) {
		log_warn_rl("ng: request on the control socket from an unbound socket dropped: "
			    "there is no address to reply to");
		return;
	}
	clen = (size_t)(sp - msg);
	/* A truncated datagram is answered as too large without being read. */
	out = ng_cache_reply(msg, clen, truncated ? SIZE_MAX : len - clen - 1, key,
			     peer_key(src, key), &olen);
	if (!out)
		return;
	if (sendto(fd, out, olen, 0, &src->sa, src->len) < 0) {
		int err = errno;
		int sndbuf = 0;
		socklen_t sl = sizeof(sndbuf);

		getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
		if (err == EMSGSIZE) {
			log_warn_rl("ng: reply of %zu bytes to %s does not fit in one datagram "
				    "(%s %d bytes): answered 'Reply too large'",
				    olen, peer_str(src, addr, sizeof(addr)),
				    src->sa.sa_family == AF_UNIX ? "send buffer" : "UDP limit",
				    src->sa.sa_family == AF_UNIX ? sndbuf : 65507);
			send_too_large(fd, msg, clen, out + clen + 1, olen - clen - 1, src);
		} else {
			log_warn_rl("ng: cannot reply to %s: %s", peer_str(src, addr, sizeof(addr)),
				    strerror(err));
		}
	}
}

void ng_server_readable(int fd)
{
	for (;;) {
		struct peer src;
		ssize_t n;

		memset(&src, 0, sizeof(src));
		src.len = sizeof(src.un) > sizeof(src.ep) ? sizeof(src.un) : sizeof(src.ep);
		n = recvfrom(fd, rxbuf, MAX_DGRAM, MSG_TRUNC, &src.sa, &src.len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn_rl("ng: receive: %s", strerror(errno));
			return;
		}
		if (src.sa.sa_family != AF_UNIX) {
			ep_unmap_v4(&src.ep);
			src.len = ep_len(&src.ep);
			/* Dropped without a reply: a reply would confirm a relay listens here. */
			if (!ng_allow_check(&src.ep, "udp"))
				continue;
		}
		handle(fd, rxbuf, n > MAX_DGRAM ? MAX_DGRAM : (size_t)n, n > MAX_DGRAM, &src);
	}
}

void ng_server_close(int fd)
{
	close(fd);
}

void ng_server_close_unix(int fd, const char *path)
{
	struct stat st;

	close(fd);
	/* Another daemon may have replaced a file we no longer answer on: leave its own. */
	if (!lstat(path, &st) && st.st_dev == control_st.st_dev && st.st_ino == control_st.st_ino)
		unlink(path);
}
