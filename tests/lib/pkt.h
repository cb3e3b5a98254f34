/* SPDX-License-Identifier: GPL-2.0-only */
/* A packet builder for the BPF fixture tests: Ethernet, VLAN tags, IPv4/IPv6, UDP and media
 * payloads (RTP, RTCP, STUN, DTLS). It computes every length and checksum itself, with no code
 * shared with the program under test, and can be told to lie about lengths. libc only. */
#ifndef XRELAY_TEST_PKT_H
#define XRELAY_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PKT_MAX 2048

/* IPv4 flags/fragment offset field (host order), as in pkt.frag. */
#define PKT_DF 0x4000
#define PKT_MF 0x2000

enum pkt_csum {
	PKT_CSUM_FULL = 0, /* the correct UDP checksum (0 sent as 0xffff) */
	PKT_CSUM_ZERO,	   /* 0: "no checksum" (IPv4 only, legally) */
	PKT_CSUM_BAD,	   /* the correct one with its low bit flipped */
};

/* Lies told after the true values are computed; 0 tells the truth. The IPv4 header checksum
 * covers the lie (the header stays valid); the UDP checksum is computed over the bytes as sent
 * with the lying UDP length in the pseudo-header. */
struct pkt_lie {
	int ip_len;  /* added to the IPv4 total length / IPv6 payload length */
	int udp_len; /* added to the UDP length */
};

/* One frame. Zero-initialised fields take the defaults noted. */
struct pkt {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	int nvlan;	       /* 0..2 tags */
	uint16_t vlan_tci[2];  /* priority | VID */
	uint16_t vlan_tpid[2]; /* 0: 0x8100 */
	uint16_t ethertype;    /* 0: from family; set it (e.g. 0x0806) with family 0 */

	int family;	 /* 4, 6, or 0: payload follows the Ethernet header raw */
	const char *src; /* "10.0.1.2", "2001:db8:1::2" */
	const char *dst;
	uint8_t ttl;	  /* TTL / hop limit; 0: 64 */
	uint8_t tos;	  /* IPv4 TOS / IPv6 traffic class */
	uint32_t flow;	  /* IPv6 flow label */
	uint16_t ip_id;	  /* IPv4 identification */
	uint16_t frag;	  /* IPv4 PKT_DF | PKT_MF | offset (8-byte units) */
	int ip_opt_words; /* IPv4 options: 4-byte words (router alert, then NOPs), 0..10 */
	uint8_t proto;	  /* 0: UDP; otherwise payload is the whole L4 part, no header built */
	uint8_t ext_hdr;  /* IPv6, with ext_hdr_set: one 8-byte extension header of this type
			   * (0 is hop-by-hop) between the header and proto */
	bool ext_hdr_set;

	uint16_t sport, dport;
	enum pkt_csum csum;

	const uint8_t *payload; /* UDP payload (or L4 / L3 bytes, see above) */
	size_t payload_len;
	size_t pad;	 /* zero bytes after the IP packet (Ethernet padding) */
	size_t truncate; /* cut the frame to this length; 0: don't */
	struct pkt_lie lie;
};

/* Builds p into buf; returns the frame length or -EINVAL / -ENOSPC. */
int pkt_build(const struct pkt *p, uint8_t *buf, size_t cap);

/* Offsets of a frame built from p (before truncation): L3 header, L4 header, payload. */
struct pkt_offsets {
	size_t l3, l4, payload;
};
int pkt_offsets(const struct pkt *p, struct pkt_offsets *o);

/* Media payloads; each returns the length written, or 0 when cap is too small. */
/* RTP v2 with a 12-byte header and body bytes of a fixed pattern. */
size_t pkt_rtp(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
	       uint32_t ssrc, size_t body);
/* RTCP sender report (PT 200, no report blocks: 28 bytes) / receiver report (PT 201, 8). */
size_t pkt_rtcp_sr(uint8_t *buf, size_t cap, uint32_t ssrc);
size_t pkt_rtcp_rr(uint8_t *buf, size_t cap, uint32_t ssrc);
/* STUN binding request (RFC 5389 header, magic cookie, no attributes: 20 bytes). */
size_t pkt_stun_binding(uint8_t *buf, size_t cap, uint32_t txid_seed);
/* A DTLS 1.2 record: content type (22 = handshake), version, epoch, seq, length, body. */
size_t pkt_dtls_record(uint8_t *buf, size_t cap, uint8_t content_type, size_t body);

/* The Internet checksum of data, folded, starting from sum (host order, not inverted). */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);
/* The UDP checksum a frame's UDP header should carry (0 sent as 0xffff), computed over the
 * pseudo-header and the UDP length the header claims; -EINVAL when the frame is not
 * Ethernet[/VLAN]/IP/UDP or too short for what it claims. */
int pkt_udp_csum_expected(const uint8_t *frame, size_t len);
/* 0 when the frame's IPv4 header checksum and UDP checksum (unless IPv4 zero) are right,
 * -EBADMSG when one is wrong, -EINVAL when the frame cannot be parsed. */
int pkt_check_csums(const uint8_t *frame, size_t len);

/* Hex dump, 16 bytes a line; a '*' column marks lines that differ from other (NULL: none). */
void pkt_hexdump(FILE *f, const char *label, const uint8_t *buf, size_t len, const uint8_t *other,
		 size_t olen);
/* Both frames dumped, with the first differing offset. */
void pkt_dump_diff(FILE *f, const char *la, const uint8_t *a, size_t alen, const char *lb,
		   const uint8_t *b, size_t blen);

/* Parses "aa:bb:cc:dd:ee:ff"; 0 or -EINVAL. */
int pkt_mac(uint8_t mac[6], const char *s);

#endif
