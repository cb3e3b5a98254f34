/* SPDX-License-Identifier: GPL-2.0-only */
/* A small ng protocol client (bencode over UDP, or over xrelayd's local unix datagram control
 * socket): used by the tests, the tools and relayctl. */
#ifndef XRELAY_NG_CLIENT_H
#define XRELAY_NG_CLIENT_H

#include "addr.h"
#include "bencode.h"

struct ng_client {
	int fd;
	struct endpoint server;
	unsigned int timeout_ms; /* per attempt; default 1000 */
	unsigned int retries;	 /* retransmissions with the same cookie; default 2 */
	unsigned long cookie_seq;
};

/* Connects a UDP socket to server ("IP:PORT", "[IPv6]:PORT" or "PORT" on 127.0.0.1), or a unix
 * datagram socket to "unix:/PATH" (bound to an abstract address of its own, chosen by the
 * kernel, so that the daemon can reply; server stays unset then). -EINVAL when server is
 * neither; a missing or dead unix socket gives -ENOENT or -ECONNREFUSED here already. */
int ng_client_open(struct ng_client *c, const char *server);
void ng_client_close(struct ng_client *c);
/* Sends req (a dict) as bencode with a fresh cookie, waits for the reply with that cookie
 * (retransmitting on timeout) and parses it into *reply (allocated in a). 0 or -errno
 * (-ETIMEDOUT when the daemon does not answer, -EPROTO when the reply does not parse). */
int ng_client_call(struct ng_client *c, struct barena *a, const struct bnode *req,
		   struct bnode **reply);
/* Same, with a raw payload (after "COOKIE "); the reply body is returned as bytes (malloc'd,
 * NUL-terminated; any size the socket delivers). */
int ng_client_call_raw(struct ng_client *c, const char *body, size_t len, char **reply,
		       size_t *reply_len);

#endif
