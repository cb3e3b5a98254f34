// SPDX-License-Identifier: GPL-2.0-only
/* Random and mutated frames through the real XDP program (BPF_PROG_RUN), each judged by an
 * oracle written from docs/xdp.md alone: a forwarded frame must be exactly the documented
 * rewrite, anything else must come back byte for byte, with the verdict and reason predicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "kernel.h"
#include "pkt.h"
#include "xdp_lab.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The lab: the same shape as test_xdp.c's, in a namespace of its own. xrc is not attached, so
 * it is not in the redirect map. */
enum dev { D_A, D_B, D_C, D_N };
static const struct xdp_lab_dev devs[D_N] = {
	[D_A] = {"xra", "xpa", "02:00:00:00:0a:01", "10.0.1.1/24", "2001:db8:1::1/64", true},
	[D_B] = {"xrb", "xpb", "02:00:00:00:0b:01", "10.0.2.1/24", "2001:db8:2::1/64", true},
	[D_C] = {"xrc", "xpc", "02:00:00:00:0c:01", "10.0.3.1/24", "2001:db8:3::1/64", false},
};
static int ifindex[D_N];
static uint8_t dev_mac[D_N][6];

/* Static neighbours; 10.0.2.9 and 2001:db8:2::9 are on-link without one, 198.51.100.7 and
 * 2001:db8:ff::7 have no route, 10.0.2.1 and 2001:db8:2::1 are the relay's own. */
static const struct xdp_lab_neigh neighs[] = {
	{"10.0.1.2", "02:00:00:01:01:02", D_A},	     {"10.0.1.3", "02:00:00:01:01:03", D_A},
	{"10.0.2.2", "02:00:00:01:02:02", D_B},	     {"10.0.3.2", "02:00:00:01:03:02", D_C},
	{"2001:db8:1::2", "02:00:00:01:61:02", D_A}, {"2001:db8:1::3", "02:00:00:01:61:03", D_A},
	{"2001:db8:2::2", "02:00:00:01:62:02", D_B}, {"2001:db8:3::2", "02:00:00:01:63:02", D_C},
};

#define LAB_MTU 1500 /* veth default: a longer IP packet is FRAG_NEEDED, punted fib */

static const uint32_t pt_v4[4] = {1u << 0 | 1u << 8, 0, 0, 1u << 0 | 1u << 5 | 1u << 31};
static const uint32_t pt_v6[4] = {1u << 8, 0, 0, 1u << 0};

/* Forwarding entries. unrouted: what the FIB answers for new_dst when the neighbour table
 * above has no entry for it (0: it has one). xlate, pt_in, pt_out: the G.711 translation. */
static const struct fentry {
	const char *name;
	struct xdp_lab_side local, peer, new_src, new_dst;
	uint32_t flags;
	const uint32_t *pt_allow;
	enum xr_counter unrouted;
	uint8_t xlate, pt_in, pt_out;
} entries[] = {
/* one entry per line where it fits: clang-format would spread each over six */
/* clang-format off */
#define V4_AB(port, dst) {"10.0.1.1", 20000 + (port)}, {"10.0.1.2", 5000 + (port)}, \
	{"10.0.2.1", 30000 + (port)}, {dst, 6000 + (port)}
#define V6_AB(port, dst) {"2001:db8:1::1", 20100 + (port)}, {"2001:db8:1::2", 5100 + (port)}, \
	{"2001:db8:2::1", 30100 + (port)}, {dst, 6100 + (port)}
#define RTP_RTCP .flags = XR_F_RTP | XR_F_RTCP
	{"v4", V4_AB(0, "10.0.2.2"), RTP_RTCP},
	{"v4 tx", {"10.0.1.1", 20002}, {"10.0.1.2", 5002}, {"10.0.1.1", 20004}, {"10.0.1.3", 7002},
	 RTP_RTCP},
	{"v4 back", {"10.0.2.1", 30000}, {"10.0.2.2", 6000}, {"10.0.1.1", 20000},
	 {"10.0.1.2", 5000}, RTP_RTCP},
	{"v4 strict", V4_AB(10, "10.0.2.2"), .flags = XR_F_RTP | XR_F_STRICT_SOURCE},
	{"v4 pt", V4_AB(12, "10.0.2.2"), RTP_RTCP, .pt_allow = pt_v4},
	{"v4 no rtcp", V4_AB(14, "10.0.2.2"), .flags = XR_F_RTP},
	{"v4 rtcp only", V4_AB(16, "10.0.2.2"), .flags = XR_F_RTCP},
	{"v4 any", {"10.0.1.1", 20018}, {NULL, 0}, {"10.0.2.1", 30018}, {"10.0.2.2", 6018},
	 .flags = XR_F_RTP | XR_F_RTCP | XR_F_ANY_SOURCE},
	{"v4 any strict", {"10.0.1.1", 20020}, {NULL, 0}, {"10.0.2.1", 30020}, {"10.0.2.2", 6020},
	 .flags = XR_F_RTP | XR_F_ANY_SOURCE | XR_F_STRICT_SOURCE},
	{"v4 no neighbour", V4_AB(22, "10.0.2.9"), RTP_RTCP, .unrouted = XR_C_PUNT_NO_NEIGH},
	{"v4 no route", V4_AB(24, "198.51.100.7"), .flags = XR_F_RTP, .unrouted = XR_C_PUNT_FIB},
	{"v4 local", V4_AB(26, "10.0.2.1"), .flags = XR_F_RTP, .unrouted = XR_C_PUNT_FIB},
	{"v4 egress not attached", {"10.0.1.1", 20028}, {"10.0.1.2", 5028}, {"10.0.3.1", 30028},
	 {"10.0.3.2", 6028}, RTP_RTCP},
	{"v4 nothing", V4_AB(30, "10.0.2.2"), .flags = 0},
	{"v4 transform", V4_AB(32, "10.0.2.2"), .flags = XR_F_RTP | XR_F_RTCP | XR_F_TRANSFORM},
	{"v6", V6_AB(0, "2001:db8:2::2"), RTP_RTCP},
	{"v6 tx", {"2001:db8:1::1", 20102}, {"2001:db8:1::2", 5102}, {"2001:db8:1::1", 20104},
	 {"2001:db8:1::3", 7102}, RTP_RTCP},
	{"v6 back", {"2001:db8:2::1", 30100}, {"2001:db8:2::2", 6100}, {"2001:db8:1::1", 20100},
	 {"2001:db8:1::2", 5100}, RTP_RTCP},
	{"v6 strict", V6_AB(10, "2001:db8:2::2"), .flags = XR_F_RTP | XR_F_STRICT_SOURCE},
	{"v6 pt", V6_AB(12, "2001:db8:2::2"), .flags = XR_F_RTP, .pt_allow = pt_v6},
	{"v6 any", {"2001:db8:1::1", 20118}, {NULL, 0}, {"2001:db8:2::1", 30118},
	 {"2001:db8:2::2", 6118}, .flags = XR_F_RTP | XR_F_RTCP | XR_F_ANY_SOURCE},
	{"v6 no neighbour", V6_AB(20, "2001:db8:2::9"), .flags = XR_F_RTP,
	 .unrouted = XR_C_PUNT_NO_NEIGH},
	{"v6 no route", V6_AB(22, "2001:db8:ff::7"), .flags = XR_F_RTP, .unrouted = XR_C_PUNT_FIB},
	{"v6 egress not attached", {"2001:db8:1::1", 20124}, {"2001:db8:1::2", 5124},
	 {"2001:db8:3::1", 30124}, {"2001:db8:3::2", 6124}, .flags = XR_F_RTP},
	{"v4 pcmu->pcma", V4_AB(34, "10.0.2.2"), RTP_RTCP, .xlate = XR_XLATE_ULAW_ALAW,
	 .pt_in = 0, .pt_out = 8},
	{"v4 pcma->pcmu, pt", V4_AB(36, "10.0.2.2"), .flags = XR_F_RTP, .pt_allow = pt_v4,
	 .xlate = XR_XLATE_ALAW_ULAW, .pt_in = 8, .pt_out = 0},
	{"v4 pt 111 u->a as 8", V4_AB(38, "10.0.2.2"), RTP_RTCP, .xlate = XR_XLATE_ULAW_ALAW,
	 .pt_in = 111, .pt_out = 8},
	{"v4 tx pcmu->pcma", {"10.0.1.1", 20040}, {"10.0.1.2", 5040}, {"10.0.1.1", 20042},
	 {"10.0.1.3", 7040}, RTP_RTCP, .xlate = XR_XLATE_ULAW_ALAW, .pt_in = 0, .pt_out = 8},
	{"v6 pcmu->pcma", V6_AB(26, "2001:db8:2::2"), RTP_RTCP, .xlate = XR_XLATE_ULAW_ALAW,
	 .pt_in = 0, .pt_out = 8},
	{"v6 pcma->pcmu", V6_AB(28, "2001:db8:2::2"), RTP_RTCP, .xlate = XR_XLATE_ALAW_ULAW,
	 .pt_in = 8, .pt_out = 0},
	/* the v4 entry's port on the v6 address: the family is part of the key */
	{"v6 on the v4 port", {"2001:db8:1::1", 20000}, {"2001:db8:1::2", 5000},
	 {"2001:db8:2::1", 30000}, {"2001:db8:2::2", 6000}, RTP_RTCP},
#undef V4_AB
#undef V6_AB
#undef RTP_RTCP
	/* clang-format on */
};
#define N_ENTRIES ARRAY_SIZE(entries)

/* The entries in wire form, for the oracle. */
struct wire_entry {
	int family;
	uint8_t local[16], peer[16], new_src[16], new_dst[16];
	uint16_t lport, pport, nsport, ndport;
	bool routed;
	enum dev egress;
	uint8_t dmac[6];
	uint64_t packets, bytes; /* what the oracle expects the counters to hold */
};
static struct wire_entry wire[N_ENTRIES];

/* Addresses the generator draws from: the lab's, near misses (one word differs), and ones that
 * alias an IPv4 key's addr[0] in IPv6. */
static const char *const pool4[] = {"10.0.1.1", "10.0.1.2", "10.0.1.3",
				    "10.0.2.1", "10.0.2.2", "10.0.1.9",
				    "10.0.3.1", "0.0.0.0",  "255.255.255.255"};
static const char *const pool6[] = {
	"2001:db8:1::1",   "2001:db8:1::2", "2001:db8:1::3",	 "2001:db8:2::1",
	"2001:db8:2::2",   "2001:db8:3::1", "2001:db9:1::1",	 "2001:db8:1:0:1::1",
	"::ffff:10.0.1.1", "a00:101::",	    "2001:db8:1::1:0:2", "::",
};
static uint8_t pool4_w[ARRAY_SIZE(pool4)][4], pool6_w[ARRAY_SIZE(pool6)][16];

/* ---- the lab ---- */

static int ip_wire(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!s)
		return 0;
	return inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

/* The oracle's copy of the entries, and its idea of the routes: the neighbour table. */
static int wire_setup(void)
{
	int fail = 0;

	for (int d = 0; d < D_N; d++)
		fail |= pkt_mac(dev_mac[d], devs[d].mac);
	for (size_t i = 0; i < N_ENTRIES; i++) {
		const struct fentry *e = &entries[i];
		struct wire_entry *w = &wire[i];

		memset(w, 0, sizeof(*w));
		w->family = strchr(e->local.ip, ':') ? 6 : 4;
		fail |= ip_wire(e->local.ip, w->local) | ip_wire(e->peer.ip, w->peer) |
			ip_wire(e->new_src.ip, w->new_src) | ip_wire(e->new_dst.ip, w->new_dst);
		w->lport = e->local.port;
		w->pport = e->peer.port;
		w->nsport = e->new_src.port;
		w->ndport = e->new_dst.port;
		for (size_t n = 0; n < ARRAY_SIZE(neighs); n++)
			if (!strcmp(neighs[n].ip, e->new_dst.ip)) {
				w->routed = true;
				w->egress = neighs[n].dev;
				fail |= pkt_mac(w->dmac, neighs[n].mac);
			}
		if (w->routed == !!e->unrouted) {
			fprintf(stderr, "entry '%s': routed and unrouted disagree\n", e->name);
			fail = 1;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(pool4); i++)
		fail |= ip_wire(pool4[i], pool4_w[i]);
	for (size_t i = 0; i < ARRAY_SIZE(pool6); i++)
		fail |= ip_wire(pool6[i], pool6_w[i]);
	return fail ? -1 : 0;
}

static int lab_setup(void **state)
{
	char pin_root[64];

	if (wire_setup())
		return -1;
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/xrelay-fuzz-%d", (int)getpid());
	if (xdp_lab_net_setup(devs, D_N, neighs, ARRAY_SIZE(neighs), ifindex) ||
	    xdp_lab_kernel_open(pin_root, devs, D_N, ifindex, NULL))
		return -1;
	for (size_t i = 0; i < N_ENTRIES; i++) {
		struct kernel_fwd f = {
			.local = xdp_lab_ep(entries[i].local),
			.peer = xdp_lab_ep(entries[i].peer),
			.new_src = xdp_lab_ep(entries[i].new_src),
			.new_dst = xdp_lab_ep(entries[i].new_dst),
			.flags = entries[i].flags,
			.pt_allow = entries[i].pt_allow,
			.xlate = entries[i].xlate,
			.xlate_pt_in = entries[i].pt_in,
			.xlate_pt_out = entries[i].pt_out,
		};
		int ret = kernel_fwd_install(&f);

		if (ret) {
			fprintf(stderr, "setup: kernel_fwd_install(%s): %s\n", entries[i].name,
				strerror(-ret));
			return -1;
		}
	}
	return 0;
}

static int lab_teardown(void **state)
{
	xdp_lab_kernel_close();
	return 0;
}

/* ---- the oracle: docs/xdp.md, "Verdicts, in the order they are decided" ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

struct verdict {
	int action;		/* XDP_* */
	enum xr_counter reason; /* PASS/DROP: the reason; TX/REDIRECT: XR_C_TX/XR_C_REDIRECT */
	int entry;		/* forwarded: the entry */
	size_t l3, l4;		/* offsets, once parsed */
	int family;
	size_t n;   /* UDP payload length */
	bool rtcp;  /* forwarded as RTCP */
	bool xlate; /* forwarded RTP whose payload the entry translates */
	int egress; /* enum dev */
};

static enum xr_counter punt(struct verdict *v, enum xr_counter r)
{
	v->action = XDP_PASS;
	v->reason = r;
	return r;
}

static bool is_ipv6_ext(uint8_t nh)
{
	static const uint8_t ext[] = {0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254};

	for (size_t i = 0; i < sizeof(ext); i++)
		if (nh == ext[i])
			return true;
	return false;
}

static bool is_vlan(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8;
}

/* 1. Parse. 0, or the punt reason. */
static enum xr_counter oracle_parse(const uint8_t *f, size_t len, struct verdict *v)
{
	size_t off = 14;
	uint16_t etype;

	if (len < 14)
		return punt(v, XR_C_PUNT_MALFORMED);
	etype = get16(f + 12);
	if (is_vlan(etype)) {
		if (len < 18)
			return punt(v, XR_C_PUNT_MALFORMED);
		etype = get16(f + 16);
		off = 18;
		if (is_vlan(etype))
			return punt(v, XR_C_PUNT_NOT_IP);
	}
	v->l3 = off;
	if (etype == 0x0800) {
		const uint8_t *ip = f + off;
		size_t tot;

		if (len < off + 20 || ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
			return punt(v, XR_C_PUNT_MALFORMED);
		if (ip[9] != 17)
			return punt(v, XR_C_PUNT_NOT_UDP);
		if ((ip[0] & 0xf) > 5)
			return punt(v, XR_C_PUNT_IP_OPTIONS);
		if (get16(ip + 6) & 0x3fff)
			return punt(v, XR_C_PUNT_FRAGMENT);
		if (len < off + 28)
			return punt(v, XR_C_PUNT_MALFORMED);
		tot = get16(ip + 2);
		if (tot < 28 || off + tot > len || get16(ip + 24) != tot - 20)
			return punt(v, XR_C_PUNT_MALFORMED);
		v->family = 4;
		v->l4 = off + 20;
	} else if (etype == 0x86dd) {
		const uint8_t *ip = f + off;
		size_t plen;

		if (len < off + 40 || ip[0] >> 4 != 6)
			return punt(v, XR_C_PUNT_MALFORMED);
		if (is_ipv6_ext(ip[6]))
			return punt(v, XR_C_PUNT_IPV6_EXT);
		if (ip[6] != 17)
			return punt(v, XR_C_PUNT_NOT_UDP);
		if (len < off + 48)
			return punt(v, XR_C_PUNT_MALFORMED);
		plen = get16(ip + 4);
		if (plen < 8 || off + 40 + plen > len || get16(ip + 44) != plen)
			return punt(v, XR_C_PUNT_MALFORMED);
		v->family = 6;
		v->l4 = off + 40;
	} else {
		return punt(v, XR_C_PUNT_NOT_IP);
	}
	v->n = get16(f + v->l4 + 4) - 8u;
	return 0;
}

static bool pt_allowed(const struct fentry *e, uint8_t pt)
{
	return !e->pt_allow || (e->pt_allow[pt / 32] >> (pt % 32) & 1);
}

/* The whole decision for a frame arriving on ingress. */
static void oracle(const uint8_t *f, size_t len, enum dev ingress, struct verdict *v)
{
	const uint8_t *ip, *udp, *p;
	size_t alen, iplen;
	const struct fentry *e;
	const struct wire_entry *w;
	int i;

	memset(v, 0, sizeof(*v));
	v->entry = -1;
	if (oracle_parse(f, len, v))
		return;
	ip = f + v->l3;
	udp = f + v->l4;
	alen = v->family == 4 ? 4 : 16;

	/* 2. Lookup */
	for (i = 0; i < (int)N_ENTRIES; i++)
		if (wire[i].family == v->family && wire[i].lport == get16(udp + 2) &&
		    !memcmp(wire[i].local, ip + (v->family == 4 ? 16 : 24), alen))
			break;
	if (i == (int)N_ENTRIES) {
		punt(v, XR_C_PUNT_NO_ENTRY);
		return;
	}
	e = &entries[i];
	w = &wire[i];

	/* 3. Source */
	if (!(e->flags & XR_F_ANY_SOURCE) &&
	    (w->pport != get16(udp) || memcmp(w->peer, ip + (v->family == 4 ? 12 : 8), alen))) {
		if (e->flags & XR_F_STRICT_SOURCE) {
			v->action = XDP_DROP;
			v->reason = XR_C_DROP_STRICT_SOURCE;
		} else {
			punt(v, XR_C_PUNT_SOURCE);
		}
		return;
	}

	/* 4. Payload */
	p = udp + 8;
	if (e->flags & XR_F_TRANSFORM) {
		punt(v, XR_C_PUNT_TRANSFORM);
		return;
	}
	if (v->n == 0) {
		punt(v, XR_C_PUNT_NOT_RTP);
		return;
	}
	if (v->n < 8 || p[0] >> 6 != 2) {
		punt(v, p[0] <= 3 || (p[0] >= 20 && p[0] <= 63) ? XR_C_PUNT_STUN_DTLS
								: XR_C_PUNT_NOT_RTP);
		return;
	}
	if (p[1] >= 192 && p[1] <= 223) {
		if (!(e->flags & XR_F_RTCP)) {
			punt(v, XR_C_PUNT_RTCP);
			return;
		}
		v->rtcp = true;
	} else if (v->n < 12 || !(e->flags & XR_F_RTP)) {
		punt(v, XR_C_PUNT_NOT_RTP);
		return;
	} else if (!pt_allowed(e, p[1] & 0x7f)) {
		punt(v, XR_C_PUNT_PT);
		return;
	} else if (e->xlate && (p[1] & 0x7f) == e->pt_in) {
		/* translated: a plain 12-byte header, at most XR_XLATE_MAX_PAYLOAD bytes after it
		 */
		if (p[0] != 0x80 || v->n - 12 > XR_XLATE_MAX_PAYLOAD) {
			punt(v, XR_C_PUNT_XLATE);
			return;
		}
		v->xlate = true;
	}

	/* 5. Route: no route or a local destination, then the MTU, then the neighbour */
	iplen = v->family == 4 ? get16(ip + 2) : 40u + get16(ip + 4);
	if (e->unrouted == XR_C_PUNT_FIB || iplen > LAB_MTU) {
		punt(v, XR_C_PUNT_FIB);
		return;
	}
	if (!w->routed) {
		punt(v, e->unrouted);
		return;
	}

	/* 6. Egress */
	if (w->egress != ingress && !devs[w->egress].attach) {
		punt(v, XR_C_PUNT_REDIRECT);
		return;
	}
	v->entry = i;
	v->egress = w->egress;
	v->action = w->egress == ingress ? XDP_TX : XDP_REDIRECT;
	v->reason = w->egress == ingress ? XR_C_TX : XR_C_REDIRECT;
}

/* One's complement arithmetic modulo 0xffff, where 0x0000 and 0xffff are the same number. */
static uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s % 0xffff;
}

/* The checksum field that keeps the covered sum what it was (right stays right, wrong stays
 * wrong by the same amount) after the words summing to old_sum became new_sum. */
static uint32_t csum_carry(uint16_t field, uint32_t old_sum, uint32_t new_sum)
{
	return ((uint32_t)field % 0xffff + old_sum + 0xffff - new_sum) % 0xffff;
}

/* The rewrite the program must produce, into out. An IPv4 header checksum that comes out 0 is
 * written 0xffff here; the judge takes 0x0000 too (docs/xdp.md does not say which). */
static void oracle_rewrite(const uint8_t *in, size_t len, const struct verdict *v, uint8_t *out)
{
	const struct wire_entry *w = &wire[v->entry];
	uint8_t *ip = out + v->l3, *udp = out + v->l4;
	size_t alen = v->family == 4 ? 4 : 16, so = v->family == 4 ? 12 : 8;
	uint32_t old_sum, new_sum, c;

	memcpy(out, in, len);
	memcpy(out, w->dmac, 6);
	memcpy(out + 6, dev_mac[v->egress], 6);

	old_sum = (sum16(ip + so, 2 * alen) + sum16(udp, 4) + sum16(udp + 8, v->n)) % 0xffff;
	memcpy(ip + so, w->new_src, alen);
	memcpy(ip + so + alen, w->new_dst, alen);
	put16(udp, w->nsport);
	put16(udp + 2, w->ndport);
	if (v->xlate) {
		/* codec.c's tables, which test_xdp.c checks against G.711's */
		const struct fentry *e = &entries[v->entry];

		udp[9] = (uint8_t)((udp[9] & 0x80) | e->pt_out);
		for (size_t i = 12; i < v->n; i++)
			udp[8 + i] = e->xlate == XR_XLATE_ULAW_ALAW
					     ? codec_ulaw_to_alaw(udp[8 + i])
					     : codec_alaw_to_ulaw(udp[8 + i]);
	}
	new_sum = (sum16(ip + so, 2 * alen) + sum16(udp, 4) + sum16(udp + 8, v->n)) % 0xffff;

	/* UDP: IPv4 0 stays 0; otherwise carried, and a 0 result is written 0xffff */
	if (!(v->family == 4 && get16(udp + 6) == 0)) {
		c = csum_carry(get16(udp + 6), old_sum, new_sum);
		put16(udp + 6, c ? (uint16_t)c : 0xffff);
	}

	if (v->family == 4) {
		uint32_t hold = (sum16(in + v->l3 + 8, 2) + sum16(in + v->l3 + 12, 8)) % 0xffff;

		ip[8] = 64;
		c = csum_carry(get16(ip + 10), hold,
			       (sum16(ip + 8, 2) + sum16(ip + 12, 8)) % 0xffff);
		put16(ip + 10, c ? (uint16_t)c : 0xffff);
	} else {
		ip[7] = 64;
	}
}

/* ---- running one frame ---- */

struct tally {
	uint64_t runs, tx, redirect, pass, drop, failed, clean_udp_ok, xlated;
	uint64_t udp_out_ffff, udp_in_ffff, udp_in_zero; /* forwarded checksum edge cases */
	uint64_t reasons[XR_C_MAX];
};
static struct tally tally;
static uint64_t counters_prev[XR_C_MAX];
static struct xr_entry_stats stats_prev[N_ENTRIES];

static const char *action_name(int a)
{
	switch (a) {
	case XDP_PASS:
		return "PASS";
	case XDP_DROP:
		return "DROP";
	case XDP_TX:
		return "TX";
	case XDP_REDIRECT:
		return "REDIRECT";
	}
	return "?";
}

static void hex_line(FILE *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", b[i]);
	fputc('\n', out);
}

/* Whether a and b differ anywhere but in the IPv4 header and UDP checksums. */
static bool differs_but_csums(const uint8_t *a, const uint8_t *b, size_t len,
			      const struct verdict *v)
{
	size_t ipc = v->family == 4 ? v->l3 + 10 : v->l4 + 6, udpc = v->l4 + 6;

	if (ipc < udpc && memcmp(a + ipc + 2, b + ipc + 2, udpc - ipc - 2))
		return true;
	return memcmp(a, b, ipc) || memcmp(a + udpc + 2, b + udpc + 2, len - udpc - 2);
}

/* The judge's own test: flips a bit of the program's output at this offset (-1: none), and
 * keeps quiet about the failure that must follow. */
static long corrupt_at = -1;

/* Runs frame through the program and judges it. what names it in messages. */
static bool check_frame(const uint8_t *frame, size_t len, enum dev ingress, const char *what)
{
	uint8_t got[PKT_MAX + 512], want[PKT_MAX + 512];
	uint64_t now[XR_C_MAX];
	struct verdict v;
	enum xr_counter prog_reason = XR_C_MAX;
	int moved = 0;
	bool ok = true;
	const char *why = NULL;

	oracle(frame, len, ingress, &v);

	struct xdp_md ctx = {
		.data_end = (__u32)len,
		.ingress_ifindex = (__u32)ifindex[ingress],
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .data_out = got, .data_size_out = sizeof(got), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int ret = bpf_prog_test_run_opts(kernel_prog_fd(), &opts);

	if (corrupt_at >= 0 && (size_t)corrupt_at < opts.data_size_out)
		got[corrupt_at] ^= 0x10;
	tally.runs++;
	if (ret) {
		fprintf(stderr, "%s: bpf_prog_test_run_opts: %s\n", what, strerror(-ret));
		ok = false;
		goto out;
	}
	switch (opts.retval) {
	case XDP_TX:
		tally.tx++;
		break;
	case XDP_REDIRECT:
		tally.redirect++;
		break;
	case XDP_PASS:
		tally.pass++;
		break;
	case XDP_DROP:
		tally.drop++;
		break;
	}

	/* exactly one verdict and, for PASS/DROP, one reason, in the global counters */
	assert_int_equal(kernel_counters(now), 0);
	for (int c = XR_C_DROP + 1; c < XR_C_MAX; c++)
		if (now[c] != counters_prev[c]) {
			prog_reason = (enum xr_counter)c;
			moved++;
		}
	if (opts.retval == XDP_TX || opts.retval == XDP_REDIRECT)
		prog_reason = opts.retval == XDP_TX ? XR_C_TX : XR_C_REDIRECT;
	else if (moved != 1)
		why = "not exactly one reason counted";
	for (int c = 0; c < XR_C_MAX; c++) {
		uint64_t d = now[c] - counters_prev[c];
		bool want_d = (c == XR_C_TX && opts.retval == XDP_TX) ||
			      (c == XR_C_REDIRECT && opts.retval == XDP_REDIRECT) ||
			      (c == XR_C_PASS && opts.retval == XDP_PASS) ||
			      (c == XR_C_DROP && opts.retval == XDP_DROP) ||
			      (c > XR_C_DROP && c == (int)prog_reason);

		if (d != (want_d ? 1u : 0u))
			why = "counters moved wrongly";
	}
	memcpy(counters_prev, now, sizeof(now));
	if (prog_reason < XR_C_MAX)
		tally.reasons[prog_reason]++;

	if ((int)opts.retval != v.action || prog_reason != v.reason) {
		why = "the program and the oracle disagree";
	} else if (v.action == XDP_PASS || v.action == XDP_DROP) {
		if (opts.data_size_out != len || memcmp(got, frame, len))
			why = "a frame not forwarded was modified";
	} else {
		oracle_rewrite(frame, len, &v, want);
		/* either form of a zero IPv4 header checksum */
		if (v.family == 4 && opts.data_size_out == len &&
		    get16(got + v.l3 + 10) % 0xffff == get16(want + v.l3 + 10) % 0xffff)
			memcpy(want + v.l3 + 10, got + v.l3 + 10, 2);
		if (opts.data_size_out != len)
			why = "the rewrite changed the length";
		else if (differs_but_csums(got, want, len, &v))
			why = "the rewrite differs from the oracle's";
		else if (v.family == 4 && memcmp(got + v.l3 + 10, want + v.l3 + 10, 2))
			why = "IPv4 header checksum not carried over";
		else if (memcmp(got + v.l4 + 6, want + v.l4 + 6, 2))
			why = "UDP checksum not carried over";
		if (v.xlate)
			tally.xlated++;
		if (get16(frame + v.l4 + 6) == 0xffff)
			tally.udp_in_ffff++;
		if (v.family == 6 && get16(frame + v.l4 + 6) == 0)
			tally.udp_in_zero++;
		if (get16(got + v.l4 + 6) == 0xffff)
			tally.udp_out_ffff++;
		/* a second, independent opinion: right checksums in, right checksums out */
		if (!why && !pkt_check_csums(frame, len)) {
			tally.clean_udp_ok++;
			if (pkt_check_csums(got, len))
				why = "right checksums in, wrong checksums out";
		}
		/* the entry's counters: this packet, and for RTP its SSRC and sequence */
		{
			const struct fentry *e = &entries[v.entry];
			struct endpoint local = xdp_lab_ep(e->local);
			struct xr_entry_stats st, *prev = &stats_prev[v.entry];
			const uint8_t *p = frame + v.l4 + 8;
			uint32_t ssrc = (uint32_t)get16(p + 8) << 16 | get16(p + 10);
			const char *bad = NULL;

			assert_int_equal(kernel_fwd_stats(&local, &st), 0);
			wire[v.entry].packets++;
			wire[v.entry].bytes += v.n;
			if (st.packets != prev->packets + 1 || st.bytes != prev->bytes + v.n)
				bad = "entry packets/bytes wrong";
			else if (!v.rtcp && (st.last_ssrc != ssrc || st.last_seq != get16(p + 2)))
				bad = "entry last_ssrc/last_seq wrong";
			else if (v.rtcp &&
				 (st.last_ssrc != prev->last_ssrc || st.last_seq != prev->last_seq))
				bad = "RTCP moved last_ssrc/last_seq";
			*prev = st;
			if (!why)
				why = bad;
		}
	}
	if (why)
		ok = false;
out:
	if (!ok && corrupt_at < 0) {
		tally.failed++;
		if (tally.failed <= 10) {
			fprintf(stderr, "FAIL %s: %s\n", what, why ? why : "test run failed");
			fprintf(stderr, "  ingress %s; oracle %s %s", devs[ingress].name,
				action_name(v.action), kernel_counter_name(v.reason));
			if (v.entry >= 0)
				fprintf(stderr, " (entry '%s')", entries[v.entry].name);
			fprintf(stderr, "; program %s %s\n", action_name((int)opts.retval),
				prog_reason < XR_C_MAX ? kernel_counter_name(prog_reason) : "?");
			fprintf(stderr, "  input hex: ");
			hex_line(stderr, frame, len);
			if (v.action == XDP_TX || v.action == XDP_REDIRECT)
				pkt_dump_diff(stderr, "got", got, opts.data_size_out, "want", want,
					      len);
			else
				pkt_dump_diff(stderr, "got", got, opts.data_size_out, "input",
					      frame, len);
		}
	}
	return ok;
}

/* ---- the generator ---- */

/* splitmix64: every iteration's stream comes from (seed, iteration), so one case replays. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(int percent)
{
	return below(100) < (uint32_t)percent;
}

#define PICK(a) ((a)[below(ARRAY_SIZE(a))])

static char addr_buf[4][INET6_ADDRSTRLEN];

/* An address string of family: mostly the entry's, else from the pool, else random. */
static const char *gen_addr(int family, const char *usual, int slot)
{
	uint8_t b[16];

	if (usual && (family == 6) != (strchr(usual, ':') != NULL))
		usual = NULL; /* the entry is of the other family */
	if (usual && chance(90))
		return usual;
	if (chance(85))
		return family == 4 ? PICK(pool4) : PICK(pool6);
	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rnd();
	inet_ntop(family == 4 ? AF_INET : AF_INET6, b, addr_buf[slot], sizeof(addr_buf[slot]));
	return addr_buf[slot];
}

static uint16_t gen_port(uint16_t usual)
{
	if (usual && chance(92))
		return usual;
	if (chance(50))
		return entries[below(N_ENTRIES)].local.port + (uint16_t)(chance(50) ? 0 : 1);
	return (uint16_t)rnd();
}

/* A UDP payload: RTP, RTCP, STUN, DTLS or a few raw bytes. */
static size_t gen_payload(uint8_t *buf, size_t cap, int family)
{
	static const uint8_t pts[] = {0, 8, 13, 96, 101, 127, 37, 64, 72, 76, 95, 111};
	size_t max_body = (family == 6 ? 1452 : 1472) - 12, body, n;
	uint32_t k = below(100);

	if (k < 55) {
		uint8_t pt = chance(60) ? PICK(pts) : (uint8_t)below(128);
		uint32_t r = below(100);

		body = r < 70 ? below(200) : r < 90 ? below(700) : max_body - 8 + below(16);
		n = pkt_rtp(buf, cap, pt, chance(30), (uint16_t)rnd(), (uint32_t)rnd(),
			    (uint32_t)rnd(), body);
		if (n && chance(10))
			buf[0] |= (uint8_t)below(64); /* padding, extension, CSRC count */
		return n;
	}
	if (k < 70) {
		n = chance(30)	 ? pkt_rtcp_sr(buf, cap, (uint32_t)rnd())
		    : chance(50) ? pkt_rtcp_rr(buf, cap, (uint32_t)rnd())
				 : 0;
		if (!n) {
			n = 4 * (1 + below(40));
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
			buf[0] = (uint8_t)(0x80 | below(32));
			buf[1] = (uint8_t)(192 + below(32));
		}
		return n;
	}
	if (k < 78)
		return pkt_stun_binding(buf, cap, (uint32_t)rnd());
	if (k < 86)
		return pkt_dtls_record(buf, cap, (uint8_t)(20 + below(44)), below(120));
	n = below(20);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)rnd();
	return n;
}

/* Recomputes the IPv4 header and UDP checksums where the frame still parses at the builder's
 * offsets; so mutated frames also come with right checksums. */
static void fix_csums(uint8_t *f, size_t len, const struct pkt_offsets *o, int family)
{
	if (family == 4 && o->l3 + 20 <= len && (f[o->l3] & 0xf) >= 5 &&
	    o->l3 + (f[o->l3] & 0xfu) * 4 <= len) {
		size_t hl = (f[o->l3] & 0xfu) * 4;

		put16(f + o->l3 + 10, 0);
		put16(f + o->l3 + 10, pkt_csum_fold(pkt_csum_add(0, f + o->l3, hl)));
	}
	if (o->l4 + 8 <= len && !(family == 4 && get16(f + o->l4 + 6) == 0)) {
		int c = pkt_udp_csum_expected(f, len);

		if (c > 0)
			put16(f + o->l4 + 6, (uint16_t)c);
	}
}

/* Mutations on the bytes, at the places the parser looks first. */
static size_t mutate(uint8_t *f, size_t len, size_t cap, const struct pkt_offsets *o, int family)
{
	static const uint16_t etypes[] = {0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0x9100, 0x0000};
	static const uint8_t protos[] = {17, 6,	 1,   58,  0,	43,  44,  50,
					 51, 60, 135, 139, 140, 253, 254, 255};
	static const uint16_t frags[] = {0x4000, 0x2000, 0x0001, 0x8000, 0x1fff, 0x6000, 0xc000};
	static const uint8_t first[] = {0x80, 0x00, 0x01, 0x03, 0x04, 0x13,
					0x14, 0x3f, 0x40, 0xc0, 0xbf, 0x90};
	size_t l3 = o->l3, l4 = o->l4, hdr = o->payload + 12;
	size_t at;

	switch (below(20)) {
	case 0: /* a bit anywhere, mostly in the headers */
		at = chance(75) && hdr < len ? below((uint32_t)hdr) : below((uint32_t)len);
		f[at] ^= (uint8_t)(1u << below(8));
		break;
	case 1:
		at = chance(75) && hdr < len ? below((uint32_t)hdr) : below((uint32_t)len);
		f[at] = (uint8_t)rnd();
		break;
	case 2: /* truncate (BPF_PROG_RUN wants at least an Ethernet header) */
		len = 14 + below((uint32_t)(len - 14 + 1));
		break;
	case 3: { /* padding, zero or not */
		size_t add = 1 + below(64);
		bool zero = chance(50);

		if (len + add > cap)
			add = cap - len;
		for (size_t i = 0; i < add; i++)
			f[len + i] = zero ? 0 : (uint8_t)rnd();
		len += add;
		break;
	}
	case 4: /* lie in the IP length */
		at = l3 + (family == 4 ? 2 : 4);
		if (at + 2 <= len)
			put16(f + at, (uint16_t)(get16(f + at) +
						 (chance(80) ? below(17) - 8 : (uint32_t)rnd())));
		break;
	case 5: /* lie in the UDP length */
		if (l4 + 6 <= len)
			put16(f + l4 + 4,
			      (uint16_t)(get16(f + l4 + 4) +
					 (chance(80) ? below(17) - 8 : (uint32_t)rnd())));
		break;
	case 6: /* version */
		if (l3 < len)
			f[l3] = (uint8_t)((f[l3] & 0x0f) | below(16) << 4);
		break;
	case 7: /* IHL */
		if (family == 4 && l3 < len)
			f[l3] = (uint8_t)((f[l3] & 0xf0) | below(16));
		break;
	case 8: /* protocol / next header */
		at = l3 + (family == 4 ? 9 : 6);
		if (at < len)
			f[at] = PICK(protos);
		break;
	case 9: /* fragment bits */
		if (family == 4 && l3 + 8 <= len)
			put16(f + l3 + 6, chance(80) ? PICK(frags) : (uint16_t)rnd());
		break;
	case 10: /* an EtherType or TPID */
		at = chance(50) ? 12 : l3 - 2;
		put16(f + at, chance(85) ? PICK(etypes) : (uint16_t)rnd());
		break;
	case 11: /* destination port: another entry's, or a neighbour of one */
		if (l4 + 4 <= len)
			put16(f + l4 + 2, gen_port(0));
		break;
	case 12: /* source port */
		if (l4 + 2 <= len)
			put16(f + l4, chance(50) ? entries[below(N_ENTRIES)].peer.port
						 : (uint16_t)(get16(f + l4) ^ 1u << below(16)));
		break;
	case 13: { /* an address from the pool */
		bool dst = chance(50);

		if (family == 4 && l3 + 20 <= len)
			memcpy(f + l3 + (dst ? 16 : 12), PICK(pool4_w), 4);
		else if (family == 6 && l3 + 40 <= len)
			memcpy(f + l3 + (dst ? 24 : 8), PICK(pool6_w), 16);
		break;
	}
	case 14: /* the bytes that tell RTP, RTCP, STUN and DTLS apart */
		if (o->payload + 2 <= len) {
			if (chance(50))
				f[o->payload] = PICK(first);
			else
				f[o->payload + 1] = (uint8_t)(chance(50) ? 192 + below(32) : rnd());
		}
		break;
	case 15: /* the UDP checksum: 0, 0xffff, or anything */
		if (l4 + 8 <= len)
			put16(f + l4 + 6, chance(33) ? 0 : chance(50) ? 0xffff : (uint16_t)rnd());
		break;
	default: /* what the program must carry as it is: MACs, tag, TOS, ID, TTL, flow label */
		at = below((uint32_t)(l3 + (family == 4 ? 12 : 8)));
		if (family == 4 && at >= l3 && at - l3 >= 2 && at - l3 < 6)
			at += 4; /* not the lengths, not the fragment field */
		else if (family == 6 && at >= l3 + 4 && at < l3 + 7)
			at = l3 + 7; /* not the payload length, not the next header */
		else if (at >= l3 - 2 && at < l3)
			at = l3 - 4; /* not the EtherType */
		if (at < len)
			f[at] = (uint8_t)rnd();
		break;
	}
	return len;
}

/* The residue of the UDP sum over the pseudo-header, header and payload: 0 when right. */
static uint32_t udp_residue(const uint8_t *f, const struct verdict *v)
{
	size_t alen = v->family == 4 ? 4 : 16, so = v->family == 4 ? 12 : 8;
	uint16_t ulen = get16(f + v->l4 + 4);

	return (sum16(f + v->l3 + so, 2 * alen) + 17 + ulen + sum16(f + v->l4, ulen)) % 0xffff;
}

/* Steers a frame the oracle forwards into a checksum edge: the rewritten UDP checksum comes
 * out 0 (sent 0xffff), or the input's is 0xffff, or an IPv6 input's is 0; then RTP body
 * bytes 0..1 make the input right again (mostly). The chance of meeting these at random is
 * 1 in 65535. */
static void steer_csum(uint8_t *f, size_t len, enum dev ingress)
{
	const struct wire_entry *w;
	struct verdict v;
	uint32_t old_sum, new_sum, c;
	size_t alen, so;
	uint8_t *word;

	oracle(f, len, ingress, &v);
	if ((v.action != XDP_TX && v.action != XDP_REDIRECT) || v.n < 14)
		return;
	w = &wire[v.entry];
	alen = v.family == 4 ? 4 : 16;
	so = v.family == 4 ? 12 : 8;
	old_sum = (sum16(f + v.l3 + so, 2 * alen) + sum16(f + v.l4, 4)) % 0xffff;
	new_sum = (sum16(w->new_src, alen) + sum16(w->new_dst, alen) + w->nsport + w->ndport) %
		  0xffff;
	switch (v.family == 6 ? below(3) : below(2)) {
	case 0: /* f_out = f_in + old - new = 0 */
		c = (new_sum + 0xffff - old_sum) % 0xffff;
		put16(f + v.l4 + 6, c ? (uint16_t)c : 0xffff);
		break;
	case 1:
		put16(f + v.l4 + 6, 0xffff);
		break;
	default:
		put16(f + v.l4 + 6, 0);
		break;
	}
	if (chance(80)) {
		word = f + v.l4 + 8 + 12;
		c = (get16(word) % 0xffff + 0xffff - udp_residue(f, &v)) % 0xffff;
		put16(word, (uint16_t)c);
	}
}

/* One frame from the iteration's stream; returns its length, sets *ingress. */
static size_t gen_frame(uint8_t *f, size_t cap, enum dev *ingress)
{
	static const uint8_t exts[] = {0, 43, 44, 60, 135};
	uint8_t payload[PKT_MAX];
	struct pkt p = {0};
	struct pkt_offsets o;
	const struct fentry *e = &entries[below(N_ENTRIES)];
	int family, len;

	*ingress = chance(10) ? D_C : chance(50) ? D_A : D_B;
	family = strchr(e->local.ip, ':') ? 6 : 4;
	if (chance(5))
		family = 10 - family; /* the other family, with this entry's ports */
	p.family = family;
	pkt_mac(p.eth_dst, devs[*ingress].mac);
	pkt_mac(p.eth_src, "02:00:00:01:01:02");
	if (chance(3)) {
		for (int i = 0; i < 6; i++)
			p.eth_dst[i] = (uint8_t)rnd(); /* the program must not care */
	}
	if (chance(25)) {
		p.nvlan = chance(90) ? 1 : 2;
		for (int i = 0; i < p.nvlan; i++) {
			p.vlan_tci[i] = (uint16_t)rnd();
			p.vlan_tpid[i] = chance(70) ? 0x8100 : 0x88a8;
		}
	}
	p.src = gen_addr(family, e->peer.ip, 0);
	p.dst = gen_addr(family, e->local.ip, 1);
	p.sport = gen_port(e->peer.port ? e->peer.port : (uint16_t)(1024 + below(60000)));
	p.dport = gen_port(e->local.port);
	p.ttl = chance(70) ? 64 : (uint8_t)rnd();
	p.tos = chance(70) ? 0 : (uint8_t)rnd();
	p.flow = chance(50) ? 0 : (uint32_t)rnd() & 0xfffff;
	p.ip_id = (uint16_t)rnd();
	p.frag = chance(50) ? PKT_DF : 0;
	if (chance(4))
		p.frag =
			chance(50) ? PKT_MF : (uint16_t)(below(0x2000) | (chance(50) ? PKT_MF : 0));
	if (family == 4 && chance(3))
		p.ip_opt_words = 1 + (int)below(10);
	if (family == 6 && chance(3)) {
		p.ext_hdr_set = true;
		p.ext_hdr = PICK(exts);
	}
	if (chance(3))
		p.proto = chance(50) ? 6 : (uint8_t)rnd();
	p.csum = chance(75) ? PKT_CSUM_FULL : chance(50) ? PKT_CSUM_ZERO : PKT_CSUM_BAD;
	p.payload_len = gen_payload(payload, sizeof(payload), family);
	p.payload = payload;
	/* a translating entry's own payload type, often */
	if (e->xlate && p.payload_len >= 12 && payload[1] < 192 && chance(50))
		payload[1] = (uint8_t)((payload[1] & 0x80) | e->pt_in);
	if (chance(10))
		p.pad = 1 + below(40);
	if (chance(4))
		p.lie.ip_len = (int)below(9) - 4;
	if (chance(4))
		p.lie.udp_len = (int)below(9) - 4;
	len = pkt_build(&p, f, cap);
	if (len < 14 || pkt_offsets(&p, &o))
		return 0;

	if (chance(8))
		steer_csum(f, (size_t)len, *ingress);
	for (int m = chance(50) ? 0 : chance(60) ? 1 : 2 + (int)below(3); m > 0; m--)
		len = (int)mutate(f, (size_t)len, cap, &o, family);
	if (chance(50))
		fix_csums(f, (size_t)len, &o, family);
	return (size_t)len;
}

/* ---- the tests ---- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "%s=%s is not a number; using %" PRIu64 "\n", name, s, dflt);
		return dflt;
	}
	return v;
}

static void snapshot(void)
{
	assert_int_equal(kernel_counters(counters_prev), 0);
	for (size_t i = 0; i < N_ENTRIES; i++) {
		struct endpoint local = xdp_lab_ep(entries[i].local);

		assert_int_equal(kernel_fwd_stats(&local, &stats_prev[i]), 0);
	}
}

/* Frames kept as hex, with the verdict they must get: every case a fuzz run finds goes here
 * (none so far: 3 000 000 frames agreed with the oracle), and edge cases docs/xdp.md decides
 * that the random stream meets rarely. */
static const struct {
	enum dev ingress;
	int action;
	const char *what, *hex;
} regressions[] = {
	/* both checksums wrong on the way in (the program checks neither): each must stay wrong
	 * by the same amount */
	{D_A, XDP_REDIRECT, "v4 rtp, ip and udp checksums wrong, errors carried",
	 "020000000a010200000101020800450000289abc400040110000"
	 "0a0001020a00010113884e200014ffff800000010000000100000000"},
	/* the reserved flag bit with DF: neither MF nor an offset, so forwarded */
	{D_A, XDP_REDIRECT, "v4 rtp, flags 0xc000 (reserved + DF)",
	 "020000000a0102000001010208004500002c0007c0004011a4b70a0001020a00010113884e2000185a61"
	 "800000010000000200000003d5d4d7d6"},
	/* IPv6 UDP checksum 0 (invalid there): updated like any other, not kept */
	{D_A, XDP_REDIRECT, "v6 rtp, udp checksum 0 in",
	 "020000000a0102000001010286dd600000000018114020010db800010000000000000000000220010db8"
	 "00010000000000000000000113ec4e8400180000800000010000000200000003d5d4d7d6"},
	/* IPv6 to a00:101:: port 20000: the v4 key's addr[0] and port, another family */
	{D_A, XDP_PASS, "v6 rtp to the v4 key's address words",
	 "020000000a0102000001010286dd600000000018114020010db80001000000000000000000020a000101"
	 "00000000000000000000000013884e20001837a7800000010000000200000003d5d4d7d6"},
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void test_regressions(void **state)
{
	uint8_t f[PKT_MAX];
	unsigned int bad = 0;
	struct verdict v;

	snapshot();
	for (size_t r = 0; r < ARRAY_SIZE(regressions); r++) {
		const char *h = regressions[r].hex;
		size_t n = 0;

		for (; h[0] && h[1] && n < sizeof(f); h += 2) {
			assert_true(hexval(h[0]) >= 0 && hexval(h[1]) >= 0);
			f[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
		}
		assert_int_equal(h[0], 0);
		oracle(f, n, regressions[r].ingress, &v);
		if (v.action != regressions[r].action) {
			fprintf(stderr, "'%s': the oracle says %s %s, the row %s\n",
				regressions[r].what, action_name(v.action),
				kernel_counter_name(v.reason), action_name(regressions[r].action));
			bad++;
		}
		if (!check_frame(f, n, regressions[r].ingress, regressions[r].what))
			bad++;
	}
	if (bad)
		fail_msg("%u regression frames failed", bad);
}

static int entry_by_name(const char *name)
{
	for (size_t i = 0; i < N_ENTRIES; i++)
		if (!strcmp(entries[i].name, name))
			return (int)i;
	fail_msg("no entry '%s'", name);
	return -1;
}

/* The judge can fail: one bit flipped anywhere in the program's output is caught, for frames
 * forwarded, passed and dropped; and the oracle predicts these frames' verdicts. */
static void test_judge_can_fail(void **state)
{
	static const struct {
		const char *entry;
		enum dev ingress;
		uint16_t sport; /* 0: the entry's peer port */
		enum pkt_csum csum;
		int action;
	} cases[] = {
		{"v4", D_A, 0, PKT_CSUM_FULL, XDP_REDIRECT},
		{"v4 tx", D_A, 0, PKT_CSUM_ZERO, XDP_TX},
		{"v6", D_A, 0, PKT_CSUM_BAD, XDP_REDIRECT},
		{"v6 tx", D_A, 0, PKT_CSUM_FULL, XDP_TX},
		{"v4", D_A, 4999, PKT_CSUM_FULL, XDP_PASS},
		{"v6 strict", D_A, 4999, PKT_CSUM_FULL, XDP_DROP},
	};
	uint8_t payload[64], f[PKT_MAX];

	snapshot();
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct fentry *e = &entries[entry_by_name(cases[c].entry)];
		struct pkt p = {
			.family = strchr(e->local.ip, ':') ? 6 : 4,
			.src = e->peer.ip,
			.dst = e->local.ip,
			.sport = cases[c].sport ? cases[c].sport : e->peer.port,
			.dport = e->local.port,
			.csum = cases[c].csum,
			.payload = payload,
			.payload_len = pkt_rtp(payload, sizeof(payload), 0, false, 1, 2, 3, 33),
		};
		struct verdict v;
		int len;

		pkt_mac(p.eth_dst, devs[cases[c].ingress].mac);
		pkt_mac(p.eth_src, "02:00:00:01:01:02");
		len = pkt_build(&p, f, sizeof(f));
		assert_true(len > 0);
		oracle(f, (size_t)len, cases[c].ingress, &v);
		assert_int_equal(v.action, cases[c].action);
		assert_true(check_frame(f, (size_t)len, cases[c].ingress, cases[c].entry));
		for (corrupt_at = 0; corrupt_at < len; corrupt_at++)
			if (check_frame(f, (size_t)len, cases[c].ingress, cases[c].entry))
				fail_msg("'%s': a bit flipped at offset %ld went unnoticed",
					 cases[c].entry, corrupt_at);
		corrupt_at = -1;
	}
}

static void test_fuzz(void **state)
{
	uint64_t seed = env_u64("XDP_FUZZ_SEED", (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	uint64_t iters = env_u64("XDP_FUZZ_ITERS", 300000);
	uint64_t only = env_u64("XDP_FUZZ_ITER", UINT64_MAX);
	uint8_t f[PKT_MAX];
	struct timespec t0, t1;
	char what[96];

	printf("# seed %" PRIu64 " (XDP_FUZZ_SEED), %" PRIu64 " iterations (XDP_FUZZ_ITERS)\n",
	       seed, iters);
	fflush(stdout);
	memset(&tally, 0, sizeof(tally));
	snapshot();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < iters; i++) {
		enum dev ingress;
		size_t len;

		if (only != UINT64_MAX && i != only)
			continue;
		rng_state = seed ^ (i * 0xd1b54a32d192ed03ull);
		len = gen_frame(f, sizeof(f) - 64, &ingress);
		if (len < 14)
			continue;
		snprintf(what, sizeof(what), "XDP_FUZZ_SEED=%" PRIu64 " XDP_FUZZ_ITER=%" PRIu64,
			 seed, i);
		check_frame(f, len, ingress, what);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* the per-entry counters hold exactly what the oracle forwarded */
	for (size_t i = 0; i < N_ENTRIES && only == UINT64_MAX; i++) {
		struct endpoint local = xdp_lab_ep(entries[i].local);
		struct xr_entry_stats st;

		assert_int_equal(kernel_fwd_stats(&local, &st), 0);
		if (st.packets != wire[i].packets || st.bytes != wire[i].bytes) {
			fprintf(stderr, "entry '%s': %llu packets %llu bytes, oracle %llu %llu\n",
				entries[i].name, (unsigned long long)st.packets,
				(unsigned long long)st.bytes, (unsigned long long)wire[i].packets,
				(unsigned long long)wire[i].bytes);
			tally.failed++;
		}
	}

	printf("# xdp fuzz: %" PRIu64 " executions in %.1f s, forwarded %" PRIu64 " (tx %" PRIu64
	       ", redirect %" PRIu64 "), passed %" PRIu64 ", dropped %" PRIu64 ", failed %" PRIu64
	       "\n",
	       tally.runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       tally.tx + tally.redirect, tally.tx, tally.redirect, tally.pass, tally.drop,
	       tally.failed);
	printf("# forwarded: translated (G.711) %" PRIu64 ", with right checksums in (recomputed "
	       "out) %" PRIu64 ", UDP checksum 0xffff in %" PRIu64 ", 0xffff out %" PRIu64
	       ", IPv6 0 in %" PRIu64 "\n# reasons:",
	       tally.xlated, tally.clean_udp_ok, tally.udp_in_ffff, tally.udp_out_ffff,
	       tally.udp_in_zero);
	for (int c = XR_C_DROP + 1; c < XR_C_MAX; c++)
		if (tally.reasons[c])
			printf(" %s %" PRIu64, kernel_counter_name((enum xr_counter)c),
			       tally.reasons[c]);
	printf("\n");
	if (tally.failed)
		fail_msg("%" PRIu64 " of %" PRIu64 " frames failed (seed %" PRIu64 ")",
			 tally.failed, tally.runs, seed);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_can_fail),
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_fuzz),
	};
	cpu_set_t one;

	/* One CPU: the per-CPU counters' "latest" SSRC and sequence are then this run's. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);

	if (xdp_lab_enter())
		return 1;
	atexit(xdp_lab_kernel_close);
	return cmocka_run_group_tests_name("xdp fuzz", tests, lab_setup, lab_teardown) ? 1 : 0;
}
