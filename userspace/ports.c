// SPDX-License-Identifier: GPL-2.0-only
/* Port allocator: RTP even / RTCP odd pairs over a range, bound sockets, reuse quarantine.
 * Owned by the control thread; no locking. */
#include "ports.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int ports_init(struct port_pool *p, unsigned int min, unsigned int max, unsigned int quarantine)
{
	memset(p, 0, sizeof(*p));
	if (min & 1)
		min++;
	if (max > 65535 || min + 1 > max)
		return -EINVAL;
	p->min = (uint16_t)min;
	p->max = (uint16_t)max;
	p->quarantine = quarantine;
	p->n_pairs = (max - min + 1) / 2;
	p->in_use = calloc(p->n_pairs, 1);
	p->freed_at = calloc(p->n_pairs, sizeof(time_t));
	if (!p->in_use || !p->freed_at) {
		ports_free(p);
		return -ENOMEM;
	}
	return 0;
}

void ports_free(struct port_pool *p)
{
	free(p->in_use);
	free(p->freed_at);
	p->in_use = NULL;
	p->freed_at = NULL;
}

static int bind_one(const struct endpoint *local, uint16_t port)
{
	struct endpoint ep = *local;
	int fd, one = 1;

	fd = socket(ep_family(&ep), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ep_family(&ep) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	ep_set_port(&ep, port);
	if (bind(fd, &ep.sa, ep_len(&ep))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int ports_alloc(struct port_pool *p, const struct endpoint *local, int fds[2], uint16_t *port)
{
	time_t now = mono_now();
	unsigned int start;

	if (getrandom(&start, sizeof(start), 0) != sizeof(start))
		start = (unsigned int)now;
	start %= p->n_pairs;
	for (unsigned int i = 0; i < p->n_pairs; i++) {
		unsigned int idx = (start + i) % p->n_pairs;
		uint16_t rtp = (uint16_t)(p->min + 2 * idx);

		if (p->in_use[idx])
			continue;
		if (p->freed_at[idx] && now - p->freed_at[idx] < (time_t)p->quarantine)
			continue;
		fds[0] = bind_one(local, rtp);
		if (fds[0] < 0) {
			if (fds[0] != -EADDRINUSE)
				return fds[0];
			continue; /* taken by someone else on this host */
		}
		fds[1] = bind_one(local, rtp + 1);
		if (fds[1] < 0) {
			close(fds[0]);
			if (fds[1] != -EADDRINUSE)
				return fds[1];
			continue;
		}
		p->in_use[idx] = 1;
		p->used++;
		*port = rtp;
		return 0;
	}
	p->exhausted++;
	return -ENOSPC;
}

int ports_alloc_at(struct port_pool *p, const struct endpoint *local, uint16_t port, int fds[2])
{
	unsigned int idx;
	int rtp, rtcp;

	if (port < p->min || port + 1 > p->max || (port - p->min) % 2)
		return -ERANGE;
	idx = (unsigned int)(port - p->min) / 2;
	if (idx >= p->n_pairs)
		return -ERANGE;
	if (p->in_use[idx])
		return -EBUSY;
	rtp = bind_one(local, port);
	if (rtp < 0)
		return rtp;
	rtcp = bind_one(local, (uint16_t)(port + 1));
	if (rtcp < 0) {
		close(rtp);
		return rtcp;
	}
	fds[0] = rtp;
	fds[1] = rtcp;
	p->in_use[idx] = 1;
	p->used++;
	return 0;
}

void ports_release(struct port_pool *p, uint16_t port)
{
	unsigned int idx;

	if (port < p->min || port > p->max)
		return;
	idx = (unsigned int)(port - p->min) / 2;
	if (idx >= p->n_pairs || !p->in_use[idx])
		return;
	p->in_use[idx] = 0;
	p->freed_at[idx] = mono_now();
	p->used--;
}
