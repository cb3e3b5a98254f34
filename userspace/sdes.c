// SPDX-License-Identifier: GPL-2.0-only
/* SDES (RFC 4568, 6188, 7714): the a=crypto attribute parsed and printed, fresh keys, and the ng
 * "SDES" option words. */
#include "sdes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TAG	      999999999u
#define MAX_MKI_LEN   4u   /* bytes the relay handles (struct sdes_crypto.mki is 32 bits) */
#define RFC_MKI_LEN   128u /* the largest MKI length RFC 4568 allows */
#define MIN_WSH	      64u  /* RFC 4568 6.3.7 */
#define MAX_KDR	      24u

/* Preference order: the order the relay offers its own keys in. The SRTCP tag is 80 bits for
 * every HMAC suite, also the _32 ones (RFC 4568 6.2.2, RFC 6188 7.2). */
const struct sdes_suite sdes_suites[SDES_N_SUITES] = {
	{SDES_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
	{SDES_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
	{SDES_AES_192_CM_HMAC_SHA1_80, "AES_192_CM_HMAC_SHA1_80", 24, 14, 10, 10},
	{SDES_AES_192_CM_HMAC_SHA1_32, "AES_192_CM_HMAC_SHA1_32", 24, 14, 4, 10},
	{SDES_AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10},
	{SDES_AES_256_CM_HMAC_SHA1_32, "AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10},
	{SDES_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 16, 12, 16, 16},
	{SDES_AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 32, 12, 16, 16},
	{SDES_NULL_HMAC_SHA1_80, "NULL_HMAC_SHA1_80", 16, 14, 10, 10},
	{SDES_NULL_HMAC_SHA1_32, "NULL_HMAC_SHA1_32", 16, 14, 4, 10},
};

_Static_assert(SDES_N_SUITES <= 32, "no_mask and only_mask are 32-bit masks");

/* Set once at startup by srtpx_init, read-only afterwards. */
static uint32_t disabled;

static bool suite_valid(const struct sdes_suite *s)
{
	return s && s >= sdes_suites && s < sdes_suites + SDES_N_SUITES;
}

void sdes_suite_set_enabled(enum sdes_suite_id id, bool enabled)
{
	if ((unsigned int)id >= SDES_N_SUITES)
		return;
	if (enabled)
		disabled &= ~(1u << id);
	else
		disabled |= 1u << id;
}

bool sdes_suite_enabled(const struct sdes_suite *suite)
{
	return suite_valid(suite) && !(disabled & (1u << suite->id));
}

const struct sdes_suite *sdes_suite_by_name(const char *name, size_t len)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sdes_suites); i++) {
		const char *n = sdes_suites[i].name;

		if (strlen(n) == len && !memcmp(n, name, len))
			return &sdes_suites[i];
	}
	return NULL;
}

static bool suite_is_aead(const struct sdes_suite *s)
{
	return s->id == SDES_AEAD_AES_128_GCM || s->id == SDES_AEAD_AES_256_GCM;
}

/* ---- base64 (RFC 4648 standard alphabet) ---- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes s with or without its "=" padding into out; the decoded length (which may exceed size:
 * bytes past size are counted, not written), or -1 when s is not base64. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t size)
{
	size_t pad = 0, n = 0;
	uint32_t acc = 0;
	unsigned int bits = 0;

	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	/* One leftover character carries 6 bits: no byte. Padding must complete a quartet. */
	if (!len || len % 4 == 1 || (pad && (len + pad) % 4))
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < size)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}
	return (int)n;
}

/* Encodes in[0..len) into out (NUL-terminated); the text length, or -1 when size is too small. */
static int b64_encode(const uint8_t *in, size_t len, bool pad, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3, chars = chunk + 1;

		if (chunk > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		if (n + 4 >= size)
			return -1;
		for (size_t k = 0; k < 4; k++) {
			if (k < chars)
				out[n++] = b64_alphabet[(v >> (18 - 6 * k)) & 63];
			else if (pad)
				out[n++] = '=';
		}
	}
	if (n >= size)
		return -1;
	out[n] = 0;
	return (int)n;
}

/* ---- the a=crypto parser ---- */

struct cursor {
	const char *p, *end;
};

static bool is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The next whitespace-separated token; false at the end. */
static bool next_token(struct cursor *cur, const char **tok, size_t *len)
{
	const char *p = cur->p;

	while (p < cur->end && is_wsp(*p))
		p++;
	/* A line ending left on the value is not a token. */
	if (p == cur->end || *p == '\r' || *p == '\n') {
		cur->p = cur->end;
		return false;
	}
	*tok = p;
	while (p < cur->end && !is_wsp(*p) && *p != '\r' && *p != '\n')
		p++;
	*len = (size_t)(p - *tok);
	cur->p = p;
	return true;
}

/* Decimal digits only, at most max_digits of them, value <= max. */
static bool parse_uint(const char *s, size_t len, size_t max_digits, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!len || len > max_digits)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "2^N" or a decimal packet count, never 0. */
static bool parse_lifetime(const char *s, size_t len, uint64_t *out)
{
	uint64_t n;

	if (len > 2 && s[0] == '2' && s[1] == '^') {
		if (!parse_uint(s + 2, len - 2, 2, 63, &n))
			return false;
		*out = (uint64_t)1 << n;
		return true;
	}
	return parse_uint(s, len, 20, UINT64_MAX, out) && *out;
}

#define FAIL(code, why)         \
	do {                    \
		*err = (why);   \
		rc = (code);    \
		goto out_clear; \
	} while (0)

/* "MKI:LEN" with LEN in bytes; the value must fit in LEN bytes. */
static int parse_mki(const char *s, size_t len, struct sdes_crypto *c, const char **err)
{
	const char *colon = memchr(s, ':', len);
	uint64_t value, mlen;

	if (!colon || !parse_uint(s, (size_t)(colon - s), 20, UINT64_MAX, &value) ||
	    !parse_uint(colon + 1, len - (size_t)(colon + 1 - s), 3, RFC_MKI_LEN, &mlen) || !mlen) {
		*err = "bad MKI";
		return -EINVAL;
	}
	if (mlen > MAX_MKI_LEN) {
		*err = "MKI longer than 4 bytes";
		return -ENOTSUP;
	}
	if (value >> (8 * mlen)) {
		*err = "MKI value does not fit its length";
		return -EINVAL;
	}
	c->mki = (uint32_t)value;
	c->mki_len = (unsigned int)mlen;
	return 0;
}

/* "inline:KEY[|LIFETIME][|MKI:LEN]" */
static int parse_key_params(const char *s, size_t len, struct sdes_crypto *c, const char **err)
{
	static const char method[] = "inline:";
	const size_t mlen = sizeof(method) - 1;
	const char *end = s + len, *field, *bar;
	int n, rc;

	if (len < mlen || strncasecmp(s, method, mlen)) {
		*err = "key parameters do not start with inline:";
		return -EINVAL;
	}
	if (memchr(s, ';', len)) {
		*err = "several master keys";
		return -ENOTSUP;
	}
	field = s + mlen;
	bar = memchr(field, '|', (size_t)(end - field));
	n = b64_decode(field, (size_t)((bar ? bar : end) - field), c->key, sizeof(c->key));
	if (n < 0) {
		*err = "bad base64 key";
		return -EINVAL;
	}
	if ((unsigned int)n != c->suite->key_len + c->suite->salt_len) {
		/* Not used, but it may hold part of the key. */
		explicit_bzero(c->key, sizeof(c->key));
		*err = "key length does not match the suite";
		return -ENOTSUP;
	}
	c->key_len = (unsigned int)n;

	while (bar) {
		size_t flen;

		field = bar + 1;
		bar = memchr(field, '|', (size_t)(end - field));
		flen = (size_t)((bar ? bar : end) - field);
		if (c->mki_len) {
			/* Nothing may follow the MKI. */
			*err = "bad key parameters after the MKI";
			return -EINVAL;
		}
		if (memchr(field, ':', flen)) {
			rc = parse_mki(field, flen, c, err);
			if (rc)
				return rc;
			continue;
		}
		if (c->lifetime || !parse_lifetime(field, flen, &c->lifetime)) {
			*err = "bad lifetime";
			return -EINVAL;
		}
	}
	return 0;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && !strncasecmp(tok, word, len);
}

static bool token_has_prefix(const char *tok, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !strncasecmp(tok, prefix, n);
}

static int parse_session_param(const char *tok, size_t len, struct sdes_crypto *c, const char **err)
{
	uint64_t v;

	if (token_is(tok, len, "UNENCRYPTED_SRTP")) {
		c->unencrypted_srtp = true;
	} else if (token_is(tok, len, "UNENCRYPTED_SRTCP")) {
		c->unencrypted_srtcp = true;
	} else if (token_is(tok, len, "UNAUTHENTICATED_SRTP")) {
		c->unauthenticated_srtp = true;
	} else if (token_has_prefix(tok, len, "KDR=")) {
		if (!parse_uint(tok + 4, len - 4, 2, MAX_KDR, &v)) {
			*err = "bad KDR";
			return -EINVAL;
		}
		/* KDR=0 is the default: derive once. */
		if (v) {
			*err = "KDR (key derivation rate) not supported";
			return -ENOTSUP;
		}
	} else if (token_has_prefix(tok, len, "WSH=")) {
		/* Only a hint (RFC 4568 6.3.7): the relay's window is larger than the minimum. */
		if (!parse_uint(tok + 4, len - 4, 10, UINT32_MAX, &v) || v < MIN_WSH) {
			*err = "bad WSH";
			return -EINVAL;
		}
	} else if (token_has_prefix(tok, len, "FEC_ORDER=")) {
		*err = "FEC_ORDER not supported";
		return -ENOTSUP;
	} else if (token_has_prefix(tok, len, "FEC_KEY=")) {
		*err = "FEC_KEY not supported";
		return -ENOTSUP;
	} else {
		*err = "unknown session parameter";
		return -ENOTSUP;
	}
	return 0;
}

int sdes_parse(const char *text, size_t len, struct sdes_crypto *c, const char **err)
{
	struct cursor cur = {text, text + len};
	const char *dummy, *tok;
	size_t tlen;
	uint64_t tag;
	int rc;

	if (!err)
		err = &dummy;
	*err = NULL;
	if (!c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (!text)
		FAIL(-EINVAL, "empty crypto attribute");

	if (!next_token(&cur, &tok, &tlen))
		FAIL(-EINVAL, "empty crypto attribute");
	if (!parse_uint(tok, tlen, 9, MAX_TAG, &tag) || !tag)
		FAIL(-EINVAL, "bad tag");
	c->tag = (unsigned int)tag;

	if (!next_token(&cur, &tok, &tlen))
		FAIL(-EINVAL, "missing crypto suite");
	c->suite = sdes_suite_by_name(tok, tlen);
	if (!c->suite)
		FAIL(-ENOTSUP, "unknown crypto suite");
	if (!sdes_suite_enabled(c->suite))
		FAIL(-ENOTSUP, "crypto suite disabled: the SRTP library does not follow its RFC");

	if (!next_token(&cur, &tok, &tlen))
		FAIL(-EINVAL, "missing key parameters");
	rc = parse_key_params(tok, tlen, c, err);
	if (rc)
		goto out_clear;

	while (next_token(&cur, &tok, &tlen)) {
		rc = parse_session_param(tok, tlen, c, err);
		if (rc)
			goto out_clear;
	}

	/* RFC 7714 14.2: an AEAD suite always authenticates. libsrtp2 also always encrypts AEAD
	 * SRTP, so an unencrypted AEAD stream cannot be produced or read. */
	if (suite_is_aead(c->suite) && c->unauthenticated_srtp)
		FAIL(-ENOTSUP, "UNAUTHENTICATED_SRTP with an AEAD suite");
	if (suite_is_aead(c->suite) && c->unencrypted_srtp)
		FAIL(-ENOTSUP, "UNENCRYPTED_SRTP with an AEAD suite");
	return 0;

out_clear:
	/* No half-parsed key material left behind. */
	explicit_bzero(c, sizeof(*c));
	return rc;
}

/* ---- printing and generating ---- */

static bool crypto_valid(const struct sdes_crypto *c)
{
	return c && suite_valid(c->suite) && c->key_len == c->suite->key_len + c->suite->salt_len &&
	       c->tag >= 1 && c->tag <= MAX_TAG && c->mki_len <= MAX_MKI_LEN;
}

/* Appends to buf at *n; false when it did not fit. */
__attribute__((format(printf, 4, 5))) static bool append(char *buf, size_t size, size_t *n,
							 const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= size)
		return false;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= size - *n)
		return false;
	*n += (size_t)w;
	return true;
}

int sdes_format_pad(const struct sdes_crypto *c, bool pad, char *buf, size_t size)
{
	char key[(SDES_MAX_KEY + 2) / 3 * 4 + 1];
	size_t n = 0;
	bool ok;

	if (!crypto_valid(c) || !buf)
		return -EINVAL;
	if (b64_encode(c->key, c->key_len, pad, key, sizeof(key)) < 0)
		return -EINVAL;
	ok = append(buf, size, &n, "%u %s inline:%s", c->tag, c->suite->name, key);
	explicit_bzero(key, sizeof(key));
	if (ok && c->lifetime) {
		if (!(c->lifetime & (c->lifetime - 1)))
			ok = append(buf, size, &n, "|2^%d", __builtin_ctzll(c->lifetime));
		else
			ok = append(buf, size, &n, "|%llu", (unsigned long long)c->lifetime);
	}
	if (ok && c->mki_len)
		ok = append(buf, size, &n, "|%u:%u", c->mki, c->mki_len);
	if (ok && c->unencrypted_srtp)
		ok = append(buf, size, &n, " UNENCRYPTED_SRTP");
	if (ok && c->unencrypted_srtcp)
		ok = append(buf, size, &n, " UNENCRYPTED_SRTCP");
	if (ok && c->unauthenticated_srtp)
		ok = append(buf, size, &n, " UNAUTHENTICATED_SRTP");
	if (!ok) {
		if (size)
			explicit_bzero(buf, size);
		return -ENOSPC;
	}
	return (int)n;
}

int sdes_format(const struct sdes_crypto *c, char *buf, size_t size)
{
	return sdes_format_pad(c, false, buf, size);
}

int sdes_generate(struct sdes_crypto *c, const struct sdes_suite *suite, unsigned int tag)
{
	size_t need, got = 0;

	if (!c || !suite_valid(suite) || !tag || tag > MAX_TAG)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	need = suite->key_len + suite->salt_len;
	while (got < need) {
		ssize_t r = getrandom(c->key + got, need - got, 0);

		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			explicit_bzero(c, sizeof(*c));
			return -e;
		}
		got += (size_t)r;
	}
	c->tag = tag;
	c->suite = suite;
	c->key_len = (unsigned int)need;
	return 0;
}

bool sdes_same_key(const struct sdes_crypto *a, const struct sdes_crypto *b)
{
	if (!a || !b || !a->suite || a->suite != b->suite || a->key_len != b->key_len ||
	    a->key_len > SDES_MAX_KEY)
		return false;
	if (a->mki_len != b->mki_len || (a->mki_len && a->mki != b->mki))
		return false;
	if (a->unencrypted_srtp != b->unencrypted_srtp ||
	    a->unencrypted_srtcp != b->unencrypted_srtcp ||
	    a->unauthenticated_srtp != b->unauthenticated_srtp)
		return false;
	return !memcmp(a->key, b->key, a->key_len);
}

/* ---- ng options ---- */

/* A session parameter word in all lower or all upper case, as rtpengine takes them. */
static bool word_either_case(const char *w, size_t len, const char *lower)
{
	size_t n = strlen(lower);
	bool lc = true, uc = true;

	if (n != len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char u = lower[i] >= 'a' && lower[i] <= 'z' ? (char)(lower[i] - 'a' + 'A')
							    : lower[i];

		lc = lc && w[i] == lower[i];
		uc = uc && w[i] == u;
	}
	return lc || uc;
}

static bool word_is(const char *w, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(w, word, len);
}

static bool word_prefix(const char *w, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(w, prefix, n);
}

int sdes_opt(struct sdes_opts *o, const char *word, size_t len)
{
	const struct sdes_suite *s;

	if (!o || !word)
		return -EINVAL;
	if (word_prefix(word, len, "SDES-")) {
		word += 5;
		len -= 5;
	}
	if (word_is(word, len, "off") || word_is(word, len, "no") ||
	    word_is(word, len, "disable")) {
		o->off = true;
	} else if (word_is(word, len, "nonew")) {
		o->nonew = true;
	} else if (word_is(word, len, "pad")) {
		o->pad = true;
	} else if (word_is(word, len, "lifetime")) {
		o->lifetime = true;
	} else if (word_is(word, len, "static")) {
		o->static_ = true;
	} else if (word_either_case(word, len, "unencrypted_srtp")) {
		o->unencrypted_srtp = true;
		o->encrypted_srtp = false;
	} else if (word_either_case(word, len, "unencrypted_srtcp")) {
		o->unencrypted_srtcp = true;
		o->encrypted_srtcp = false;
	} else if (word_either_case(word, len, "unauthenticated_srtp")) {
		o->unauthenticated_srtp = true;
		o->authenticated_srtp = false;
	} else if (word_either_case(word, len, "encrypted_srtp")) {
		o->encrypted_srtp = true;
		o->unencrypted_srtp = false;
	} else if (word_either_case(word, len, "encrypted_srtcp")) {
		o->encrypted_srtcp = true;
		o->unencrypted_srtcp = false;
	} else if (word_either_case(word, len, "authenticated_srtp")) {
		o->authenticated_srtp = true;
		o->unauthenticated_srtp = false;
	} else if (word_prefix(word, len, "no-")) {
		s = sdes_suite_by_name(word + 3, len - 3);
		if (!s)
			return -EINVAL;
		o->no_mask |= 1u << s->id;
	} else if (word_prefix(word, len, "only-")) {
		s = sdes_suite_by_name(word + 5, len - 5);
		if (!s)
			return -EINVAL;
		o->only_mask |= 1u << s->id;
	} else if (word_prefix(word, len, "order:") || word_prefix(word, len, "offerer_pref:")) {
		return -ENOTSUP;
	} else {
		return -EINVAL;
	}
	return 0;
}

bool sdes_opts_filter(const struct sdes_opts *o, const struct sdes_suite *suite)
{
	uint32_t bit;

	if (!suite_valid(suite))
		return false;
	if (!o)
		return true;
	bit = 1u << suite->id;
	/* only- takes precedence over no- (rtpengine's documented behaviour). */
	if (o->only_mask)
		return o->only_mask & bit;
	return !(o->no_mask & bit);
}

bool sdes_opts_allow(const struct sdes_opts *o, const struct sdes_suite *suite)
{
	if (!sdes_opts_filter(o, suite) || !sdes_suite_enabled(suite))
		return false;
	if (!o)
		return true;
	if (o->off || o->nonew)
		return false;
	/* No encryption: offered only when asked for by name. */
	if ((suite->id == SDES_NULL_HMAC_SHA1_80 || suite->id == SDES_NULL_HMAC_SHA1_32) &&
	    !(o->only_mask & (1u << suite->id)))
		return false;
	return !(suite_is_aead(suite) && (o->unencrypted_srtp || o->unauthenticated_srtp));
}
