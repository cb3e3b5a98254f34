/* SPDX-License-Identifier: GPL-2.0-only */
/* The ABI between the XDP fast path (bpf/) and xrelayd: forwarding key and entry, counters,
 * punt reasons, flags, limits, map names and the pin path. Defined here once; both sides
 * include it. Fixed-width types only, explicit padding, a size check on every struct. */
#ifndef XRELAY_ABI_H
#define XRELAY_ABI_H

#ifndef __VMLINUX_H__ /* the BPF side gets the types from vmlinux.h */
#include <linux/types.h>
#endif

/* Bumped on any change below; pinned maps of another version are not reused. */
#define XR_ABI_VERSION 5

#define XR_PIN_ROOT "/sys/fs/bpf/xrelay"

/* Map names: "xr_" + at most 12 characters, so the kernel's name, the pin file and the
 * source agree. */
#define XR_MAP_FWD    "xr_fwd"	  /* hash: xr_fwd_key -> xr_fwd_entry */
#define XR_MAP_STATS  "xr_stats"  /* per-CPU array: xr_fwd_entry.stats_idx -> xr_entry_stats */
#define XR_MAP_GLOBAL "xr_global" /* per-CPU array: enum xr_counter -> __u64 */
#define XR_MAP_DEV    "xr_dev"	  /* devmap: ifindex -> ifindex, for bpf_redirect_map */
#define XR_MAP_META   "xr_meta"	  /* array[1]: struct xr_meta */
#define XR_MAP_NHOP   "xr_nhop"	  /* per-CPU array: xr_fwd_entry.stats_idx -> xr_nhop */

/* Forwarding entries (one per relay socket that forwards in kernel) and counter slots. */
#define XR_MAX_ENTRIES (1u << 19)
#define XR_MAX_IFINDEX 4096

/* Address families in keys and entries. */
#define XR_AF_INET  4
#define XR_AF_INET6 6

/* The relay's own address and UDP port the packet arrived on. IPv4 uses addr[0]. */
struct xr_fwd_key {
	__be32 addr[4];
	__be16 port;
	__u8 family; /* XR_AF_* */
	__u8 pad;
};
_Static_assert(sizeof(struct xr_fwd_key) == 20, "xr_fwd_key size");

/* Entry flags. */
#define XR_F_RTP	   (1u << 0) /* forward RTP arriving here */
#define XR_F_RTCP	   (1u << 1) /* forward RTCP arriving here (else punt it) */
#define XR_F_STRICT_SOURCE (1u << 2) /* drop packets not from src_addr:src_port */
#define XR_F_ANY_SOURCE	   (1u << 3) /* accept any source (not latched: asymmetric) */
#define XR_F_TRANSFORM	   (1u << 4) /* the worker transforms (SRTP): punt after the source check */

/* Payload translation in the kernel (xr_fwd_entry.xlate): G.711 u-law <-> A-law, byte for
 * byte through a 256-byte table. RTP with padding, an extension or CSRCs, and payloads longer
 * than XR_XLATE_MAX_PAYLOAD, are punted (PUNT_XLATE). */
#define XR_XLATE_NONE	     0
#define XR_XLATE_ULAW_ALAW   1 /* PCMU in, PCMA out */
#define XR_XLATE_ALAW_ULAW   2
#define XR_XLATE_MAX_PAYLOAD 480 /* bytes (60 ms of G.711); longer ones are punted */

/* What to do with a packet that arrives at key from src_addr:src_port: send it from
 * new_saddr:new_sport to new_daddr:new_dport. Both sides have the same family; a call that
 * bridges IPv4 and IPv6 stays in userspace. */
struct xr_fwd_entry {
	__be32 src_addr[4]; /* the latched peer */
	__be32 new_saddr[4];
	__be32 new_daddr[4];
	__be16 src_port;
	__be16 new_sport;
	__be16 new_dport;
	__u8 family; /* XR_AF_* */
	__u8 pad0;
	__u32 flags;	   /* XR_F_* */
	__u32 stats_idx;   /* slot in XR_MAP_STATS and XR_MAP_NHOP */
	__u32 pt_allow[4]; /* bit n set: RTP payload type n is forwarded; others are punted */
	__u8 xlate; /* XR_XLATE_*: payload translation of RTP with payload type xlate_pt_in */
	__u8 xlate_pt_in;
	__u8 xlate_pt_out; /* the payload type it leaves with */
	__u8 pad1[5];
	/* Unique to this version of the entry: the daemon never hands out a value twice on one
	 * boot, so a next hop cached for an older version or another entry does not match. */
	__u64 gen;
};
_Static_assert(sizeof(struct xr_fwd_entry) == 96, "xr_fwd_entry size");

/* Per entry, per CPU. */
struct xr_entry_stats {
	__u64 packets;
	__u64 bytes;
	__u64 last_ns;	 /* CLOCK_MONOTONIC ns of the last forward (tick precision) */
	__u32 last_ssrc; /* host order */
	__u16 last_seq;	 /* host order */
	__u16 pad;
};
_Static_assert(sizeof(struct xr_entry_stats) == 32, "xr_entry_stats size");

/* The next hop of an entry's packets as bpf_fib_lookup last answered it, per CPU, in the
 * entry's stats_idx slot; written by the program only. Used while expires_ns is ahead of the
 * clock and gen, fib_key and (when looking up from the ingress) iif match the packet's. */
struct xr_nhop {
	__u64 expires_ns; /* the program's clock (CLOCK_MONOTONIC) */
	__u64 gen;	  /* the xr_fwd_entry.gen it was looked up for */
	__u32 ifindex;	  /* egress */
	__u32 fib_key;	  /* the other lookup input: IPv4 TOS, IPv6 traffic class + flow label */
	__u16 mtu;	  /* the route's MTU; 0xffff: 65535 or more */
	__u16 iif;	  /* the interface looked up from, when that is the ingress */
	__u8 smac[6];
	__u8 dmac[6];
};
_Static_assert(sizeof(struct xr_nhop) == 40, "xr_nhop size");

/* Global counters: verdicts, then punt reasons (XDP_PASS to the daemon), then drops.
 * X(name, "json/metric name") */
#define XR_VERDICTS(X)          \
	X(TX, "tx")             \
	X(REDIRECT, "redirect") \
	X(PASS, "pass")         \
	X(DROP, "drop")

#define XR_PUNT_REASONS(X)                  \
	X(PUNT_NOT_IP, "not_ip")            \
	X(PUNT_NOT_UDP, "not_udp")          \
	X(PUNT_MALFORMED, "malformed")      \
	X(PUNT_IP_OPTIONS, "ip_options")    \
	X(PUNT_FRAGMENT, "fragment")        \
	X(PUNT_IPV6_EXT, "ipv6_ext")        \
	X(PUNT_NO_ENTRY, "no_entry")        \
	X(PUNT_SOURCE, "source_changed")    \
	X(PUNT_NOT_RTP, "not_rtp")          \
	X(PUNT_STUN_DTLS, "stun_dtls")      \
	X(PUNT_RTCP, "rtcp")                \
	X(PUNT_PT, "payload_type")          \
	X(PUNT_NO_NEIGH, "no_neighbour")    \
	X(PUNT_FIB, "fib")                  \
	X(PUNT_REDIRECT, "redirect_failed") \
	X(PUNT_TRANSFORM, "transform")      \
	X(PUNT_XLATE, "xlate")

#define XR_DROP_REASONS(X) X(DROP_STRICT_SOURCE, "strict_source")

enum xr_counter {
#define XR_ENUM(name, str) XR_C_##name,
	XR_VERDICTS(XR_ENUM) XR_PUNT_REASONS(XR_ENUM) XR_DROP_REASONS(XR_ENUM)
#undef XR_ENUM
		XR_C_MAX
};

struct xr_meta {
	__u32 abi_version;
	__u32 pad;
};
_Static_assert(sizeof(struct xr_meta) == 8, "xr_meta size");

#endif
