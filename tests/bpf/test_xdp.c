// SPDX-License-Identifier: GPL-2.0-only
/* The XDP fast path on crafted packets: fixture rows (input, verdict, expected output bytes,
 * counter deltas) run through BPF_PROG_RUN on the real program, in a private network namespace,
 * with entries installed through the daemon's own kernel programmer (kernel.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <math.h>
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

/* The relay's interfaces: veth ends in our namespace; xrc is deliberately not attached, so it
 * is not in the redirect map. */
enum dev { D_A, D_B, D_C, D_N };
static const struct xdp_lab_dev devs[D_N] = {
	[D_A] = {"xra", "xpa", "02:00:00:00:0a:01", "10.0.1.1/24", "2001:db8:1::1/64", true},
	[D_B] = {"xrb", "xpb", "02:00:00:00:0b:01", "10.0.2.1/24", "2001:db8:2::1/64", true},
	[D_C] = {"xrc", "xpc", "02:00:00:00:0c:01", "10.0.3.1/24", "2001:db8:3::1/64", false},
};
static int ifindex[D_N];

/* Static neighbours: the callers and callees the entries send to. 10.0.2.9 and 2001:db8:2::9
 * are on-link but have none (PUNT_NO_NEIGH); 198.51.100.7 and 2001:db8:ff::7 have no route. */
static const struct xdp_lab_neigh neighs[] = {
	{"10.0.1.2", "02:00:00:01:01:02", D_A},
	{"10.0.1.3", "02:00:00:01:01:03", D_A},
	{"10.0.2.2", "02:00:00:01:02:02", D_B},
	{"10.0.3.2", "02:00:00:01:03:02", D_C},
	{"2001:db8:1::2", "02:00:00:01:61:02", D_A},
	{"2001:db8:1::3", "02:00:00:01:61:03", D_A},
	{"2001:db8:2::2", "02:00:00:01:62:02", D_B},
	/* the next-hop cache tests delete and restore these two */
	{"10.0.2.3", "02:00:00:01:02:03", D_B},
	{"2001:db8:2::3", "02:00:00:01:62:03", D_B},
};

/* A caller MAC for input frames (the program must not care). */
#define CALLER_MAC "02:00:00:01:01:02"

/* Forwarding entries, installed through kernel_fwd_install. */
enum entry {
	E_NONE = 0,
	E_V4,	      /* A -> B: REDIRECT, RTP and RTCP */
	E_V4_TX,      /* A -> A: TX */
	E_V4_BACK,    /* B -> A: the other direction */
	E_V4_STRICT,  /* strict source */
	E_V4_PT,      /* payload types 0, 8, 127 only */
	E_V4_NORTCP,  /* RTP only */
	E_V4_ANY,     /* any source */
	E_V4_NONEIGH, /* next hop without a neighbour */
	E_V4_NOROUTE, /* destination without a route */
	E_V4_NODEV,   /* egress not in the redirect map */
	E_V4_XFORM,   /* SRTP transform by the worker, strict source */
	E_V6,
	E_V6_TX,
	E_V6_STRICT,
	E_V6_NONEIGH,
	E_V6_NOROUTE,
	E_V4_CACHE, /* for the next-hop cache tests only: A -> B, neighbour 10.0.2.3 */
	E_V6_CACHE,
	E_V4_U2A, /* A -> B, PCMU (0) translated to PCMA (8); 0, 8 and 101 allowed */
	E_V4_A2U, /* A -> B, PCMA (8) translated to PCMU (0) */
	E_V6_U2A,
	E_V6_A2U,
	E_N
};

static const uint32_t pt_0_8_127[4] = {1u << 0 | 1u << 8, 0, 0, 1u << 31};
static const uint32_t pt_0_8_101[4] = {1u << 0 | 1u << 8, 0, 0, 1u << (101 - 96)};

static const struct {
	struct xdp_lab_side local, peer, new_src, new_dst;
	uint32_t flags;
	const uint32_t *pt_allow;
	uint8_t xlate, pt_in, pt_out;
} entries[E_N] = {
	[E_V4] = {{"10.0.1.1", 20000},
		  {"10.0.1.2", 5000},
		  {"10.0.2.1", 30000},
		  {"10.0.2.2", 6000},
		  XR_F_RTP | XR_F_RTCP},
	[E_V4_TX] = {{"10.0.1.1", 20002},
		     {"10.0.1.2", 5002},
		     {"10.0.1.1", 20004},
		     {"10.0.1.3", 7002},
		     XR_F_RTP | XR_F_RTCP},
	[E_V4_BACK] = {{"10.0.2.1", 30000},
		       {"10.0.2.2", 6000},
		       {"10.0.1.1", 20000},
		       {"10.0.1.2", 5000},
		       XR_F_RTP | XR_F_RTCP},
	[E_V4_STRICT] = {{"10.0.1.1", 20010},
			 {"10.0.1.2", 5010},
			 {"10.0.2.1", 30010},
			 {"10.0.2.2", 6010},
			 XR_F_RTP | XR_F_STRICT_SOURCE},
	[E_V4_PT] = {{"10.0.1.1", 20012},
		     {"10.0.1.2", 5012},
		     {"10.0.2.1", 30012},
		     {"10.0.2.2", 6012},
		     XR_F_RTP | XR_F_RTCP,
		     pt_0_8_127},
	[E_V4_NORTCP] = {{"10.0.1.1", 20014},
			 {"10.0.1.2", 5014},
			 {"10.0.2.1", 30014},
			 {"10.0.2.2", 6014},
			 XR_F_RTP},
	[E_V4_ANY] = {{"10.0.1.1", 20016},
		      {NULL, 0},
		      {"10.0.2.1", 30016},
		      {"10.0.2.2", 6016},
		      XR_F_RTP | XR_F_ANY_SOURCE},
	[E_V4_NONEIGH] = {{"10.0.1.1", 20018},
			  {"10.0.1.2", 5018},
			  {"10.0.2.1", 30018},
			  {"10.0.2.9", 6018},
			  XR_F_RTP},
	[E_V4_NOROUTE] = {{"10.0.1.1", 20020},
			  {"10.0.1.2", 5020},
			  {"10.0.2.1", 30020},
			  {"198.51.100.7", 6020},
			  XR_F_RTP},
	[E_V4_NODEV] = {{"10.0.1.1", 20022},
			{"10.0.1.2", 5022},
			{"10.0.3.1", 30022},
			{"10.0.3.2", 6022},
			XR_F_RTP},
	[E_V4_XFORM] = {{"10.0.1.1", 20030},
			{"10.0.1.2", 5030},
			{"10.0.2.1", 30030},
			{"10.0.2.2", 6030},
			XR_F_RTP | XR_F_RTCP | XR_F_TRANSFORM | XR_F_STRICT_SOURCE},
	[E_V6] = {{"2001:db8:1::1", 20100},
		  {"2001:db8:1::2", 5100},
		  {"2001:db8:2::1", 30100},
		  {"2001:db8:2::2", 6100},
		  XR_F_RTP | XR_F_RTCP},
	[E_V6_TX] = {{"2001:db8:1::1", 20102},
		     {"2001:db8:1::2", 5102},
		     {"2001:db8:1::1", 20104},
		     {"2001:db8:1::3", 7102},
		     XR_F_RTP},
	[E_V6_STRICT] = {{"2001:db8:1::1", 20110},
			 {"2001:db8:1::2", 5110},
			 {"2001:db8:2::1", 30110},
			 {"2001:db8:2::2", 6110},
			 XR_F_RTP | XR_F_STRICT_SOURCE},
	[E_V6_NONEIGH] = {{"2001:db8:1::1", 20118},
			  {"2001:db8:1::2", 5118},
			  {"2001:db8:2::1", 30118},
			  {"2001:db8:2::9", 6118},
			  XR_F_RTP},
	[E_V6_NOROUTE] = {{"2001:db8:1::1", 20120},
			  {"2001:db8:1::2", 5120},
			  {"2001:db8:2::1", 30120},
			  {"2001:db8:ff::7", 6120},
			  XR_F_RTP},
	[E_V4_CACHE] = {{"10.0.1.1", 20024},
			{"10.0.1.2", 5024},
			{"10.0.2.1", 30024},
			{"10.0.2.3", 6024},
			XR_F_RTP},
	[E_V6_CACHE] = {{"2001:db8:1::1", 20124},
			{"2001:db8:1::2", 5124},
			{"2001:db8:2::1", 30124},
			{"2001:db8:2::3", 6124},
			XR_F_RTP},
	[E_V4_U2A] = {{"10.0.1.1", 20040},
		      {"10.0.1.2", 5040},
		      {"10.0.2.1", 30040},
		      {"10.0.2.2", 6040},
		      XR_F_RTP | XR_F_RTCP,
		      pt_0_8_101,
		      XR_XLATE_ULAW_ALAW,
		      0,
		      8},
	[E_V4_A2U] = {{"10.0.1.1", 20042},
		      {"10.0.1.2", 5042},
		      {"10.0.2.1", 30042},
		      {"10.0.2.2", 6042},
		      XR_F_RTP | XR_F_RTCP,
		      pt_0_8_101,
		      XR_XLATE_ALAW_ULAW,
		      8,
		      0},
	[E_V6_U2A] = {{"2001:db8:1::1", 20140},
		      {"2001:db8:1::2", 5140},
		      {"2001:db8:2::1", 30140},
		      {"2001:db8:2::2", 6140},
		      XR_F_RTP | XR_F_RTCP,
		      pt_0_8_101,
		      XR_XLATE_ULAW_ALAW,
		      0,
		      8},
	[E_V6_A2U] = {{"2001:db8:1::1", 20142},
		      {"2001:db8:1::2", 5142},
		      {"2001:db8:2::1", 30142},
		      {"2001:db8:2::2", 6142},
		      XR_F_RTP,
		      pt_0_8_101,
		      XR_XLATE_ALAW_ULAW,
		      8,
		      0},
};

/* UDP payloads. */
enum pay_kind { P_RTP = 0, P_SR, P_RR, P_STUN, P_DTLS, P_BYTES };
struct payload {
	enum pay_kind kind;
	uint8_t pt;	   /* RTP */
	bool marker;	   /* RTP */
	size_t body;	   /* RTP, DTLS */
	uint8_t type;	   /* DTLS content type */
	const char *bytes; /* P_BYTES: hex, e.g. "80c8" */
};

/* Checksum edge cases: two payload bytes chosen so the correct UDP checksum of the output (or
 * of the input) is 0xffff, the one value an incremental update can get wrong as 0x0000. */
enum edge { EDGE_NONE = 0, EDGE_OUT_FFFF, EDGE_IN_FFFF };

struct row {
	const char *name;
	enum entry entry; /* its local/peer fill in addresses and ports the row leaves unset */
	struct pkt in;	  /* payload, MACs and unset addresses/ports filled in */
	struct payload pay;
	enum edge edge;
	int verdict;
	enum xr_counter reason; /* PASS/DROP only */
	bool rtcp;		/* forwarded RTCP: last_ssrc/last_seq not checked */
	enum dev in_dev;	/* D_A unless set */
};

#define SEQ  0x1234
#define TS   0x00abcdef
#define SSRC 0xdeadbeef

/* The table keeps one row per line where it fits: clang-format would spread each over six. */
/* clang-format off */
#define FWD(v)     .verdict = (v)
#define PUNT(r)    .verdict = XDP_PASS, .reason = XR_C_##r
#define DROPPED(r) .verdict = XDP_DROP, .reason = XR_C_##r
#define RTP(p, b)  {.kind = P_RTP, .pt = (p), .body = (b)}
#define BYTES(h)   {.kind = P_BYTES, .bytes = (h)}
#define VLAN(tci)  .nvlan = 1, .vlan_tci = {tci}
#define V6         .family = 6
#define V4         .family = 4
#define ARP_BODY   "00010800060400010200000101020a010102000000000000" "0a010101"
#define ICMP_ECHO  "0800f7fe00010000"
#define TCP_SYN    "138827100000000100000000500272101d600000"
#define XMAX       XR_XLATE_MAX_PAYLOAD

static const struct row rows[] = {
	/* forwarded */
	{"v4 rtp redirect", E_V4, {V4}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 rtp tx (egress == ingress)", E_V4_TX, {V4}, RTP(8, 160), FWD(XDP_TX)},
	{"v4 rtp other direction", E_V4_BACK, {V4}, RTP(0, 160), FWD(XDP_REDIRECT), .in_dev = D_B},
	{"v4 rtp odd length", E_V4, {V4}, RTP(96, 33), FWD(XDP_REDIRECT)},
	{"v4 rtp 12 bytes (no body)", E_V4, {V4}, RTP(0, 0), FWD(XDP_REDIRECT)},
	{"v4 rtp tos, id, DF kept", E_V4, {V4, .tos = 0xb8, .ip_id = 0x4242, .frag = PKT_DF},
	 RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 rtp ttl 200 becomes 64", E_V4, {V4, .ttl = 200}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 rtp ttl 1 becomes 64", E_V4, {V4, .ttl = 1}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 1500 bytes (egress mtu) forwarded", E_V4, {V4}, RTP(0, 1460), FWD(XDP_REDIRECT)},
	{"v6 1500 bytes (egress mtu) forwarded", E_V6, {V6}, RTP(0, 1440), FWD(XDP_REDIRECT)},
	{"v4 rtp ethernet padding kept", E_V4, {V4, .pad = 6}, RTP(0, 0), FWD(XDP_REDIRECT)},
	{"v4 rtp zero udp checksum stays zero", E_V4, {V4, .csum = PKT_CSUM_ZERO}, RTP(0, 160),
	 FWD(XDP_REDIRECT)},
	{"v4 rtp output checksum 0xffff", E_V4, {V4}, RTP(0, 160), EDGE_OUT_FFFF,
	 FWD(XDP_REDIRECT)},
	{"v4 rtp input checksum 0xffff", E_V4, {V4}, RTP(0, 160), EDGE_IN_FFFF, FWD(XDP_REDIRECT)},
	{"v4 vlan rtp redirect, tag kept", E_V4, {V4, VLAN(0x2064)}, RTP(0, 160),
	 FWD(XDP_REDIRECT)},
	{"v4 vlan rtp tx, tag kept", E_V4_TX, {V4, VLAN(0x0005)}, RTP(0, 160), FWD(XDP_TX)},
	{"v4 any source", E_V4_ANY, {V4, .src = "10.0.1.77", .sport = 40000}, RTP(0, 160),
	 FWD(XDP_REDIRECT)},
	{"v4 strict source, right source", E_V4_STRICT, {V4}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 pt 0 with marker allowed", E_V4_PT, {V4}, {.pt = 0, .marker = true, .body = 160},
	 FWD(XDP_REDIRECT)},
	{"v4 pt 8 allowed", E_V4_PT, {V4}, RTP(8, 160), FWD(XDP_REDIRECT)},
	{"v4 pt 127 allowed", E_V4_PT, {V4}, RTP(127, 160), FWD(XDP_REDIRECT)},
	{"v4 rtcp sr forwarded", E_V4, {V4}, {.kind = P_SR}, FWD(XDP_REDIRECT), .rtcp = true},
	{"v4 rtcp rr (8 bytes) forwarded", E_V4, {V4}, {.kind = P_RR}, FWD(XDP_REDIRECT),
	 .rtcp = true},
	{"v4 rtcp pt 223 forwarded", E_V4, {V4}, BYTES("80df0001deadbeef"), FWD(XDP_REDIRECT),
	 .rtcp = true},
	{"v4 second byte 191 is rtp", E_V4_NORTCP, {V4}, {.pt = 63, .marker = true, .body = 4},
	 FWD(XDP_REDIRECT)},
	{"v4 second byte 224 is rtp", E_V4_NORTCP, {V4}, {.pt = 96, .marker = true, .body = 4},
	 FWD(XDP_REDIRECT)},
	{"v6 rtp redirect", E_V6, {V6}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v6 rtp tx", E_V6_TX, {V6, .flow = 0x12345, .tos = 0xb8}, RTP(0, 160), FWD(XDP_TX)},
	{"v6 rtp odd length", E_V6, {V6}, RTP(0, 45), FWD(XDP_REDIRECT)},
	{"v6 rtp output checksum 0xffff", E_V6, {V6}, RTP(0, 160), EDGE_OUT_FFFF,
	 FWD(XDP_REDIRECT)},
	/* the program takes one 802.1ad tag like an 802.1Q one (the brief said 802.1Q only) */
	{"v4 802.1ad tag, kept", E_V4, {V4, VLAN(100), .vlan_tpid = {0x88a8}}, RTP(0, 160),
	 FWD(XDP_REDIRECT)},
	{"v6 vlan rtp redirect", E_V6, {V6, VLAN(0x0064)}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v6 rtcp forwarded", E_V6, {V6}, {.kind = P_SR}, FWD(XDP_REDIRECT), .rtcp = true},
	{"v6 strict source, right source", E_V6_STRICT, {V6}, RTP(0, 160), FWD(XDP_REDIRECT)},

	/* parse punts */
	{"arp", E_NONE, {.ethertype = 0x0806}, BYTES(ARP_BODY), PUNT(PUNT_NOT_IP)},
	{"vlan arp", E_NONE, {.ethertype = 0x0806, VLAN(0x0064)}, BYTES(ARP_BODY),
	 PUNT(PUNT_NOT_IP)},
	{"two vlan tags", E_V4, {V4, .nvlan = 2, .vlan_tci = {100, 200}}, RTP(0, 160),
	 PUNT(PUNT_NOT_IP)},
	{"802.1ad + 802.1Q (QinQ)", E_V4, {V4, .nvlan = 2, .vlan_tci = {100, 200},
	 .vlan_tpid = {0x88a8, 0x8100}}, RTP(0, 160), PUNT(PUNT_NOT_IP)},
	{"v4 icmp", E_V4, {V4, .proto = 1}, BYTES(ICMP_ECHO), PUNT(PUNT_NOT_UDP)},
	{"v4 tcp to a relay port", E_V4, {V4, .proto = 6}, BYTES(TCP_SYN), PUNT(PUNT_NOT_UDP)},
	{"v6 icmpv6", E_V6, {V6, .proto = 58}, BYTES("80000000000100010000"), PUNT(PUNT_NOT_UDP)},
	{"v4 ip options", E_V4, {V4, .ip_opt_words = 1}, RTP(0, 160), PUNT(PUNT_IP_OPTIONS)},
	{"v4 ip options (max)", E_V4, {V4, .ip_opt_words = 10}, RTP(0, 160), PUNT(PUNT_IP_OPTIONS)},
	{"v4 first fragment (MF)", E_V4, {V4, .frag = PKT_MF}, RTP(0, 160), PUNT(PUNT_FRAGMENT)},
	{"v4 last fragment (offset)", E_V4, {V4, .frag = 185}, RTP(0, 160), PUNT(PUNT_FRAGMENT)},
	{"v4 middle fragment", E_V4, {V4, .frag = PKT_MF | 1}, RTP(0, 160), PUNT(PUNT_FRAGMENT)},
	{"v6 hop-by-hop header", E_V6, {V6, .ext_hdr = 0, .ext_hdr_set = true}, RTP(0, 160),
	 PUNT(PUNT_IPV6_EXT)},
	{"v6 destination options", E_V6, {V6, .ext_hdr = 60, .ext_hdr_set = true}, RTP(0, 160),
	 PUNT(PUNT_IPV6_EXT)},
	{"v6 routing header", E_V6, {V6, .ext_hdr = 43, .ext_hdr_set = true}, RTP(0, 160),
	 PUNT(PUNT_IPV6_EXT)},
	{"v6 fragment header", E_V6, {V6, .ext_hdr = 44, .ext_hdr_set = true}, RTP(0, 160),
	 PUNT(PUNT_IPV6_EXT)},
	{"ethernet header only", E_V4, {V4, .truncate = 14}, RTP(0, 160), PUNT(PUNT_MALFORMED)},
	{"v4 header cut", E_V4, {V4, .truncate = 14 + 12}, RTP(0, 160), PUNT(PUNT_MALFORMED)},
	{"v4 udp header cut", E_V4, {V4, .truncate = 14 + 20 + 4}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 udp payload cut", E_V4, {V4, .truncate = 14 + 20 + 8 + 100}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 tot_len 24 (< 28)", E_V4, {V4, .truncate = 14 + 28, .lie = {.ip_len = -176}},
	 RTP(0, 160), PUNT(PUNT_MALFORMED)},
	{"v4 tot_len beyond frame", E_V4, {V4, .lie = {.ip_len = 10}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 tot_len short of udp length", E_V4, {V4, .lie = {.ip_len = -4}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 tot_len 10 (below header length)", E_V4, {V4, .lie = {.ip_len = -190}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 udp length too big", E_V4, {V4, .lie = {.udp_len = 2}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 udp length too small", E_V4, {V4, .lie = {.udp_len = -2}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 udp length 7", E_V4, {V4, .lie = {.udp_len = -173}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v4 padded frame, udp length short of tot_len", E_V4,
	 {V4, .pad = 8, .lie = {.udp_len = -4}},
	 RTP(0, 160), PUNT(PUNT_MALFORMED)},
	{"v6 header cut", E_V6, {V6, .truncate = 14 + 30}, RTP(0, 160), PUNT(PUNT_MALFORMED)},
	{"v6 udp header cut", E_V6, {V6, .truncate = 14 + 40 + 6}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v6 payload_len beyond frame", E_V6, {V6, .lie = {.ip_len = 8}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v6 payload_len short of udp length", E_V6, {V6, .lie = {.ip_len = -8}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},
	{"v6 udp length mismatch", E_V6, {V6, .lie = {.udp_len = -2}}, RTP(0, 160),
	 PUNT(PUNT_MALFORMED)},

	/* lookup and source */
	{"v4 unknown port", E_V4, {V4, .dport = 20001}, RTP(0, 160), PUNT(PUNT_NO_ENTRY)},
	{"v4 known port, other address", E_V4, {V4, .dst = "10.0.1.9"}, RTP(0, 160),
	 PUNT(PUNT_NO_ENTRY)},
	{"v6 packet to a v4 entry's port", E_V6, {V6, .dport = 20000}, RTP(0, 160),
	 PUNT(PUNT_NO_ENTRY)},
	{"v4 source port changed", E_V4, {V4, .sport = 5001}, RTP(0, 160), PUNT(PUNT_SOURCE)},
	{"v4 source address changed", E_V4, {V4, .src = "10.0.1.3"}, RTP(0, 160),
	 PUNT(PUNT_SOURCE)},
	{"v6 source changed", E_V6, {V6, .src = "2001:db8:1::3"}, RTP(0, 160), PUNT(PUNT_SOURCE)},
	{"v4 strict source, port mismatch", E_V4_STRICT, {V4, .sport = 5011}, RTP(0, 160),
	 DROPPED(DROP_STRICT_SOURCE)},
	{"v4 strict source, address mismatch", E_V4_STRICT, {V4, .src = "10.0.1.3"}, RTP(0, 160),
	 DROPPED(DROP_STRICT_SOURCE)},
	{"v6 strict source mismatch", E_V6_STRICT, {V6, .sport = 5111}, RTP(0, 160),
	 DROPPED(DROP_STRICT_SOURCE)},

	/* payload */
	{"empty payload", E_V4, {V4}, BYTES(""), PUNT(PUNT_NOT_RTP)},
	{"4 bytes 0x80", E_V4, {V4}, BYTES("80000001"), PUNT(PUNT_NOT_RTP)},
	{"10 bytes rtp-like", E_V4, {V4}, BYTES("80000001000000010000"), PUNT(PUNT_NOT_RTP)},
	{"version 1", E_V4, {V4}, BYTES("400000010000000100000002"), PUNT(PUNT_NOT_RTP)},
	{"version 3", E_V4, {V4}, BYTES("c00000010000000100000002"), PUNT(PUNT_NOT_RTP)},
	{"first byte 4", E_V4, {V4}, BYTES("040000010000000100000002"), PUNT(PUNT_NOT_RTP)},
	{"first byte 19", E_V4, {V4}, BYTES("130000010000000100000002"), PUNT(PUNT_NOT_RTP)},
	{"first byte 64 (turn channel)", E_V4, {V4}, BYTES("400100040000000100000002"),
	 PUNT(PUNT_NOT_RTP)},
	{"stun binding request", E_V4, {V4}, {.kind = P_STUN}, PUNT(PUNT_STUN_DTLS)},
	{"stun first byte 3", E_V4, {V4}, BYTES("0301000c2112a442000000000000000000000000"),
	 PUNT(PUNT_STUN_DTLS)},
	{"stun-like, 4 bytes", E_V4, {V4}, BYTES("00010000"), PUNT(PUNT_STUN_DTLS)},
	{"dtls handshake", E_V4, {V4}, {.kind = P_DTLS, .type = 22, .body = 60},
	 PUNT(PUNT_STUN_DTLS)},
	{"dtls application data", E_V4, {V4}, {.kind = P_DTLS, .type = 23, .body = 100},
	 PUNT(PUNT_STUN_DTLS)},
	{"first byte 20", E_V4, {V4}, {.kind = P_DTLS, .type = 20, .body = 1},
	 PUNT(PUNT_STUN_DTLS)},
	{"first byte 63", E_V4, {V4}, BYTES("3f0000010000000100000002"), PUNT(PUNT_STUN_DTLS)},
	{"v6 stun", E_V6, {V6}, {.kind = P_STUN}, PUNT(PUNT_STUN_DTLS)},
	{"v4 rtcp without XR_F_RTCP", E_V4_NORTCP, {V4}, {.kind = P_SR}, PUNT(PUNT_RTCP)},
	{"v4 rtcp pt 192 without XR_F_RTCP", E_V4_NORTCP, {V4}, BYTES("80c00001deadbeef"),
	 PUNT(PUNT_RTCP)},
	{"v4 rtcp pt 223 without XR_F_RTCP", E_V4_NORTCP, {V4}, BYTES("80df0001deadbeef"),
	 PUNT(PUNT_RTCP)},
	{"v4 rtcp to a strict entry without XR_F_RTCP", E_V4_STRICT, {V4}, {.kind = P_RR},
	 PUNT(PUNT_RTCP)},
	{"v4 pt 96 not allowed", E_V4_PT, {V4}, RTP(96, 160), PUNT(PUNT_PT)},
	{"v4 pt 1 not allowed", E_V4_PT, {V4}, RTP(1, 160), PUNT(PUNT_PT)},
	{"v4 pt 126 not allowed, marker", E_V4_PT, {V4}, {.pt = 126, .marker = true, .body = 160},
	 PUNT(PUNT_PT)},

	/* route */
	{"v4 next hop without neighbour", E_V4_NONEIGH, {V4}, RTP(0, 160), PUNT(PUNT_NO_NEIGH)},
	{"v6 next hop without neighbour", E_V6_NONEIGH, {V6}, RTP(0, 160), PUNT(PUNT_NO_NEIGH)},
	{"v4 no route", E_V4_NOROUTE, {V4}, RTP(0, 160), PUNT(PUNT_FIB)},
	{"v6 no route", E_V6_NOROUTE, {V6}, RTP(0, 160), PUNT(PUNT_FIB)},
	{"v4 1501 bytes: over the egress mtu", E_V4, {V4}, RTP(0, 1461), PUNT(PUNT_FIB)},
	{"v6 1501 bytes: over the egress mtu", E_V6, {V6}, RTP(0, 1441), PUNT(PUNT_FIB)},
	{"v4 egress not in xr_dev", E_V4_NODEV, {V4}, RTP(0, 160), PUNT(PUNT_REDIRECT)},

	/* G.711 translation in the kernel (the expected payload: the reference tables below) */
	{"v4 pcmu->pcma 160", E_V4_U2A, {V4}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 pcma->pcmu 160", E_V4_A2U, {V4}, RTP(8, 160), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma 1 byte", E_V4_U2A, {V4}, RTP(0, 1), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma 0 bytes (header only)", E_V4_U2A, {V4}, RTP(0, 0), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma 7 bytes (tail 4+2+1)", E_V4_U2A, {V4}, RTP(0, 7), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma 33 bytes", E_V4_U2A, {V4}, RTP(0, 33), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma max payload", E_V4_U2A, {V4}, RTP(0, XMAX), FWD(XDP_REDIRECT)},
	{"v4 pcma->pcmu max payload", E_V4_A2U, {V4}, RTP(8, XMAX), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma max + 1: punted", E_V4_U2A, {V4}, RTP(0, XMAX + 1), PUNT(PUNT_XLATE)},
	{"v4 pcmu->pcma marker kept", E_V4_U2A, {V4}, {.pt = 0, .marker = true, .body = 160},
	 FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma zero udp checksum stays zero", E_V4_U2A, {V4, .csum = PKT_CSUM_ZERO},
	 RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v4 pcmu->pcma vlan", E_V4_U2A, {V4, VLAN(0x0064)}, RTP(0, 161), FWD(XDP_REDIRECT)},
	{"v4 xlate entry, pt 8 (allowed) unchanged", E_V4_U2A, {V4}, RTP(8, 160),
	 FWD(XDP_REDIRECT)},
	{"v4 xlate entry, pt 101 (allowed) unchanged", E_V4_U2A, {V4}, RTP(101, 4),
	 FWD(XDP_REDIRECT)},
	{"v4 xlate entry, pt 0 on the a->u entry unchanged", E_V4_A2U, {V4}, RTP(0, 160),
	 FWD(XDP_REDIRECT)},
	{"v4 xlate entry, pt 96 not allowed", E_V4_U2A, {V4}, RTP(96, 160), PUNT(PUNT_PT)},
	{"v4 xlate entry, rtcp not translated", E_V4_U2A, {V4}, {.kind = P_SR}, FWD(XDP_REDIRECT),
	 .rtcp = true},
	{"v4 pcmu with a csrc: punted", E_V4_U2A, {V4},
	 BYTES("8100123400abcdefdeadbeef01020304d5d4d7d6"), PUNT(PUNT_XLATE)},
	{"v4 pcmu with padding: punted", E_V4_U2A, {V4},
	 BYTES("a000123400abcdefdeadbeefd5d4d7d6d5d40002"), PUNT(PUNT_XLATE)},
	{"v4 pcmu with an extension: punted", E_V4_U2A, {V4},
	 BYTES("9000123400abcdefdeadbeefbede0001aabbccddd5d4d7d6"), PUNT(PUNT_XLATE)},
	{"v6 pcmu->pcma 160", E_V6_U2A, {V6}, RTP(0, 160), FWD(XDP_REDIRECT)},
	{"v6 pcma->pcmu 160", E_V6_A2U, {V6}, RTP(8, 160), FWD(XDP_REDIRECT)},
	{"v6 pcmu->pcma 1 byte", E_V6_U2A, {V6}, RTP(0, 1), FWD(XDP_REDIRECT)},
	{"v6 pcma->pcmu 45 bytes", E_V6_A2U, {V6}, RTP(8, 45), FWD(XDP_REDIRECT)},
	{"v6 pcmu->pcma max payload", E_V6_U2A, {V6}, RTP(0, XMAX), FWD(XDP_REDIRECT)},
	{"v6 pcma->pcmu max + 1: punted", E_V6_A2U, {V6}, RTP(8, XMAX + 1), PUNT(PUNT_XLATE)},
	{"v6 pcma->pcmu marker kept", E_V6_A2U, {V6}, {.pt = 8, .marker = true, .body = 80},
	 FWD(XDP_REDIRECT)},
	{"v6 xlate entry, pt 101 unchanged", E_V6_U2A, {V6}, RTP(101, 4), FWD(XDP_REDIRECT)},
	{"v6 xlate entry, rtcp not translated", E_V6_U2A, {V6}, {.kind = P_SR}, FWD(XDP_REDIRECT),
	 .rtcp = true},
	{"v6 xlate entry without XR_F_RTCP, rtcp punted", E_V6_A2U, {V6}, {.kind = P_SR},
	 PUNT(PUNT_RTCP)},

	/* SRTP: the worker decrypts and encrypts, the kernel still guards the source */
	{"v4 srtp rtp to the worker", E_V4_XFORM, {V4}, RTP(0, 170), PUNT(PUNT_TRANSFORM)},
	{"v4 srtcp to the worker", E_V4_XFORM, {V4}, {.kind = P_SR}, PUNT(PUNT_TRANSFORM)},
	{"v4 srtp stranger dropped", E_V4_XFORM, {V4, .src = "10.0.1.77"}, RTP(0, 170),
	 DROPPED(DROP_STRICT_SOURCE)},
};
/* clang-format on */

/* G.711 u-law <-> A-law, written here from ITU-T G.711 itself (not from codec.c or spandsp),
 * for the translated rows' expected payloads. A code is a sign and a magnitude index 0..127
 * (u-law: code = sign | (0x7f ^ index), sign 0x80 positive; A-law: code = (sign | index) ^
 * 0x55). The segment decoders give each index's quantized value: u-law ((2m + 33) << e) - 33
 * in units of 1/8159 of +3.17 dBm0 (G.711 Table 2), A-law 2m + 1 (e = 0) or (2m + 33) <<
 * (e - 1) in units of 1/4096 of +3.14 dBm0 (Table 1). G.711's conversion tables (Tables 3 and
 * 4) map each magnitude to the other law's nearest quantized value on that common level scale
 * and keep the sign (+0 and -0 too). Decoding to 16-bit linear and re-encoding instead (the
 * laws' overload points 0.03 dB apart, and truncating decision intervals) differs from the
 * tables in 44 u-law and 32 A-law codes. */
static uint8_t ref_u2a[256], ref_a2u[256];

static double ulaw_level(int i)
{
	int e = i >> 4, m = i & 15;

	return (((2 * m + 33) << e) - 33) * pow(10, 3.17 / 20) / 8159;
}

static double alaw_level(int i)
{
	int e = i >> 4, m = i & 15;

	return (e ? (2 * m + 33) << (e - 1) : 2 * m + 1) * pow(10, 3.14 / 20) / 4096;
}

static int nearest(double v, double (*level)(int))
{
	int best = 0;

	for (int i = 1; i < 128; i++)
		if (fabs(level(i) - v) < fabs(level(best) - v))
			best = i;
	return best;
}

static void g711_ref_init(void)
{
	for (int c = 0; c < 256; c++) {
		int sign = c & 0x80, ui = (c & 0x7f) ^ 0x7f, ai = (c ^ 0x55) & 0x7f;

		ref_u2a[c] = (uint8_t)((sign | nearest(ulaw_level(ui), alaw_level)) ^ 0x55);
		/* A-law's sign bit survives the XOR with 0x55 */
		ref_a2u[c] = (uint8_t)(((c ^ 0x55) & 0x80) |
				       (0x7f ^ nearest(alaw_level(ai), ulaw_level)));
	}
}

/* The daemon's tables (codec.c), which the program is loaded with, are G.711's. */
static void test_g711_tables(void **state)
{
	int bad = 0;

	for (int c = 0; c < 256; c++) {
		if (codec_ulaw_to_alaw((uint8_t)c) != ref_u2a[c]) {
			fprintf(stderr, "u-law %#04x: codec %#04x, G.711 %#04x\n", c,
				codec_ulaw_to_alaw((uint8_t)c), ref_u2a[c]);
			bad++;
		}
		if (codec_alaw_to_ulaw((uint8_t)c) != ref_a2u[c]) {
			fprintf(stderr, "A-law %#04x: codec %#04x, G.711 %#04x\n", c,
				codec_alaw_to_ulaw((uint8_t)c), ref_a2u[c]);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	/* a few codes by hand: +0, -0, the extremes, and the reference itself */
	assert_int_equal(ref_u2a[0xff], 0xd5);
	assert_int_equal(ref_u2a[0x7f], 0x55);
	assert_int_equal(ref_u2a[0x80], 0xaa);
	assert_int_equal(ref_u2a[0x00], 0x2a);
	assert_int_equal(ref_a2u[0xd5], 0xfe);
	assert_int_equal(ref_a2u[0x55], 0x7e);
	assert_int_equal(ref_a2u[0xaa], 0x80);
	assert_int_equal(ref_a2u[0x2a], 0x00);
}

/* The payload the program must send for a translated row (its entry translates the row's
 * payload type), into buf; NULL when the row's payload goes unchanged. */
static const uint8_t *xlate_payload(const struct row *r, const uint8_t *in, size_t n, uint8_t *buf)
{
	const uint8_t *t;

	if (!entries[r->entry].xlate || r->pay.kind != P_RTP ||
	    r->pay.pt != entries[r->entry].pt_in)
		return NULL;
	t = entries[r->entry].xlate == XR_XLATE_ULAW_ALAW ? ref_u2a : ref_a2u;
	memcpy(buf, in, 12);
	buf[1] = (uint8_t)((in[1] & 0x80) | entries[r->entry].pt_out);
	for (size_t i = 12; i < n; i++)
		buf[i] = t[in[i]];
	return buf;
}

/* The next-hop cache's lifetime in this lab (the daemon's is 1000 ms): short, so that the
 * expiry test waits little, and long enough for a neighbour to be deleted between two
 * packets. */
#define NHOP_TTL_MS 500

static int install(enum entry e, uint32_t flags)
{
	struct kernel_fwd f = {
		.local = xdp_lab_ep(entries[e].local),
		.peer = xdp_lab_ep(entries[e].peer),
		.new_src = xdp_lab_ep(entries[e].new_src),
		.new_dst = xdp_lab_ep(entries[e].new_dst),
		.flags = flags,
		.pt_allow = entries[e].pt_allow,
		.xlate = entries[e].xlate,
		.xlate_pt_in = entries[e].pt_in,
		.xlate_pt_out = entries[e].pt_out,
	};

	return kernel_fwd_install(&f);
}

static int lab_setup(void **state)
{
	char pin_root[64];
	enum xdp_mode mode[D_N];

	if (xdp_lab_net_setup(devs, D_N, neighs, ARRAY_SIZE(neighs), ifindex))
		return -1;
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/xrelay-test-%d", (int)getpid());
	kernel_set_nhop_ttl_ms(NHOP_TTL_MS);
	if (xdp_lab_kernel_open(pin_root, devs, D_N, ifindex, mode))
		return -1;
	for (int d = 0; d < D_N; d++)
		if (devs[d].attach)
			printf("# attached to %s (ifindex %d) in %s mode\n", devs[d].name,
			       ifindex[d], xdp_mode_name(mode[d]));
	for (int e = 1; e < E_N; e++) {
		int ret = install((enum entry)e, entries[e].flags);

		if (ret) {
			fprintf(stderr, "setup: kernel_fwd_install(entry %d) failed: %s\n", e,
				strerror(-ret));
			return -1;
		}
	}
	if (kernel_fwd_count() != E_N - 1) {
		fprintf(stderr, "setup: kernel_fwd_count() = %u, want %d\n", kernel_fwd_count(),
			E_N - 1);
		return -1;
	}
	return 0;
}

static int lab_teardown(void **state)
{
	xdp_lab_kernel_close();
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t from_hex(uint8_t *buf, size_t cap, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		int hi = hexval(hex[0]), lo = hexval(hex[1]);

		assert_true(hi >= 0 && lo >= 0);
		buf[n++] = (uint8_t)(hi << 4 | lo);
	}
	assert_int_equal(hex[0], 0);
	return n;
}

static size_t make_payload(const struct payload *p, uint8_t *buf, size_t cap)
{
	switch (p->kind) {
	case P_RTP:
		return pkt_rtp(buf, cap, p->pt, p->marker, SEQ, TS, SSRC, p->body);
	case P_SR:
		return pkt_rtcp_sr(buf, cap, SSRC);
	case P_RR:
		return pkt_rtcp_rr(buf, cap, SSRC);
	case P_STUN:
		return pkt_stun_binding(buf, cap, 0x01020304);
	case P_DTLS:
		return pkt_dtls_record(buf, cap, p->type, p->body);
	case P_BYTES:
		return from_hex(buf, cap, p->bytes);
	}
	return 0;
}

static const char *neigh_mac(const char *ip, enum dev *dev)
{
	for (size_t i = 0; i < ARRAY_SIZE(neighs); i++)
		if (!strcmp(neighs[i].ip, ip)) {
			*dev = neighs[i].dev;
			return neighs[i].mac;
		}
	return NULL;
}

/* The row's input packet: the entry supplies what the row leaves unset. */
static void input_pkt(const struct row *r, struct pkt *in, const uint8_t *payload, size_t n)
{
	*in = r->in;
	assert_int_equal(pkt_mac(in->eth_dst, devs[r->in_dev].mac), 0);
	assert_int_equal(pkt_mac(in->eth_src, CALLER_MAC), 0);
	in->payload = payload;
	in->payload_len = n;
	if (!in->family)
		return;
	if (!in->src)
		in->src = entries[r->entry].peer.ip ? entries[r->entry].peer.ip
			  : in->family == 4	    ? "10.0.1.2"
						    : "2001:db8:1::2";
	if (!in->dst)
		in->dst = entries[r->entry].local.ip;
	if (!in->sport)
		in->sport = entries[r->entry].peer.port ? entries[r->entry].peer.port : 5000;
	if (!in->dport)
		in->dport = entries[r->entry].local.port;
}

/* What the program must send: the entry's new addresses and ports, TTL 64, the neighbour's
 * MAC and the egress interface's; everything else as it came, checksums recomputed. */
static void output_pkt(const struct row *r, const struct pkt *in, struct pkt *out)
{
	const struct xdp_lab_side *ns = &entries[r->entry].new_src,
				  *nd = &entries[r->entry].new_dst;
	enum dev egress = D_N;
	const char *mac = neigh_mac(nd->ip, &egress);

	assert_non_null(mac);
	*out = *in;
	out->src = ns->ip;
	out->dst = nd->ip;
	out->sport = ns->port;
	out->dport = nd->port;
	out->ttl = 64;
	assert_int_equal(pkt_mac(out->eth_dst, mac), 0);
	assert_int_equal(pkt_mac(out->eth_src, devs[egress].mac), 0);
	/* the verdict the row states must agree with the lab's routes */
	assert_int_equal(r->verdict, egress == r->in_dev ? XDP_TX : XDP_REDIRECT);
}

static uint16_t udp_csum_field(const struct pkt *p, const uint8_t *frame)
{
	struct pkt_offsets o;

	assert_int_equal(pkt_offsets(p, &o), 0);
	return (uint16_t)(frame[o.l4 + 6] << 8 | frame[o.l4 + 7]);
}

/* Sets payload bytes 12..13 (an even offset in the UDP datagram) so that the UDP checksum of
 * the frame built from target comes out 0xffff (computed 0x0000). */
static void force_csum_ffff(struct pkt *target, uint8_t *payload)
{
	uint8_t frame[PKT_MAX];
	uint16_t c;
	int len;

	assert_true(target->payload_len >= 14);
	payload[12] = payload[13] = 0;
	len = pkt_build(target, frame, sizeof(frame));
	assert_true(len > 0);
	c = udp_csum_field(target, frame);
	/* adding the word ~sum makes the one's complement sum 0xffff */
	payload[12] = c >> 8;
	payload[13] = c & 0xff;
	assert_true(pkt_build(target, frame, sizeof(frame)) > 0);
	assert_int_equal(udp_csum_field(target, frame), 0xffff);
}

static bool counters_match(const uint64_t *want, const uint64_t *before, const uint64_t *after)
{
	bool ok = true;

	for (int c = 0; c < XR_C_MAX; c++)
		if (after[c] - before[c] != want[c]) {
			fprintf(stderr, "counter %s: delta %llu, want %llu\n",
				kernel_counter_name((enum xr_counter)c),
				(unsigned long long)(after[c] - before[c]),
				(unsigned long long)want[c]);
			ok = false;
		}
	return ok;
}

/* Entries a test has removed on purpose (their counters read as zero). */
static bool removed[E_N];

static void read_entry_stats(struct xr_entry_stats *s)
{
	for (int e = 1; e < E_N; e++) {
		struct endpoint local = xdp_lab_ep(entries[e].local);

		memset(&s[e], 0, sizeof(s[e]));
		if (removed[e])
			continue;

		assert_int_equal(kernel_fwd_stats(&local, &s[e]), 0);
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;
	uint8_t payload[PKT_MAX], xpayload[PKT_MAX], in_frame[PKT_MAX], want[PKT_MAX],
		got[PKT_MAX + 256];
	struct xr_entry_stats sb[E_N], sa[E_N];
	uint64_t cb[XR_C_MAX], ca[XR_C_MAX], dwant[XR_C_MAX] = {0};
	struct pkt in, out;
	size_t n = make_payload(&r->pay, payload, sizeof(payload));
	int in_len, want_len;
	bool fwd = r->verdict == XDP_TX || r->verdict == XDP_REDIRECT;
	bool ok = true;

	assert_true(kernel_prog_fd() >= 0);
	assert_true(n > 0 || (r->pay.kind == P_BYTES && !r->pay.bytes[0]));
	input_pkt(r, &in, payload, n);
	if (fwd)
		output_pkt(r, &in, &out);
	if (r->edge == EDGE_OUT_FFFF)
		force_csum_ffff(&out, payload);
	else if (r->edge == EDGE_IN_FFFF)
		force_csum_ffff(&in, payload);

	in_len = pkt_build(&in, in_frame, sizeof(in_frame));
	assert_true(in_len >= 14);
	if (fwd) {
		const uint8_t *x = xlate_payload(r, payload, n, xpayload);

		if (x)
			out.payload = x; /* pkt_build computes the checksums from scratch */
		want_len = pkt_build(&out, want, sizeof(want));
		assert_true(want_len > 0);
	} else {
		memcpy(want, in_frame, (size_t)in_len);
		want_len = in_len;
	}

	struct xdp_md ctx = {
		.data_end = (__u32)in_len,
		.ingress_ifindex = (__u32)ifindex[r->in_dev],
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in_frame, .data_size_in = (__u32)in_len,
		    .data_out = got, .data_size_out = sizeof(got), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	read_entry_stats(sb);
	assert_int_equal(kernel_counters(cb), 0);
	int ret = bpf_prog_test_run_opts(kernel_prog_fd(), &opts);
	if (ret) {
		pkt_hexdump(stderr, "input", in_frame, (size_t)in_len, NULL, 0);
		fail_msg("bpf_prog_test_run_opts: %s", strerror(-ret));
	}
	assert_int_equal(kernel_counters(ca), 0);
	read_entry_stats(sa);

	if (opts.retval != (__u32)r->verdict) {
		fprintf(stderr, "verdict %u, want %d\n", opts.retval, r->verdict);
		ok = false;
	}
	if (opts.data_size_out != (__u32)want_len || memcmp(got, want, (size_t)want_len)) {
		fprintf(stderr, "output differs from the expected %s\n",
			fwd ? "rewritten frame" : "input (a punt must not modify the frame)");
		pkt_dump_diff(stderr, "got", got, opts.data_size_out, "want", want,
			      (size_t)want_len);
		if (fwd)
			pkt_hexdump(stderr, "input", in_frame, (size_t)in_len, NULL, 0);
		ok = false;
	}

	dwant[r->verdict == XDP_TX	   ? XR_C_TX
	      : r->verdict == XDP_REDIRECT ? XR_C_REDIRECT
	      : r->verdict == XDP_PASS	   ? XR_C_PASS
					   : XR_C_DROP] = 1;
	if (!fwd)
		dwant[r->reason] = 1;
	if (!counters_match(dwant, cb, ca))
		ok = false;

	/* Per-entry counters move for a forwarded packet only, and only its entry's. */
	for (int e = 1; e < E_N; e++) {
		uint64_t dp = sa[e].packets - sb[e].packets, db = sa[e].bytes - sb[e].bytes;
		bool mine = fwd && e == (int)r->entry;

		if (dp != (mine ? 1 : 0) || db != (mine ? n : 0)) {
			fprintf(stderr, "entry %d: packets +%llu bytes +%llu, want +%d +%zu\n", e,
				(unsigned long long)dp, (unsigned long long)db, mine ? 1 : 0,
				mine ? n : 0);
			ok = false;
		}
		if (mine && !r->rtcp && (sa[e].last_ssrc != SSRC || sa[e].last_seq != SEQ)) {
			fprintf(stderr, "entry %d: last_ssrc %#x last_seq %#x, want %#x %#x\n", e,
				sa[e].last_ssrc, sa[e].last_seq, SSRC, SEQ);
			ok = false;
		}
		if (mine && !sa[e].last_ns) {
			fprintf(stderr, "entry %d: last_ns not set\n", e);
			ok = false;
		}
	}
	if (!ok)
		fail_msg("row '%s' failed (see above)", r->name);
}

static void run(const struct row *r)
{
	const void *state = r;

	run_row((void **)&state);
}

static struct xr_entry_stats stats_of(enum entry e)
{
	struct endpoint local = xdp_lab_ep(entries[e].local);
	struct xr_entry_stats st;

	assert_int_equal(kernel_fwd_stats(&local, &st), 0);
	return st;
}

/* Installing over an entry updates it in place: the change takes effect, the counters stay. */
static void test_reinstall_keeps_counters(void **state)
{
	static const struct row no_rtp = {
		"rtp after XR_F_RTP was cleared", E_V4_TX, {V4}, RTP(8, 160), PUNT(PUNT_NOT_RTP)};
	static const struct row fwd = {
		"rtp after XR_F_RTP came back", E_V4_TX, {V4}, RTP(8, 160), FWD(XDP_TX)};
	struct xr_entry_stats before = stats_of(E_V4_TX);

	assert_true(before.packets > 0); /* the rows forwarded on it */
	assert_int_equal(install(E_V4_TX, XR_F_RTCP), 0);
	assert_int_equal(kernel_fwd_count(), E_N - 1);
	run(&no_rtp);
	assert_int_equal(install(E_V4_TX, entries[E_V4_TX].flags), 0);
	run(&fwd);
	assert_int_equal(stats_of(E_V4_TX).packets, before.packets + 1);
}

/* A removed entry hands back its counters and stops forwarding; installed again it starts
 * from zero (its counter slot is reused, and must be cleared). */
static void test_remove_and_reinstall(void **state)
{
	static const struct row gone = {
		"rtp to a removed entry", E_V4_TX, {V4}, RTP(8, 160), PUNT(PUNT_NO_ENTRY)};
	static const struct row back = {
		"rtp to the entry installed again", E_V4_TX, {V4}, RTP(8, 160), FWD(XDP_TX)};
	struct endpoint local = xdp_lab_ep(entries[E_V4_TX].local);
	struct xr_entry_stats before = stats_of(E_V4_TX), last;

	assert_true(before.packets > 0);
	assert_int_equal(kernel_fwd_remove(&local, &last), 0);
	removed[E_V4_TX] = true;
	assert_int_equal(last.packets, before.packets);
	assert_int_equal(last.bytes, before.bytes);
	assert_int_equal(kernel_fwd_count(), E_N - 2);
	assert_int_equal(kernel_fwd_remove(&local, NULL), -ENOENT);
	run(&gone);

	assert_int_equal(install(E_V4_TX, entries[E_V4_TX].flags), 0);
	removed[E_V4_TX] = false;
	assert_int_equal(kernel_fwd_count(), E_N - 1);
	assert_int_equal(stats_of(E_V4_TX).packets, 0);
	run(&back);
	assert_int_equal(stats_of(E_V4_TX).packets, 1);
	assert_int_equal(stats_of(E_V4_TX).bytes, 172);
}

/* The next-hop cache. The program caches per CPU, so these tests keep to one CPU; each entry
 * has a neighbour of its own, which they delete and restore. */
struct cache_case {
	enum entry entry;
	const char *neigh, *mac; /* the entry's next hop, on xrb */
	struct row fwd, fits, too_big, no_neigh;
};

/* clang-format off */
static const struct cache_case cache_cases[] = {
	{E_V4_CACHE, "10.0.2.3", "02:00:00:01:02:03",
	 {"cache v4: forwarded", E_V4_CACHE, {V4}, RTP(0, 160), FWD(XDP_REDIRECT)},
	 {"cache v4: 1500 bytes fit the cached mtu", E_V4_CACHE, {V4}, RTP(0, 1460),
	  FWD(XDP_REDIRECT)},
	 {"cache v4: 1501 bytes exceed the cached mtu", E_V4_CACHE, {V4}, RTP(0, 1461),
	  PUNT(PUNT_FIB)},
	 {"cache v4: looked up, no neighbour", E_V4_CACHE, {V4}, RTP(0, 160),
	  PUNT(PUNT_NO_NEIGH)}},
	{E_V6_CACHE, "2001:db8:2::3", "02:00:00:01:62:03",
	 {"cache v6: forwarded", E_V6_CACHE, {V6}, RTP(0, 160), FWD(XDP_REDIRECT)},
	 {"cache v6: 1500 bytes fit the cached mtu", E_V6_CACHE, {V6}, RTP(0, 1440),
	  FWD(XDP_REDIRECT)},
	 {"cache v6: 1501 bytes exceed the cached mtu", E_V6_CACHE, {V6}, RTP(0, 1441),
	  PUNT(PUNT_FIB)},
	 {"cache v6: looked up, no neighbour", E_V6_CACHE, {V6}, RTP(0, 160),
	  PUNT(PUNT_NO_NEIGH)}},
};
/* clang-format on */

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void pin_to_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	assert_true(cpu >= 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void neigh_restore(const struct cache_case *c)
{
	assert_int_equal(
		xdp_lab_sh("ip neigh replace %s lladdr %s dev xrb nud permanent", c->neigh, c->mac),
		0);
}

/* Installs the entry again (a new version: nothing cached for it), forwards one packet, which
 * looks up and fills the cache, and deletes the neighbour: the next packets still go out with
 * the cached MAC (the lookup would punt them no_neighbour), and the cached MTU punts one byte
 * too many like the lookup does. Leaves the neighbour deleted. False, with the neighbour
 * restored, when the machine stalled so long that the cache could have expired. */
static bool cached_without_neigh(const struct cache_case *c)
{
	double t0;

	assert_int_equal(install(c->entry, entries[c->entry].flags), 0);
	t0 = mono_ms();
	run(&c->fwd);
	assert_int_equal(xdp_lab_sh("ip neigh del %s dev xrb", c->neigh), 0);
	if (mono_ms() - t0 > NHOP_TTL_MS / 2) {
		neigh_restore(c);
		return false;
	}
	run(&c->fwd);
	run(&c->fits);
	run(&c->too_big);
	return true;
}

/* (1) the cache is used after the first packet, and an entry installed again (its
 * destination may have changed) does not use what was cached for the old version. */
static void test_nhop_cache_reinstall(void **state)
{
	pin_to_this_cpu();
	for (size_t i = 0; i < ARRAY_SIZE(cache_cases); i++) {
		const struct cache_case *c = &cache_cases[i];
		int tries = 0;

		while (!cached_without_neigh(c))
			assert_true(++tries < 3);
		assert_int_equal(install(c->entry, entries[c->entry].flags), 0);
		run(&c->no_neigh);
		neigh_restore(c);
		run(&c->fwd);
	}
}

/* (2) a cached next hop is used for NHOP_TTL_MS only: then the program looks up again. */
static void test_nhop_cache_expiry(void **state)
{
	pin_to_this_cpu();
	for (size_t i = 0; i < ARRAY_SIZE(cache_cases); i++) {
		const struct cache_case *c = &cache_cases[i];
		int tries = 0;

		while (!cached_without_neigh(c))
			assert_true(++tries < 3);
		/* past the expiry, with a margin for the coarse clock (one tick) */
		usleep((NHOP_TTL_MS + 20) * 1000);
		run(&c->no_neigh);
		neigh_restore(c);
		run(&c->fwd);
	}
}

/* 100 000 calls' worth of entries (two per call) beside the fixture's: the rows' entries still
 * forward exactly, and the table gives every entry back. The cost per packet at this size is
 * measured by make bench (tests/bench/xdp_prog_cost.c). */
static void test_scale(void **state)
{
	static const struct row fwd = {
		"rtp among 200 000 entries", E_V4_TX, {V4}, RTP(8, 160), FWD(XDP_TX)};
	static const struct row fwd6 = {
		"rtp v6 among 200 000 entries", E_V6, {V6}, RTP(0, 160), FWD(XDP_REDIRECT)};
	const unsigned int n = 200000, base = kernel_fwd_count();
	struct kernel_fwd f = {0};
	struct xr_entry_stats st;

	for (unsigned int i = 0; i < n; i++) {
		/* 10.200.0.0/16 x ports 20000..: addresses the lab does not use */
		char ip[32];

		snprintf(ip, sizeof(ip), "10.200.%u.%u", (i / 20000) / 256, (i / 20000) % 256);
		assert_int_equal(ep_parse_ip(&f.local, ip), 0);
		ep_set_port(&f.local, (uint16_t)(20000 + i % 20000));
		f.peer = f.local;
		f.new_src = f.local;
		f.new_dst = f.local;
		f.flags = XR_F_RTP;
		if (kernel_fwd_install(&f))
			fail_msg("install %u of %u failed", i, n);
	}
	assert_int_equal(kernel_fwd_count(), base + n);
	run(&fwd);
	run(&fwd6);
	assert_int_equal(kernel_fwd_stats(&f.local, &st), 0);
	assert_int_equal(st.packets, 0);
	for (unsigned int i = 0; i < n; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.200.%u.%u", (i / 20000) / 256, (i / 20000) % 256);
		ep_parse_ip(&f.local, ip);
		ep_set_port(&f.local, (uint16_t)(20000 + i % 20000));
		assert_int_equal(kernel_fwd_remove(&f.local, NULL), 0);
	}
	assert_int_equal(kernel_fwd_count(), base);
	run(&fwd);
}

/* Known answers for the builder: frames the kernel itself built and checksummed in software
 * (a veth with TX offload off, captured with tcpdump), rebuilt here byte for byte. */
static void test_pkt_known_answers(void **state)
{
	static const char v4[] = "02000000cc0102000000aa0108004500003d4a3c40004011dc580a0900010a09"
				 "00090fa0138c00292f4b808182838485868788898a8b8c8d8e8f909192939495"
				 "969798999a9b9c9d9e9fa0";
	static const char v6[] = "02000000cc0102000000aa0186dd6007134d0035114020010db8000900000000"
				 "00000000000120010db80009000000000000000000090fa1138e003513801011"
				 "12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031"
				 "32333435363738393a3b3c";
	uint8_t want[256], got[256], body[64];
	size_t wn;
	int n;

	for (int i = 0; i < 33; i++)
		body[i] = (uint8_t)(0x80 + i);
	struct pkt p4 = {.family = 4,
			 .src = "10.9.0.1",
			 .dst = "10.9.0.9",
			 .ip_id = 0x4a3c,
			 .frag = PKT_DF,
			 .sport = 4000,
			 .dport = 5004,
			 .payload = body,
			 .payload_len = 33};
	pkt_mac(p4.eth_dst, "02:00:00:00:cc:01");
	pkt_mac(p4.eth_src, "02:00:00:00:aa:01");
	wn = from_hex(want, sizeof(want), v4);
	n = pkt_build(&p4, got, sizeof(got));
	if (n != (int)wn || memcmp(got, want, wn)) {
		pkt_dump_diff(stderr, "built", got, n > 0 ? (size_t)n : 0, "captured", want, wn);
		fail_msg("IPv4 known answer");
	}
	assert_int_equal(pkt_check_csums(got, (size_t)n), 0);

	for (int i = 0; i < 45; i++)
		body[i] = (uint8_t)(0x10 + i);
	struct pkt p6 = {.family = 6,
			 .src = "2001:db8:9::1",
			 .dst = "2001:db8:9::9",
			 .flow = 0x7134d,
			 .sport = 4001,
			 .dport = 5006,
			 .payload = body,
			 .payload_len = 45};
	pkt_mac(p6.eth_dst, "02:00:00:00:cc:01");
	pkt_mac(p6.eth_src, "02:00:00:00:aa:01");
	wn = from_hex(want, sizeof(want), v6);
	n = pkt_build(&p6, got, sizeof(got));
	if (n != (int)wn || memcmp(got, want, wn)) {
		pkt_dump_diff(stderr, "built", got, n > 0 ? (size_t)n : 0, "captured", want, wn);
		fail_msg("IPv6 known answer");
	}
	assert_int_equal(pkt_check_csums(got, (size_t)n), 0);

	/* a checksum checker that cannot fail proves nothing */
	got[n - 1] ^= 0x40;
	assert_int_equal(pkt_check_csums(got, (size_t)n), -EBADMSG);
}

/* The builder's structure: lengths, VLAN, options, extension header, lies, truncation. */
static void test_pkt_layout(void **state)
{
	uint8_t body[20] = {0x80}, f[PKT_MAX];
	struct pkt p = {.family = 4,
			.src = "10.0.0.1",
			.dst = "10.0.0.2",
			.sport = 1,
			.dport = 2,
			.payload = body,
			.payload_len = sizeof(body),
			VLAN(0x2064)};
	int n;

	n = pkt_build(&p, f, sizeof(f));
	assert_int_equal(n, 14 + 4 + 20 + 8 + 20);
	assert_int_equal(f[12] << 8 | f[13], 0x8100);
	assert_int_equal(f[14] << 8 | f[15], 0x2064);
	assert_int_equal(f[16] << 8 | f[17], 0x0800);
	assert_int_equal(f[18 + 2] << 8 | f[18 + 3], 48); /* tot_len */
	assert_int_equal(f[38 + 4] << 8 | f[38 + 5], 28); /* udp len */
	assert_int_equal(pkt_check_csums(f, (size_t)n), 0);

	p.ip_opt_words = 2;
	n = pkt_build(&p, f, sizeof(f));
	assert_int_equal(n, 14 + 4 + 28 + 8 + 20);
	assert_int_equal(f[18], 0x47);
	assert_int_equal(f[18 + 2] << 8 | f[18 + 3], 56);
	assert_int_equal(f[18 + 20], 0x94);

	p.ip_opt_words = 0;
	p.lie.ip_len = 5;
	p.lie.udp_len = -3;
	p.pad = 7;
	p.truncate = 50;
	n = pkt_build(&p, f, sizeof(f));
	assert_int_equal(n, 50);
	assert_int_equal(f[18 + 2] << 8 | f[18 + 3], 53);
	assert_int_equal(f[38 + 4] << 8 | f[38 + 5], 25);

	struct pkt q = {.family = 6,
			.src = "2001:db8::1",
			.dst = "2001:db8::2",
			.sport = 1,
			.dport = 2,
			.payload = body,
			.payload_len = sizeof(body),
			.ext_hdr = 60,
			.ext_hdr_set = true};
	n = pkt_build(&q, f, sizeof(f));
	assert_int_equal(n, 14 + 40 + 8 + 8 + 20);
	assert_int_equal(f[14 + 4] << 8 | f[14 + 5], 36); /* payload_len */
	assert_int_equal(f[14 + 6], 60);
	assert_int_equal(f[54], 17);
	assert_int_equal(f[62 + 4] << 8 | f[62 + 5], 28);

	q.csum = PKT_CSUM_BAD;
	q.ext_hdr_set = false;
	n = pkt_build(&q, f, sizeof(f));
	assert_int_equal(pkt_check_csums(f, (size_t)n), -EBADMSG);
	q.src = "nonsense";
	assert_int_equal(pkt_build(&q, f, sizeof(f)), -EINVAL);
	q.src = "2001:db8::1";
	assert_int_equal(pkt_build(&q, f, 30), -ENOSPC);
}

int main(void)
{
	static const struct CMUnitTest builder[] = {
		cmocka_unit_test(test_pkt_known_answers),
		cmocka_unit_test(test_pkt_layout),
		cmocka_unit_test(test_g711_tables),
	};
	struct CMUnitTest tests[ARRAY_SIZE(rows) + 5];
	int failed;

	g711_ref_init();
	failed = cmocka_run_group_tests_name("pkt builder, G.711", builder, NULL, NULL);

	if (xdp_lab_enter())
		return 1;
	atexit(xdp_lab_kernel_close);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		tests[i] = (struct CMUnitTest){.name = rows[i].name,
					       .test_func = run_row,
					       .initial_state = (void *)&rows[i]};
	/* after the rows: they change entries the rows use */
	tests[ARRAY_SIZE(rows)] =
		(struct CMUnitTest)cmocka_unit_test(test_reinstall_keeps_counters);
	tests[ARRAY_SIZE(rows) + 1] =
		(struct CMUnitTest)cmocka_unit_test(test_remove_and_reinstall);
	tests[ARRAY_SIZE(rows) + 2] =
		(struct CMUnitTest)cmocka_unit_test(test_nhop_cache_reinstall);
	tests[ARRAY_SIZE(rows) + 3] = (struct CMUnitTest)cmocka_unit_test(test_nhop_cache_expiry);
	tests[ARRAY_SIZE(rows) + 4] = (struct CMUnitTest)cmocka_unit_test(test_scale);
	failed += _cmocka_run_group_tests("xdp fixture rows", tests, ARRAY_SIZE(tests), lab_setup,
					  lab_teardown);
	return failed ? 1 : 0;
}
