/* SPDX-License-Identifier: GPL-2.0-only */
/* Payload translation in place (G.711 u-law <-> A-law): every payload byte of an RTP packet
 * through a 256-byte table and a new payload type, and the UDP checksum difference that makes.
 * Pure, like rewrite.h; xr_check_payload has admitted the packet (XR_MEDIA_RTP_XLATE). */
#ifndef XRELAY_BPF_LIB_XLATE_H
#define XRELAY_BPF_LIB_XLATE_H

#include "check.h"
#include "csum.h"

/* Eight or four packet bytes at once. The BPF JIT (x86, arm64) loads and stores unaligned
 * words, and LLVM would split a memcpy of unknown alignment into bytes there; native code (unit
 * tests under UBSan) must not dereference a misaligned pointer. */
#ifdef __bpf__
#define XR_LOAD(type, q)     (*(const type *)(q))
#define XR_STORE(type, q, x) (*(type *)(q) = (x))
#else
#define XR_LOAD(type, q)                                \
	({                                              \
		type _x;                                \
		__builtin_memcpy(&_x, (q), sizeof(_x)); \
		_x;                                     \
	})
#define XR_STORE(type, q, x)                            \
	do {                                            \
		type _x = (x);                          \
		__builtin_memcpy((q), &_x, sizeof(_x)); \
	} while (0)
#endif

/* Each byte lane of x through t: the lanes stay where they are, whatever the byte order. */
static __always_inline __u64 xr_xlate64(__u64 x, const volatile __u8 *t)
{
	return (__u64)t[x & 0xff] | (__u64)t[(x >> 8) & 0xff] << 8 |
	       (__u64)t[(x >> 16) & 0xff] << 16 | (__u64)t[(x >> 24) & 0xff] << 24 |
	       (__u64)t[(x >> 32) & 0xff] << 32 | (__u64)t[(x >> 40) & 0xff] << 40 |
	       (__u64)t[(x >> 48) & 0xff] << 48 | (__u64)t[x >> 56] << 56;
}

/* The two 32-bit halves: summed and folded they give the one's complement sum of the four
 * 16-bit words as they lie in memory (csum.h's convention). */
static __always_inline __u64 xr_sum64(__u64 x)
{
	return (x & 0xffffffff) + (x >> 32);
}

/* Translates the RTP payload of pkt through t (256 bytes) and sets its payload type to pt_out,
 * keeping the marker bit; returns the UDP checksum difference (xr_csum_diff* terms) for
 * xr_rewrite. The payload starts at an even offset of the UDP datagram (after the 12-byte
 * header and 4-byte CSRCs), so its bytes pair into checksum words from the first one. */
static __always_inline __u64 xr_xlate(struct xr_pkt *pkt, const volatile __u8 *t, __u8 pt_out)
{
	__u8 *p = pkt->payload, *a, *q, *tail;
	void *end = pkt->end;
	__u64 sum = 0, diff; /* a sum of xr_csum_diff* terms */
	__u32 n, nq, i, cc, x32, y32;
	__u16 w, x16, y16;
	__u8 b, c;

	/* The (void *) bounds checks cannot fail after xr_check_payload; the verifier wants them.
	 */
	if ((void *)(p + XR_RTP_HDR_LEN) > end)
		return 0;
	w = *(__u16 *)p;
	p[1] = (p[1] & 0x80) | (pt_out & 0x7f);
	diff = xr_csum_diff16(w, *(__u16 *)p);

	/* No CSRCs here (xr_check_payload), but the payload offset taken from the header is
	 * variable to the verifier: a and the pointers made from it get an id of their own, so the
	 * range each loop bounds check proves is not the parsed headers', and the loop's exits,
	 * which prove different ranges, prune against each other. */
	cc = p[0] & 0x0f;
	a = p + XR_RTP_HDR_LEN + 4 * cc;
	n = pkt->payload_len - XR_RTP_HDR_LEN - 4 * cc;
	if (n > XR_XLATE_MAX_PAYLOAD)
		return diff;
	nq = n / 8;
	/* The tail's pointer, made before the loop so that nothing of the loop is live after it. */
	tail = a + (n & ~7u);
	asm volatile("" : "+r"(tail));
	/* A bounded loop, not unrolled: the verifier walks each iteration (60 at most). */
#pragma clang loop unroll(disable)
	for (i = 0; i < XR_XLATE_MAX_PAYLOAD / 8; i++) {
		__u64 x, y;

		q = a + i * 8;
		if (i >= nq || (void *)(q + 8) > end)
			break;
		x = XR_LOAD(__u64, q);
		y = xr_xlate64(x, t);
		XR_STORE(__u64, q, y);
		/* ~x's halves sum to minus x's: one accumulator for the difference */
		sum += xr_sum64(y) + xr_sum64(~x);
	}
	q = tail;
	if (n & 4) {
		if ((void *)(q + 4) > end)
			return diff;
		x32 = XR_LOAD(__u32, q);
		y32 = (__u32)t[x32 & 0xff] | (__u32)t[(x32 >> 8) & 0xff] << 8 |
		      (__u32)t[(x32 >> 16) & 0xff] << 16 | (__u32)t[x32 >> 24] << 24;
		XR_STORE(__u32, q, y32);
		sum += (__u64)y32 + (__u32)~x32;
		q += 4;
	}
	if (n & 2) {
		if ((void *)(q + 2) > end)
			return diff;
		x16 = *(__u16 *)q;
		y16 = (__u16)(t[x16 & 0xff] | t[x16 >> 8] << 8);
		*(__u16 *)q = y16;
		sum += (__u64)y16 + (__u16)~x16;
		q += 2;
	}
	if (n & 1) {
		if ((void *)(q + 1) > end)
			return diff;
		b = q[0];
		c = t[b];
		q[0] = c;
		/* the first byte of a word padded with zero, as it lies in memory */
		sum += xr_csum_diff16(bpf_htons((__u16)(b << 8)), bpf_htons((__u16)(c << 8)));
	}
	return diff + sum;
}

#endif
