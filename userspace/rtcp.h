/* SPDX-License-Identifier: GPL-2.0-only */
/* RTCP (RFC 3550, 3611, 5506, 5761): a parser for compound and reduced-size packets that
 * extracts what the statistics need, and the reports of a leg the relay terminates
 * (transcoding). Pure: no I/O, no allocation. */
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

/* Reception of one RTP source, as RFC 3550 A.1 and A.8 count it, for a report block. */
struct rtcp_rx {
	bool init;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles; /* sequence number wraps, << 16 */
	uint32_t base_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior; /* at the last report */
	int64_t transit;			 /* last arrival - RTP time, in clock units */
	uint32_t jitter16;			 /* jitter * 16 (A.8's fixed point) */
};
/* One RTP packet of ssrc arrived at arrival_us (unix µs); clock is its RTP clock rate. A new
 * SSRC starts the counts over. */
void rtcp_rx_packet(struct rtcp_rx *r, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t arrival_us,
		    unsigned int clock);
/* The report block for what r counted (reporter left 0; LSR/DLSR 0: no SR is relayed to the
 * reporter); starts the next interval. False when nothing was received yet. */
bool rtcp_rx_block(struct rtcp_rx *r, struct rtcp_block *b);

/* What the relay sent of a stream it generates. */
struct rtcp_tx {
	bool init;
	uint32_t ssrc;
	uint32_t packets, octets; /* payload octets, as RFC 3550 counts them */
	uint32_t last_ts;	  /* RTP timestamp of the last packet */
	int64_t last_us;	  /* when it was sent (unix µs) */
	unsigned int clock;
};
/* One generated RTP packet (header included in len) sent at now_us. */
void rtcp_tx_packet(struct rtcp_tx *t, const uint8_t *pkt, size_t len, int64_t now_us,
		    unsigned int clock);

/* Writes a compound report into buf: an SR for tx (its RTP timestamp extrapolated to now_us)
 * with the blocks, then an SDES with cname ("xrelay-SSRC" when NULL). Returns the length, 0
 * when tx has sent nothing or cap is too small. */
size_t rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_tx *tx,
		     const struct rtcp_block *blocks, unsigned int n_blocks, int64_t now_us);
/* Unix µs as an NTP timestamp (32.32). */
uint64_t rtcp_ntp_from_us(int64_t us);

/* The middle 32 bits of an NTP timestamp (what LSR carries). */
static inline uint32_t rtcp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

#endif
