// SPDX-License-Identifier: GPL-2.0-only
/* HTTP and WebSocket ng with libmicrohttpd in external epoll mode: its epoll fd sits in the
 * control loop and MHD_run() is called from there, so every request runs on the control
 * thread, as UDP ng does. */
#include "http.h"

#include "ctl_fd.h"
#include "log.h"
#include "metrics.h"
#include "ng_allow.h"
#include "ng_cmd.h"
#include "ng_cookie.h"
#include "ws.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#define CT_NG	"application/x-rtpengine-ng"
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

enum route { R_NG, R_NG_PLAIN };

/* A POST being received. */
struct req {
	enum route route;
	size_t max;
	size_t len;
	bool too_big;
	char body[]; /* max bytes */
};

static struct MHD_Daemon *daemon_;
static int mhd_epfd = -1;

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, const char *ct,
			       void *buf, size_t len, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, buf, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (must_free)
			free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text)
{
	return respond(conn, status, CT_TEXT, (void *)text, strlen(text), false);
}

/* An ng error dict (with the request's cookie on /ng when it got that far). */
static enum MHD_Result respond_ng_error(struct MHD_Connection *conn, unsigned int status,
					const struct req *q, const char *reason)
{
	const char *sp = q && q->route == R_NG ? memchr(q->body, ' ', q->len) : NULL;
	size_t len, clen = sp ? (size_t)(sp - q->body) : 0;
	char *out = ng_error_reply(clen ? q->body : NULL, clen, reason, &len);

	if (!out)
		return MHD_NO;
	return respond(conn, status, CT_NG, out, len, true);
}

static void peer_of(struct MHD_Connection *conn, struct endpoint *ep)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	memset(ep, 0, sizeof(*ep));
	if (ci && ci->client_addr) {
		memcpy(ep, ci->client_addr,
		       ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							      : sizeof(struct sockaddr_in));
		ep_unmap_v4(ep);
	}
}

static enum MHD_Result finish(struct MHD_Connection *conn, struct req *q)
{
	struct endpoint peer;
	bool json = false;
	size_t len;
	char *out;

	if (q->too_big)
		return respond_ng_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, q, "Request too large");
	if (q->route == R_NG_PLAIN) {
		out = ng_cmd_handle(q->body, q->len, &len);
		json = out && out[0] == '{';
	} else {
		peer_of(conn, &peer);
		out = ng_cookie_handle(q->body, q->len, &peer, &len);
		if (!out)
			return respond_ng_error(conn, MHD_HTTP_BAD_REQUEST, NULL,
						"No cookie in message");
	}
	if (!out)
		return MHD_NO;
	return respond(conn, MHD_HTTP_OK, json ? CT_JSON : CT_NG, out, len, true);
}

static void ws_release(void *arg, int fd)
{
	MHD_upgrade_action(arg, MHD_UPGRADE_ACTION_CLOSE);
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
			size_t extra_in_size, MHD_socket sock,
			struct MHD_UpgradeResponseHandle *urh)
{
	struct endpoint peer;

	peer_of(conn, &peer);
	ws_start(sock, &peer, cls != NULL, extra_in, extra_in_size, ws_release, urh);
}

/* True when the comma-separated list s holds word (any case). */
static bool has_token(const char *s, const char *word)
{
	size_t wl = strlen(word);

	while (s && *s) {
		size_t n;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == wl && !strncasecmp(s, word, wl))
			return true;
		s += n;
	}
	return false;
}

static enum MHD_Result upgrade(struct MHD_Connection *conn, const char *method)
{
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_SEC_WEBSOCKET_KEY);
	const char *ver = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION);
	const char *proto = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_SEC_WEBSOCKET_PROTOCOL);
	bool plain;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char accept[29];

	if (strcmp(method, MHD_HTTP_METHOD_GET) || !key || !ver || strcmp(ver, "13") ||
	    ws_accept_key(key, accept))
		return respond_text(conn, MHD_HTTP_BAD_REQUEST, "bad WebSocket handshake\n");
	if (has_token(proto, WS_PROTO_NG))
		plain = false;
	else if (has_token(proto, WS_PROTO_NG_PLAIN))
		plain = true;
	else
		return respond_text(conn, MHD_HTTP_BAD_REQUEST,
				    "WebSocket subprotocol must be " WS_PROTO_NG
				    " or " WS_PROTO_NG_PLAIN "\n");
	/* The handler's cls tells plain (non-NULL) from cookie framing. */
	r = MHD_create_response_for_upgrade(on_upgraded, plain ? (void *)1 : NULL);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_ACCEPT, accept);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_PROTOCOL,
				plain ? WS_PROTO_NG_PLAIN : WS_PROTO_NG);
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	return ret;
}

/* --ng-allow covers the whole listener, /metrics and /ping included: it is the control plane. */
static bool allowed(struct MHD_Connection *conn)
{
	struct endpoint peer;

	peer_of(conn, &peer);
	return ng_allow_check(&peer, "http");
}

/* 403, and the connection closed after it: a refused peer does not keep one of the few slots. */
static enum MHD_Result forbid(struct MHD_Connection *conn)
{
	static const char text[] = "forbidden: not in --ng-allow\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, MHD_HTTP_FORBIDDEN, r);
	MHD_destroy_response(r);
	return ret;
}

/* The first call of a request: routes it. */
static enum MHD_Result start(struct MHD_Connection *conn, const char *url, const char *method,
			     void **con_cls)
{
	const char *up =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET),
	     post = !strcmp(method, MHD_HTTP_METHOD_POST);
	enum route route;
	struct req *q;
	size_t max;

	if (up && has_token(up, "websocket"))
		return upgrade(conn, method);
	if (!strcmp(url, "/ping") || !strcmp(url, "/metrics")) {
		char *m;
		size_t len;

		if (!get)
			return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
		if (url[1] == 'p')
			return respond_text(conn, MHD_HTTP_OK, "pong\n");
		m = metrics_render(&len);
		if (!m)
			return MHD_NO;
		return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", m,
			       len, true);
	}
	if (!strcmp(url, "/ng")) {
		route = R_NG;
		max = NG_COOKIE_MAX + 1 + NG_MAX_REQUEST;
	} else if (!strcmp(url, "/ng-plain")) {
		route = R_NG_PLAIN;
		max = NG_MAX_REQUEST;
	} else {
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	if (!post)
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
	if (cl && strtoull(cl, NULL, 10) > max)
		return respond_ng_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
					"Request too large");
	q = calloc(1, sizeof(*q) + max);
	if (!q)
		return MHD_NO;
	q->route = route;
	q->max = max;
	*con_cls = q;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct req *q = *con_cls;

	if (!q)
		return allowed(conn) ? start(conn, url, method, con_cls) : forbid(conn);
	if (*upload_data_size) {
		if (q->len + *upload_data_size > q->max) {
			q->too_big = true;
		} else {
			memcpy(q->body + q->len, upload_data, *upload_data_size);
			q->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return finish(conn, q);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	log_warn_rl("http: %s", line);
}

/* libmicrohttpd may have work left after one run (its epoll is edge-triggered). */
static void run(void)
{
	for (int i = 0; i < 16; i++) {
		MHD_UNSIGNED_LONG_LONG to;

		MHD_run(daemon_);
		if (MHD_get_timeout(daemon_, &to) != MHD_YES || to > 0)
			break;
	}
}

static void on_ready(void *ctx, int fd, uint32_t events)
{
	run();
}

int http_open(const struct endpoint *listen)
{
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
	int ret;

	if (ep_family(listen) == AF_INET6)
		flags |= MHD_USE_IPv6;
	daemon_ = MHD_start_daemon(
		flags, ep_port(listen), NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &listen->sa, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)HTTP_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)HTTP_MAX_CONNECTIONS, MHD_OPTION_LISTENING_ADDRESS_REUSE,
		(unsigned int)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!daemon_)
		return errno ? -errno : -EADDRINUSE;
	di = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di) {
		ret = -ENOTSUP;
		goto fail;
	}
	mhd_epfd = di->epoll_fd;
	ret = ctl_fd_add(mhd_epfd, EPOLLIN, on_ready, NULL);
	if (ret)
		goto fail;
	return 0;
fail:
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	mhd_epfd = -1;
	return ret;
}

void http_tick(time_t now)
{
	if (daemon_)
		run();
}

void http_close(void)
{
	if (!daemon_)
		return;
	ws_close_all();
	run(); /* lets libmicrohttpd finish the upgraded connections */
	ctl_fd_del(mhd_epfd);
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	mhd_epfd = -1;
}
