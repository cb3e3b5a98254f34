/* SPDX-License-Identifier: GPL-2.0-only */
/* A stream: one relay socket, the endpoint it learned, where its packets go, its counters.
 * Created by the control thread, driven by exactly one media worker. */
#ifndef XRELAY_STREAM_H
#define XRELAY_STREAM_H

#include "addr.h"
#include "rtcp.h"
#include "xrelay/counters.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* How a stream learns (latches onto) its peer's address; rtpengine's names. */
enum learn_mode { LEARN_HEURISTIC, LEARN_IMMEDIATE, LEARN_DELAYED, LEARN_OFF };

/* Seconds from the first packet since (re)learning during which the stream may latch onto an
 * unexpected source and still relays other sources. After it, packets from anyone but the
 * learned source and the SDP's address are dropped (RTP bleed); see docs/ng-protocol.md. */
#define LEARN_WINDOW 3
/* Media-handover: packets in a row a new source must send before it takes the stream over,
 * and the seconds that must pass between two moves (the first latch counts as one). A single
 * sprayed packet moves nothing, and no flood of sources can make the stream flap. */
#define HANDOVER_PACKETS  3
#define HANDOVER_INTERVAL 2

#define STREAM_F_STRICT_SOURCE	(1u << 0) /* drop packets not from the learned address */
#define STREAM_F_ASYMMETRIC	(1u << 1) /* never learn: send to the SDP address */
#define STREAM_F_MEDIA_HANDOVER (1u << 2) /* a new source may take over (rate-limited) */

enum stream_component { COMP_RTP = 0, COMP_RTCP = 1 };

struct stream;
struct srtpx;
struct ssrc_table;
struct transcoder;

/* stream_cfg.srtp_need: the contexts this stream's packets must go through. A needed context
 * that is missing (it could not be made) drops the packets rather than relay them unchanged. */
#define STREAM_SRTP_RX (1u << 0) /* decrypt what arrives here */
#define STREAM_SRTP_TX (1u << 1) /* encrypt what is sent from here */

/* What the control thread decides; the worker keeps its own copy (messages, no sharing). */
struct stream_cfg {
	struct endpoint expected; /* the peer's address:port from its SDP; unset when unknown */
	unsigned int flags;	  /* STREAM_F_* */
	enum learn_mode learn;
	bool relearn;		  /* forget the learned address (new SDP endpoint) */
	uint32_t gen;		  /* bumped with each relearn: tells old latches from new */
	struct stream *sink;	  /* where RTP received here goes out; NULL: dropped */
	struct stream *sink_rtcp; /* where RTCP received here goes: every socket demultiplexes */
	/* SRTP contexts (srtp.h): made by the control thread, owned by the worker from the
	 * message on; the worker frees the ones a new cfg replaces (a cfg naming the same
	 * context again keeps it, and its rollover and replay state). */
	unsigned int srtp_need;
	struct srtpx *srtp_rx; /* decrypts what the peer sends here */
	struct srtpx *srtp_tx; /* encrypts what is sent from here to the peer */
	/* Transcodes the RTP arriving here whose payload type is not in pt_pass (transcode.h);
	 * owned like the SRTP contexts. NULL: every packet goes as it is. */
	struct transcoder *xcode;
	uint32_t pt_pass[4];
	unsigned int tc_in_clock, tc_out_clock; /* RTP clocks of what it takes and makes */
	/* The relay terminates this party's RTCP (its RTP is transcoded): what arrives feeds the
	 * statistics only; the stream with the transcoder sends reports of its own. */
	bool rtcp_own;
};

struct stream_stats {
#define X(f, n) uint64_t f;
	XR_STREAM_COUNTERS(X)
#undef X
	int64_t last_packet; /* unix seconds, 0 = never */
};

struct stream {
	/* Identity: set before the worker sees the stream, never changed after. */
	int fd;
	struct endpoint local;
	enum stream_component component;
	struct worker *worker;
	void *owner;		 /* the media (control thread's model) */
	struct ssrc_table *ssrc; /* the call's RTCP statistics (a reference of its own) */
	bool removing;		 /* control thread only: REMOVE posted, events about it are stale */

	/* Worker-owned. */
	struct stream_cfg cfg;
	struct endpoint learned;
	bool latched;
	bool latch_event;	    /* latched since the worker last told the control thread */
	time_t first_seen;	    /* monotonic s of the first packet since (re)learning */
	time_t moved_at;	    /* monotonic s of the latest latch */
	struct endpoint candidate;  /* media-handover: the new source seen last */
	unsigned int candidate_run; /* its packets in a row, capped at HANDOVER_PACKETS */
	/* With a transcoder: what it received and sent, for the relay's own RTCP reports. */
	struct rtcp_rx rtcp_rx;
	struct rtcp_tx rtcp_tx;
	int64_t rtcp_due_us; /* when the next report is due (unix µs); 0 = none yet */
	bool rx_stamped;     /* its socket gives receive times (SO_TIMESTAMPNS) */

	/* Published by the worker, read by anyone: counters are relaxed atomics, the learned
	 * address a seqlock (the worker is the only writer). */
#define X(f, n) _Atomic uint64_t f;
	XR_STREAM_COUNTERS(X)
#undef X
	_Atomic int64_t last_packet;
	_Atomic unsigned int pub_seq;
	struct endpoint pub_learned;
	uint32_t pub_gen; /* cfg.gen when it latched */
};

/* A consistent copy of the learned address (unset when none) and the counters. */
void stream_snapshot(struct stream *s, struct endpoint *learned, struct stream_stats *st);
/* The learned address (unset when none) and the cfg generation it was learned under. */
uint32_t stream_learned(struct stream *s, struct endpoint *learned);
/* Worker: takes a new cfg; a relearn forgets the learned address at once. Frees the SRTP
 * contexts and the transcoder the new cfg does not name again. */
void stream_set_cfg(struct stream *s, const struct stream_cfg *cfg);
/* Worker: frees the stream's SRTP contexts and transcoder (it is being removed). */
void stream_release(struct stream *s);
/* A restored stream (call_state.c) before its worker sees it: fd -1, what it had learned
 * (latched, the learning window closed) under generation gen, and its counters. */
void stream_preset(struct stream *s, const struct endpoint *learned, uint32_t gen,
		   const struct stream_stats *st);
/* Where packets for this stream's peer go: the learned address, else the SDP one. */
const struct endpoint *stream_dest(const struct stream *s);
/* Decides whether a packet from src is accepted, learning as cfg says. Worker only. */
bool stream_accept_source(struct stream *s, const struct endpoint *src, time_t now_mono);
/* RFC 5761: RTCP packet types 192..223 sit where RTP has marker+PT 64..95. */
static inline bool stream_is_rtcp(const uint8_t *pkt, unsigned int len)
{
	return len >= 8 && (pkt[0] & 0xc0) == 0x80 && pkt[1] >= 192 && pkt[1] <= 223;
}

#endif
