/* SPDX-License-Identifier: GPL-2.0-only */
/* The control thread's epoll set as a registry: a module adds its fds with a callback, and
 * main's loop hands every event it does not own itself to ctl_fd_dispatch(). */
#ifndef XRELAY_CTL_FD_H
#define XRELAY_CTL_FD_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ctl_fd_cb)(void *ctx, int fd, uint32_t events);

/* The control loop's epoll fd; before any ctl_fd_add(). */
void ctl_fd_init(int epfd);
/* Watches fd for events (EPOLLIN, EPOLLOUT...); cb runs on the control thread. 0 or -errno. */
int ctl_fd_add(int fd, uint32_t events, ctl_fd_cb cb, void *ctx);
int ctl_fd_mod(int fd, uint32_t events);
/* Stops watching fd (the caller closes it). */
void ctl_fd_del(int fd);
/* Runs the callback registered for fd; false when fd is not registered. */
bool ctl_fd_dispatch(int fd, uint32_t events);

#endif
