// SPDX-License-Identifier: GPL-2.0-only
/* The test packet builder: frames from a struct pkt, with lengths and full checksums computed
 * here from scratch (never incrementally), so a program that updates them incrementally is
 * checked against an independent answer. */
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define ETH_HLEN_   14
#define VLAN_HLEN_  4
#define IP4_HLEN_   20
#define IP6_HLEN_   40
#define UDP_HLEN_   8
#define EXT_HLEN_   8
#define PROTO_UDP_  17
#define ETYPE_IP4_  0x0800
#define ETYPE_IP6_  0x86dd
#define ETYPE_VLAN_ 0x8100

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += get16(p + i);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)p[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int parse_ip(int family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!s)
		return -EINVAL;
	return inet_pton(family == 4 ? AF_INET : AF_INET6, s, out) == 1 ? 0 : -EINVAL;
}

static size_t l2_len(const struct pkt *p)
{
	return ETH_HLEN_ + (size_t)p->nvlan * VLAN_HLEN_;
}

static size_t l3_hlen(const struct pkt *p)
{
	if (p->family == 4)
		return IP4_HLEN_ + (size_t)p->ip_opt_words * 4;
	if (p->family == 6)
		return IP6_HLEN_ + (p->ext_hdr_set ? EXT_HLEN_ : 0);
	return 0;
}

static bool is_udp(const struct pkt *p)
{
	return p->family && (p->proto == 0 || p->proto == PROTO_UDP_);
}

int pkt_offsets(const struct pkt *p, struct pkt_offsets *o)
{
	if (p->nvlan < 0 || p->nvlan > 2 || p->ip_opt_words < 0 || p->ip_opt_words > 10)
		return -EINVAL;
	if (p->family != 0 && p->family != 4 && p->family != 6)
		return -EINVAL;
	o->l3 = l2_len(p);
	o->l4 = o->l3 + l3_hlen(p);
	o->payload = o->l4 + (is_udp(p) ? UDP_HLEN_ : 0);
	return 0;
}

/* The pseudo-header sum: addresses, protocol, the UDP length as the header claims it. */
static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, uint32_t udp_len)
{
	uint8_t ph[40];
	size_t alen = family == 4 ? 4 : 16;

	memcpy(ph, src, alen);
	memcpy(ph + alen, dst, alen);
	uint32_t sum = pkt_csum_add(0, ph, 2 * alen);
	sum += PROTO_UDP_;
	sum += udp_len & 0xffff;
	sum += udp_len >> 16;
	return sum;
}

static void build_l2(const struct pkt *p, uint8_t *b)
{
	uint16_t etype = p->ethertype;
	size_t off = 12;
	int i;

	if (!etype)
		etype = p->family == 6 ? ETYPE_IP6_ : ETYPE_IP4_;
	memcpy(b, p->eth_dst, 6);
	memcpy(b + 6, p->eth_src, 6);
	for (i = 0; i < p->nvlan; i++) {
		put16(b + off, p->vlan_tpid[i] ? p->vlan_tpid[i] : ETYPE_VLAN_);
		put16(b + off + 2, p->vlan_tci[i]);
		off += 4;
	}
	put16(b + off, etype);
}

static void build_ip4(const struct pkt *p, uint8_t *ip, const uint8_t *src, const uint8_t *dst,
		      size_t l3_total)
{
	size_t hlen = l3_hlen(p);
	int i;

	ip[0] = 0x40 | (uint8_t)(hlen / 4);
	ip[1] = p->tos;
	put16(ip + 2, (uint16_t)((int)l3_total + p->lie.ip_len));
	put16(ip + 4, p->ip_id);
	put16(ip + 6, p->frag);
	ip[8] = p->ttl ? p->ttl : 64;
	ip[9] = p->proto ? p->proto : PROTO_UDP_;
	put16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	for (i = 0; i < p->ip_opt_words; i++) {
		uint8_t *o = ip + IP4_HLEN_ + 4 * i;

		if (i == 0) { /* router alert: a common, harmless option */
			o[0] = 0x94;
			o[1] = 4;
			o[2] = 0;
			o[3] = 0;
		} else {
			memset(o, 1, 4); /* NOP */
		}
	}
	put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, hlen)));
}

static void build_ip6(const struct pkt *p, uint8_t *ip, const uint8_t *src, const uint8_t *dst,
		      size_t l3_payload)
{
	uint8_t l4proto = p->proto ? p->proto : PROTO_UDP_;

	put32(ip, 6u << 28 | (uint32_t)p->tos << 20 | (p->flow & 0xfffff));
	put16(ip + 4, (uint16_t)((int)l3_payload + p->lie.ip_len));
	ip[6] = p->ext_hdr_set ? p->ext_hdr : l4proto;
	ip[7] = p->ttl ? p->ttl : 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	if (p->ext_hdr_set) {
		uint8_t *e = ip + IP6_HLEN_;

		/* next header, length 0 (8 bytes), then a PadN option filling the rest */
		e[0] = l4proto;
		e[1] = 0;
		e[2] = 1;
		e[3] = 4;
		memset(e + 4, 0, 4);
	}
}

int pkt_build(const struct pkt *p, uint8_t *buf, size_t cap)
{
	uint8_t src[16], dst[16];
	struct pkt_offsets o;
	size_t l4_len, len;

	if (!p || !buf || pkt_offsets(p, &o) || (p->payload_len && !p->payload))
		return -EINVAL;
	if (p->family && (parse_ip(p->family, p->src, src) || parse_ip(p->family, p->dst, dst)))
		return -EINVAL;
	len = o.payload + p->payload_len + p->pad;
	if (len > cap || len > 0xffff + o.l3)
		return -ENOSPC;
	memset(buf, 0, len);
	build_l2(p, buf);
	memcpy(buf + o.payload, p->payload, p->payload_len);
	if (!p->family)
		goto done;

	l4_len = o.payload - o.l4 + p->payload_len;
	if (is_udp(p)) {
		uint8_t *udp = buf + o.l4;
		uint32_t ulen = (uint32_t)((int)l4_len + p->lie.udp_len) & 0xffff;
		uint16_t c;

		put16(udp, p->sport);
		put16(udp + 2, p->dport);
		put16(udp + 4, (uint16_t)ulen);
		put16(udp + 6, 0);
		c = pkt_csum_fold(pkt_csum_add(pseudo_sum(p->family, src, dst, ulen), udp, l4_len));
		if (c == 0)
			c = 0xffff;
		if (p->csum == PKT_CSUM_ZERO)
			c = 0;
		else if (p->csum == PKT_CSUM_BAD)
			c ^= 1;
		put16(udp + 6, c);
	}
	if (p->family == 4)
		build_ip4(p, buf + o.l3, src, dst, o.l4 - o.l3 + l4_len);
	else
		build_ip6(p, buf + o.l3, src, dst, o.l4 - o.l3 - IP6_HLEN_ + l4_len);
done:
	if (p->truncate && p->truncate < len)
		len = p->truncate;
	return (int)len;
}

size_t pkt_rtp(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
	       uint32_t ssrc, size_t body)
{
	size_t i;

	if (cap < 12 + body)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put16(buf + 2, seq);
	put32(buf + 4, ts);
	put32(buf + 8, ssrc);
	for (i = 0; i < body; i++)
		buf[12 + i] = (uint8_t)(0xd5 ^ i); /* not all zero: a wrong offset shows */
	return 12 + body;
}

static size_t rtcp_hdr(uint8_t *buf, size_t cap, uint8_t pt, size_t len, uint32_t ssrc)
{
	if (cap < len)
		return 0;
	memset(buf, 0, len);
	buf[0] = 0x80; /* v2, no padding, no report blocks */
	buf[1] = pt;
	put16(buf + 2, (uint16_t)(len / 4 - 1));
	put32(buf + 4, ssrc);
	return len;
}

size_t pkt_rtcp_sr(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	size_t n = rtcp_hdr(buf, cap, 200, 28, ssrc);

	if (n) {
		put32(buf + 8, 0xe8a5c0de); /* NTP seconds */
		put32(buf + 12, 0x10000000);
		put32(buf + 16, 160000); /* RTP timestamp */
		put32(buf + 20, 1000);	 /* packets */
		put32(buf + 24, 160000); /* octets */
	}
	return n;
}

size_t pkt_rtcp_rr(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	return rtcp_hdr(buf, cap, 201, 8, ssrc);
}

size_t pkt_stun_binding(uint8_t *buf, size_t cap, uint32_t txid_seed)
{
	if (cap < 20)
		return 0;
	put16(buf, 0x0001); /* binding request */
	put16(buf + 2, 0);  /* no attributes */
	put32(buf + 4, 0x2112a442);
	put32(buf + 8, txid_seed);
	put32(buf + 12, txid_seed ^ 0x5a5a5a5a);
	put32(buf + 16, ~txid_seed);
	return 20;
}

size_t pkt_dtls_record(uint8_t *buf, size_t cap, uint8_t content_type, size_t body)
{
	size_t i;

	if (cap < 13 + body || body > 0xffff)
		return 0;
	buf[0] = content_type;
	put16(buf + 1, 0xfefd); /* DTLS 1.2 */
	put16(buf + 3, 0);	/* epoch */
	memset(buf + 5, 0, 6);	/* sequence number */
	put16(buf + 11, (uint16_t)body);
	for (i = 0; i < body; i++)
		buf[13 + i] = (uint8_t)i;
	return 13 + body;
}

/* Walks Ethernet, up to two VLAN tags, IPv4 without options or IPv6 without extension headers,
 * to the UDP header. Lengths come from the headers; they must fit the frame. */
struct parsed {
	int family;
	const uint8_t *ip, *udp;
	size_t udp_len;
};

static int parse_frame(const uint8_t *f, size_t len, struct parsed *r)
{
	size_t off = 12;
	uint16_t etype;

	if (len < ETH_HLEN_)
		return -EINVAL;
	etype = get16(f + off);
	while ((etype == ETYPE_VLAN_ || etype == 0x88a8) && off < 12 + 2 * VLAN_HLEN_) {
		off += VLAN_HLEN_;
		if (len < off + 2)
			return -EINVAL;
		etype = get16(f + off);
	}
	off += 2;
	r->ip = f + off;
	if (etype == ETYPE_IP4_) {
		size_t hlen, tot;

		if (len < off + IP4_HLEN_)
			return -EINVAL;
		hlen = (size_t)(r->ip[0] & 0xf) * 4;
		tot = get16(r->ip + 2);
		if (r->ip[9] != PROTO_UDP_ || hlen < IP4_HLEN_ || tot < hlen + UDP_HLEN_ ||
		    off + tot > len)
			return -EINVAL;
		r->family = 4;
		r->udp = r->ip + hlen;
	} else if (etype == ETYPE_IP6_) {
		if (len < off + IP6_HLEN_ + UDP_HLEN_ || r->ip[6] != PROTO_UDP_)
			return -EINVAL;
		r->family = 6;
		r->udp = r->ip + IP6_HLEN_;
	} else {
		return -EINVAL;
	}
	r->udp_len = get16(r->udp + 4);
	if (r->udp_len < UDP_HLEN_ || (size_t)(r->udp - f) + r->udp_len > len)
		return -EINVAL;
	return 0;
}

int pkt_udp_csum_expected(const uint8_t *frame, size_t len)
{
	struct parsed r;
	const uint8_t *src, *dst;
	uint32_t sum;
	uint16_t c;

	if (parse_frame(frame, len, &r))
		return -EINVAL;
	src = r.ip + (r.family == 4 ? 12 : 8);
	dst = r.ip + (r.family == 4 ? 16 : 24);
	/* the header without its checksum field, then the payload (even offset: same sum) */
	sum = pseudo_sum(r.family, src, dst, (uint32_t)r.udp_len);
	sum = pkt_csum_add(sum, r.udp, 6);
	sum = pkt_csum_add(sum, r.udp + UDP_HLEN_, r.udp_len - UDP_HLEN_);
	c = pkt_csum_fold(sum);
	return c ? c : 0xffff;
}

int pkt_check_csums(const uint8_t *frame, size_t len)
{
	struct parsed r;
	int want;

	if (parse_frame(frame, len, &r))
		return -EINVAL;
	if (r.family == 4 && pkt_csum_fold(pkt_csum_add(0, r.ip, (size_t)(r.ip[0] & 0xf) * 4)))
		return -EBADMSG;
	if (r.family == 4 && get16(r.udp + 6) == 0)
		return 0;
	want = pkt_udp_csum_expected(frame, len);
	return want == get16(r.udp + 6) ? 0 : -EBADMSG;
}

void pkt_hexdump(FILE *f, const char *label, const uint8_t *buf, size_t len, const uint8_t *other,
		 size_t olen)
{
	size_t i, j;

	fprintf(f, "%s (%zu bytes):\n", label, len);
	for (i = 0; i < len; i += 16) {
		bool differs = false;

		for (j = i; j < i + 16 && j < len; j++)
			if (other && (j >= olen || other[j] != buf[j]))
				differs = true;
		if (other && i + 16 > len && olen > len)
			differs = true;
		fprintf(f, "%c %04zx:", differs ? '*' : ' ', i);
		for (j = i; j < i + 16; j++) {
			if (j < len)
				fprintf(f, "%s%02x", j % 8 == 0 ? "  " : " ", buf[j]);
			else
				fprintf(f, "%s  ", j % 8 == 0 ? "  " : " ");
		}
		fprintf(f, "  |");
		for (j = i; j < i + 16 && j < len; j++)
			fputc(buf[j] >= 0x20 && buf[j] < 0x7f ? buf[j] : '.', f);
		fprintf(f, "|\n");
	}
}

void pkt_dump_diff(FILE *f, const char *la, const uint8_t *a, size_t alen, const char *lb,
		   const uint8_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	if (i == n && alen == blen)
		fprintf(f, "frames identical (%zu bytes)\n", alen);
	else
		fprintf(f, "first difference at offset %zu (0x%zx); lengths %zu vs %zu\n", i, i,
			alen, blen);
	pkt_hexdump(f, la, a, alen, b, blen);
	pkt_hexdump(f, lb, b, blen, a, alen);
}

int pkt_mac(uint8_t mac[6], const char *s)
{
	unsigned int v[6];
	char end;
	int i;

	if (!s ||
	    sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}
