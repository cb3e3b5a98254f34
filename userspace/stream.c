// SPDX-License-Identifier: GPL-2.0-only
/* Stream endpoint learning and the seqlock that publishes what a worker learned. */
#include "stream.h"

#include "srtp.h"
#include "transcode.h"

#include <string.h>

static void publish_learned(struct stream *s)
{
	unsigned int seq = atomic_load_explicit(&s->pub_seq, memory_order_relaxed);

	atomic_store_explicit(&s->pub_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->pub_learned = s->latched ? s->learned : (struct endpoint){0};
	s->pub_gen = s->cfg.gen;
	atomic_store_explicit(&s->pub_seq, seq + 2, memory_order_release);
}

uint32_t stream_learned(struct stream *s, struct endpoint *learned)
{
	unsigned int seq;
	uint32_t gen;

	do {
		seq = atomic_load_explicit(&s->pub_seq, memory_order_acquire);
		*learned = s->pub_learned;
		gen = s->pub_gen;
		atomic_thread_fence(memory_order_acquire);
	} while ((seq & 1) || seq != atomic_load_explicit(&s->pub_seq, memory_order_relaxed));
	return gen;
}

void stream_snapshot(struct stream *s, struct endpoint *learned, struct stream_stats *st)
{
	stream_learned(s, learned);
#define X(f, n) st->f = atomic_load_explicit(&s->f, memory_order_relaxed);
	XR_STREAM_COUNTERS(X)
#undef X
	st->last_packet = atomic_load_explicit(&s->last_packet, memory_order_relaxed);
}

const struct endpoint *stream_dest(const struct stream *s)
{
	if (s->latched && !(s->cfg.flags & STREAM_F_ASYMMETRIC) && s->cfg.learn != LEARN_OFF)
		return &s->learned;
	return &s->cfg.expected;
}

static void latch(struct stream *s, const struct endpoint *src, time_t now)
{
	s->learned = *src;
	s->latched = true;
	s->latch_event = true;
	s->moved_at = now;
	s->candidate = (struct endpoint){0};
	s->candidate_run = 0;
	publish_learned(s);
}

static void forget(struct stream *s)
{
	s->cfg.relearn = false;
	s->latched = false;
	s->learned = (struct endpoint){0};
	s->first_seen = 0;
	s->candidate = (struct endpoint){0};
	s->candidate_run = 0;
	publish_learned(s);
}

void stream_set_cfg(struct stream *s, const struct stream_cfg *cfg)
{
	if (s->cfg.srtp_rx != cfg->srtp_rx)
		srtpx_free(s->cfg.srtp_rx);
	if (s->cfg.srtp_tx != cfg->srtp_tx)
		srtpx_free(s->cfg.srtp_tx);
	if (s->cfg.xcode != cfg->xcode) {
		transcoder_free(s->cfg.xcode);
		s->rtcp_tx = (struct rtcp_tx){0}; /* a new generated stream */
	}
	s->cfg = *cfg;
	if (s->cfg.relearn)
		forget(s);
}

void stream_release(struct stream *s)
{
	srtpx_free(s->cfg.srtp_rx);
	srtpx_free(s->cfg.srtp_tx);
	transcoder_free(s->cfg.xcode);
	s->cfg.srtp_rx = s->cfg.srtp_tx = NULL;
	s->cfg.xcode = NULL;
}

/* Media-handover: counts src's packets in a row; true when src may take the stream over now. */
static bool handover_due(struct stream *s, const struct endpoint *src, time_t now)
{
	if (!s->candidate_run || !ep_eq(&s->candidate, src)) {
		s->candidate = *src;
		s->candidate_run = 0;
	}
	if (s->candidate_run < HANDOVER_PACKETS)
		s->candidate_run++;
	return s->candidate_run >= HANDOVER_PACKETS && now - s->moved_at >= HANDOVER_INTERVAL;
}

bool stream_accept_source(struct stream *s, const struct endpoint *src, time_t now)
{
	const struct stream_cfg *cfg = &s->cfg;
	bool strict = cfg->flags & STREAM_F_STRICT_SOURCE;
	bool in_window, from_sdp;

	if (s->cfg.relearn)
		forget(s);
	if (s->latched && ep_eq(&s->learned, src)) {
		s->candidate_run = 0; /* the peer is still there: a handover run starts again */
		return true;
	}
	if (!s->first_seen)
		s->first_seen = now;
	in_window = now - s->first_seen < LEARN_WINDOW;
	from_sdp = ep_is_set(&cfg->expected) && ep_eq(src, &cfg->expected);

	if ((cfg->flags & STREAM_F_ASYMMETRIC) || cfg->learn == LEARN_OFF) {
		/* Nothing to learn: the SDP address is the only one strict-source accepts. */
		return !strict || !ep_is_set(&cfg->expected) || from_sdp;
	}
	if (!s->latched) {
		/* The first packet opens the window, so this is always a latch inside it, or
		 * delayed learning's at its end onto the latest source. */
		if (cfg->learn == LEARN_DELAYED && in_window) {
			s->learned = *src; /* a candidate; latched when the window ends */
			return true;
		}
		latch(s, src, now);
		return true;
	}
	/* Latched onto another address. The SDP's address wins while learning, and later too
	 * unless strict-source holds the latch. */
	if (cfg->learn == LEARN_HEURISTIC && from_sdp && (in_window || !strict)) {
		latch(s, src, now);
		return true;
	}
	if ((cfg->flags & STREAM_F_MEDIA_HANDOVER) && handover_due(s, src, now)) {
		latch(s, src, now);
		return true;
	}
	/* Anyone else: relayed while learning, as rtpengine does; after that dropped, so a
	 * stranger spraying the port range gets nothing into the call (rtpengine relays). */
	return !strict && (in_window || from_sdp);
}

void stream_preset(struct stream *s, const struct endpoint *learned, uint32_t gen,
		   const struct stream_stats *st)
{
	struct timespec now;

	s->fd = -1;
	s->pub_gen = gen;
	if (ep_is_set(learned)) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		s->learned = *learned;
		s->latched = true;
		s->pub_learned = *learned;
		/* The learning window closed long ago: a stranger now gets nothing. */
		s->first_seen = now.tv_sec > LEARN_WINDOW ? now.tv_sec - LEARN_WINDOW : 1;
	}
#define X(f, n) atomic_store_explicit(&s->f, st->f, memory_order_relaxed);
	XR_STREAM_COUNTERS(X)
#undef X
	atomic_store_explicit(&s->last_packet, st->last_packet, memory_order_relaxed);
}
