/* SPDX-License-Identifier: GPL-2.0-only */
/* SDES (RFC 4568): the a=crypto attribute parsed and printed, the suites the relay supports,
 * fresh keys, and the ng SDES options. No libsrtp2 here: see srtp.h for the transform. */
#ifndef XRELAY_SDES_H
#define XRELAY_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDES_MAX_KEY	  64 /* master key + salt, bytes (the largest suite needs 46) */
#define SDES_MAX_CRYPTO	  16 /* a=crypto lines per media that are looked at */
#define SDES_MAX_LINE_LEN 512

enum sdes_suite_id {
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
	SDES_AES_192_CM_HMAC_SHA1_80,
	SDES_AES_192_CM_HMAC_SHA1_32,
	SDES_AES_256_CM_HMAC_SHA1_80,
	SDES_AES_256_CM_HMAC_SHA1_32,
	SDES_AEAD_AES_128_GCM,
	SDES_AEAD_AES_256_GCM,
	SDES_NULL_HMAC_SHA1_80,
	SDES_NULL_HMAC_SHA1_32,
	SDES_N_SUITES
};

struct sdes_suite {
	enum sdes_suite_id id;
	const char *name;	   /* as in SDP: "AES_CM_128_HMAC_SHA1_80" */
	unsigned int key_len;	   /* master key, bytes */
	unsigned int salt_len;	   /* master salt, bytes */
	unsigned int rtp_tag_len;  /* SRTP authentication tag, bytes */
	unsigned int rtcp_tag_len; /* SRTCP authentication tag, bytes */
};

/* One a=crypto line: "TAG SUITE inline:BASE64[|LIFETIME][|MKI:LEN] [SESSION-PARAMS]". */
struct sdes_crypto {
	unsigned int tag; /* 1..999999999 */
	const struct sdes_suite *suite;
	uint8_t key[SDES_MAX_KEY]; /* master key then master salt */
	unsigned int key_len;	   /* suite->key_len + suite->salt_len */
	uint64_t lifetime;	   /* packets; 0 = not given */
	uint32_t mki;		   /* MKI value; only with mki_len */
	unsigned int mki_len;	   /* bytes, 1..4; 0 = no MKI */
	bool unencrypted_srtp, unencrypted_srtcp, unauthenticated_srtp;
};

/* The relay's suites in order of preference (the order new keys are offered in). */
extern const struct sdes_suite sdes_suites[SDES_N_SUITES];
/* Case-sensitive, as RFC 4568 spells them; NULL when unknown. */
const struct sdes_suite *sdes_suite_by_name(const char *name, size_t len);
/* A suite the SRTP library cannot do as its RFC says is disabled at startup (srtpx_init): then
 * sdes_parse refuses it and sdes_opts_allow never offers it. Not thread safe: startup only. */
void sdes_suite_set_enabled(enum sdes_suite_id id, bool enabled);
bool sdes_suite_enabled(const struct sdes_suite *suite);

/* Parses the value of an a=crypto attribute (the text after "crypto:"). Returns 0, -EINVAL
 * with a static reason in *err for malformed text ("bad tag", "bad base64 key", ...) and
 * -ENOTSUP with a reason for valid text the relay cannot use (unknown or disabled suite, several
 * keys, an MKI over 4 bytes, KDR other than 0, FEC_ORDER/FEC_KEY, an unknown session parameter,
 * a key of the wrong length, UNENCRYPTED_SRTP or UNAUTHENTICATED_SRTP with an AEAD suite). WSH
 * is a hint (RFC 4568 6.3.7): checked and ignored. On failure *c is zeroed. */
int sdes_parse(const char *text, size_t len, struct sdes_crypto *c, const char **err);
/* Prints the attribute value (no "a=crypto:"), base64 without its trailing "=" as rtpengine does;
 * returns the length, -ENOSPC, or -EINVAL for a crypto without a suite or of the wrong length. */
int sdes_format(const struct sdes_crypto *c, char *buf, size_t size);
/* The same, with the base64 padding kept when pad (the ng "SDES": ["pad"] option). */
int sdes_format_pad(const struct sdes_crypto *c, bool pad, char *buf, size_t size);
/* A fresh random key for suite (getrandom), no lifetime, no MKI. */
int sdes_generate(struct sdes_crypto *c, const struct sdes_suite *suite, unsigned int tag);
/* Same suite, key, MKI and session parameters (the tag and lifetime are not compared). */
bool sdes_same_key(const struct sdes_crypto *a, const struct sdes_crypto *b);

/* The ng "SDES" options (a list of strings, or rtpp_flags "SDES-..."). */
struct sdes_opts {
	bool off;	       /* "off", "no": no SDES offered by the relay */
	bool nonew;	       /* "nonew": offer no new suites, only the offerer's */
	uint32_t no_mask;      /* "no-SUITE": bit sdes_suite_id set: not offered */
	uint32_t only_mask;    /* "only-SUITE": when not 0, only these are offered */
	bool unencrypted_srtp; /* session parameters on the relay's own lines */
	bool unencrypted_srtcp;
	bool unauthenticated_srtp;
	bool encrypted_srtp; /* "encrypted_srtp": never, even when the offerer had it */
	bool encrypted_srtcp;
	bool authenticated_srtp;
	bool pad;      /* "pad": keep the base64 "=" padding (sdes_format_pad) */
	bool lifetime; /* "lifetime": the relay's keys carry |2^31 */
	bool static_;  /* "static": keep the suite negotiated before on re-invites */
};

/* Applies one option word ("no-AES_CM_128_HMAC_SHA1_32", "nonew", ...; an "SDES-" prefix and
 * upper-case session parameter words are accepted). Returns 0, -EINVAL for an unknown word or
 * suite, -ENOTSUP for rtpengine words not implemented ("order:", "offerer_pref:"); the caller
 * warns and goes on. The last of "unencrypted_srtp"/"encrypted_srtp" (and the other pairs) wins. */
int sdes_opt(struct sdes_opts *o, const char *word, size_t len);
/* Whether the relay adds a new line of suite under o: not with off or nonew or for a disabled
 * suite, only-SUITE before no-SUITE, the NULL (unencrypted) suites only when named with only-,
 * and no AEAD suite when its session parameters would forbid it (see sdes_parse). */
bool sdes_opts_allow(const struct sdes_opts *o, const struct sdes_suite *suite);
/* Whether an offerer's line of suite is passed on under o: only the no-/only- filter (nonew
 * keeps the offerer's lines). */
bool sdes_opts_filter(const struct sdes_opts *o, const struct sdes_suite *suite);

#endif
