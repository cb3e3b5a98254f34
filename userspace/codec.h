/* SPDX-License-Identifier: GPL-2.0-only */
/* The audio codecs the media workers transcode between: what each one is (names, clock and
 * sample rates, frame sizes) and its encoder and decoder, on well-kept libraries: spandsp
 * (G.711, G.722), libopus, speexdsp (resampling). PCM is signed 16-bit mono. */
#ifndef XRELAY_CODEC_H
#define XRELAY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum codec_id {
	CODEC_NONE = 0,
	CODEC_PCMU,
	CODEC_PCMA,
	CODEC_G722,
	CODEC_OPUS,
	CODEC_TELEPHONE_EVENT, /* RFC 4733: translated, never decoded */
	CODEC_CN,	       /* RFC 3389 comfort noise: dropped when transcoding */
	CODEC_MAX
};

/* What the relay knows of a codec. */
struct codec_def {
	enum codec_id id;
	const char *name;	    /* the a=rtpmap encoding name: "PCMU", "opus", ... */
	unsigned int clock_rate;    /* RTP clock (a=rtpmap rate): G.722 8000, Opus 48000 */
	unsigned int channels;	    /* a=rtpmap channels the relay offers: Opus 2, else 1 */
	unsigned int sample_rate;   /* the PCM rate it runs at by default: G.722 16000 */
	int static_pt;		    /* RFC 3551 payload type, -1 when dynamic */
	const char *fmtp;	    /* the a=fmtp the relay offers with it, NULL for none */
	bool transcodable;	    /* the relay has an encoder and a decoder */
	unsigned int default_ptime; /* ms */
};

/* The definition for an SDP codec (name case-insensitive, rate and channels as in a=rtpmap;
 * 0 = unspecified), NULL when the relay does not know it. "opus/48000/1" and
 * "opus/48000/2" are both Opus (the relay decodes to mono). */
const struct codec_def *codec_find(const char *name, size_t name_len, unsigned int rate,
				   unsigned int channels);
const struct codec_def *codec_get(enum codec_id id);

/* Opus encoder settings, from the receiver's a=fmtp (RFC 7587) and the ng codec string. */
struct codec_opus_opts {
	unsigned int bitrate;		/* bits/s; 0 = libopus's default for the rate */
	bool fec;			/* useinbandfec=1: in-band FEC in what we send */
	bool dtx;			/* usedtx=1: send nothing (DTX frames) during silence */
	unsigned int max_playback_rate; /* maxplaybackrate; 0 = 48000 */
	unsigned int complexity;	/* 0..10; 0 = the relay's default (5) */
};

/* Reads the Opus parameters out of an a=fmtp value ("minptime=10;useinbandfec=1"); unknown
 * parameters are ignored. */
void codec_opus_fmtp(const char *fmtp, size_t len, struct codec_opus_opts *o);

/* Whether codec id's coders can work on PCM at rate: their own sample_rate; Opus also 8000,
 * 12000, 16000, 24000; G.722 also 8000 (its lower sub-band only: what an 8 kHz source has). */
bool codec_runs_at(enum codec_id id, unsigned int rate);

struct codec_dec;
struct codec_enc;

/* A decoder / encoder for codec id (transcodable ones only), NULL with a static reason in *err
 * (unknown codec, rate it cannot run at, out of memory, library error). rate is the PCM rate
 * the caller works at, 0 for the codec's sample_rate: Opus takes 8000, 12000, 16000, 24000 or
 * 48000 (its RTP clock stays 48000 whatever the rate, RFC 7587), the others only their own
 * sample_rate. Every `samples` below counts samples at the object's rate (a 20 ms Opus frame is
 * 160 of them at 8000, 960 at 48000). opts only for Opus encoders (may be NULL). */
struct codec_dec *codec_dec_new(enum codec_id id, unsigned int rate, const char **err);
struct codec_enc *codec_enc_new(enum codec_id id, unsigned int rate,
				const struct codec_opus_opts *opts, const char **err);
void codec_dec_free(struct codec_dec *d);
void codec_enc_free(struct codec_enc *e);

/* Decodes one RTP payload into pcm (at the decoder's rate); returns the samples written,
 * or -EINVAL for a payload that cannot be decoded, -ENOSPC when max is too small. */
int codec_decode(struct codec_dec *d, const uint8_t *payload, size_t len, int16_t *pcm, size_t max);
/* Samples for one lost packet of `samples` samples: Opus uses the in-band FEC of the packet
 * that follows (next, when given and it carries FEC) or its concealment, in whole 2.5 ms steps
 * up to 120 ms; the others repeat a fading copy of the last output (or silence). Returns
 * samples written or -errno. */
int codec_conceal(struct codec_dec *d, const uint8_t *next, size_t next_len, int16_t *pcm,
		  size_t samples);
/* Encodes exactly `samples` samples (a frame the codec accepts: G.711 any, G.722 an even
 * count, Opus 2.5, 5, 10, 20, 40 or 60 ms at the encoder's rate) into out; returns the payload
 * length, 0 when the encoder chose to send nothing (Opus DTX), -errno on error. */
int codec_encode(struct codec_enc *e, const int16_t *pcm, size_t samples, uint8_t *out, size_t max);

/* Sample-rate conversion of a mono stream (speexdsp), keeping state between calls. */
struct resampler;
struct resampler *resampler_new(unsigned int in_rate, unsigned int out_rate, const char **err);
void resampler_free(struct resampler *r);
/* Converts n input samples; returns the output samples written (at most max), -errno. */
int resampler_run(struct resampler *r, const int16_t *in, size_t n, int16_t *out, size_t max);

/* G.711 payload translation, byte for byte (the same tables the XDP program is loaded with). */
uint8_t codec_ulaw_to_alaw(uint8_t u);
uint8_t codec_alaw_to_ulaw(uint8_t a);

#endif
