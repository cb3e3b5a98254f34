/* SPDX-License-Identifier: GPL-2.0-only */
/* ng over WebSocket (RFC 6455) on a connection the HTTP server upgraded: rtpengine's
 * subprotocols "ng.rtpengine.com" (each message "COOKIE SP BODY") and "ng-plain.rtpengine.com"
 * (each message a body without cookie). A reply goes in a frame of the request's type. */
#ifndef XRELAY_WS_H
#define XRELAY_WS_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_PROTO_NG	  "ng.rtpengine.com"
#define WS_PROTO_NG_PLAIN "ng-plain.rtpengine.com"

enum ws_opcode { WS_CONT = 0, WS_TEXT = 1, WS_BINARY = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

struct ws_frame {
	bool fin;
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	size_t hdr_len; /* the payload starts here */
	size_t len;	/* payload length */
};

/* Reads the frame header at b[0..len). Returns the whole frame's length when it is all in b,
 * 0 when more is needed, -EINVAL on a protocol error (reserved bits or opcode, a fragmented or
 * long control frame; unmasked when need_mask), -E2BIG when the payload exceeds max. */
int ws_frame_parse(const uint8_t *b, size_t len, size_t max, bool need_mask, struct ws_frame *f);
/* Writes the header of an unmasked frame (FIN set) carrying len bytes into hdr (14 bytes);
 * returns its length. */
size_t ws_frame_header(uint8_t hdr[14], enum ws_opcode op, size_t len);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key GUID)). 0 or -EINVAL. */
int ws_accept_key(const char *key, char out[29]);

/* Serves ng on an upgraded connection; pre[0..pre_len) was read past the handshake. release(arg,
 * fd) is called once when the connection ends (it closes fd). 0 or -errno (release called). */
int ws_start(int fd, const struct endpoint *peer, bool plain, const char *pre, size_t pre_len,
	     void (*release)(void *arg, int fd), void *arg);
/* Closes every WebSocket connection. */
void ws_close_all(void);

#endif
