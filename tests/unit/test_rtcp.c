// SPDX-License-Identifier: GPL-2.0-only
/* RTCP parser: hand-built SR/RR/SDES/BYE/APP/feedback/XR packets, compound and reduced-size,
 * with every field checked, and each malformation rejected with its own reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "rtcp.h"

#define B32(v) (uint8_t)((v) >> 24), (uint8_t)((v) >> 16), (uint8_t)((v) >> 8), (uint8_t)(v)

/* The fixtures are laid out one field (or 32-bit word) a row, as RFC 3550 draws them. */
/* clang-format off */

/* SR (2 report blocks) + SDES (CNAME), the usual compound packet. */
static const uint8_t sr_sdes[] = {
	0x82, 200, 0, 18,			/* V=2 RC=2, SR, 19 words */
	B32(0x11111111),			/* sender SSRC */
	B32(0xe5e5e5e5), B32(0x12345678),	/* NTP */
	B32(0x00010000),			/* RTP timestamp */
	B32(1000),				/* packets */
	B32(160000),				/* octets */
	B32(0x22222222),			/* block 1: about */
	0x40, 0x00, 0x00, 0x05,			/* fraction 64, lost 5 */
	B32(0x00010064), B32(80),		/* highest seq, jitter */
	B32(0xaabbccdd), B32(0x00010000),	/* LSR, DLSR */
	B32(0x33333333),			/* block 2: about */
	0x00, 0xff, 0xff, 0xff,			/* lost -1 (duplicates) */
	B32(0x00000100), B32(0),		/* highest seq, jitter */
	B32(0), B32(0),				/* no LSR */
	0x81, 202, 0, 4,			/* SDES, 1 chunk */
	B32(0x11111111),			/* SSRC */
	1, 9, 'u', 's', 'e', 'r', '@', 'h',	/* CNAME "user@host" */
	'o', 's', 't', 0,			/* null item */
};

/* Reduced-size (RFC 5506): one RR alone. */
static const uint8_t rr_alone[] = {
	0x81, 201, 0, 7,			/* V=2 RC=1, RR, 8 words */
	B32(0x44444444),			/* reporter */
	B32(0x55555555),			/* about */
	0xff, 0x7f, 0xff, 0xff,			/* fraction 255, lost 0x7fffff (largest) */
	B32(0xfffffffe), B32(0xdeadbeef),	/* highest seq, jitter */
	B32(0x01020304), B32(0x00008000),	/* LSR, DLSR */
};

static const uint8_t app[] = {
	0x80, 204, 0, 3,			/* APP, subtype 0 */
	B32(0x12345678),			/* SSRC */
	'N', 'A', 'M', 'E',			/* name */
	1, 2, 3, 4,				/* data */
};

static const uint8_t bye_reason[] = {
	0x81, 203, 0, 3,			/* BYE, 1 SSRC */
	B32(0x66666666),			/* SSRC */
	6, 'h', 'a', 'n', 'g', 'u', 'p', 0,	/* reason, padded to 32 bits */
};

/* XR: RRTR, DLRR (2 sub-blocks), an unknown block type skipped by its length. */
static const uint8_t xr[] = {
	0x80, 207, 0, 13,			/* XR, 14 words */
	B32(0x77777777),			/* SSRC */
	4, 0, 0, 2,				/* RRTR */
	B32(0xcafef00d), B32(0xabcd0000),	/* NTP */
	5, 0, 0, 6,				/* DLRR, 2 sub-blocks */
	B32(0x88888888), B32(0x12345678),	/* SSRC, LRR */
	B32(0x00008000),			/* DLRR */
	B32(0x99999999), B32(0), B32(0),	/* SSRC, no RRTR yet */
	42, 0, 0, 1,				/* unknown block type */
	B32(0),
};

/* SR (no blocks) + RR whose last 4 bytes are padding (P bit, count 4). */
static const uint8_t padded[] = {
	0x80, 200, 0, 6,			/* SR, no blocks */
	B32(1), B32(2), B32(3),			/* SSRC, NTP */
	B32(4), B32(5), B32(6),			/* RTP timestamp, counts */
	0xa0, 201, 0, 2,			/* RR with padding */
	B32(7),					/* SSRC */
	0, 0, 0, 4,				/* padding of 4 */
};

/* An unknown type between an RR and a PSFB (PLI) and an RTPFB (NACK). */
static const uint8_t unknown_fb[] = {
	0x80, 201, 0, 1,			/* RR, no blocks */
	B32(9),					/* SSRC */
	0x80, 210, 0, 1,			/* unknown type 210 */
	1, 2, 3, 4,
	0x81, 206, 0, 2,			/* PSFB, PLI */
	B32(9), B32(10),			/* sender, media SSRC */
	0x81, 205, 0, 3,			/* RTPFB, NACK */
	B32(9), B32(10),			/* sender, media SSRC */
	B32(0x00050000),			/* PID 5 */
};

/* SDES: two chunks, a NAME item before the CNAME in the second, the last null item missing
 * (tolerated at the very end). */
static const uint8_t sdes_two[] = {
	0x82, 202, 0, 5,			/* SDES, 2 chunks */
	B32(0xa), 0, 0, 0, 0,			/* a chunk without items */
	B32(0xb),				/* SSRC */
	2, 1, 'x',				/* NAME "x" */
	1, 3, 'a', 'b', 'c',			/* CNAME "abc" */
};

/* clang-format on */

struct valid_case {
	const char *name;
	const uint8_t *pkt;
	size_t len;
	unsigned int n_packets;
	bool has_sr, has_sdes, has_bye, has_app, has_fb, has_rrtr;
	unsigned int n_blocks, n_dlrr;
	const char *cname;
	uint32_t cname_ssrc;
};

#define PKT(p) p, sizeof(p)

static const struct valid_case valid[] = {
	{"SR+SDES", PKT(sr_sdes), 2, true, true, false, false, false, false, 2, 0, "user@host",
	 0x11111111},
	{"RR alone", PKT(rr_alone), 1, false, false, false, false, false, false, 1, 0, "", 0},
	{"APP", PKT(app), 1, false, false, false, true, false, false, 0, 0, "", 0},
	{"BYE reason", PKT(bye_reason), 1, false, false, true, false, false, false, 0, 0, "", 0},
	{"XR", PKT(xr), 1, false, false, false, false, false, true, 0, 2, "", 0},
	{"padded", PKT(padded), 2, true, false, false, false, false, false, 0, 0, "", 0},
	{"unknown+fb", PKT(unknown_fb), 4, false, false, false, false, true, false, 0, 0, "", 0},
	{"SDES 2 chunks", PKT(sdes_two), 1, false, true, false, false, false, false, 0, 0, "abc",
	 0xb},
};

static void test_valid_table(void **state)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct valid_case *c = &valid[i];
		struct rtcp_info ri;
		const char *err = NULL;
		int ret = rtcp_parse(c->pkt, c->len, &ri, &err);

		if (ret)
			fail_msg("%s: %s", c->name, err);
		assert_int_equal(ri.n_packets, c->n_packets);
		assert_int_equal(ri.has_sr, c->has_sr);
		assert_int_equal(ri.has_sdes, c->has_sdes);
		assert_int_equal(ri.has_bye, c->has_bye);
		assert_int_equal(ri.has_app, c->has_app);
		assert_int_equal(ri.has_fb, c->has_fb);
		assert_int_equal(ri.has_xr_rrtr, c->has_rrtr);
		assert_int_equal(ri.n_blocks, c->n_blocks);
		assert_int_equal(ri.n_blocks_total, c->n_blocks);
		assert_int_equal(ri.n_dlrr, c->n_dlrr);
		assert_string_equal(ri.cname, c->cname);
		assert_int_equal(ri.cname_ssrc, c->cname_ssrc);
	}
}

static void test_sr_fields(void **state)
{
	struct rtcp_info ri;

	assert_int_equal(rtcp_parse(PKT(sr_sdes), &ri, NULL), 0);
	assert_int_equal(ri.sr.ssrc, 0x11111111);
	assert_true(ri.sr.ntp == 0xe5e5e5e512345678ull);
	assert_int_equal(rtcp_ntp_mid(ri.sr.ntp), 0xe5e51234);
	assert_int_equal(ri.sr.rtp_ts, 0x10000);
	assert_int_equal(ri.sr.packets, 1000);
	assert_int_equal(ri.sr.octets, 160000);

	assert_int_equal(ri.blocks[0].reporter, 0x11111111);
	assert_int_equal(ri.blocks[0].ssrc, 0x22222222);
	assert_int_equal(ri.blocks[0].fraction_lost, 0x40);
	assert_int_equal(ri.blocks[0].cum_lost, 5);
	assert_int_equal(ri.blocks[0].ext_seq, 0x10064);
	assert_int_equal(ri.blocks[0].jitter, 80);
	assert_int_equal(ri.blocks[0].lsr, 0xaabbccdd);
	assert_int_equal(ri.blocks[0].dlsr, 0x10000);

	assert_int_equal(ri.blocks[1].reporter, 0x11111111);
	assert_int_equal(ri.blocks[1].ssrc, 0x33333333);
	assert_int_equal(ri.blocks[1].fraction_lost, 0);
	assert_int_equal(ri.blocks[1].cum_lost, -1);
	assert_int_equal(ri.blocks[1].ext_seq, 0x100);
	assert_int_equal(ri.blocks[1].lsr, 0);
	assert_int_equal(ri.blocks[1].dlsr, 0);
}

static void test_rr_fields(void **state)
{
	struct rtcp_info ri;

	assert_int_equal(rtcp_parse(PKT(rr_alone), &ri, NULL), 0);
	assert_false(ri.has_sr);
	assert_int_equal(ri.blocks[0].reporter, 0x44444444);
	assert_int_equal(ri.blocks[0].ssrc, 0x55555555);
	assert_int_equal(ri.blocks[0].fraction_lost, 0xff);
	assert_int_equal(ri.blocks[0].cum_lost, 0x7fffff);
	assert_int_equal(ri.blocks[0].ext_seq, 0xfffffffe);
	assert_int_equal(ri.blocks[0].jitter, 0xdeadbeef);
	assert_int_equal(ri.blocks[0].lsr, 0x01020304);
	assert_int_equal(ri.blocks[0].dlsr, 0x8000);
}

static void test_xr_fields(void **state)
{
	struct rtcp_info ri;

	assert_int_equal(rtcp_parse(PKT(xr), &ri, NULL), 0);
	assert_int_equal(ri.xr_rrtr_ssrc, 0x77777777);
	assert_true(ri.xr_rrtr_ntp == 0xcafef00dabcd0000ull);
	assert_int_equal(ri.dlrr[0].reporter, 0x77777777);
	assert_int_equal(ri.dlrr[0].ssrc, 0x88888888);
	assert_int_equal(ri.dlrr[0].lrr, 0x12345678);
	assert_int_equal(ri.dlrr[0].dlrr, 0x8000);
	assert_int_equal(ri.dlrr[1].reporter, 0x77777777);
	assert_int_equal(ri.dlrr[1].ssrc, 0x99999999);
	assert_int_equal(ri.dlrr[1].lrr, 0);
	assert_int_equal(ri.dlrr[1].dlrr, 0);
}

/* More report blocks than RTCP_MAX_BLOCKS: the first ones kept, all counted. */
static void test_many_blocks(void **state)
{
	uint8_t pkt[2 * (8 + 31 * 24)];
	size_t off = 0;
	struct rtcp_info ri;

	for (int p = 0; p < 2; p++) {
		uint8_t *h = pkt + off;

		h[0] = 0x80 | 31;
		h[1] = 201;
		h[2] = 0;
		h[3] = (8 + 31 * 24) / 4 - 1;
		memset(h + 4, 0, 4 + 31 * 24);
		h[7] = (uint8_t)(p + 1); /* reporter 1, 2 */
		for (int b = 0; b < 31; b++)
			h[8 + b * 24 + 3] = (uint8_t)(p * 31 + b); /* block SSRC */
		off += 8 + 31 * 24;
	}
	assert_int_equal(rtcp_parse(pkt, off, &ri, NULL), 0);
	assert_int_equal(ri.n_packets, 2);
	assert_int_equal(ri.n_blocks, RTCP_MAX_BLOCKS);
	assert_int_equal(ri.n_blocks_total, 62);
	assert_int_equal(ri.blocks[30].reporter, 1);
	assert_int_equal(ri.blocks[30].ssrc, 30);
	assert_int_equal(ri.blocks[31].reporter, 2);
	assert_int_equal(ri.blocks[31].ssrc, 31);
}

/* A CNAME of 255 bytes (the most an item holds) fits cname[] with its NUL. */
static void test_long_cname(void **state)
{
	uint8_t pkt[4 + 4 + 2 + 255 + 3];
	struct rtcp_info ri;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x81;
	pkt[1] = 202;
	pkt[3] = sizeof(pkt) / 4 - 1;
	pkt[8] = 1;
	pkt[9] = 255;
	memset(pkt + 10, 'c', 255);
	assert_int_equal(rtcp_parse(pkt, sizeof(pkt), &ri, NULL), 0);
	assert_int_equal(strlen(ri.cname), 255);
	assert_int_equal(ri.cname[254], 'c');
}

struct bad_case {
	const char *name;
	uint8_t pkt[48];
	size_t len;
	const char *err;
};

static const struct bad_case bad[] = {
	{"zero length", {0}, 0, "empty packet"},
	{"3 bytes", {0x80, 201, 0}, 3, "truncated header"},
	{"truncated 2nd header", {0x80, 201, 0, 1, B32(1), 0x80, 201}, 10, "truncated header"},
	{"length past end", {0x80, 201, 0, 5, B32(1), B32(2)}, 12, "length past the end"},
	{"lying 2nd length",
	 {0x80, 201, 0, 1, B32(1), 0x81, 201, 0, 7, B32(2)},
	 16,
	 "length past the end"},
	{"version 1", {0x40, 201, 0, 1, B32(1)}, 8, "bad version"},
	{"version 0 2nd", {0x80, 201, 0, 1, B32(1), 0x00, 201, 0, 1, B32(1)}, 16, "bad version"},
	{"padding not last",
	 {0xa0, 201, 0, 1, B32(4), 0x80, 201, 0, 1, B32(1)},
	 16,
	 "padding on a non-last packet"},
	{"padding count 0", {0xa0, 201, 0, 2, B32(1), B32(0)}, 12, "bad padding"},
	{"padding past body", {0xa0, 201, 0, 1, B32(9)}, 8, "bad padding"},
	{"padding eats SSRC", {0xa0, 201, 0, 2, B32(1), B32(8)}, 12, "RR too short"},
	{"RR count vs length",
	 {0x82, 201, 0, 7, B32(1), B32(2)},
	 32,
	 "report block count past the length"},
	{"SR count vs length", {0x81, 200, 0, 6, B32(1)}, 28, "report block count past the length"},
	{"RR header only", {0x80, 201, 0, 0}, 4, "RR too short"},
	{"SR short", {0x80, 200, 0, 5, B32(1)}, 24, "SR too short"},
	{"SDES chunk count", {0x82, 202, 0, 2, B32(1), 0, 0, 0, 0}, 12, "SDES chunk past the end"},
	{"SDES item length",
	 {0x81, 202, 0, 2, B32(1), 1, 9, 'a', 'b'},
	 12,
	 "SDES item past the end"},
	{"SDES item header",
	 {0xa1, 202, 0, 3, B32(1), 2, 2, 'a', 'b', 1, 0, 0, 3},
	 16,
	 "SDES item past the end"},
	{"BYE count", {0x82, 203, 0, 1, B32(1)}, 8, "BYE count past the length"},
	{"BYE reason", {0x81, 203, 0, 2, B32(1), 4, 'a', 'b', 'c'}, 12, "BYE reason past the end"},
	{"APP short", {0x80, 204, 0, 1, B32(1)}, 8, "APP too short"},
	{"PSFB short", {0x81, 206, 0, 1, B32(1)}, 8, "feedback too short"},
	{"RTPFB short", {0x81, 205, 0, 0}, 4, "feedback too short"},
	{"XR short", {0x80, 207, 0, 0}, 4, "XR too short"},
	{"XR block header",
	 {0xa0, 207, 0, 3, B32(1), 7, 0, 0, 0, 0, 0, 0, 6},
	 16,
	 "XR block header past the end"},
	{"XR block length",
	 {0x80, 207, 0, 3, B32(1), 4, 0, 0, 2, B32(0)},
	 16,
	 "XR block past the end"},
	{"XR RRTR length",
	 {0x80, 207, 0, 3, B32(1), 4, 0, 0, 1, B32(0)},
	 16,
	 "bad XR RRTR block length"},
	{"XR DLRR length",
	 {0x80, 207, 0, 4, B32(1), 5, 0, 0, 2, B32(0), B32(0)},
	 20,
	 "bad XR DLRR block length"},
	{"XR past padding",
	 {0xa0, 207, 0, 4, B32(1), 4, 0, 0, 2, B32(0), B32(4)},
	 20,
	 "XR block past the end"},
};

static void test_bad_table(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad_case *c = &bad[i];
		struct rtcp_info ri;
		const char *err = NULL;
		int ret = rtcp_parse(c->pkt, c->len, &ri, &err);

		if (ret != -EINVAL || !err || strcmp(err, c->err))
			fail_msg("%s: ret %d, err '%s', want '%s'", c->name, ret,
				 err ? err : "(null)", c->err);
		/* A NULL err is allowed. */
		assert_int_equal(rtcp_parse(c->pkt, c->len, &ri, NULL), -EINVAL);
	}
	assert_int_equal(rtcp_parse(NULL, 0, &(struct rtcp_info){0}, NULL), -EINVAL);
}

/* True when n is where a packet of the compound p ends. */
static bool at_boundary(const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n)
		off += ((size_t)(p[off + 2] << 8 | p[off + 3]) + 1) * 4;
	return off == n;
}

/* A prefix of a valid packet parses exactly when it ends at a packet boundary of the compound,
 * and the parser reads only pkt[0..len) (a heap copy of exactly len bytes for valgrind). */
static void test_truncations(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} pkts[] = {{PKT(sr_sdes)}, {PKT(rr_alone)}, {PKT(app)},	{PKT(bye_reason)},
		    {PKT(xr)},	    {PKT(padded)},   {PKT(unknown_fb)}, {PKT(sdes_two)}};

	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		for (size_t n = 1; n < pkts[i].len; n++) {
			uint8_t *copy = test_malloc(n);
			struct rtcp_info ri;
			bool ok;

			memcpy(copy, pkts[i].p, n);
			ok = rtcp_parse(copy, n, &ri, NULL) == 0;
			if (ok != at_boundary(pkts[i].p, n))
				fail_msg("packet %zu cut at %zu: parse %s", i, n,
					 ok ? "ok" : "failed");
			test_free(copy);
		}
	}
}

/* A terminated leg's report: the relay's counts, written as an SR the parser reads back. */
static void test_build_sr(void **state)
{
	struct rtcp_tx tx = {0};
	struct rtcp_rx rx = {0};
	struct rtcp_block b;
	struct rtcp_info ri;
	const int64_t t0 = 1700000000LL * 1000000;
	uint8_t pkt[12 + 160], out[128];
	const char *err;
	size_t len;

	(void)state;
	/* nothing sent yet: no report */
	assert_int_equal(rtcp_build_sr(out, sizeof(out), &tx, NULL, 0, t0), 0);
	assert_false(rtcp_rx_block(&rx, &b));
	/* 50 packets of 160 payload bytes, 20 ms apart, timestamps 160 apart at 8000 */
	for (int i = 0; i < 50; i++) {
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x80;
		pkt[2] = (uint8_t)((65530 + i) >> 8); /* wraps after 6 packets */
		pkt[3] = (uint8_t)(65530 + i);
		pkt[4] = 0, pkt[5] = 0, pkt[6] = (uint8_t)((160 * i) >> 8),
		pkt[7] = (uint8_t)(160 * i);
		pkt[8] = 0x11, pkt[9] = 0x22, pkt[10] = 0x33, pkt[11] = 0x44;
		rtcp_tx_packet(&tx, pkt, sizeof(pkt), t0 + 20000 * i, 8000);
		/* received: every 10th lost, each arriving 2 ms late every other packet */
		if (i % 10 != 9)
			rtcp_rx_packet(&rx, 0xabcd, (uint16_t)(65530 + i), 160 * (uint32_t)i,
				       t0 + 20000 * i + (i % 2) * 2000, 8000);
	}
	assert_true(rtcp_rx_block(&rx, &b));
	assert_int_equal(b.ssrc, 0xabcd);
	assert_int_equal(b.ext_seq, 65536 + 42); /* seq 65578 after one wrap */
	assert_int_equal(b.cum_lost, 4);	 /* 49 expected up to the last one in, 45 in */
	assert_int_equal(b.fraction_lost, 4 * 256 / 49);
	/* |D| is 16 clock units on every packet: J converges towards 16 */
	assert_in_range(b.jitter, 12, 16);
	/* the next interval: nothing new, nothing lost */
	assert_true(rtcp_rx_block(&rx, &b));
	assert_int_equal(b.fraction_lost, 0);
	assert_int_equal(b.cum_lost, 4);

	/* 100 ms after the last packet: the RTP timestamp is extrapolated by 800 */
	len = rtcp_build_sr(out, sizeof(out), &tx, &b, 1, t0 + 20000 * 49 + 100000);
	assert_int_equal(len, 28 + 24 + 28); /* SR + one block, SDES with a 15-byte CNAME */
	assert_int_equal(rtcp_parse(out, len, &ri, &err), 0);
	assert_true(ri.has_sr);
	assert_int_equal(ri.sr.ssrc, 0x11223344);
	assert_int_equal(ri.sr.packets, 50);
	assert_int_equal(ri.sr.octets, 50 * 160);
	assert_int_equal(ri.sr.rtp_ts, 160 * 49 + 800);
	assert_int_equal(ri.sr.ntp >> 32, 1700000000ULL + 2208988800ULL + 1);
	assert_int_equal(ri.n_blocks, 1);
	assert_int_equal(ri.blocks[0].reporter, 0x11223344);
	assert_int_equal(ri.blocks[0].ssrc, 0xabcd);
	assert_int_equal(ri.blocks[0].cum_lost, 4);
	assert_true(ri.has_sdes);
	assert_string_equal(ri.cname, "xrelay-11223344");
	/* too small a buffer: nothing written */
	assert_int_equal(rtcp_build_sr(out, len - 1, &tx, &b, 1, t0), 0);
	/* a new SSRC starts the reception counts over */
	rtcp_rx_packet(&rx, 0x5555, 7, 0, t0, 8000);
	assert_true(rtcp_rx_block(&rx, &b));
	assert_int_equal(b.ssrc, 0x5555);
	assert_int_equal(b.cum_lost, 0);
	assert_int_equal(b.ext_seq, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table), cmocka_unit_test(test_sr_fields),
		cmocka_unit_test(test_rr_fields),   cmocka_unit_test(test_xr_fields),
		cmocka_unit_test(test_many_blocks), cmocka_unit_test(test_long_cname),
		cmocka_unit_test(test_bad_table),   cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_build_sr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
