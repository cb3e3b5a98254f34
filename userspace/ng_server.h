/* SPDX-License-Identifier: GPL-2.0-only */
/* The ng control sockets, UDP and the local unix datagram one: "COOKIE SP BODY", replies cached
 * (ng_cache.h) by cookie and sender so that a retransmitted request gets the same reply and is
 * not executed twice. */
#ifndef XRELAY_NG_SERVER_H
#define XRELAY_NG_SERVER_H

#include "addr.h"

/* Binds the socket; returns its fd (non-blocking) or -errno. */
int ng_server_open(const struct endpoint *listen);
/* Binds an AF_UNIX SOCK_DGRAM socket at path (mode 0660) for the same protocol, creating the
 * missing directories and removing a stale socket file first. Returns its fd (non-blocking)
 * or -errno: -EADDRINUSE when a live process answers on path, -EEXIST when path is not a
 * socket, -ENAMETOOLONG when it does not fit a unix address. Its send buffer is raised to 8 MiB
 * (as far as the process may) for large replies; one that does not fit is logged and answered
 * "Reply too large". Requests on it are read by ng_server_readable. */
int ng_server_open_unix(const char *path);
/* Reads and answers every pending request on fd. */
void ng_server_readable(int fd);
void ng_server_close(int fd);
/* Closes the unix socket and removes path, unless another process has replaced the file. */
void ng_server_close_unix(int fd, const char *path);

#endif
