// SPDX-License-Identifier: GPL-2.0-only
/* srtp: the libsrtp2 wrapper on real libsrtp2 for every suite: round trips of SRTP and SRTCP,
 * refusals (wrong key, bad tag, replay, short or garbage packets, no room), MKI (placed as
 * libsrtp2's own _mki functions place it), many SSRCs, sequence number rollover; and the packets
 * byte for byte against an independent reference pinned by the RFC 3711 and 7714 known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdes.h"
#include "srtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <srtp2/srtp.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUF	      1500
#define PAYLOAD	      160 /* 20 ms of G.711 */

enum { UE_RTP = 1, UE_RTCP = 2, UA_RTP = 4 };

/* Every suite, plus the session parameter variants libsrtp2 can do. */
static const struct variant {
	enum sdes_suite_id suite;
	unsigned int flags;
	unsigned int mki_len;
} variants[] = {
	{SDES_AES_CM_128_HMAC_SHA1_80, 0, 0},
	{SDES_AES_CM_128_HMAC_SHA1_32, 0, 0},
	{SDES_AES_192_CM_HMAC_SHA1_80, 0, 0},
	{SDES_AES_192_CM_HMAC_SHA1_32, 0, 0},
	{SDES_AES_256_CM_HMAC_SHA1_80, 0, 0},
	{SDES_AES_256_CM_HMAC_SHA1_32, 0, 0},
	{SDES_AEAD_AES_128_GCM, 0, 0},
	{SDES_AEAD_AES_256_GCM, 0, 0},
	{SDES_NULL_HMAC_SHA1_80, 0, 0},
	{SDES_NULL_HMAC_SHA1_32, 0, 0},
	{SDES_AES_CM_128_HMAC_SHA1_80, UE_RTP, 0},
	{SDES_AES_CM_128_HMAC_SHA1_80, UE_RTCP, 0},
	{SDES_AES_CM_128_HMAC_SHA1_80, UA_RTP, 0},
	{SDES_AES_CM_128_HMAC_SHA1_32, UE_RTP | UE_RTCP | UA_RTP, 0},
	{SDES_AEAD_AES_256_GCM, UE_RTCP, 0},
	{SDES_AES_CM_128_HMAC_SHA1_80, 0, 4},
	{SDES_AES_CM_128_HMAC_SHA1_32, 0, 1},
	{SDES_AES_256_CM_HMAC_SHA1_32, 0, 2},
	{SDES_AEAD_AES_128_GCM, 0, 4},
	{SDES_NULL_HMAC_SHA1_32, 0, 3},
	{SDES_AES_192_CM_HMAC_SHA1_32, UA_RTP, 4},
};

static int setup(void **state)
{
	return srtpx_init();
}

static void make_key(struct sdes_crypto *c, const struct variant *v)
{
	assert_int_equal(sdes_generate(c, &sdes_suites[v->suite], 1), 0);
	c->unencrypted_srtp = v->flags & UE_RTP;
	c->unencrypted_srtcp = v->flags & UE_RTCP;
	c->unauthenticated_srtp = v->flags & UA_RTP;
	c->mki_len = v->mki_len;
	c->mki = v->mki_len ? 0x01020304u & (uint32_t)((1ull << (8 * v->mki_len)) - 1) : 0;
}

static const char *variant_name(const struct variant *v)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s%s%s%s mki %u", sdes_suites[v->suite].name,
		 v->flags & UE_RTP ? " UE_SRTP" : "", v->flags & UE_RTCP ? " UE_SRTCP" : "",
		 v->flags & UA_RTP ? " UA_SRTP" : "", v->mki_len);
	return buf;
}

static unsigned int make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned int payload)
{
	uint32_t ts = (uint32_t)seq * 160;

	p[0] = 0x80;
	p[1] = 0; /* PCMU */
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (unsigned int i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(seq * 7 + i + ssrc);
	return 12 + payload;
}

/* An RR with one report block (32 bytes). */
static unsigned int make_rtcp(uint8_t *p, uint32_t ssrc, uint8_t fill)
{
	memset(p, fill, 32);
	p[0] = 0x81;
	p[1] = 201;
	p[2] = 0;
	p[3] = 7;
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	return 32;
}

static unsigned int rtp_trailer(const struct sdes_crypto *c)
{
	return (c->unauthenticated_srtp ? 0 : c->suite->rtp_tag_len) + c->mki_len;
}

static unsigned int rtcp_trailer(const struct sdes_crypto *c)
{
	return 4 + c->suite->rtcp_tag_len + c->mki_len;
}

static bool is_aead(const struct sdes_crypto *c)
{
	return c->suite->id == SDES_AEAD_AES_128_GCM || c->suite->id == SDES_AEAD_AES_256_GCM;
}

static bool payload_encrypted(const struct sdes_crypto *c)
{
	return c->suite->id != SDES_NULL_HMAC_SHA1_80 && c->suite->id != SDES_NULL_HMAC_SHA1_32 &&
	       !c->unencrypted_srtp;
}

static bool rtcp_encrypted(const struct sdes_crypto *c)
{
	return c->suite->id != SDES_NULL_HMAC_SHA1_80 && c->suite->id != SDES_NULL_HMAC_SHA1_32 &&
	       !c->unencrypted_srtcp;
}

static void test_round_trip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const char *name = variant_name(&variants[i]);
		struct sdes_crypto c;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF], orig[BUF];
		unsigned int len, olen, e_at;

		make_key(&c, &variants[i]);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&c, SRTPX_DECRYPT);
		if (!enc || !dec)
			fail_msg("%s: srtpx_new: %s", name, strerror(errno));

		for (uint16_t seq = 1000; seq < 1010; seq++) {
			olen = len = make_rtp(pkt, seq, 0x11223344, PAYLOAD);
			memcpy(orig, pkt, len);
			if (srtpx_rtp(enc, pkt, &len, sizeof(pkt)) != SRTPX_OK)
				fail_msg("%s: protect seq %u", name, seq);
			if (len != olen + rtp_trailer(&c))
				fail_msg("%s: SRTP length %u, expected %u", name, len,
					 olen + rtp_trailer(&c));
			/* The header travels in clear; the payload only when not encrypted. */
			assert_memory_equal(pkt, orig, 12);
			if (payload_encrypted(&c) != !!memcmp(pkt + 12, orig + 12, PAYLOAD))
				fail_msg("%s: payload %s in flight", name,
					 payload_encrypted(&c) ? "not encrypted" : "changed");
			if (srtpx_rtp(dec, pkt, &len, sizeof(pkt)) != SRTPX_OK)
				fail_msg("%s: unprotect seq %u", name, seq);
			if (len != olen || memcmp(pkt, orig, olen))
				fail_msg("%s: seq %u not restored (%u bytes)", name, seq, len);

			olen = len = make_rtcp(pkt, 0x11223344, (uint8_t)seq);
			memcpy(orig, pkt, len);
			if (srtpx_rtcp(enc, pkt, &len, sizeof(pkt)) != SRTPX_OK)
				fail_msg("%s: protect RTCP", name);
			if (len != olen + rtcp_trailer(&c))
				fail_msg("%s: SRTCP length %u, expected %u", name, len,
					 olen + rtcp_trailer(&c));
			assert_memory_equal(pkt, orig, 8);
			if (rtcp_encrypted(&c) != !!memcmp(pkt + 8, orig + 8, olen - 8))
				fail_msg("%s: RTCP %s in flight", name,
					 rtcp_encrypted(&c) ? "not encrypted" : "changed");
			/* The E flag says whether SRTCP is encrypted (RFC 3711 3.4); with AEAD it
			 * follows the tag, which is part of the cipher text (RFC 7714 9.1). */
			e_at = olen + (is_aead(&c) ? c.suite->rtcp_tag_len : 0);
			if (!!(pkt[e_at] & 0x80) != rtcp_encrypted(&c))
				fail_msg("%s: E flag %d", name, pkt[e_at] >> 7);
			if (srtpx_rtcp(dec, pkt, &len, sizeof(pkt)) != SRTPX_OK)
				fail_msg("%s: unprotect RTCP", name);
			if (len != olen || memcmp(pkt, orig, olen))
				fail_msg("%s: RTCP not restored", name);
		}
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

/* A packet from enc, tampered by tamper(), must fail to unprotect with want. */
static void refuse(const struct variant *v, void (*tamper)(uint8_t *, unsigned int *), bool rtcp,
		   enum srtpx_result want, const char *what)
{
	struct sdes_crypto c;
	struct srtpx *enc, *dec;
	uint8_t pkt[BUF];
	unsigned int len;
	enum srtpx_result r;

	make_key(&c, v);
	enc = srtpx_new(&c, SRTPX_ENCRYPT);
	dec = srtpx_new(&c, SRTPX_DECRYPT);
	assert_non_null(enc);
	assert_non_null(dec);
	len = rtcp ? make_rtcp(pkt, 0xabcdef01, 0x55) : make_rtp(pkt, 42, 0xabcdef01, PAYLOAD);
	assert_int_equal(rtcp ? srtpx_rtcp(enc, pkt, &len, sizeof(pkt))
			      : srtpx_rtp(enc, pkt, &len, sizeof(pkt)),
			 SRTPX_OK);
	tamper(pkt, &len);
	r = rtcp ? srtpx_rtcp(dec, pkt, &len, sizeof(pkt)) : srtpx_rtp(dec, pkt, &len, sizeof(pkt));
	if (r != want)
		fail_msg("%s %s %s: result %d, expected %d", variant_name(v),
			 rtcp ? "SRTCP" : "SRTP", what, r, want);
	srtpx_free(enc);
	srtpx_free(dec);
}

static void flip_last(uint8_t *p, unsigned int *len)
{
	p[*len - 1] ^= 0x01;
}

static void flip_payload(uint8_t *p, unsigned int *len)
{
	p[20] ^= 0x40;
}

static void flip_ssrc(uint8_t *p, unsigned int *len)
{
	p[7] ^= 0x01;
}

static void test_tampered(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c;

		make_key(&c, v);
		/* The last byte is the tag, or with AEAD and an MKI the MKI: both refuse. */
		if (!c.unauthenticated_srtp || c.mki_len)
			refuse(v, flip_last, false, SRTPX_AUTH_FAIL, "last byte flipped");
		if (!c.unauthenticated_srtp) {
			refuse(v, flip_ssrc, false, SRTPX_AUTH_FAIL, "SSRC flipped");
			refuse(v, flip_payload, false, SRTPX_AUTH_FAIL, "payload flipped");
		}
		/* SRTCP is always authenticated. */
		refuse(v, flip_last, true, SRTPX_AUTH_FAIL, "last byte flipped");
		refuse(v, flip_payload, true, SRTPX_AUTH_FAIL, "payload flipped");
	}
}

static void test_wrong_key(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c, other;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF];
		unsigned int len;

		make_key(&c, v);
		make_key(&other, v);
		if (c.unauthenticated_srtp)
			continue; /* nothing to notice a wrong key with on SRTP */
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&other, SRTPX_DECRYPT);
		len = make_rtp(pkt, 1, 0x5eed, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		if (srtpx_rtp(dec, pkt, &len, sizeof(pkt)) != SRTPX_AUTH_FAIL)
			fail_msg("%s: wrong key not refused", variant_name(v));
		len = make_rtcp(pkt, 0x5eed, 1);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		if (srtpx_rtcp(dec, pkt, &len, sizeof(pkt)) != SRTPX_AUTH_FAIL)
			fail_msg("%s: wrong key not refused on SRTCP", variant_name(v));
		srtpx_free(enc);
		srtpx_free(dec);
	}
	/* Only the salt differs. */
	{
		static const struct variant v = {SDES_AES_CM_128_HMAC_SHA1_80, 0, 0};
		struct sdes_crypto c, other;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF];
		unsigned int len;

		make_key(&c, &v);
		other = c;
		other.key[other.key_len - 1] ^= 1;
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&other, SRTPX_DECRYPT);
		len = make_rtp(pkt, 1, 0x5eed, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_AUTH_FAIL);
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

static void test_replay(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF], copy[BUF];
		unsigned int len, clen;

		make_key(&c, v);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&c, SRTPX_DECRYPT);

		len = make_rtp(pkt, 7, 0x77, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		memcpy(copy, pkt, len);
		clen = len;
		assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);
		if (srtpx_rtp(dec, copy, &clen, sizeof(copy)) != SRTPX_REPLAY)
			fail_msg("%s: replayed SRTP not refused", variant_name(v));

		len = make_rtcp(pkt, 0x77, 3);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		memcpy(copy, pkt, len);
		clen = len;
		assert_int_equal(srtpx_rtcp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);
		if (srtpx_rtcp(dec, copy, &clen, sizeof(copy)) != SRTPX_REPLAY)
			fail_msg("%s: replayed SRTCP not refused", variant_name(v));
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

/* Reordering inside the window is fine; a packet older than the window is a replay. */
static void test_window(void **state)
{
	static const struct variant v = {SDES_AES_CM_128_HMAC_SHA1_80, 0, 0};
	static uint8_t saved[3][BUF];
	unsigned int saved_len[3];
	struct sdes_crypto c;
	struct srtpx *enc, *dec;
	uint8_t pkt[BUF];
	unsigned int len;

	make_key(&c, &v);
	enc = srtpx_new(&c, SRTPX_ENCRYPT);
	dec = srtpx_new(&c, SRTPX_DECRYPT);
	for (uint16_t seq = 0; seq < 3; seq++) {
		saved_len[seq] = make_rtp(saved[seq], seq + 10, 0x99, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, saved[seq], &saved_len[seq], BUF), SRTPX_OK);
	}
	/* 12, 10, 11 */
	assert_int_equal(srtpx_rtp(dec, saved[2], &saved_len[2], BUF), SRTPX_OK);
	assert_int_equal(srtpx_rtp(dec, saved[0], &saved_len[0], BUF), SRTPX_OK);
	assert_int_equal(srtpx_rtp(dec, saved[1], &saved_len[1], BUF), SRTPX_OK);

	/* One old packet held back while 2000 newer ones pass. */
	len = make_rtp(saved[0], 100, 0x99, PAYLOAD);
	saved_len[0] = len;
	assert_int_equal(srtpx_rtp(enc, saved[0], &saved_len[0], BUF), SRTPX_OK);
	for (uint16_t seq = 101; seq < 2101; seq++) {
		len = make_rtp(pkt, seq, 0x99, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);
	}
	assert_int_equal(srtpx_rtp(dec, saved[0], &saved_len[0], BUF), SRTPX_REPLAY);
	srtpx_free(enc);
	srtpx_free(dec);
}

/* Short, malformed and random packets on every variant (MKI and AEAD change the trailer
 * arithmetic): refused, never read past len. */
static void garbage(const struct variant *v)
{
	struct sdes_crypto c;
	struct srtpx *ctx[2];
	uint8_t pkt[BUF];
	unsigned int len;

	make_key(&c, v);
	ctx[0] = srtpx_new(&c, SRTPX_ENCRYPT);
	ctx[1] = srtpx_new(&c, SRTPX_DECRYPT);
	for (int d = 0; d < 2; d++) {
		struct srtpx *x = ctx[d];

		/* Too short for any header. */
		memset(pkt, 0x80, sizeof(pkt));
		for (unsigned int n = 0; n < 12; n++) {
			len = n;
			assert_int_equal(srtpx_rtp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
			assert_int_equal(len, n);
		}
		for (unsigned int n = 0; n < 8; n++) {
			len = n;
			assert_int_equal(srtpx_rtcp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		}
		len = 5;
		assert_int_equal(srtpx_rtp(x, pkt, &len, 5), SRTPX_ERROR);
		len = 5;
		assert_int_equal(srtpx_rtcp(x, pkt, &len, 5), SRTPX_ERROR);
		/* Not version 2. */
		len = make_rtp(pkt, 1, 1, PAYLOAD);
		pkt[0] = 0x40;
		assert_int_equal(srtpx_rtp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		len = make_rtcp(pkt, 1, 0);
		pkt[0] = 0x01;
		assert_int_equal(srtpx_rtcp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		/* 15 CSRCs announced, 2 present. */
		len = make_rtp(pkt, 1, 1, 8);
		pkt[0] = 0x8f;
		assert_int_equal(srtpx_rtp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		/* An extension longer than the packet. */
		len = make_rtp(pkt, 1, 1, 8);
		pkt[0] = 0x90;
		pkt[14] = 0xff;
		pkt[15] = 0xff;
		assert_int_equal(srtpx_rtp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		/* Extension header cut. */
		len = 14;
		pkt[0] = 0x90;
		assert_int_equal(srtpx_rtp(x, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
		/* len beyond cap. */
		len = make_rtp(pkt, 1, 1, PAYLOAD);
		assert_int_equal(srtpx_rtp(x, pkt, &len, len - 1), SRTPX_ERROR);
		/* NULLs */
		assert_int_equal(srtpx_rtp(x, NULL, &len, sizeof(pkt)), SRTPX_ERROR);
		assert_int_equal(srtpx_rtp(x, pkt, NULL, sizeof(pkt)), SRTPX_ERROR);
		assert_int_equal(srtpx_rtcp(x, NULL, &len, sizeof(pkt)), SRTPX_ERROR);
	}
	assert_int_equal(srtpx_rtp(NULL, pkt, &len, sizeof(pkt)), SRTPX_ERROR);
	assert_int_equal(srtpx_rtcp(NULL, pkt, &len, sizeof(pkt)), SRTPX_ERROR);

	/* Decrypt: shorter than the trailer (tag and MKI; SRTCP index too), every length. */
	for (unsigned int n = 0; n < rtp_trailer(&c); n++) {
		len = 12 + n;
		make_rtp(pkt, 1, 1, n);
		assert_int_equal(srtpx_rtp(ctx[1], pkt, &len, sizeof(pkt)), SRTPX_ERROR);
	}
	for (unsigned int n = 0; n < rtcp_trailer(&c); n++) {
		len = 8 + n;
		make_rtcp(pkt, 1, 0);
		assert_int_equal(srtpx_rtcp(ctx[1], pkt, &len, sizeof(pkt)), SRTPX_ERROR);
	}
	srand(1);
	for (unsigned int n = 0; n < 300; n++) {
		enum srtpx_result r;

		for (unsigned int k = 0; k < n; k++)
			pkt[k] = (uint8_t)rand();
		if (n)
			pkt[0] = (uint8_t)((pkt[0] & 0x3f) | 0x80);
		len = n;
		r = srtpx_rtp(ctx[1], pkt, &len, sizeof(pkt));
		/* Without authentication random bytes may "decrypt". */
		assert_true(r == SRTPX_ERROR || r == SRTPX_AUTH_FAIL ||
			    (c.unauthenticated_srtp && (r == SRTPX_OK || r == SRTPX_REPLAY)));
		len = n;
		r = srtpx_rtcp(ctx[1], pkt, &len, sizeof(pkt));
		assert_true(r == SRTPX_ERROR || r == SRTPX_AUTH_FAIL);
	}
	srtpx_free(ctx[0]);
	srtpx_free(ctx[1]);
	srtpx_free(NULL);
}

static void test_garbage(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++)
		garbage(&variants[i]);
}

/* Protect needs SRTPX_OVERHEAD free bytes; exactly that is enough. Buffers are heap blocks of
 * exactly cap bytes, so a sanitizer or valgrind sees any write past them. */
static void test_room(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c;
		struct srtpx *enc, *dec;
		unsigned int len, olen, cap;
		uint8_t *pkt;

		make_key(&c, v);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&c, SRTPX_DECRYPT);

		cap = 12 + PAYLOAD + SRTPX_OVERHEAD - 1;
		pkt = malloc(cap);
		olen = len = make_rtp(pkt, 1, 3, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, cap), SRTPX_ERROR);
		assert_int_equal(len, olen);
		free(pkt);
		cap++;
		pkt = malloc(cap);
		len = make_rtp(pkt, 2, 3, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, cap), SRTPX_OK);
		/* Decrypt needs no room. */
		assert_int_equal(srtpx_rtp(dec, pkt, &len, len), SRTPX_OK);
		free(pkt);

		cap = 32 + SRTPX_OVERHEAD - 1;
		pkt = malloc(cap);
		len = make_rtcp(pkt, 3, 0);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, cap), SRTPX_ERROR);
		free(pkt);
		cap++;
		pkt = malloc(cap);
		len = make_rtcp(pkt, 3, 0);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, cap), SRTPX_OK);
		assert_int_equal(srtpx_rtcp(dec, pkt, &len, len), SRTPX_OK);
		free(pkt);
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

/* The MKI is placed where libsrtp2's own srtp_protect_mki/srtp_protect_rtcp_mki place it (the
 * bytes must be identical), and a packet with another MKI is refused. */
static void test_mki(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF], ref[BUF], mki[4];
		unsigned int len;
		int rlen;
		srtp_policy_t pol;
		srtp_master_key_t mk, *keys[1] = {&mk};
		srtp_t raw;

		if (!v->mki_len || v->flags)
			continue; /* libsrtp2's _mki functions mishandle UNAUTHENTICATED_SRTP */
		make_key(&c, v);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&c, SRTPX_DECRYPT);
		assert_non_null(enc);
		assert_non_null(dec);

		for (unsigned int k = 0; k < c.mki_len; k++)
			mki[k] = (uint8_t)(c.mki >> (8 * (c.mki_len - 1 - k)));
		memset(&pol, 0, sizeof(pol));
		switch (c.suite->id) {
		case SDES_AES_CM_128_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_CM_128_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_256_CM_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AEAD_AES_128_GCM:
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
			break;
		case SDES_NULL_HMAC_SHA1_32:
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtp);
			pol.rtp.auth_tag_len = 4;
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtcp);
			break;
		default:
			fail_msg("add %s to the MKI reference", c.suite->name);
		}
		mk.key = c.key;
		mk.mki_id = mki;
		mk.mki_size = c.mki_len;
		pol.keys = keys;
		pol.num_master_keys = 1;
		pol.ssrc.type = ssrc_any_outbound;
		pol.window_size = 128;
		assert_int_equal(srtp_create(&raw, &pol), srtp_err_status_ok);

		len = make_rtp(pkt, 500, 0xfeed, PAYLOAD);
		rlen = (int)make_rtp(ref, 500, 0xfeed, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(srtp_protect_mki(raw, ref, &rlen, 1, 0), srtp_err_status_ok);
		if ((int)len != rlen || memcmp(pkt, ref, len))
			fail_msg("%s: SRTP with MKI differs from libsrtp2's (%u, %d bytes)",
				 variant_name(v), len, rlen);
		assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);

		len = make_rtcp(pkt, 0xfeed, 9);
		rlen = (int)make_rtcp(ref, 0xfeed, 9);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(srtp_protect_rtcp_mki(raw, ref, &rlen, 1, 0), srtp_err_status_ok);
		if ((int)len != rlen || memcmp(pkt, ref, len))
			fail_msg("%s: SRTCP with MKI differs from libsrtp2's (%u, %d bytes)",
				 variant_name(v), len, rlen);
		assert_int_equal(srtpx_rtcp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);
		srtp_dealloc(raw);

		/* Another MKI, everything else right: refused. */
		{
			struct sdes_crypto other = c;
			struct srtpx *enc2;

			other.mki ^= 1;
			enc2 = srtpx_new(&other, SRTPX_ENCRYPT);
			len = make_rtp(pkt, 501, 0xfeed, PAYLOAD);
			assert_int_equal(srtpx_rtp(enc2, pkt, &len, sizeof(pkt)), SRTPX_OK);
			assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_AUTH_FAIL);
			len = make_rtcp(pkt, 0xfeed, 10);
			assert_int_equal(srtpx_rtcp(enc2, pkt, &len, sizeof(pkt)), SRTPX_OK);
			assert_int_equal(srtpx_rtcp(dec, pkt, &len, sizeof(pkt)), SRTPX_AUTH_FAIL);
			srtpx_free(enc2);
		}
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

/* One context per direction serves every SSRC of the stream, interleaved. */
static void test_many_ssrcs(void **state)
{
	static const struct variant v = {SDES_AES_256_CM_HMAC_SHA1_80, 0, 0};
	struct sdes_crypto c;
	struct srtpx *enc, *dec;
	uint8_t pkt[BUF], orig[BUF];
	unsigned int len, olen;

	make_key(&c, &v);
	enc = srtpx_new(&c, SRTPX_ENCRYPT);
	dec = srtpx_new(&c, SRTPX_DECRYPT);
	for (uint16_t round = 0; round < 5; round++) {
		for (uint32_t s = 0; s < 64; s++) {
			uint32_t ssrc = 0x1000 + s * 0x10001;

			olen = len = make_rtp(pkt, (uint16_t)(round + s * 1000), ssrc, PAYLOAD);
			memcpy(orig, pkt, len);
			assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
			assert_int_equal(srtpx_rtp(dec, pkt, &len, sizeof(pkt)), SRTPX_OK);
			assert_int_equal(len, olen);
			assert_memory_equal(pkt, orig, olen);
		}
	}
	srtpx_free(enc);
	srtpx_free(dec);
}

/* 65535 -> 0 moves the rollover counter on both sides; decrypting goes on, with the right bytes.
 * A decryptor that missed the rollover would fail authentication on every packet after it. */
static void test_rollover(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];
		struct sdes_crypto c;
		struct srtpx *enc, *dec;
		uint8_t pkt[BUF], orig[BUF];
		unsigned int len, olen;

		make_key(&c, v);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		dec = srtpx_new(&c, SRTPX_DECRYPT);
		for (uint32_t n = 65500; n < 65536 + 40; n++) {
			uint16_t seq = (uint16_t)n;

			olen = len = make_rtp(pkt, seq, 0xc0ffee, PAYLOAD);
			memcpy(orig, pkt, len);
			assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
			if (srtpx_rtp(dec, pkt, &len, sizeof(pkt)) != SRTPX_OK)
				fail_msg("%s: seq %u (n %u) refused", variant_name(v), seq, n);
			if (len != olen || memcmp(pkt, orig, olen))
				fail_msg("%s: seq %u garbled", variant_name(v), seq);
		}
		srtpx_free(enc);
		srtpx_free(dec);
	}
}

/* Two encrypt contexts with one key give the same bytes: the wrapper adds no state of its own,
 * so the relay's output is what any libsrtp2 peer computes (checked against raw libsrtp2). */
static void test_raw_libsrtp(void **state)
{
	for (size_t i = 0; i < SDES_N_SUITES; i++) {
		static const struct variant v0;
		struct variant v = v0;
		struct sdes_crypto c;
		struct srtpx *enc;
		uint8_t pkt[BUF], ref[BUF];
		unsigned int len;
		int rlen;
		srtp_policy_t pol;
		srtp_t raw;

		v.suite = (enum sdes_suite_id)i;
		make_key(&c, &v);
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		memset(&pol, 0, sizeof(pol));
		/* A receiver built from RFC names, independent of the wrapper's table. */
		switch (c.suite->id) {
		case SDES_AES_CM_128_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_CM_128_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_192_CM_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_192_CM_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_256_CM_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AES_256_CM_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&pol.rtp);
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_AEAD_AES_128_GCM:
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
			break;
		case SDES_AEAD_AES_256_GCM:
			srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtp);
			srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtcp);
			break;
		case SDES_NULL_HMAC_SHA1_80:
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtp);
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_NULL_HMAC_SHA1_32:
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtp);
			pol.rtp.auth_tag_len = 4;
			srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtcp);
			break;
		case SDES_N_SUITES:
			break;
		}
		pol.key = c.key;
		pol.ssrc.type = ssrc_any_inbound;
		pol.window_size = 128;
		assert_int_equal(srtp_create(&raw, &pol), srtp_err_status_ok);

		len = make_rtp(pkt, 9, 0x1234, PAYLOAD);
		make_rtp(ref, 9, 0x1234, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		rlen = (int)len;
		assert_int_equal(srtp_unprotect(raw, pkt, &rlen), srtp_err_status_ok);
		assert_int_equal(rlen, 12 + PAYLOAD);
		assert_memory_equal(pkt, ref, 12 + PAYLOAD);

		len = make_rtcp(pkt, 0x1234, 4);
		make_rtcp(ref, 0x1234, 4);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		rlen = (int)len;
		assert_int_equal(srtp_unprotect_rtcp(raw, pkt, &rlen), srtp_err_status_ok);
		assert_int_equal(rlen, 32);
		assert_memory_equal(pkt, ref, 32);
		srtp_dealloc(raw);
		srtpx_free(enc);
	}
}

/* ---- an independent reference: RFC 3711 (and 6188, 7714) written out on gnutls's AES and HMAC,
 * so the key layout (master key then salt), the key derivation and the packet format are checked
 * against the RFCs rather than against libsrtp2 itself ---- */

static void aes_block(const uint8_t *key, unsigned int klen, const uint8_t in[16], uint8_t out[16])
{
	/* One CBC block under a zero IV is the plain block cipher. */
	gnutls_cipher_algorithm_t alg = klen == 16   ? GNUTLS_CIPHER_AES_128_CBC
					: klen == 24 ? GNUTLS_CIPHER_AES_192_CBC
						     : GNUTLS_CIPHER_AES_256_CBC;
	uint8_t iv[16] = {0};
	gnutls_datum_t k = {(unsigned char *)key, klen}, v = {iv, 16};
	gnutls_cipher_hd_t h;

	assert_int_equal(gnutls_cipher_init(&h, alg, &k, &v), 0);
	assert_int_equal(gnutls_cipher_encrypt2(h, in, 16, out, 16), 0);
	gnutls_cipher_deinit(h);
}

/* XORs the AES-CM key stream for counter block iv into buf (RFC 3711 4.1.1: the low 16 bits of
 * iv are zero and count the blocks). */
static void aes_cm(const uint8_t *key, unsigned int klen, const uint8_t iv[16], uint8_t *buf,
		   size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		uint8_t ctr[16], ks[16];
		uint16_t n = (uint16_t)(off / 16);

		memcpy(ctr, iv, 16);
		ctr[14] = (uint8_t)(n >> 8);
		ctr[15] = (uint8_t)n;
		aes_block(key, klen, ctr, ks);
		for (size_t k = 0; k < 16 && off + k < len; k++)
			buf[off + k] ^= ks[k];
	}
}

/* RFC 3711 4.3.1 with a key derivation rate of 0: x = label at octet 7 XOR the 112-bit master
 * salt (a 96-bit AEAD salt padded with zero octets), key stream from x * 2^16. */
static void kdf(const uint8_t *master, unsigned int klen, unsigned int slen, uint8_t label,
		uint8_t *out, size_t len)
{
	uint8_t iv[16] = {0};

	memcpy(iv, master + klen, slen);
	iv[7] ^= label;
	memset(out, 0, len);
	aes_cm(master, klen, iv, out, len);
}

static uint8_t hexval(char ch)
{
	return (uint8_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
}

static void unhex(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++)
		out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 3711 4.1.1: the AES-CM IV is (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i the 48-bit
 * SRTP packet index ROC || SEQ or the 31-bit SRTCP index (3.4). */
static void cm_iv(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t iv[16])
{
	memset(iv, 0, 16);
	memcpy(iv, salt, 14);
	for (int k = 0; k < 4; k++)
		iv[4 + k] ^= (uint8_t)(ssrc >> (24 - 8 * k));
	for (int k = 0; k < 6; k++)
		iv[8 + k] ^= (uint8_t)(index >> (40 - 8 * k));
}

/* RFC 7714 8.1, 9.1: the GCM IV is (00 00 || SSRC || 48-bit index) XOR the 96-bit salt, the index
 * being ROC || SEQ for SRTP and 00 00 || 0 || SRTCP index for SRTCP. */
static void gcm_iv(const uint8_t salt[12], uint32_t ssrc, uint64_t index, uint8_t iv[12])
{
	memcpy(iv, salt, 12);
	for (int k = 0; k < 4; k++)
		iv[2 + k] ^= (uint8_t)(ssrc >> (24 - 8 * k));
	for (int k = 0; k < 6; k++)
		iv[6 + k] ^= (uint8_t)(index >> (40 - 8 * k));
}

/* AES-GCM with a 16-octet tag (RFC 7714 10): len octets of in to out, then the tag. */
static void gcm_seal(const uint8_t *key, unsigned int klen, const uint8_t iv[12],
		     const uint8_t *aad, size_t alen, const uint8_t *in, size_t len, uint8_t *out)
{
	gnutls_datum_t kd = {(unsigned char *)key, klen};
	gnutls_aead_cipher_hd_t h;
	size_t olen = len + 16;

	assert_int_equal(gnutls_aead_cipher_init(&h,
						 klen == 16 ? GNUTLS_CIPHER_AES_128_GCM
							    : GNUTLS_CIPHER_AES_256_GCM,
						 &kd),
			 0);
	assert_int_equal(gnutls_aead_cipher_encrypt(h, iv, 12, aad, alen, 16, in, len, out, &olen),
			 0);
	assert_int_equal(olen, len + 16);
	gnutls_aead_cipher_deinit(h);
}

/* RFC 7714 8.2: SRTP from an RTP packet (no header extension) under session key ekey and session
 * salt, ROC roc: the header (with CSRCs) is the AAD, the tag follows the cipher text. */
static unsigned int ref_gcm_srtp(const uint8_t *ekey, unsigned int klen, const uint8_t salt[12],
				 uint32_t roc, const uint8_t *rtp, unsigned int len, uint8_t *out)
{
	unsigned int hlen = 12 + 4 * (rtp[0] & 0x0f);
	uint8_t iv[12];

	assert_false(rtp[0] & 0x10);
	assert_true(len >= hlen);
	gcm_iv(salt, get32(rtp + 8), (uint64_t)roc << 16 | (uint64_t)rtp[2] << 8 | rtp[3], iv);
	memcpy(out, rtp, hlen);
	gcm_seal(ekey, klen, iv, rtp, hlen, rtp + hlen, len - hlen, out + hlen);
	return len + 16;
}

/* RFC 7714 9.1-9.3: SRTCP with SRTCP index idx. Encrypted (E = 1): the 8-octet header and E||index
 * are the AAD, the rest is cipher text. Not encrypted (E = 0): the whole packet and E||index are
 * the AAD and only the tag is added. E||index follows the tag. */
static unsigned int ref_gcm_srtcp(const uint8_t *ekey, unsigned int klen, const uint8_t salt[12],
				  uint32_t idx, bool encrypt, const uint8_t *rtcp, unsigned int len,
				  uint8_t *out)
{
	unsigned int alen = encrypt ? 8 : len;
	uint8_t aad[BUF + 4], iv[12], word[4];

	assert_true(idx < 0x80000000u && len >= 8 && len <= BUF);
	put32(word, (encrypt ? 0x80000000u : 0) | idx);
	gcm_iv(salt, get32(rtcp + 4), idx, iv);
	memcpy(aad, rtcp, alen);
	memcpy(aad + alen, word, 4);
	memcpy(out, rtcp, alen);
	gcm_seal(ekey, klen, iv, aad, alen + 4, rtcp + alen, len - alen, out + alen);
	memcpy(out + len + 16, word, 4);
	return len + 16 + 4;
}

/* RFC 3711 B.2: the AES-CM key stream for session key 2B7E1516..., session salt F0F1...FCFD,
 * SSRC 0 and index 0 (the IV F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000), at its first three blocks and at
 * blocks 0xFEFF to 0xFF01. */
static void test_rfc3711_aes_cm(void **state)
{
	static const struct {
		unsigned int block;
		const char *ks;
	} want[] = {
		{0x0000, "E03EAD0935C95E80E166B16DD92B4EB4"},
		{0x0001, "D23513162B02D0F72A43A2FE4A5F97AB"},
		{0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0"},
		{0xfeff, "EC8CDF7398607CB0F2D21675EA9EA1E4"},
		{0xff00, "362B7C3C6773516318A077D7FC5073AE"},
		{0xff01, "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	const size_t len = 0xff02 * 16;
	uint8_t key[16], salt[14], iv[16], ctr[16], block[16];
	uint8_t *ks = calloc(1, len);

	assert_non_null(ks);
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt);
	cm_iv(salt, 0, 0, iv);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", ctr);
	assert_memory_equal(iv, ctr, 16);
	aes_cm(key, 16, iv, ks, len);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		unhex(want[i].ks, block);
		if (memcmp(ks + 16 * (size_t)want[i].block, block, 16))
			fail_msg("RFC 3711 B.2: key stream block 0x%04x differs", want[i].block);
	}
	free(ks);
}

/* RFC 3711 B.3: the AES-CM PRF on its master key and salt gives the published session keys;
 * this pins the reference before it judges the wrapper. */
static void test_rfc3711_kdf(void **state)
{
	uint8_t master[30], got[20], want[20];

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139"
	      "0EC675AD498AFEEBB6960B3AABE6",
	      master);
	kdf(master, 16, 14, 0x00, got, 16);
	unhex("C61E7A93744F39EE10734AFE3FF7A087", want);
	assert_memory_equal(got, want, 16);
	kdf(master, 16, 14, 0x02, got, 14);
	unhex("30CBBC08863D8C85D49DB34A9AE1", want);
	assert_memory_equal(got, want, 14);
	kdf(master, 16, 14, 0x01, got, 20);
	unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want);
	assert_memory_equal(got, want, 20);
}

/* What RFC 3711/6188 say the SRTP and SRTCP packets are, computed here from the master key, must
 * be what the wrapper sends, byte for byte, for every AES-CM and NULL suite. */
static void test_reference_hmac_suites(void **state)
{
	static const enum sdes_suite_id suites[] = {
		SDES_AES_CM_128_HMAC_SHA1_80, SDES_AES_CM_128_HMAC_SHA1_32,
		SDES_AES_192_CM_HMAC_SHA1_80, SDES_AES_192_CM_HMAC_SHA1_32,
		SDES_AES_256_CM_HMAC_SHA1_80, SDES_AES_256_CM_HMAC_SHA1_32,
		SDES_NULL_HMAC_SHA1_80,	      SDES_NULL_HMAC_SHA1_32,
	};

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		const struct variant v = {suites[i], 0, 0};
		const bool null =
			suites[i] == SDES_NULL_HMAC_SHA1_80 || suites[i] == SDES_NULL_HMAC_SHA1_32;
		struct sdes_crypto c;
		struct srtpx *enc;
		uint8_t pkt[BUF], want[BUF], ekey[32], salt[14], akey[20], iv[16], mac[20];
		unsigned int len, klen, tag, wlen;
		const uint32_t ssrc = 0xdeadbeef;
		const uint16_t seq = 0x1234;

		make_key(&c, &v);
		klen = c.suite->key_len;
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		assert_non_null(enc);

		/* SRTP, index = seq (ROC 0) */
		tag = c.suite->rtp_tag_len;
		wlen = make_rtp(want, seq, ssrc, PAYLOAD);
		kdf(c.key, klen, 14, 0x00, ekey, klen);
		kdf(c.key, klen, 14, 0x01, akey, 20);
		kdf(c.key, klen, 14, 0x02, salt, 14);
		cm_iv(salt, ssrc, seq, iv);
		if (!null)
			aes_cm(ekey, klen, iv, want + 12, PAYLOAD);
		memset(want + wlen, 0, 4); /* ROC, authenticated but not sent */
		assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA1, akey, 20, want, wlen + 4, mac),
				 0);
		memcpy(want + wlen, mac, tag);
		wlen += tag;
		len = make_rtp(pkt, seq, ssrc, PAYLOAD);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		/* srtpx_init's own known answer must have judged the library the same way. */
		if ((len == wlen && !memcmp(pkt, want, wlen)) !=
		    srtpx_suite_follows_rfc(c.suite->id))
			fail_msg("%s: SRTP %s RFC 3711/6188, srtpx_init says it does%s",
				 c.suite->name,
				 len == wlen && !memcmp(pkt, want, wlen) ? "follows"
									 : "differs from",
				 srtpx_suite_follows_rfc(c.suite->id) ? "" : " not");
		if (!srtpx_suite_follows_rfc(c.suite->id)) {
			/* libsrtp2 2.5's AES-192: disabled for SDES, nothing more to compare. */
			assert_false(sdes_suite_enabled(c.suite));
			srtpx_free(enc);
			continue;
		}
		assert_true(sdes_suite_enabled(c.suite));

		/* SRTCP: E flag and index from the packet, then the same by hand */
		tag = c.suite->rtcp_tag_len;
		wlen = make_rtcp(want, ssrc, 0x42);
		len = make_rtcp(pkt, ssrc, 0x42);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(len, wlen + 4 + tag);
		uint32_t eidx = get32(pkt + wlen);
		assert_int_equal(eidx >> 31, !null);
		kdf(c.key, klen, 14, 0x03, ekey, klen);
		kdf(c.key, klen, 14, 0x04, akey, 20);
		kdf(c.key, klen, 14, 0x05, salt, 14);
		cm_iv(salt, ssrc, eidx & 0x7fffffff, iv);
		if (!null)
			aes_cm(ekey, klen, iv, want + 8, wlen - 8);
		memcpy(want + wlen, pkt + wlen, 4);
		assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA1, akey, 20, want, wlen + 4, mac),
				 0);
		memcpy(want + wlen + 4, mac, tag);
		wlen += 4 + tag;
		if (memcmp(pkt, want, wlen))
			fail_msg("%s: SRTCP differs from RFC 3711", c.suite->name);
		srtpx_free(enc);
	}
}

/* The same for AEAD: what ref_gcm_srtp and ref_gcm_srtcp (pinned by test_rfc7714) make of the
 * session keys kdf derives (pinned by test_rfc3711_kdf) must be what the wrapper sends, SRTCP
 * with and without UNENCRYPTED_SRTCP. */
static void test_reference_gcm(void **state)
{
	static const struct variant gcm[] = {
		{SDES_AEAD_AES_128_GCM, 0, 0},
		{SDES_AEAD_AES_256_GCM, 0, 0},
		{SDES_AEAD_AES_128_GCM, UE_RTCP, 0},
		{SDES_AEAD_AES_256_GCM, UE_RTCP, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(gcm); i++) {
		const char *name = variant_name(&gcm[i]);
		struct sdes_crypto c;
		struct srtpx *enc;
		uint8_t pkt[BUF], plain[BUF], want[BUF], ekey[32], salt[12];
		unsigned int len, klen, plen, wlen;
		uint32_t eidx;
		const uint32_t ssrc = 0x0badcafe;
		const uint16_t seq = 0xfff0;

		make_key(&c, &gcm[i]);
		klen = c.suite->key_len;
		enc = srtpx_new(&c, SRTPX_ENCRYPT);
		assert_non_null(enc);

		kdf(c.key, klen, 12, 0x00, ekey, klen);
		kdf(c.key, klen, 12, 0x02, salt, 12);
		plen = make_rtp(plain, seq, ssrc, PAYLOAD);
		wlen = ref_gcm_srtp(ekey, klen, salt, 0, plain, plen, want);
		len = plen;
		memcpy(pkt, plain, plen);
		assert_int_equal(srtpx_rtp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		if (len != wlen || memcmp(pkt, want, len))
			fail_msg("%s: SRTP differs from RFC 7714", name);

		kdf(c.key, klen, 12, 0x03, ekey, klen);
		kdf(c.key, klen, 12, 0x05, salt, 12);
		plen = make_rtcp(plain, ssrc, 0x17);
		len = plen;
		memcpy(pkt, plain, plen);
		assert_int_equal(srtpx_rtcp(enc, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(len, plen + 16 + 4);
		/* E||index, after the tag: the index is the sender's to choose */
		eidx = get32(pkt + len - 4);
		if (eidx >> 31 != !c.unencrypted_srtcp)
			fail_msg("%s: E flag %u", name, eidx >> 31);
		wlen = ref_gcm_srtcp(ekey, klen, salt, eidx & 0x7fffffff, eidx >> 31, plain, plen,
				     want);
		if (len != wlen || memcmp(pkt, want, len))
			fail_msg("%s: SRTCP differs from RFC 7714", name);
		srtpx_free(enc);
	}
}

/* RFC 7714 16 and 17: the published SRTP and SRTCP packets. The RFC gives them for the session key
 * K_e and salt K_s ("Quid pro quo"), not for a master key, so they cannot go through the wrapper
 * (which, like libsrtp2, takes the master key and salt): they pin the reference test_reference_gcm
 * holds the wrapper to, while test_rfc3711_kdf pins the derivation of the session keys. */
static void test_rfc7714(void **state)
{
	/* RFC 7714 16: SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0, "Gallia est omnis divisa in ..." */
	static const char rtp[] = "8040f17b8041f8d35501a0b2"
				  "47616c6c696120657374206f6d6e69732064697669736120696e"
				  "207061727465732074726573";
	/* RFC 7714 17.1-17.4: SSRC "Mars", SRTCP index 0x5d4 (the packet these sections protect;
	 * the one printed at the head of section 17 differs in a few octets) */
	static const char rtcp[] = "81c8000d4d617273"
				   "4e5450314e545032525450200000042a0000e9304c756e61"
				   "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
	static const struct {
		const char *sec;
		unsigned int klen;
		bool rtcp, encrypt;
		const char *out;
	} v[] = {
		{"16.1.1", 16, false, true,
		 "8040f17b8041f8d35501a0b2"
		 "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833"
		 "899d7f27beb16a9152cf765ee4390cce"},
		{"16.2.1", 32, false, true,
		 "8040f17b8041f8d35501a0b2"
		 "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b"
		 "7aa3db36dfffd6b0f9bb7878d7a76c13"},
		{"17.1", 16, true, true,
		 "81c8000d4d617273"
		 "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded"
		 "0bb9275b"
		 "c84aa45896cf4d2fc5abf87245d9eade"
		 "800005d4"},
		{"17.2", 32, true, true,
		 "81c8000d4d617273"
		 "d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0"
		 "476f1b6fad"
		 "1d1eb30c4446839f57ff6f6cb26ac3be"
		 "800005d4"},
		{"17.3", 16, true, false,
		 "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
		 "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
		 "841dd9683dd78ec92ae58790125f62b3"
		 "000005d4"},
		{"17.4", 32, true, false,
		 "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
		 "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
		 "91db4afbfeee5a978fab4393ed2615fe"
		 "000005d4"},
	};
	uint8_t key[32], salt[12], iv[12], want_iv[12], in[128], out[128], want[128];
	unsigned int len;

	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key);
	unhex("517569642070726f2071756f", salt);
	/* the IVs sections 16 and 17 print */
	gcm_iv(salt, 0x5501a0b2, 0xf17b, iv);
	unhex("51753c6580c2726f20718414", want_iv);
	assert_memory_equal(iv, want_iv, 12);
	gcm_iv(salt, 0x4d617273, 0x5d4, iv);
	unhex("517524055203726f207170bb", want_iv);
	assert_memory_equal(iv, want_iv, 12);

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		const char *plain = v[i].rtcp ? rtcp : rtp;

		unhex(plain, in);
		unhex(v[i].out, want);
		/* the 128-bit K_e is the first half of the 256-bit one */
		if (v[i].rtcp)
			len = ref_gcm_srtcp(key, v[i].klen, salt, 0x5d4, v[i].encrypt, in,
					    (unsigned int)strlen(plain) / 2, out);
		else
			len = ref_gcm_srtp(key, v[i].klen, salt, 0, in,
					   (unsigned int)strlen(plain) / 2, out);
		if (len != strlen(v[i].out) / 2 || memcmp(out, want, len))
			fail_msg("RFC 7714 %s differs", v[i].sec);
	}
}

static void test_new_refused(void **state)
{
	struct sdes_crypto c;
	static const struct variant v = {SDES_AEAD_AES_128_GCM, 0, 0};

	errno = 0;
	assert_null(srtpx_new(NULL, SRTPX_DECRYPT));
	assert_int_equal(errno, EINVAL);
	make_key(&c, &v);
	c.suite = NULL;
	assert_null(srtpx_new(&c, SRTPX_DECRYPT));
	assert_int_equal(errno, EINVAL);
	make_key(&c, &v);
	c.key_len = 30;
	assert_null(srtpx_new(&c, SRTPX_ENCRYPT));
	assert_int_equal(errno, EINVAL);
	make_key(&c, &v);
	c.mki_len = 5;
	assert_null(srtpx_new(&c, SRTPX_ENCRYPT));
	assert_int_equal(errno, EINVAL);
	make_key(&c, &v);
	assert_null(srtpx_new(&c, (enum srtpx_dir)7));
	assert_int_equal(errno, EINVAL);
	/* libsrtp2 would encrypt anyway: refused rather than wrong on the wire. */
	make_key(&c, &v);
	c.unencrypted_srtp = true;
	assert_null(srtpx_new(&c, SRTPX_ENCRYPT));
	assert_int_equal(errno, ENOTSUP);
	make_key(&c, &v);
	c.unauthenticated_srtp = true;
	assert_null(srtpx_new(&c, SRTPX_DECRYPT));
	assert_int_equal(errno, ENOTSUP);
	/* srtpx_init twice is fine. */
	assert_int_equal(srtpx_init(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_mki),
		cmocka_unit_test(test_many_ssrcs),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_raw_libsrtp),
		cmocka_unit_test(test_rfc3711_aes_cm),
		cmocka_unit_test(test_rfc3711_kdf),
		cmocka_unit_test(test_rfc7714),
		cmocka_unit_test(test_reference_hmac_suites),
		cmocka_unit_test(test_reference_gcm),
		cmocka_unit_test(test_new_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
