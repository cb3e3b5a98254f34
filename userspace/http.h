/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP listener (--listen-http, libmicrohttpd driven from the control loop): rtpengine's
 * POST /ng and /ng-plain, GET /ping, GET /metrics, and WebSocket ng (ws.h). */
#ifndef XRELAY_HTTP_H
#define XRELAY_HTTP_H

#include "addr.h"

#include <time.h>

/* Connections at once, and seconds an HTTP connection may stay silent. */
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_TIMEOUT	     10

/* Listens on the control loop (ctl_fd). 0 or -errno. */
int http_open(const struct endpoint *listen);
/* Runs libmicrohttpd's timeouts; once a second. */
void http_tick(time_t now);
/* Closes the WebSocket connections, then the server. */
void http_close(void);

#endif
