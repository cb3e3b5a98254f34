// SPDX-License-Identifier: GPL-2.0-only
/* Which streams the kernel forwards: a stream goes to the XDP fast path once its party and the
 * other party have both been learned (or need no learning) and both relay sockets sit on
 * interfaces the program is attached to. A stream the worker transforms (SRTP), and RTCP (up
 * for its statistics unless --rtcp-kernel), get an entry that guards the source and punts the
 * rest. Control thread only. */
#include "call.h"

#include "call_state.h"
#include "log.h"

#include <errno.h>
#include <string.h>

/* The stream that packets arriving at m's stream comp leave from. */
static struct stream *sink_of(struct media *m, struct media *p, int comp)
{
	return comp == COMP_RTP ? p->streams[COMP_RTP] : media_rtcp_target(p);
}

/* A stream's peer address as the kernel may use it: learned under the current generation,
 * or the SDP's when the stream does not learn. */
static bool known_peer(struct media *m, int comp, struct endpoint *out)
{
	struct stream *s = m->streams[comp];
	bool fixed = (m->stream_flags & STREAM_F_ASYMMETRIC) || m->learn == LEARN_OFF;

	if (fixed) {
		*out = comp == COMP_RTP || m->rtcp_mux ? m->sdp_rtp : m->sdp_rtcp;
		return ep_is_set(out) && !ep_is_any(out);
	}
	return stream_learned(s, out) == m->gen[comp] && ep_is_set(out);
}

/* What the kernel should do for m's stream comp: NULL and f filled, or why userspace relays
 * it (the words relayctl shows). */
static const char *why_not(struct media *m, int comp, struct kernel_fwd *f)
{
	struct media *p = media_peer(m);
	struct stream *s = m->streams[comp], *sink;
	struct endpoint src, dst;
	int pcomp;

	if (!s || !kernel_is_open() || kernel_mode_for(&s->local) == XDP_MODE_OFF)
		return "xdp off";
	if (m->rejected)
		return "rejected";
	if (!p || !p->streams[COMP_RTP])
		return "no peer";
	if (p->rejected)
		return "peer rejected";
	if (m->hold_any || p->hold_any)
		return "on hold";
	sink = sink_of(m, p, comp);
	if (ep_family(&s->local) != ep_family(&sink->local))
		return "ipv4-ipv6 bridge";
	pcomp = sink == p->streams[COMP_RTP] ? COMP_RTP : COMP_RTCP;
	if (!known_peer(m, comp, &src))
		return "not latched";
	if (!known_peer(p, pcomp, &dst))
		return "peer not latched";
	if (kernel_mode_for(&sink->local) == XDP_MODE_OFF)
		return "peer xdp off";
	memset(f, 0, sizeof(*f));
	f->local = s->local;
	f->new_src = sink->local;
	f->new_dst = dst;
	if ((m->stream_flags & STREAM_F_ASYMMETRIC) || m->learn == LEARN_OFF)
		f->flags |= XR_F_ANY_SOURCE;
	else
		f->peer = src;
	if (m->stream_flags & STREAM_F_STRICT_SOURCE)
		f->flags |= XR_F_STRICT_SOURCE;
	if (comp == COMP_RTP) {
		f->flags |= XR_F_RTP;
		/* RTCP on a muxed socket goes where RTP goes only when the peer muxes too; else
		 * the worker demultiplexes it. */
		if (media_rtcp_target(p) == sink && calls_config()->rtcp_kernel)
			f->flags |= XR_F_RTCP;
	} else if (calls_config()->rtcp_kernel) {
		f->flags |= XR_F_RTCP;
	}
	/* The entry still guards the source (strict-source drops stay in the kernel), and sends
	 * the rest up with its own punt reason. */
	if (media_needs_transform(m, comp))
		f->flags |= XR_F_TRANSFORM;
	/* Transcoded RTP: the payload types that pass unchanged (and PCMU <-> PCMA, translated
	 * by the program) stay in the kernel, the others go up to the worker's transcoder. */
	if (comp == COMP_RTP)
		f->pt_allow = media_codec_kernel(m, &f->xlate, &f->xlate_pt_in, &f->xlate_pt_out);
	return NULL;
}

const char *media_kernel_why(struct media *m, int comp)
{
	struct kernel_fwd f;
	const char *why;

	if (m->in_kernel[comp]) {
		/* An entry that sends the stream's packets up still guards its source. */
		if (m->kfwd[comp].flags & XR_F_TRANSFORM)
			return "srtp transform";
		/* The payload types that pass stay in the kernel, the others go to the worker's
		 * transcoder (PCMU <-> PCMA alone: the kernel translates it). */
		if (comp == COMP_RTP && m->kfwd[comp].pt_allow && !m->kfwd[comp].xlate)
			return "transcoding";
		if (comp == COMP_RTCP && !(m->kfwd[comp].flags & XR_F_RTCP))
			return "rtcp statistics";
		return NULL;
	}
	why = why_not(m, comp, &f);
	return why ? why : "kernel install failed";
}

static bool same_fwd(const struct kernel_fwd *a, const struct kernel_fwd *b)
{
	return ep_eq(&a->local, &b->local) && ep_eq(&a->peer, &b->peer) &&
	       ep_eq(&a->new_src, &b->new_src) && ep_eq(&a->new_dst, &b->new_dst) &&
	       a->flags == b->flags && !a->pt_allow == !b->pt_allow &&
	       (!a->pt_allow || !memcmp(a->pt_allow, b->pt_allow, 4 * sizeof(uint32_t))) &&
	       a->xlate == b->xlate && a->xlate_pt_in == b->xlate_pt_in &&
	       a->xlate_pt_out == b->xlate_pt_out;
}

/* Keeps what f->pt_allow points to with the media, for the next same_fwd. */
static void keep_fwd(struct media *m, int comp, const struct kernel_fwd *f)
{
	m->kfwd[comp] = *f;
	if (f->pt_allow) {
		memcpy(m->kpt_allow[comp], f->pt_allow, sizeof(m->kpt_allow[comp]));
		m->kfwd[comp].pt_allow = m->kpt_allow[comp];
	}
}

static void add_kstats(struct xr_entry_stats *base, const struct xr_entry_stats *add)
{
	base->packets += add->packets;
	base->bytes += add->bytes;
	if (add->last_ns > base->last_ns)
		base->last_ns = add->last_ns;
}

static void remove_one(struct media *m, int comp)
{
	struct xr_entry_stats last = {0};
	char addr[EP_STRLEN];

	if (!m->in_kernel[comp])
		return;
	if (kernel_fwd_remove(&m->kfwd[comp].local, &last))
		log_warn("[%s] kernel entry for %s was already gone", m->ml->call->call_id,
			 ep_str(&m->kfwd[comp].local, addr, sizeof(addr)));
	add_kstats(&m->kbase[comp], &last);
	memset(&m->kcur[comp], 0, sizeof(m->kcur[comp]));
	m->in_kernel[comp] = false;
	log_debug("[%s] %s back to userspace", m->ml->call->call_id,
		  ep_str(&m->kfwd[comp].local, addr, sizeof(addr)));
}

void media_kernel_sync(struct media *m)
{
	char addr[EP_STRLEN], dst[EP_STRLEN];

	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		struct kernel_fwd f;
		int ret;

		if (why_not(m, comp, &f)) {
			remove_one(m, comp);
			continue;
		}
		if (m->in_kernel[comp] && same_fwd(&f, &m->kfwd[comp]))
			continue;
		ret = kernel_fwd_install(&f);
		if (ret) {
			/* Userspace carries on; the table may have room later. */
			log_warn("[%s] couldn't install stream %s in the kernel: %s",
				 m->ml->call->call_id, ep_str(&f.local, addr, sizeof(addr)),
				 strerror(-ret));
			remove_one(m, comp);
			continue;
		}
		keep_fwd(m, comp, &f);
		m->in_kernel[comp] = true;
		log_debug("[%s] %s forwarded by the kernel to %s", m->ml->call->call_id,
			  ep_str(&f.local, addr, sizeof(addr)),
			  ep_str(&f.new_dst, dst, sizeof(dst)));
	}
}

void media_kernel_adopt(struct media *m)
{
	char addr[EP_STRLEN];

	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		struct kernel_fwd f;
		int ret;

		if (why_not(m, comp, &f))
			continue; /* an entry it had, if any, is removed with the unclaimed ones */
		ret = kernel_fwd_adopt(&f);
		if (ret) {
			/* Installed (in place, same slot) by the sync that follows. */
			if (ret != -EBADF)
				log_debug("[%s] %s: no kernel entry to adopt (%s)",
					  m->ml->call->call_id,
					  ep_str(&f.local, addr, sizeof(addr)), strerror(-ret));
			continue;
		}
		keep_fwd(m, comp, &f);
		m->in_kernel[comp] = true;
		log_debug("[%s] %s: kernel entry adopted", m->ml->call->call_id,
			  ep_str(&f.local, addr, sizeof(addr)));
	}
}

void media_kernel_remove(struct media *m)
{
	remove_one(m, COMP_RTP);
	remove_one(m, COMP_RTCP);
}

void media_kernel_stats(struct media *m, int comp, struct stream_stats *st, bool refresh)
{
	struct xr_entry_stats sum = m->kbase[comp];
	int64_t last;

	if (m->in_kernel[comp]) {
		if (refresh)
			kernel_fwd_stats(&m->kfwd[comp].local, &m->kcur[comp]);
		add_kstats(&sum, &m->kcur[comp]);
	}
	st->packets += sum.packets;
	st->bytes += sum.bytes;
	last = kernel_ns_to_unix(sum.last_ns);
	if (last > st->last_packet)
		st->last_packet = last;
}

void call_stream_latched(struct stream *s)
{
	struct media *m = s->owner;
	struct media *p = media_peer(m);

	call_state_changed(m->ml->call);
	media_kernel_sync(m);
	if (p)
		media_kernel_sync(p);
}
