// SPDX-License-Identifier: GPL-2.0-only
/* Per-SSRC statistics: round-trip time from SR/RR and RRTR/DLRR (exact µs), jitter at two clock
 * rates, loss, MOS against hand-computed points, lowest/highest/average, the progression,
 * eviction, and the reply's bencode layout byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssrc.h"

#define T0 1700000000000000ll /* µs: 2023-11-14, a whole second */
#define S0 1700000000ll	      /* T0 in s */

/* An NTP timestamp whose middle 32 bits are mid. */
static uint64_t ntp_with_mid(uint32_t mid)
{
	return (uint64_t)mid << 16 | 0xabcd;
}

static void feed_sr(struct ssrc_table *t, uint32_t ssrc, uint32_t mid, uint32_t packets,
		    uint32_t octets, int64_t now)
{
	struct rtcp_info ri;

	memset(&ri, 0, sizeof(ri));
	ri.n_packets = 1;
	ri.has_sr = true;
	ri.sr.ssrc = ssrc;
	ri.sr.ntp = ntp_with_mid(mid);
	ri.sr.packets = packets;
	ri.sr.octets = octets;
	ssrc_table_rtcp(t, &ri, now);
}

struct blk {
	uint32_t reporter, ssrc;
	uint8_t fraction;
	int32_t cum_lost;
	uint32_t jitter, lsr, dlsr;
};

static void feed_rr(struct ssrc_table *t, const struct blk *b, int64_t now)
{
	struct rtcp_info ri;

	memset(&ri, 0, sizeof(ri));
	ri.n_packets = 1;
	ri.n_blocks = ri.n_blocks_total = 1;
	ri.blocks[0] = (struct rtcp_block){.reporter = b->reporter,
					   .ssrc = b->ssrc,
					   .fraction_lost = b->fraction,
					   .cum_lost = b->cum_lost,
					   .jitter = b->jitter,
					   .lsr = b->lsr,
					   .dlsr = b->dlsr};
	ssrc_table_rtcp(t, &ri, now);
}

/* The report in a fresh arena; *a to be freed by the caller. */
static struct bnode *report(struct ssrc_table *t, struct barena **a)
{
	struct bnode *d;

	*a = barena_new();
	assert_non_null(*a);
	d = bn_dict(*a);
	assert_non_null(d);
	ssrc_table_report(t, *a, d);
	return d;
}

/* report[ssrc][sub][key] (sub may be NULL) as an integer; fails the test when absent. */
static long long get(const struct bnode *rep, uint32_t ssrc, const char *sub, const char *key)
{
	char name[12];
	const struct bnode *e;
	long long v;

	snprintf(name, sizeof(name), "%u", ssrc);
	e = bn_dict_get(rep, name);
	if (!e)
		fail_msg("no SSRC %s", name);
	if (sub && !(e = bn_dict_get(e, sub)))
		fail_msg("SSRC %s has no '%s'", name, sub);
	if (!bn_dict_get_int(e, key, &v))
		fail_msg("SSRC %s %s has no '%s'", name, sub ? sub : "", key);
	return v;
}

static bool has_ssrc(const struct bnode *rep, uint32_t ssrc)
{
	char name[12];

	snprintf(name, sizeof(name), "%u", ssrc);
	return bn_dict_get(rep, name) != NULL;
}

/* LSR/DLSR against the SR the relay saw: rtt = now - arrival - DLSR (DLSR in 1/65536 s). */
static void test_rtt(void **state)
{
	static const struct {
		const char *name;
		uint32_t lsr, dlsr;
		int64_t after_us; /* RR arrival after the SR's */
		long long rtt;
	} rows[] = {
		{"half second held", 0xe5e51234, 0x8000, 750123, 250123},
		{"one second held", 0xe5e51234, 0x10000, 1000040, 40},
		{"DLSR truncates", 0xe5e51234, 1, 1000, 985}, /* 1/65536 s = 15.26 µs */
		{"no DLSR", 0xe5e51234, 0, 40, 40},
		{"negative clamps", 0xe5e51234, 0x10000, 500000, 0},
		{"LSR 0", 0, 0x8000, 750123, 0},
		{"unknown LSR", 0xe5e51235, 0x8000, 750123, 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ssrc_table *t = ssrc_table_new();
		struct barena *a;
		struct bnode *rep;
		struct blk b = {.reporter = 0x2222,
				.ssrc = 0x1111,
				.lsr = rows[i].lsr,
				.dlsr = rows[i].dlsr};

		assert_non_null(t);
		feed_sr(t, 0x1111, 0xe5e51234, 10, 1600, T0);
		feed_rr(t, &b, T0 + rows[i].after_us);
		rep = report(t, &a);
		if (get(rep, 0x1111, "lowest MOS", "round-trip time") != rows[i].rtt ||
		    get(rep, 0x1111, "lowest MOS", "round-trip time leg") != rows[i].rtt)
			fail_msg("%s: rtt %lld, want %lld", rows[i].name,
				 get(rep, 0x1111, "lowest MOS", "round-trip time"), rows[i].rtt);
		assert_int_equal(get(rep, 0x1111, "lowest MOS", "MOS"),
				 ssrc_mos(rows[i].rtt, 0, 0));
		barena_free(a);
		ssrc_table_put(t);
	}
}

/* An SR older than the last NTP_KEEP (4) is forgotten; the 4 latest all match. */
static void test_rtt_sr_memory(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a;
	struct bnode *rep;

	for (uint32_t i = 0; i < 5; i++)
		feed_sr(t, 0x1111, 100 + i, 0, 0, T0 + i * 1000000);
	/* SR 101 (the oldest kept), arrived at T0 + 1 s */
	feed_rr(t, &(struct blk){.reporter = 0x2222, .ssrc = 0x1111, .lsr = 101},
		T0 + 1000000 + 7000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0x1111, "highest MOS", "round-trip time leg"), 7000);
	barena_free(a);
	/* SR 100 was overwritten: the reporter's leg stays as last measured. */
	feed_rr(t, &(struct blk){.reporter = 0x2222, .ssrc = 0x1111, .lsr = 100, .fraction = 255},
		T0 + 9000000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0x1111, "lowest MOS", "round-trip time leg"), 7000);
	assert_int_equal(get(rep, 0x1111, "lowest MOS", "packet loss"), 100);
	barena_free(a);
	ssrc_table_put(t);
}

/* Both legs measured: "round-trip time" is their sum, "round-trip time leg" the reporter's. */
static void test_rtt_end_to_end(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a;
	struct bnode *rep;

	feed_sr(t, 0xa, 0x1000, 0, 0, T0);
	feed_sr(t, 0xb, 0x2000, 0, 0, T0);
	/* B reports on A: relay <-> B is 100 ms; A's own leg not known yet. */
	feed_rr(t, &(struct blk){.reporter = 0xb, .ssrc = 0xa, .lsr = 0x1000}, T0 + 100000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0xa, "lowest MOS", "round-trip time"), 100000);
	assert_int_equal(get(rep, 0xa, "lowest MOS", "round-trip time leg"), 100000);
	barena_free(a);
	/* A reports on B: relay <-> A is 30 ms; end to end 130 ms. */
	feed_rr(t, &(struct blk){.reporter = 0xa, .ssrc = 0xb, .lsr = 0x2000}, T0 + 30000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0xb, "lowest MOS", "round-trip time"), 130000);
	assert_int_equal(get(rep, 0xb, "lowest MOS", "round-trip time leg"), 30000);
	barena_free(a);
	/* B again, without LSR: its last leg, plus A's. */
	feed_rr(t, &(struct blk){.reporter = 0xb, .ssrc = 0xa, .fraction = 255}, T0 + 5000000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0xa, "lowest MOS", "round-trip time"), 130000);
	assert_int_equal(get(rep, 0xa, "lowest MOS", "round-trip time leg"), 100000);
	assert_int_equal(get(rep, 0xa, "average MOS", "round-trip time"), 115000);
	assert_int_equal(get(rep, 0xa, "average MOS", "samples"), 2);
	barena_free(a);
	/* A claims to have held B's SR longer than it took: its leg is 0, not negative. */
	feed_rr(t,
		&(struct blk){.reporter = 0xa,
			      .ssrc = 0xb,
			      .lsr = 0x2000,
			      .dlsr = 0x10000,
			      .fraction = 255},
		T0 + 500000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0xb, "lowest MOS", "round-trip time"), 100000);
	assert_int_equal(get(rep, 0xb, "lowest MOS", "round-trip time leg"), 0);
	barena_free(a);
	ssrc_table_put(t);
}

/* XR: B's RRTR, answered by A's DLRR, gives relay <-> A. */
static void test_rtt_xr(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct rtcp_info ri;
	struct barena *a;
	struct bnode *rep;

	memset(&ri, 0, sizeof(ri));
	ri.has_xr_rrtr = true;
	ri.xr_rrtr_ssrc = 0xb;
	ri.xr_rrtr_ntp = ntp_with_mid(0x5555);
	ssrc_table_rtcp(t, &ri, T0);

	memset(&ri, 0, sizeof(ri));
	ri.n_dlrr = 3;
	/* a wrong LRR and an unknown receiver change nothing */
	ri.dlrr[0].reporter = 0xa;
	ri.dlrr[0].ssrc = 0xb;
	ri.dlrr[0].lrr = 0x5556;
	ri.dlrr[1].reporter = 0xa;
	ri.dlrr[1].ssrc = 0xc;
	ri.dlrr[1].lrr = 0x5555;
	ri.dlrr[2].reporter = 0xa;
	ri.dlrr[2].ssrc = 0xb;
	ri.dlrr[2].lrr = 0x5555;
	ri.dlrr[2].dlrr = 0x4000; /* 250 ms */
	ssrc_table_rtcp(t, &ri, T0 + 400000);

	feed_rr(t, &(struct blk){.reporter = 0xa, .ssrc = 0xd}, T0 + 500000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 0xd, "lowest MOS", "round-trip time leg"), 150000);
	assert_int_equal(get(rep, 0xd, "lowest MOS", "round-trip time"), 150000);
	/* neither the RRTR sender nor the DLRR sender has samples */
	assert_false(has_ssrc(rep, 0xa));
	assert_false(has_ssrc(rep, 0xb));
	barena_free(a);
	ssrc_table_put(t);
}

/* Jitter (RTP timestamp units) to ms at the table's clock rate, rounded half up. */
static void test_jitter(void **state)
{
	static const struct {
		unsigned int hz; /* 0: not set (8000), or set to 0 (ignored) */
		uint32_t jitter;
		long long ms;
	} rows[] = {
		{0, 80, 10},	{8000, 80, 10},	    {8000, 4, 1},
		{8000, 3, 0},	{48000, 480, 10},   {48000, 24, 1},
		{48000, 23, 0}, {16000, 8000, 500}, {48000, 0xffffffff, 65535}, /* saturates */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ssrc_table *t = ssrc_table_new();
		struct barena *a;
		struct bnode *rep;

		ssrc_table_set_clock_rate(t, rows[i].hz);
		feed_rr(t, &(struct blk){.reporter = 1, .ssrc = 2, .jitter = rows[i].jitter}, T0);
		rep = report(t, &a);
		if (get(rep, 2, "highest MOS", "jitter") != rows[i].ms)
			fail_msg("row %zu: jitter %lld ms, want %lld", i,
				 get(rep, 2, "highest MOS", "jitter"), rows[i].ms);
		assert_int_equal(get(rep, 2, "average MOS", "jitter"), rows[i].ms);
		barena_free(a);
		ssrc_table_put(t);
	}
}

/* Fraction lost (1/256) to percent, rounded half up; cumulative loss as reported, signed. */
static void test_loss(void **state)
{
	static const struct {
		uint8_t fraction;
		int32_t cum;
		long long pct;
	} rows[] = {
		{0, 0, 0}, {1, 1, 0}, {2, 2, 1}, {64, 100, 25}, {128, -1, 50}, {255, 8388607, 100},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ssrc_table *t = ssrc_table_new();
		struct barena *a;
		struct bnode *rep;

		feed_rr(t,
			&(struct blk){.reporter = 1,
				      .ssrc = 2,
				      .fraction = rows[i].fraction,
				      .cum_lost = rows[i].cum},
			T0);
		rep = report(t, &a);
		assert_int_equal(get(rep, 2, "lowest MOS", "packet loss"), rows[i].pct);
		assert_int_equal(get(rep, 2, NULL, "cumulative loss"), rows[i].cum);
		barena_free(a);
		ssrc_table_put(t);
	}
}

/* Hand-computed: d = rtt/2 + 2 jitter + 10 ms; Id = 0.024 d + 0.11 (d - 177.3) above 177.3;
 * Ie = 95 loss / (loss + 25.1); R = 93.2 - Id - Ie; MOS = 1 + 0.035 R + 7e-6 R (R-60) (100-R). */
static void test_mos(void **state)
{
	static const struct {
		int64_t rtt_us;
		unsigned int jitter_ms, loss;
		int mos;
	} rows[] = {
		{0, 0, 0, 44},	      /* d 10, Id 0.24, R 92.96, MOS 4.4046 */
		{300000, 10, 0, 43},  /* d 180, Id 4.617, R 88.583, MOS 4.3028 */
		{0, 0, 1, 43},	      /* Ie 3.6398, R 89.320, MOS 4.3220 */
		{0, 0, 5, 39},	      /* Ie 15.781, R 77.179, MOS 3.9131 */
		{40000, 20, 2, 42},   /* d 70, Id 1.68, Ie 7.011, R 84.509, MOS 4.1824 */
		{250123, 0, 25, 22},  /* d 135.06, Id 3.2415, Ie 47.405, R 42.553, MOS 2.1908 */
		{600000, 50, 20, 11}, /* d 410, Id 35.437, Ie 42.129, R 15.634, MOS 1.1376 */
		{0, 0, 100, 12},      /* Ie 75.939, R 17.021, MOS 1.1708 */
		{0, 0, 250, 12},      /* loss clamps to 100 % */
		{10000000, 0, 0, 10}, /* R < 0 */
		{-5, 0, 0, 44},	      /* a negative rtt counts as 0 */
		{0, 60000, 0, 10},    /* huge jitter */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int mos = ssrc_mos(rows[i].rtt_us, rows[i].jitter_ms, rows[i].loss);

		if (mos != rows[i].mos)
			fail_msg("row %zu: MOS %d, want %d", i, mos, rows[i].mos);
	}
}

/* Lowest and highest keep the first sample of their MOS; the average rounds each field. */
static void test_lowest_highest_average(void **state)
{
	static const struct {
		uint8_t fraction; /* percent: 0, 5, 1, 5 */
		int mos;
	} rows[] = {{0, 44}, {13, 39}, {3, 43}, {13, 39}};
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a;
	struct bnode *rep;

	for (size_t i = 0; i < 4; i++)
		feed_rr(t, &(struct blk){.reporter = 1, .ssrc = 2, .fraction = rows[i].fraction},
			T0 + (int64_t)i * 5000000);
	rep = report(t, &a);
	assert_int_equal(get(rep, 2, "lowest MOS", "MOS"), 39);
	assert_int_equal(get(rep, 2, "lowest MOS", "packet loss"), 5);
	assert_int_equal(get(rep, 2, "lowest MOS", "reported at"), S0 + 5);
	assert_int_equal(get(rep, 2, "highest MOS", "MOS"), 44);
	assert_int_equal(get(rep, 2, "highest MOS", "reported at"), S0);
	assert_int_equal(get(rep, 2, "average MOS", "MOS"), 41);	/* 165 / 4 = 41.25 */
	assert_int_equal(get(rep, 2, "average MOS", "packet loss"), 3); /* 11 / 4 = 2.75 */
	assert_int_equal(get(rep, 2, "average MOS", "samples"), 4);
	assert_null(bn_dict_get(bn_dict_get(bn_dict_get(rep, "2"), "average MOS"), "reported at"));
	assert_null(bn_dict_get(bn_dict_get(bn_dict_get(rep, "2"), "lowest MOS"), "samples"));
	barena_free(a);
	ssrc_table_put(t);
}

static const struct bnode *progression(const struct bnode *rep, uint32_t ssrc)
{
	char name[12];
	const struct bnode *e, *list;

	snprintf(name, sizeof(name), "%u", ssrc);
	e = bn_dict_get(bn_dict_get(rep, name), "MOS progression");
	assert_non_null(e);
	list = bn_dict_get(e, "entries");
	assert_non_null(list);
	assert_int_equal(list->type, BN_LIST);
	return e;
}

/* About 10 entries spread over the call, also after the kept samples were thinned out. */
static void test_progression(void **state)
{
	static const struct {
		unsigned int n;
		int64_t step_us;
		long long interval;
		size_t entries;
		long long first_at, last_at; /* s after S0 */
	} rows[] = {
		{1, 1000000, 0, 1, 0, 0},	   {100, 1000000, 9, 12, 0, 99}, /* 0, 9, ..., 99 */
		{25, 10000, 0, 9, 0, 0},	   /* one second: every 3rd by index */
		{300, 1000000, 29, 10, 0, 270},	   /* kept: 0, 2, ..., 298 -> 0, 30, ..., 270 */
		{2000, 1000000, 199, 10, 0, 1800}, /* kept: every 8th, 0..1992 */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ssrc_table *t = ssrc_table_new();
		const struct bnode *prog, *list, *last;
		struct barena *a;
		struct bnode *rep;
		long long v;

		for (unsigned int k = 0; k < rows[i].n; k++)
			feed_rr(t, &(struct blk){.reporter = 1, .ssrc = 2, .fraction = k % 7},
				T0 + (int64_t)k * rows[i].step_us);
		rep = report(t, &a);
		prog = progression(rep, 2);
		list = bn_dict_get(prog, "entries");
		assert_true(bn_dict_get_int(prog, "interval", &v));
		if (v != rows[i].interval || list->c.count != rows[i].entries)
			fail_msg("row %zu: interval %lld, %zu entries; want %lld, %zu", i, v,
				 list->c.count, rows[i].interval, rows[i].entries);
		assert_true(bn_dict_get_int(list->c.first, "reported at", &v));
		assert_int_equal(v, S0 + rows[i].first_at);
		last = list->c.last;
		assert_true(bn_dict_get_int(last, "reported at", &v));
		assert_int_equal(v, S0 + rows[i].last_at);
		assert_true(bn_dict_get_int(last, "MOS", &v));
		assert_true(v >= 10 && v <= 45);
		assert_int_equal(get(rep, 2, "average MOS", "samples"), rows[i].n);
		barena_free(a);
		ssrc_table_put(t);
	}
}

/* Past SSRC_MAX, the least recently named SSRC goes. */
static void test_eviction(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a;
	struct bnode *rep;

	for (uint32_t s = 1; s <= SSRC_MAX; s++)
		feed_sr(t, s, s, s, s * 100, T0 + s);
	rep = report(t, &a);
	assert_int_equal(rep->c.count, SSRC_MAX);
	barena_free(a);

	feed_sr(t, SSRC_MAX + 1, 0, 1, 1, T0 + 100); /* drops 1 */
	feed_sr(t, 2, 0, 22, 2200, T0 + 101);	     /* 2 is recent again */
	feed_sr(t, SSRC_MAX + 2, 0, 1, 1, T0 + 102); /* drops 3 */
	rep = report(t, &a);
	assert_int_equal(rep->c.count, SSRC_MAX);
	assert_false(has_ssrc(rep, 1));
	assert_false(has_ssrc(rep, 3));
	assert_int_equal(get(rep, 2, NULL, "packets"), 22);
	assert_int_equal(get(rep, 4, NULL, "bytes"), 400);
	assert_true(has_ssrc(rep, SSRC_MAX + 1));
	assert_true(has_ssrc(rep, SSRC_MAX + 2));
	barena_free(a);
	ssrc_table_put(t);
}

/* One packet naming more SSRCs than the table holds: its reporter stays, the earliest block's
 * SSRC makes room, and a re-used slot starts clean. */
static void test_eviction_one_packet(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct rtcp_info ri;
	struct barena *a;
	struct bnode *rep;

	feed_rr(t, &(struct blk){.reporter = 1000, .ssrc = 500, .fraction = 255, .cum_lost = 9},
		T0);
	memset(&ri, 0, sizeof(ri));
	_Static_assert(SSRC_MAX <= RTCP_MAX_BLOCKS, "one packet can name SSRC_MAX SSRCs");
	ri.n_blocks = ri.n_blocks_total = SSRC_MAX;
	for (uint32_t b = 0; b < SSRC_MAX; b++) {
		ri.blocks[b].reporter = 1000;
		ri.blocks[b].ssrc = 1 + b;
		ri.blocks[b].cum_lost = (int32_t)b;
	}
	ssrc_table_rtcp(t, &ri, T0 + 1000000);
	rep = report(t, &a);
	/* 1000 + SSRC_MAX SSRCs: 500 and 1 went, 2..SSRC_MAX have one sample each */
	assert_int_equal(rep->c.count, SSRC_MAX - 1);
	assert_false(has_ssrc(rep, 500));
	assert_false(has_ssrc(rep, 1));
	assert_false(has_ssrc(rep, 1000));
	assert_int_equal(get(rep, SSRC_MAX, NULL, "cumulative loss"), SSRC_MAX - 1);
	assert_int_equal(get(rep, 2, "average MOS", "samples"), 1);
	assert_int_equal(get(rep, 2, "average MOS", "packet loss"), 0);
	barena_free(a);
	ssrc_table_put(t);
}

/* The whole reply entry, byte for byte (rtpengine's keys and units, plus packets/bytes). */
static void test_report_layout(void **state)
{
	static const char want[] =
		"d1:1d"
		"15:cumulative lossi3e"
		"11:average MOSd3:MOSi44e15:round-trip timei20000e19:round-trip time legi20000e"
		"6:jitteri10e11:packet lossi0e7:samplesi1ee"
		"10:lowest MOSd3:MOSi44e15:round-trip timei20000e19:round-trip time legi20000e"
		"6:jitteri10e11:packet lossi0e11:reported ati1700000000ee"
		"11:highest MOSd3:MOSi44e15:round-trip timei20000e19:round-trip time legi20000e"
		"6:jitteri10e11:packet lossi0e11:reported ati1700000000ee"
		"15:MOS progressiond8:intervali0e7:entriesl"
		"d3:MOSi44e15:round-trip timei20000e19:round-trip time legi20000e"
		"6:jitteri10e11:packet lossi0e11:reported ati1700000000ee"
		"ee"
		"7:packetsi10e5:bytesi1600e"
		"e"
		"7:3000000d7:packetsi4000000000e5:bytesi7eee";
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a;
	struct bnode *rep;
	size_t len;
	char *enc;

	feed_sr(t, 1, 0x777, 10, 1600, T0 - 20000);
	/* d = 10 + 20 + 10 = 40 ms: Id 0.96, R 92.24, MOS 4.3899 */
	feed_rr(t,
		&(struct blk){.reporter = 2,
			      .ssrc = 1,
			      .cum_lost = 3,
			      .jitter = 80,
			      .lsr = 0x777,
			      .dlsr = 0},
		T0);
	feed_sr(t, 3000000, 0x1, 4000000000u, 7, T0);
	rep = report(t, &a);
	enc = bencode_encode(rep, &len);
	assert_non_null(enc);
	assert_string_equal(enc, want);
	assert_int_equal(len, strlen(want));
	free(enc);
	barena_free(a);
	ssrc_table_put(t);
}

/* An SSRC the dict already has is left alone; a non-dict is ignored. */
static void test_report_skips_existing(void **state)
{
	struct ssrc_table *t = ssrc_table_new();
	struct barena *a = barena_new();
	struct bnode *d = bn_dict(a), *l = bn_list(a);

	feed_sr(t, 5, 1, 1, 1, T0);
	feed_sr(t, 6, 1, 1, 1, T0);
	bn_dict_add_str(a, d, "5", "theirs");
	ssrc_table_report(t, a, d);
	assert_int_equal(d->c.count, 2);
	assert_true(bn_str_eq(bn_dict_get(d, "5"), "theirs"));
	assert_non_null(bn_dict_get(d, "6"));
	ssrc_table_report(t, a, l);
	assert_int_equal(l->c.count, 0);
	ssrc_table_report(NULL, a, d);
	ssrc_table_rtcp(NULL, NULL, 0);
	ssrc_table_set_clock_rate(NULL, 8000);
	barena_free(a);
	ssrc_table_put(t);
}

static void test_refcount(void **state)
{
	struct ssrc_table *t = ssrc_table_new();

	assert_non_null(t);
	ssrc_table_get(t);
	feed_rr(t, &(struct blk){.reporter = 1, .ssrc = 2}, T0);
	ssrc_table_put(t);
	feed_rr(t, &(struct blk){.reporter = 1, .ssrc = 2}, T0 + 1);
	ssrc_table_put(t);
	ssrc_table_put(NULL);
	ssrc_table_get(NULL);
}

struct writer {
	struct ssrc_table *t;
	int n;
};

static void *writer(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < w->n; i++)
		feed_rr(w->t, &(struct blk){.reporter = 1, .ssrc = 2 + (uint32_t)(i % 40)},
			T0 + i * 1000);
	return NULL;
}

/* The worker writes while the control thread reports (run under TSan/helgrind to see more). */
static void test_concurrent_report(void **state)
{
	struct writer w = {ssrc_table_new(), 20000};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, writer, &w), 0);
	for (int i = 0; i < 50; i++) {
		struct barena *a;
		struct bnode *rep = report(w.t, &a);

		assert_true(rep->c.count <= SSRC_MAX);
		barena_free(a);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	ssrc_table_put(w.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt),
		cmocka_unit_test(test_rtt_sr_memory),
		cmocka_unit_test(test_rtt_end_to_end),
		cmocka_unit_test(test_rtt_xr),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_mos),
		cmocka_unit_test(test_lowest_highest_average),
		cmocka_unit_test(test_progression),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_eviction_one_packet),
		cmocka_unit_test(test_report_layout),
		cmocka_unit_test(test_report_skips_existing),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_concurrent_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
