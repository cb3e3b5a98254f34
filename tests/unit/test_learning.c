// SPDX-License-Identifier: GPL-2.0-only
/* Endpoint learning: stream_accept_source's rules for every learn mode and flag, replayed as
 * packet sequences with explicit monotonic times; stream_dest and stream_snapshot after each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"

#define SDP   "192.0.2.10:4000"	  /* what the peer's SDP said */
#define NAT   "198.51.100.7:5000" /* where its packets really come from */
#define NAT2  "198.51.100.7:5002" /* same host, another port */
#define OTHER "203.0.113.9:6000"  /* a third party */
#define NONE  ""		  /* unset */

#define T0 1000 /* monotonic seconds of the first packet */

struct step {
	bool relearn; /* set cfg.relearn before this packet (a new SDP endpoint) */
	const char *src;
	time_t now;
	bool accept;
	const char *dest;    /* stream_dest() after the packet */
	const char *learned; /* stream_snapshot()'s address after the packet */
};

struct row {
	const char *name;
	enum learn_mode learn;
	unsigned int flags;
	const char *expected; /* cfg.expected */
	struct step steps[12];
};

static const struct row rows[] = {
	/* heuristic (the default) */
	{"heuristic: latch on the first source; others relayed only inside the window",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, NAT, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT}, /* accepted, the latch stays */
		 {false, OTHER, T0 + LEARN_WINDOW - 1, true, NAT, NAT},
		 {false, OTHER, T0 + LEARN_WINDOW, false, NAT, NAT}, /* dropped from now on */
		 {false, NAT2, T0 + LEARN_WINDOW, false, NAT, NAT},  /* same IP, other port */
		 {false, NAT, T0 + 60, true, NAT, NAT},
		 {false, OTHER, T0 + 60, false, NAT, NAT},
	 }},
	{"heuristic: the SDP address re-latches inside the window",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + 2, true, SDP, SDP},
		 {false, NAT, T0 + 2, true, SDP, SDP}, /* the SDP address keeps it */
		 {false, OTHER, T0 + 2, true, SDP, SDP},
		 {false, NAT, T0 + 3, false, SDP, SDP}, /* the first latch is a stranger now */
		 {false, SDP, T0 + 3, true, SDP, SDP},
	 }},
	{"heuristic: the SDP address takes over after the window too",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + LEARN_WINDOW, false, NAT, NAT},
		 {false, SDP, T0 + LEARN_WINDOW, true, SDP, SDP},
		 {false, NAT, T0 + 4, false, SDP, SDP}, /* and nobody takes it back */
		 {false, OTHER, T0 + 100, false, SDP, SDP},
		 {false, SDP, T0 + 100, true, SDP, SDP},
	 }},
	{"heuristic: the window counts from the first packet, not the stranger's",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 2, true, NAT, NAT},
		 {false, OTHER, T0 + 3, false, NAT, NAT},
	 }},
	{"heuristic: the window counts from a late first packet",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0 + 500, true, NAT, NAT},
		 {false, OTHER, T0 + 502, true, NAT, NAT},
		 {false, OTHER, T0 + 503, false, NAT, NAT},
	 }},
	{"heuristic: the port matters",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, "192.0.2.10:4002", T0, true, "192.0.2.10:4002", "192.0.2.10:4002"},
		 {false, SDP, T0 + 1, true, SDP, SDP},
		 {false, "192.0.2.10:4002", T0 + 5, false, SDP, SDP},
	 }},
	{"heuristic: no SDP address",
	 LEARN_HEURISTIC,
	 0,
	 NONE,
	 {
		 {false, NONE, 0, false, NONE, NONE}, /* before any packet */
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 3, false, NAT, NAT},
		 {false, NAT, T0 + 3, true, NAT, NAT},
	 }},
	{"heuristic: IPv6",
	 LEARN_HEURISTIC,
	 0,
	 "[2001:db8::10]:4000",
	 {
		 {false, "[2001:db8::99]:5000", T0, true, "[2001:db8::99]:5000",
		  "[2001:db8::99]:5000"},
		 {false, "[2001:db8::10]:4000", T0 + 1, true, "[2001:db8::10]:4000",
		  "[2001:db8::10]:4000"},
		 {false, "[2001:db8::99]:5000", T0 + 3, false, "[2001:db8::10]:4000",
		  "[2001:db8::10]:4000"},
	 }},

	/* immediate */
	{"immediate: the first source, and the SDP address does not win",
	 LEARN_IMMEDIATE,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT},
		 {false, SDP, T0 + 10, true, NAT, NAT}, /* relayed, the latch stays */
		 {false, OTHER, T0 + 10, false, NAT, NAT},
	 }},

	/* delayed */
	{"delayed: no latch inside the window, the latest source after",
	 LEARN_DELAYED,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, OTHER, T0 + 1, true, SDP, NONE},
		 {false, NAT, T0 + 2, true, SDP, NONE},
		 {false, OTHER, T0 + LEARN_WINDOW, true, OTHER, OTHER},
		 {false, NAT, T0 + 4, false, OTHER, OTHER},
		 {false, SDP, T0 + 5, true, OTHER, OTHER}, /* relayed, the latch stays */
	 }},
	{"delayed: a late first packet opens the window",
	 LEARN_DELAYED,
	 0,
	 SDP,
	 {
		 {false, NAT, T0 + 500, true, SDP, NONE},
		 {false, NAT, T0 + 502, true, SDP, NONE},
		 {false, NAT, T0 + 503, true, NAT, NAT},
	 }},
	{"delayed: nothing to send to before the window ends without an SDP address",
	 LEARN_DELAYED,
	 0,
	 NONE,
	 {
		 {false, NAT, T0, true, NONE, NONE},
		 {false, NAT, T0 + LEARN_WINDOW, true, NAT, NAT},
		 {false, OTHER, T0 + LEARN_WINDOW, false, NAT, NAT},
	 }},

	/* off and asymmetric: never latch, always the SDP address */
	{"off",
	 LEARN_OFF,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, OTHER, T0 + 1, true, SDP, NONE},
		 {false, SDP, T0 + 2, true, SDP, NONE},
		 {false, NAT, T0 + 100, true, SDP, NONE},
	 }},
	{"asymmetric (heuristic)",
	 LEARN_HEURISTIC,
	 STREAM_F_ASYMMETRIC,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, SDP, T0 + 1, true, SDP, NONE},
		 {false, OTHER, T0 + 100, true, SDP, NONE},
	 }},
	{"asymmetric (immediate)",
	 LEARN_IMMEDIATE,
	 STREAM_F_ASYMMETRIC,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, OTHER, T0 + 100, true, SDP, NONE},
	 }},
	{"asymmetric + media-handover: still nothing learned",
	 LEARN_HEURISTIC,
	 STREAM_F_ASYMMETRIC | STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, OTHER, T0 + 10, true, SDP, NONE},
		 {false, OTHER, T0 + 10, true, SDP, NONE},
		 {false, OTHER, T0 + 10, true, SDP, NONE},
	 }},

	/* strict source */
	{"strict: drops others once latched",
	 LEARN_HEURISTIC,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 1, false, NAT, NAT},
		 {false, NAT2, T0 + 1, false, NAT, NAT}, /* same IP, other port */
		 {false, NAT, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 100, false, NAT, NAT},
	 }},
	{"strict: the SDP address still wins inside the window",
	 LEARN_HEURISTIC,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + 1, true, SDP, SDP},
		 {false, NAT, T0 + 1, false, SDP, SDP},
	 }},
	{"strict: the SDP address is dropped after the window",
	 LEARN_HEURISTIC,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + LEARN_WINDOW, false, NAT, NAT},
	 }},
	{"strict + immediate",
	 LEARN_IMMEDIATE,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + 1, false, NAT, NAT},
		 {false, SDP, T0 + 10, false, NAT, NAT},
	 }},
	{"strict + delayed: anything until the latch, then only the latched source",
	 LEARN_DELAYED,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, OTHER, T0 + 1, true, SDP, NONE},
		 {false, NAT, T0 + LEARN_WINDOW, true, NAT, NAT},
		 {false, OTHER, T0 + 4, false, NAT, NAT},
		 {false, SDP, T0 + 4, false, NAT, NAT},
	 }},
	{"strict + off: only the SDP address",
	 LEARN_OFF,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, false, SDP, NONE},
		 {false, SDP, T0 + 1, true, SDP, NONE},
		 {false, "192.0.2.10:4001", T0 + 1, false, SDP, NONE},
		 {false, OTHER, T0 + 100, false, SDP, NONE},
		 {false, SDP, T0 + 100, true, SDP, NONE},
	 }},
	{"strict + asymmetric: only the SDP address",
	 LEARN_HEURISTIC,
	 STREAM_F_STRICT_SOURCE | STREAM_F_ASYMMETRIC,
	 SDP,
	 {
		 {false, NAT, T0, false, SDP, NONE},
		 {false, SDP, T0 + 1, true, SDP, NONE},
		 {false, NAT, T0 + 2, false, SDP, NONE},
	 }},
	{"strict + off without an SDP address: nothing to compare with",
	 LEARN_OFF,
	 STREAM_F_STRICT_SOURCE,
	 NONE,
	 {
		 {false, NAT, T0, true, NONE, NONE},
		 {false, OTHER, T0 + 1, true, NONE, NONE},
	 }},

	/* media handover: HANDOVER_PACKETS in a row, HANDOVER_INTERVAL s after the last move */
	{"media-handover: a new source takes over after packets in a row, then the rate limit",
	 LEARN_HEURISTIC,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT}, /* 1 in a row */
		 {false, OTHER, T0 + 10, false, NAT, NAT}, /* 2 */
		 {false, OTHER, T0 + 10, true, OTHER, OTHER},
		 {false, NAT, T0 + 11, false, OTHER, OTHER},
		 {false, NAT, T0 + 11, false, OTHER, OTHER},
		 {false, NAT, T0 + 11, false, OTHER, OTHER}, /* 3, but 1 s after the move */
		 {false, NAT, T0 + 10 + HANDOVER_INTERVAL, true, NAT, NAT},
		 {false, OTHER, T0 + 13, false, NAT, NAT},
		 {false, NAT2, T0 + 30, false, NAT, NAT},
		 {false, NAT2, T0 + 30, false, NAT, NAT},
		 {false, NAT2, T0 + 30, true, NAT2, NAT2},
	 }},
	{"media-handover: a packet from the peer breaks the run",
	 LEARN_HEURISTIC,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, NAT, T0 + 10, true, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, OTHER, T0 + 10, true, OTHER, OTHER},
	 }},
	{"media-handover: a spray of sources, one packet each, moves nothing",
	 LEARN_IMMEDIATE,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, NAT2, T0 + 10, false, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, NAT2, T0 + 10, false, NAT, NAT},
		 {false, OTHER, T0 + 10, false, NAT, NAT},
		 {false, NAT2, T0 + 11, false, NAT, NAT},
		 {false, NAT, T0 + 11, true, NAT, NAT},
	 }},
	{"media-handover inside the window: relayed, moved once the interval is over",
	 LEARN_HEURISTIC,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT},
		 {false, OTHER, T0 + 1, true, NAT, NAT}, /* 3 in a row, 1 s after the latch */
		 {false, OTHER, T0 + HANDOVER_INTERVAL, true, OTHER, OTHER},
		 {false, NAT, T0 + 2, true, OTHER, OTHER}, /* still the window: relayed */
		 {false, NAT, T0 + LEARN_WINDOW, false, OTHER, OTHER},
	 }},
	{"media-handover: the SDP address takes over at once",
	 LEARN_HEURISTIC,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, SDP, T0 + 10, true, SDP, SDP},
	 }},
	{"media-handover + strict: the candidate is dropped until it takes over",
	 LEARN_IMMEDIATE,
	 STREAM_F_MEDIA_HANDOVER | STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 1, false, NAT, NAT},
		 {false, OTHER, T0 + 1, false, NAT, NAT},
		 {false, OTHER, T0 + 1, false, NAT, NAT},
		 {false, OTHER, T0 + HANDOVER_INTERVAL, true, OTHER, OTHER},
		 {false, NAT, T0 + 2, false, OTHER, OTHER},
	 }},

	/* relearn (a new SDP endpoint) */
	{"relearn: the next source latches afresh",
	 LEARN_HEURISTIC,
	 STREAM_F_STRICT_SOURCE,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 50, false, NAT, NAT},
		 {true, OTHER, T0 + 60, true, OTHER, OTHER},
		 {false, NAT, T0 + 61, false, OTHER, OTHER},
		 /* and a new window: the SDP address may still take over */
		 {false, SDP, T0 + 62, true, SDP, SDP},
	 }},
	{"relearn: a new window relays others again",
	 LEARN_HEURISTIC,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 50, false, NAT, NAT},
		 {true, NAT2, T0 + 60, true, NAT2, NAT2},
		 {false, OTHER, T0 + 62, true, NAT2, NAT2},
		 {false, OTHER, T0 + 63, false, NAT2, NAT2},
	 }},
	{"relearn: the same source latches again",
	 LEARN_IMMEDIATE,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {true, NAT, T0 + 5, true, NAT, NAT},
	 }},
	{"relearn + media-handover: the interval counts from the new latch, the run restarts",
	 LEARN_IMMEDIATE,
	 STREAM_F_MEDIA_HANDOVER,
	 SDP,
	 {
		 {false, NAT, T0, true, NAT, NAT},
		 {false, OTHER, T0 + 50, false, NAT, NAT},
		 {false, OTHER, T0 + 50, false, NAT, NAT},
		 {true, NAT2, T0 + 60, true, NAT2, NAT2},
		 {false, OTHER, T0 + 61, true, NAT2, NAT2}, /* 1 in a row again */
		 {false, OTHER, T0 + 61, true, NAT2, NAT2},
		 {false, OTHER, T0 + 61, true, NAT2, NAT2}, /* 3, but 1 s after the latch */
		 {false, OTHER, T0 + 62, true, OTHER, OTHER},
	 }},
	{"relearn + delayed: unlatched for a new window",
	 LEARN_DELAYED,
	 0,
	 SDP,
	 {
		 {false, NAT, T0, true, SDP, NONE},
		 {false, NAT, T0 + 3, true, NAT, NAT},
		 {true, OTHER, T0 + 10, true, SDP, NONE},
		 {false, OTHER, T0 + 12, true, SDP, NONE},
		 {false, OTHER, T0 + 13, true, OTHER, OTHER},
	 }},
};

static struct endpoint ep(const char *s)
{
	struct endpoint e = {0};

	if (*s && ep_parse(&e, s, NULL))
		fail_msg("bad test address %s", s);
	return e;
}

static const char *show(const struct endpoint *e, char *buf)
{
	return ep_is_set(e) ? ep_str(e, buf, EP_STRLEN) : "(unset)";
}

static void check_ep(const char *what, const struct row *r, size_t k, const struct endpoint *got,
		     const char *want_s)
{
	struct endpoint want = ep(want_s);
	char a[EP_STRLEN], b[EP_STRLEN];

	if (ep_is_set(got) != ep_is_set(&want) || (ep_is_set(&want) && !ep_eq(got, &want)))
		fail_msg("%s, step %zu: %s is %s, want %s", r->name, k, what, show(got, a),
			 show(&want, b));
}

static void run_row(const struct row *r)
{
	struct stream s = {0};

	s.fd = -1;
	s.cfg.learn = r->learn;
	s.cfg.flags = r->flags;
	s.cfg.expected = ep(r->expected);
	for (size_t k = 0; k < sizeof(r->steps) / sizeof(r->steps[0]) && r->steps[k].dest; k++) {
		const struct step *st = &r->steps[k];
		struct stream_stats stats;
		struct endpoint learned;

		if (*st->src) {
			struct endpoint src = ep(st->src);
			bool ok;

			s.cfg.relearn = st->relearn;
			ok = stream_accept_source(&s, &src, st->now);
			if (ok != st->accept)
				fail_msg("%s, step %zu: packet from %s at %+ld %s, want %s",
					 r->name, k, st->src, (long)(st->now - T0),
					 ok ? "accepted" : "dropped",
					 st->accept ? "accepted" : "dropped");
			assert_false(s.cfg.relearn); /* consumed */
		}
		check_ep("stream_dest", r, k, stream_dest(&s), st->dest);
		stream_snapshot(&s, &learned, &stats);
		check_ep("stream_snapshot", r, k, &learned, st->learned);
		assert_int_equal(s.latched, *st->learned != '\0');
		/* Nothing here touches the config the control thread gave. */
		check_ep("cfg.expected", r, k, &s.cfg.expected, r->expected);
		assert_int_equal(s.cfg.learn, r->learn);
		assert_int_equal(s.cfg.flags, r->flags);
	}
}

static void test_rows(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
}

/* The snapshot's sequence counter moves by two per publication and ends even. */
static void test_snapshot_counters(void **state)
{
	struct stream s = {0};
	struct endpoint src = ep(NAT), learned;
	struct stream_stats st;
	unsigned int seq;

	s.cfg.learn = LEARN_IMMEDIATE;
	s.cfg.expected = ep(SDP);
	atomic_store(&s.packets, 7);
	atomic_store(&s.bytes, 1234);
	atomic_store(&s.errors, 2);
	atomic_store(&s.last_packet, 1700000000);
	stream_snapshot(&s, &learned, &st);
	assert_false(ep_is_set(&learned));
	assert_int_equal(st.packets, 7);
	assert_int_equal(st.bytes, 1234);
	assert_int_equal(st.errors, 2);
	assert_int_equal(st.last_packet, 1700000000);

	seq = atomic_load(&s.pub_seq);
	assert_true(stream_accept_source(&s, &src, T0));
	assert_int_equal(atomic_load(&s.pub_seq), seq + 2);
	stream_snapshot(&s, &learned, &st);
	assert_true(ep_eq(&learned, &src));
	/* Accepting the latched source again publishes nothing. */
	assert_true(stream_accept_source(&s, &src, T0 + 1));
	assert_int_equal(atomic_load(&s.pub_seq), seq + 2);
	/* Relearning publishes "nothing learned" first, then the new latch. */
	s.cfg.relearn = true;
	src = ep(OTHER);
	assert_true(stream_accept_source(&s, &src, T0 + 2));
	assert_int_equal(atomic_load(&s.pub_seq), seq + 6);
	stream_snapshot(&s, &learned, &st);
	assert_true(ep_eq(&learned, &src));
}

/* stream_is_rtcp: RFC 5761's split between RTP payload types and RTCP packet types. */
static void test_is_rtcp(void **state)
{
	static const struct {
		uint8_t b0, b1;
		unsigned int len;
		bool rtcp;
	} cases[] = {
		{0x80, 200, 8, true},  /* SR */
		{0x81, 201, 8, true},  /* RR */
		{0x80, 192, 8, true},  /* lowest */
		{0x80, 223, 8, true},  /* highest */
		{0x80, 191, 8, false}, /* marker + PT 63 */
		{0x80, 224, 8, false}, /* marker + PT 96 */
		{0x80, 0, 12, false},  /* PCMU */
		{0x80, 200, 7, false}, /* too short */
		{0x40, 200, 8, false}, /* version 1 */
		{0xc0, 200, 8, false}, /* version 3 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t pkt[12] = {cases[i].b0, cases[i].b1};

		if (stream_is_rtcp(pkt, cases[i].len) != cases[i].rtcp)
			fail_msg("case %zu: %02x %u len %u", i, cases[i].b0, cases[i].b1,
				 cases[i].len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_snapshot_counters),
		cmocka_unit_test(test_is_rtcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
