/* SPDX-License-Identifier: GPL-2.0-only */
/* The checks a parsed packet must pass against its forwarding entry before the kernel forwards
 * it: the latched source, then what the payload is (RTP, RTCP, STUN, DTLS) and what the entry
 * allows. Pure functions of the packet and the entry, like parse.h. */
#ifndef XRELAY_BPF_LIB_CHECK_H
#define XRELAY_BPF_LIB_CHECK_H

#include "parse.h"

#define XR_RTP_HDR_LEN 12

/* The payload kinds the fast path forwards: RTP as it is, RTCP, and RTP whose payload the
 * program translates (xr_fwd_entry.xlate). */
enum xr_media { XR_MEDIA_RTP = 1, XR_MEDIA_RTCP, XR_MEDIA_RTP_XLATE };

/* The packet must come from the latched peer unless the entry accepts any source. A stranger
 * is punted so the daemon can re-learn the peer, or dropped when the entry is strict. */
static __always_inline int xr_check_source(const struct xr_pkt *pkt, const struct xr_fwd_entry *e)
{
	int same;

	if (e->flags & XR_F_ANY_SOURCE)
		return 0;
	if (pkt->family == XR_AF_INET)
		same = pkt->ip4->saddr == e->src_addr[0];
	else
		same = pkt->ip6->saddr[0] == e->src_addr[0] &&
		       pkt->ip6->saddr[1] == e->src_addr[1] &&
		       pkt->ip6->saddr[2] == e->src_addr[2] && pkt->ip6->saddr[3] == e->src_addr[3];
	if (same && pkt->udp->source == e->src_port)
		return 0;
	return (e->flags & XR_F_STRICT_SOURCE) ? XR_C_DROP_STRICT_SOURCE : XR_C_PUNT_SOURCE;
}

/* What the payload is, and whether this entry forwards it; *media tells RTP from RTCP. An
 * entry whose packets the worker transforms (SRTP) punts them all, after the source check. STUN
 * (first byte 0..3) and DTLS (20..63) share a port with RTP (RFC 7983) and go to the daemon;
 * RTCP is told from RTP by its second byte, 192..223 (RFC 5761). */
static __always_inline int xr_check_payload(const struct xr_pkt *pkt, const struct xr_fwd_entry *e,
					    int *media)
{
	const __u8 *p = pkt->payload;
	__u16 n = pkt->payload_len;
	__u8 pt;

	/* The (void *) bounds checks below cannot fail after xr_parse (the payload's n bytes lie
	 * inside the frame); the verifier wants them. */
	if (e->flags & XR_F_TRANSFORM)
		return XR_C_PUNT_TRANSFORM;
	if (n == 0)
		return XR_C_PUNT_NOT_RTP;
	if ((void *)(p + 1) > pkt->end)
		return XR_C_PUNT_MALFORMED;
	if (n < 8 || (p[0] >> 6) != 2) {
		if (p[0] <= 3 || (p[0] >= 20 && p[0] <= 63))
			return XR_C_PUNT_STUN_DTLS;
		return XR_C_PUNT_NOT_RTP;
	}
	if ((void *)(p + 8) > pkt->end)
		return XR_C_PUNT_MALFORMED;
	if (p[1] >= 192 && p[1] <= 223) {
		if (!(e->flags & XR_F_RTCP))
			return XR_C_PUNT_RTCP;
		*media = XR_MEDIA_RTCP;
		return 0;
	}
	if (n < XR_RTP_HDR_LEN)
		return XR_C_PUNT_NOT_RTP;
	if ((void *)(p + XR_RTP_HDR_LEN) > pkt->end)
		return XR_C_PUNT_MALFORMED;
	if (!(e->flags & XR_F_RTP))
		return XR_C_PUNT_NOT_RTP;
	pt = p[1] & 0x7f;
	if (!(e->pt_allow[pt >> 5] & (1u << (pt & 31))))
		return XR_C_PUNT_PT;
	*media = XR_MEDIA_RTP;
	if (e->xlate == XR_XLATE_NONE || pt != e->xlate_pt_in)
		return 0;
	/* Translated: a plain header (no padding, extension or CSRCs: p[0] is 0x80) and at most
	 * XR_XLATE_MAX_PAYLOAD bytes of payload, or the worker does it. */
	if (e->xlate > XR_XLATE_ALAW_ULAW || p[0] != 0x80 ||
	    n - XR_RTP_HDR_LEN > XR_XLATE_MAX_PAYLOAD)
		return XR_C_PUNT_XLATE;
	*media = XR_MEDIA_RTP_XLATE;
	return 0;
}

#endif
