/* SPDX-License-Identifier: GPL-2.0-only */
/* Incremental Internet checksum updates (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')). Words are
 * taken as they lie in memory (network order); one's complement sums do not care about byte
 * order as long as every word is read the same way, and 16- and 32-bit words mix freely. */
#ifndef XRELAY_BPF_LIB_CSUM_H
#define XRELAY_BPF_LIB_CSUM_H

#include "base.h"

/* ~m + m' for a 32-bit field changing from "from" to "to". */
static __always_inline __u64 xr_csum_diff32(__u32 from, __u32 to)
{
	return (__u64)(__u32)~from + to;
}

/* The same for a 16-bit field at an even offset. */
static __always_inline __u64 xr_csum_diff16(__u16 from, __u16 to)
{
	return (__u64)(__u16)~from + to;
}

/* Folds a sum of up to 2^32 words to 16 bits with end-around carry. */
static __always_inline __u16 xr_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum field after fields changed by diff (a sum of xr_csum_diff* terms). */
static __always_inline __u16 xr_csum_update(__u16 check, __u64 diff)
{
	return (__u16)~xr_csum_fold((__u16)~check + diff);
}

/* The same for a UDP checksum, where 0 means "none" and a computed 0 is sent as 0xffff
 * (RFC 768). The caller decides whether a received 0 is kept (IPv4) or not. */
static __always_inline __u16 xr_csum_update_udp(__u16 check, __u64 diff)
{
	__u16 c = xr_csum_update(check, diff);

	return c ? c : 0xffff;
}

#endif
