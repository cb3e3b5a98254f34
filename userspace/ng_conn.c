// SPDX-License-Identifier: GPL-2.0-only
/* Buffered stream connections for the ng transports (control thread only). */
#include "ng_conn.h"

#include "ctl_fd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct ng_conn {
	struct ng_conn *next, *prev;
	int fd;
	struct endpoint peer;
	const struct ng_conn_ops *ops;
	void *ctx;
	char *in;
	size_t in_len, max_in;
	char *out;
	size_t out_len, out_cap;
	time_t last_rx;	      /* the latest byte received */
	time_t partial_since; /* input pending since (0: none) */
	bool closing;	      /* no more input; closed once out is sent */
	bool draining;	      /* out sent and our side shut: input discarded until EOF */
	time_t closing_since;
	bool dead; /* close at the end of the current event */
	bool busy; /* inside an event: free later */
};

static struct ng_conn *conns;
static unsigned int n_conns;

void *ng_conn_ctx(const struct ng_conn *c)
{
	return c->ctx;
}

const struct endpoint *ng_conn_peer(const struct ng_conn *c)
{
	return &c->peer;
}

static void destroy(struct ng_conn *c)
{
	char addr[EP_STRLEN];

	log_debug("ng %s: %s closed", c->ops->name, ep_str(&c->peer, addr, sizeof(addr)));
	ctl_fd_del(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n_conns--;
	c->ops->release(c, c->fd, c->ctx);
	free(c->in);
	free(c->out);
	free(c);
}

static void kill_conn(struct ng_conn *c)
{
	c->dead = true;
	if (!c->busy)
		destroy(c);
}

static void start_closing(struct ng_conn *c)
{
	if (!c->closing)
		c->closing_since = time(NULL);
	c->closing = true;
}

static uint32_t want_events(const struct ng_conn *c)
{
	return (c->closing && !c->draining ? 0 : EPOLLIN) | (c->out_len ? EPOLLOUT : 0) |
	       EPOLLRDHUP;
}

/* Writes what is queued; closes a closing connection once all is sent. */
static void flush(struct ng_conn *c)
{
	size_t done = 0;

	while (done < c->out_len) {
		ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			kill_conn(c);
			return;
		}
		done += (size_t)n;
	}
	memmove(c->out, c->out + done, c->out_len - done);
	c->out_len -= done;
	/* Closing with unread input would reset the connection and could lose the last reply:
	 * shut our side, then read until the peer closes (or NG_CONN_PARTIAL_TIMEOUT). */
	if (c->closing && !c->out_len && !c->draining) {
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
	}
	ctl_fd_mod(c->fd, want_events(c));
}

int ng_conn_send(struct ng_conn *c, const void *buf, size_t len)
{
	char addr[EP_STRLEN];

	if (c->dead)
		return -EPIPE;
	if (c->out_len + len > NG_CONN_MAX_OUT) {
		log_warn_rl("ng %s: %s does not read its replies, closing", c->ops->name,
			    ep_str(&c->peer, addr, sizeof(addr)));
		kill_conn(c);
		return -ENOBUFS;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			kill_conn(c);
			return -ENOMEM;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	if (!c->busy)
		flush(c);
	return 0;
}

/* Hands the buffered input to the protocol until it wants more or closes. */
static void consume(struct ng_conn *c)
{
	char addr[EP_STRLEN];
	size_t off = 0;

	while (!c->closing && !c->dead && off < c->in_len) {
		ssize_t n = c->ops->input(c, c->in + off, c->in_len - off);

		if (n < 0) {
			start_closing(c);
			break;
		}
		if (n == 0) {
			if (c->in_len - off >= c->max_in) {
				log_warn_rl("ng %s: %s: request too large, closing", c->ops->name,
					    ep_str(&c->peer, addr, sizeof(addr)));
				start_closing(c);
			}
			break;
		}
		off += (size_t)n;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (!c->in_len)
		c->partial_since = 0;
	else if (off || !c->partial_since)
		c->partial_since = time(NULL);
}

static void on_event(void *ctx, int fd, uint32_t events)
{
	struct ng_conn *c = ctx;
	bool eof = false;

	c->busy = true;
	if (c->draining) {
		char sink[4096];
		ssize_t n;

		while ((n = recv(fd, sink, sizeof(sink), 0)) > 0 || (n < 0 && errno == EINTR))
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			c->dead = true;
		events &= ~(uint32_t)EPOLLIN;
	}
	if (events & EPOLLIN) {
		while (!c->closing && c->in_len < c->max_in) {
			ssize_t n = recv(fd, c->in + c->in_len, c->max_in - c->in_len, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				eof = true;
				break;
			}
			c->in_len += (size_t)n;
			c->last_rx = time(NULL);
			consume(c);
		}
	}
	if ((events & (EPOLLERR | EPOLLHUP)) || (eof && !c->out_len))
		c->dead = true;
	else if (eof)
		start_closing(c); /* half-closed: send the replies, then close */
	c->busy = false;
	if (c->dead) {
		destroy(c);
		return;
	}
	flush(c);
}

struct ng_conn *ng_conn_new(int fd, const struct endpoint *peer, const struct ng_conn_ops *ops,
			    void *ctx, size_t max_in, const char *pre, size_t pre_len)
{
	struct ng_conn *c = NULL;
	char addr[EP_STRLEN];
	int ret;

	if (n_conns >= NG_CONN_MAX || pre_len > max_in) {
		log_warn_rl("ng %s: %s refused: %u connections", ops->name,
			    ep_str(peer, addr, sizeof(addr)), n_conns);
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(max_in)))
		goto fail;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->peer = *peer;
	c->ops = ops;
	c->ctx = ctx;
	c->max_in = max_in;
	c->last_rx = time(NULL);
	ret = ctl_fd_add(fd, EPOLLIN | EPOLLRDHUP, on_event, c);
	if (ret) {
		log_warn("ng %s: cannot watch %s: %s", ops->name, ep_str(peer, addr, sizeof(addr)),
			 strerror(-ret));
		goto fail;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	n_conns++;
	log_debug("ng %s: %s connected", ops->name, ep_str(peer, addr, sizeof(addr)));
	if (pre_len) {
		c->busy = true;
		memcpy(c->in, pre, pre_len);
		c->in_len = pre_len;
		consume(c);
		c->busy = false;
		if (c->dead) {
			destroy(c);
			return NULL;
		}
		flush(c);
	}
	return c;
fail:
	if (c)
		free(c->in);
	free(c);
	ops->release(NULL, fd, ctx);
	return NULL;
}

void ng_conn_tick(time_t now)
{
	char addr[EP_STRLEN];
	struct ng_conn *c, *next;

	for (c = conns; c; c = next) {
		next = c->next;
		if (c->partial_since && now - c->partial_since >= NG_CONN_PARTIAL_TIMEOUT) {
			log_warn_rl("ng %s: %s sent an incomplete request for %d s, closing",
				    c->ops->name, ep_str(&c->peer, addr, sizeof(addr)),
				    NG_CONN_PARTIAL_TIMEOUT);
			destroy(c);
		} else if (c->closing && now - c->closing_since >= NG_CONN_PARTIAL_TIMEOUT) {
			destroy(c); /* replies not taken, or no EOF */
		} else if (now - c->last_rx >= NG_CONN_IDLE_TIMEOUT) {
			log_info("ng %s: %s idle for %d s, closing", c->ops->name,
				 ep_str(&c->peer, addr, sizeof(addr)), NG_CONN_IDLE_TIMEOUT);
			destroy(c);
		}
	}
}

void ng_conn_close_all(const struct ng_conn_ops *ops)
{
	struct ng_conn *c, *next;

	for (c = conns; c; c = next) {
		next = c->next;
		if (c->ops == ops)
			destroy(c);
	}
}

unsigned int ng_conn_count(const struct ng_conn_ops *ops)
{
	unsigned int n = 0;

	for (struct ng_conn *c = conns; c; c = c->next)
		n += c->ops == ops;
	return n;
}
