/* SPDX-License-Identifier: GPL-2.0-only */
/* End-to-end test helpers: start/stop the real xrelayd by PID, drive it over ng, and play
 * caller and callee with UDP sockets on loopback. */
#ifndef XRELAY_TEST_E2E_H
#define XRELAY_TEST_E2E_H

#include "addr.h"
#include "bencode.h"
#include "ng_client.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;
	char ng[EP_STRLEN];
	char log[128];
	struct ng_client ng_client;
};

/* Starts build/xrelayd --foreground --log-stderr with the given extra options (NULL-ended)
 * and an ng port of its own; waits until it answers ping. Aborts the test on failure. */
void daemon_start(struct daemon *d, const char *const *extra);
/* SIGTERM, wait; returns the exit status (or -1 when it had to be killed). */
int daemon_stop(struct daemon *d);
/* A cmocka teardown: stops every daemon a failed test left running. */
int daemons_teardown(void **state);
/* 0 when the process still runs. */
int daemon_alive(const struct daemon *d);

/* One ng request: req given as JSON text (printf-formatted). Returns the reply dict allocated
 * in a (the test fails when there is no reply). */
struct bnode *ng(struct daemon *d, struct barena *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The reply's "result" equals want; else fails the test, printing the reply. */
void expect_result(const struct bnode *reply, const char *want);

/* A party's RTP and RTCP sockets on 127.0.0.1: consecutive ports, RTP even (RTCP goes to the
 * RTP port + 1 when the SDP has no a=rtcp). leg_open fails the test when it finds no pair. */
struct leg {
	int rtp, rtcp;
	uint16_t rtp_port, rtcp_port;
};
void leg_open(struct leg *l);
void leg_close(struct leg *l);

/* A UDP socket bound to 127.0.0.1 (or ip) on a free port; its port in *port. */
int udp_open(const char *ip, uint16_t *port);
int udp_send(int fd, const char *ip, uint16_t port, const void *buf, size_t len);
/* Waits up to ms for one datagram; returns its length (-1 on timeout) and the source. */
int udp_recv(int fd, void *buf, size_t len, int ms, struct endpoint *from);
/* Drains whatever is queued; returns how many datagrams. */
int udp_drain(int fd, int ms);

/* A minimal RTP packet (v2, pt, seq, ts, ssrc) with payload bytes i & 0xff; returns length. */
size_t rtp_make(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc, size_t payload);
/* A minimal RTCP receiver report (PT 201) for ssrc; returns length. */
size_t rtcp_make(uint8_t *buf, uint32_t ssrc);

/* An SDP offer/answer with one audio m= line (JSON-escaped CRLF, for ng()). extra_attrs is
 * appended as-is (already "\\r\\n"-escaped) after the m= line's attributes. */
const char *sdp_audio(char *buf, size_t len, const char *ip, uint16_t port, const char *attrs);
/* From an SDP in a reply, the port of the first m= line, and the a=rtcp port (0 if none). */
uint16_t sdp_port(const struct bnode *reply);
uint16_t sdp_rtcp_port(const struct bnode *reply);
/* True when the reply's SDP contains s. */
bool sdp_has(const struct bnode *reply, const char *s);

/* A dict path lookup: "tags/a/medias" style, with list indexes as numbers. */
const struct bnode *bn_path(const struct bnode *n, const char *path);
long long bn_path_int(const struct bnode *n, const char *path);

#endif
