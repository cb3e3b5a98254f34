/* SPDX-License-Identifier: GPL-2.0-only */
/* RTCP (RFC 3550, 3611, 5506, 5761): a parser for compound and reduced-size packets that
 * extracts what the statistics need. Pure: no I/O, no allocation. */
#ifndef XRELAY_RTCP_H
#define XRELAY_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_MAX_BLOCKS 32 /* report blocks kept per compound packet; more are counted only */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205,
	RTCP_PSFB = 206,
	RTCP_XR = 207,
};

/* A report block of an SR or RR: what `reporter` received from `ssrc`. */
struct rtcp_block {
	uint32_t reporter;
	uint32_t ssrc;
	uint8_t fraction_lost; /* 1/256 units */
	int32_t cum_lost;      /* signed 24 bit, sign-extended */
	uint32_t ext_seq;      /* extended highest sequence number received */
	uint32_t jitter;       /* RTP timestamp units */
	uint32_t lsr;	       /* middle 32 bits of the NTP time of the last SR from ssrc */
	uint32_t dlsr;	       /* 1/65536 s since that SR */
};

struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp; /* NTP timestamp, 32.32 */
	uint32_t rtp_ts;
	uint32_t packets; /* sender's packet count */
	uint32_t octets;  /* sender's octet count */
};

/* What one (compound) packet held. */
struct rtcp_info {
	unsigned int n_packets; /* RTCP packets in the compound */
	bool has_sr;
	struct rtcp_sr sr; /* the first SR */
	unsigned int n_blocks;
	unsigned int n_blocks_total; /* incl. those past RTCP_MAX_BLOCKS */
	struct rtcp_block blocks[RTCP_MAX_BLOCKS];
	bool has_sdes, has_bye, has_app, has_fb;
	char cname[256]; /* the first SDES CNAME, NUL-terminated; "" when none */
	uint32_t cname_ssrc;
	/* XR (RFC 3611): receiver reference time (RRTR) and DLRR sub-blocks. */
	bool has_xr_rrtr;
	uint32_t xr_rrtr_ssrc;
	uint64_t xr_rrtr_ntp;
	unsigned int n_dlrr;
	struct {
		uint32_t reporter; /* the XR packet's SSRC: who sends the DLRR */
		uint32_t ssrc;	   /* the receiver whose RRTR is answered */
		uint32_t lrr;	   /* middle 32 bits of that RRTR's NTP time; 0 = none yet */
		uint32_t dlrr;	   /* 1/65536 s since that RRTR */
	} dlrr[RTCP_MAX_BLOCKS];
};

/* Parses pkt[0..len): a compound packet (RFC 3550) or a reduced-size one (RFC 5506, any
 * single packet type). Every packet's version, length and padding are checked; unknown packet
 * types and XR block types are skipped by their length. Returns 0, or -EINVAL with a static
 * reason in *err ("bad version", "length past the end", ...; err may be NULL); on error *out
 * holds what came before the bad packet and must not be used for statistics. */
int rtcp_parse(const uint8_t *pkt, size_t len, struct rtcp_info *out, const char **err);

/* The middle 32 bits of an NTP timestamp (what LSR carries). */
static inline uint32_t rtcp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

#endif
