// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end SDES/SRTP: the real xrelayd on loopback between a caller (A) and a callee (B) that
 * encrypt and decrypt with libsrtp2 here: RTP<->SRTP both ways, SRTP<->SRTP with different suites,
 * passthrough, and refused packets (wrong key, bad tag, replay) dropped and counted. */
#include "e2e.h"
#include "sdes.h"
#include "srtp.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#define LO	"127.0.0.1"
#define PKT	2048
#define PAYLOAD 160
#define S80	"AES_CM_128_HMAC_SHA1_80"

/* What one side wrote or was given in an SDP. */
struct side_sdp {
	char proto[16];
	struct sdes_crypto crypto[SDES_MAX_CRYPTO * 2];
	unsigned int n;
};

struct call {
	struct daemon d;
	struct barena *a;
	struct leg A, B;
	uint16_t relay_for_A, relay_for_B; /* RTP ports the relay gave A and B */
	char call_id[64];
	struct side_sdp to_B, to_A; /* what the relay sent B (offer) and A (answer) */
};

/* An SDP with one audio m= line of proto and the given a=crypto values (NULL-ended), JSON-escaped
 * for ng(). */
static const char *sdp_make(char *buf, size_t size, uint16_t port, const char *proto,
			    const struct sdes_crypto *const *crypto)
{
	size_t n;

	n = (size_t)snprintf(buf, size,
			     "v=0\\r\\no=- 1545997027 1 IN IP4 " LO
			     "\\r\\ns=tester\\r\\nt=0 0\\r\\n"
			     "m=audio %u %s 0\\r\\nc=IN IP4 " LO "\\r\\na=rtpmap:0 PCMU/8000\\r\\n",
			     port, proto);
	for (; crypto && *crypto; crypto++) {
		char line[SDES_MAX_LINE_LEN];

		assert_true(sdes_format(*crypto, line, sizeof(line)) > 0);
		assert_true(n < size);
		n += (size_t)snprintf(buf + n, size - n, "a=crypto:%s\\r\\n", line);
	}
	assert_true(n < size);
	return buf;
}

/* The proto of the first m= line and every a=crypto line of a reply's SDP, in order. A line
 * that does not parse fails the test: the relay must only write lines it can read back. */
static void sdp_read(const struct bnode *reply, struct side_sdp *out)
{
	const char *sdp = bn_dict_get_str(reply, "sdp"), *p, *m;

	memset(out, 0, sizeof(*out));
	if (!sdp)
		fail_msg("reply has no sdp");
	m = strstr(sdp, "m=audio ");
	assert_non_null(m);
	m = strchr(m + 8, ' ');
	assert_non_null(m);
	assert_int_equal(sscanf(m + 1, "%15s", out->proto), 1);
	for (p = strstr(sdp, "a=crypto:"); p; p = strstr(p, "a=crypto:")) {
		const char *end = strpbrk(p, "\r\n"), *why = NULL;

		p += 9;
		if (!end)
			end = p + strlen(p);
		assert_true(out->n < sizeof(out->crypto) / sizeof(out->crypto[0]));
		if (sdes_parse(p, (size_t)(end - p), &out->crypto[out->n], &why))
			fail_msg("relay wrote a=crypto:%.*s (%s)", (int)(end - p), p, why);
		out->n++;
	}
}

static void key_make(struct sdes_crypto *c, enum sdes_suite_id suite, unsigned int tag)
{
	assert_int_equal(sdes_generate(c, &sdes_suites[suite], tag), 0);
}

/* Extra xrelayd options of the next call_offer (NULL: none). */
static const char *const *daemon_args;

/* Offer from A (proto, A's keys, extra ng keys), then B's answer with B's proto and B's key
 * (NULL: plain RTP). */
static void call_offer(struct call *c, const char *proto_a, const struct sdes_crypto *const *a_keys,
		       const char *flags)
{
	static int seq;
	char sdp[4096];
	struct bnode *r;

	assert_int_equal(srtpx_init(), 0);
	daemon_start(&c->d, daemon_args);
	c->a = barena_new();
	leg_open(&c->A);
	leg_open(&c->B);
	snprintf(c->call_id, sizeof(c->call_id), "srtp-%d-%d", (int)getpid(), ++seq);
	r = ng(&c->d, c->a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"sdp\":\"%s\"%s}",
	       c->call_id, sdp_make(sdp, sizeof(sdp), c->A.rtp_port, proto_a, a_keys),
	       flags ? flags : "");
	expect_result(r, "ok");
	c->relay_for_B = sdp_port(r);
	sdp_read(r, &c->to_B);
}

static void call_answer(struct call *c, const char *proto_b, const struct sdes_crypto *b_key)
{
	const struct sdes_crypto *keys[2] = {b_key, NULL};
	char sdp[4096];
	struct bnode *r;

	r = ng(&c->d, c->a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"to-tag\":\"callee\",\"sdp\":\"%s\"}",
	       c->call_id, sdp_make(sdp, sizeof(sdp), c->B.rtp_port, proto_b, keys));
	expect_result(r, "ok");
	c->relay_for_A = sdp_port(r);
	sdp_read(r, &c->to_A);
	assert_true(c->relay_for_A && c->relay_for_B);
}

static void call_end(struct call *c)
{
	leg_close(&c->A);
	leg_close(&c->B);
	barena_free(c->a);
	assert_int_equal(daemon_stop(&c->d), 0);
}

/* One party's media machinery: tx encrypts what it sends (NULL: plain), rx decrypts what it
 * receives (NULL: plain). */
struct party {
	struct srtpx *tx, *rx;
};

static void party_free(struct party *p)
{
	srtpx_free(p->tx);
	srtpx_free(p->rx);
}

static struct srtpx *ctx(const struct sdes_crypto *k, enum srtpx_dir dir)
{
	struct srtpx *x;

	if (!k)
		return NULL;
	x = srtpx_new(k, dir);
	if (!x)
		fail_msg("srtpx_new(%s): %s", k->suite->name, strerror(errno));
	return x;
}

static unsigned int make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	return (unsigned int)rtp_make(p, 0, seq, ssrc, PAYLOAD);
}

/* An RR with one report block, bytes that differ per call. */
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

static void encrypt(struct srtpx *tx, uint8_t *buf, unsigned int *len, bool rtcp)
{
	enum srtpx_result r = rtcp ? srtpx_rtcp(tx, buf, len, PKT) : srtpx_rtp(tx, buf, len, PKT);

	assert_int_equal(r, SRTPX_OK);
}

/* One datagram must arrive on to_fd; decrypted with to->rx when set, it must be exactly plain.
 * wire, when not NULL, gets the bytes as they arrived. */
static void expect_arrival(struct party *to, int to_fd, const uint8_t *plain,
			   unsigned int plain_len, bool rtcp, uint8_t *wire, unsigned int *wire_len,
			   const char *what)
{
	uint8_t got[PKT];
	unsigned int glen;
	int n = udp_recv(to_fd, got, sizeof(got), 1000, NULL);

	if (n < 0)
		fail_msg("%s: nothing arrived", what);
	glen = (unsigned int)n;
	if (wire) {
		memcpy(wire, got, glen);
		*wire_len = glen;
	}
	if (to->rx) {
		enum srtpx_result r = rtcp ? srtpx_rtcp(to->rx, got, &glen, sizeof(got))
					   : srtpx_rtp(to->rx, got, &glen, sizeof(got));
		if (r != SRTPX_OK)
			fail_msg("%s: what arrived (%d bytes) does not decrypt: %d", what, n, r);
	}
	if (glen != plain_len || memcmp(got, plain, plain_len))
		fail_msg("%s: %u bytes arrived, not the %u sent", what, glen, plain_len);
}

/* from sends plain (encrypted with from->tx when set) to relay_port; to must get it (see
 * expect_arrival). */
static void send_expect(struct party *from, int from_fd, uint16_t relay_port, struct party *to,
			int to_fd, const uint8_t *plain, unsigned int plain_len, bool rtcp,
			uint8_t *wire, unsigned int *wire_len, const char *what)
{
	uint8_t buf[PKT];
	unsigned int len = plain_len;

	memcpy(buf, plain, plain_len);
	if (from->tx)
		encrypt(from->tx, buf, &len, rtcp);
	assert_int_equal(udp_send(from_fd, LO, relay_port, buf, len), 0);
	expect_arrival(to, to_fd, plain, plain_len, rtcp, wire, wire_len, what);
}

static void expect_nothing(int fd, int ms, const char *what)
{
	uint8_t buf[PKT];

	if (udp_recv(fd, buf, sizeof(buf), ms, NULL) >= 0)
		fail_msg("%s: delivered", what);
}

/* RTP and RTCP both ways, n packets each way, decrypted and compared byte for byte. */
static void media_both_ways(struct call *c, struct party *A, struct party *B, int n, bool rtcp)
{
	uint8_t plain[PKT];
	unsigned int len;
	char what[64];

	for (int i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "RTP A->B #%d", i);
		len = make_rtp(plain, (uint16_t)(100 + i), 0xaaaa0001);
		send_expect(A, c->A.rtp, c->relay_for_A, B, c->B.rtp, plain, len, false, NULL, NULL,
			    what);
		snprintf(what, sizeof(what), "RTP B->A #%d", i);
		len = make_rtp(plain, (uint16_t)(7000 + i), 0xbbbb0002);
		send_expect(B, c->B.rtp, c->relay_for_B, A, c->A.rtp, plain, len, false, NULL, NULL,
			    what);
	}
	for (int i = 0; rtcp && i < 3; i++) {
		snprintf(what, sizeof(what), "RTCP A->B #%d", i);
		len = make_rtcp(plain, 0xaaaa0001, (uint8_t)(0x10 + i));
		send_expect(A, c->A.rtcp, c->relay_for_A + 1, B, c->B.rtcp, plain, len, true, NULL,
			    NULL, what);
		snprintf(what, sizeof(what), "RTCP B->A #%d", i);
		len = make_rtcp(plain, 0xbbbb0002, (uint8_t)(0x20 + i));
		send_expect(B, c->B.rtcp, c->relay_for_B + 1, A, c->A.rtcp, plain, len, true, NULL,
			    NULL, what);
	}
}

/* The relay's own lines: one per suite in sdes_suites order, fresh keys, tags after first_tag. */
static void expect_relay_lines(const struct side_sdp *s, unsigned int from, unsigned int first_tag,
			       uint32_t suites)
{
	unsigned int k = from;

	for (unsigned int i = 0; i < SDES_N_SUITES; i++) {
		const struct sdes_crypto *c;

		if (!(suites & (1u << i)))
			continue;
		if (k >= s->n)
			fail_msg("relay line for %s missing (%u lines)", sdes_suites[i].name, s->n);
		c = &s->crypto[k];
		if (c->suite != &sdes_suites[i] || c->tag != first_tag + (k - from))
			fail_msg("line %u: %u %s, expected %u %s", k, c->tag, c->suite->name,
				 first_tag + (k - from), sdes_suites[i].name);
		assert_int_equal(c->lifetime, 0);
		assert_int_equal(c->mki_len, 0);
		assert_false(c->unencrypted_srtp || c->unencrypted_srtcp ||
			     c->unauthenticated_srtp);
		for (unsigned int j = from; j < k; j++)
			assert_memory_not_equal(s->crypto[j].key, c->key, 16);
		k++;
	}
	if (k != s->n)
		fail_msg("%u lines, expected %u", s->n, k);
}

/* The suites the relay offers: all but those srtpx_init found libsrtp2 getting wrong (the
 * AES-192 ones with libsrtp2 2.5). The daemon must have run the same check at startup. */
static uint32_t relay_suites(void)
{
	uint32_t m = 0;

	assert_int_equal(srtpx_init(), 0);
	for (unsigned int i = 0; i < SDES_N_SUITES; i++)
		if (srtpx_suite_follows_rfc((enum sdes_suite_id)i))
			m |= 1u << i;
	/* The unencrypted NULL suites are offered only when named with only-. */
	return m & ~(1u << SDES_NULL_HMAC_SHA1_80 | 1u << SDES_NULL_HMAC_SHA1_32);
}

#define ALL_SUITES relay_suites()

/* Plain RTP from A, SRTP towards B ("transport-protocol": "RTP/SAVP"); SRTCP both ways. */
static void test_rtp_to_srtp(void **state)
{
	struct call c;
	struct sdes_crypto b_key;
	const struct sdes_crypto *pick;
	struct party A = {0}, B = {0};

	call_offer(&c, "RTP/AVP", NULL, ",\"transport-protocol\":\"RTP/SAVP\"");
	assert_string_equal(c.to_B.proto, "RTP/SAVP");
	expect_relay_lines(&c.to_B, 0, 1, ALL_SUITES);
	for (pick = c.to_B.crypto; pick < c.to_B.crypto + c.to_B.n; pick++)
		if (pick->suite->id == SDES_AES_256_CM_HMAC_SHA1_32)
			break;
	assert_true(pick < c.to_B.crypto + c.to_B.n);
	key_make(&b_key, SDES_AES_256_CM_HMAC_SHA1_32, pick->tag);
	call_answer(&c, "RTP/SAVP", &b_key);
	assert_string_equal(c.to_A.proto, "RTP/AVP");
	assert_int_equal(c.to_A.n, 0);

	B.rx = ctx(pick, SRTPX_DECRYPT);
	B.tx = ctx(&b_key, SRTPX_ENCRYPT);
	media_both_ways(&c, &A, &B, 5, true);

	/* What B gets is SRTP: not the plain bytes, a 4-byte tag longer. */
	{
		uint8_t plain[PKT], wire[PKT];
		unsigned int len = make_rtp(plain, 200, 0xaaaa0001), wlen;

		send_expect(&A, c.A.rtp, c.relay_for_A, &B, c.B.rtp, plain, len, false, wire, &wlen,
			    "RTP A->B on the wire");
		assert_int_equal(wlen, len + 4);
		assert_memory_equal(wire, plain, 12);
		assert_memory_not_equal(wire + 12, plain + 12, PAYLOAD);
	}
	party_free(&B);
	call_end(&c);
}

/* SRTP from A, plain RTP towards B ("transport-protocol": "RTP/AVP"). */
/* A restarted xrelayd carries an SRTP call on with the keys it saved: what A sends is still
 * decrypted, what goes to A still encrypted with the key A was given. */
static void test_restart_keeps_keys(void **state)
{
	char dir[] = "/tmp/xrelay-srtp-state.XXXXXX", opt[64], rm[96];
	const char *args[] = {opt, NULL};
	struct sdes_crypto a1;
	const struct sdes_crypto *a_keys[] = {&a1, NULL};
	struct party A = {0}, B = {0};
	uint8_t plain[PKT];
	unsigned int len;
	struct call c;

	assert_non_null(mkdtemp(dir));
	snprintf(opt, sizeof(opt), "--state-dir=%s", dir);
	daemon_args = args;
	key_make(&a1, SDES_AES_CM_128_HMAC_SHA1_80, 1);
	call_offer(&c, "RTP/SAVP", a_keys, ",\"transport-protocol\":\"RTP/AVP\"");
	call_answer(&c, "RTP/AVP", NULL);
	assert_int_equal(c.to_A.n, 1);
	A.tx = ctx(&a1, SRTPX_ENCRYPT);
	A.rx = ctx(&c.to_A.crypto[0], SRTPX_DECRYPT);
	media_both_ways(&c, &A, &B, 3, false);

	assert_int_equal(daemon_stop(&c.d), 0);
	daemon_start(&c.d, args);
	for (uint16_t i = 0; i < 3; i++) {
		len = make_rtp(plain, (uint16_t)(300 + i), 0xaaaa0001);
		send_expect(&A, c.A.rtp, c.relay_for_A, &B, c.B.rtp, plain, len, false, NULL, NULL,
			    "RTP A->B after the restart");
		len = make_rtp(plain, (uint16_t)(9000 + i), 0xbbbb0002);
		send_expect(&B, c.B.rtp, c.relay_for_B, &A, c.A.rtp, plain, len, false, NULL, NULL,
			    "RTP B->A after the restart");
	}
	daemon_args = NULL;
	party_free(&A);
	call_end(&c);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
}

/* SDES "lifetime" puts |2^31 on the relay's own lines. */
static void test_sdes_lifetime(void **state)
{
	struct call c;

	call_offer(&c, "RTP/AVP", NULL,
		   ",\"transport-protocol\":\"RTP/SAVP\","
		   "\"SDES\":[\"lifetime\",\"pad\",\"only-AES_CM_128_HMAC_SHA1_80\"]");
	assert_int_equal(c.to_B.n, 1);
	assert_true(c.to_B.crypto[0].lifetime == 1ull << 31);
	call_end(&c);
}

static void test_srtp_to_rtp(void **state)
{
	struct call c;
	struct sdes_crypto a1, a2;
	const struct sdes_crypto *a_keys[] = {&a1, &a2, NULL}, *mine;
	struct party A = {0}, B = {0};

	key_make(&a1, SDES_AES_CM_128_HMAC_SHA1_80, 1);
	key_make(&a2, SDES_AES_CM_128_HMAC_SHA1_32, 2);
	call_offer(&c, "RTP/SAVP", a_keys, ",\"transport-protocol\":\"RTP/AVP\"");
	assert_string_equal(c.to_B.proto, "RTP/AVP");
	assert_int_equal(c.to_B.n, 0);
	call_answer(&c, "RTP/AVP", NULL);
	assert_string_equal(c.to_A.proto, "RTP/SAVP");
	/* One line: one of A's tags with A's suite for it, and the relay's own key. */
	assert_int_equal(c.to_A.n, 1);
	mine = c.to_A.crypto[0].tag == 1 ? &a1 : c.to_A.crypto[0].tag == 2 ? &a2 : NULL;
	if (!mine || mine->suite != c.to_A.crypto[0].suite)
		fail_msg("answer line %u %s is none of A's", c.to_A.crypto[0].tag,
			 c.to_A.crypto[0].suite->name);
	assert_memory_not_equal(c.to_A.crypto[0].key, mine->key, mine->key_len);

	A.tx = ctx(mine, SRTPX_ENCRYPT);
	A.rx = ctx(&c.to_A.crypto[0], SRTPX_DECRYPT);
	media_both_ways(&c, &A, &B, 5, true);
	party_free(&A);
	call_end(&c);
}

/* A offers only AES_CM_128_HMAC_SHA1_80; the relay adds only AEAD_AES_256_GCM and B takes it:
 * the relay decrypts and encrypts again, SRTP and SRTCP, both ways. */
static void test_srtp_suites(void **state)
{
	struct call c;
	struct sdes_crypto a1, b_key;
	const struct sdes_crypto *a_keys[] = {&a1, NULL}, *gcm;
	struct party A = {0}, B = {0};

	key_make(&a1, SDES_AES_CM_128_HMAC_SHA1_80, 1);
	call_offer(&c, "RTP/SAVP", a_keys, ",\"SDES\":[\"only-AEAD_AES_256_GCM\"]");
	assert_string_equal(c.to_B.proto, "RTP/SAVP");
	assert_int_equal(c.to_B.n, 2);
	/* A's line as it was, then the relay's. */
	assert_true(sdes_same_key(&c.to_B.crypto[0], &a1));
	assert_int_equal(c.to_B.crypto[0].tag, 1);
	expect_relay_lines(&c.to_B, 1, 2, 1u << SDES_AEAD_AES_256_GCM);
	gcm = &c.to_B.crypto[1];
	key_make(&b_key, SDES_AEAD_AES_256_GCM, gcm->tag);
	call_answer(&c, "RTP/SAVP", &b_key);
	assert_string_equal(c.to_A.proto, "RTP/SAVP");
	assert_int_equal(c.to_A.n, 1);
	assert_int_equal(c.to_A.crypto[0].tag, 1);
	assert_ptr_equal(c.to_A.crypto[0].suite, &sdes_suites[SDES_AES_CM_128_HMAC_SHA1_80]);
	assert_false(sdes_same_key(&c.to_A.crypto[0], &a1));

	A.tx = ctx(&a1, SRTPX_ENCRYPT);
	A.rx = ctx(&c.to_A.crypto[0], SRTPX_DECRYPT);
	B.rx = ctx(gcm, SRTPX_DECRYPT);
	B.tx = ctx(&b_key, SRTPX_ENCRYPT);
	media_both_ways(&c, &A, &B, 5, true);

	/* B's side is checked too: a packet under another GCM key is dropped and counted there. */
	{
		struct sdes_crypto wrong = b_key;
		struct party W = {0};
		uint8_t pkt[PKT];
		unsigned int len = make_rtp(pkt, 7100, 0xbbbb0002);
		struct bnode *r;

		wrong.key[0] ^= 1;
		W.tx = ctx(&wrong, SRTPX_ENCRYPT);
		encrypt(W.tx, pkt, &len, false);
		assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, pkt, len), 0);
		expect_nothing(c.A.rtp, 300, "B's packet under a wrong key");
		r = ng(&c.d, c.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", c.call_id);
		expect_result(r, "ok");
		assert_int_equal(
			bn_path_int(r, "tags/callee/medias/0/streams/0/stats/srtp auth failures"),
			1);
		assert_int_equal(
			bn_path_int(r, "tags/caller/medias/0/streams/0/stats/srtp auth failures"),
			0);
		party_free(&W);
	}
	party_free(&A);
	party_free(&B);
	call_end(&c);
}

/* B takes A's own line: SRTP passes unchanged both ways; the answer gives A B's line as is. */
static void test_passthrough(void **state)
{
	struct call c;
	struct sdes_crypto a1, a2, b_key;
	const struct sdes_crypto *a_keys[] = {&a1, &a2, NULL};
	struct party A = {0}, B = {0};
	uint8_t plain[PKT], sent[PKT], wire[PKT];
	unsigned int len, slen, wlen;

	key_make(&a1, SDES_AES_CM_128_HMAC_SHA1_80, 1);
	key_make(&a2, SDES_AEAD_AES_128_GCM, 2);
	call_offer(&c, "RTP/SAVP", a_keys, NULL);
	assert_string_equal(c.to_B.proto, "RTP/SAVP");
	assert_true(sdes_same_key(&c.to_B.crypto[0], &a1));
	assert_true(sdes_same_key(&c.to_B.crypto[1], &a2));
	/* The relay's suites follow A's, tags after A's. */
	expect_relay_lines(&c.to_B, 2, 3, ALL_SUITES);
	key_make(&b_key, SDES_AEAD_AES_128_GCM, 2);
	call_answer(&c, "RTP/SAVP", &b_key);
	assert_string_equal(c.to_A.proto, "RTP/SAVP");
	assert_int_equal(c.to_A.n, 1);
	assert_true(sdes_same_key(&c.to_A.crypto[0], &b_key));
	assert_int_equal(c.to_A.crypto[0].tag, 2);

	A.tx = ctx(&a2, SRTPX_ENCRYPT);
	A.rx = ctx(&b_key, SRTPX_DECRYPT);
	B.tx = ctx(&b_key, SRTPX_ENCRYPT);
	B.rx = ctx(&a2, SRTPX_DECRYPT);
	media_both_ways(&c, &A, &B, 5, true);

	/* Byte for byte what A sent, and what B sent. */
	len = make_rtp(plain, 300, 0xaaaa0001);
	memcpy(sent, plain, len);
	slen = len;
	encrypt(A.tx, sent, &slen, false);
	assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, sent, slen), 0);
	expect_arrival(&B, c.B.rtp, plain, len, false, wire, &wlen, "SRTP A->B");
	assert_int_equal(wlen, slen);
	assert_memory_equal(wire, sent, slen);
	len = make_rtp(plain, 9000, 0xbbbb0002);
	memcpy(sent, plain, len);
	slen = len;
	encrypt(B.tx, sent, &slen, false);
	assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, sent, slen), 0);
	expect_arrival(&A, c.A.rtp, plain, len, false, wire, &wlen, "SRTP B->A");
	assert_int_equal(wlen, slen);
	assert_memory_equal(wire, sent, slen);
	party_free(&A);
	party_free(&B);
	call_end(&c);
}

/* "SDES": ["nonew"]: B sees A's lines and nothing of the relay's. */
static void test_nonew(void **state)
{
	struct call c;
	struct sdes_crypto a1, a2;
	const struct sdes_crypto *a_keys[] = {&a1, &a2, NULL};

	key_make(&a1, SDES_AES_256_CM_HMAC_SHA1_80, 5);
	key_make(&a2, SDES_AES_CM_128_HMAC_SHA1_80, 9);
	call_offer(&c, "RTP/SAVP", a_keys, ",\"SDES\":[\"nonew\"]");
	assert_int_equal(c.to_B.n, 2);
	assert_true(sdes_same_key(&c.to_B.crypto[0], &a1));
	assert_int_equal(c.to_B.crypto[0].tag, 5);
	assert_true(sdes_same_key(&c.to_B.crypto[1], &a2));
	assert_int_equal(c.to_B.crypto[1].tag, 9);
	call_end(&c);
}

/* "no-SUITE" words leave those suites out of the relay's lines; the others keep their order and
 * take consecutive tags. */
static void test_sdes_no(void **state)
{
	struct call c;

	call_offer(&c, "RTP/AVP", NULL,
		   ",\"transport-protocol\":\"RTP/SAVP\",\"SDES\":[\"no-AES_CM_128_HMAC_SHA1_32\","
		   "\"no-NULL_HMAC_SHA1_80\",\"no-NULL_HMAC_SHA1_32\"]");
	assert_string_equal(c.to_B.proto, "RTP/SAVP");
	expect_relay_lines(&c.to_B, 0, 1,
			   ALL_SUITES &
				   ~(1u << SDES_AES_CM_128_HMAC_SHA1_32 |
				     1u << SDES_NULL_HMAC_SHA1_80 | 1u << SDES_NULL_HMAC_SHA1_32));
	call_end(&c);
}

/* A (SRTP) to B (plain): a wrong key, a flipped tag and a replay are dropped and counted on A's
 * stream; good packets around them still pass. */
static void test_refused_counted(void **state)
{
	struct call c;
	struct sdes_crypto a1, wrong;
	const struct sdes_crypto *a_keys[] = {&a1, NULL};
	struct party A = {0}, B = {0}, W = {0};
	uint8_t plain[PKT], pkt[PKT], first[PKT];
	unsigned int len, first_len;
	struct bnode *r;

	key_make(&a1, SDES_AES_CM_128_HMAC_SHA1_80, 1);
	call_offer(&c, "RTP/SAVP", a_keys, ",\"transport-protocol\":\"RTP/AVP\"");
	call_answer(&c, "RTP/AVP", NULL);
	assert_int_equal(c.to_A.n, 1);
	assert_int_equal(c.to_A.crypto[0].tag, 1);
	A.tx = ctx(&a1, SRTPX_ENCRYPT);
	wrong = a1;
	wrong.key[3] ^= 0x10;
	W.tx = ctx(&wrong, SRTPX_ENCRYPT);

	len = make_rtp(plain, 1, 0xaaaa0001);
	memcpy(first, plain, len);
	first_len = len;
	encrypt(A.tx, first, &first_len, false);
	assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, first, first_len), 0);
	expect_arrival(&B, c.B.rtp, plain, len, false, NULL, NULL, "good packet 1");

	len = make_rtp(pkt, 2, 0xaaaa0001);
	encrypt(W.tx, pkt, &len, false);
	assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
	expect_nothing(c.B.rtp, 300, "wrong key");

	len = make_rtp(pkt, 3, 0xaaaa0001);
	encrypt(A.tx, pkt, &len, false);
	pkt[len - 1] ^= 0x01;
	assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
	expect_nothing(c.B.rtp, 300, "flipped tag");

	assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, first, first_len), 0);
	expect_nothing(c.B.rtp, 300, "replay");

	len = make_rtp(plain, 4, 0xaaaa0001);
	send_expect(&A, c.A.rtp, c.relay_for_A, &B, c.B.rtp, plain, len, false, NULL, NULL,
		    "good packet 4");

	/* SRTCP: one good, one with a flipped tag, the good one again. */
	len = make_rtcp(plain, 0xaaaa0001, 0x31);
	memcpy(first, plain, len);
	first_len = len;
	encrypt(A.tx, first, &first_len, true);
	assert_int_equal(udp_send(c.A.rtcp, LO, c.relay_for_A + 1, first, first_len), 0);
	expect_arrival(&B, c.B.rtcp, plain, len, true, NULL, NULL, "good SRTCP");
	len = make_rtcp(pkt, 0xaaaa0001, 0x32);
	encrypt(A.tx, pkt, &len, true);
	pkt[len - 1] ^= 0x80;
	assert_int_equal(udp_send(c.A.rtcp, LO, c.relay_for_A + 1, pkt, len), 0);
	expect_nothing(c.B.rtcp, 300, "SRTCP with a flipped tag");
	assert_int_equal(udp_send(c.A.rtcp, LO, c.relay_for_A + 1, first, first_len), 0);
	expect_nothing(c.B.rtcp, 300, "SRTCP replay");

	r = ng(&c.d, c.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", c.call_id);
	expect_result(r, "ok");
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/srtp auth failures"),
			 2);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/0/stats/srtp replays"), 1);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/1/stats/srtp auth failures"),
			 1);
	assert_int_equal(bn_path_int(r, "tags/caller/medias/0/streams/1/stats/srtp replays"), 1);
	/* Nothing was refused on B's side. */
	assert_int_equal(bn_path_int(r, "tags/callee/medias/0/streams/0/stats/srtp auth failures"),
			 0);
	assert_int_equal(bn_path_int(r, "tags/callee/medias/0/streams/0/stats/srtp replays"), 0);
	party_free(&A);
	party_free(&W);
	call_end(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rtp_to_srtp, daemons_teardown),
		cmocka_unit_test_teardown(test_srtp_to_rtp, daemons_teardown),
		cmocka_unit_test_teardown(test_restart_keeps_keys, daemons_teardown),
		cmocka_unit_test_teardown(test_sdes_lifetime, daemons_teardown),
		cmocka_unit_test_teardown(test_srtp_suites, daemons_teardown),
		cmocka_unit_test_teardown(test_passthrough, daemons_teardown),
		cmocka_unit_test_teardown(test_nonew, daemons_teardown),
		cmocka_unit_test_teardown(test_sdes_no, daemons_teardown),
		cmocka_unit_test_teardown(test_refused_counted, daemons_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
