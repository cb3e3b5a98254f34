// SPDX-License-Identifier: GPL-2.0-only
/* The control loop's fd registry, indexed by fd (control thread only). */
#include "ctl_fd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

struct slot {
	ctl_fd_cb cb;
	void *ctx;
};

static int ep = -1;
static struct slot *slots;
static int n_slots;

void ctl_fd_init(int epfd)
{
	ep = epfd;
}

static int grow(int fd)
{
	int n = n_slots ? n_slots : 64;
	struct slot *s;

	while (n <= fd)
		n *= 2;
	s = realloc(slots, (size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + n_slots, 0, (size_t)(n - n_slots) * sizeof(*s));
	slots = s;
	n_slots = n;
	return 0;
}

int ctl_fd_add(int fd, uint32_t events, ctl_fd_cb cb, void *ctx)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	int ret;

	if (ep < 0 || fd < 0 || !cb)
		return -EINVAL;
	if (fd >= n_slots && (ret = grow(fd)))
		return ret;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	slots[fd] = (struct slot){.cb = cb, .ctx = ctx};
	return 0;
}

int ctl_fd_mod(int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void ctl_fd_del(int fd)
{
	if (fd < 0 || fd >= n_slots || !slots[fd].cb)
		return;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	slots[fd] = (struct slot){0};
}

bool ctl_fd_dispatch(int fd, uint32_t events)
{
	if (fd < 0 || fd >= n_slots || !slots[fd].cb)
		return false;
	slots[fd].cb(slots[fd].ctx, fd, events);
	return true;
}
