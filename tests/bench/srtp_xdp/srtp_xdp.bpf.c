// SPDX-License-Identifier: GPL-2.0-only
/* Prototype, not xrelay's data path: SRTP unprotect (AES_CM_128_HMAC_SHA1_80) in XDP with the BPF
 * crypto kfuncs, to measure its cost. AES-CM is ecb(aes) plus an XOR; HMAC-SHA1 is computed by
 * hand, as there is no hash kfunc. See docs/srtp-xdp.md. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the IV and counter-block layout below assumes a little-endian target"
#endif

#define SX_ETH_P_IP    0x0800
#define SX_IPPROTO_UDP 17
#define SX_TAG_LEN     10   /* HMAC-SHA1-80 */
#define SX_MAX_PAYLOAD 1280 /* bytes decrypted at most: 80 AES blocks */
#define SX_MAX_BLOCKS  (SX_MAX_PAYLOAD / 16)
#define SX_MAX_HDR     512 /* RTP header with CSRCs and extension */
#define SX_MAX_AUTH    (SX_MAX_HDR + SX_MAX_PAYLOAD)
#define SX_MSG_BLOCKS  ((SX_MAX_AUTH + 4 + 9 + 63) / 64)
#define SX_SLOTS       2 /* 0: ecb(aes) session key for AES-CM; 1: any context (probe) */

#define __sx_kptr __attribute__((btf_type_tag("kptr")))

extern struct bpf_crypto_ctx *bpf_crypto_ctx_create(const struct bpf_crypto_params *params,
						    __u32 params__sz, int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;
extern int bpf_crypto_encrypt(struct bpf_crypto_ctx *ctx, const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst,
			      const struct bpf_dynptr *siv__nullable) __ksym;
extern int bpf_crypto_decrypt(struct bpf_crypto_ctx *ctx, const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst,
			      const struct bpf_dynptr *siv__nullable) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;

struct sx_ctx_val {
	struct bpf_crypto_ctx __sx_kptr *cc;
};

/* The crypto contexts, created by sx_create (a sleepable syscall program) and held as kptrs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SX_SLOTS);
	__type(key, __u32);
	__type(value, struct sx_ctx_val);
} sx_ctx SEC(".maps");

struct sx_scratch {
	__u64 ks[SX_MAX_BLOCKS * 2]; /* counter blocks, then keystream */
	__u64 ct[SX_MAX_BLOCKS * 2]; /* the payload being decrypted */
	/* HMAC inner message: header, payload, ROC, padding. 2048, not SX_MSG_BLOCKS * 64: the
	 * verifier bounds the length's offset by its known bits. */
	__u8 msg[2048];
	__u8 outer[64]; /* HMAC outer block */
	__u8 iv[16];	/* IV for sx_direct */
};

/* Per-CPU work area: the keystream and the HMAC input do not fit the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sx_scratch);
} sx_scratch SEC(".maps");

/* Set by the loader. Session keys come from the loader's RFC 3711 key derivation: the prototype
 * does not derive keys, track the ROC or keep a replay window. */
char sx_type[14];
char sx_algo[128];
__u8 sx_key[32];
__u32 sx_key_len;
__u32 sx_slot;
__u64 sx_salt[2]; /* k_s, 14 bytes, then two zero bytes */
__u32 sx_ipad[5]; /* SHA-1 state after (k_a ^ ipad) */
__u32 sx_opad[5]; /* SHA-1 state after (k_a ^ opad) */
__u32 sx_always;  /* benchmark: decrypt even when the tag does not match */
__u32 sx_siv_len; /* sx_direct: IV size of slot 1's algorithm */
__u32 sx_back;	  /* sx_direct: start this many bytes before the payload (alignment) */

/* Results, read by the loader. */
int sx_create_err;
int sx_crypt_err;
__u32 sx_auth_fail;
__u64 sx_last_iv[2];

struct sx_pkt {
	__u32 rtp_off; /* from the frame's start */
	__u32 rtp_len; /* UDP payload: header, payload, tag */
	__u32 enc_off; /* encrypted payload, from the frame's start */
	__u32 enc_len;
	__u64 iv[2]; /* AES-CM IV, memory order */
};

static __always_inline int sx_parse(struct xdp_md *ctx, struct sx_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;
	__u8 *rtp, *x;
	__u32 len, hl;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(SX_ETH_P_IP))
		return -1;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != SX_IPPROTO_UDP)
		return -1;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return -1;
	rtp = (void *)(udp + 1);
	if (rtp + 12 > (__u8 *)end || (rtp[0] >> 6) != 2)
		return -1;
	len = bpf_ntohs(udp->len) - sizeof(*udp);
	if (len > (__u32)((__u8 *)end - rtp))
		return -1;
	hl = 12 + ((rtp[0] & 0x0f) << 2);
	if (rtp[0] & 0x10) {
		x = rtp + hl;
		if (x + 4 > (__u8 *)end)
			return -1;
		hl += 4 + (((__u32)x[2] << 8 | x[3]) << 2);
	}
	if (hl > SX_MAX_HDR || hl + SX_TAG_LEN > len)
		return -1;
	p->rtp_off = rtp - (__u8 *)data;
	p->rtp_len = len;
	p->enc_off = p->rtp_off + hl;
	p->enc_len = len - hl - SX_TAG_LEN;
	/* RFC 3711 4.1.1: IV = k_s * 2^16 ^ SSRC * 2^64 ^ index * 2^16, index = ROC * 2^16 + SEQ.
	 * The SSRC lands in bytes 4..7, the sequence number in bytes 12..13 (ROC 0 in 8..11). */
	p->iv[0] = sx_salt[0] ^ ((__u64) * (__u32 *)(rtp + 8) << 32);
	p->iv[1] = sx_salt[1] ^ ((__u64) * (__u16 *)(rtp + 2) << 32);
	return 0;
}

static __always_inline struct bpf_crypto_ctx *sx_cc(__u32 slot)
{
	struct sx_ctx_val *v = bpf_map_lookup_elem(&sx_ctx, &slot);

	return v ? v->cc : NULL;
}

static __always_inline struct sx_scratch *sx_work(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sx_scratch, &zero);
}

/* AES-CM decrypt: the counter blocks IV + j go through ecb(aes) in the scratch area, the
 * payload is copied next to them, XORed, and written back. (XOR loops on packet pointers with a
 * variable start make the verifier walk every length: "BPF program is too large".) */
static __always_inline int sx_cm(struct xdp_md *ctx, struct sx_pkt *p, struct sx_scratch *s,
				 struct bpf_crypto_ctx *cc)
{
	__u32 n = p->enc_len, nb = (n + 15) >> 4, i;
	struct bpf_dynptr d;
	int err;

	if (n == 0 || n > SX_MAX_PAYLOAD)
		return -1;
	for (i = 0; i < SX_MAX_BLOCKS && i < nb; i++) {
		s->ks[2 * i] = p->iv[0];
		s->ks[2 * i + 1] = p->iv[1] | ((__u64)bpf_htons(i) << 48);
	}
	bpf_dynptr_from_mem(s->ks, nb * 16, 0, &d);
	err = bpf_crypto_encrypt(cc, &d, &d, NULL);
	if (err) {
		sx_crypt_err = err;
		return -1;
	}
	if (bpf_xdp_load_bytes(ctx, p->enc_off, s->ct, n))
		return -1;
	for (i = 0; i < SX_MAX_BLOCKS * 2 && i < nb * 2; i++)
		s->ct[i] ^= s->ks[i];
	return bpf_xdp_store_bytes(ctx, p->enc_off, s->ct, n) ? -1 : 0;
}

static __always_inline __u32 sx_rol(__u32 x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/* One SHA-1 compression (FIPS 180-4, 6.1.2), written from the specification. Four loops of
 * 20 rounds, not unrolled: unrolled, the 80 rounds spill past the 512-byte stack. */
#define SX_SHA1_ROUND(f, k)                                                                       \
	do {                                                                                      \
		if (i >= 16)                                                                      \
			w[i & 15] = sx_rol(w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ \
						   w[i & 15],                                     \
					   1);                                                    \
		t = sx_rol(a, 5) + (f) + e + (k) + w[i & 15];                                     \
		e = d;                                                                            \
		d = c;                                                                            \
		c = sx_rol(b, 30);                                                                \
		b = a;                                                                            \
		a = t;                                                                            \
	} while (0)

static __noinline int sx_sha1_block(__u32 *h, const __u8 *blk)
{
	__u32 w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = bpf_ntohl(((const __u32 *)blk)[i]);
#pragma clang loop unroll(disable)
	for (i = 0; i < 20; i++)
		SX_SHA1_ROUND((b & c) | (~b & d), 0x5a827999);
#pragma clang loop unroll(disable)
	for (; i < 40; i++)
		SX_SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1);
#pragma clang loop unroll(disable)
	for (; i < 60; i++)
		SX_SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdc);
#pragma clang loop unroll(disable)
	for (; i < 80; i++)
		SX_SHA1_ROUND(b ^ c ^ d, 0xca62c1d6);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	return 0;
}

/* HMAC-SHA1 over header and payload || ROC (RFC 3711 4.2.1), against the packet's 80-bit tag,
 * from the precomputed ipad/opad states. 0: the tag matches. */
static __always_inline int sx_auth(struct xdp_md *ctx, struct sx_pkt *p, struct sx_scratch *s)
{
	__u32 alen = p->rtp_len - SX_TAG_LEN, total, nb, last, i, idx, h[5];
	__u32 tag[3] = {};
	__u64 bits;

	if (alen < 12 || alen > SX_MAX_AUTH)
		return -1;
	if (bpf_xdp_load_bytes(ctx, p->rtp_off, s->msg, alen))
		return -1;
	if (bpf_xdp_load_bytes(ctx, p->rtp_off + alen, tag, SX_TAG_LEN))
		return -1;
	/* ROC 0, then 0x80, zeros and the length in bits (the ipad block included). Shifts, not
	 * divisions, and the bounds checked on the very values used: the verifier keeps them. */
	total = alen + 4;
	nb = (total + 9 + 63) >> 6;
	if (nb > SX_MSG_BLOCKS)
		return -1;
	last = ((nb - 1) << 6) + 56; /* where the length goes */
	for (i = 0; i < 4 + 64 + 8; i++) {
		idx = alen + i;
		if (idx >= last)
			break;
		s->msg[idx] = i == 4 ? 0x80 : 0;
	}
	bits = (__u64)(64 + total) * 8;
	*(__u64 *)(s->msg + last) = bpf_cpu_to_be64(bits);

	__builtin_memcpy(h, sx_ipad, sizeof(h));
	for (i = 0; i < SX_MSG_BLOCKS && i < nb; i++)
		sx_sha1_block(h, s->msg + 64 * i);

	for (i = 0; i < 5; i++)
		((__u32 *)s->outer)[i] = bpf_htonl(h[i]);
	s->outer[20] = 0x80;
	for (i = 21; i < 56; i++)
		s->outer[i] = 0;
	*(__u64 *)(s->outer + 56) = bpf_cpu_to_be64((__u64)(64 + 20) * 8);
	__builtin_memcpy(h, sx_opad, sizeof(h));
	sx_sha1_block(h, s->outer);

	return ((tag[0] ^ bpf_htonl(h[0])) | (tag[1] ^ bpf_htonl(h[1])) |
		((tag[2] ^ bpf_htonl(h[2])) & bpf_htonl(0xffff0000))) != 0;
}

/* Create the context for sx_slot from sx_type/sx_algo/sx_key; the result in sx_create_err. */
SEC("syscall")
int sx_create(void *unused)
{
	struct bpf_crypto_params params = {};
	struct bpf_crypto_ctx *cc, *old;
	struct sx_ctx_val *v;
	__u32 slot = sx_slot;
	int err = 0;

	__builtin_memcpy(params.type, sx_type, sizeof(params.type));
	__builtin_memcpy(params.algo, sx_algo, sizeof(params.algo));
	__builtin_memcpy(params.key, sx_key, sizeof(sx_key));
	params.key_len = sx_key_len;
	cc = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (!cc) {
		sx_create_err = err ? err : -22;
		return 0;
	}
	v = bpf_map_lookup_elem(&sx_ctx, &slot);
	if (!v) {
		bpf_crypto_ctx_release(cc);
		sx_create_err = -2;
		return 0;
	}
	old = bpf_kptr_xchg(&v->cc, cc);
	if (old)
		bpf_crypto_ctx_release(old);
	sx_create_err = 0;
	return 0;
}

/* (a) the baseline: parse and IV, no crypto. */
SEC("xdp")
int sx_parse_only(struct xdp_md *ctx)
{
	struct sx_pkt p;

	if (sx_parse(ctx, &p))
		return XDP_PASS;
	sx_last_iv[0] = p.iv[0]; /* keep the IV computed */
	sx_last_iv[1] = p.iv[1];
	return XDP_TX;
}

/* AES-CM decrypt only (no authentication). */
SEC("xdp")
int sx_decrypt(struct xdp_md *ctx)
{
	struct bpf_crypto_ctx *cc;
	struct sx_scratch *s;
	struct sx_pkt p;

	if (sx_parse(ctx, &p))
		return XDP_PASS;
	cc = sx_cc(0);
	s = sx_work();
	if (!cc || !s || sx_cm(ctx, &p, s, cc))
		return XDP_PASS;
	return XDP_TX;
}

/* HMAC-SHA1-80 check only. */
SEC("xdp")
int sx_verify(struct xdp_md *ctx)
{
	struct sx_scratch *s;
	struct sx_pkt p;

	if (sx_parse(ctx, &p))
		return XDP_PASS;
	s = sx_work();
	if (!s)
		return XDP_PASS;
	if (sx_auth(ctx, &p, s)) {
		sx_auth_fail++;
		return XDP_DROP;
	}
	return XDP_TX;
}

/* Both: what srtp_unprotect does, minus key derivation, ROC, replay window and tag removal. */
SEC("xdp")
int sx_unprotect(struct xdp_md *ctx)
{
	struct bpf_crypto_ctx *cc;
	struct sx_scratch *s;
	struct sx_pkt p;

	if (sx_parse(ctx, &p))
		return XDP_PASS;
	cc = sx_cc(0);
	s = sx_work();
	if (!cc || !s)
		return XDP_PASS;
	if (sx_auth(ctx, &p, s)) {
		sx_auth_fail++;
		if (!sx_always)
			return XDP_DROP;
	}
	if (sx_cm(ctx, &p, s, cc))
		return XDP_PASS;
	return XDP_TX;
}

/* Slot 1's context straight on the packet: bpf_crypto_encrypt on a dynptr of the payload, in
 * place, IV (sx_siv_len bytes) from the scratch area. What a ctr(aes) lskcipher would allow;
 * here it times the kfunc on packet memory with ecb(aes) (the forward cipher, as CTR uses). */
SEC("xdp")
int sx_direct(struct xdp_md *ctx)
{
	struct bpf_dynptr pkt, iv;
	struct bpf_crypto_ctx *cc;
	struct sx_scratch *s;
	struct sx_pkt p;
	int err;

	if (sx_parse(ctx, &p))
		return XDP_PASS;
	cc = sx_cc(1);
	s = sx_work();
	if (!cc || !s)
		return XDP_PASS;
	__builtin_memcpy(s->iv, p.iv, sizeof(p.iv));
	bpf_dynptr_from_mem(s->iv, sx_siv_len & 16, 0, &iv);
	bpf_dynptr_from_xdp(ctx, 0, &pkt);
	if (sx_back > 15 || p.enc_off < sx_back)
		return XDP_PASS;
	bpf_dynptr_adjust(&pkt, p.enc_off - sx_back, p.enc_off - sx_back + p.enc_len);
	err = bpf_crypto_encrypt(cc, &pkt, &pkt, &iv);
	if (err) {
		sx_crypt_err = err;
		return XDP_PASS;
	}
	return XDP_TX;
}

/* Program-type probes, loaded one at a time by `srtp_xdp probe` (never with the others). */
SEC("xdp")
int sx_probe_xdp_create(struct xdp_md *ctx)
{
	struct bpf_crypto_params params = {};
	struct bpf_crypto_ctx *cc;
	int err = 0;

	cc = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (cc)
		bpf_crypto_ctx_release(cc);
	return XDP_PASS;
}

SEC("syscall")
int sx_probe_syscall_decrypt(void *unused)
{
	struct bpf_crypto_ctx *cc = sx_cc(1);
	struct sx_scratch *s = sx_work();
	struct bpf_dynptr d;

	if (!cc || !s)
		return 0;
	bpf_dynptr_from_mem(s->ks, 16, 0, &d);
	sx_crypt_err = bpf_crypto_decrypt(cc, &d, &d, NULL);
	return 0;
}

SEC("tc")
int sx_probe_tc_decrypt(struct __sk_buff *skb)
{
	struct bpf_crypto_ctx *cc = sx_cc(1);
	struct sx_scratch *s = sx_work();
	struct bpf_dynptr d;

	if (!cc || !s)
		return 0;
	bpf_dynptr_from_mem(s->ks, 16, 0, &d);
	sx_crypt_err = bpf_crypto_decrypt(cc, &d, &d, NULL);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
