// SPDX-License-Identifier: GPL-2.0-only
/* RTCP parser (RFC 3550 SR/RR/SDES/BYE/APP, RFC 4585 feedback, RFC 3611 XR RRTR/DLRR) for
 * compound and reduced-size (RFC 5506) packets. Every read is checked against the bytes left. */
#include "rtcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RTCP_HDR    4
#define BLOCK_SIZE  24 /* one SR/RR report block */
#define SENDER_INFO 20 /* NTP (8), RTP timestamp, packet count, octet count */

#define SDES_END   0
#define SDES_CNAME 1

#define XR_RRTR 4
#define XR_DLRR 5

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int fail(const char **err, const char *why)
{
	if (err)
		*err = why;
	return -EINVAL;
}

static void parse_block(struct rtcp_info *out, uint32_t reporter, const uint8_t *b)
{
	struct rtcp_block *blk;
	uint32_t lost;

	if (out->n_blocks_total++ >= RTCP_MAX_BLOCKS)
		return;
	blk = &out->blocks[out->n_blocks++];
	blk->reporter = reporter;
	blk->ssrc = get32(b);
	blk->fraction_lost = b[4];
	lost = (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	/* 24-bit two's complement: duplicates can make the count negative. */
	blk->cum_lost = lost & 0x800000 ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	blk->ext_seq = get32(b + 8);
	blk->jitter = get32(b + 12);
	blk->lsr = get32(b + 16);
	blk->dlsr = get32(b + 20);
}

/* SR and RR: the reporter's SSRC, the sender info for an SR, then rc report blocks. Bytes past
 * the blocks are a profile-specific extension and are ignored. */
static int parse_report(struct rtcp_info *out, bool sr, unsigned int rc, const uint8_t *p,
			size_t len, const char **err)
{
	size_t head = 4 + (sr ? SENDER_INFO : 0);
	uint32_t ssrc;

	if (len < head)
		return fail(err, sr ? "SR too short" : "RR too short");
	if ((len - head) / BLOCK_SIZE < rc)
		return fail(err, "report block count past the length");
	ssrc = get32(p);
	if (sr && !out->has_sr) {
		out->has_sr = true;
		out->sr.ssrc = ssrc;
		out->sr.ntp = get64(p + 4);
		out->sr.rtp_ts = get32(p + 12);
		out->sr.packets = get32(p + 16);
		out->sr.octets = get32(p + 20);
	}
	for (unsigned int i = 0; i < rc; i++)
		parse_block(out, ssrc, p + head + (size_t)i * BLOCK_SIZE);
	return 0;
}

/* sc chunks of SSRC + items, each chunk ended by a null item and padded to 32 bits. */
static int parse_sdes(struct rtcp_info *out, unsigned int sc, const uint8_t *p, size_t len,
		      const char **err)
{
	size_t off = 0;

	for (unsigned int i = 0; i < sc; i++) {
		uint32_t ssrc;

		if (len - off < 4)
			return fail(err, "SDES chunk past the end");
		ssrc = get32(p + off);
		off += 4;
		for (;;) {
			uint8_t type, ilen;

			/* Tolerated: the last chunk ends with the packet, without its null item. */
			if (off == len && i + 1 == sc)
				break;
			if (len - off < 1)
				return fail(err, "SDES item past the end");
			type = p[off];
			if (type == SDES_END) {
				off = (off + 4) & ~(size_t)3; /* the null octet(s) up to 32 bits */
				if (off > len)
					return fail(err, "SDES item past the end");
				break;
			}
			if (len - off < 2 || len - off - 2 < p[off + 1])
				return fail(err, "SDES item past the end");
			ilen = p[off + 1];
			if (type == SDES_CNAME && !out->cname[0] && ilen) {
				memcpy(out->cname, p + off + 2, ilen);
				out->cname[ilen] = '\0';
				out->cname_ssrc = ssrc;
			}
			off += 2 + (size_t)ilen;
		}
	}
	out->has_sdes = true;
	return 0;
}

/* sc SSRCs, then an optional reason (length octet + text). */
static int parse_bye(struct rtcp_info *out, unsigned int sc, const uint8_t *p, size_t len,
		     const char **err)
{
	size_t off = (size_t)sc * 4;

	if (len < off)
		return fail(err, "BYE count past the length");
	if (off < len && len - off - 1 < p[off])
		return fail(err, "BYE reason past the end");
	out->has_bye = true;
	return 0;
}

/* The XR packet's SSRC, then blocks of type, type-specific octet, length in 32-bit words. */
static int parse_xr(struct rtcp_info *out, const uint8_t *p, size_t len, const char **err)
{
	size_t off = 4;
	uint32_t ssrc;

	if (len < 4)
		return fail(err, "XR too short");
	ssrc = get32(p);
	while (off < len) {
		uint8_t bt;
		size_t blen;

		if (len - off < 4)
			return fail(err, "XR block header past the end");
		bt = p[off];
		blen = (size_t)get16(p + off + 2) * 4;
		off += 4;
		if (len - off < blen)
			return fail(err, "XR block past the end");
		if (bt == XR_RRTR) {
			if (blen != 8)
				return fail(err, "bad XR RRTR block length");
			if (!out->has_xr_rrtr) {
				out->has_xr_rrtr = true;
				out->xr_rrtr_ssrc = ssrc;
				out->xr_rrtr_ntp = get64(p + off);
			}
		} else if (bt == XR_DLRR) {
			if (blen % 12)
				return fail(err, "bad XR DLRR block length");
			for (size_t s = 0; s < blen && out->n_dlrr < RTCP_MAX_BLOCKS; s += 12) {
				const uint8_t *d = p + off + s;

				out->dlrr[out->n_dlrr].reporter = ssrc;
				out->dlrr[out->n_dlrr].ssrc = get32(d);
				out->dlrr[out->n_dlrr].lrr = get32(d + 4);
				out->dlrr[out->n_dlrr].dlrr = get32(d + 8);
				out->n_dlrr++;
			}
		}
		off += blen;
	}
	return 0;
}

/* One packet's body (header and padding removed). */
static int parse_one(struct rtcp_info *out, uint8_t pt, unsigned int count, const uint8_t *p,
		     size_t len, const char **err)
{
	switch (pt) {
	case RTCP_SR:
	case RTCP_RR:
		return parse_report(out, pt == RTCP_SR, count, p, len, err);
	case RTCP_SDES:
		return parse_sdes(out, count, p, len, err);
	case RTCP_BYE:
		return parse_bye(out, count, p, len, err);
	case RTCP_APP:
		if (len < 8) /* SSRC, name */
			return fail(err, "APP too short");
		out->has_app = true;
		return 0;
	case RTCP_RTPFB:
	case RTCP_PSFB:
		if (len < 8) /* sender SSRC, media SSRC */
			return fail(err, "feedback too short");
		out->has_fb = true;
		return 0;
	case RTCP_XR:
		return parse_xr(out, p, len, err);
	default:
		return 0; /* unknown: skipped by its length */
	}
}

int rtcp_parse(const uint8_t *pkt, size_t len, struct rtcp_info *out, const char **err)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (!pkt || !len)
		return fail(err, "empty packet");
	while (off < len) {
		const uint8_t *h = pkt + off;
		size_t size, body;
		uint8_t pt;
		int ret;

		if (len - off < RTCP_HDR)
			return fail(err, "truncated header");
		if (h[0] >> 6 != 2)
			return fail(err, "bad version");
		pt = h[1];
		size = ((size_t)get16(h + 2) + 1) * 4;
		if (size > len - off)
			return fail(err, "length past the end");
		body = size - RTCP_HDR;
		if (h[0] & 0x20) {
			uint8_t pad = h[size - 1];

			/* RFC 3550 6.4.1: only the last packet of a compound may be padded. */
			if (off + size != len)
				return fail(err, "padding on a non-last packet");
			if (!pad || pad > body)
				return fail(err, "bad padding");
			body -= pad;
		}
		ret = parse_one(out, pt, h[0] & 0x1f, h + RTCP_HDR, body, err);
		if (ret)
			return ret;
		out->n_packets++;
		off += size;
	}
	return 0;
}

/* ---- reports of a terminated leg ---- */

#define NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900 to 1970 */

uint64_t rtcp_ntp_from_us(int64_t us)
{
	uint64_t sec = (uint64_t)(us / 1000000) + NTP_UNIX_OFFSET;
	uint64_t frac = ((uint64_t)(us % 1000000) << 32) / 1000000;

	return sec << 32 | frac;
}

void rtcp_rx_packet(struct rtcp_rx *r, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t arrival_us,
		    unsigned int clock)
{
	int64_t arrival = clock ? arrival_us * (int64_t)clock / 1000000 : 0;
	int64_t transit = arrival - (int64_t)ts, d;
	uint16_t delta;

	if (!r->init || r->ssrc != ssrc) {
		*r = (struct rtcp_rx){.init = true,
				      .ssrc = ssrc,
				      .max_seq = seq,
				      .base_seq = seq,
				      .received = 1,
				      .transit = transit};
		return;
	}
	r->received++;
	delta = (uint16_t)(seq - r->max_seq);
	if (delta && delta < 0x8000) {
		if (seq < r->max_seq)
			r->cycles += 1u << 16;
		r->max_seq = seq;
	}
	/* A.8: J += (|D| - J) / 16, kept as 16 * J. */
	d = transit - r->transit;
	r->transit = transit;
	if (d < 0)
		d = -d;
	if (d > 0x7fffffff)
		d = 0x7fffffff;
	r->jitter16 += (uint32_t)d - ((r->jitter16 + 8) >> 4);
}

bool rtcp_rx_block(struct rtcp_rx *r, struct rtcp_block *b)
{
	uint32_t ext = r->cycles + r->max_seq;
	int64_t expected, lost, exp_int, rec_int, lost_int;

	if (!r->init)
		return false;
	expected = (int64_t)ext - r->base_seq + 1;
	lost = expected - r->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	exp_int = expected - r->expected_prior;
	rec_int = (int64_t)r->received - r->received_prior;
	lost_int = exp_int - rec_int;
	r->expected_prior = (uint32_t)expected;
	r->received_prior = r->received;
	*b = (struct rtcp_block){
		.ssrc = r->ssrc,
		.fraction_lost =
			exp_int > 0 && lost_int > 0 ? (uint8_t)((lost_int << 8) / exp_int) : 0,
		.cum_lost = (int32_t)lost,
		.ext_seq = ext,
		.jitter = r->jitter16 >> 4,
	};
	return true;
}

void rtcp_tx_packet(struct rtcp_tx *t, const uint8_t *pkt, size_t len, int64_t now_us,
		    unsigned int clock)
{
	size_t hdr;

	if (len < 12)
		return;
	hdr = 12 + 4 * (size_t)(pkt[0] & 0x0f);
	t->init = true;
	t->ssrc = get32(pkt + 8);
	t->packets++;
	t->octets += len > hdr ? (uint32_t)(len - hdr) : 0;
	t->last_ts = get32(pkt + 4);
	t->last_us = now_us;
	t->clock = clock;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_tx *tx,
		     const struct rtcp_block *blocks, unsigned int n_blocks, int64_t now_us)
{
	uint64_t ntp = rtcp_ntp_from_us(now_us);
	size_t sr_len, sdes_len, cname_len;
	char cname[32];
	uint8_t *p;

	if (!tx->init)
		return 0;
	if (n_blocks > 31)
		n_blocks = 31;
	snprintf(cname, sizeof(cname), "xrelay-%08x", tx->ssrc);
	cname_len = strlen(cname);
	sr_len = 28 + 24 * (size_t)n_blocks;
	/* SSRC, CNAME item (type, length, text), END, padded to 32 bits. */
	sdes_len = (4 + 4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
	if (sr_len + sdes_len > cap)
		return 0;
	p = buf;
	p[0] = (uint8_t)(0x80 | n_blocks);
	p[1] = RTCP_SR;
	put16(p + 2, (uint16_t)(sr_len / 4 - 1));
	put32(p + 4, tx->ssrc);
	put32(p + 8, (uint32_t)(ntp >> 32));
	put32(p + 12, (uint32_t)ntp);
	put32(p + 16,
	      tx->last_ts + (uint32_t)((now_us - tx->last_us) * (int64_t)tx->clock / 1000000));
	put32(p + 20, tx->packets);
	put32(p + 24, tx->octets);
	p += 28;
	for (unsigned int i = 0; i < n_blocks; i++, p += 24) {
		const struct rtcp_block *b = &blocks[i];

		put32(p, b->ssrc);
		put32(p + 4, (uint32_t)b->fraction_lost << 24 | ((uint32_t)b->cum_lost & 0xffffff));
		put32(p + 8, b->ext_seq);
		put32(p + 12, b->jitter);
		put32(p + 16, b->lsr);
		put32(p + 20, b->dlsr);
	}
	memset(p, 0, sdes_len);
	p[0] = 0x81;
	p[1] = RTCP_SDES;
	put16(p + 2, (uint16_t)(sdes_len / 4 - 1));
	put32(p + 4, tx->ssrc);
	p[8] = 1; /* CNAME */
	p[9] = (uint8_t)cname_len;
	memcpy(p + 10, cname, cname_len);
	return sr_len + sdes_len;
}
