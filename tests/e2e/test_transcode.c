// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end transcoding: the real xrelayd on loopback between a caller (A) and a callee (B)
 * that encode and decode with spandsp and libopus here (not the daemon's codec.c): tones through
 * every codec pair, RFC 4733 events and in-band DTMF, loss and reordering, ptime, and the SDP. */
#include "audio.h"
#include "e2e.h"
#include "sdes.h"
#include "srtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <opus/opus.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <spandsp.h>
#include <cmocka.h>

#define LO	"127.0.0.1"
#define PKT	1500
#define MAXP	512
#define FRAMES	50 /* one second of 20 ms packets */
#define SKIP_MS 60 /* codec start-up left out of the analysis */
#define TE8	"a=rtpmap:101 telephone-event/8000\\r\\na=fmtp:101 0-16\\r\\n"

/* A codec as the test parties see it. */
struct tcodec {
	const char *name;   /* for the ng "transcode" list */
	const char *rtpmap; /* encoding/clock[/channels] */
	int static_pt;
	unsigned int clock; /* RTP clock */
	unsigned int rate;  /* PCM sample rate */
	bool opus;
};

static const struct tcodec PCMU = {"PCMU", "PCMU/8000", 0, 8000, 8000, false};
static const struct tcodec PCMA = {"PCMA", "PCMA/8000", 8, 8000, 8000, false};
static const struct tcodec G722 = {"G722", "G722/8000", 9, 8000, 16000, false};
static const struct tcodec OPUS = {"opus", "opus/48000/2", -1, 48000, 48000, true};

/* One party's encoder and decoder for one codec. */
struct coder {
	const struct tcodec *c;
	g711_state_t *g711;
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	OpusEncoder *oe;
	OpusDecoder *od;
};

static void coder_init(struct coder *k, const struct tcodec *c)
{
	int err = 0;

	memset(k, 0, sizeof(*k));
	k->c = c;
	if (c == &PCMU || c == &PCMA) {
		k->g711 = g711_init(NULL, c == &PCMU ? G711_ULAW : G711_ALAW);
		assert_non_null(k->g711);
	} else if (c == &G722) {
		k->g722e = g722_encode_init(NULL, 64000, 0);
		k->g722d = g722_decode_init(NULL, 64000, 0);
		assert_true(k->g722e && k->g722d);
	} else {
		k->oe = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
		assert_int_equal(err, OPUS_OK);
		k->od = opus_decoder_create(48000, 1, &err);
		assert_int_equal(err, OPUS_OK);
	}
}

static void coder_free(struct coder *k)
{
	if (k->g711)
		g711_free(k->g711);
	if (k->g722e)
		g722_encode_free(k->g722e);
	if (k->g722d)
		g722_decode_free(k->g722d);
	if (k->oe)
		opus_encoder_destroy(k->oe);
	if (k->od)
		opus_decoder_destroy(k->od);
}

/* Encodes n samples (at the codec's rate); returns the payload length. */
static int coder_encode(struct coder *k, const int16_t *pcm, int n, uint8_t *out)
{
	int len;

	if (k->g711)
		return g711_encode(k->g711, out, pcm, n);
	if (k->g722e)
		return g722_encode(k->g722e, out, pcm, n);
	len = opus_encode(k->oe, pcm, n, out, PKT - 12);
	assert_true(len > 0);
	return len;
}

/* Decodes one payload; returns the samples written. */
static int coder_decode(struct coder *k, const uint8_t *in, int len, int16_t *pcm, int max)
{
	int n;

	if (k->g711) {
		assert_true(len <= max);
		return g711_decode(k->g711, pcm, in, len);
	}
	if (k->g722d) {
		assert_true(2 * len <= max);
		return g722_decode(k->g722d, pcm, in, len);
	}
	n = opus_decode(k->od, in, len, pcm, max, 0);
	if (n < 0)
		fail_msg("the relay's Opus payload (%d bytes) does not decode: %s", len,
			 opus_strerror(n));
	return n;
}

/* The level the parties send at: a sine whose RMS is -10 dBFS. */
static double amp_for_dbfs(double dbfs)
{
	return 32767.0 * pow(10, dbfs / 20) * sqrt(2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static size_t rtp_hdr(uint8_t *p, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put16(p + 2, seq);
	put32(p + 4, ts);
	put32(p + 8, ssrc);
	return 12;
}

/* A sender: one RTP stream of 20 ms packets of a tone (or DTMF digits). */
struct tx {
	struct coder k;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t sample; /* PCM samples made so far */
	double freq, amp;
};

static void tx_init(struct tx *t, const struct tcodec *c, uint8_t pt, uint32_t ssrc, double freq)
{
	memset(t, 0, sizeof(*t));
	coder_init(&t->k, c);
	t->pt = pt;
	t->ssrc = ssrc;
	t->seq = (uint16_t)(ssrc * 7);
	t->ts = ssrc * 13;
	t->freq = freq;
	t->amp = amp_for_dbfs(-10);
}

/* The next 20 ms packet: the tone, the digit (when digit), or silence (digit ' '). */
static size_t tx_audio(struct tx *t, uint8_t *pkt, char digit)
{
	int16_t pcm[960] = {0};
	size_t n = t->k.c->rate / 50, len;

	if (!digit)
		audio_sine(pcm, n, t->k.c->rate, t->freq, t->amp, t->sample);
	else if (digit != ' ')
		assert_int_equal(audio_dtmf(pcm, n, t->k.c->rate, digit, 8000, t->sample), 0);
	t->sample += n;
	len = rtp_hdr(pkt, t->pt, false, t->seq++, t->ts, t->ssrc);
	t->ts += t->k.c->clock / 50;
	return len + (size_t)coder_encode(&t->k, pcm, (int)n, pkt + len);
}

/* What one party received: every datagram, in arrival order. */
struct rx {
	int n;
	uint16_t len[MAXP];
	uint8_t pkt[MAXP][PKT];
};

/* Receives until nothing came for idle_ms. */
static void rx_collect(struct rx *r, int fd, int idle_ms)
{
	int len;

	while (r->n < MAXP && (len = udp_recv(fd, r->pkt[r->n], PKT, idle_ms, NULL)) >= 0)
		if (len >= 12)
			r->len[r->n++] = (uint16_t)len;
}

static uint8_t rx_pt(const struct rx *r, int i)
{
	return r->pkt[i][1] & 0x7f;
}

/* A call between A and B through one daemon; the SDPs the relay wrote are kept. */
struct call {
	struct daemon d;
	struct barena *a;
	struct leg A, B;
	uint16_t relay_for_A, relay_for_B;
	char id[64];
	char to_B[4096], to_A[4096];
	struct bnode *offer_reply, *answer_reply;
	const char *proto_A; /* the caller's m= protocol; NULL: RTP/AVP */
};

static const char *const DAEMON_OPTS[] = {"--xdp=off", "--port-min=33000", "--port-max=33999",
					  NULL};

static void call_open(struct call *c, bool start_daemon)
{
	static int seq;
	struct daemon d;

	if (!start_daemon)
		d = c->d;
	memset(c, 0, sizeof(*c));
	if (start_daemon)
		daemon_start(&c->d, DAEMON_OPTS);
	else
		c->d = d;
	c->a = barena_new();
	leg_open(&c->A);
	leg_open(&c->B);
	snprintf(c->id, sizeof(c->id), "tc-%d-%d", (int)getpid(), ++seq);
}

/* Closes the legs; stops the daemon when stop (else it serves the next call_open). */
static void call_close(struct call *c, bool stop)
{
	leg_close(&c->A);
	leg_close(&c->B);
	barena_free(c->a);
	if (stop)
		assert_int_equal(daemon_stop(&c->d), 0);
}

static const char *sdp_make(char *buf, size_t size, uint16_t port, const char *proto,
			    const char *fmts, const char *attrs)
{
	int n = snprintf(buf, size,
			 "v=0\\r\\no=- 1545997027 1 IN IP4 " LO "\\r\\ns=tester\\r\\nt=0 0\\r\\n"
			 "m=audio %u %s %s\\r\\nc=IN IP4 " LO "\\r\\n%s",
			 port, proto ? proto : "RTP/AVP", fmts, attrs);

	assert_true(n > 0 && (size_t)n < size);
	return buf;
}

static void keep_sdp(const struct bnode *r, char *dst, size_t size)
{
	const char *s = bn_dict_get_str(r, "sdp");

	assert_non_null(s);
	snprintf(dst, size, "%s", s);
}

/* Offer from A (fmts and attrs of its m= line, extra ng keys as ",\"k\":v..."). Returns the
 * reply; on "ok" the SDP to B is kept in to_B. */
static struct bnode *call_offer(struct call *c, const char *fmts, const char *attrs,
				const char *opts)
{
	char sdp[2048];
	struct bnode *r;

	r = ng(&c->d, c->a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"A\",\"sdp\":\"%s\"%s}",
	       c->id, sdp_make(sdp, sizeof(sdp), c->A.rtp_port, c->proto_A, fmts, attrs),
	       opts ? opts : "");
	c->offer_reply = r;
	if (bn_str_eq(bn_dict_get(r, "result"), "ok")) {
		keep_sdp(r, c->to_B, sizeof(c->to_B));
		c->relay_for_B = sdp_port(r);
	}
	return r;
}

static struct bnode *call_answer(struct call *c, const char *fmts, const char *attrs)
{
	char sdp[2048];
	struct bnode *r;

	r = ng(&c->d, c->a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"A\",\"to-tag\":\"B\","
	       "\"sdp\":\"%s\"}",
	       c->id, sdp_make(sdp, sizeof(sdp), c->B.rtp_port, NULL, fmts, attrs));
	c->answer_reply = r;
	if (bn_str_eq(bn_dict_get(r, "result"), "ok")) {
		keep_sdp(r, c->to_A, sizeof(c->to_A));
		c->relay_for_A = sdp_port(r);
	}
	return r;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000};

	nanosleep(&ts, NULL);
}

/* One second of tone both ways, A's packets kept in sent (when given), then what arrived. */
static void exchange(struct call *c, struct tx *ta, struct tx *tb, struct rx *ra, struct rx *rb,
		     uint8_t (*sent)[PKT], size_t *sent_len)
{
	uint8_t pkt[PKT];

	for (int i = 0; i < FRAMES; i++) {
		size_t len = tx_audio(ta, pkt, 0);

		if (sent) {
			memcpy(sent[i], pkt, len);
			sent_len[i] = len;
		}
		assert_int_equal(udp_send(c->A.rtp, LO, c->relay_for_A, pkt, len), 0);
		len = tx_audio(tb, pkt, 0);
		assert_int_equal(udp_send(c->B.rtp, LO, c->relay_for_B, pkt, len), 0);
		sleep_ms(2);
	}
	rx_collect(rb, c->B.rtp, 400);
	rx_collect(ra, c->A.rtp, 100);
}

/* The payload type an SDP maps to rtpmap (e.g. "opus/48000", "telephone-event/8000"), matched
 * case-insensitively at the start of the a=rtpmap value; -1 when none. */
static int sdp_pt(const char *sdp, const char *rtpmap)
{
	for (const char *p = strstr(sdp, "a=rtpmap:"); p; p = strstr(p + 1, "a=rtpmap:")) {
		const char *enc = strchr(p, ' ');

		if (enc && !strncasecmp(enc + 1, rtpmap, strlen(rtpmap)))
			return atoi(p + 9);
	}
	return -1;
}

/* The formats of the first m= line, in order; returns how many. */
static int sdp_fmts(const char *sdp, int *pts, int max)
{
	const char *m = strstr(sdp, "m=audio "), *p;
	int n = 0;

	assert_non_null(m);
	p = strstr(m, "RTP/AVP");
	assert_non_null(p);
	p += 7;
	while (n < max && *p == ' ') {
		pts[n++] = atoi(++p);
		while (isdigit((unsigned char)*p))
			p++;
	}
	return n;
}

static int fmt_index(const int *pts, int n, int pt)
{
	for (int i = 0; i < n; i++)
		if (pts[i] == pt)
			return i;
	return -1;
}

/* The a=fmtp value for pt ("" when none). */
static const char *sdp_fmtp(const char *sdp, int pt, char *buf, size_t size)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "a=fmtp:%d ", pt);
	buf[0] = 0;
	p = strstr(sdp, key);
	if (p)
		snprintf(buf, size, "%.*s", (int)strcspn(p + strlen(key), "\r\n"), p + strlen(key));
	return buf;
}

/* A's or B's m= line for one codec at pt (plus attrs). */
static void party_sdp(const struct tcodec *c, int pt, const char *more_fmts, const char *attrs,
		      char *fmts, size_t fsize, char *at, size_t asize)
{
	snprintf(fmts, fsize, "%d%s", pt, more_fmts ? more_fmts : "");
	snprintf(at, asize, "a=rtpmap:%d %s\\r\\n%s", pt, c->rtpmap, attrs ? attrs : "");
	if (c->opus) {
		size_t n = strlen(at);

		snprintf(at + n, asize - n, "a=fmtp:%d useinbandfec=1\\r\\n", pt);
	}
}

/* What a received audio stream must look like. */
struct expect {
	const struct tcodec *c;
	uint8_t pt;
	unsigned int ptime; /* ms per packet */
	int min, max;	    /* packets */
	double freq, dbfs, tol_db, share;
};

/* Checks the headers (one PT, consecutive seq, exact timestamp steps, one SSRC), decodes with
 * our own decoder and checks the tone (frequency, level, purity) after SKIP_MS. */
static void check_audio(const struct rx *r, const struct expect *e, const char *what)
{
	unsigned int step = e->c->clock * e->ptime / 1000;
	size_t cap = (size_t)e->c->rate * 4, n = 0, skip = e->c->rate * SKIP_MS / 1000;
	int16_t *pcm = calloc(cap, sizeof(*pcm));
	struct coder k;
	double f, lvl, share;

	assert_non_null(pcm);
	if (r->n < e->min || r->n > e->max)
		fail_msg("%s: %d packets arrived, expected %d..%d", what, r->n, e->min, e->max);
	coder_init(&k, e->c);
	for (int i = 0; i < r->n; i++) {
		const uint8_t *p = r->pkt[i];
		int got;

		if (rx_pt(r, i) != e->pt)
			fail_msg("%s: packet %d has PT %u, expected %u", what, i, rx_pt(r, i),
				 e->pt);
		if (i && get16(p + 2) != (uint16_t)(get16(r->pkt[i - 1] + 2) + 1))
			fail_msg("%s: packet %d: seq %u after %u", what, i, get16(p + 2),
				 get16(r->pkt[i - 1] + 2));
		if (i && get32(p + 4) - get32(r->pkt[i - 1] + 4) != step)
			fail_msg("%s: packet %d: timestamp step %u, expected %u", what, i,
				 get32(p + 4) - get32(r->pkt[i - 1] + 4), step);
		if (i && get32(p + 8) != get32(r->pkt[0] + 8))
			fail_msg("%s: packet %d: SSRC %08x, the first had %08x", what, i,
				 get32(p + 8), get32(r->pkt[0] + 8));
		got = coder_decode(&k, p + 12, r->len[i] - 12, pcm + n, (int)(cap - n));
		if ((unsigned int)got != e->c->rate * e->ptime / 1000)
			fail_msg("%s: packet %d decodes to %d samples, expected %u", what, i, got,
				 e->c->rate * e->ptime / 1000);
		n += (size_t)got;
	}
	coder_free(&k);
	assert_true(n > skip + e->c->rate / 4);
	f = audio_peak_freq(pcm + skip, n - skip, e->c->rate, 100, 3000);
	lvl = audio_rms_dbfs(pcm + skip, n - skip);
	share = audio_tone_share(pcm + skip, n - skip, e->c->rate, e->freq);
	print_message("    %s: %d packets, %.1f Hz, %.2f dBFS, tone share %.3f\n", what, r->n, f,
		      lvl, share);
	if (fabs(f - e->freq) > 3)
		fail_msg("%s: peak at %.1f Hz, sent %.0f Hz", what, f, e->freq);
	if (fabs(lvl - e->dbfs) > e->tol_db)
		fail_msg("%s: level %.2f dBFS, sent %.2f (tolerance %.0f dB)", what, lvl, e->dbfs,
			 e->tol_db);
	if (share <= e->share)
		fail_msg("%s: tone share %.3f, want > %.2f", what, share, e->share);
	free(pcm);
}

/* The RMS level of the tone a party sends, as audio_rms_dbfs measures it. */
static double sent_dbfs(const struct tcodec *c, double freq)
{
	size_t n = c->rate;
	int16_t *pcm = calloc(n, sizeof(*pcm));
	double l;

	assert_non_null(pcm);
	audio_sine(pcm, n, c->rate, freq, amp_for_dbfs(-10), 0);
	l = audio_rms_dbfs(pcm, n);
	free(pcm);
	return l;
}

/* A offers X with "transcode" Y, B answers Y alone: the SDPs say so, 1 kHz from A arrives at
 * B in Y, 400 Hz from B arrives at A in X. */
static void pair_run(struct call *c, const struct tcodec *x, const struct tcodec *y)
{
	char fmts[64], attrs[512], opts[96], what[64];
	int x_pt = x->static_pt >= 0 ? x->static_pt : 96, y_pt;
	struct tx ta, tb;
	struct rx *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	uint8_t sent_a[FRAMES][PKT];
	size_t sent_a_len[FRAMES];
	struct bnode *r;
	const struct bnode *q;
	struct expect e;
	bool g711 = !x->opus && !y->opus && x->rate == 8000 && y->rate == 8000;

	assert_true(ra && rb);
	print_message("  %s -> %s\n", x->name, y->name);
	party_sdp(x, x_pt, NULL, NULL, fmts, sizeof(fmts), attrs, sizeof(attrs));
	snprintf(opts, sizeof(opts), ",\"codec\":{\"transcode\":[\"%s\"]}", y->name);
	expect_result(call_offer(c, fmts, attrs, opts), "ok");
	y_pt = sdp_pt(c->to_B, y->rtpmap);
	if (y_pt < 0)
		fail_msg("offer to B has no %s: %s", y->rtpmap, c->to_B);
	assert_true(sdp_pt(c->to_B, x->rtpmap) == x_pt);
	if (y->static_pt >= 0)
		assert_int_equal(y_pt, y->static_pt);
	else
		assert_true(y_pt >= 96 && y_pt <= 127 && y_pt != x_pt);

	party_sdp(y, y_pt, NULL, NULL, fmts, sizeof(fmts), attrs, sizeof(attrs));
	expect_result(call_answer(c, fmts, attrs), "ok");
	if (sdp_pt(c->to_A, x->rtpmap) != x_pt || sdp_pt(c->to_A, y->rtpmap) >= 0)
		fail_msg("answer to A should carry %s on %d alone: %s", x->rtpmap, x_pt, c->to_A);

	tx_init(&ta, x, (uint8_t)x_pt, 0xa0a0a001, 1000);
	tx_init(&tb, y, (uint8_t)y_pt, 0xb0b0b002, 400);
	exchange(c, &ta, &tb, ra, rb, sent_a, sent_a_len);

	e = (struct expect){y,
			    (uint8_t)y_pt,
			    20,
			    FRAMES - 2,
			    FRAMES,
			    1000,
			    sent_dbfs(x, 1000),
			    x->opus || y->opus ? 3 : 2,
			    0.9};
	snprintf(what, sizeof(what), "%s->%s at B", x->name, y->name);
	check_audio(rb, &e, what);
	e = (struct expect){x,
			    (uint8_t)x_pt,
			    20,
			    FRAMES - 2,
			    FRAMES,
			    400,
			    sent_dbfs(y, 400),
			    x->opus || y->opus ? 3 : 2,
			    0.9};
	snprintf(what, sizeof(what), "%s->%s at A", y->name, x->name);
	check_audio(ra, &e, what);

	/* G.711 to G.711 is a translation: the input's seq, timestamp and SSRC, and each byte
	 * through the standard table. */
	if (g711) {
		assert_int_equal(rb->n, FRAMES);
		for (int i = 0; i < FRAMES; i++) {
			assert_int_equal(rb->len[i], sent_a_len[i]);
			assert_memory_equal(rb->pkt[i] + 2, sent_a[i] + 2, 10);
			for (size_t j = 12; j < sent_a_len[i]; j++) {
				uint8_t s = sent_a[i][j];
				uint8_t want = x == &PCMU ? ulaw_to_alaw(s) : alaw_to_ulaw(s);

				if (rb->pkt[i][j] != want)
					fail_msg("packet %d byte %zu: %02x -> %02x, want %02x", i,
						 j, s, rb->pkt[i][j], want);
			}
		}
	} else {
		/* A stream of its own: not A's SSRC. */
		assert_int_not_equal(get32(rb->pkt[0] + 8), ta.ssrc);
	}

	/* The query says what each party's RTP is transcoded into, and counts it. */
	r = ng(&c->d, c->a, "{\"command\":\"query\",\"call-id\":\"%s\"}", c->id);
	expect_result(r, "ok");
	snprintf(what, sizeof(what), "%d %s", y_pt, y->name);
	q = bn_path(r, "tags/A/medias/0/transcoding/to");
	if (!q || !bn_str_eq(q, what))
		fail_msg("query: A's RTP should be transcoded to '%s'", what);
	snprintf(what, sizeof(what), "%d %s", x_pt, x->name);
	q = bn_path(r, "tags/B/medias/0/transcoding/to");
	if (!q || !bn_str_eq(q, what))
		fail_msg("query: B's RTP should be transcoded to '%s'", what);
	assert_int_equal(bn_path_int(r, "tags/A/medias/0/transcoding/decoded"), FRAMES);
	assert_int_equal(bn_path_int(r, "tags/B/medias/0/transcoding/decoded"), FRAMES);
	coder_free(&ta.k);
	coder_free(&tb.k);
	free(ra);
	free(rb);
}

/* Both orientations of an unordered pair, one daemon. */
static void pair_test(const struct tcodec *x, const struct tcodec *y)
{
	struct call c;

	call_open(&c, true);
	pair_run(&c, x, y);
	call_close(&c, false);
	call_open(&c, false);
	pair_run(&c, y, x);
	call_close(&c, true);
}

/* Every unordered pair of codecs, one test each (the test's state names the pair). */
static const struct tcodec *const pairs[][2] = {
	{&PCMU, &PCMA}, {&PCMU, &G722}, {&PCMU, &OPUS},
	{&PCMA, &G722}, {&PCMA, &OPUS}, {&G722, &OPUS},
};

static void test_pair(void **state)
{
	const struct tcodec *const *p = *state;

	pair_test(p[0], p[1]);
}

/* The SDPs: what B is offered and what A is answered, for transcode, mask + transcode, the
 * telephone-event at the new clock rate, flags, ptime, an unknown codec, and the error for an
 * answer that picks a payload type B was not offered. */
static void test_sdp(void **state)
{
	int pts[16], n, opus_pt, te48, te8;
	char fmtp[128], fmts[64], attrs[512];
	struct call c;
	struct bnode *r;
	const char *why;

	/* transcode PCMA: A's codecs first, PCMA after them on its static 8. */
	call_open(&c, true);
	expect_result(call_offer(&c, "0 101", "a=rtpmap:0 PCMU/8000\\r\\n" TE8,
				 ",\"codec\":{\"transcode\":[\"PCMA\"]}"),
		      "ok");
	n = sdp_fmts(c.to_B, pts, 16);
	assert_int_equal(n, 3);
	assert_int_equal(pts[0], 0);
	assert_true(fmt_index(pts, n, 101) >= 0);
	assert_true(fmt_index(pts, n, 8) > 0);
	assert_int_equal(sdp_pt(c.to_B, "PCMA/8000"), 8);
	assert_int_equal(sdp_pt(c.to_B, "telephone-event/8000"), 101);
	assert_int_equal(sdp_pt(c.to_B, "telephone-event/48000"), -1);
	call_close(&c, false);

	/* The same as a flag, and G722 on its static 9. */
	call_open(&c, false);
	expect_result(call_offer(&c, "0 101", "a=rtpmap:0 PCMU/8000\\r\\n" TE8,
				 ",\"flags\":[\"codec-transcode-G722\"]"),
		      "ok");
	n = sdp_fmts(c.to_B, pts, 16);
	assert_int_equal(pts[0], 0);
	assert_true(fmt_index(pts, n, 9) > 0);
	assert_int_equal(sdp_pt(c.to_B, "G722/8000"), 9);
	call_close(&c, false);

	/* transcode opus: a dynamic type with useinbandfec=1, and a telephone-event/48000 on
	 * another dynamic type with 0-16. Then B picks those two: A gets PCMU and its own event
	 * type back, and nothing of Opus. */
	call_open(&c, false);
	expect_result(call_offer(&c, "0 101", "a=rtpmap:0 PCMU/8000\\r\\n" TE8,
				 ",\"codec\":{\"transcode\":[\"opus/48000/2\"]}"),
		      "ok");
	n = sdp_fmts(c.to_B, pts, 16);
	opus_pt = sdp_pt(c.to_B, "opus/48000/2");
	te48 = sdp_pt(c.to_B, "telephone-event/48000");
	te8 = sdp_pt(c.to_B, "telephone-event/8000");
	if (opus_pt < 96 || te48 < 96 || te8 != 101 || opus_pt == te48 || opus_pt == 101 ||
	    te48 == 101)
		fail_msg("offer to B: opus %d, telephone-event/48000 %d, /8000 %d: %s", opus_pt,
			 te48, te8, c.to_B);
	assert_int_equal(pts[0], 0);
	assert_true(fmt_index(pts, n, opus_pt) > 0 && fmt_index(pts, n, te48) > 0);
	assert_non_null(strstr(sdp_fmtp(c.to_B, opus_pt, fmtp, sizeof(fmtp)), "useinbandfec=1"));
	assert_string_equal(sdp_fmtp(c.to_B, te48, fmtp, sizeof(fmtp)), "0-16");
	snprintf(fmts, sizeof(fmts), "%d %d", opus_pt, te48);
	snprintf(attrs, sizeof(attrs),
		 "a=rtpmap:%d opus/48000/2\\r\\na=rtpmap:%d telephone-event/48000\\r\\n"
		 "a=fmtp:%d 0-16\\r\\n",
		 opus_pt, te48, te48);
	expect_result(call_answer(&c, fmts, attrs), "ok");
	n = sdp_fmts(c.to_A, pts, 16);
	if (n != 2 || pts[0] != 0 || pts[1] != 101 || sdp_pt(c.to_A, "opus") >= 0 ||
	    sdp_pt(c.to_A, "telephone-event/8000") != 101)
		fail_msg("answer to A should be PCMU 0 + telephone-event 101: %s", c.to_A);
	call_close(&c, false);

	/* mask PCMU + transcode opus: B is offered Opus (and events) only. */
	call_open(&c, false);
	expect_result(call_offer(&c, "0 101", "a=rtpmap:0 PCMU/8000\\r\\n" TE8,
				 ",\"codec\":{\"mask\":[\"PCMU\"],\"transcode\":[\"opus\"]}"),
		      "ok");
	n = sdp_fmts(c.to_B, pts, 16);
	opus_pt = sdp_pt(c.to_B, "opus/48000");
	assert_true(opus_pt >= 96);
	/* exactly Opus and events at its clock: A's 8000 events have no codec left there */
	assert_int_equal(n, 2);
	assert_int_equal(pts[0], opus_pt);
	assert_int_equal(pts[1], sdp_pt(c.to_B, "telephone-event/48000"));
	assert_int_equal(sdp_pt(c.to_B, "telephone-event/8000"), -1);
	assert_int_equal(fmt_index(pts, n, 0), -1);
	assert_int_equal(sdp_pt(c.to_B, "PCMU"), -1);
	assert_true(sdp_pt(c.to_B, "telephone-event/48000") >= 96);
	call_close(&c, false);

	/* ptime / ptime-reverse: a=ptime:40 towards B, and towards A in the answer. */
	call_open(&c, false);
	expect_result(call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"PCMA\"]},\"ptime\":40,"
				 "\"ptime-reverse\":40"),
		      "ok");
	assert_non_null(strstr(c.to_B, "a=ptime:40"));
	expect_result(call_answer(&c, "8", "a=rtpmap:8 PCMA/8000\\r\\n"), "ok");
	assert_non_null(strstr(c.to_A, "a=ptime:40"));
	call_close(&c, false);

	/* An unknown codec name: ignored, with a warning. */
	call_open(&c, false);
	r = call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
		       ",\"codec\":{\"transcode\":[\"NOSUCHCODEC\",\"PCMA\"]}");
	expect_result(r, "ok");
	assert_null(strcasestr(c.to_B, "NOSUCHCODEC"));
	assert_int_equal(sdp_pt(c.to_B, "PCMA/8000"), 8);
	why = bn_dict_get_str(r, "warning");
	if (!why || !strcasestr(why, "NOSUCHCODEC"))
		fail_msg("no warning naming NOSUCHCODEC (warning: %s)", why ? why : "none");
	call_close(&c, false);

	/* The answer picks a payload type B was not offered: an error naming the codec. */
	call_open(&c, false);
	expect_result(call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"PCMA\"]}"),
		      "ok");
	r = call_answer(&c, "120", "a=rtpmap:120 opus/48000/2\\r\\n");
	expect_result(r, "error");
	why = bn_dict_get_str(r, "error-reason");
	if (!why || !strcasestr(why, "codec"))
		fail_msg("error-reason does not mention the codec: %s", why ? why : "none");
	assert_int_equal(daemon_alive(&c.d), 0);
	call_close(&c, true);
}

/* B picks a codec A offered: nothing is transcoded, RTP passes byte for byte. */
static void test_no_transcode_when_common(void **state)
{
	uint8_t pkt[PKT], buf[PKT];
	struct call c;
	size_t len;
	int n;

	call_open(&c, true);
	expect_result(call_offer(&c, "0 8", "a=rtpmap:0 PCMU/8000\\r\\na=rtpmap:8 PCMA/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"G722\"]}"),
		      "ok");
	expect_result(call_answer(&c, "8", "a=rtpmap:8 PCMA/8000\\r\\n"), "ok");
	for (uint16_t seq = 1; seq <= 5; seq++) {
		len = rtp_make(pkt, 8, seq, 0x1234, 160);
		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
		n = udp_recv(c.B.rtp, buf, sizeof(buf), 1000, NULL);
		assert_int_equal(n, (int)len);
		assert_memory_equal(buf, pkt, len);
		len = rtp_make(pkt, 8, seq, 0x5678, 160);
		assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, pkt, len), 0);
		n = udp_recv(c.A.rtp, buf, sizeof(buf), 1000, NULL);
		assert_int_equal(n, (int)len);
		assert_memory_equal(buf, pkt, len);
	}
	call_close(&c, true);
}

/* Sets up A (PCMU + events 101) -> B (opus + telephone-event/48000); returns B's PTs. */
static void opus_call(struct call *c, int *opus_pt, int *te48)
{
	char fmts[64], attrs[512];

	expect_result(call_offer(c, "0 101", "a=rtpmap:0 PCMU/8000\\r\\n" TE8,
				 ",\"codec\":{\"transcode\":[\"opus\"]}"),
		      "ok");
	*opus_pt = sdp_pt(c->to_B, "opus/48000");
	*te48 = sdp_pt(c->to_B, "telephone-event/48000");
	if (*opus_pt < 0 || *te48 < 0)
		fail_msg("offer to B lacks opus or telephone-event/48000: %s", c->to_B);
	snprintf(fmts, sizeof(fmts), "%d %d", *opus_pt, *te48);
	snprintf(attrs, sizeof(attrs),
		 "a=rtpmap:%d opus/48000/2\\r\\na=fmtp:%d useinbandfec=1\\r\\n"
		 "a=rtpmap:%d telephone-event/48000\\r\\na=fmtp:%d 0-16\\r\\n",
		 *opus_pt, *opus_pt, *te48, *te48);
	expect_result(call_answer(c, fmts, attrs), "ok");
}

static int dtmf_code(char d)
{
	return d == '*' ? 10 : d == '#' ? 11 : d - '0';
}

/* One RFC 4733 event of 100 ms (5 updates of 20 ms, the last one sent 3 times with the end
 * bit) at clock, starting at t->ts; the audio timeline then moves on by its duration. */
static int send_event(struct tx *t, int fd, uint16_t port, uint8_t pt, unsigned int clock,
		      char digit)
{
	unsigned int step = clock / 50;
	uint8_t pkt[16];
	int n = 0;

	for (int u = 1; u <= 5; u++)
		for (int rep = 0; rep < (u == 5 ? 3 : 1); rep++) {
			rtp_hdr(pkt, pt, u == 1, t->seq++, t->ts, t->ssrc);
			audio_event_payload(pkt + 12, (uint8_t)dtmf_code(digit), u == 5, 10,
					    (uint16_t)(u * step));
			assert_int_equal(udp_send(fd, LO, port, pkt, 16), 0);
			n++;
			sleep_ms(2);
		}
	t->ts += 5 * step;
	t->sample += 5 * t->k.c->rate / 50;
	return n;
}

/* The events in r on pt: each digit with its packets' durations (scaled by mul_num/mul_den against
 * what was sent) and exactly 3 end packets, all in the audio's stream (consecutive seq, one
 * SSRC), and its timestamp on the audio's timeline: a whole number of frames from the audio,
 * after the audio that arrived before it, before the audio that follows, and where the event
 * was sent (rel_in after the sender's first audio packet), give or take one frame of codec delay
 * before the first audio packet came out. */
static void check_events(const struct rx *r, uint8_t pt, uint8_t audio_pt, const char *digits,
			 unsigned int mul_num, unsigned int mul_den, unsigned int in_step,
			 const uint32_t *rel_in, const char *what)
{
	int d = 0, i = 0, first_audio = -1;

	for (int k = 0; k < r->n; k++)
		if (rx_pt(r, k) == audio_pt) {
			first_audio = k;
			break;
		}
	assert_true(first_audio >= 0);
	/* one stream: audio and events share consecutive seq numbers and the SSRC */
	for (int k = 1; k < r->n; k++) {
		if (get16(r->pkt[k] + 2) != (uint16_t)(get16(r->pkt[k - 1] + 2) + 1))
			fail_msg("%s: packet %d: seq %u after %u", what, k, get16(r->pkt[k] + 2),
				 get16(r->pkt[k - 1] + 2));
		assert_int_equal(get32(r->pkt[k] + 8), get32(r->pkt[0] + 8));
	}
	while (i < r->n && d < (int)strlen(digits)) {
		uint32_t ts, want_ts, frame = in_step * mul_num / mul_den, a_ts;
		int u = 0, ends = 0;

		for (; i < r->n && rx_pt(r, i) != pt; i++) {
			if (rx_pt(r, i) != audio_pt)
				fail_msg("%s: packet %d has PT %u", what, i, rx_pt(r, i));
		}
		if (i == r->n)
			break;
		ts = get32(r->pkt[i] + 4);
		want_ts = get32(r->pkt[first_audio] + 4) +
			  (uint32_t)((uint64_t)rel_in[d] * mul_num / mul_den);
		if ((ts - get32(r->pkt[first_audio] + 4)) % frame ||
		    ts - want_ts + frame > 2 * frame)
			fail_msg("%s: digit %c at timestamp %u, the audio's timeline puts it at %u",
				 what, digits[d], ts, want_ts);
		for (int k = i - 1; k >= 0; k--)
			if (rx_pt(r, k) == audio_pt) {
				a_ts = get32(r->pkt[k] + 4);
				if ((int32_t)(ts - a_ts) < (int32_t)frame)
					fail_msg("%s: digit %c at %u, audio before it at %u", what,
						 digits[d], ts, a_ts);
				break;
			}
		for (int k = i; k < r->n; k++)
			if (rx_pt(r, k) == audio_pt) {
				a_ts = get32(r->pkt[k] + 4);
				if ((int32_t)(a_ts - ts) < (int32_t)(5 * frame))
					fail_msg(
						"%s: digit %c at %u lasts %u, audio after it at %u",
						what, digits[d], ts, 5 * frame, a_ts);
				break;
			}
		for (; i < r->n && rx_pt(r, i) == pt && get32(r->pkt[i] + 4) == ts; i++) {
			const uint8_t *e = r->pkt[i] + 12;
			bool end = e[1] & 0x80;
			unsigned int want =
				(unsigned int)((u < 4 ? u + 1 : 5) * in_step) * mul_num / mul_den;

			assert_int_equal(r->len[i], 16);
			if (e[0] != dtmf_code(digits[d]))
				fail_msg("%s: event %u, sent digit %c", what, e[0], digits[d]);
			if (get16(e + 2) != want || end != (u >= 4))
				fail_msg("%s: digit %c packet %d: duration %u end %d, want %u end "
					 "%d",
					 what, digits[d], u, get16(e + 2), end, want, u >= 4);
			ends += end;
			u++;
		}
		if (u != 7 || ends != 3)
			fail_msg("%s: digit %c came as %d packets with %d ends (want 7, 3)", what,
				 digits[d], u, ends);
		d++;
	}
	if (d != (int)strlen(digits))
		fail_msg("%s: %d of %zu digits arrived", what, d, strlen(digits));
}

/* RFC 4733 events through PCMU (8000) <-> Opus (48000): the same digits, durations and
 * timestamps in the other clock, 3 end packets each, in the audio's stream. */
static void test_dtmf_events(void **state)
{
	const char *digits = "15#";
	struct rx *rb = calloc(1, sizeof(*rb)), *ra = calloc(1, sizeof(*ra));
	uint32_t rel[3], ts0, rel9[1];
	int opus_pt, te48, sent = 0;
	uint8_t pkt[PKT];
	struct call c;
	struct tx ta, tb;
	size_t len;

	assert_true(rb && ra);
	call_open(&c, true);
	opus_call(&c, &opus_pt, &te48);
	tx_init(&ta, &PCMU, 0, 0xa1a1a1a1, 1000);
	ts0 = ta.ts;
	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 5; i++) {
			len = tx_audio(&ta, pkt, 0);
			assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
			sent++;
			sleep_ms(2);
		}
		rel[d] = ta.ts - ts0;
		sent += send_event(&ta, c.A.rtp, c.relay_for_A, 101, 8000, digits[d]);
	}
	for (int i = 0; i < 5; i++) {
		len = tx_audio(&ta, pkt, 0);
		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
		sleep_ms(2);
	}
	rx_collect(rb, c.B.rtp, 400);
	print_message("    A sent %d packets, B got %d\n", sent + 5, rb->n);
	check_events(rb, (uint8_t)te48, (uint8_t)opus_pt, digits, 6, 1, 160, rel, "A->B events");

	/* and back: B's digit 9 at 48000 reaches A at 8000 */
	tx_init(&tb, &OPUS, (uint8_t)opus_pt, 0xb1b1b1b1, 400);
	ts0 = tb.ts;
	for (int i = 0; i < 5; i++) {
		len = tx_audio(&tb, pkt, 0);
		assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, pkt, len), 0);
		sleep_ms(2);
	}
	rel9[0] = tb.ts - ts0;
	send_event(&tb, c.B.rtp, c.relay_for_B, (uint8_t)te48, 48000, '9');
	for (int i = 0; i < 5; i++) {
		len = tx_audio(&tb, pkt, 0);
		assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, pkt, len), 0);
		sleep_ms(2);
	}
	rx_collect(ra, c.A.rtp, 400);
	check_events(ra, 101, 0, "9", 1, 6, 960, rel9, "B->A events");
	coder_free(&ta.k);
	coder_free(&tb.k);
	free(ra);
	free(rb);
	call_close(&c, true);
}

/* In-band DTMF: digit audio sent as PCMU arrives as Opus that still holds the digits. */
static void test_dtmf_inband(void **state)
{
	const char *digits = "15#";
	struct rx *rb = calloc(1, sizeof(*rb));
	int opus_pt, te48;
	char found[16] = "", last = 0;
	bool gap = false;
	size_t n = 0, nf = 0, win = 48000 / 25;
	int16_t *pcm = calloc(48000 * 4, sizeof(*pcm));
	uint8_t pkt[PKT];
	struct coder k;
	struct call c;
	struct tx ta;

	assert_true(rb && pcm);
	call_open(&c, true);
	opus_call(&c, &opus_pt, &te48);
	tx_init(&ta, &PCMU, 0, 0xa2a2a2a2, 0);
	/* per digit: 100 ms of silence, 120 ms of the digit; silence at the end */
	for (int d = 0; d <= 3; d++) {
		for (int i = 0; i < (d < 3 ? 11 : 5); i++) {
			size_t len = tx_audio(&ta, pkt, d < 3 && i >= 5 ? digits[d] : ' ');

			assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
			sleep_ms(2);
		}
	}
	rx_collect(rb, c.B.rtp, 400);
	assert_true(rb->n >= 30);
	coder_init(&k, &OPUS);
	for (int i = 0; i < rb->n; i++) {
		assert_int_equal(rx_pt(rb, i), opus_pt);
		n += (size_t)coder_decode(&k, rb->pkt[i] + 12, rb->len[i] - 12, pcm + n,
					  (int)(48000 * 4 - n));
	}
	coder_free(&k);
	/* 40 ms windows, 20 ms apart; a digit counts when two windows in a row agree, again only
	 * after a window without it */
	for (size_t off = 0; off + win <= n && nf < sizeof(found) - 1; off += win / 2) {
		char g = audio_dtmf_digit(pcm + off, win, 48000);

		if (g && g == last && (nf == 0 || found[nf - 1] != g || gap))
			found[nf++] = g, gap = false;
		if (!g)
			gap = true;
		last = g;
	}
	print_message("    digits found in B's Opus: \"%s\"\n", found);
	assert_string_equal(found, digits);
	coder_free(&ta.k);
	free(pcm);
	free(rb);
	call_close(&c, true);
}

/* 10 % of A's packets lost and neighbours swapped: B's stream stays one stream (consecutive
 * seq, timestamps never back), the tone is still there, the daemon still answers. */
static void test_loss_reorder(void **state)
{
	enum { N = 100 };
	static uint8_t sent[N][PKT];
	size_t sent_len[N], n = 0, skip = 48000 * SKIP_MS / 1000;
	struct rx *rb = calloc(1, sizeof(*rb));
	int16_t *pcm = calloc(48000 * 4, sizeof(*pcm));
	int opus_pt, te48, drops = 0;
	double f, share;
	struct coder k;
	struct call c;
	struct tx ta;
	struct bnode *r;

	assert_true(rb && pcm);
	call_open(&c, true);
	opus_call(&c, &opus_pt, &te48);
	tx_init(&ta, &PCMU, 0, 0xa3a3a3a3, 1000);
	for (int i = 0; i < N; i++)
		sent_len[i] = tx_audio(&ta, sent[i], 0);
	for (int i = 0; i < N; i++) {
		int j = i;

		if (i % 10 == 7) { /* lost */
			drops++;
			continue;
		}
		if (i % 10 == 3) /* 4 goes before 3 */
			j = i + 1;
		else if (i % 10 == 4)
			j = i - 1;
		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, sent[j], sent_len[j]), 0);
		sleep_ms(2);
	}
	rx_collect(rb, c.B.rtp, 400);
	print_message("    A sent %d of %d (neighbours swapped), B got %d\n", N - drops, N, rb->n);
	assert_true(rb->n >= N - 2 * drops - 2);
	assert_true(rb->n <= N);
	coder_init(&k, &OPUS);
	for (int i = 0; i < rb->n; i++) {
		const uint8_t *p = rb->pkt[i];

		assert_int_equal(rx_pt(rb, i), opus_pt);
		assert_int_equal(get32(p + 8), get32(rb->pkt[0] + 8));
		if (i && get16(p + 2) != (uint16_t)(get16(rb->pkt[i - 1] + 2) + 1))
			fail_msg("packet %d: seq %u after %u", i, get16(p + 2),
				 get16(rb->pkt[i - 1] + 2));
		if (i && (int32_t)(get32(p + 4) - get32(rb->pkt[i - 1] + 4)) <= 0)
			fail_msg("packet %d: timestamp %u after %u", i, get32(p + 4),
				 get32(rb->pkt[i - 1] + 4));
		if (i && (get32(p + 4) - get32(rb->pkt[i - 1] + 4)) % 960)
			fail_msg("packet %d: timestamp step %u is not whole 20 ms frames", i,
				 get32(p + 4) - get32(rb->pkt[i - 1] + 4));
		n += (size_t)coder_decode(&k, p + 12, rb->len[i] - 12, pcm + n,
					  (int)(48000 * 4 - n));
	}
	coder_free(&k);
	f = audio_peak_freq(pcm + skip, n - skip, 48000, 100, 3000);
	share = audio_tone_share(pcm + skip, n - skip, 48000, 1000);
	print_message("    %.1f Hz, tone share %.3f\n", f, share);
	assert_true(fabs(f - 1000) <= 3);
	assert_true(share > 0.8);
	r = ng(&c.d, c.a, "{\"command\":\"ping\"}");
	expect_result(r, "pong");
	coder_free(&ta.k);
	free(pcm);
	free(rb);
	call_close(&c, true);
}

/* "ptime": 40 and "ptime-reverse": 40: B receives PCMA in 40 ms packets (timestamps step
 * 320), A receives PCMU in 40 ms packets, from 20 ms input both ways. */
static void test_ptime(void **state)
{
	struct rx *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	struct expect e;
	struct call c;
	struct tx ta, tb;

	assert_true(ra && rb);
	call_open(&c, true);
	expect_result(call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"PCMA\"]},\"ptime\":40,"
				 "\"ptime-reverse\":40"),
		      "ok");
	assert_non_null(strstr(c.to_B, "a=ptime:40"));
	expect_result(call_answer(&c, "8", "a=rtpmap:8 PCMA/8000\\r\\n"), "ok");
	tx_init(&ta, &PCMU, 0, 0xa4a4a4a4, 1000);
	tx_init(&tb, &PCMA, 8, 0xb4b4b4b4, 400);
	exchange(&c, &ta, &tb, ra, rb, NULL, NULL);
	e = (struct expect){&PCMA, 8,  40, FRAMES / 2 - 1, FRAMES / 2, 1000, sent_dbfs(&PCMU, 1000),
			    2,	   0.9};
	check_audio(rb, &e, "PCMU 20 ms -> PCMA 40 ms at B");
	e = (struct expect){&PCMU, 0,  40, FRAMES / 2 - 1, FRAMES / 2, 400, sent_dbfs(&PCMA, 400),
			    2,	   0.9};
	check_audio(ra, &e, "PCMA 20 ms -> PCMU 40 ms at A");
	coder_free(&ta.k);
	coder_free(&tb.k);
	free(ra);
	free(rb);
	call_close(&c, true);
}

/* "always transcode": G.722 to G.722 is decoded and encoded again (G.722 does not survive
 * that byte for byte), as a stream of the relay's own, and the tone survives. */
static void test_always_transcode(void **state)
{
	static uint8_t sent[FRAMES][PKT];
	struct rx *rb = calloc(1, sizeof(*rb));
	struct expect e;
	struct call c;
	struct tx ta;
	int same = 0;

	assert_non_null(rb);
	call_open(&c, true);
	expect_result(call_offer(&c, "9", "a=rtpmap:9 G722/8000\\r\\n",
				 ",\"flags\":[\"always transcode\"]"),
		      "ok");
	expect_result(call_answer(&c, "9", "a=rtpmap:9 G722/8000\\r\\n"), "ok");
	tx_init(&ta, &G722, 9, 0xa5a5a5a5, 1000);
	for (int i = 0; i < FRAMES; i++) {
		size_t len = tx_audio(&ta, sent[i], 0);

		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, sent[i], len), 0);
		sleep_ms(2);
	}
	rx_collect(rb, c.B.rtp, 400);
	for (int i = 0; i < rb->n; i++)
		for (int j = 0; j < FRAMES; j++)
			if (!memcmp(rb->pkt[i] + 12, sent[j] + 12, 160))
				same++;
	print_message("    %d of %d payloads arrived unchanged\n", same, rb->n);
	assert_true(same < FRAMES / 4);
	assert_int_not_equal(get32(rb->pkt[0] + 8), ta.ssrc);
	e = (struct expect){&G722, 9, 20, FRAMES - 2, FRAMES, 1000, sent_dbfs(&G722, 1000), 2, 0.9};
	check_audio(rb, &e, "G722 -> G722 at B");
	coder_free(&ta.k);
	free(rb);
	call_close(&c, true);
}

/* A transcoded leg's RTCP is the relay's: what A sends about its own stream does not reach B,
 * and B gets the relay's SR for the stream it receives (its SSRC, packet and octet counts, the
 * RTP timestamp on the stream's clock) with a CNAME, a second after the media starts. */
static void test_rtcp_reports(void **state)
{
	struct rx *rb = calloc(1, sizeof(*rb));
	uint8_t pkt[PKT], rr[64];
	struct call c;
	struct tx ta;
	uint32_t gen_ssrc = 0, last_ts = 0, octets = 0, sr_ts;
	int n_sr = 0, len;

	assert_non_null(rb);
	call_open(&c, true);
	expect_result(call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"opus\"]}"),
		      "ok");
	expect_result(call_answer(&c, "96", "a=rtpmap:96 opus/48000/2\\r\\n"), "ok");
	tx_init(&ta, &PCMU, 0, 0xa6a6a6a6, 1000);
	/* 1.4 s of audio at its real pace, an RR from A in the middle */
	for (int i = 0; i < 70; i++) {
		size_t n = tx_audio(&ta, pkt, 0);

		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, n), 0);
		if (i == 20) {
			n = rtcp_make(rr, ta.ssrc);
			assert_int_equal(udp_send(c.A.rtcp, LO, c.relay_for_A + 1, rr, n), 0);
		}
		sleep_ms(20);
	}
	rx_collect(rb, c.B.rtp, 300);
	assert_true(rb->n >= 68);
	gen_ssrc = get32(rb->pkt[0] + 8);
	for (int i = 0; i < rb->n; i++) {
		octets += rb->len[i] - 12;
		last_ts = get32(rb->pkt[i] + 4);
	}
	/* RTCP at B: the relay's SRs only */
	while ((len = udp_recv(c.B.rtcp, pkt, sizeof(pkt), 300, NULL)) >= 0) {
		assert_true(len >= 28);
		assert_int_equal(pkt[0] >> 6, 2);
		if (pkt[1] != 200)
			fail_msg("B got RTCP type %u (A's own RR relayed?)", pkt[1]);
		assert_int_equal(get32(pkt + 4), gen_ssrc);
		assert_true(get32(pkt + 20) <= (uint32_t)rb->n);
		assert_true(get32(pkt + 24) <= octets);
		sr_ts = get32(pkt + 16);
		/* on the 48 kHz clock of the generated stream, not beyond what was sent + 1 s */
		assert_true((int32_t)(sr_ts - get32(rb->pkt[0] + 4)) > 0);
		assert_true((int32_t)(last_ts + 48000 - sr_ts) > 0);
		/* the SDES after the SR carries the CNAME */
		assert_true(len > 28 + 8 && pkt[28 + 1] == 202 && pkt[28 + 8] == 1);
		n_sr++;
	}
	if (n_sr != 1)
		fail_msg("B got %d SRs from the relay, expected 1 in 1.4 s", n_sr);
	coder_free(&ta.k);
	free(rb);
	call_close(&c, true);
}

/* A restarted xrelayd transcodes a call it restored from its state directory: PCMU from A
 * still reaches B as Opus, Opus from B still reaches A as PCMU. */
static void test_restart(void **state)
{
	char dir[] = "/tmp/xrelay-tc-state.XXXXXX", opt[64], rm[96];
	const char *args[] = {"--xdp=off", "--port-min=33000", "--port-max=33999", opt, NULL};
	struct rx *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	struct expect e;
	struct call c;
	struct tx ta, tb;

	assert_true(ra && rb);
	assert_non_null(mkdtemp(dir));
	snprintf(opt, sizeof(opt), "--state-dir=%s", dir);
	call_open(&c, false);
	daemon_start(&c.d, args);
	expect_result(call_offer(&c, "0", "a=rtpmap:0 PCMU/8000\\r\\n",
				 ",\"codec\":{\"transcode\":[\"opus\"]}"),
		      "ok");
	expect_result(call_answer(&c, "96", "a=rtpmap:96 opus/48000/2\\r\\n"), "ok");
	assert_int_equal(daemon_stop(&c.d), 0);
	daemon_start(&c.d, args);
	tx_init(&ta, &PCMU, 0, 0xa7a7a7a7, 1000);
	tx_init(&tb, &OPUS, 96, 0xb7b7b7b7, 400);
	exchange(&c, &ta, &tb, ra, rb, NULL, NULL);
	e = (struct expect){&OPUS, 96, 20, FRAMES - 2, FRAMES, 1000, sent_dbfs(&PCMU, 1000),
			    3,	   0.9};
	check_audio(rb, &e, "PCMU -> opus at B after the restart");
	e = (struct expect){&PCMU, 0, 20, FRAMES - 2, FRAMES, 400, sent_dbfs(&OPUS, 400), 3, 0.9};
	check_audio(ra, &e, "opus -> PCMU at A after the restart");
	coder_free(&ta.k);
	coder_free(&tb.k);
	free(ra);
	free(rb);
	call_close(&c, true);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
}

/* SRTP and transcoding on one leg: A speaks SRTP with PCMU, B plain RTP with PCMA. The relay
 * decrypts A's packets, translates them, and sends B plain PCMA; B's PCMA reaches A as PCMU,
 * encrypted with the key the relay gave A. Every byte is checked after decryption. */
static void test_srtp_transcode(void **state)
{
	struct sdes_crypto a_key, relay_key;
	struct srtpx *a_tx, *a_rx;
	char line[SDES_MAX_LINE_LEN], attrs[SDES_MAX_LINE_LEN + 64];
	const char *cr, *why = NULL;
	uint8_t pkt[PKT], got[PKT];
	unsigned int len;
	struct call c;
	int n;

	assert_int_equal(srtpx_init(), 0);
	call_open(&c, true);
	c.proto_A = "RTP/SAVP";
	assert_int_equal(sdes_generate(&a_key, &sdes_suites[SDES_AES_CM_128_HMAC_SHA1_80], 1), 0);
	assert_true(sdes_format(&a_key, line, sizeof(line)) > 0);
	snprintf(attrs, sizeof(attrs), "a=rtpmap:0 PCMU/8000\\r\\na=crypto:%s\\r\\n", line);
	expect_result(call_offer(&c, "0", attrs,
				 ",\"codec\":{\"transcode\":[\"PCMA\"]},"
				 "\"transport-protocol\":\"RTP/AVP\""),
		      "ok");
	assert_non_null(strstr(c.to_B, "RTP/AVP 0 8"));
	expect_result(call_answer(&c, "8", "a=rtpmap:8 PCMA/8000\\r\\n"), "ok");
	assert_non_null(strstr(c.to_A, "RTP/SAVP 0"));
	cr = strstr(c.to_A, "a=crypto:");
	assert_non_null(cr);
	cr += 9;
	if (sdes_parse(cr, strcspn(cr, "\r\n"), &relay_key, &why))
		fail_msg("answer's crypto line: %s", why);
	a_tx = srtpx_new(&a_key, SRTPX_ENCRYPT);
	a_rx = srtpx_new(&relay_key, SRTPX_DECRYPT);
	assert_true(a_tx && a_rx);
	for (int i = 0; i < 10; i++) {
		/* A -> B: SRTP PCMU in, plain PCMA out, header kept */
		rtp_hdr(pkt, 0, false, (uint16_t)(500 + i), 160u * (uint32_t)i, 0xa8a8a8a8);
		for (int k = 0; k < 160; k++)
			pkt[12 + k] = (uint8_t)(i * 160 + k);
		len = 172;
		assert_int_equal(srtpx_rtp(a_tx, pkt, &len, sizeof(pkt)), SRTPX_OK);
		assert_int_equal(udp_send(c.A.rtp, LO, c.relay_for_A, pkt, len), 0);
		n = udp_recv(c.B.rtp, got, sizeof(got), 1000, NULL);
		if (n != 172)
			fail_msg("A->B #%d: %d bytes arrived, want 172 in clear", i, n);
		assert_int_equal(got[1] & 0x7f, 8);
		assert_int_equal(get32(got + 8), 0xa8a8a8a8);
		for (int k = 0; k < 160; k++)
			assert_int_equal(got[12 + k], ulaw_to_alaw((uint8_t)(i * 160 + k)));
		/* B -> A: plain PCMA in, SRTP PCMU out */
		rtp_hdr(pkt, 8, false, (uint16_t)(900 + i), 160u * (uint32_t)i, 0xb8b8b8b8);
		for (int k = 0; k < 160; k++)
			pkt[12 + k] = (uint8_t)(i + k);
		assert_int_equal(udp_send(c.B.rtp, LO, c.relay_for_B, pkt, 172), 0);
		n = udp_recv(c.A.rtp, got, sizeof(got), 1000, NULL);
		assert_true(n > 172); /* the SRTP tag */
		len = (unsigned int)n;
		assert_int_equal(srtpx_rtp(a_rx, got, &len, sizeof(got)), SRTPX_OK);
		assert_int_equal(len, 172);
		assert_int_equal(got[1] & 0x7f, 0);
		for (int k = 0; k < 160; k++)
			assert_int_equal(got[12 + k], alaw_to_ulaw((uint8_t)(i + k)));
	}
	srtpx_free(a_tx);
	srtpx_free(a_rx);
	call_close(&c, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sdp, daemons_teardown),
		cmocka_unit_test_teardown(test_no_transcode_when_common, daemons_teardown),
#define PAIR(name, i) {name, test_pair, NULL, daemons_teardown, (void *)pairs[i]}
		PAIR("pcmu_pcma", 0),
		PAIR("pcmu_g722", 1),
		PAIR("pcmu_opus", 2),
		PAIR("pcma_g722", 3),
		PAIR("pcma_opus", 4),
		PAIR("g722_opus", 5),
#undef PAIR
		cmocka_unit_test_teardown(test_dtmf_events, daemons_teardown),
		cmocka_unit_test_teardown(test_dtmf_inband, daemons_teardown),
		cmocka_unit_test_teardown(test_loss_reorder, daemons_teardown),
		cmocka_unit_test_teardown(test_ptime, daemons_teardown),
		cmocka_unit_test_teardown(test_always_transcode, daemons_teardown),
		cmocka_unit_test_teardown(test_rtcp_reports, daemons_teardown),
		cmocka_unit_test_teardown(test_restart, daemons_teardown),
		cmocka_unit_test_teardown(test_srtp_transcode, daemons_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
