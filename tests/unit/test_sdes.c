// SPDX-License-Identifier: GPL-2.0-only
/* sdes: a=crypto parsing for every suite, lifetime, MKI and session parameter, refusals with their
 * exact reasons, canonical printing and round trips, fresh keys, the ng SDES option words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* base64 of the bytes 0, 1, 2, ... N-1 */
#define K28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define K29 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="
#define K30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define K31 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="
#define K38 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCU="
#define K44 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="
#define K46 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ=="
#define K64                                                                                    \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+" \
	"Pw=="
#define K65                                                                                    \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+" \
	"P0A="
/* RFC 4568 9.1's example key */
#define RFC_KEY	    "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define RFC_KEY_HEX "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051"

#define S80 "AES_CM_128_HMAC_SHA1_80"

enum { UE_RTP = 1, UE_RTCP = 2, UA_RTP = 4 };

struct parse_row {
	const char *in;
	int rc;
	const char *why; /* rc != 0 */
	/* rc == 0: */
	unsigned int tag;
	enum sdes_suite_id suite;
	const char *key_hex; /* NULL: the bytes 0..key_len-1 */
	uint64_t lifetime;
	uint32_t mki;
	unsigned int mki_len;
	unsigned int flags;
};

#define OK(in_, tag_, suite_, ...)                                   \
	{                                                            \
		.in = in_, .tag = tag_, .suite = suite_, __VA_ARGS__ \
	}
#define BAD(in_, rc_, why_)                       \
	{                                         \
		.in = in_, .rc = rc_, .why = why_ \
	}

static void hex_decode(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	*len = n;
}

static void check_row(size_t i, const struct parse_row *r)
{
	struct sdes_crypto c;
	const char *why = "unset";
	uint8_t want[SDES_MAX_KEY];
	size_t want_len;
	int rc;

	memset(&c, 0x5a, sizeof(c));
	rc = sdes_parse(r->in, strlen(r->in), &c, &why);
	if (rc != r->rc)
		fail_msg("row %zu '%s': rc %d, expected %d (%s)", i, r->in, rc, r->rc,
			 why ? why : "no reason");
	if (rc) {
		static const struct sdes_crypto zero;

		if (!why || strcmp(why, r->why))
			fail_msg("row %zu '%s': reason '%s', expected '%s'", i, r->in,
				 why ? why : "(null)", r->why);
		/* No key material left behind on a refusal. */
		if (memcmp(&c, &zero, sizeof(c)))
			fail_msg("row %zu '%s': struct not cleared on failure", i, r->in);
		return;
	}
	if (why)
		fail_msg("row %zu '%s': reason '%s' on success", i, r->in, why);
	const struct sdes_suite *s = &sdes_suites[r->suite];
	if (c.tag != r->tag || c.suite != s)
		fail_msg("row %zu '%s': tag %u suite %s, expected %u %s", i, r->in, c.tag,
			 c.suite ? c.suite->name : "NULL", r->tag, s->name);
	if (r->key_hex) {
		hex_decode(r->key_hex, want, &want_len);
	} else {
		want_len = s->key_len + s->salt_len;
		for (size_t k = 0; k < want_len; k++)
			want[k] = (uint8_t)k;
	}
	if (c.key_len != want_len || memcmp(c.key, want, want_len))
		fail_msg("row %zu '%s': key of %u bytes differs (expected %zu)", i, r->in,
			 c.key_len, want_len);
	if (c.lifetime != r->lifetime || c.mki != r->mki || c.mki_len != r->mki_len)
		fail_msg("row %zu '%s': lifetime %llu mki %u:%u, expected %llu %u:%u", i, r->in,
			 (unsigned long long)c.lifetime, c.mki, c.mki_len,
			 (unsigned long long)r->lifetime, r->mki, r->mki_len);
	if (c.unencrypted_srtp != !!(r->flags & UE_RTP) ||
	    c.unencrypted_srtcp != !!(r->flags & UE_RTCP) ||
	    c.unauthenticated_srtp != !!(r->flags & UA_RTP))
		fail_msg("row %zu '%s': session parameters %d%d%d, expected flags %u", i, r->in,
			 c.unencrypted_srtp, c.unencrypted_srtcp, c.unauthenticated_srtp, r->flags);
}

static void test_parse_ok(void **state)
{
	static const struct parse_row rows[] = {
		OK("1 " S80 " inline:" RFC_KEY "|2^20|1:4", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .key_hex = RFC_KEY_HEX, .lifetime = 1u << 20, .mki = 1, .mki_len = 4),
		OK("1 " S80 " inline:" K30, 1, SDES_AES_CM_128_HMAC_SHA1_80),
		OK("2 AES_CM_128_HMAC_SHA1_32 inline:" K30, 2, SDES_AES_CM_128_HMAC_SHA1_32),
		OK("3 AES_192_CM_HMAC_SHA1_80 inline:" K38, 3, SDES_AES_192_CM_HMAC_SHA1_80),
		/* padding optional */
		OK("4 AES_192_CM_HMAC_SHA1_32 "
		   "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCU",
		   4, SDES_AES_192_CM_HMAC_SHA1_32),
		OK("5 AES_256_CM_HMAC_SHA1_80 inline:" K46, 5, SDES_AES_256_CM_HMAC_SHA1_80),
		OK("6 AES_256_CM_HMAC_SHA1_32 "
		   "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ",
		   6, SDES_AES_256_CM_HMAC_SHA1_32),
		OK("7 AEAD_AES_128_GCM inline:" K28, 7, SDES_AEAD_AES_128_GCM),
		OK("8 AEAD_AES_256_GCM inline:" K44, 8, SDES_AEAD_AES_256_GCM),
		OK("9 NULL_HMAC_SHA1_80 inline:" K30, 9, SDES_NULL_HMAC_SHA1_80),
		OK("10 NULL_HMAC_SHA1_32 inline:" K30, 10, SDES_NULL_HMAC_SHA1_32),
		OK("999999999 " S80 " inline:" K30, 999999999, SDES_AES_CM_128_HMAC_SHA1_80),
		OK("007 " S80 " inline:" K30, 7, SDES_AES_CM_128_HMAC_SHA1_80),
		/* lifetimes: power of two and decimal */
		OK("1 " S80 " inline:" K30 "|2^20", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .lifetime = 1048576),
		OK("1 " S80 " inline:" K30 "|1048576", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .lifetime = 1048576),
		OK("1 " S80 " inline:" K30 "|2^48", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .lifetime = 1ull << 48),
		OK("1 " S80 " inline:" K30 "|1000000", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .lifetime = 1000000),
		/* MKI, with and without a lifetime before it */
		OK("1 " S80 " inline:" K30 "|2^31|7:1", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .lifetime = 1u << 31, .mki = 7, .mki_len = 1),
		OK("1 " S80 " inline:" K30 "|1:4", 1, SDES_AES_CM_128_HMAC_SHA1_80, .mki = 1,
		   .mki_len = 4),
		OK("1 " S80 " inline:" K30 "|255:1", 1, SDES_AES_CM_128_HMAC_SHA1_80, .mki = 255,
		   .mki_len = 1),
		OK("1 " S80 " inline:" K30 "|65535:2", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .mki = 65535, .mki_len = 2),
		OK("1 " S80 " inline:" K30 "|4294967295:4", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .mki = 4294967295u, .mki_len = 4),
		OK("8 AEAD_AES_256_GCM inline:" K44 "|2^40|3:2", 8, SDES_AEAD_AES_256_GCM,
		   .lifetime = 1ull << 40, .mki = 3, .mki_len = 2),
		/* session parameters */
		OK("1 " S80 " inline:" K30 " UNENCRYPTED_SRTP", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .flags = UE_RTP),
		OK("1 " S80 " inline:" K30 " UNENCRYPTED_SRTCP", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .flags = UE_RTCP),
		OK("1 " S80 " inline:" K30 " UNAUTHENTICATED_SRTP", 1, SDES_AES_CM_128_HMAC_SHA1_80,
		   .flags = UA_RTP),
		OK("1 " S80 " inline:" K30 "|2^20|1:4 UNENCRYPTED_SRTCP UNENCRYPTED_SRTP "
		   "UNAUTHENTICATED_SRTP",
		   1, SDES_AES_CM_128_HMAC_SHA1_80, .lifetime = 1u << 20, .mki = 1, .mki_len = 4,
		   .flags = UE_RTP | UE_RTCP | UA_RTP),
		OK("1 " S80 " inline:" K30 " KDR=0 WSH=128", 1, SDES_AES_CM_128_HMAC_SHA1_80),
		OK("7 AEAD_AES_128_GCM inline:" K28 " UNENCRYPTED_SRTCP", 7, SDES_AEAD_AES_128_GCM,
		   .flags = UE_RTCP),
		/* whitespace: tabs, runs of blanks, a line ending left on the value */
		OK("1\t" S80 "  inline:" K30 " \r\n", 1, SDES_AES_CM_128_HMAC_SHA1_80),
		OK("1 " S80 " INLINE:" K30, 1, SDES_AES_CM_128_HMAC_SHA1_80),
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		check_row(i, &rows[i]);
}

static void test_parse_refused(void **state)
{
	static const struct parse_row rows[] = {
		BAD("", -EINVAL, "empty crypto attribute"),
		BAD("  \r\n", -EINVAL, "empty crypto attribute"),
		BAD("x " S80 " inline:" K30, -EINVAL, "bad tag"),
		BAD("0 " S80 " inline:" K30, -EINVAL, "bad tag"),
		BAD("-1 " S80 " inline:" K30, -EINVAL, "bad tag"),
		BAD("1000000000 " S80 " inline:" K30, -EINVAL, "bad tag"),
		BAD("1a " S80 " inline:" K30, -EINVAL, "bad tag"),
		BAD("1", -EINVAL, "missing crypto suite"),
		BAD("1 " S80, -EINVAL, "missing key parameters"),
		BAD("1 F8_128_HMAC_SHA1_80 inline:" K30, -ENOTSUP, "unknown crypto suite"),
		BAD("1 aes_cm_128_hmac_sha1_80 inline:" K30, -ENOTSUP, "unknown crypto suite"),
		BAD("1 AES_CM_128_HMAC_SHA1_8 inline:" K30, -ENOTSUP, "unknown crypto suite"),
		BAD("1 " S80 " " K30, -EINVAL, "key parameters do not start with inline:"),
		BAD("1 " S80 " inline" K30, -EINVAL, "key parameters do not start with inline:"),
		BAD("1 " S80 " uri:http://example.com/key", -EINVAL,
		    "key parameters do not start with inline:"),
		BAD("1 " S80 " inline:" K30 ";inline:" K30, -ENOTSUP, "several master keys"),
		BAD("1 " S80 " inline:" K30 "|2^20|1:4;inline:" K30 "|2^20|2:4", -ENOTSUP,
		    "several master keys"),
		/* base64 */
		BAD("1 " S80 " inline:", -EINVAL, "bad base64 key"),
		BAD("1 " S80 " inline:|2^20", -EINVAL, "bad base64 key"),
		BAD("1 " S80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw*", -EINVAL,
		    "bad base64 key"),
		BAD("1 " S80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx-d", -EINVAL,
		    "bad base64 key"),
		BAD("1 " S80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG=wd", -EINVAL,
		    "bad base64 key"),
		BAD("1 " S80 " inline:A", -EINVAL, "bad base64 key"),
		BAD("1 " S80 " inline:AAECA", -EINVAL, "bad base64 key"),
		BAD("1 " S80 " inline:AAECAw=", -EINVAL, "bad base64 key"),
		BAD("1 " S80 " inline:AAECAw===", -EINVAL, "bad base64 key"),
		/* key lengths */
		BAD("1 " S80 " inline:" K29, -ENOTSUP, "key length does not match the suite"),
		BAD("1 " S80 " inline:" K31, -ENOTSUP, "key length does not match the suite"),
		BAD("1 " S80 " inline:" K46, -ENOTSUP, "key length does not match the suite"),
		BAD("1 " S80 " inline:" K64, -ENOTSUP, "key length does not match the suite"),
		BAD("1 " S80 " inline:" K65, -ENOTSUP, "key length does not match the suite"),
		BAD("1 " S80 " inline:" K30 K30 K30, -ENOTSUP,
		    "key length does not match the suite"),
		BAD("1 AES_256_CM_HMAC_SHA1_80 inline:" K44, -ENOTSUP,
		    "key length does not match the suite"),
		BAD("1 AEAD_AES_128_GCM inline:" K30, -ENOTSUP,
		    "key length does not match the suite"),
		BAD("1 AEAD_AES_256_GCM inline:" K46, -ENOTSUP,
		    "key length does not match the suite"),
		BAD("1 NULL_HMAC_SHA1_80 inline:" K28, -ENOTSUP,
		    "key length does not match the suite"),
		/* lifetime */
		BAD("1 " S80 " inline:" K30 "|", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|0", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|2^", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|2^64", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|2^x", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|3^20", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|abc", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|18446744073709551616", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "||1:4", -EINVAL, "bad lifetime"),
		BAD("1 " S80 " inline:" K30 "|2^20|2^20", -EINVAL, "bad lifetime"),
		/* MKI */
		BAD("1 " S80 " inline:" K30 "|1:4|2^20", -EINVAL,
		    "bad key parameters after the MKI"),
		BAD("1 " S80 " inline:" K30 "|1:4|2:4", -EINVAL,
		    "bad key parameters after the MKI"),
		BAD("1 " S80 " inline:" K30 "|1:0", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|1:129", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|:4", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|1:", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|1:4:4", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|x:4", -EINVAL, "bad MKI"),
		BAD("1 " S80 " inline:" K30 "|1:5", -ENOTSUP, "MKI longer than 4 bytes"),
		BAD("1 " S80 " inline:" K30 "|1:128", -ENOTSUP, "MKI longer than 4 bytes"),
		BAD("1 " S80 " inline:" K30 "|256:1", -EINVAL, "MKI value does not fit its length"),
		BAD("1 " S80 " inline:" K30 "|65536:2", -EINVAL,
		    "MKI value does not fit its length"),
		BAD("1 " S80 " inline:" K30 "|4294967296:4", -EINVAL,
		    "MKI value does not fit its length"),
		/* session parameters */
		BAD("1 " S80 " inline:" K30 " FEC_ORDER=FEC_SRTP", -ENOTSUP,
		    "FEC_ORDER not supported"),
		BAD("1 " S80 " inline:" K30 " FEC_KEY=inline:" K30, -ENOTSUP,
		    "FEC_KEY not supported"),
		BAD("1 " S80 " inline:" K30 " KDR=1", -ENOTSUP,
		    "KDR (key derivation rate) not supported"),
		BAD("1 " S80 " inline:" K30 " KDR=24", -ENOTSUP,
		    "KDR (key derivation rate) not supported"),
		BAD("1 " S80 " inline:" K30 " KDR=25", -EINVAL, "bad KDR"),
		BAD("1 " S80 " inline:" K30 " KDR=", -EINVAL, "bad KDR"),
		BAD("1 " S80 " inline:" K30 " KDR=x", -EINVAL, "bad KDR"),
		BAD("1 " S80 " inline:" K30 " WSH=63", -EINVAL, "bad WSH"),
		BAD("1 " S80 " inline:" K30 " WSH=", -EINVAL, "bad WSH"),
		BAD("1 " S80 " inline:" K30 " UNENCRYPTED_SRTP FOO", -ENOTSUP,
		    "unknown session parameter"),
		BAD("1 " S80 " inline:" K30 " UNENCRYPTED", -ENOTSUP, "unknown session parameter"),
		/* AEAD always authenticates, and libsrtp2 always encrypts it */
		BAD("7 AEAD_AES_128_GCM inline:" K28 " UNAUTHENTICATED_SRTP", -ENOTSUP,
		    "UNAUTHENTICATED_SRTP with an AEAD suite"),
		BAD("8 AEAD_AES_256_GCM inline:" K44 " UNENCRYPTED_SRTP", -ENOTSUP,
		    "UNENCRYPTED_SRTP with an AEAD suite"),
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		check_row(i, &rows[i]);
}

/* The value is not NUL-terminated in an SDP buffer: only len bytes are read. */
static void test_parse_length_bound(void **state)
{
	static const char text[] = "1 " S80 " inline:" K30 "|2^20 UNENCRYPTED_SRTPXXXX";
	struct sdes_crypto c;
	const char *why = NULL;
	size_t len = strlen(text) - 4;

	assert_int_equal(sdes_parse(text, len, &c, &why), 0);
	assert_true(c.unencrypted_srtp);
	assert_int_equal(c.lifetime, 1u << 20);
	/* Cut inside the key: wrong length, not a read past the end. */
	assert_int_equal(sdes_parse(text, strlen("1 " S80 " inline:AAEC"), &c, &why), -ENOTSUP);
	assert_string_equal(why, "key length does not match the suite");
	/* err may be NULL; c may not. */
	assert_int_equal(sdes_parse(text, len, &c, NULL), 0);
	assert_int_equal(sdes_parse(text, len, NULL, &why), -EINVAL);
	assert_int_equal(sdes_parse(NULL, 0, &c, &why), -EINVAL);
}

static void test_format(void **state)
{
	static const struct {
		const char *in, *out, *out_pad;
	} rows[] = {
		{"1 " S80 " inline:" RFC_KEY "|2^20|1:4", "1 " S80 " inline:" RFC_KEY "|2^20|1:4",
		 NULL},
		{"1 " S80 " inline:" K30 "|1048576", "1 " S80 " inline:" K30 "|2^20", NULL},
		{"1 " S80 " inline:" K30 "|1000000", "1 " S80 " inline:" K30 "|1000000", NULL},
		{"1 " S80 " inline:" K30 "|2^0", "1 " S80 " inline:" K30 "|2^0", NULL},
		{"1 " S80 " inline:" K30 "|2^63", "1 " S80 " inline:" K30 "|2^63", NULL},
		{"1 " S80 " inline:" K30 "|18446744073709551615",
		 "1 " S80 " inline:" K30 "|18446744073709551615", NULL},
		{"12 " S80 " INLINE:" K30 "|4294967295:4", "12 " S80 " inline:" K30 "|4294967295:4",
		 NULL},
		{"3 AES_192_CM_HMAC_SHA1_80 inline:" K38,
		 "3 AES_192_CM_HMAC_SHA1_80 "
		 "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCU",
		 "3 AES_192_CM_HMAC_SHA1_80 inline:" K38},
		{"5 AES_256_CM_HMAC_SHA1_32 inline:" K46,
		 "5 AES_256_CM_HMAC_SHA1_32 "
		 "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ",
		 "5 AES_256_CM_HMAC_SHA1_32 inline:" K46},
		{"7 AEAD_AES_128_GCM inline:" K28 "  UNENCRYPTED_SRTCP",
		 "7 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw "
		 "UNENCRYPTED_SRTCP",
		 "7 AEAD_AES_128_GCM inline:" K28 " UNENCRYPTED_SRTCP"},
		{"9 NULL_HMAC_SHA1_32 inline:" K30
		 " UNAUTHENTICATED_SRTP UNENCRYPTED_SRTCP UNENCRYPTED_SRTP KDR=0",
		 "9 NULL_HMAC_SHA1_32 inline:" K30
		 " UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP",
		 NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sdes_crypto c, back;
		char buf[SDES_MAX_LINE_LEN];
		const char *why = NULL;
		int n;

		if (sdes_parse(rows[i].in, strlen(rows[i].in), &c, &why))
			fail_msg("row %zu '%s': %s", i, rows[i].in, why);
		n = sdes_format(&c, buf, sizeof(buf));
		if (n != (int)strlen(rows[i].out) || strcmp(buf, rows[i].out))
			fail_msg("row %zu: printed '%s' (%d), expected '%s'", i, buf, n,
				 rows[i].out);
		n = sdes_format_pad(&c, true, buf, sizeof(buf));
		const char *pad = rows[i].out_pad ? rows[i].out_pad : rows[i].out;
		if (n != (int)strlen(pad) || strcmp(buf, pad))
			fail_msg("row %zu: printed padded '%s', expected '%s'", i, buf, pad);
		/* And back: the same crypto. */
		if (sdes_parse(buf, (size_t)n, &back, &why))
			fail_msg("row %zu '%s' does not parse back: %s", i, buf, why);
		if (!sdes_same_key(&c, &back) || back.tag != c.tag || back.lifetime != c.lifetime)
			fail_msg("row %zu '%s' parsed back differently", i, buf);

		/* Every buffer too small by one or more bytes is refused, never truncated. */
		size_t need = strlen(rows[i].out) + 1;
		for (size_t size = 0; size < need; size++) {
			memset(buf, 'x', sizeof(buf));
			if (sdes_format(&c, buf, size) != -ENOSPC)
				fail_msg("row %zu: size %zu of %zu not refused", i, size, need);
		}
		assert_int_equal(sdes_format(&c, buf, need), (int)need - 1);
	}
}

static void test_format_invalid(void **state)
{
	struct sdes_crypto c;
	char buf[SDES_MAX_LINE_LEN];

	assert_int_equal(sdes_generate(&c, &sdes_suites[SDES_AES_CM_128_HMAC_SHA1_80], 1), 0);
	c.suite = NULL;
	assert_int_equal(sdes_format(&c, buf, sizeof(buf)), -EINVAL);
	c.suite = &sdes_suites[SDES_AES_256_CM_HMAC_SHA1_80]; /* 46 bytes, key has 30 */
	assert_int_equal(sdes_format(&c, buf, sizeof(buf)), -EINVAL);
	c.suite = &sdes_suites[SDES_AES_CM_128_HMAC_SHA1_80];
	c.tag = 0;
	assert_int_equal(sdes_format(&c, buf, sizeof(buf)), -EINVAL);
	c.tag = 1;
	c.mki_len = 5;
	assert_int_equal(sdes_format(&c, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sdes_format(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_generate(void **state)
{
	for (size_t i = 0; i < SDES_N_SUITES; i++) {
		const struct sdes_suite *s = &sdes_suites[i];
		struct sdes_crypto a, b, back;
		char buf[SDES_MAX_LINE_LEN];
		const char *why = NULL;
		static const uint8_t zero[SDES_MAX_KEY];
		int n;

		assert_int_equal(s->id, (enum sdes_suite_id)i);
		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(sdes_generate(&a, s, (unsigned int)i + 1), 0);
		assert_int_equal(sdes_generate(&b, s, (unsigned int)i + 1), 0);
		assert_ptr_equal(a.suite, s);
		assert_int_equal(a.tag, i + 1);
		assert_int_equal(a.key_len, s->key_len + s->salt_len);
		assert_int_equal(a.lifetime, 0);
		assert_int_equal(a.mki_len, 0);
		assert_false(a.unencrypted_srtp || a.unencrypted_srtcp || a.unauthenticated_srtp);
		/* Bytes past the key stay zero; two keys differ (2^-224 odds at worst). */
		assert_memory_equal(a.key + a.key_len, zero, SDES_MAX_KEY - a.key_len);
		assert_memory_not_equal(a.key, b.key, a.key_len);
		assert_false(sdes_same_key(&a, &b));

		n = sdes_format(&a, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(sdes_parse(buf, (size_t)n, &back, &why), 0);
		assert_true(sdes_same_key(&a, &back));
	}
	{
		struct sdes_crypto c;
		struct sdes_suite fake = sdes_suites[0];

		assert_int_equal(sdes_generate(&c, NULL, 1), -EINVAL);
		assert_int_equal(sdes_generate(&c, &sdes_suites[0], 0), -EINVAL);
		assert_int_equal(sdes_generate(&c, &sdes_suites[0], 1000000000), -EINVAL);
		assert_int_equal(sdes_generate(&c, &fake, 1), -EINVAL);
		assert_int_equal(sdes_generate(NULL, &sdes_suites[0], 1), -EINVAL);
	}
}

static void test_suites(void **state)
{
	static const struct {
		const char *name;
		unsigned int key, salt, rtp_tag, rtcp_tag;
	} want[SDES_N_SUITES] = {
		[SDES_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
		[SDES_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
		[SDES_AES_192_CM_HMAC_SHA1_80] = {"AES_192_CM_HMAC_SHA1_80", 24, 14, 10, 10},
		[SDES_AES_192_CM_HMAC_SHA1_32] = {"AES_192_CM_HMAC_SHA1_32", 24, 14, 4, 10},
		[SDES_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10},
		[SDES_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10},
		[SDES_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16},
		[SDES_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16},
		[SDES_NULL_HMAC_SHA1_80] = {"NULL_HMAC_SHA1_80", 16, 14, 10, 10},
		[SDES_NULL_HMAC_SHA1_32] = {"NULL_HMAC_SHA1_32", 16, 14, 4, 10},
	};

	for (size_t i = 0; i < SDES_N_SUITES; i++) {
		const struct sdes_suite *s = &sdes_suites[i];

		assert_int_equal(s->id, (enum sdes_suite_id)i);
		assert_string_equal(s->name, want[i].name);
		assert_int_equal(s->key_len, want[i].key);
		assert_int_equal(s->salt_len, want[i].salt);
		assert_int_equal(s->rtp_tag_len, want[i].rtp_tag);
		assert_int_equal(s->rtcp_tag_len, want[i].rtcp_tag);
		assert_true(s->key_len + s->salt_len <= SDES_MAX_KEY);
		assert_ptr_equal(sdes_suite_by_name(s->name, strlen(s->name)), s);
		/* A prefix of a name is not the name. */
		assert_null(sdes_suite_by_name(s->name, strlen(s->name) - 1));
	}
	assert_null(sdes_suite_by_name("F8_128_HMAC_SHA1_80", 19));
	assert_null(sdes_suite_by_name(NULL, 0));
	assert_null(sdes_suite_by_name("", 0));
}

#define BIT(id) (1u << (id))

static void test_opt_words(void **state)
{
	enum {
		OFF = 1 << 0,
		NONEW = 1 << 1,
		UE = 1 << 2,
		UEC = 1 << 3,
		UA = 1 << 4,
		E = 1 << 5,
		EC = 1 << 6,
		A = 1 << 7,
		PAD = 1 << 8,
		LIFE = 1 << 9,
		STATIC = 1 << 10,
	};
	static const struct {
		const char *word;
		int rc;
		unsigned int flags;
		uint32_t no, only;
	} rows[] = {
		{.word = "off", .flags = OFF},
		{.word = "no", .flags = OFF},
		{.word = "disable", .flags = OFF},
		{.word = "nonew", .flags = NONEW},
		{.word = "SDES-nonew", .flags = NONEW},
		{.word = "SDES-off", .flags = OFF},
		{.word = "unencrypted_srtp", .flags = UE},
		{.word = "UNENCRYPTED_SRTP", .flags = UE},
		{.word = "unencrypted_srtcp", .flags = UEC},
		{.word = "UNENCRYPTED_SRTCP", .flags = UEC},
		{.word = "unauthenticated_srtp", .flags = UA},
		{.word = "UNAUTHENTICATED_SRTP", .flags = UA},
		{.word = "encrypted_srtp", .flags = E},
		{.word = "ENCRYPTED_SRTCP", .flags = EC},
		{.word = "authenticated_srtp", .flags = A},
		{.word = "pad", .flags = PAD},
		{.word = "lifetime", .flags = LIFE},
		{.word = "static", .flags = STATIC},
		{.word = "no-AES_CM_128_HMAC_SHA1_32", .no = BIT(SDES_AES_CM_128_HMAC_SHA1_32)},
		{.word = "no-NULL_HMAC_SHA1_80", .no = BIT(SDES_NULL_HMAC_SHA1_80)},
		{.word = "SDES-no-AEAD_AES_256_GCM", .no = BIT(SDES_AEAD_AES_256_GCM)},
		{.word = "only-AEAD_AES_128_GCM", .only = BIT(SDES_AEAD_AES_128_GCM)},
		{.word = "only-AES_256_CM_HMAC_SHA1_80", .only = BIT(SDES_AES_256_CM_HMAC_SHA1_80)},
		/* refused */
		{.word = "", .rc = -EINVAL},
		{.word = "OFF", .rc = -EINVAL},
		{.word = "Unencrypted_srtp", .rc = -EINVAL},
		{.word = "nonew ", .rc = -EINVAL},
		{.word = "no-", .rc = -EINVAL},
		{.word = "no-F8_128_HMAC_SHA1_80", .rc = -EINVAL},
		{.word = "no-aes_cm_128_hmac_sha1_80", .rc = -EINVAL},
		{.word = "only-", .rc = -EINVAL},
		{.word = "only-AES_CM_128", .rc = -EINVAL},
		{.word = "SDES-", .rc = -EINVAL},
		{.word = "bogus", .rc = -EINVAL},
		{.word = "order:AES_CM_128_HMAC_SHA1_80", .rc = -ENOTSUP},
		{.word = "offerer_pref:AES_CM_128_HMAC_SHA1_80", .rc = -ENOTSUP},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sdes_opts o = {0};
		unsigned int got;
		int rc = sdes_opt(&o, rows[i].word, strlen(rows[i].word));

		if (rc != rows[i].rc)
			fail_msg("row %zu '%s': rc %d, expected %d", i, rows[i].word, rc,
				 rows[i].rc);
		got = (o.off ? OFF : 0) | (o.nonew ? NONEW : 0) | (o.unencrypted_srtp ? UE : 0) |
		      (o.unencrypted_srtcp ? UEC : 0) | (o.unauthenticated_srtp ? UA : 0) |
		      (o.encrypted_srtp ? E : 0) | (o.encrypted_srtcp ? EC : 0) |
		      (o.authenticated_srtp ? A : 0) | (o.pad ? PAD : 0) | (o.lifetime ? LIFE : 0) |
		      (o.static_ ? STATIC : 0);
		if (got != rows[i].flags || o.no_mask != rows[i].no || o.only_mask != rows[i].only)
			fail_msg("row %zu '%s': flags %#x no %#x only %#x, expected %#x %#x %#x", i,
				 rows[i].word, got, o.no_mask, o.only_mask, rows[i].flags,
				 rows[i].no, rows[i].only);
	}
	/* Only len bytes are read. */
	{
		struct sdes_opts o = {0};

		assert_int_equal(sdes_opt(&o, "nonewXYZ", 5), 0);
		assert_true(o.nonew);
		assert_int_equal(sdes_opt(&o, "no-AES_CM_128_HMAC_SHA1_80XX", 26), 0);
		assert_int_equal(o.no_mask, BIT(SDES_AES_CM_128_HMAC_SHA1_80));
		assert_int_equal(sdes_opt(NULL, "off", 3), -EINVAL);
		assert_int_equal(sdes_opt(&o, NULL, 0), -EINVAL);
	}
}

static void apply(struct sdes_opts *o, const char *const *words)
{
	for (; *words; words++)
		if (sdes_opt(o, *words, strlen(*words)))
			fail_msg("option '%s' refused", *words);
}

static void test_opt_masks(void **state)
{
	/* allowed / passed bits per suite, in sdes_suite_id order; 0xff: all but the NULL ones,
	 * which the relay offers only when named with only- */
	static const struct {
		const char *words[6];
		uint32_t allow, filter;
	} rows[] = {
		{{NULL}, 0xff, 0x3ff},
		{{"only-NULL_HMAC_SHA1_32", NULL},
		 BIT(SDES_NULL_HMAC_SHA1_32),
		 BIT(SDES_NULL_HMAC_SHA1_32)},
		{{"no-AES_CM_128_HMAC_SHA1_32", "no-NULL_HMAC_SHA1_80", "no-NULL_HMAC_SHA1_32",
		  NULL},
		 0x3ff & ~(BIT(SDES_AES_CM_128_HMAC_SHA1_32) | BIT(SDES_NULL_HMAC_SHA1_80) |
			   BIT(SDES_NULL_HMAC_SHA1_32)),
		 0x3ff & ~(BIT(SDES_AES_CM_128_HMAC_SHA1_32) | BIT(SDES_NULL_HMAC_SHA1_80) |
			   BIT(SDES_NULL_HMAC_SHA1_32))},
		{{"only-AEAD_AES_256_GCM", NULL},
		 BIT(SDES_AEAD_AES_256_GCM),
		 BIT(SDES_AEAD_AES_256_GCM)},
		/* only- wins over no-, even for the same suite */
		{{"no-AEAD_AES_256_GCM", "only-AEAD_AES_256_GCM", "only-AES_CM_128_HMAC_SHA1_80",
		  NULL},
		 BIT(SDES_AEAD_AES_256_GCM) | BIT(SDES_AES_CM_128_HMAC_SHA1_80),
		 BIT(SDES_AEAD_AES_256_GCM) | BIT(SDES_AES_CM_128_HMAC_SHA1_80)},
		/* nonew: nothing new, the offerer's lines kept (filtered) */
		{{"nonew", NULL}, 0, 0x3ff},
		{{"nonew", "only-AES_CM_128_HMAC_SHA1_80", NULL},
		 0,
		 BIT(SDES_AES_CM_128_HMAC_SHA1_80)},
		{{"off", NULL}, 0, 0x3ff},
		/* session parameters an AEAD suite cannot carry */
		{{"unencrypted_srtp", NULL},
		 0xff & ~(BIT(SDES_AEAD_AES_128_GCM) | BIT(SDES_AEAD_AES_256_GCM)),
		 0x3ff},
		{{"UNAUTHENTICATED_SRTP", NULL},
		 0xff & ~(BIT(SDES_AEAD_AES_128_GCM) | BIT(SDES_AEAD_AES_256_GCM)),
		 0x3ff},
		{{"unencrypted_srtp", "encrypted_srtp", NULL}, 0xff, 0x3ff},
		{{"unencrypted_srtcp", NULL}, 0xff, 0x3ff},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sdes_opts o = {0};
		uint32_t allow = 0, filter = 0;

		apply(&o, rows[i].words);
		for (size_t s = 0; s < SDES_N_SUITES; s++) {
			allow |= sdes_opts_allow(&o, &sdes_suites[s]) ? BIT(s) : 0;
			filter |= sdes_opts_filter(&o, &sdes_suites[s]) ? BIT(s) : 0;
		}
		if (allow != rows[i].allow || filter != rows[i].filter)
			fail_msg("row %zu: allow %#x filter %#x, expected %#x %#x", i, allow,
				 filter, rows[i].allow, rows[i].filter);
	}
	/* The last of a pair wins. */
	{
		struct sdes_opts o = {0};
		static const char *const words[] = {"encrypted_srtcp", "unencrypted_srtcp",
						    "unauthenticated_srtp", "authenticated_srtp",
						    NULL};

		apply(&o, words);
		assert_true(o.unencrypted_srtcp);
		assert_false(o.encrypted_srtcp);
		assert_false(o.unauthenticated_srtp);
		assert_true(o.authenticated_srtp);
	}
	assert_true(sdes_opts_allow(NULL, &sdes_suites[0]));
	assert_false(sdes_opts_allow(NULL, NULL));
	assert_false(sdes_opts_filter(NULL, NULL));
}

static void test_same_key(void **state)
{
	enum change {
		SAME,
		TAG,
		LIFETIME,
		KEY_FIRST,
		KEY_LAST,
		SUITE,
		MKI,
		MKI_LEN,
		MKI_ADDED,
		UE,
		UEC,
		UA
	};
	static const struct {
		enum change change;
		bool same;
	} rows[] = {
		{SAME, true},	    {TAG, true},    {LIFETIME, true}, {KEY_FIRST, false},
		{KEY_LAST, false},  {SUITE, false}, {MKI, false},     {MKI_LEN, false},
		{MKI_ADDED, false}, {UE, false},    {UEC, false},     {UA, false},
	};
	static const char text[] = "1 " S80 " inline:" K30 "|2^20|1:4";

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sdes_crypto a, b;

		assert_int_equal(sdes_parse(text, strlen(text), &a, NULL), 0);
		b = a;
		switch (rows[i].change) {
		case SAME:
			break;
		case TAG:
			b.tag = 2;
			break;
		case LIFETIME:
			b.lifetime = 0;
			break;
		case KEY_FIRST:
			b.key[0] ^= 1;
			break;
		case KEY_LAST:
			b.key[b.key_len - 1] ^= 0x80; /* the last salt byte */
			break;
		case SUITE:
			/* Same key length, different transform. */
			b.suite = &sdes_suites[SDES_NULL_HMAC_SHA1_80];
			break;
		case MKI:
			b.mki = 2;
			break;
		case MKI_LEN:
			b.mki_len = 2;
			break;
		case MKI_ADDED:
			a.mki_len = 0;
			a.mki = 0;
			break;
		case UE:
			b.unencrypted_srtp = true;
			break;
		case UEC:
			b.unencrypted_srtcp = true;
			break;
		case UA:
			b.unauthenticated_srtp = true;
			break;
		}
		if (sdes_same_key(&a, &b) != rows[i].same || sdes_same_key(&b, &a) != rows[i].same)
			fail_msg("row %zu: change %d: same_key %d, expected %d", i, rows[i].change,
				 sdes_same_key(&a, &b), rows[i].same);
	}
	/* Bytes past key_len do not count. */
	{
		struct sdes_crypto a, b;

		assert_int_equal(sdes_parse(text, strlen(text), &a, NULL), 0);
		b = a;
		b.key[SDES_MAX_KEY - 1] = 0xee;
		assert_true(sdes_same_key(&a, &b));
		assert_false(sdes_same_key(&a, NULL));
		assert_false(sdes_same_key(NULL, &b));
	}
}

/* A suite disabled at startup (srtpx_init, when libsrtp2 gets it wrong) is refused and never
 * offered; the others are untouched, and enabling it again restores it. */
static void test_suite_disabled(void **state)
{
	static const char text[] = "3 AES_192_CM_HMAC_SHA1_80 inline:" K38;
	const struct sdes_suite *s192 = &sdes_suites[SDES_AES_192_CM_HMAC_SHA1_80];
	struct sdes_crypto c;
	const char *why = NULL;

	assert_true(sdes_suite_enabled(s192));
	sdes_suite_set_enabled(SDES_AES_192_CM_HMAC_SHA1_80, false);
	assert_false(sdes_suite_enabled(s192));
	assert_int_equal(sdes_parse(text, strlen(text), &c, &why), -ENOTSUP);
	assert_string_equal(why, "crypto suite disabled: the SRTP library does not follow its RFC");
	assert_false(sdes_opts_allow(NULL, s192));
	for (size_t i = 0; i < SDES_N_SUITES; i++)
		if (i != SDES_AES_192_CM_HMAC_SHA1_80) {
			assert_true(sdes_suite_enabled(&sdes_suites[i]));
			assert_true(sdes_opts_allow(NULL, &sdes_suites[i]));
		}
	/* Still a known suite for the filter: only- and no- words keep working. */
	assert_true(sdes_opts_filter(NULL, s192));
	sdes_suite_set_enabled(SDES_AES_192_CM_HMAC_SHA1_80, true);
	assert_int_equal(sdes_parse(text, strlen(text), &c, &why), 0);
	assert_true(sdes_opts_allow(NULL, s192));
	sdes_suite_set_enabled(SDES_N_SUITES, false); /* ignored */
	assert_false(sdes_suite_enabled(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suites),	       cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refused),  cmocka_unit_test(test_parse_length_bound),
		cmocka_unit_test(test_format),	       cmocka_unit_test(test_format_invalid),
		cmocka_unit_test(test_generate),       cmocka_unit_test(test_opt_words),
		cmocka_unit_test(test_opt_masks),      cmocka_unit_test(test_same_key),
		cmocka_unit_test(test_suite_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
