// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end: the real xrelayd on loopback, driven over ng, relaying real RTP/RTCP between a
 * caller and a callee played by UDP sockets in this process. */
#include "e2e.h"
#include "ssrc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define LO "127.0.0.1"

struct call_fixture {
	struct daemon d;
	struct barena *a;
	struct leg caller, callee;
	uint16_t relay_for_caller, relay_for_callee; /* RTP ports the relay advertised */
	char call_id[64];
};

static void setup_call(struct call_fixture *f, const char *const *opts, const char *offer_flags,
		       const char *caller_attrs, const char *callee_attrs)
{
	char sdp[1024];
	struct bnode *r;
	static int seq;

	daemon_start(&f->d, opts);
	f->a = barena_new();
	leg_open(&f->caller);
	leg_open(&f->callee);
	snprintf(f->call_id, sizeof(f->call_id), "call-%d-%d", (int)getpid(), ++seq);
	r = ng(&f->d, f->a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"sdp\":\"%s\"%s}",
	       f->call_id, sdp_audio(sdp, sizeof(sdp), LO, f->caller.rtp_port, caller_attrs),
	       offer_flags ? offer_flags : "");
	expect_result(r, "ok");
	f->relay_for_callee = sdp_port(r);
	r = ng(&f->d, f->a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"to-tag\":\"callee\",\"sdp\":\"%s\"}",
	       f->call_id, sdp_audio(sdp, sizeof(sdp), LO, f->callee.rtp_port, callee_attrs));
	expect_result(r, "ok");
	f->relay_for_caller = sdp_port(r);
	assert_true(f->relay_for_caller && f->relay_for_callee);
	assert_int_not_equal(f->relay_for_caller, f->relay_for_callee);
}

static void teardown_call(struct call_fixture *f)
{
	leg_close(&f->caller);
	leg_close(&f->callee);
	barena_free(f->a);
	assert_int_equal(daemon_stop(&f->d), 0);
}

/* Sends one packet from one socket to a relay port and expects it, byte-identical, on the
 * other socket, coming from from_port (the port the relay advertised to the receiver). */
static void expect_relayed(int from_fd, uint16_t relay_port, int to_fd, uint16_t from_port,
			   const uint8_t *pkt, size_t len)
{
	uint8_t buf[2048];
	struct endpoint src;
	int n;

	assert_int_equal(udp_send(from_fd, LO, relay_port, pkt, len), 0);
	n = udp_recv(to_fd, buf, sizeof(buf), 1000, &src);
	if (n < 0)
		fail_msg("packet to relay port %u did not arrive", relay_port);
	assert_int_equal(n, (int)len);
	assert_memory_equal(buf, pkt, len);
	assert_int_equal(ep_port(&src), from_port);
}

static void expect_nothing(int fd, int ms)
{
	uint8_t buf[2048];

	assert_int_equal(udp_recv(fd, buf, sizeof(buf), ms, NULL), -1);
}

static void test_rtp_rtcp_both_ways(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	size_t len;
	struct bnode *r;

	setup_call(&f, NULL, NULL, NULL, NULL);
	for (uint16_t seq = 1; seq <= 5; seq++) {
		len = rtp_make(pkt, 0, seq, 0x1111, 160);
		expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee,
			       pkt, len);
		len = rtp_make(pkt, 8, seq, 0x2222, 160);
		expect_relayed(f.callee.rtp, f.relay_for_callee, f.caller.rtp, f.relay_for_caller,
			       pkt, len);
	}
	len = rtcp_make(pkt, 0x1111);
	expect_relayed(f.caller.rtcp, f.relay_for_caller + 1, f.callee.rtcp, f.relay_for_callee + 1,
		       pkt, len);
	len = rtcp_make(pkt, 0x2222);
	expect_relayed(f.callee.rtcp, f.relay_for_callee + 1, f.caller.rtcp, f.relay_for_caller + 1,
		       pkt, len);

	/* The counters of each party's streams saw exactly what that party sent. */
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "ok");
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/packets"), 5);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/bytes"), 5 * 172);
	assert_int_equal(bn_path_int(r, "tags/callee/medias/0/streams/0/stats/packets"), 5);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/1/stats/packets"), 1);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/local port"),
			 f.relay_for_caller);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/endpoint/port"),
			 f.caller.rtp_port);
	assert_int_equal(bn_path_int(r, "totals/RTP/packets"), 10);
	assert_int_equal(bn_path_int(r, "totals/RTCP/packets"), 2);
	assert_true(bn_path_int(r, "tags/callee/medias/0/streams/0/last packet") > 0);
	teardown_call(&f);
}

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* RTCP goes through the worker, which reads it: the callee's receiver report about the caller's
 * SSRC becomes that SSRC's call quality in the query reply, the round-trip time measured
 * against the caller's sender report as the relay saw it pass. Both are relayed unchanged. */
static void test_rtcp_ssrc_stats(void **state)
{
	const uint32_t caller_ssrc = 0x1111, callee_ssrc = 0x2222, ntp_mid = 0xaaaabbbb;
	struct call_fixture f;
	uint8_t sr[28], rr[32];
	const struct bnode *e;
	long long rtt;
	struct bnode *r;
	size_t n = 0;

	setup_call(&f, NULL, NULL, NULL, NULL);
	/* SR: V=2, RC=0, PT=200, length 6; NTP, RTP timestamp, packet and octet counts. */
	n += put32(sr + n, 0x80c80006);
	n += put32(sr + n, caller_ssrc);
	n += put32(sr + n, ntp_mid >> 16);
	n += put32(sr + n, ntp_mid << 16);
	n += put32(sr + n, 8000);
	n += put32(sr + n, 50);
	n += put32(sr + n, 50 * 160);
	expect_relayed(f.caller.rtcp, f.relay_for_caller + 1, f.callee.rtcp, f.relay_for_callee + 1,
		       sr, n);
	/* RR with one block about the caller: 25 % lost (64/256), 10 in all, jitter 160 at
	 * 8000 Hz = 20 ms, LSR the SR's, DLSR 0. */
	n = 0;
	n += put32(rr + n, 0x81c90007);
	n += put32(rr + n, callee_ssrc);
	n += put32(rr + n, caller_ssrc);
	n += put32(rr + n, 64u << 24 | 10);
	n += put32(rr + n, 100);
	n += put32(rr + n, 160);
	n += put32(rr + n, ntp_mid);
	n += put32(rr + n, 0);
	expect_relayed(f.callee.rtcp, f.relay_for_callee + 1, f.caller.rtcp, f.relay_for_caller + 1,
		       rr, n);

	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "ok");
	e = bn_path(r, "SSRC/4369"); /* 0x1111 */
	assert_non_null(e);
	assert_int_equal(bn_path_int(e, "cumulative loss"), 10);
	assert_int_equal(bn_path_int(e, "average MOS/packet loss"), 25);
	assert_int_equal(bn_path_int(e, "average MOS/jitter"), 20);
	assert_int_equal(bn_path_int(e, "average MOS/samples"), 1);
	rtt = bn_path_int(e, "average MOS/round-trip time");
	/* Loopback: the time between the SR passing the relay and the RR coming back. */
	assert_in_range(rtt, 0, 2000000);
	assert_int_equal(bn_path_int(e, "average MOS/MOS"), ssrc_mos(rtt, 20, 25));
	assert_int_equal(bn_path_int(e, "lowest MOS/MOS"), ssrc_mos(rtt, 20, 25));
	assert_null(bn_path(r, "SSRC/8738")); /* nobody reported on the callee's SSRC */
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/1/stats/rtcp errors"), 0);

	/* An RR whose length word claims a block more than it has: relayed as it is (the parties'
	 * business), counted, and no sample taken from it. */
	rr[3] = 8;
	expect_relayed(f.callee.rtcp, f.relay_for_callee + 1, f.caller.rtcp, f.relay_for_caller + 1,
		       rr, n);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	assert_int_equal(bn_path_int(r, "tags/callee/medias/0/streams/1/stats/rtcp errors"), 1);
	assert_int_equal(bn_path_int(r, "SSRC/4369/average MOS/samples"), 1);
	teardown_call(&f);
}

/* The caller is behind a NAT: its SDP names one port, its packets come from another. The
 * relay latches onto the source and sends the callee's media there. */
static void test_latching_nat(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	uint16_t nat_port;
	int nat = udp_open(LO, &nat_port);
	size_t len;
	struct bnode *r;

	setup_call(&f, NULL, NULL, NULL, NULL);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(nat, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt, len);
	len = rtp_make(pkt, 0, 1, 0x2222, 20);
	expect_relayed(f.callee.rtp, f.relay_for_callee, nat, f.relay_for_caller, pkt, len);
	expect_nothing(f.caller.rtp, 100);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/endpoint/port"), nat_port);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/advertised endpoint/port"),
			 f.caller.rtp_port);
	close(nat);
	teardown_call(&f);
}

/* With strict-source, once learned, packets from another source are dropped and counted. */
static void test_strict_source(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	uint16_t spoof_port;
	int spoof = udp_open(LO, &spoof_port);
	size_t len;
	struct bnode *r;

	setup_call(&f, NULL, ",\"flags\":[\"strict-source\"]", NULL, NULL);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	len = rtp_make(pkt, 0, 2, 0x6666, 20);
	assert_int_equal(udp_send(spoof, LO, f.relay_for_caller, pkt, len), 0);
	expect_nothing(f.callee.rtp, 200);
	/* The real caller still gets through. */
	len = rtp_make(pkt, 0, 3, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/errors"), 1);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/packets"), 2);
	close(spoof);
	teardown_call(&f);
}

/* Without strict-source a packet from another source is relayed but does not move the latch. */
static void test_non_strict_keeps_latch(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	uint16_t other_port;
	int other = udp_open(LO, &other_port);
	size_t len;

	setup_call(&f, NULL, NULL, NULL, NULL);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	len = rtp_make(pkt, 0, 2, 0x1111, 20);
	expect_relayed(other, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt, len);
	len = rtp_make(pkt, 0, 3, 0x2222, 20);
	expect_relayed(f.callee.rtp, f.relay_for_callee, f.caller.rtp, f.relay_for_caller, pkt,
		       len);
	expect_nothing(other, 100);
	close(other);
	teardown_call(&f);
}

/* A re-INVITE from the caller with the same endpoint keeps the relay's ports; one with a
 * new endpoint moves the media there, still on the same relay ports. */
static void test_reinvite(void **state)
{
	struct call_fixture f;
	struct leg moved;
	char sdp[1024];
	uint8_t pkt[256];
	struct bnode *r;
	size_t len;

	setup_call(&f, NULL, NULL, NULL, NULL);
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"caller\",\"to-tag\":"
	       "\"callee\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, f.caller.rtp_port, NULL));
	expect_result(r, "ok");
	assert_int_equal(sdp_port(r), f.relay_for_callee);
	r = ng(&f.d, f.a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"caller\",\"to-tag\":"
	       "\"callee\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, f.callee.rtp_port, NULL));
	expect_result(r, "ok");
	assert_int_equal(sdp_port(r), f.relay_for_caller);

	/* The callee moves to a new address in a re-INVITE of its own. */
	leg_open(&moved);
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"callee\",\"to-tag\":"
	       "\"caller\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, moved.rtp_port, NULL));
	expect_result(r, "ok");
	assert_int_equal(sdp_port(r), f.relay_for_caller);
	r = ng(&f.d, f.a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"callee\",\"to-tag\":"
	       "\"caller\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, f.caller.rtp_port, NULL));
	expect_result(r, "ok");
	assert_int_equal(sdp_port(r), f.relay_for_callee);
	len = rtp_make(pkt, 0, 7, 0x1111, 40);
	expect_relayed(f.caller.rtp, f.relay_for_caller, moved.rtp, f.relay_for_callee, pkt, len);
	expect_nothing(f.callee.rtp, 100);
	leg_close(&moved);
	teardown_call(&f);
}

static void test_delete_stops_media(void **state)
{
	static const char *const opts[] = {"--delete-delay=0", NULL};
	struct call_fixture f;
	uint8_t pkt[256];
	struct bnode *r;
	size_t len;

	setup_call(&f, opts, NULL, NULL, NULL);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	r = ng(&f.d, f.a, "{\"command\":\"delete\",\"call-id\":\"%s\",\"from-tag\":\"caller\"}",
	       f.call_id);
	expect_result(r, "ok");
	/* The delete reply carries the final counters. */
	assert_int_equal(bn_path_int(r, "totals/RTP/packets"), 1);
	assert_int_equal(udp_send(f.caller.rtp, LO, f.relay_for_caller, pkt, len), 0);
	expect_nothing(f.callee.rtp, 300);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "error");
	r = ng(&f.d, f.a, "{\"command\":\"statistics\"}");
	assert_int_equal(bn_path_int(r, "statistics/currentstatistics/sessionsown"), 0);
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/regularterminatedsessions"), 1);
	teardown_call(&f);
}

/* The delete delay keeps the call (and its media) for a while, then removes it. */
static void test_delete_delay(void **state)
{
	struct call_fixture f;
	struct bnode *r;

	setup_call(&f, NULL, NULL, NULL, NULL);
	r = ng(&f.d, f.a,
	       "{\"command\":\"delete\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"delete-delay\":1}",
	       f.call_id);
	expect_result(r, "ok");
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "ok");
	sleep(3);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "error");
	teardown_call(&f);
}

static void test_timeout(void **state)
{
	static const char *const opts[] = {"--timeout=1", NULL};
	struct call_fixture f;
	struct bnode *r;

	setup_call(&f, opts, NULL, NULL, NULL);
	sleep(3);
	r = ng(&f.d, f.a, "{\"command\":\"list\"}");
	expect_result(r, "ok");
	assert_int_equal(bn_path(r, "calls")->c.count, 0);
	r = ng(&f.d, f.a, "{\"command\":\"statistics\"}");
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/timeoutsessions"), 1);
	teardown_call(&f);
}

static void test_list_and_statistics(void **state)
{
	struct call_fixture f;
	struct bnode *r;
	uint8_t pkt[256];
	size_t len;

	setup_call(&f, NULL, NULL, NULL, NULL);
	len = rtp_make(pkt, 0, 1, 0x1111, 100);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	r = ng(&f.d, f.a, "{\"command\":\"list\"}");
	expect_result(r, "ok");
	assert_int_equal(bn_path(r, "calls")->c.count, 1);
	assert_true(bn_str_eq(bn_path(r, "calls/0"), f.call_id));
	r = ng(&f.d, f.a, "{\"command\":\"statistics\"}");
	expect_result(r, "ok");
	assert_int_equal(bn_path_int(r, "statistics/currentstatistics/sessionsown"), 1);
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/managedsessions"), 1);
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/relayedpackets"), 1);
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/relayedbytes"), 112);
	teardown_call(&f);
}

/* The caller offers rtcp-mux, the callee accepts: RTCP rides on the RTP ports both ways. */
static void test_rtcp_mux(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	size_t len;

	setup_call(&f, NULL, NULL, "a=rtcp-mux\\r\\n", "a=rtcp-mux\\r\\n");
	len = rtcp_make(pkt, 0x1111);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	len = rtcp_make(pkt, 0x2222);
	expect_relayed(f.callee.rtp, f.relay_for_callee, f.caller.rtp, f.relay_for_caller, pkt,
		       len);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	teardown_call(&f);
}

/* rtcp-mux demux: the caller muxes, the callee gets separate RTCP; the relay translates. */
static void test_rtcp_demux(void **state)
{
	struct call_fixture f;
	uint8_t pkt[256];
	size_t len;

	setup_call(&f, NULL, ",\"rtcp-mux\":[\"demux\",\"accept\"]", "a=rtcp-mux\\r\\n", NULL);
	len = rtcp_make(pkt, 0x1111);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtcp, f.relay_for_callee + 1, pkt,
		       len);
	len = rtcp_make(pkt, 0x2222);
	expect_relayed(f.callee.rtcp, f.relay_for_callee + 1, f.caller.rtp, f.relay_for_caller, pkt,
		       len);
	teardown_call(&f);
}

static void test_sdp_rewrite(void **state)
{
	static const char *const opts[] = {"--interface=127.0.0.1!192.0.2.10", NULL};
	struct daemon d;
	struct barena *a = barena_new();
	char sdp[1024], expect[256];
	struct bnode *r;

	daemon_start(&d, opts);
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"rw\",\"from-tag\":\"x\","
	       "\"replace\":[\"origin\"],\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), "127.0.0.1", 4000, "a=sendonly\\r\\n"));
	expect_result(r, "ok");
	assert_true(sdp_has(r, "o=- 1545997027 1 IN IP4 192.0.2.10\r\n"));
	assert_true(sdp_has(r, "c=IN IP4 192.0.2.10\r\n"));
	assert_true(sdp_has(r, "a=sendonly\r\n"));
	assert_true(sdp_has(r, "a=rtpmap:101 telephone-event/8000\r\n"));
	snprintf(expect, sizeof(expect), "a=rtcp:%u\r\n", sdp_port(r) + 1);
	assert_true(sdp_has(r, expect));
	assert_int_equal(sdp_port(r) % 2, 0);
	barena_free(a);
	assert_int_equal(daemon_stop(&d), 0);
}

/* Bad requests get result error with a reason; the daemon keeps serving. */
static void test_bad_input(void **state)
{
	static const struct {
		const char *body;
		const char *reason;
	} rows[] = {
		{"d7:command4:ping", "Could not decode bencode dictionary"},
		{"l4:pinge", "Could not decode dictionary"},
		{"i42e", "Could not decode dictionary"},
		{"d7:command5:fancye", "Unrecognized command"},
		{"d3:foo3:bare", "No command in message"},
		{"d7:commandi1ee", "No command in message"},
		{"d7:command5:offer8:from-tag1:a3:sdp3:xyze", "No call-id in message"},
		{"d7:command5:offer7:call-id1:c3:sdp3:xyze", "No from-tag in message"},
		{"d7:command5:offer7:call-id1:c8:from-tag1:ae", "No SDP body in message"},
		{"d7:command5:offer7:call-id1:c8:from-tag1:a3:sdp3:xyze", "Failed to parse SDP: "},
		{"d7:command6:answer7:call-id7:unknown8:from-tag1:a6:to-tag1:b3:sdp3:xyze",
		 "Unknown call-id"},
		{"d7:command5:query7:call-id7:unknowne", "Unknown call-id"},
		{"d7:command5:offer7:call-idi5e8:from-tag1:a3:sdp3:xyze",
		 "Invalid value type for key 'call-id'"},
		{"{\"command\": 42}", "No command in message"},
		{"{not json", "Could not decode JSON dictionary"},
		{"", "Could not decode bencode dictionary"},
	};
	struct call_fixture f;
	uint8_t pkt[256];
	size_t len;

	setup_call(&f, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct barena *a = barena_new();
		struct bnode *r;
		const char *reason;
		char *reply;
		size_t rlen;

		assert_int_equal(ng_client_call_raw(&f.d.ng_client, rows[i].body,
						    strlen(rows[i].body), &reply, &rlen),
				 0);
		if (rows[i].body[0] == '{') {
			char err[128];

			assert_int_equal(json_parse_bnode(a, reply, rlen, &r, err, sizeof(err)), 0);
		} else {
			const char *perr;

			assert_int_equal(bencode_parse(a, reply, rlen, &r, &perr), 0);
		}
		expect_result(r, "error");
		reason = bn_dict_get_str(r, "error-reason");
		assert_non_null(reason);
		if (strncmp(reason, rows[i].reason, strlen(rows[i].reason)))
			fail_msg("row %zu: reason '%s', expected '%s'", i, reason, rows[i].reason);
		free(reply);
		barena_free(a);
	}
	/* Oversized: a 60 KB request. */
	{
		size_t big = 60000;
		char *body = malloc(big), *reply;
		size_t rlen;

		memset(body, 'x', big);
		memcpy(body, "d7:command4:ping3:pad59950:", 27);
		body[big - 1] = 'e';
		assert_int_equal(ng_client_call_raw(&f.d.ng_client, body, big, &reply, &rlen), 0);
		assert_non_null(strstr(reply, "Request too large"));
		free(reply);
		free(body);
	}
	expect_result(ng(&f.d, f.a, "{\"command\":\"ping\"}"), "pong");
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	teardown_call(&f);
}

/* A retransmitted request (same cookie) gets the byte-identical reply and runs once. */
static void test_retransmission(void **state)
{
	struct daemon d;
	struct barena *a = barena_new();
	char sdp[1024], body[2048], msg[2100], r1[4096], r2[4096];
	int fd, n1, n2;
	uint16_t port;
	struct endpoint srv;
	struct bnode *r;

	daemon_start(&d, NULL);
	fd = udp_open(LO, &port);
	ep_parse(&srv, d.ng, NULL);
	sdp_audio(sdp, sizeof(sdp), LO, 5000, NULL);
	/* bencode needs the real CRLFs: unescape the JSON-style ones. */
	for (char *p; (p = strstr(sdp, "\\r\\n"));)
		memmove(p + 2, p + 4, strlen(p + 4) + 1), p[0] = '\r', p[1] = '\n';
	snprintf(body, sizeof(body), "d7:command5:offer7:call-id2:rt8:from-tag1:a3:sdp%zu:%se",
		 strlen(sdp), sdp);
	n1 = snprintf(msg, sizeof(msg), "c00kie %s", body);
	assert_int_equal(udp_send(fd, LO, ep_port(&srv), msg, (size_t)n1), 0);
	n1 = udp_recv(fd, r1, sizeof(r1), 1000, NULL);
	assert_int_equal(udp_send(fd, LO, ep_port(&srv), msg, strlen(msg)), 0);
	n2 = udp_recv(fd, r2, sizeof(r2), 1000, NULL);
	assert_true(n1 > 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, (size_t)n1);
	assert_memory_equal(r1, "c00kie d", 8);
	r = ng(&d, a, "{\"command\":\"statistics\"}");
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/managedsessions"), 1);
	/* A delete retransmitted after it ran still says ok (not "unknown call"). */
	n1 = snprintf(msg, sizeof(msg), "del1 d7:command6:delete7:call-id2:rte");
	assert_int_equal(udp_send(fd, LO, ep_port(&srv), msg, (size_t)n1), 0);
	n1 = udp_recv(fd, r1, sizeof(r1), 1000, NULL);
	assert_int_equal(udp_send(fd, LO, ep_port(&srv), msg, strlen(msg)), 0);
	n2 = udp_recv(fd, r2, sizeof(r2), 1000, NULL);
	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, (size_t)n1);
	assert_non_null(memmem(r1, (size_t)n1, "6:result2:ok", 12));
	close(fd);
	barena_free(a);
	assert_int_equal(daemon_stop(&d), 0);
}

/* A JSON request is answered in JSON. */
static void test_json_request(void **state)
{
	struct daemon d;
	char *reply;
	size_t len;
	const char *req = "{\"command\":\"ping\"}";

	daemon_start(&d, NULL);
	assert_int_equal(ng_client_call_raw(&d.ng_client, req, strlen(req), &reply, &len), 0);
	assert_string_equal(reply, "{\"result\":\"pong\"}");
	free(reply);
	assert_int_equal(daemon_stop(&d), 0);
}

/* The rtpp_flags single-string form. */
static void test_rtpp_flags(void **state)
{
	static const char *const opts[] = {"--interface=127.0.0.1!192.0.2.20", NULL};
	struct daemon d;
	struct barena *a = barena_new();
	char sdp[1024];
	struct bnode *r;

	daemon_start(&d, opts);
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"rf\",\"from-tag\":\"x\","
	       "\"rtpp_flags\":\"replace-origin  rtcp-mux-offer unknown-flag foo=bar\","
	       "\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), "127.0.0.1", 4000, NULL));
	expect_result(r, "ok");
	assert_true(sdp_has(r, "IN IP4 192.0.2.20\r\ns="));
	assert_true(sdp_has(r, "a=rtcp-mux\r\n"));
	barena_free(a);
	assert_int_equal(daemon_stop(&d), 0);
}

/* The codec options without transcoding: strip (dict and rtpp_flags forms), the empty-result
 * error. */
static void test_codec_strip(void **state)
{
	static const char *const forms[] = {
		"\"codec\":{\"strip\":[\"PCMA\"]}",
		"\"rtpp_flags\":\"replace-origin codec-strip-PCMA\"",
		"\"flags\":[\"codec-strip-pcma\"]",
	};
	struct daemon d;
	struct barena *a = barena_new();
	char sdp[1024];
	struct bnode *r;

	daemon_start(&d, NULL);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		print_message("form %s\n", forms[i]);
		r = ng(&d, a,
		       "{\"command\":\"offer\",\"call-id\":\"cs%zu\",\"from-tag\":\"x\",%s,"
		       "\"sdp\":\"%s\"}",
		       i, forms[i],
		       sdp_audio(
			       sdp, sizeof(sdp), LO, 4000,
			       "a=rtpmap:8 PCMA/8000\\r\\na=fmtp:101 0-15\\r\\na=ptime:20\\r\\n"));
		expect_result(r, "ok");
		assert_true(sdp_has(r, " RTP/AVP 0 101\r\n"));
		assert_false(sdp_has(r, "PCMA"));
		assert_true(sdp_has(r, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
				       "a=ptime:20\r\n"));
	}
	/* Without options the codecs pass unchanged. */
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"cs-none\",\"from-tag\":\"x\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 4000, NULL));
	expect_result(r, "ok");
	assert_true(sdp_has(r, " RTP/AVP 0 8 101\r\n"));
	/* all + except, offer order */
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"cs-all\",\"from-tag\":\"x\","
	       "\"codec\":{\"strip\":[\"all\"],\"offer\":[\"PCMA\",\"PCMU\"]},\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 4000, NULL));
	expect_result(r, "ok");
	assert_true(sdp_has(r, " RTP/AVP 8 0\r\n"));
	assert_false(sdp_has(r, "telephone-event"));
	/* Nothing left: an error, and no call. */
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"cs-empty\",\"from-tag\":\"x\","
	       "\"codec\":{\"strip\":[\"all\"]},\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 4000, NULL));
	expect_result(r, "error");
	assert_string_equal(bn_dict_get_str(r, "error-reason"),
			    "No codec left after codec options");
	r = ng(&d, a, "{\"command\":\"query\",\"call-id\":\"cs-empty\"}");
	expect_result(r, "error");
	barena_free(a);
	assert_int_equal(daemon_stop(&d), 0);
}

/* Forking: two answers with different to-tags; the latest one gets the media. */
static void test_forking(void **state)
{
	struct call_fixture f;
	struct leg fork2;
	char sdp[1024];
	uint8_t pkt[256];
	struct bnode *r;
	size_t len;

	setup_call(&f, NULL, NULL, NULL, NULL);
	leg_open(&fork2);
	r = ng(&f.d, f.a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"to-tag\":\"fork2\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, fork2.rtp_port, NULL));
	expect_result(r, "ok");
	assert_int_equal(sdp_port(r), f.relay_for_caller);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, fork2.rtp, f.relay_for_callee, pkt, len);
	r = ng(&f.d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	assert_non_null(bn_path(r, "tags/fork2"));
	leg_close(&fork2);
	teardown_call(&f);
}

/* IPv4 caller, IPv6 callee (address-family IP6): the relay bridges the families. */
static void test_ipv4_to_ipv6(void **state)
{
	static const char *const opts[] = {"--interface=127.0.0.1", "--interface=::1", NULL};
	struct daemon d;
	struct barena *a = barena_new();
	char sdp[1024];
	uint8_t pkt[256], buf[512];
	uint16_t p4, p6, relay4, relay6;
	int s4 = udp_open("127.0.0.1", &p4), s6 = udp_open("::1", &p6);
	struct endpoint src;
	struct bnode *r;
	size_t len;

	assert_true(s4 >= 0 && s6 >= 0);
	daemon_start(&d, opts);
	r = ng(&d, a,
	       "{\"command\":\"offer\",\"call-id\":\"v6\",\"from-tag\":\"x\","
	       "\"address-family\":\"IP6\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), "127.0.0.1", p4, NULL));
	expect_result(r, "ok");
	assert_true(sdp_has(r, "c=IN IP6 ::1\r\n"));
	relay6 = sdp_port(r);
	r = ng(&d, a,
	       "{\"command\":\"answer\",\"call-id\":\"v6\",\"from-tag\":\"x\",\"to-tag\":\"y\","
	       "\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), "::1", p6, NULL));
	expect_result(r, "ok");
	assert_true(sdp_has(r, "c=IN IP4 127.0.0.1\r\n"));
	relay4 = sdp_port(r);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	assert_int_equal(udp_send(s4, "127.0.0.1", relay4, pkt, len), 0);
	assert_int_equal(udp_recv(s6, buf, sizeof(buf), 1000, &src), (int)len);
	assert_int_equal(ep_family(&src), AF_INET6);
	assert_int_equal(ep_port(&src), relay6);
	assert_int_equal(udp_send(s6, "::1", relay6, pkt, len), 0);
	assert_int_equal(udp_recv(s4, buf, sizeof(buf), 1000, &src), (int)len);
	assert_int_equal(ep_port(&src), relay4);
	close(s4);
	close(s6);
	barena_free(a);
	assert_int_equal(daemon_stop(&d), 0);
}

/* A port range with room for one call: the second gets "Ran out of ports"; the first keeps
 * working, and after its delete (and the quarantine) the ports come back. */
static void test_port_exhaustion(void **state)
{
	static const char *const opts[] = {"--port-min=39000", "--port-max=39003",
					   "--port-quarantine=0", "--delete-delay=0", NULL};
	struct call_fixture f;
	char sdp[1024];
	struct bnode *r;
	uint8_t pkt[256];
	size_t len;

	setup_call(&f, opts, NULL, NULL, NULL);
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"second\",\"from-tag\":\"x\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 6000, NULL));
	expect_result(r, "error");
	assert_string_equal(bn_dict_get_str(r, "error-reason"), "Ran out of ports");
	r = ng(&f.d, f.a, "{\"command\":\"list\"}");
	assert_int_equal(bn_path(r, "calls")->c.count, 1);
	len = rtp_make(pkt, 0, 1, 0x1111, 20);
	expect_relayed(f.caller.rtp, f.relay_for_caller, f.callee.rtp, f.relay_for_callee, pkt,
		       len);
	r = ng(&f.d, f.a, "{\"command\":\"delete\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "ok");
	sleep(2); /* the ports come back at the next tick */
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"third\",\"from-tag\":\"x\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 6000, NULL));
	expect_result(r, "ok");
	teardown_call(&f);
}

/* --max-sessions: a new call past the limit is refused (an error, or result "load limit" for a
 * client that says it supports it); a re-INVITE of a running call goes through. */
static void test_session_limit(void **state)
{
	static const char *const opts[] = {"--max-sessions=1", NULL};
	struct call_fixture f;
	char sdp[1024];
	struct bnode *r;

	setup_call(&f, opts, NULL, NULL, NULL);
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"two\",\"from-tag\":\"x\",\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 6000, NULL));
	expect_result(r, "error");
	assert_string_equal(bn_dict_get_str(r, "error-reason"), "Parallel session limit reached");
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"two\",\"from-tag\":\"x\","
	       "\"supports\":[\"load limit\"],\"sdp\":\"%s\"}",
	       sdp_audio(sdp, sizeof(sdp), LO, 6000, NULL));
	expect_result(r, "load limit");
	assert_string_equal(bn_dict_get_str(r, "message"), "Parallel session limit reached");
	r = ng(&f.d, f.a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"caller\",\"to-tag\":"
	       "\"callee\",\"sdp\":\"%s\"}",
	       f.call_id, sdp_audio(sdp, sizeof(sdp), LO, f.caller.rtp_port, NULL));
	expect_result(r, "ok");
	r = ng(&f.d, f.a, "{\"command\":\"statistics\"}");
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/rejectedsessions"), 2);
	assert_int_equal(bn_path_int(r, "statistics/currentstatistics/sessionsown"), 1);
	teardown_call(&f);
}

/* The daemon test_ng_allow starts itself (daemon_start needs UDP ng from 127.0.0.1). */
static pid_t allow_pid;

static int ng_allow_teardown(void **state)
{
	if (allow_pid > 0) {
		kill(allow_pid, SIGTERM);
		waitpid(allow_pid, NULL, 0);
		allow_pid = 0;
	}
	return daemons_teardown(state);
}

/* A free TCP port on 127.0.0.1. */
static uint16_t free_tcp_port(void)
{
	struct endpoint ep;
	socklen_t len = sizeof(ep);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ep_parse(&ep, "127.0.0.1:0", NULL);
	assert_true(fd >= 0 && !bind(fd, &ep.sa, ep_len(&ep)) && !getsockname(fd, &ep.sa, &len));
	close(fd);
	return ep_port(&ep);
}

/* Connects to 127.0.0.1:port, sends req, returns what came back before the server closed. */
static int tcp_exchange(uint16_t port, const char *req, char *buf, size_t len)
{
	struct timeval tv = {2, 0};
	struct endpoint ep;
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ep_parse_ip(&ep, LO);
	ep_set_port(&ep, port);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, &ep.sa, ep_len(&ep)), 0);
	/* The server may already have closed: a send error is the refusal too. */
	send(fd, req, strlen(req), MSG_NOSIGNAL);
	while (got < len - 1 && (n = recv(fd, buf + got, len - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(fd);
	return (int)got;
}

/* --ng-allow=10.0.0.0/8: requests from 127.0.0.1 get no reply over UDP, a closed connection
 * over TCP and 403 over HTTP, each counted in ngdenied; the control socket is not filtered.
 * With --ng-allow=127.0.0.0/8 the same requests work. */
static void test_ng_allow(void **state)
{
	static const char *const inside[] = {"--ng-allow=127.0.0.0/8", NULL};
	char dir[] = "/tmp/xrelay-allow-XXXXXX", sock[128], unix_srv[140], listen[64], tcp[64];
	char http[64], ctl[160], log[128], buf[512], *reply;
	struct ng_client udp, local;
	struct barena *a = barena_new();
	struct bnode *r;
	struct daemon d;
	uint16_t port;
	size_t len;
	int fd, ok = -1;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/xrelayd.sock", dir);
	snprintf(unix_srv, sizeof(unix_srv), "unix:%s", sock);
	snprintf(ctl, sizeof(ctl), "--control-socket=%s", sock);
	fd = udp_open(LO, &port);
	assert_true(fd >= 0);
	close(fd);
	snprintf(listen, sizeof(listen), "--listen-ng=127.0.0.1:%u", port);
	snprintf(tcp, sizeof(tcp), "--listen-tcp-ng=127.0.0.1:%u", free_tcp_port());
	snprintf(http, sizeof(http), "--listen-http=127.0.0.1:%u", free_tcp_port());
	snprintf(log, sizeof(log), "build/test-logs/xrelayd-allow-%d.log", (int)getpid());
	allow_pid = fork();
	assert_true(allow_pid >= 0);
	if (allow_pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("build/xrelayd", "build/xrelayd", "--foreground", "--log-stderr",
		      "--config-file=none", "--xdp=off", listen, tcp, http, ctl,
		      "--ng-allow=10.0.0.0/8", "--state-dir=none", (char *)NULL);
		_exit(127);
	}
	/* Up when its control socket answers ping. */
	for (int i = 0; i < 100 && ok; i++) {
		usleep(50000);
		if (ng_client_open(&local, unix_srv))
			continue;
		local.timeout_ms = 500;
		ok = ng_client_call_raw(&local, "d7:command4:pinge", 17, &reply, &len);
		if (!ok)
			free(reply);
		else
			ng_client_close(&local);
	}
	assert_int_equal(ok, 0);

	/* UDP: dropped without a reply, three times. */
	assert_int_equal(ng_client_open(&udp, listen + strlen("--listen-ng=")), 0);
	udp.timeout_ms = 300;
	udp.retries = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ng_client_call_raw(&udp, "d7:command4:pinge", 17, &reply, &len),
				 -ETIMEDOUT);
	ng_client_close(&udp);
	/* TCP: closed without a byte. */
	assert_int_equal(tcp_exchange((uint16_t)atoi(strchr(tcp, ':') + 1), "c1 d7:command4:pinge",
				      buf, sizeof(buf)),
			 0);
	/* HTTP, /metrics included: 403. */
	tcp_exchange((uint16_t)atoi(strchr(http, ':') + 1),
		     "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	if (strncmp(buf, "HTTP/1.1 403", 12))
		fail_msg("HTTP answered '%.60s', expected 403", buf);

	r = NULL;
	{
		struct bnode *req;
		char jerr[64];

		assert_int_equal(json_parse_bnode(a, "{\"command\":\"statistics\"}", 24, &req, jerr,
						  sizeof(jerr)),
				 0);
		assert_int_equal(ng_client_call(&local, a, req, &r), 0);
	}
	expect_result(r, "ok");
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/ngdenied"), 5);
	ng_client_close(&local);
	kill(allow_pid, SIGTERM);
	assert_int_equal(waitpid(allow_pid, &ok, 0), allow_pid);
	allow_pid = 0;
	assert_true(WIFEXITED(ok) && WEXITSTATUS(ok) == 0);
	rmdir(dir);

	/* Inside the list: daemon_start's UDP ping from 127.0.0.1 already proves it. */
	daemon_start(&d, inside);
	r = ng(&d, a, "{\"command\":\"statistics\"}");
	expect_result(r, "ok");
	assert_int_equal(bn_path_int(r, "statistics/totalstatistics/ngdenied"), 0);
	assert_int_equal(daemon_stop(&d), 0);
	barena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rtp_rtcp_both_ways, daemons_teardown),
		cmocka_unit_test_teardown(test_latching_nat, daemons_teardown),
		cmocka_unit_test_teardown(test_strict_source, daemons_teardown),
		cmocka_unit_test_teardown(test_non_strict_keeps_latch, daemons_teardown),
		cmocka_unit_test_teardown(test_reinvite, daemons_teardown),
		cmocka_unit_test_teardown(test_delete_stops_media, daemons_teardown),
		cmocka_unit_test_teardown(test_delete_delay, daemons_teardown),
		cmocka_unit_test_teardown(test_timeout, daemons_teardown),
		cmocka_unit_test_teardown(test_list_and_statistics, daemons_teardown),
		cmocka_unit_test_teardown(test_rtcp_mux, daemons_teardown),
		cmocka_unit_test_teardown(test_rtcp_demux, daemons_teardown),
		cmocka_unit_test_teardown(test_rtcp_ssrc_stats, daemons_teardown),
		cmocka_unit_test_teardown(test_sdp_rewrite, daemons_teardown),
		cmocka_unit_test_teardown(test_bad_input, daemons_teardown),
		cmocka_unit_test_teardown(test_retransmission, daemons_teardown),
		cmocka_unit_test_teardown(test_json_request, daemons_teardown),
		cmocka_unit_test_teardown(test_rtpp_flags, daemons_teardown),
		cmocka_unit_test_teardown(test_codec_strip, daemons_teardown),
		cmocka_unit_test_teardown(test_forking, daemons_teardown),
		cmocka_unit_test_teardown(test_ipv4_to_ipv6, daemons_teardown),
		cmocka_unit_test_teardown(test_port_exhaustion, daemons_teardown),
		cmocka_unit_test_teardown(test_session_limit, daemons_teardown),
		cmocka_unit_test_teardown(test_ng_allow, ng_allow_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
