/* SPDX-License-Identifier: GPL-2.0-only */
/* One direction of a transcoded media: RTP in one codec in, RTP in another out. Made by the
 * control thread, then owned and run by the stream's media worker only (no locks). */
#ifndef XRELAY_TRANSCODE_H
#define XRELAY_TRANSCODE_H

#include "codec.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TC_MAX_IN  4	/* codecs the sender may use in one direction */
#define TC_MAX_OUT 8	/* RTP packets one input packet may produce */
#define TC_PKT_MAX 1500 /* bytes of one output packet */
#define TC_MAX_GAP 100	/* ms of lost input concealed; a longer gap restarts the timeline */

/* A codec on one side: its payload type there and, for the output, how to send it. */
struct tc_codec {
	enum codec_id id;
	uint8_t pt;
	unsigned int ptime; /* output: ms per packet (0 = the codec's default); input: unused */
	struct codec_opus_opts opus; /* output Opus only */
};

struct tc_params {
	struct tc_codec in[TC_MAX_IN]; /* what may arrive, by payload type */
	unsigned int n_in;
	struct tc_codec out; /* what is sent */
	/* RFC 4733 events: arriving as dtmf_in_pt (clock dtmf_in_clock), sent as dtmf_out_pt
	 * (clock dtmf_out_clock); -1 when a side has none (events are then dropped). */
	int dtmf_in_pt, dtmf_out_pt;
	unsigned int dtmf_in_clock, dtmf_out_clock;
	uint32_t ssrc; /* of the generated stream */
	uint16_t seq;  /* its first sequence number */
	uint32_t ts;   /* its first timestamp */
};

/* Counters, written by the worker, read by anyone. */
struct tc_stats {
	_Atomic uint64_t decoded;   /* input packets decoded */
	_Atomic uint64_t encoded;   /* output packets made (audio and events) */
	_Atomic uint64_t concealed; /* lost input packets concealed (FEC or PLC) */
	_Atomic uint64_t late;	    /* input packets dropped: older than one already used */
	_Atomic uint64_t errors;    /* not RTP, unknown payload type, decoder/encoder errors */
};

struct transcoder;

/* NULL with a static reason in *err. */
struct transcoder *transcoder_new(const struct tc_params *p, const char **err);
void transcoder_free(struct transcoder *t);
/* p and q describe the same work (codecs, payload types, ptime, encoder options, events);
 * ssrc, seq and ts, which only say where a generated stream starts, are not compared. */
bool tc_params_same(const struct tc_params *p, const struct tc_params *q);

/* Takes one RTP packet (in clear) that arrived; writes the packets to send into out[0..n) with
 * their lengths in out_len, and returns n (0..TC_MAX_OUT: the input may be buffered for
 * repacketization, or dropped and counted). Never fails the caller: whatever cannot be used
 * is counted in the stats.
 * - audio in in[] is decoded (lost packets before it concealed, up to TC_MAX_GAP), resampled
 *   to out's rate, cut into out.ptime frames and encoded; output seq counts up by one per
 *   packet, the timestamp follows the input's timeline converted to out's clock (so events
 *   and audio stay aligned, and a gap in the input is a gap in the output), SSRC p->ssrc;
 *   the marker bit of an input talkspurt start is kept on the first packet made from it;
 * - PCMU <-> PCMA at the same ptime is translated byte for byte in place of decoding, keeping
 *   the input's sequence number, timestamp, SSRC and marker (what the XDP program does too);
 * - an event on dtmf_in_pt goes out on dtmf_out_pt, its timestamp and duration converted to
 *   dtmf_out_clock, on the generated stream's seq/SSRC;
 * - comfort noise, unknown payload types and packets that are not RTP are dropped. */
int transcoder_rtp(struct transcoder *t, const uint8_t *pkt, unsigned int len,
		   uint8_t (*out)[TC_PKT_MAX], unsigned int *out_len);
const struct tc_stats *transcoder_stats(const struct transcoder *t);
/* Every audio input and the output are PCMU/PCMA: packets are translated byte for byte,
 * keeping their header, when out.ptime is 0 or equals their duration (the XDP program does the
 * same for one input codec and no ptime). */
bool tc_params_g711(const struct tc_params *p);

#endif
