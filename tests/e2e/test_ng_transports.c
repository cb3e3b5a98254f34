// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end: ng over TCP, HTTP (/ng, /ng-plain), WebSocket (ng.rtpengine.com and
 * ng-plain.rtpengine.com) and GET /metrics, against the real xrelayd; malformed and oversized
 * input gets an error and the daemon keeps serving. Clients are written here, over raw sockets. */
#include "e2e.h"
#include "ng_cmd.h"
#include "ng_tcp.h"
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#define LO "127.0.0.1"

enum kind { K_TCP, K_HTTP_NG, K_HTTP_PLAIN, K_WS_NG, K_WS_PLAIN };

static const char *const kind_names[] = {"tcp", "http /ng", "http /ng-plain", "ws ng.rtpengine.com",
					 "ws ng-plain.rtpengine.com"};

struct fixture {
	struct daemon d;
	uint16_t tcp_port, http_port;
	char tcp_opt[64], http_opt[64];
};

static uint16_t free_tcp_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void start(struct fixture *f)
{
	const char *opts[] = {
		f->tcp_opt, f->http_opt, "--xdp=off", "--num-threads=1", "--control-socket=none",
		NULL};

	f->tcp_port = free_tcp_port();
	f->http_port = free_tcp_port();
	snprintf(f->tcp_opt, sizeof(f->tcp_opt), "--listen-tcp-ng=" LO ":%u", f->tcp_port);
	snprintf(f->http_opt, sizeof(f->http_opt), "--listen-http=" LO ":%u", f->http_port);
	daemon_start(&f->d, opts);
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 10}; /* beyond NG_CONN_PARTIAL_TIMEOUT */
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		fail_msg("connect to port %u: %s", port, strerror(errno));
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads more into buf (grown); returns bytes read, 0 on EOF, -1 on timeout/error. */
static ssize_t read_more(int fd, char **buf, size_t *len, size_t *cap)
{
	ssize_t n;

	if (*cap - *len < 65536) {
		*cap = *cap * 2 + 65536;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
		(*buf)[*len] = 0;
	}
	n = recv(fd, *buf + *len, *cap - *len - 1, 0);
	if (n > 0) {
		*len += (size_t)n;
		(*buf)[*len] = 0;
	}
	return n;
}

/* Expects the peer to close fd (EOF, not a timeout). */
static void expect_closed(int fd)
{
	char b[256];
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), 0)) > 0)
		;
	assert_int_equal(n, 0);
	close(fd);
}

/* One TCP ng message "COOKIE SP BODY" from fd, framed the daemon's way; what follows it stays
 * for the next call (replies to pipelined requests may arrive in one read). */
static char *tcp_read_msg(int fd, size_t *len)
{
	static char *buf;
	static size_t blen, cap;
	static int last_fd = -1;
	size_t skip, clen, total;
	char *msg;

	if (fd != last_fd)
		blen = 0;
	last_fd = fd;
	for (;;) {
		if (blen && ng_tcp_frame(buf, blen, &skip, &clen, &total) == 1)
			break;
		if (read_more(fd, &buf, &blen, &cap) <= 0)
			fail_msg("tcp: no complete reply (%zu bytes: %.*s)", blen, (int)blen,
				 blen ? buf : "");
	}
	assert_int_equal(skip, 0); /* no blanks between replies */
	msg = malloc(total + 1);
	memcpy(msg, buf, total);
	msg[total] = 0;
	memmove(buf, buf + total, blen - total);
	blen -= total;
	*len = total;
	return msg;
}

struct http_reply {
	int status;
	char *raw; /* headers and body */
	const char *body;
	size_t body_len;
};

/* Sends raw bytes (a whole HTTP request), reads until the server closes. */
static void http_raw(uint16_t port, const char *req, size_t req_len, struct http_reply *r)
{
	size_t len = 0, cap = 0;
	int fd = tcp_connect(port);
	const char *end;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	send_all(fd, req, req_len);
	while ((n = read_more(fd, &r->raw, &len, &cap)) > 0)
		;
	close(fd);
	if (!len)
		return; /* closed without a reply: status 0 */
	if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
		fail_msg("not an HTTP reply: %.200s", r->raw);
	end = strstr(r->raw, "\r\n\r\n");
	assert_non_null(end);
	r->body = end + 4;
	r->body_len = len - (size_t)(r->body - r->raw);
}

static void http(uint16_t port, const char *method, const char *path, const char *ct,
		 const char *body, size_t body_len, struct http_reply *r)
{
	char *req;
	size_t hlen;
	int n = asprintf(&req,
			 "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			 method, path, ct, body_len);

	assert_true(n > 0);
	hlen = (size_t)n;
	req = realloc(req, hlen + body_len);
	memcpy(req + hlen, body, body_len);
	http_raw(port, req, hlen + body_len, r);
	free(req);
}

/* Opens a WebSocket with subprotocol proto; returns the fd after the 101. */
static int ws_open(uint16_t port, const char *proto)
{
	static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
	size_t len = 0, cap = 0;
	char *buf = NULL, *req, want[64], accept[29];
	int fd = tcp_connect(port);

	assert_true(asprintf(&req,
			     "GET /ng HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
			     key, proto) > 0);
	send_all(fd, req, strlen(req));
	free(req);
	while (!buf || !strstr(buf, "\r\n\r\n"))
		if (read_more(fd, &buf, &len, &cap) <= 0)
			fail_msg("ws: no handshake reply");
	if (strncmp(buf, "HTTP/1.1 101", 12))
		fail_msg("ws: %s", buf);
	/* RFC 6455's own example: this key gives this accept value. */
	assert_int_equal(ws_accept_key(key, accept), 0);
	assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	snprintf(want, sizeof(want), "Sec-WebSocket-Accept: %s\r\n", accept);
	assert_non_null(strcasestr(buf, want));
	snprintf(want, sizeof(want), "Sec-WebSocket-Protocol: %s\r\n", proto);
	assert_non_null(strcasestr(buf, want));
	assert_int_equal(strlen(strstr(buf, "\r\n\r\n")), 4); /* nothing after the headers */
	free(buf);
	return fd;
}

/* Sends one masked client frame. */
static void ws_send(int fd, uint8_t op, bool fin, const void *payload, size_t len)
{
	static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	uint8_t *frame = malloc(len + 14);
	size_t h = ws_frame_header(frame, op, len);

	assert_non_null(frame);
	if (!fin)
		frame[0] &= 0x7f;
	frame[1] |= 0x80;
	memcpy(frame + h, mask, 4);
	for (size_t i = 0; i < len; i++)
		frame[h + 4 + i] = ((const uint8_t *)payload)[i] ^ mask[i & 3];
	send_all(fd, frame, h + 4 + len);
	free(frame);
}

/* Reads one server frame; its payload (malloc'd) in *payload. Returns the opcode. */
static int ws_recv(int fd, char **payload, size_t *plen)
{
	size_t len = 0, cap = 0;
	struct ws_frame f;
	char *buf = NULL;
	int n;

	while ((n = ws_frame_parse((uint8_t *)buf, len, 1 << 20, false, &f)) == 0)
		if (read_more(fd, &buf, &len, &cap) <= 0)
			fail_msg("ws: no complete frame (%zu bytes)", len);
	assert_true(n > 0);
	assert_int_equal((size_t)n, len);
	assert_true(f.fin);
	assert_false(f.masked);
	*plen = f.len;
	*payload = malloc(f.len + 1);
	memcpy(*payload, buf + f.hdr_len, f.len);
	(*payload)[f.len] = 0;
	free(buf);
	return f.opcode;
}

static struct bnode *parse_reply(struct barena *a, const char *s, size_t len)
{
	struct bnode *n = NULL;
	const char *err;
	char jerr[160];

	if (len && s[0] == '{' ? json_parse_bnode(a, s, len, &n, jerr, sizeof(jerr))
			       : bencode_parse(a, s, len, &n, &err))
		fail_msg("unparseable reply: %.*s", (int)len, s);
	return n;
}

/* One request over a transport; JSON req, sent as bencode except on the plain kinds. ws is
 * the open WebSocket for the ws kinds. */
static struct bnode *ng_over(struct fixture *f, enum kind k, int ws, struct barena *a,
			     const char *fmt, ...)
{
	static unsigned int seq;
	struct http_reply hr;
	char cookie[32], jerr[160], *json, *body, *msg, *reply;
	struct bnode *req;
	size_t blen, mlen, rlen;
	bool plain = k == K_HTTP_PLAIN || k == K_WS_PLAIN;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	assert_true(vasprintf(&json, fmt, ap) > 0);
	va_end(ap);
	if (json_parse_bnode(a, json, strlen(json), &req, jerr, sizeof(jerr)))
		fail_msg("test bug: %s: %s", json, jerr);
	if (plain) {
		body = strdup(json);
		blen = strlen(json);
	} else {
		body = bencode_encode(req, &blen);
	}
	free(json);
	snprintf(cookie, sizeof(cookie), "%d_%u", (int)getpid(), ++seq);
	mlen = plain ? blen : strlen(cookie) + 1 + blen;
	msg = malloc(mlen);
	if (plain)
		memcpy(msg, body, blen);
	else
		memcpy(msg + sprintf(msg, "%s ", cookie), body, blen);
	free(body);
	switch (k) {
	case K_TCP:
		fd = tcp_connect(f->tcp_port);
		send_all(fd, msg, mlen);
		reply = tcp_read_msg(fd, &rlen);
		close(fd);
		break;
	case K_HTTP_NG:
	case K_HTTP_PLAIN:
		http(f->http_port, "POST", plain ? "/ng-plain" : "/ng",
		     plain ? "application/json" : "application/x-rtpengine-ng", msg, mlen, &hr);
		assert_int_equal(hr.status, 200);
		rlen = hr.body_len;
		reply = malloc(rlen + 1);
		memcpy(reply, hr.body, rlen);
		free(hr.raw);
		break;
	default:
		ws_send(ws, k == K_WS_PLAIN ? WS_TEXT : WS_BINARY, true, msg, mlen);
		assert_int_equal(ws_recv(ws, &reply, &rlen), k == K_WS_PLAIN ? WS_TEXT : WS_BINARY);
		break;
	}
	free(msg);
	if (!plain) {
		/* "COOKIE SP REPLY", the request's cookie */
		if (rlen <= strlen(cookie) || memcmp(reply, cookie, strlen(cookie)) ||
		    reply[strlen(cookie)] != ' ')
			fail_msg("%s: reply without the cookie %s: %.*s", kind_names[k], cookie,
				 (int)rlen, reply);
		req = parse_reply(a, reply + strlen(cookie) + 1, rlen - strlen(cookie) - 1);
	} else {
		assert_true(rlen && reply[0] == '{'); /* JSON in, JSON out */
		req = parse_reply(a, reply, rlen);
	}
	free(reply);
	return req;
}

/* offer, answer, RTP both ways through the relay, delete: over each transport. */
static void test_call_flow(void **state)
{
	struct fixture f;
	struct barena *a = barena_new();

	start(&f);
	for (int k = K_TCP; k <= K_WS_PLAIN; k++) {
		int ws = k == K_WS_NG	   ? ws_open(f.http_port, WS_PROTO_NG)
			 : k == K_WS_PLAIN ? ws_open(f.http_port, WS_PROTO_NG_PLAIN)
					   : -1;
		uint16_t pa, pb, ra, rb;
		int sa = udp_open(LO, &pa), sb = udp_open(LO, &pb);
		char sdp[512], id[32];
		uint8_t pkt[200], buf[256];
		struct bnode *r;
		size_t len;

		print_message("  %s\n", kind_names[k]);
		snprintf(id, sizeof(id), "flow-%d", k);
		r = ng_over(&f, k, ws, a, "{\"command\":\"ping\"}");
		assert_string_equal(bn_dict_get_str(r, "result"), "pong");
		r = ng_over(&f, k, ws, a,
			    "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"a\","
			    "\"sdp\":\"%s\"}",
			    id, sdp_audio(sdp, sizeof(sdp), LO, pa, NULL));
		expect_result(r, "ok");
		rb = sdp_port(r);
		r = ng_over(&f, k, ws, a,
			    "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"a\","
			    "\"to-tag\":\"b\",\"sdp\":\"%s\"}",
			    id, sdp_audio(sdp, sizeof(sdp), LO, pb, NULL));
		expect_result(r, "ok");
		ra = sdp_port(r);
		len = rtp_make(pkt, 0, 1, 0x1234, 160);
		assert_int_equal(udp_send(sa, LO, ra, pkt, len), 0);
		assert_int_equal(udp_recv(sb, buf, sizeof(buf), 1000, NULL), (int)len);
		assert_int_equal(udp_send(sb, LO, rb, pkt, len), 0);
		assert_int_equal(udp_recv(sa, buf, sizeof(buf), 1000, NULL), (int)len);
		r = ng_over(&f, k, ws, a, "{\"command\":\"delete\",\"call-id\":\"%s\"}", id);
		expect_result(r, "ok");
		r = ng_over(&f, k, ws, a, "{\"command\":\"query\",\"call-id\":\"nope\"}");
		expect_result(r, "error");
		assert_string_equal(bn_dict_get_str(r, "error-reason"), "Unknown call-id");
		close(sa);
		close(sb);
		if (ws >= 0)
			close(ws);
	}
	barena_free(a);
	assert_int_equal(daemon_stop(&f.d), 0);
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* The next reply starts with want. */
static void expect_tcp_prefix(int fd, const char *want)
{
	size_t len;
	char *m = tcp_read_msg(fd, &len);

	if (len < strlen(want) || memcmp(m, want, strlen(want)))
		fail_msg("tcp: got '%.*s', want '%s...'", (int)len, m, want);
	free(m);
}

static void expect_tcp_reply(int fd, const char *want)
{
	size_t len;
	char *m = tcp_read_msg(fd, &len);

	if (len != strlen(want) || memcmp(m, want, len))
		fail_msg("tcp: got '%.*s', want '%s'", (int)len, m, want);
	free(m);
}

/* TCP framing: several requests in one write, one request in pieces, blank lines between;
 * a reply cached by cookie across connections; malformed, oversized and stalled requests
 * close the connection (with an error when the cookie is known) and the daemon serves on. */
static void test_tcp_framing(void **state)
{
	struct fixture f;
	struct barena *a = barena_new();
	char big[NG_MAX_REQUEST + 200], sdp[512];
	struct bnode *r;
	int fd;

	start(&f);
	fd = tcp_connect(f.tcp_port);
	send_all(fd, "a1 d7:command4:pinge\r\na2 d7:command4:pinge a3 {\"command\": \"ping\"}", 65);
	expect_tcp_reply(fd, "a1 d6:result4:ponge");
	expect_tcp_reply(fd, "a2 d6:result4:ponge");
	expect_tcp_reply(fd, "a3 {\"result\":\"pong\"}");
	send_all(fd, "b1 d7:comm", 10);
	usleep(200000);
	send_all(fd, "and4:pinge", 10);
	expect_tcp_reply(fd, "b1 d6:result4:ponge");

	/* A delete executed once: the retry on a new connection gets the cached "ok". */
	r = ng(&f.d, a,
	       "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"a\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 4000, NULL));
	expect_result(r, "ok");
	send_str(fd, "del1 d7:command6:delete7:call-id1:c12:delete-delayi0ee");
	expect_tcp_prefix(fd, "del1 d6:result2:ok");
	close(fd);
	fd = tcp_connect(f.tcp_port);
	send_str(fd, "del1 d7:command6:delete7:call-id1:c12:delete-delayi0ee");
	expect_tcp_prefix(fd, "del1 d6:result2:ok");
	send_str(fd, "del2 d7:command6:delete7:call-id1:c12:delete-delayi0ee");
	expect_tcp_prefix(fd, "del2 d6:result5:error"); /* executed: the call is gone */

	send_all(fd, "bad x", 5);
	expect_tcp_reply(fd, "bad d6:result5:error12:error-reason25:Malformed request framinge");
	expect_closed(fd);

	fd = tcp_connect(f.tcp_port);
	snprintf(big, sizeof(big), "huge d3:sdp%d:", NG_MAX_REQUEST + 10);
	memset(big + strlen(big), 'x', sizeof(big) - strlen(big));
	send_all(fd, big, sizeof(big));
	expect_tcp_reply(fd, "huge d6:result5:error12:error-reason17:Request too largee");
	expect_closed(fd);

	fd = tcp_connect(f.tcp_port);
	send_all(fd, "slow d7:comm", 12);
	expect_closed(fd); /* after NG_CONN_PARTIAL_TIMEOUT */

	fd = tcp_connect(f.tcp_port);
	send_all(fd, "after d7:command4:pinge", 23);
	expect_tcp_reply(fd, "after d6:result4:ponge");
	close(fd);
	barena_free(a);
	assert_int_equal(daemon_alive(&f.d), 0);
	assert_int_equal(daemon_stop(&f.d), 0);
}

static void expect_http(struct fixture *f, const char *method, const char *path, int status,
			const char *body_has)
{
	struct http_reply r;

	http(f->http_port, method, path, "text/plain", "", 0, &r);
	if (r.status != status || (body_has && !strstr(r.body, body_has)))
		fail_msg("%s %s: want %d '%s', got %.300s", method, path, status,
			 body_has ? body_has : "", r.raw);
	free(r.raw);
}

/* Routes, errors, limits; malformed HTTP is refused by the library and the daemon serves on. */
static void test_http_errors(void **state)
{
	static const char *const garbage[] = {
		"GARBAGE\r\n\r\n",
		"GET /ping HTTP/1.1\r\nno colon here\r\n\r\n",
		"POST /ng HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /ng HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	struct fixture f;
	struct http_reply r;
	char *big = malloc(NG_MAX_REQUEST + 1000);

	start(&f);
	expect_http(&f, "GET", "/ping", 200, "pong");
	expect_http(&f, "GET", "/nothing", 404, NULL);
	expect_http(&f, "GET", "/ng", 405, NULL);
	expect_http(&f, "POST", "/metrics", 405, NULL);

	/* Over the limit: 413 with an ng error, whether Content-Length says so or not. */
	memset(big, 'x', NG_MAX_REQUEST + 1000);
	http(f.http_port, "POST", "/ng-plain", "application/json", big, NG_MAX_REQUEST + 1000, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "Request too large"));
	free(r.raw);
	memcpy(big, "ck ", 3);
	http(f.http_port, "POST", "/ng", "application/x-rtpengine-ng", big, NG_MAX_REQUEST + 1000,
	     &r);
	assert_int_equal(r.status, 413);
	free(r.raw);
	{
		char req[256];
		int n = snprintf(req, sizeof(req),
				 "POST /ng-plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n%x\r\n",
				 NG_MAX_REQUEST + 1000);
		int fd = tcp_connect(f.http_port);
		size_t len = 0, cap = 0;
		char *buf = NULL;

		send_all(fd, req, (size_t)n);
		send_all(fd, big, NG_MAX_REQUEST + 1000);
		send_all(fd, "\r\n0\r\n\r\n", 7);
		while (read_more(fd, &buf, &len, &cap) > 0)
			;
		close(fd);
		assert_non_null(buf);
		assert_int_equal(strncmp(buf, "HTTP/1.1 413", 12), 0);
		free(buf);
	}
	/* /ng without a cookie */
	http(f.http_port, "POST", "/ng", "application/x-rtpengine-ng", "d7:command4:pinge", 17, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "No cookie in message"));
	free(r.raw);
	/* bencode on /ng-plain is answered in bencode */
	http(f.http_port, "POST", "/ng-plain", "application/x-rtpengine-ng", "d7:command4:pinge",
	     17, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 16);
	assert_memory_equal(r.body, "d6:result4:ponge", 16);
	assert_non_null(strcasestr(r.raw, "Content-Type: application/x-rtpengine-ng"));
	free(r.raw);

	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		http_raw(f.http_port, garbage[i], strlen(garbage[i]), &r);
		if (r.status && (r.status < 400 || r.status > 499))
			fail_msg("'%s': want a 4xx or a close, got %.200s", garbage[i], r.raw);
		free(r.raw);
	}
	/* WebSocket handshakes that do not fit */
	{
		const char *bad =
			"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
			"13\r\n"
			"Sec-WebSocket-Protocol: chat\r\n\r\n";

		http_raw(f.http_port, bad, strlen(bad), &r);
		assert_int_equal(r.status, 400);
		free(r.raw);
	}
	free(big);
	expect_http(&f, "GET", "/ping", 200, "pong");
	assert_int_equal(daemon_alive(&f.d), 0);
	assert_int_equal(daemon_stop(&f.d), 0);
}

/* WebSocket: ping gets pong, a fragmented message is reassembled, an unmasked frame is a
 * protocol error (close 1002), and an oversized one closes with 1009. */
static void test_ws_frames(void **state)
{
	struct fixture f;
	char *p;
	size_t len;
	int fd;

	start(&f);
	fd = ws_open(f.http_port, WS_PROTO_NG);
	ws_send(fd, WS_PING, true, "hi", 2);
	assert_int_equal(ws_recv(fd, &p, &len), WS_PONG);
	assert_int_equal(len, 2);
	assert_memory_equal(p, "hi", 2);
	free(p);
	ws_send(fd, WS_BINARY, false, "c9 d7:com", 9);
	ws_send(fd, WS_CONT, true, "mand4:pinge", 11);
	assert_int_equal(ws_recv(fd, &p, &len), WS_BINARY);
	assert_string_equal(p, "c9 d6:result4:ponge");
	free(p);
	/* unmasked */
	send_all(fd, "\x82\x05hello", 7);
	assert_int_equal(ws_recv(fd, &p, &len), WS_CLOSE);
	assert_int_equal(len, 2);
	assert_int_equal((uint8_t)p[0] << 8 | (uint8_t)p[1], 1002);
	free(p);
	expect_closed(fd);

	fd = ws_open(f.http_port, WS_PROTO_NG_PLAIN);
	{
		char *big = malloc(NG_MAX_REQUEST + 1000);

		memset(big, ' ', NG_MAX_REQUEST + 1000);
		ws_send(fd, WS_TEXT, true, big, NG_MAX_REQUEST + 1000);
		free(big);
	}
	assert_int_equal(ws_recv(fd, &p, &len), WS_CLOSE);
	assert_int_equal((uint8_t)p[0] << 8 | (uint8_t)p[1], 1009);
	free(p);
	expect_closed(fd);

	fd = ws_open(f.http_port, WS_PROTO_NG);
	ws_send(fd, WS_CLOSE, true, "\x03\xe8", 2);
	assert_int_equal(ws_recv(fd, &p, &len), WS_CLOSE);
	free(p);
	expect_closed(fd);
	expect_http(&f, "GET", "/ping", 200, "pong");
	assert_int_equal(daemon_stop(&f.d), 0);
}

/* The strict line grammar of the Prometheus text format: every sample belongs to a family
 * declared by # HELP and # TYPE before it. Returns the value of the sample named want (with
 * its labels, exactly), or NAN when absent. */
static double metrics_check(const char *text, const char *want)
{
	regex_t help, type, sample;
	char *copy = strdup(text), *save = NULL, typed[64][96];
	int n_typed = 0, lines = 0;
	double found = NAN;

	assert_int_equal(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^\n]+$", REG_EXTENDED),
			 0);
	assert_int_equal(
		regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$", REG_EXTENDED),
		0);
	assert_int_equal(
		regcomp(&sample,
			"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\""
			"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})? (-?[0-9]+(\\.[0-9]+)?)$",
			REG_EXTENDED),
		0);
	assert_true(text[strlen(text) - 1] == '\n');
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[6];

		lines++;
		if (!regexec(&help, l, 0, NULL, 0))
			continue;
		if (!regexec(&type, l, 3, m, 0)) {
			assert_true(n_typed < 64);
			snprintf(typed[n_typed++], sizeof(typed[0]), "%.*s",
				 (int)(m[1].rm_eo - m[1].rm_so), l + m[1].rm_so);
			continue;
		}
		if (regexec(&sample, l, 6, m, 0))
			fail_msg("metrics: bad line '%s'", l);
		if (!n_typed || strncmp(l, typed[n_typed - 1], strlen(typed[n_typed - 1])) ||
		    (l[strlen(typed[n_typed - 1])] != ' ' && l[strlen(typed[n_typed - 1])] != '{'))
			fail_msg("metrics: '%s' outside its family's # TYPE", l);
		if (!strncmp(l, want, strlen(want)) && l[strlen(want)] == ' ')
			found = strtod(l + strlen(want) + 1, NULL);
	}
	assert_true(lines > 40);
	regfree(&help);
	regfree(&type);
	regfree(&sample);
	free(copy);
	return found;
}

static double metric(struct fixture *f, const char *name)
{
	struct http_reply r;
	double v;

	http(f->http_port, "GET", "/metrics", "text/plain", "", 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.raw, "Content-Type: text/plain; version=0.0.4"));
	v = metrics_check(r.body, name);
	free(r.raw);
	if (isnan(v))
		fail_msg("metrics: no %s", name);
	return v;
}

/* /metrics parses, and its counters move with a call and its RTP. */
static void test_metrics(void **state)
{
	struct fixture f;
	struct barena *a = barena_new();
	uint16_t pa, pb, ra;
	int sa, sb;
	char sdp[512];
	uint8_t pkt[200], buf[256];
	struct bnode *r;
	double before;
	size_t len;

	start(&f);
	sa = udp_open(LO, &pa);
	sb = udp_open(LO, &pb);
	assert_true(metric(&f, "xrelay_sessions") == 0);
	before = metric(&f, "xrelay_relayed_packets_total");
	assert_true(metric(&f, "xrelay_kernel_verdicts_total{verdict=\"tx\"}") == 0);
	metric(&f, "xrelay_kernel_punts_total{reason=\"no_entry\"}");
	metric(&f, "xrelay_kernel_drops_total{reason=\"strict_source\"}");
	assert_true(metric(&f, "xrelay_ports_used") == 0);
	r = ng(&f.d, a,
	       "{\"command\":\"offer\",\"call-id\":\"m\",\"from-tag\":\"a\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, pa, NULL));
	expect_result(r, "ok");
	r = ng(&f.d, a,
	       "{\"command\":\"answer\",\"call-id\":\"m\",\"from-tag\":\"a\",\"to-tag\":\"b\","
	       "\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, pb, NULL));
	expect_result(r, "ok");
	ra = sdp_port(r);
	len = rtp_make(pkt, 0, 1, 0x4321, 160);
	for (int i = 0; i < 25; i++) {
		rtp_make(pkt, 0, (uint16_t)(i + 1), 0x4321, 160);
		assert_int_equal(udp_send(sa, LO, ra, pkt, len), 0);
		assert_int_equal(udp_recv(sb, buf, sizeof(buf), 1000, NULL), (int)len);
	}
	assert_true(metric(&f, "xrelay_sessions") == 1);
	assert_true(metric(&f, "xrelay_sessions_managed_total") == 1);
	assert_true(metric(&f, "xrelay_ports_used") == 4);
	assert_true(metric(&f, "xrelay_relayed_packets_total") >= before + 25);
	assert_true(metric(&f, "xrelay_relayed_bytes_total") >= 25.0 * (double)len);
	r = ng(&f.d, a, "{\"command\":\"delete\",\"call-id\":\"m\",\"delete-delay\":0}");
	expect_result(r, "ok");
	assert_true(metric(&f, "xrelay_sessions_ended_total{reason=\"regular\"}") == 1);
	close(sa);
	close(sb);
	barena_free(a);
	assert_int_equal(daemon_stop(&f.d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_call_flow, daemons_teardown),
		cmocka_unit_test_teardown(test_tcp_framing, daemons_teardown),
		cmocka_unit_test_teardown(test_http_errors, daemons_teardown),
		cmocka_unit_test_teardown(test_ws_frames, daemons_teardown),
		cmocka_unit_test_teardown(test_metrics, daemons_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
