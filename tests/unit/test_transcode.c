// SPDX-License-Identifier: GPL-2.0-only
/* The RTP transcoder: every codec pair carrying a measured sine with exact output headers,
 * repacketization, the G.711 byte-for-byte mode, RFC 4733 translation, loss, reordering, long
 * gaps and malformed packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "transcode.h"

#define AMP_M10	 14654.0 /* peak of a sine at -10 dBFS RMS */
#define OUT_SSRC 0x11223344u
#define OUT_SEQ	 65000 /* wraps during the tests */
#define OUT_TS	 0xfffff000u
#define IN_SSRC	 0xa1b2c3d4u
#define IN_SEQ	 65530
#define IN_TS	 0xffffff00u

static uint8_t pt_of(enum codec_id id)
{
	return id == CODEC_OPUS ? 111 : (uint8_t)codec_get(id)->static_pt;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t rtp(uint8_t *p, bool m, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		  const uint8_t *pl, size_t len)
{
	p[0] = 0x80;
	p[1] = (uint8_t)((m ? 0x80 : 0) | pt);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	memcpy(p + 12, pl, len);
	return 12 + len;
}

/* The far end: a sine encoded into RTP, ms milliseconds a packet. */
struct sender {
	enum codec_id id;
	struct codec_enc *enc;
	uint16_t seq;
	uint32_t ts;
	size_t pos;
	double freq;
};

static void sender_init(struct sender *s, enum codec_id id, double freq)
{
	const char *err = NULL;

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->enc = codec_enc_new(id, 0, NULL, &err);
	assert_non_null(s->enc);
	s->seq = IN_SEQ;
	s->ts = IN_TS;
	s->freq = freq;
}

static size_t sender_next(struct sender *s, unsigned int ms, uint8_t *pkt)
{
	const struct codec_def *d = codec_get(s->id);
	size_t n = d->sample_rate * ms / 1000;
	int16_t pcm[5760];
	uint8_t pl[1500];
	int len;

	audio_sine(pcm, n, d->sample_rate, s->freq, AMP_M10, s->pos);
	len = codec_encode(s->enc, pcm, n, pl, sizeof(pl));
	assert_true(len > 0);
	s->pos += n;
	len = (int)rtp(pkt, false, pt_of(s->id), s->seq++, s->ts, IN_SSRC, pl, (size_t)len);
	s->ts += d->clock_rate * ms / 1000;
	return (size_t)len;
}

/* The near end: checks each output header against the generated stream and decodes it. */
struct receiver {
	enum codec_id id;
	struct codec_dec *dec;
	int16_t pcm[48000 * 2];
	size_t n;
	unsigned int count;
	uint32_t step; /* output ticks a packet */
};

static void receiver_init(struct receiver *r, enum codec_id id, unsigned int ptime)
{
	const char *err = NULL;

	r->id = id;
	r->dec = codec_dec_new(id, 0, &err);
	assert_non_null(r->dec);
	r->n = 0;
	r->count = 0;
	r->step = codec_get(id)->clock_rate * ptime / 1000;
}

/* One generated packet: V=2, no CSRC/extension, PT, seq + 1 each, timestamps a frame apart. */
static void receiver_take(struct receiver *r, const uint8_t *p, unsigned int len, uint8_t pt)
{
	int m;

	assert_true(len > 12 && len <= TC_PKT_MAX);
	assert_int_equal(p[0], 0x80);
	assert_int_equal(p[1] & 0x7f, pt);
	assert_int_equal(rd16(p + 2), (uint16_t)(OUT_SEQ + r->count));
	assert_int_equal(rd32(p + 4), (uint32_t)(OUT_TS + r->count * r->step));
	assert_int_equal(rd32(p + 8), OUT_SSRC);
	m = codec_decode(r->dec, p + 12, len - 12, r->pcm + r->n, sizeof(r->pcm) / 2 - r->n);
	assert_true(m > 0);
	r->n += (size_t)m;
	r->count++;
}

static void check_tone(const int16_t *pcm, size_t n, unsigned int sr, double freq, double db_tol,
		       const char *what)
{
	size_t skip = sr / 10;
	double f, lvl;

	assert_true(n > skip + sr / 2);
	f = audio_peak_freq(pcm + skip, n - skip, sr, 100, 3800);
	lvl = audio_rms_dbfs(pcm + skip, n - skip);
	if (fabs(f - freq) > 2 || fabs(lvl + 10) > db_tol)
		fail_msg("%s: %.1f Hz, %.2f dBFS", what, f, lvl);
}

static struct tc_params params(enum codec_id in, enum codec_id out, unsigned int ptime)
{
	struct tc_params p = {
		.n_in = 1,
		.in = {{.id = in, .pt = pt_of(in)}},
		.out = {.id = out, .pt = out == CODEC_OPUS ? 96 : pt_of(out), .ptime = ptime},
		.dtmf_in_pt = -1,
		.dtmf_out_pt = -1,
		.ssrc = OUT_SSRC,
		.seq = OUT_SEQ,
		.ts = OUT_TS,
	};
	return p;
}

static uint8_t outb[TC_MAX_OUT][TC_PKT_MAX];
static unsigned int outl[TC_MAX_OUT];

static void test_pairs(void **state)
{
	static const enum codec_id ids[] = {CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_OPUS};
	static struct receiver rx;

	for (int a = 0; a < 4; a++) {
		for (int b = 0; b < 4; b++) {
			bool opus = ids[a] == CODEC_OPUS || ids[b] == CODEC_OPUS;
			bool g711 = ids[a] <= CODEC_PCMA && ids[b] <= CODEC_PCMA;
			struct tc_params p = params(ids[a], ids[b], 0);
			const char *err = NULL;
			struct transcoder *t;
			struct sender s;
			char what[64];

			if (a == b)
				continue;
			t = transcoder_new(&p, &err);
			assert_non_null(t);
			sender_init(&s, ids[a], 1000);
			receiver_init(&rx, ids[b], 20);
			for (int i = 0; i < 50; i++) {
				uint8_t pkt[1500];
				size_t len = sender_next(&s, 20, pkt);
				int n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);

				assert_true(n >= 0 && n <= 2);
				for (int k = 0; k < n; k++) {
					if (!g711) {
						receiver_take(&rx, outb[k], outl[k], p.out.pt);
						continue;
					}
					/* Byte for byte: the input's header but for the PT. */
					assert_int_equal(outl[k], len);
					assert_int_equal(outb[k][1], p.out.pt);
					assert_memory_equal(outb[k] + 2, pkt + 2, 10);
					rx.n += (size_t)codec_decode(rx.dec, outb[k] + 12,
								     outl[k] - 12, rx.pcm + rx.n,
								     160);
					rx.count++;
				}
			}
			/* The resampler's rounding may leave the last frame short. */
			assert_true(rx.count >= 49 && rx.count <= 50);
			assert_int_equal(transcoder_stats(t)->decoded, 50);
			assert_int_equal(transcoder_stats(t)->encoded, rx.count);
			assert_int_equal(transcoder_stats(t)->errors, 0);
			snprintf(what, sizeof(what), "%s -> %s", codec_get(ids[a])->name,
				 codec_get(ids[b])->name);
			check_tone(rx.pcm, rx.n, codec_get(ids[b])->sample_rate, 1000,
				   opus ? 2.5 : 1.5, what);
			codec_enc_free(s.enc);
			codec_dec_free(rx.dec);
			transcoder_free(t);
		}
	}
}

/* 1 s in in_ms packets out as out_ms ones: counts, which input makes each output, timestamps. */
static void test_repacketize(void **state)
{
	static const struct {
		enum codec_id in, out;
		unsigned int in_ms, out_ms, outs;
		bool exact; /* no resampler between: each output due at a known input */
	} rows[] = {
		{CODEC_PCMU, CODEC_PCMA, 20, 30, 33, true},
		{CODEC_PCMU, CODEC_PCMA, 20, 40, 25, true},
		{CODEC_PCMU, CODEC_PCMA, 20, 60, 16, true},
		{CODEC_PCMA, CODEC_PCMU, 60, 20, 48, true},
		{CODEC_PCMU, CODEC_PCMU, 20, 10, 100, true},
		{CODEC_G722, CODEC_G722, 20, 60, 16, true},
		{CODEC_PCMU, CODEC_G722, 20, 40, 25, false},
		{CODEC_OPUS, CODEC_OPUS, 20, 60, 16, true},
		/* Opus runs at 8 kHz on the G.711 side: no resampler either. */
		{CODEC_PCMU, CODEC_OPUS, 20, 40, 25, true},
		{CODEC_OPUS, CODEC_PCMA, 60, 20, 48, true},
		{CODEC_OPUS, CODEC_G722, 20, 60, 16, true},
		{CODEC_G722, CODEC_OPUS, 20, 10, 100, true},
	};
	static struct receiver rx;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_params p = params(rows[i].in, rows[i].out, rows[i].out_ms);
		const char *err = NULL;
		struct transcoder *t;
		struct sender s;
		unsigned int total = 0, in_n = 1000 / rows[i].in_ms;

		if (rows[i].in == rows[i].out)
			p.out.pt = 100; /* same codec, another PT: still generated */
		t = transcoder_new(&p, &err);
		assert_non_null(t);
		sender_init(&s, rows[i].in, 400);
		receiver_init(&rx, rows[i].out, rows[i].out_ms);
		for (unsigned int k = 0; k < in_n; k++) {
			uint8_t pkt[1500];
			size_t len = sender_next(&s, rows[i].in_ms, pkt);
			int n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);

			if (rows[i].exact) {
				unsigned int due = (k + 1) * rows[i].in_ms / rows[i].out_ms;

				assert_int_equal(n, due - total);
			}
			for (int j = 0; j < n; j++)
				receiver_take(&rx, outb[j], outl[j], p.out.pt);
			total += (unsigned int)n;
		}
		if (rows[i].exact)
			assert_int_equal(total, rows[i].outs);
		else
			assert_true(total + 1 >= rows[i].outs && total <= rows[i].outs);
		check_tone(rx.pcm, rx.n, codec_get(rows[i].out)->sample_rate, 400, 2.5,
			   codec_get(rows[i].out)->name);
		codec_enc_free(s.enc);
		codec_dec_free(rx.dec);
		transcoder_free(t);
	}
	/* A ptime Opus cannot make in one frame is refused. */
	{
		struct tc_params p = params(CODEC_PCMU, CODEC_OPUS, 30);
		const char *err = NULL;

		assert_null(transcoder_new(&p, &err));
		assert_non_null(err);
	}
}

/* PCMU to Opus encodes at 8 kHz; the far end decodes at 48 kHz as it likes: the tone, clean,
 * on the 48000 clock (960 a packet), through a talkspurt of 2 s and a 1 s gap. */
static void test_narrowband_opus(void **state)
{
	static const double freqs[] = {1000, 400};

	for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		struct tc_params p = params(CODEC_PCMU, CODEC_OPUS, 0);
		const char *err = NULL;
		struct transcoder *t;
		static struct receiver rx;
		struct sender s;
		double f, lvl, share;
		size_t skip = 4800;

		p.out.opus.fec = true;
		t = transcoder_new(&p, &err);
		assert_non_null(t);
		sender_init(&s, CODEC_PCMU, freqs[i]);
		receiver_init(&rx, CODEC_OPUS, 20);
		for (int k = 0; k < 100; k++) {
			uint8_t pkt[1500];
			size_t len = sender_next(&s, 20, pkt);
			int n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);

			assert_int_equal(n, 1);
			receiver_take(&rx, outb[0], outl[0], p.out.pt);
		}
		assert_int_equal(rx.n, 96000);
		f = audio_peak_freq(rx.pcm + skip, rx.n - skip, 48000, 100, 3800);
		lvl = audio_rms_dbfs(rx.pcm + skip, rx.n - skip);
		share = audio_tone_share(rx.pcm + skip, rx.n - skip, 48000, freqs[i]);
		if (fabs(f - freqs[i]) > 2 || fabs(lvl + 10) > 2 || share < 0.9)
			fail_msg("%.0f Hz: %.1f Hz, %.2f dBFS, share %.3f", freqs[i], f, lvl,
				 share);
		/* 1 s of nothing, then on: 50 packets of 960 ticks later than the last + 1. */
		s.ts += 8000;
		{
			uint8_t pkt[1500];
			size_t len = sender_next(&s, 20, pkt);

			assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
			assert_int_equal(rd32(outb[0] + 4), OUT_TS + 150 * 960);
		}
		assert_int_equal(transcoder_stats(t)->errors, 0);
		codec_enc_free(s.enc);
		codec_dec_free(rx.dec);
		transcoder_free(t);
	}
}

static void test_transparent(void **state)
{
	struct tc_params p = params(CODEC_PCMU, CODEC_PCMA, 0);
	const char *err = NULL;
	struct transcoder *t;
	uint8_t pl[160], pkt[300];
	size_t len;

	p.dtmf_in_pt = 101;
	p.dtmf_out_pt = 100;
	p.dtmf_in_clock = p.dtmf_out_clock = 8000;
	t = transcoder_new(&p, &err);
	assert_non_null(t);
	for (int i = 0; i < 160; i++)
		pl[i] = (uint8_t)(i * 37 + 5);
	len = rtp(pkt, true, 0, 7, 0x01020304, IN_SSRC, pl, 160);
	assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
	assert_int_equal(outl[0], 172);
	assert_int_equal(outb[0][0], 0x80);
	assert_int_equal(outb[0][1], 0x80 | 8);
	assert_memory_equal(outb[0] + 2, pkt + 2, 10);
	for (int i = 0; i < 160; i++)
		assert_int_equal(outb[0][12 + i], codec_ulaw_to_alaw(pl[i]));

	/* CSRCs, an extension and padding are taken off; the payload still maps byte for byte. */
	pkt[0] = 0x80 | 0x20 | 0x10 | 1; /* P, X, CC=1 */
	pkt[1] = 0;
	memcpy(pkt + 12,
	       "\x01\x02\x03\x04"
	       "\xbe\xde\x00\x01"
	       "\xaa\xbb\xcc\xdd",
	       12);
	memcpy(pkt + 24, pl, 160);
	memcpy(pkt + 184, "\x00\x00\x03", 3);
	len = 187;
	assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
	assert_int_equal(outl[0], 172);
	assert_int_equal(outb[0][1], 8);
	for (int i = 0; i < 160; i++)
		assert_int_equal(outb[0][12 + i], codec_ulaw_to_alaw(pl[i]));

	/* Events keep seq/ts/SSRC; PT changed. */
	audio_event_payload(pl, 5, 0, 10, 480);
	len = rtp(pkt, true, 101, 9, 0x01020444, IN_SSRC, pl, 4);
	assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
	assert_int_equal(outl[0], 16);
	assert_int_equal(outb[0][1], 0x80 | 100);
	assert_memory_equal(outb[0] + 2, pkt + 2, 10);
	assert_memory_equal(outb[0] + 12, pl, 4);
	transcoder_free(t);

	/* The other direction, and out.ptime equal to the input's also translates. */
	p = params(CODEC_PCMA, CODEC_PCMU, 20);
	t = transcoder_new(&p, &err);
	for (int i = 0; i < 160; i++)
		pl[i] = (uint8_t)(255 - i);
	len = rtp(pkt, false, 8, 7, 99, IN_SSRC, pl, 160);
	assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
	assert_memory_equal(outb[0] + 2, pkt + 2, 10);
	for (int i = 0; i < 160; i++)
		assert_int_equal(outb[0][12 + i], codec_alaw_to_ulaw(pl[i]));
	transcoder_free(t);
}

static void test_dtmf(void **state)
{
	struct tc_params p = params(CODEC_PCMU, CODEC_OPUS, 0);
	const char *err = NULL;
	struct transcoder *t;
	struct sender s;
	unsigned int outs = 0, events = 0, ends = 0;
	uint32_t ev_ts = 0;

	p.dtmf_in_pt = 101;
	p.dtmf_in_clock = 8000;
	p.dtmf_out_pt = 110;
	p.dtmf_out_clock = 48000;
	t = transcoder_new(&p, &err);
	assert_non_null(t);
	sender_init(&s, CODEC_PCMU, 1000);
	for (int i = 0; i < 30; i++) {
		uint8_t pkt[1500], pl[8];
		size_t len;
		int n;

		if (i < 10 || i >= 20) {
			len = sender_next(&s, 20, pkt);
		} else {
			/* An event of 7 packets then its end sent 3 times, all at its start ts. */
			bool end = i >= 17;
			uint16_t dur = (uint16_t)(end ? 1280 : 160 * (i - 9));

			if (i == 10)
				ev_ts = s.ts;
			audio_event_payload(pl, 7, end, 10, dur);
			len = rtp(pkt, i == 10, 101, s.seq++, ev_ts, IN_SSRC, pl, 4);
			if (end)
				s.ts = ev_ts + 1280;
			else
				s.ts += 160;
			s.pos += 160;
		}
		n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);
		for (int k = 0; k < n; k++) {
			assert_int_equal(rd16(outb[k] + 2), (uint16_t)(OUT_SEQ + outs));
			assert_int_equal(rd32(outb[k] + 8), OUT_SSRC);
			outs++;
			if ((outb[k][1] & 0x7f) != 110)
				continue;
			assert_int_equal(outl[k], 16);
			assert_int_equal(outb[k][1] >> 7, i == 10);
			assert_int_equal(rd32(outb[k] + 4), OUT_TS + (ev_ts - IN_TS) * 6);
			assert_int_equal(outb[k][12], 7);
			assert_int_equal(outb[k][13] & 0x3f, 10);
			assert_int_equal(rd16(outb[k] + 14), 6 * (i >= 17 ? 1280 : 160 * (i - 9)));
			ends += outb[k][13] >> 7;
			events++;
		}
	}
	assert_int_equal(events, 10);
	assert_int_equal(ends, 3);
	assert_int_equal(ev_ts - IN_TS, 1600);

	/* Two events in one packet, both durations scaled, one saturating. */
	{
		uint8_t pkt[64], pl[8];
		size_t len;

		audio_event_payload(pl, 1, 1, 10, 100);
		audio_event_payload(pl + 4, 2, 0, 10, 12000);
		len = rtp(pkt, false, 101, s.seq++, s.ts, IN_SSRC, pl, 8);
		assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 1);
		assert_int_equal(outl[0], 20);
		assert_int_equal(rd16(outb[0] + 14), 600);
		assert_int_equal(rd16(outb[0] + 18), 0xffff);
		/* Not a whole number of events. */
		len = rtp(pkt, false, 101, s.seq++, s.ts, IN_SSRC, pl, 6);
		assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 0);
		assert_int_equal(transcoder_stats(t)->errors, 1);
	}
	codec_enc_free(s.enc);
	transcoder_free(t);

	/* No event PT on the output: events dropped quietly. */
	p.dtmf_out_pt = -1;
	t = transcoder_new(&p, &err);
	{
		uint8_t pkt[64], pl[4];
		size_t len;

		audio_event_payload(pl, 1, 0, 10, 160);
		len = rtp(pkt, true, 101, 1, 0, IN_SSRC, pl, 4);
		assert_int_equal(transcoder_rtp(t, pkt, (unsigned int)len, outb, outl), 0);
		assert_int_equal(transcoder_stats(t)->errors, 0);
	}
	transcoder_free(t);
}

/* Every 5th packet lost: each concealed, the output timeline unbroken and the tone intact. */
static void test_loss(void **state)
{
	static const enum codec_id rows[][2] = {
		{CODEC_G722, CODEC_PCMU},
		{CODEC_OPUS, CODEC_PCMA},
		{CODEC_PCMU, CODEC_OPUS},
	};
	static struct receiver rx;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_params p = params(rows[i][0], rows[i][1], 0);
		const char *err = NULL;
		struct transcoder *t = transcoder_new(&p, &err);
		struct sender s;

		assert_non_null(t);
		sender_init(&s, rows[i][0], 1000);
		receiver_init(&rx, rows[i][1], 20);
		for (int k = 0; k < 50; k++) {
			uint8_t pkt[1500];
			size_t len = sender_next(&s, 20, pkt);
			int n;

			if (k % 5 == 4)
				continue;
			n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);
			for (int j = 0; j < n; j++)
				receiver_take(&rx, outb[j], outl[j], p.out.pt);
		}
		/* The 10th loss is the last packet: nothing followed to reveal it. */
		assert_int_equal(transcoder_stats(t)->concealed, 9);
		assert_int_equal(transcoder_stats(t)->decoded, 40);
		assert_int_equal(transcoder_stats(t)->late, 0);
		assert_true(rx.count >= 48 && rx.count <= 49);
		/* Opus conceals well; the others fade their repeat, but the tone stays. */
		{
			const struct codec_def *d = codec_get(rows[i][1]);
			size_t skip = d->sample_rate / 10;
			double f = audio_peak_freq(rx.pcm + skip, rx.n - skip, d->sample_rate, 100,
						   3800);

			assert_true(fabs(f - 1000) <= 2);
		}
		codec_enc_free(s.enc);
		codec_dec_free(rx.dec);
		transcoder_free(t);
	}
}

static void test_reorder(void **state)
{
	struct tc_params p = params(CODEC_PCMU, CODEC_G722, 0);
	const char *err = NULL;
	struct transcoder *t = transcoder_new(&p, &err);
	static struct receiver rx;
	static uint8_t pkts[50][1500];
	size_t lens[50];
	struct sender s;

	sender_init(&s, CODEC_PCMU, 1000);
	receiver_init(&rx, CODEC_G722, 20);
	for (int k = 0; k < 50; k++)
		lens[k] = sender_next(&s, 20, pkts[k]);
	for (int k = 0; k < 50; k++) {
		int q = k ^ 1; /* 1 0 3 2 5 4 ... */
		int n = transcoder_rtp(t, pkts[q], (unsigned int)lens[q], outb, outl);

		for (int j = 0; j < n; j++)
			receiver_take(&rx, outb[j], outl[j], p.out.pt);
	}
	/* 1 starts; 0 is late; 3 reveals the loss of 2 (concealed), then 2 is late; and so on. */
	assert_int_equal(transcoder_stats(t)->late, 25);
	assert_int_equal(transcoder_stats(t)->concealed, 24);
	assert_int_equal(transcoder_stats(t)->decoded, 25);
	assert_int_equal(transcoder_stats(t)->errors, 0);
	assert_int_equal(rx.count, 49);
	codec_enc_free(s.enc);
	codec_dec_free(rx.dec);
	transcoder_free(t);
}

/* 1 s of nothing (lost, or not sent with seq going on): the output starts again where the input
 * does, mapped; nothing concealed. */
static void test_gap(void **state)
{
	static const struct {
		enum codec_id in, out;
		bool seq_jump;
	} rows[] = {
		{CODEC_PCMU, CODEC_G722, true},
		{CODEC_PCMU, CODEC_G722, false},
		{CODEC_OPUS, CODEC_PCMU, true},
		{CODEC_G722, CODEC_OPUS, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_params p = params(rows[i].in, rows[i].out, 0);
		const char *err = NULL;
		struct transcoder *t = transcoder_new(&p, &err);
		const struct codec_def *din = codec_get(rows[i].in), *dout = codec_get(rows[i].out);
		uint32_t step = dout->clock_rate / 50, last_ts = 0, first_after = 0;
		unsigned int before = 0;
		struct sender s;

		sender_init(&s, rows[i].in, 1000);
		for (int k = 0; k < 20; k++) {
			uint8_t pkt[1500];
			size_t len;
			int n;

			if (k == 10) {
				s.ts += din->clock_rate; /* 1 s */
				if (rows[i].seq_jump)
					s.seq += 50;
			}
			len = sender_next(&s, 20, pkt);
			n = transcoder_rtp(t, pkt, (unsigned int)len, outb, outl);
			for (int j = 0; j < n; j++) {
				uint32_t ts = rd32(outb[j] + 4);

				if (k < 10) {
					assert_int_equal(ts, OUT_TS + before * step);
					before++;
				} else if (!first_after) {
					first_after = ts;
				} else {
					assert_int_equal(ts, last_ts + step);
				}
				last_ts = ts;
			}
		}
		/* Packet 10 went in at 1 s + 200 ms of input time. */
		assert_int_equal(first_after, OUT_TS + 60 * step);
		assert_int_equal(transcoder_stats(t)->concealed, 0);
		assert_int_equal(transcoder_stats(t)->decoded, 20);
		codec_enc_free(s.enc);
		transcoder_free(t);
	}
}

static void test_garbage(void **state)
{
	struct tc_params p = params(CODEC_OPUS, CODEC_PCMU, 0);
	const char *err = NULL;
	struct transcoder *t = transcoder_new(&p, &err);
	static const struct {
		const char *what;
		uint8_t pkt[40];
		unsigned int len;
	} rows[] = {
		{"empty", {0}, 0},
		{"short", {0x80, 111}, 11},
		{"version 1", {0x40, 111}, 20},
		{"version 0", {0x00, 111}, 20},
		{"CSRC count past end", {0x8f, 111}, 40},
		{"extension header past end", {0x90, 111, [12] = 0xbe, [13] = 0xde}, 14},
		{"extension length past end", {0x90, 111, [12] = 0xbe, [13] = 0xde, [15] = 9}, 40},
		{"padding longer than payload", {0xa0, 111, [19] = 9}, 20},
		{"padding of 0", {0xa0, 111, [19] = 0}, 20},
		{"unknown PT", {0x80, 99, [12] = 1}, 20},
		{"empty payload", {0x80, 111}, 12},
		{"opus code 3 without frames", {0x80, 111, [3] = 1, [12] = 0x03, [13] = 0x00}, 14},
	};
	uint8_t cn[13] = {0x80, 13, 0, 2};

	assert_non_null(t);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (transcoder_rtp(t, rows[i].pkt, rows[i].len, outb, outl) != 0)
			fail_msg("%s made output", rows[i].what);
		if (transcoder_stats(t)->errors != i + 1)
			fail_msg("%s not counted", rows[i].what);
	}
	/* Comfort noise is dropped, not an error. */
	assert_int_equal(transcoder_rtp(t, cn, sizeof(cn), outb, outl), 0);
	assert_int_equal(transcoder_stats(t)->errors, sizeof(rows) / sizeof(rows[0]));
	assert_int_equal(transcoder_stats(t)->decoded, 0);
	transcoder_free(t);

	/* Parameters that cannot work are refused with a reason. */
	p = params(CODEC_CN, CODEC_PCMU, 0);
	p.in[0].id = CODEC_MAX;
	assert_null(transcoder_new(&p, &err));
	p = params(CODEC_PCMU, CODEC_TELEPHONE_EVENT, 0);
	assert_null(transcoder_new(&p, &err));
	p = params(CODEC_PCMU, CODEC_PCMA, 500);
	assert_null(transcoder_new(&p, &err));
	p = params(CODEC_PCMU, CODEC_PCMA, 0);
	p.dtmf_in_pt = 101;
	assert_null(transcoder_new(&p, &err)); /* no clock */
}

static void test_same(void **state)
{
	struct tc_params p = params(CODEC_PCMU, CODEC_OPUS, 0), q;

	q = p;
	q.seq = 1;
	q.ts = 2;
	assert_true(tc_params_same(&p, &q));
	q = p;
	q.out.opus.fec = true;
	assert_false(tc_params_same(&p, &q));
	q = p;
	q.out.ptime = 40;
	assert_false(tc_params_same(&p, &q));
	q = p;
	q.in[0].pt = 8;
	assert_false(tc_params_same(&p, &q));
	q = p;
	q.dtmf_out_pt = 101;
	q.dtmf_out_clock = 48000;
	assert_false(tc_params_same(&p, &q));
	q = p;
	q.ssrc++;
	assert_true(tc_params_same(&p, &q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),	    cmocka_unit_test(test_repacketize),
		cmocka_unit_test(test_transparent), cmocka_unit_test(test_dtmf),
		cmocka_unit_test(test_loss),	    cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_gap),	    cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_same),	    cmocka_unit_test(test_narrowband_opus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
