// SPDX-License-Identifier: GPL-2.0-only
/* SRTP/SRTCP through libsrtp2: an SDES key turned into a libsrtp2 policy, and protect/unprotect
 * in place with every length checked before libsrtp2 sees the packet. */
#include "srtp.h"

#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

/* Replay window of the SRTP streams (libsrtp2 allows 64..32768); wide enough for the reordering
 * seen on jittery paths, still a small bitmap per SSRC. */
#define REPLAY_WINDOW 1024
#define RTP_HDR_LEN   12
#define RTCP_HDR_LEN  8
#define SRTCP_INDEX   4

_Static_assert(SRTPX_OVERHEAD >= 16 + 4 + SRTCP_INDEX, "room for a GCM tag, MKI and SRTCP index");

/* The MKI is added and removed here, not by libsrtp2: its 2.5 MKI lookup on unprotect assumes the
 * SRTP tag length, which is wrong for SRTCP of the _32 suites and for UNAUTHENTICATED_SRTP. The
 * MKI is not authenticated (RFC 3711 3.1, RFC 7714 8.1), so libsrtp2 never needs to see it. */
struct srtpx {
	srtp_t ctx;
	enum srtpx_dir dir;
	/* The MKI sits before the tag of HMAC suites and after the whole packet with AEAD. */
	bool aead;
	unsigned int mki_len;
	uint8_t mki[4];
	unsigned int rtp_tag, rtcp_tag; /* bytes; rtp_tag 0 with UNAUTHENTICATED_SRTP */
};

static bool initialised;
static uint32_t suite_broken; /* bit sdes_suite_id: libsrtp2 does not follow the RFC */

/* AES_192_CM_HMAC_SHA1_80 with master key||salt = 00 01 .. 25, RTP seq 1, SSRC 1, 16 zero
 * bytes of payload, as RFC 6188 computes it (AES-192 key derivation); the unit tests recompute
 * it from the RFC. libsrtp2 2.5 derives AES-192 session keys with an AES-256 PRF keyed with the
 * master key and the first 8 salt bytes, so no RFC-following peer could read it. */
static const uint8_t aes192_known[38] = {
	0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x54,
	0xc9, 0xfa, 0xc7, 0x67, 0x29, 0x23, 0x68, 0xfb, 0xf7, 0x62, 0x1c, 0x9a, 0x19,
	0x74, 0x17, 0x89, 0xc8, 0xa9, 0xf7, 0xb5, 0xd3, 0xc3, 0x0f, 0x84, 0xe9,
};

static bool aes192_follows_rfc(void)
{
	struct sdes_crypto key = {.tag = 1, .suite = &sdes_suites[SDES_AES_192_CM_HMAC_SHA1_80]};
	uint8_t pkt[28 + SRTPX_OVERHEAD] = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
	unsigned int len = 28;
	struct srtpx *x;
	bool ok;

	key.key_len = key.suite->key_len + key.suite->salt_len;
	for (unsigned int i = 0; i < key.key_len; i++)
		key.key[i] = (uint8_t)i;
	x = srtpx_new(&key, SRTPX_ENCRYPT);
	ok = x && srtpx_rtp(x, pkt, &len, sizeof(pkt)) == SRTPX_OK && len == sizeof(aes192_known) &&
	     !memcmp(pkt, aes192_known, len);
	srtpx_free(x);
	return ok;
}

static void srtp_log(srtp_log_level_t level, const char *msg, void *data)
{
	(void)data;
	switch (level) {
	case srtp_log_level_error:
		log_rl(LOG_ERR, "libsrtp2: %s", msg);
		break;
	case srtp_log_level_warning:
		log_warn_rl("libsrtp2: %s", msg);
		break;
	default:
		log_debug_rl("libsrtp2: %s", msg);
		break;
	}
}

int srtpx_init(void)
{
	srtp_err_status_t st;

	if (initialised)
		return 0;
	st = srtp_init();
	if (st != srtp_err_status_ok) {
		log_err("couldn't initialise libsrtp2 (%s): error %d", srtp_get_version_string(),
			(int)st);
		return -EIO;
	}
	srtp_install_log_handler(srtp_log, NULL);
	initialised = true;
	if (!aes192_follows_rfc()) {
		log_warn("%s derives AES-192 keys unlike RFC 6188: AES_192_CM suites "
			 "disabled",
			 srtp_get_version_string());
		suite_broken |=
			1u << SDES_AES_192_CM_HMAC_SHA1_80 | 1u << SDES_AES_192_CM_HMAC_SHA1_32;
	}
	for (unsigned int i = 0; i < SDES_N_SUITES; i++)
		sdes_suite_set_enabled((enum sdes_suite_id)i, !(suite_broken & (1u << i)));
	return 0;
}

bool srtpx_suite_follows_rfc(enum sdes_suite_id id)
{
	return (unsigned int)id < SDES_N_SUITES && !(suite_broken & (1u << id));
}

/* The libsrtp2 crypto policies of a suite. The _32 suites keep an 80-bit SRTCP tag. */
static int suite_policy(enum sdes_suite_id id, srtp_crypto_policy_t *rtp,
			srtp_crypto_policy_t *rtcp)
{
	switch (id) {
	case SDES_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AES_192_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AES_192_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		return 0;
	case SDES_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		return 0;
	case SDES_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		return 0;
	case SDES_NULL_HMAC_SHA1_80:
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
		return 0;
	case SDES_NULL_HMAC_SHA1_32:
		/* libsrtp2 has no setter for it: the 80-bit one with a 4-byte tag. */
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
		rtp->auth_tag_len = 4;
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
		return 0;
	case SDES_N_SUITES:
		break;
	}
	return -ENOTSUP;
}

static int status_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	case srtp_err_status_bad_param:
		return -EINVAL;
	default:
		return -EIO;
	}
}

struct srtpx *srtpx_new(const struct sdes_crypto *key, enum srtpx_dir dir)
{
	const struct sdes_suite *suite = key ? key->suite : NULL;
	uint8_t master[SRTP_MAX_KEY_LEN] = {0};
	srtp_policy_t policy;
	struct srtpx *x;
	int rc;

	if (!suite || suite < sdes_suites || suite >= sdes_suites + SDES_N_SUITES ||
	    key->key_len != suite->key_len + suite->salt_len || key->key_len > sizeof(master) ||
	    key->mki_len > sizeof(x->mki) || (dir != SRTPX_DECRYPT && dir != SRTPX_ENCRYPT)) {
		errno = EINVAL;
		return NULL;
	}
	if (!initialised && srtpx_init()) {
		errno = EIO;
		return NULL;
	}
	memset(&policy, 0, sizeof(policy));
	rc = suite_policy(suite->id, &policy.rtp, &policy.rtcp);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	/* libsrtp2 always encrypts and authenticates AEAD SRTP whatever sec_serv says. */
	if (policy.rtp.cipher_type == SRTP_AES_GCM_128 ||
	    policy.rtp.cipher_type == SRTP_AES_GCM_256) {
		if (key->unencrypted_srtp || key->unauthenticated_srtp) {
			errno = ENOTSUP;
			return NULL;
		}
	}
	if (key->unencrypted_srtp)
		policy.rtp.sec_serv &= ~sec_serv_conf;
	if (key->unencrypted_srtcp)
		policy.rtcp.sec_serv &= ~sec_serv_conf;
	if (key->unauthenticated_srtp) {
		/* Clearing sec_serv_auth alone leaves libsrtp2's unprotect stripping a tag that is
		 * not there: no authentication function at all instead. */
		policy.rtp.sec_serv &= ~sec_serv_auth;
		policy.rtp.auth_type = SRTP_NULL_AUTH;
		policy.rtp.auth_key_len = 0;
		policy.rtp.auth_tag_len = 0;
	}
	policy.ssrc.type = dir == SRTPX_DECRYPT ? ssrc_any_inbound : ssrc_any_outbound;
	policy.window_size = REPLAY_WINDOW;
	/* A relayed duplicate (retransmission from a plain RTP peer) must not fail protect. */
	policy.allow_repeat_tx = dir == SRTPX_ENCRYPT;

	/* libsrtp2 wants master key then master salt, for AES-CM (14-byte salt) and GCM (12). */
	memcpy(master, key->key, key->key_len);
	policy.key = master;

	x = calloc(1, sizeof(*x));
	if (!x) {
		explicit_bzero(master, sizeof(master));
		errno = ENOMEM;
		return NULL;
	}
	x->dir = dir;
	x->aead = policy.rtp.cipher_type == SRTP_AES_GCM_128 ||
		  policy.rtp.cipher_type == SRTP_AES_GCM_256;
	x->mki_len = key->mki_len;
	for (unsigned int i = 0; i < key->mki_len; i++)
		x->mki[i] = (uint8_t)(key->mki >> (8 * (key->mki_len - 1 - i)));
	x->rtp_tag = (unsigned int)policy.rtp.auth_tag_len;
	x->rtcp_tag = (unsigned int)policy.rtcp.auth_tag_len;

	rc = status_errno(srtp_create(&x->ctx, &policy));
	/* libsrtp2 derived its session keys: the master key is not needed any more. */
	explicit_bzero(master, sizeof(master));
	if (rc) {
		free(x);
		errno = -rc;
		return NULL;
	}
	return x;
}

void srtpx_free(struct srtpx *x)
{
	if (!x)
		return;
	/* srtp_dealloc wipes the session keys. */
	srtp_dealloc(x->ctx);
	free(x);
}

static enum srtpx_result result(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return SRTPX_OK;
	case srtp_err_status_auth_fail:
		return SRTPX_AUTH_FAIL;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return SRTPX_REPLAY;
	default:
		return SRTPX_ERROR;
	}
}

/* Length of the RTP header with CSRCs and extension; 0 when it is not RTP version 2 or does not
 * fit in len. libsrtp2 reads all of it, so it is checked first. */
static unsigned int rtp_header_len(const uint8_t *p, unsigned int len)
{
	unsigned int hlen;

	if (len < RTP_HDR_LEN || p[0] >> 6 != 2)
		return 0;
	hlen = RTP_HDR_LEN + 4u * (p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (len < hlen + 4)
			return 0;
		hlen += 4 + 4u * (((unsigned int)p[hlen + 2] << 8) | p[hlen + 3]);
	}
	return hlen <= len ? hlen : 0;
}

/* Protect needs room for the trailer; libsrtp2 takes int lengths. */
static bool room(unsigned int len, unsigned int cap)
{
	return cap <= INT32_MAX && len <= cap && cap - len >= SRTPX_OVERHEAD;
}

/* Where the MKI goes in a packet of len bytes protected without it: before the HMAC tag, or at
 * the end after the AEAD tag. */
static unsigned int mki_offset(const struct srtpx *x, unsigned int len, unsigned int tag)
{
	return x->aead ? len : len - tag;
}

/* After a protect that left len bytes: the MKI inserted (room was checked: SRTPX_OVERHEAD). */
static unsigned int mki_insert(const struct srtpx *x, uint8_t *p, unsigned int len,
			       unsigned int tag)
{
	unsigned int at = mki_offset(x, len, tag);

	memmove(p + at + x->mki_len, p + at, len - at);
	memcpy(p + at, x->mki, x->mki_len);
	return len + x->mki_len;
}

/* Before an unprotect of len bytes (len >= tag + MKI was checked): the MKI checked and taken out.
 * A different MKI is a key this context does not have. */
static enum srtpx_result mki_remove(const struct srtpx *x, uint8_t *p, unsigned int *len,
				    unsigned int tag)
{
	unsigned int at = mki_offset(x, *len - x->mki_len, tag);

	if (memcmp(p + at, x->mki, x->mki_len))
		return SRTPX_AUTH_FAIL;
	memmove(p + at, p + at + x->mki_len, *len - x->mki_len - at);
	*len -= x->mki_len;
	return SRTPX_OK;
}

/* One protect or unprotect through libsrtp2 with the MKI handled around it. body is the number of
 * bytes before any trailer (header, or header plus SRTCP index). */
static enum srtpx_result transform(struct srtpx *x, uint8_t *p, unsigned int *len, unsigned int cap,
				   unsigned int body, unsigned int tag, bool rtcp)
{
	enum srtpx_result r;
	srtp_err_status_t st;
	int l;

	if (x->dir == SRTPX_ENCRYPT) {
		if (!room(*len, cap))
			return SRTPX_ERROR;
		l = (int)*len;
		st = rtcp ? srtp_protect_rtcp(x->ctx, p, &l) : srtp_protect(x->ctx, p, &l);
		if (st != srtp_err_status_ok)
			return result(st);
		if (l < (int)tag || (unsigned int)l + x->mki_len > cap)
			return SRTPX_ERROR;
		*len = x->mki_len ? mki_insert(x, p, (unsigned int)l, tag) : (unsigned int)l;
		return SRTPX_OK;
	}
	if (*len < body || *len - body < tag + x->mki_len)
		return SRTPX_ERROR;
	if (x->mki_len) {
		r = mki_remove(x, p, len, tag);
		if (r != SRTPX_OK)
			return r;
	}
	l = (int)*len;
	st = rtcp ? srtp_unprotect_rtcp(x->ctx, p, &l) : srtp_unprotect(x->ctx, p, &l);
	if (st != srtp_err_status_ok)
		return result(st);
	if (l < 0 || (unsigned int)l > *len)
		return SRTPX_ERROR;
	*len = (unsigned int)l;
	return SRTPX_OK;
}

enum srtpx_result srtpx_rtp(struct srtpx *x, void *pkt, unsigned int *len, unsigned int cap)
{
	unsigned int hlen;

	if (!x || !pkt || !len || *len > cap || cap > INT32_MAX)
		return SRTPX_ERROR;
	hlen = rtp_header_len(pkt, *len);
	if (!hlen)
		return SRTPX_ERROR;
	return transform(x, pkt, len, cap, hlen, x->rtp_tag, false);
}

enum srtpx_result srtpx_rtcp(struct srtpx *x, void *pkt, unsigned int *len, unsigned int cap)
{
	const uint8_t *p = pkt;

	if (!x || !pkt || !len || *len > cap || cap > INT32_MAX)
		return SRTPX_ERROR;
	if (*len < RTCP_HDR_LEN || p[0] >> 6 != 2)
		return SRTPX_ERROR;
	return transform(x, pkt, len, cap, RTCP_HDR_LEN + SRTCP_INDEX, x->rtcp_tag, true);
}
