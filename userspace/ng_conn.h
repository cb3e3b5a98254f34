/* SPDX-License-Identifier: GPL-2.0-only */
/* Byte-stream ng connections on the control loop (TCP ng, WebSocket): input buffered up to a
 * limit, output queued while the peer is slow, and closed when idle or stuck mid-request. */
#ifndef XRELAY_NG_CONN_H
#define XRELAY_NG_CONN_H

#include "addr.h"

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* A request begun but not complete after this many seconds closes the connection. */
#define NG_CONN_PARTIAL_TIMEOUT 5
/* A connection without any byte received for this long is closed. */
#define NG_CONN_IDLE_TIMEOUT 3600
/* Replies queued beyond this (a peer that sends but does not read) close the connection. */
#define NG_CONN_MAX_OUT (4u << 20)
/* Connections of all kinds together; more are refused. */
#define NG_CONN_MAX 256

struct ng_conn;

struct ng_conn_ops {
	const char *name; /* for the log: "tcp", "websocket" */
	/* Consumes complete messages at the start of in[0..len) and queues their replies with
	 * ng_conn_send(). Returns the bytes consumed (0: wait for more), or -1 to close the
	 * connection once the queued replies are sent. len never exceeds the connection's
	 * max_in; when it reaches it, the callback must consume something or return -1. */
	ssize_t (*input)(struct ng_conn *c, const char *in, size_t len);
	/* Closes fd (or has it closed); frees ctx. */
	void (*release)(struct ng_conn *c, int fd, void *ctx);
};

/* Takes fd (made non-blocking) onto the control loop; pre[0..pre_len) is input already read
 * by someone else. NULL when refused (fd then released through ops->release). */
struct ng_conn *ng_conn_new(int fd, const struct endpoint *peer, const struct ng_conn_ops *ops,
			    void *ctx, size_t max_in, const char *pre, size_t pre_len);
void *ng_conn_ctx(const struct ng_conn *c);
const struct endpoint *ng_conn_peer(const struct ng_conn *c);
/* Queues buf for the peer (written at once when possible). 0 or -errno; on error the
 * connection is closing. */
int ng_conn_send(struct ng_conn *c, const void *buf, size_t len);
/* Closes timed-out connections; once a second. */
void ng_conn_tick(time_t now);
/* Closes every connection of ops' kind at once. */
void ng_conn_close_all(const struct ng_conn_ops *ops);
unsigned int ng_conn_count(const struct ng_conn_ops *ops);

#endif
