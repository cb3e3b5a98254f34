// SPDX-License-Identifier: GPL-2.0-only
/* WebSocket framing for the ng transport (control thread only). */
#include "ws.h"

#include "log.h"
#include "ng_cmd.h"
#include "ng_conn.h"
#include "ng_cookie.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

/* One message: a cookie, a space and a request. */
#define MAX_MSG (NG_COOKIE_MAX + 1 + NG_MAX_REQUEST)
#define MAX_IN	(MAX_MSG + 14)

struct ws {
	bool plain;
	void (*release)(void *arg, int fd);
	void *arg;
	char *msg; /* a message being reassembled from fragments */
	size_t msg_len;
	uint8_t msg_op; /* 0: none in progress */
};

int ws_frame_parse(const uint8_t *b, size_t len, size_t max, bool need_mask, struct ws_frame *f)
{
	size_t need = 2;
	uint64_t plen;

	if (len < 2)
		return 0;
	f->fin = b[0] & 0x80;
	f->opcode = b[0] & 0x0f;
	f->masked = b[1] & 0x80;
	plen = b[1] & 0x7f;
	if (b[0] & 0x70)
		return -EINVAL; /* no extension was negotiated */
	if (f->opcode > WS_BINARY && (f->opcode < WS_CLOSE || f->opcode > WS_PONG))
		return -EINVAL;
	if (f->opcode >= WS_CLOSE && (!f->fin || plen > 125))
		return -EINVAL;
	if (need_mask && !f->masked)
		return -EINVAL;
	if (plen == 126) {
		need += 2;
		if (len < need)
			return 0;
		plen = (uint64_t)b[2] << 8 | b[3];
	} else if (plen == 127) {
		need += 8;
		if (len < need)
			return 0;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | b[2 + i];
	}
	if (plen > max)
		return -E2BIG;
	if (f->masked) {
		if (len < need + 4)
			return 0;
		memcpy(f->mask, b + need, 4);
		need += 4;
	}
	f->hdr_len = need;
	f->len = (size_t)plen;
	return len - need < plen ? 0 : (int)(need + plen);
}

size_t ws_frame_header(uint8_t hdr[14], enum ws_opcode op, size_t len)
{
	hdr[0] = 0x80 | op;
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

int ws_accept_key(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char d[21] = {0};
	char buf[128];
	size_t klen = strlen(key);
	int o = 0;

	/* The key is 16 random bytes in base64: 24 characters. */
	if (klen == 0 || klen > 64)
		return -EINVAL;
	memcpy(buf, key, klen);
	memcpy(buf + klen, guid, sizeof(guid) - 1);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, klen + sizeof(guid) - 1, d))
		return -EINVAL;
	for (int i = 0; i < 21; i += 3) {
		unsigned int v = (unsigned int)d[i] << 16 | (unsigned int)d[i + 1] << 8 | d[i + 2];

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	out[27] = '='; /* 20 bytes: the last group holds two */
	out[28] = 0;
	return 0;
}

static void send_frame(struct ng_conn *c, enum ws_opcode op, const void *buf, size_t len)
{
	uint8_t hdr[14];

	if (!ng_conn_send(c, hdr, ws_frame_header(hdr, op, len)) && len)
		ng_conn_send(c, buf, len);
}

static void send_close(struct ng_conn *c, uint16_t code)
{
	uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	send_frame(c, WS_CLOSE, b, 2);
}

static void dispatch(struct ng_conn *c, struct ws *w)
{
	char *reply;
	size_t rlen;

	if (w->plain)
		reply = ng_cmd_handle(w->msg, w->msg_len, &rlen);
	else
		reply = ng_cookie_handle(w->msg, w->msg_len, ng_conn_peer(c), &rlen);
	if (!reply && !w->plain)
		reply = ng_error_reply(NULL, 0, "No cookie in message", &rlen);
	if (reply)
		send_frame(c, w->msg_op, reply, rlen);
	free(reply);
	w->msg_op = 0;
	w->msg_len = 0;
}

static ssize_t input(struct ng_conn *c, const char *in, size_t len)
{
	struct ws *w = ng_conn_ctx(c);
	char addr[EP_STRLEN];
	size_t off = 0;

	while (off < len) {
		const uint8_t *p = (const uint8_t *)in + off;
		struct ws_frame f;
		int n = ws_frame_parse(p, len - off, MAX_MSG, true, &f);
		const uint8_t *pl;

		if (n == 0)
			break;
		if (n < 0) {
			log_warn_rl("ng websocket: %s: %s, closing",
				    ep_str(ng_conn_peer(c), addr, sizeof(addr)),
				    n == -E2BIG ? "message too large" : "protocol error");
			send_close(c, n == -E2BIG ? 1009 : 1002);
			return -1;
		}
		off += (size_t)n;
		pl = p + f.hdr_len;
		if (f.opcode == WS_PING || f.opcode == WS_CLOSE) {
			uint8_t ctl[125];

			for (size_t i = 0; i < f.len; i++)
				ctl[i] = pl[i] ^ f.mask[i & 3];
			send_frame(c, f.opcode == WS_PING ? WS_PONG : WS_CLOSE, ctl, f.len);
			if (f.opcode == WS_CLOSE)
				return -1;
			continue;
		}
		if (f.opcode == WS_PONG)
			continue;
		if ((f.opcode == WS_CONT) != (w->msg_op != 0)) {
			send_close(c,
				   1002); /* a continuation of nothing, or a message inside one */
			return -1;
		}
		if (f.opcode != WS_CONT)
			w->msg_op = f.opcode;
		if (w->msg_len + f.len > MAX_MSG) {
			send_close(c, 1009);
			return -1;
		}
		for (size_t i = 0; i < f.len; i++)
			w->msg[w->msg_len++] = (char)(pl[i] ^ f.mask[i & 3]);
		if (f.fin)
			dispatch(c, w);
	}
	return (ssize_t)off;
}

static void release(struct ng_conn *c, int fd, void *ctx)
{
	struct ws *w = ctx;

	w->release(w->arg, fd);
	free(w->msg);
	free(w);
}

static const struct ng_conn_ops ws_ops = {
	.name = "websocket",
	.input = input,
	.release = release,
};

int ws_start(int fd, const struct endpoint *peer, bool plain, const char *pre, size_t pre_len,
	     void (*release_fn)(void *arg, int fd), void *arg)
{
	struct ws *w = calloc(1, sizeof(*w));

	if (!w || !(w->msg = malloc(MAX_MSG))) {
		free(w);
		release_fn(arg, fd);
		return -ENOMEM;
	}
	w->plain = plain;
	w->release = release_fn;
	w->arg = arg;
	return ng_conn_new(fd, peer, &ws_ops, w, MAX_IN, pre, pre_len) ? 0 : -ECONNREFUSED;
}

void ws_close_all(void)
{
	ng_conn_close_all(&ws_ops);
}
