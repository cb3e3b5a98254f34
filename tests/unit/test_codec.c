// SPDX-License-Identifier: GPL-2.0-only
/* Codec layer: the codec table, G.711 against a G.711 segment coder written here from the
 * standard, each codec's round trip of a sine measured (frequency, level, purity), Opus at each
 * PCM rate, resampling, Opus FEC/DTX/fmtp, and bad input and rates refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "codec.h"

#define AMP_M10 14654.0 /* peak of a sine at -10 dBFS RMS */

/* G.711 u-law (ITU-T G.711 table 2a) on the 14-bit magnitude: a bias of 33 moves the chord
 * boundaries to powers of two, the chord is the top bit, the step the next four, and the code
 * is inverted. The 14-bit magnitude is |x| / 4 (sign-magnitude, as spandsp and the Sun coder
 * take it; G.191 takes ~x for negatives, one code apart on a few boundaries). */
static uint8_t ref_lin2ulaw(int16_t x)
{
	int mag = (x < 0 ? -(int)x : x) >> 2, seg = 0;
	uint8_t sign = x < 0 ? 0x80 : 0;

	mag += 33;
	if (mag > 0x1fff)
		mag = 0x1fff;
	while (mag >= (64 << seg))
		seg++;
	return (uint8_t) ~(sign | seg << 4 | ((mag >> (seg + 1)) & 0x0f));
}

/* The decision value in the middle of the code's interval, scaled back to 16 bits. */
static int ref_ulaw2lin(uint8_t c)
{
	uint8_t t = (uint8_t)~c;
	int seg = (t >> 4) & 7, mant = t & 0x0f;
	int mag = ((2 * mant + 33) << seg) - 33;

	return 4 * (t & 0x80 ? -mag : mag);
}

/* A-law (table 1a) on the 12-bit magnitude (~x for negatives, one's complement as in G.191):
 * chords 0 and 1 share the step, the even bits are inverted. */
static uint8_t ref_lin2alaw(int16_t x)
{
	int mag = (x < 0 ? ~x : x) >> 3, seg = 0;
	uint8_t sign = x < 0 ? 0 : 0x80;

	if (mag >= 32) {
		seg = 1;
		while (seg < 7 && mag >= (32 << seg))
			seg++;
	}
	return (uint8_t)((sign | seg << 4 | ((mag >> (seg ? seg : 1)) & 0x0f)) ^ 0x55);
}

static int ref_alaw2lin(uint8_t c)
{
	uint8_t t = c ^ 0x55;
	int seg = (t >> 4) & 7, mant = t & 0x0f;
	int mag = seg ? (2 * mant + 33) << (seg - 1) : 2 * mant + 1;

	return 8 * (t & 0x80 ? mag : -mag);
}

/* Quantizer step around code c, 16-bit units. */
static int ulaw_step(uint8_t c)
{
	return 8 << (((uint8_t)~c >> 4) & 7);
}

static int alaw_step(uint8_t c)
{
	int seg = ((c ^ 0x55) >> 4) & 7;

	return 16 << (seg ? seg - 1 : 0);
}

static void test_find(void **state)
{
	static const struct {
		const char *name;
		unsigned int rate, ch;
		enum codec_id id;
	} rows[] = {
		{"PCMU", 8000, 1, CODEC_PCMU},
		{"pcmu", 8000, 0, CODEC_PCMU},
		{"PCMA", 8000, 1, CODEC_PCMA},
		{"PCMA", 16000, 1, CODEC_NONE},
		{"G722", 8000, 1, CODEC_G722},
		{"g722", 16000, 1, CODEC_NONE},
		{"opus", 48000, 2, CODEC_OPUS},
		{"OPUS", 48000, 1, CODEC_OPUS},
		{"opus", 48000, 0, CODEC_OPUS},
		{"opus", 48000, 3, CODEC_NONE},
		{"opus", 16000, 2, CODEC_NONE},
		{"telephone-event", 8000, 0, CODEC_TELEPHONE_EVENT},
		{"Telephone-Event", 16000, 1, CODEC_TELEPHONE_EVENT},
		{"telephone-event", 48000, 0, CODEC_TELEPHONE_EVENT},
		{"telephone-event", 44100, 0, CODEC_NONE},
		{"CN", 8000, 1, CODEC_CN},
		{"PCM", 8000, 1, CODEC_NONE},
		{"PCMUX", 8000, 1, CODEC_NONE},
		{"G729", 8000, 1, CODEC_NONE},
		{"", 8000, 1, CODEC_NONE},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct codec_def *d =
			codec_find(rows[i].name, strlen(rows[i].name), rows[i].rate, rows[i].ch);

		if (rows[i].id == CODEC_NONE) {
			assert_null(d);
			continue;
		}
		assert_non_null(d);
		assert_int_equal(d->id, rows[i].id);
		assert_ptr_equal(d, codec_get(rows[i].id));
	}
	/* The name is taken by length, not up to a NUL. */
	assert_int_equal(codec_find("PCMUxyz", 4, 8000, 1)->id, CODEC_PCMU);
	assert_null(codec_get(CODEC_NONE));
	assert_null(codec_get(CODEC_MAX));
}

static void test_defs(void **state)
{
	static const struct {
		enum codec_id id;
		unsigned int clock, sample, ch;
		int pt;
		bool tc;
	} rows[] = {
		{CODEC_PCMU, 8000, 8000, 1, 0, true},
		{CODEC_PCMA, 8000, 8000, 1, 8, true},
		{CODEC_G722, 8000, 16000, 1, 9, true},
		{CODEC_OPUS, 48000, 48000, 2, -1, true},
		{CODEC_TELEPHONE_EVENT, 8000, 8000, 1, -1, false},
		{CODEC_CN, 8000, 8000, 1, 13, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct codec_def *d = codec_get(rows[i].id);

		assert_non_null(d);
		assert_int_equal(d->clock_rate, rows[i].clock);
		assert_int_equal(d->sample_rate, rows[i].sample);
		assert_int_equal(d->channels, rows[i].ch);
		assert_int_equal(d->static_pt, rows[i].pt);
		assert_int_equal(d->transcodable, rows[i].tc);
		assert_int_equal(d->default_ptime, 20);
	}
	assert_non_null(strstr(codec_get(CODEC_OPUS)->fmtp, "useinbandfec=1"));
	assert_string_equal(codec_get(CODEC_TELEPHONE_EVENT)->fmtp, "0-16");
}

static void test_g711_tables(void **state)
{
	const char *err = NULL;
	struct codec_dec *du = codec_dec_new(CODEC_PCMU, 0, &err),
			 *da = codec_dec_new(CODEC_PCMA, 0, &err);
	struct codec_enc *eu = codec_enc_new(CODEC_PCMU, 0, NULL, &err);
	struct codec_enc *ea = codec_enc_new(CODEC_PCMA, 0, NULL, &err);
	int u_not_identity = 0;

	assert_non_null(du);
	assert_non_null(da);
	assert_non_null(eu);
	assert_non_null(ea);
	/* Every code decodes to the standard's value, and that value encodes back to the code
	 * (but u-law's negative zero 0x7f, which is +0's 0xff). */
	for (int c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c, back;
		int16_t lin;

		assert_int_equal(codec_decode(du, &b, 1, &lin, 1), 1);
		assert_int_equal(lin, ref_ulaw2lin(b));
		assert_int_equal(ref_lin2ulaw(lin), c == 0x7f ? 0xff : c);
		assert_int_equal(codec_encode(eu, &lin, 1, &back, 1), 1);
		assert_int_equal(back, c == 0x7f ? 0xff : c);

		assert_int_equal(codec_decode(da, &b, 1, &lin, 1), 1);
		assert_int_equal(lin, ref_alaw2lin(b));
		assert_int_equal(ref_lin2alaw(lin), c);
		assert_int_equal(codec_encode(ea, &lin, 1, &back, 1), 1);
		assert_int_equal(back, c);
	}
	/* The encoders agree with the reference on every 16-bit input. */
	for (int x = -32768; x <= 32767; x++) {
		int16_t s = (int16_t)x;
		uint8_t u, a;

		assert_int_equal(codec_encode(eu, &s, 1, &u, 1), 1);
		assert_int_equal(codec_encode(ea, &s, 1, &a, 1), 1);
		if (u != ref_lin2ulaw(s) || a != ref_lin2alaw(s))
			fail_msg("linear %d: u %02x/%02x a %02x/%02x", x, u, ref_lin2ulaw(s), a,
				 ref_lin2alaw(s));
	}
	/* Translation: each code lands within one step of the other law's value; u->A->u is the
	 * identity but for the 16 smallest odd u-law magnitudes, which A-law cannot tell apart,
	 * and those land on the neighbouring code. */
	for (int c = 0; c < 256; c++) {
		uint8_t a = codec_ulaw_to_alaw((uint8_t)c), u = codec_alaw_to_ulaw((uint8_t)c);
		uint8_t uau = codec_alaw_to_ulaw(a);

		assert_true(abs(ref_alaw2lin(a) - ref_ulaw2lin((uint8_t)c)) <= alaw_step(a));
		assert_true(abs(ref_ulaw2lin(u) - ref_alaw2lin((uint8_t)c)) <= ulaw_step(u));
		if (uau != c) {
			u_not_identity++;
			assert_true(abs(ref_ulaw2lin((uint8_t)c)) < 128);
			assert_int_equal(abs(uau - c), 1);
		}
	}
	assert_int_equal(u_not_identity, 16);
	codec_dec_free(du);
	codec_dec_free(da);
	codec_enc_free(eu);
	codec_enc_free(ea);
}

/* 1 s of a -10 dBFS sine at freq through encoder and decoder in 20 ms frames, both at PCM rate
 * rate (0: the codec's); returns the decoded samples (at that rate) in *pcm. */
static size_t round_trip(enum codec_id id, unsigned int rate, const struct codec_opus_opts *o,
			 double freq, int16_t **pcm)
{
	const struct codec_def *d = codec_get(id);
	unsigned int sr = rate ? rate : d->sample_rate, frame = sr / 50;
	const char *err = NULL;
	struct codec_enc *e = codec_enc_new(id, rate, o, &err);
	struct codec_dec *dec = codec_dec_new(id, rate, &err);
	int16_t *in = malloc(sizeof(*in) * frame);
	size_t n = 0;

	assert_non_null(e);
	assert_non_null(dec);
	*pcm = malloc(sizeof(**pcm) * sr);
	for (unsigned int f = 0; f < 50; f++) {
		uint8_t pl[1500];
		int len, m;

		audio_sine(in, frame, sr, freq, AMP_M10, (size_t)f * frame);
		len = codec_encode(e, in, frame, pl, sizeof(pl));
		assert_true(len > 0);
		if (id == CODEC_PCMU || id == CODEC_PCMA)
			assert_int_equal(len, frame);
		if (id == CODEC_G722)
			assert_int_equal(len, sr == 8000 ? frame : frame / 2);
		m = codec_decode(dec, pl, (size_t)len, *pcm + n, sr - n);
		assert_int_equal(m, frame);
		n += (size_t)m;
	}
	free(in);
	codec_enc_free(e);
	codec_dec_free(dec);
	return n;
}

static void check_tone(const int16_t *pcm, size_t n, unsigned int sr, double freq, double db_tol,
		       double share)
{
	size_t skip = sr / 10; /* codec delay and start-up */
	double f = audio_peak_freq(pcm + skip, n - skip, sr, 100, 3800);
	double lvl = audio_rms_dbfs(pcm + skip, n - skip);
	double s = audio_tone_share(pcm + skip, n - skip, sr, freq);

	if (fabs(f - freq) > 2 || fabs(lvl + 10) > db_tol || s < share)
		fail_msg("%.0f Hz at %u: got %.1f Hz, %.2f dBFS, share %.3f", freq, sr, f, lvl, s);
}

/* G.722 at 8 kHz (the lower sub-band, what an 8 kHz source has): the tone survives; the
 * bytes decode as G.722 does at 16 kHz too (the same bitstream, upper band silent). */
static void test_g722_8k(void **state)
{
	static const double freqs[] = {1000, 400, 3000};

	for (size_t j = 0; j < 3; j++) {
		int16_t *pcm;
		size_t n = round_trip(CODEC_G722, 8000, NULL, freqs[j], &pcm);

		assert_int_equal(n, 8000);
		check_tone(pcm, n, 8000, freqs[j], 1, 0.9);
		free(pcm);
	}
}

static void test_sine_round_trip(void **state)
{
	static const struct {
		enum codec_id id;
		double db_tol;
	} rows[] = {
		{CODEC_PCMU, 1},
		{CODEC_PCMA, 1},
		{CODEC_G722, 1},
		{CODEC_OPUS, 2},
	};
	static const double freqs[] = {1000, 400};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (size_t j = 0; j < 2; j++) {
			int16_t *pcm;
			size_t n = round_trip(rows[i].id, 0, NULL, freqs[j], &pcm);

			assert_int_equal(n, codec_get(rows[i].id)->sample_rate);
			check_tone(pcm, n, codec_get(rows[i].id)->sample_rate, freqs[j],
				   rows[i].db_tol, 0.9);
			free(pcm);
		}
	}
}

/* Opus at the PCM rates the transcoder runs it at, with the relay's default options and with
 * FEC on (which sets a bitrate of its own below 24 kHz): the tone survives, 20 ms is rate / 50
 * samples. */
static void test_opus_rates(void **state)
{
	static const struct {
		unsigned int rate;
		double freq;
	} rows[] = {
		{8000, 1000}, {8000, 400}, {16000, 1000}, {16000, 400}, {48000, 1000},
	};
	struct codec_opus_opts fec = {.fec = true};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int f = 0; f < 2; f++) {
			int16_t *pcm;
			size_t n = round_trip(CODEC_OPUS, rows[i].rate, f ? &fec : NULL,
					      rows[i].freq, &pcm);

			assert_int_equal(n, rows[i].rate);
			check_tone(pcm, n, rows[i].rate, rows[i].freq, 2, 0.9);
			free(pcm);
		}
	}
}

/* A rate a codec cannot run at is refused with a reason; 0 and the codec's own are taken. */
static void test_rates_refused(void **state)
{
	static const struct {
		enum codec_id id;
		unsigned int rate;
		bool ok;
	} rows[] = {
		{CODEC_OPUS, 0, true},	    {CODEC_OPUS, 8000, true},	{CODEC_OPUS, 12000, true},
		{CODEC_OPUS, 16000, true},  {CODEC_OPUS, 24000, true},	{CODEC_OPUS, 48000, true},
		{CODEC_OPUS, 44100, false}, {CODEC_OPUS, 32000, false}, {CODEC_OPUS, 96000, false},
		{CODEC_OPUS, 1, false},	    {CODEC_PCMU, 8000, true},	{CODEC_PCMU, 16000, false},
		{CODEC_PCMA, 48000, false}, {CODEC_G722, 16000, true},	{CODEC_G722, 8000, true},
		{CODEC_G722, 48000, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *err = NULL;
		struct codec_dec *d = codec_dec_new(rows[i].id, rows[i].rate, &err);
		struct codec_enc *e;

		assert_int_equal(d != NULL, rows[i].ok);
		assert_int_equal(err != NULL, !rows[i].ok);
		err = NULL;
		e = codec_enc_new(rows[i].id, rows[i].rate, NULL, &err);
		assert_int_equal(e != NULL, rows[i].ok);
		assert_int_equal(err != NULL, !rows[i].ok);
		codec_dec_free(d);
		codec_enc_free(e);
	}
}

/* At 8 kHz every size follows the rate: frames of 2.5 ms are 20 samples, 120 ms is 960. */
static void test_opus_8k_sizes(void **state)
{
	const char *err = NULL;
	struct codec_enc *e = codec_enc_new(CODEC_OPUS, 8000, NULL, &err);
	struct codec_dec *d = codec_dec_new(CODEC_OPUS, 8000, &err),
			 *d48 = codec_dec_new(CODEC_OPUS, 0, &err);
	static const size_t good[] = {20, 40, 80, 160, 320, 480};
	static const size_t bad[] = {10, 30, 100, 120, 240, 960, 2880};
	int16_t pcm[5760] = {0};
	uint8_t out[1500];
	int len;

	assert_non_null(e);
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = codec_encode(e, pcm, good[i], out, sizeof(out));
		assert_true(len > 0);
		assert_int_equal(codec_decode(d, out, (size_t)len, pcm, 5760), good[i]);
		/* The same packet is 6 times the samples at 48 kHz: the wire has no PCM rate. */
		assert_int_equal(codec_decode(d48, out, (size_t)len, pcm, 5760), 6 * good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(codec_encode(e, pcm, bad[i], out, sizeof(out)), -EINVAL);
	len = codec_encode(e, pcm, 160, out, sizeof(out));
	assert_int_equal(codec_decode(d, out, (size_t)len, pcm, 159), -ENOSPC);
	assert_int_equal(codec_conceal(d, NULL, 0, pcm, 160), 160);
	assert_int_equal(codec_conceal(d, out, (size_t)len, pcm, 160), 160);
	assert_int_equal(codec_conceal(d, NULL, 0, pcm, 960), 960);
	assert_int_equal(codec_conceal(d, NULL, 0, pcm, 30), -EINVAL);
	assert_int_equal(codec_conceal(d, NULL, 0, pcm, 980), -EINVAL);
	codec_enc_free(e);
	codec_dec_free(d);
	codec_dec_free(d48);
}

static void test_resampler(void **state)
{
	static const unsigned int rates[] = {8000, 16000, 48000, 8000};
	const char *err = NULL;
	int16_t *buf[4];
	size_t n[4] = {8000};

	buf[0] = malloc(8000 * sizeof(int16_t));
	audio_sine(buf[0], 8000, 8000, 1000, AMP_M10, 0);
	for (int s = 1; s < 4; s++) {
		struct resampler *r = resampler_new(rates[s - 1], rates[s], &err);

		assert_non_null(r);
		buf[s] = malloc(rates[s] * sizeof(int16_t));
		/* 20 ms chunks, as a stream arrives. */
		for (size_t off = 0; off < n[s - 1]; off += rates[s - 1] / 50) {
			int m = resampler_run(r, buf[s - 1] + off, rates[s - 1] / 50, buf[s] + n[s],
					      rates[s] - n[s]);

			assert_true(m >= 0);
			n[s] += (size_t)m;
		}
		/* Counts follow the ratio (the filter delay is output as leading samples). */
		assert_true(labs((long)n[s] - (long)rates[s]) <= 2);
		check_tone(buf[s], n[s], rates[s], 1000, 0.5, 0.95);
		resampler_free(r);
	}
	for (int s = 0; s < 4; s++)
		free(buf[s]);

	/* Same rates copy; too small an output is refused. */
	{
		struct resampler *r = resampler_new(8000, 8000, &err);
		int16_t in[4] = {1, -2, 3, -4}, out[4];

		assert_int_equal(resampler_run(r, in, 4, out, 4), 4);
		assert_memory_equal(in, out, sizeof(in));
		assert_int_equal(resampler_run(r, in, 4, out, 3), -ENOSPC);
		resampler_free(r);
		r = resampler_new(8000, 48000, &err);
		assert_int_equal(resampler_run(r, in, 4, out, 4), -ENOSPC);
		resampler_free(r);
		assert_null(resampler_new(0, 8000, &err));
		assert_non_null(err);
	}
}

/* FEC: the tone changes from 400 Hz to 1000 Hz in the lost frame, so only the next packet's
 * FEC (not concealment, which extends the 400 Hz) can bring the lost frame back as 1000 Hz.
 * At 8, 12 and 16 kHz with the default bitrate too: at 8 and 12, libopus's own would drop it. */
static void test_opus_fec(void **state)
{
	static const struct {
		unsigned int rate;
		struct codec_opus_opts o;
		double share; /* of the tone in the frame FEC brings back */
	} rows[] = {
		{48000, {.fec = true, .bitrate = 32000, .max_playback_rate = 16000}, 0.8},
		{8000, {.fec = true}, 0.6},
		{12000, {.fec = true}, 0.6},
		{16000, {.fec = true}, 0.6},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned int sr = rows[i].rate, fr = sr / 50;
		const char *err = NULL;
		struct codec_enc *e = codec_enc_new(CODEC_OPUS, sr, &rows[i].o, &err);
		struct codec_dec *d = codec_dec_new(CODEC_OPUS, sr, &err),
				 *d2 = codec_dec_new(CODEC_OPUS, sr, &err);
		uint8_t pl[50][1500];
		int len[50];
		int16_t in[960], out[960], plc[960];

		assert_non_null(e);
		assert_non_null(d);
		for (int f = 0; f < 50; f++) {
			audio_sine(in, fr, sr, f < 30 ? 400 : 1000, AMP_M10, (size_t)f * fr);
			len[f] = codec_encode(e, in, fr, pl[f], sizeof(pl[f]));
			assert_true(len[f] > 0);
		}
		for (int f = 0; f < 30; f++) {
			assert_int_equal(codec_decode(d, pl[f], (size_t)len[f], out, fr), fr);
			assert_int_equal(codec_decode(d2, pl[f], (size_t)len[f], out, fr), fr);
		}
		/* Frame 30 lost. */
		assert_int_equal(codec_conceal(d, pl[31], (size_t)len[31], out, fr), fr);
		assert_int_equal(codec_conceal(d2, NULL, 0, plc, fr), fr);
		if (audio_tone_share(out + fr / 4, fr * 3 / 4, sr, 1000) <= rows[i].share)
			fail_msg("%u Hz: FEC share %.2f", sr,
				 audio_tone_share(out + fr / 4, fr * 3 / 4, sr, 1000));
		assert_true(audio_tone_share(plc + fr / 4, fr * 3 / 4, sr, 1000) < 0.5);
		assert_int_equal(codec_decode(d, pl[31], (size_t)len[31], out, fr), fr);
		assert_true(audio_tone_share(out, fr, sr, 1000) > 0.9);
		/* Only whole 2.5 ms steps can be concealed. */
		assert_int_equal(codec_conceal(d, NULL, 0, out, sr / 400 + 1), -EINVAL);
		codec_enc_free(e);
		codec_dec_free(d);
		codec_dec_free(d2);
	}
}

static void test_opus_dtx(void **state)
{
	static const unsigned int rates[] = {48000, 8000};
	struct codec_opus_opts o = {.dtx = true, .fec = true};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		unsigned int fr = rates[i] / 50;
		const char *err = NULL;
		struct codec_enc *e = codec_enc_new(CODEC_OPUS, rates[i], &o, &err);
		int16_t in[960];
		uint8_t pl[1500];
		int zero = 0;

		assert_non_null(e);
		audio_sine(in, fr, rates[i], 1000, AMP_M10, 0);
		for (int f = 0; f < 10; f++)
			assert_true(codec_encode(e, in, fr, pl, sizeof(pl)) > 2);
		memset(in, 0, sizeof(in));
		for (int f = 0; f < 50; f++) {
			int r = codec_encode(e, in, fr, pl, sizeof(pl));

			assert_true(r >= 0);
			zero += f >= 10 && r == 0;
		}
		/* libopus still sends a comfort-noise update every 400 ms. */
		assert_true(zero >= 30);
		codec_enc_free(e);
	}
}

static void test_conceal_g711(void **state)
{
	const char *err = NULL;
	struct codec_dec *d = codec_dec_new(CODEC_PCMU, 0, &err);
	uint8_t pl[160];
	int16_t out[160];
	double prev = 0;

	/* Nothing decoded yet: silence. */
	assert_int_equal(codec_conceal(d, NULL, 0, out, 160), 160);
	assert_true(audio_rms_dbfs(out, 160) < -150);
	memset(pl, 0x80, sizeof(pl)); /* u-law near full scale */
	assert_int_equal(codec_decode(d, pl, 160, out, 160), 160);
	prev = audio_rms_dbfs(out, 160);
	/* Each concealed frame quieter than the one before, silence after four. */
	for (int i = 0; i < 6; i++) {
		double lvl;

		assert_int_equal(codec_conceal(d, NULL, 0, out, 160), 160);
		lvl = audio_rms_dbfs(out, 160);
		assert_true(lvl < prev || lvl < -150);
		if (i >= 4)
			assert_true(lvl < -150);
		prev = lvl;
	}
	codec_dec_free(d);
}

static void test_fmtp(void **state)
{
	static const struct {
		const char *fmtp;
		struct codec_opus_opts want;
	} rows[] = {
		{"minptime=10;useinbandfec=1", {.fec = true}},
		{"maxplaybackrate=16000; usedtx=1 ;stereo=1;sprop-stereo=0",
		 {.dtx = true, .max_playback_rate = 16000}},
		{"maxaveragebitrate=20000;useinbandfec=0;usedtx=0", {.bitrate = 20000}},
		{"MaxPlaybackRate=8000", {.max_playback_rate = 8000}},
		{"maxplaybackrate=99999999999;maxaveragebitrate=abc;=;;useinbandfec", {0}},
		{"", {0}},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct codec_opus_opts o = {0};

		codec_opus_fmtp(rows[i].fmtp, strlen(rows[i].fmtp), &o);
		assert_int_equal(o.fec, rows[i].want.fec);
		assert_int_equal(o.dtx, rows[i].want.dtx);
		assert_int_equal(o.bitrate, rows[i].want.bitrate);
		assert_int_equal(o.max_playback_rate, rows[i].want.max_playback_rate);
	}
	/* Cut by length: the value after the cut is not seen. */
	{
		struct codec_opus_opts o = {0};

		codec_opus_fmtp("useinbandfec=1", 13, &o);
		assert_false(o.fec);
	}
}

static void test_bad_input(void **state)
{
	const char *err = NULL;
	struct codec_dec *op = codec_dec_new(CODEC_OPUS, 0, &err),
			 *g = codec_dec_new(CODEC_G722, 0, &err);
	struct codec_enc *eo = codec_enc_new(CODEC_OPUS, 0, NULL, &err);
	struct codec_enc *eg = codec_enc_new(CODEC_G722, 0, NULL, &err);
	static const uint8_t code3_no_frames[] = {0x03, 0x00};
	static uint8_t big[9000];
	int16_t pcm[5760];
	uint8_t out[1500];

	assert_int_equal(codec_decode(op, big, 0, pcm, 5760), -EINVAL);
	assert_int_equal(codec_decode(op, code3_no_frames, 2, pcm, 5760), -EINVAL);
	assert_int_equal(codec_decode(op, big, sizeof(big), pcm, 5760), -EINVAL);
	/* A 20 ms packet into 10 ms of room. */
	memset(pcm, 0, sizeof(pcm));
	assert_true(codec_encode(eo, pcm, 960, out, sizeof(out)) > 0);
	assert_int_equal(codec_encode(eo, pcm, 100, out, sizeof(out)), -EINVAL);
	assert_int_equal(codec_encode(eg, pcm, 161, out, sizeof(out)), -EINVAL);
	assert_int_equal(codec_encode(eg, pcm, 320, out, 100), -ENOSPC);
	assert_int_equal(codec_decode(g, big, 160, pcm, 100), -ENOSPC);
	assert_int_equal(codec_decode(g, big, 160, pcm, 320), 320);
	for (int i = 0; i < 2000; i++) { /* random payloads: any result, no crash */
		size_t len = 1 + (size_t)rand() % 400;

		for (size_t j = 0; j < len; j++)
			big[j] = (uint8_t)rand();
		assert_true(codec_decode(op, big, len, pcm, 5760) <= 5760);
	}
	assert_null(codec_dec_new(CODEC_CN, 0, &err));
	assert_non_null(err);
	assert_null(codec_enc_new(CODEC_TELEPHONE_EVENT, 0, NULL, &err));
	assert_null(codec_dec_new((enum codec_id)99, 0, &err));
	codec_dec_free(op);
	codec_dec_free(g);
	codec_enc_free(eo);
	codec_enc_free(eg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),	      cmocka_unit_test(test_defs),
		cmocka_unit_test(test_g711_tables),   cmocka_unit_test(test_sine_round_trip),
		cmocka_unit_test(test_opus_rates),    cmocka_unit_test(test_rates_refused),
		cmocka_unit_test(test_opus_8k_sizes), cmocka_unit_test(test_resampler),
		cmocka_unit_test(test_opus_fec),      cmocka_unit_test(test_opus_dtx),
		cmocka_unit_test(test_conceal_g711),  cmocka_unit_test(test_fmtp),
		cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_g722_8k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
