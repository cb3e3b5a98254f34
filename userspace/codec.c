// SPDX-License-Identifier: GPL-2.0-only
/* The codec table and the encoders/decoders behind it: G.711 and G.722 through spandsp, Opus
 * through libopus, resampling through speexdsp. */
#include "codec.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opus/opus.h>
#include <spandsp.h>
#include <speex/speex_resampler.h>

/* Longest frame any decoder returns: an Opus packet holds at most 120 ms (48 kHz). */
#define MAX_FRAME	 5760
#define OPUS_MAX_PKT	 (1275 * 6 + 7) /* RFC 6716 3.4 R5: 120 ms of the largest frames */
#define OPUS_DEF_CPLX	 5
#define OPUS_FEC_LOSS	 10    /* % loss the encoder plans FEC for when FEC is on */
#define OPUS_FEC_RATE	 12000 /* bits/s over the PCM rate that keep FEC on at 8 and 12 kHz */
#define FADE_FRAMES	 4 /* concealed frames over which a repeated G.711/G.722 frame fades out */
#define RESAMPLE_QUALITY 3

static const struct codec_def defs[CODEC_MAX] = {
	[CODEC_PCMU] = {CODEC_PCMU, "PCMU", 8000, 1, 8000, 0, NULL, true, 20},
	[CODEC_PCMA] = {CODEC_PCMA, "PCMA", 8000, 1, 8000, 8, NULL, true, 20},
	/* RFC 3551 4.5.2: G.722's RTP clock is 8000 although it samples at 16000. */
	[CODEC_G722] = {CODEC_G722, "G722", 8000, 1, 16000, 9, NULL, true, 20},
	/* RFC 7587: always opus/48000/2; minptime=10 as the common implementations offer it. */
	[CODEC_OPUS] = {CODEC_OPUS, "opus", 48000, 2, 48000, -1, "minptime=10;useinbandfec=1", true,
			20},
	[CODEC_TELEPHONE_EVENT] = {CODEC_TELEPHONE_EVENT, "telephone-event", 8000, 1, 8000, -1,
				   "0-16", false, 20},
	[CODEC_CN] = {CODEC_CN, "CN", 8000, 1, 8000, 13, NULL, false, 20},
};

const struct codec_def *codec_get(enum codec_id id)
{
	if (id <= CODEC_NONE || id >= CODEC_MAX)
		return NULL;
	return &defs[id];
}

const struct codec_def *codec_find(const char *name, size_t name_len, unsigned int rate,
				   unsigned int channels)
{
	for (int id = CODEC_NONE + 1; id < CODEC_MAX; id++) {
		const struct codec_def *d = &defs[id];

		if (strlen(d->name) != name_len || strncasecmp(d->name, name, name_len))
			continue;
		if (!rate) {
			/* unspecified: the codec's own rate */
		} else if (id == CODEC_TELEPHONE_EVENT) {
			if (rate != 8000 && rate != 16000 && rate != 48000)
				return NULL;
		} else if (rate != d->clock_rate) {
			return NULL;
		}
		if (channels > (id == CODEC_OPUS ? 2u : 1u))
			return NULL;
		return d;
	}
	return NULL;
}

uint8_t codec_ulaw_to_alaw(uint8_t u)
{
	return ulaw_to_alaw(u);
}

uint8_t codec_alaw_to_ulaw(uint8_t a)
{
	return alaw_to_ulaw(a);
}

/* Parses an unsigned decimal value of at most len characters; false when there is none. */
static bool parse_uint(const char *s, size_t len, unsigned int *v)
{
	unsigned long x = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned int)(s[i] - '0');
		if (x > 10000000)
			return false;
	}
	*v = (unsigned int)x;
	return true;
}

void codec_opus_fmtp(const char *fmtp, size_t len, struct codec_opus_opts *o)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i, eq, ks, ke, vs, ve;
		unsigned int v;

		while (end < len && fmtp[end] != ';')
			end++;
		for (eq = i; eq < end && fmtp[eq] != '='; eq++)
			;
		ks = i;
		ke = eq;
		while (ks < ke && (fmtp[ks] == ' ' || fmtp[ks] == '\t'))
			ks++;
		while (ke > ks && (fmtp[ke - 1] == ' ' || fmtp[ke - 1] == '\t'))
			ke--;
		vs = eq < end ? eq + 1 : end;
		ve = end;
		while (vs < ve && (fmtp[vs] == ' ' || fmtp[vs] == '\t'))
			vs++;
		while (ve > vs && (fmtp[ve - 1] == ' ' || fmtp[ve - 1] == '\t' ||
				   fmtp[ve - 1] == '\r' || fmtp[ve - 1] == '\n'))
			ve--;
		if (parse_uint(fmtp + vs, ve - vs, &v)) {
			const char *k = fmtp + ks;
			size_t kl = ke - ks;

#define KEY(s) (kl == sizeof(s) - 1 && !strncasecmp(k, s, kl))
			if (KEY("maxplaybackrate") && v >= 8000 && v <= 48000)
				o->max_playback_rate = v;
			else if (KEY("useinbandfec"))
				o->fec = v == 1;
			else if (KEY("usedtx"))
				o->dtx = v == 1;
			else if (KEY("maxaveragebitrate") && v >= 6000 && v <= 510000)
				o->bitrate = v;
#undef KEY
		}
		i = end + 1;
	}
}

struct codec_dec {
	enum codec_id id;
	unsigned int rate; /* PCM samples per second in and out of the library */
	g722_decode_state_t *g722;
	OpusDecoder *opus;
	/* The last decoded frame, repeated (fading) to conceal a G.711/G.722 loss. */
	unsigned int lost_run;
	size_t last_n;
	int16_t last[MAX_FRAME];
};

struct codec_enc {
	enum codec_id id;
	unsigned int rate;
	g722_encode_state_t *g722;
	OpusEncoder *opus;
	bool dtx;
};

bool codec_runs_at(enum codec_id id, unsigned int rate)
{
	if (id <= CODEC_NONE || id >= CODEC_MAX || !defs[id].transcodable)
		return false;
	if (rate == defs[id].sample_rate)
		return true;
	if (id == CODEC_OPUS)
		return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000;
	/* spandsp's G.722 at 8 kHz: the lower sub-band only (an 8 kHz source has no upper one) */
	return id == CODEC_G722 && rate == 8000;
}

/* The PCM rate a coder of id runs at when asked for rate (0 = the codec's own), 0 when it
 * cannot. */
static unsigned int pcm_rate(enum codec_id id, unsigned int rate, const char **err)
{
	if (!rate)
		return defs[id].sample_rate;
	if (codec_runs_at(id, rate))
		return rate;
	*err = id == CODEC_OPUS	  ? "Opus runs at 8000, 12000, 16000, 24000 or 48000 Hz only"
	       : id == CODEC_G722 ? "G.722 runs at 8000 or 16000 Hz only"
				  : "sample rate not supported by the codec";
	return 0;
}

/* Samples in the 120 ms an Opus packet holds at most, at rate. */
static unsigned int opus_max_frame(unsigned int rate)
{
	return rate / 25 * 3;
}

struct codec_dec *codec_dec_new(enum codec_id id, unsigned int rate, const char **err)
{
	struct codec_dec *d;
	int e;

	if (id != CODEC_PCMU && id != CODEC_PCMA && id != CODEC_G722 && id != CODEC_OPUS) {
		*err = "codec cannot be decoded";
		return NULL;
	}
	rate = pcm_rate(id, rate, err);
	if (!rate)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		*err = "out of memory";
		return NULL;
	}
	d->id = id;
	d->rate = rate;
	if (id == CODEC_G722) {
		d->g722 = g722_decode_init(NULL, 64000, rate == 8000 ? G722_SAMPLE_RATE_8000 : 0);
		if (!d->g722) {
			*err = "g722_decode_init failed";
			goto fail;
		}
	} else if (id == CODEC_OPUS) {
		d->opus = opus_decoder_create((opus_int32)rate, 1, &e);
		if (!d->opus) {
			*err = "opus_decoder_create failed";
			goto fail;
		}
	}
	return d;
fail:
	free(d);
	return NULL;
}

void codec_dec_free(struct codec_dec *d)
{
	if (!d)
		return;
	if (d->g722)
		g722_decode_free(d->g722);
	if (d->opus)
		opus_decoder_destroy(d->opus);
	free(d);
}

static void keep_last(struct codec_dec *d, const int16_t *pcm, size_t n)
{
	if (n > MAX_FRAME)
		n = MAX_FRAME;
	memcpy(d->last, pcm, n * sizeof(*pcm));
	d->last_n = n;
	d->lost_run = 0;
}

int codec_decode(struct codec_dec *d, const uint8_t *payload, size_t len, int16_t *pcm, size_t max)
{
	int n;

	if (!d || !payload || !len || !pcm)
		return -EINVAL;
	switch (d->id) {
	case CODEC_PCMU:
	case CODEC_PCMA:
		if (len > max)
			return -ENOSPC;
		for (size_t i = 0; i < len; i++)
			pcm[i] = d->id == CODEC_PCMU ? ulaw_to_linear(payload[i])
						     : alaw_to_linear(payload[i]);
		n = (int)len;
		break;
	case CODEC_G722:
		/* A byte is two samples at 16 kHz, one at 8 kHz. */
		if (len * (d->rate / 8000) > max || len > MAX_FRAME)
			return len > MAX_FRAME ? -EINVAL : -ENOSPC;
		n = g722_decode(d->g722, pcm, payload, (int)len);
		if (n < 0)
			return -EINVAL;
		break;
	case CODEC_OPUS:
		if (len > OPUS_MAX_PKT)
			return -EINVAL;
		n = opus_packet_get_nb_samples(payload, (opus_int32)len, (opus_int32)d->rate);
		if (n <= 0 || (unsigned int)n > opus_max_frame(d->rate))
			return -EINVAL;
		if ((size_t)n > max)
			return -ENOSPC;
		n = opus_decode(d->opus, payload, (opus_int32)len, pcm, n, 0);
		if (n < 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	keep_last(d, pcm, (size_t)n);
	return n;
}

int codec_conceal(struct codec_dec *d, const uint8_t *next, size_t next_len, int16_t *pcm,
		  size_t samples)
{
	if (!d || !pcm)
		return -EINVAL;
	if (!samples)
		return 0;
	if (d->id == CODEC_OPUS) {
		int n;

		/* libopus conceals in whole 2.5 ms steps. */
		if (samples % (d->rate / 400) || samples > opus_max_frame(d->rate))
			return -EINVAL;
		if (next && next_len && next_len <= OPUS_MAX_PKT &&
		    opus_packet_get_nb_samples(next, (opus_int32)next_len, (opus_int32)d->rate) > 0)
			n = opus_decode(d->opus, next, (opus_int32)next_len, pcm, (int)samples, 1);
		else
			n = opus_decode(d->opus, NULL, 0, pcm, (int)samples, 0);
		return n < 0 ? -EINVAL : n;
	}
	if (d->id != CODEC_PCMU && d->id != CODEC_PCMA && d->id != CODEC_G722)
		return -EINVAL;

	/* Repeat the last frame, fading linearly to silence over FADE_FRAMES lost frames. */
	if (!d->last_n || d->lost_run >= FADE_FRAMES) {
		memset(pcm, 0, samples * sizeof(*pcm));
	} else {
		double g0 = 1.0 - (double)d->lost_run / FADE_FRAMES;
		double step = 1.0 / FADE_FRAMES / (double)samples;

		for (size_t i = 0; i < samples; i++)
			pcm[i] = (int16_t)(d->last[i % d->last_n] * (g0 - step * (double)i));
	}
	d->lost_run++;
	return (int)samples;
}

static unsigned int opus_bandwidth(unsigned int max_playback_rate)
{
	if (!max_playback_rate || max_playback_rate > 24000)
		return OPUS_BANDWIDTH_FULLBAND;
	if (max_playback_rate > 16000)
		return OPUS_BANDWIDTH_SUPERWIDEBAND;
	if (max_playback_rate > 12000)
		return OPUS_BANDWIDTH_WIDEBAND;
	if (max_playback_rate > 8000)
		return OPUS_BANDWIDTH_MEDIUMBAND;
	return OPUS_BANDWIDTH_NARROWBAND;
}

static int opus_setup(struct codec_enc *e, const struct codec_opus_opts *o, const char **err)
{
	struct codec_opus_opts def = {0};
	int r;

	if (!o)
		o = &def;
	r = opus_encoder_ctl(e->opus, OPUS_SET_COMPLEXITY(o->complexity && o->complexity <= 10
								  ? (int)o->complexity
								  : OPUS_DEF_CPLX));
	if (r == OPUS_OK && o->bitrate)
		r = opus_encoder_ctl(e->opus, OPUS_SET_BITRATE((opus_int32)o->bitrate));
	/* libopus's default bitrate follows the PCM rate (8 kHz, 20 ms: 11 kbit/s). Short of what
	 * FEC needs, libopus narrows the band to keep it, but at 8 and 12 kHz it has no narrower
	 * band and drops FEC without a word (measured with libopus 1.3 at 10% loss: FEC from
	 * 20 kbit/s): there, start where FEC holds. */
	else if (r == OPUS_OK && o->fec && e->rate <= 12000)
		r = opus_encoder_ctl(e->opus,
				     OPUS_SET_BITRATE((opus_int32)e->rate + OPUS_FEC_RATE));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(e->opus, OPUS_SET_INBAND_FEC(o->fec ? 1 : 0));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(e->opus,
				     OPUS_SET_PACKET_LOSS_PERC(o->fec ? OPUS_FEC_LOSS : 0));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(e->opus, OPUS_SET_DTX(o->dtx ? 1 : 0));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(e->opus,
				     OPUS_SET_MAX_BANDWIDTH(opus_bandwidth(o->max_playback_rate)));
	if (r != OPUS_OK) {
		*err = "opus_encoder_ctl failed";
		return -EINVAL;
	}
	e->dtx = o->dtx;
	return 0;
}

struct codec_enc *codec_enc_new(enum codec_id id, unsigned int rate,
				const struct codec_opus_opts *opts, const char **err)
{
	struct codec_enc *e;
	int r;

	if (id != CODEC_PCMU && id != CODEC_PCMA && id != CODEC_G722 && id != CODEC_OPUS) {
		*err = "codec cannot be encoded";
		return NULL;
	}
	rate = pcm_rate(id, rate, err);
	if (!rate)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		*err = "out of memory";
		return NULL;
	}
	e->id = id;
	e->rate = rate;
	if (id == CODEC_G722) {
		e->g722 = g722_encode_init(NULL, 64000, rate == 8000 ? G722_SAMPLE_RATE_8000 : 0);
		if (!e->g722) {
			*err = "g722_encode_init failed";
			goto fail;
		}
	} else if (id == CODEC_OPUS) {
		e->opus = opus_encoder_create((opus_int32)rate, 1, OPUS_APPLICATION_VOIP, &r);
		if (!e->opus) {
			*err = "opus_encoder_create failed";
			goto fail;
		}
		if (opus_setup(e, opts, err))
			goto fail;
	}
	return e;
fail:
	codec_enc_free(e);
	return NULL;
}

void codec_enc_free(struct codec_enc *e)
{
	if (!e)
		return;
	if (e->g722)
		g722_encode_free(e->g722);
	if (e->opus)
		opus_encoder_destroy(e->opus);
	free(e);
}

int codec_encode(struct codec_enc *e, const int16_t *pcm, size_t samples, uint8_t *out, size_t max)
{
	int n;

	if (!e || !pcm || !out || !samples)
		return -EINVAL;
	switch (e->id) {
	case CODEC_PCMU:
	case CODEC_PCMA:
		if (samples > max)
			return -ENOSPC;
		for (size_t i = 0; i < samples; i++)
			out[i] = e->id == CODEC_PCMU ? linear_to_ulaw(pcm[i])
						     : linear_to_alaw(pcm[i]);
		return (int)samples;
	case CODEC_G722:
		/* Two samples a byte at 16 kHz (an odd count would lose its last sample), one at
		 * 8 kHz. */
		if (samples % (e->rate / 8000) || samples > 2 * (size_t)MAX_FRAME)
			return -EINVAL;
		if (samples / (e->rate / 8000) > max)
			return -ENOSPC;
		n = g722_encode(e->g722, out, pcm, (int)samples);
		return n < 0 ? -EINVAL : n;
	case CODEC_OPUS: {
		size_t step = e->rate / 400; /* 2.5 ms */

		if (samples % step ||
		    (samples / step != 1 && samples / step != 2 && samples / step != 4 &&
		     samples / step != 8 && samples / step != 16 && samples / step != 24))
			return -EINVAL;
		n = opus_encode(e->opus, pcm, (int)samples, out,
				(opus_int32)(max > 4000 ? 4000 : max));
		if (n == OPUS_BUFFER_TOO_SMALL)
			return -ENOSPC;
		if (n < 0)
			return -EINVAL;
		/* A DTX frame is the TOC byte alone (or two) at any rate: nothing worth sending. */
		if (e->dtx && n <= 2)
			return 0;
		return n;
	}
	default:
		return -EINVAL;
	}
}

struct resampler {
	SpeexResamplerState *st;
	unsigned int in_rate, out_rate;
};

struct resampler *resampler_new(unsigned int in_rate, unsigned int out_rate, const char **err)
{
	struct resampler *r;
	int e = 0;

	if (!in_rate || !out_rate || in_rate > 192000 || out_rate > 192000) {
		*err = "bad sample rate";
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		*err = "out of memory";
		return NULL;
	}
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	if (in_rate != out_rate) {
		r->st = speex_resampler_init(1, in_rate, out_rate, RESAMPLE_QUALITY, &e);
		if (!r->st) {
			*err = "speex_resampler_init failed";
			free(r);
			return NULL;
		}
	}
	return r;
}

void resampler_free(struct resampler *r)
{
	if (!r)
		return;
	if (r->st)
		speex_resampler_destroy(r->st);
	free(r);
}

int resampler_run(struct resampler *r, const int16_t *in, size_t n, int16_t *out, size_t max)
{
	spx_uint32_t in_len, out_len;

	if (!r || (!in && n) || !out)
		return -EINVAL;
	if (!r->st) {
		if (n > max)
			return -ENOSPC;
		memmove(out, in, n * sizeof(*in));
		return (int)n;
	}
	if (n > UINT32_MAX / 2 || max > UINT32_MAX / 2)
		return -EINVAL;
	in_len = (spx_uint32_t)n;
	out_len = (spx_uint32_t)max;
	if (speex_resampler_process_int(r->st, 0, in, &in_len, out, &out_len) !=
	    RESAMPLER_ERR_SUCCESS)
		return -EINVAL;
	/* Input left over means out was too small: the caller sizes it for n * out / in + margin.
	 */
	if (in_len < n)
		return -ENOSPC;
	return (int)out_len;
}
