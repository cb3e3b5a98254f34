// SPDX-License-Identifier: GPL-2.0-only
/* Loader and benchmark for the SRTP-in-XDP prototype (srtp_xdp.bpf.c): probes what the BPF
 * crypto kfuncs accept on this kernel, checks the XDP unprotect against libsrtp2, and times it
 * with BPF_PROG_RUN next to libsrtp2's own srtp_protect/srtp_unprotect. docs/srtp-xdp.md */
#define OPENSSL_API_COMPAT 0x10100000L /* SHA1_Init: the HMAC midstates */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srtp_xdp.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HDR_LEN	      (14 + 20 + 8) /* Ethernet, IPv4, UDP */
#define RTP_HDR	      12
#define TAG_LEN	      10
#define MAX_PKT	      2048

/* Test vectors: the master key and salt of RFC 3711 B.3, any SSRC and sequence number. */
static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
				       0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
					0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
#define SSRC 0x12345678u
#define SEQ  4660u

static char verifier_msg[256];
static char vlog[16 << 20]; /* the verifier's log, SRTP_XDP_VERBOSE=1 */

/* libbpf's messages: keep the verifier's refusal for the probe table, drop the rest. */
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const char *const keys[] = {"is not allowed", "not found in kernel", "invalid",
					   "cannot", "unknown"};
	char buf[65536], *line, *save = NULL;
	size_t i;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (getenv("SRTP_XDP_VERBOSE"))
		fputs(buf, stderr);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (strstr(line, keys[i]) && !strstr(line, "UNKNOWN"))
				snprintf(verifier_msg, sizeof(verifier_msg), "%s", line);
	return 0;
}

static void aes128_ecb(const uint8_t key[16], const uint8_t *in, uint8_t *out, int len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;

	if (!c || !EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL)) {
		fprintf(stderr, "srtp_xdp: OpenSSL AES failed\n");
		exit(1);
	}
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, out, &n, in, len);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3.1 with key_derivation_rate 0: AES-CM keyed with the master key, IV = (master salt
 * ^ label at byte 7) * 2^16. */
static void kdf(uint8_t label, uint8_t *out, size_t len)
{
	uint8_t blocks[32] = {0}, ks[32];
	int j;

	for (j = 0; j < 2; j++) {
		memcpy(blocks + 16 * j, master_salt, sizeof(master_salt));
		blocks[16 * j + 7] ^= label;
		blocks[16 * j + 15] = j;
	}
	aes128_ecb(master_key, blocks, ks, sizeof(ks));
	memcpy(out, ks, len);
}

/* SHA-1 state after one block of (k_a ^ pad): HMAC's inner and outer starting points. */
static void hmac_midstate(const uint8_t *ka, size_t ka_len, uint8_t pad, uint32_t st[5])
{
	uint8_t block[64];
	SHA_CTX c;
	size_t i;

	memset(block, pad, sizeof(block));
	for (i = 0; i < ka_len; i++)
		block[i] ^= ka[i];
	SHA1_Init(&c);
	SHA1_Update(&c, block, sizeof(block));
	st[0] = c.h0;
	st[1] = c.h1;
	st[2] = c.h2;
	st[3] = c.h3;
	st[4] = c.h4;
}

static srtp_t srtp_session(int inbound)
{
	uint8_t key[30];
	srtp_policy_t pol;
	srtp_t s;

	memcpy(key, master_key, 16);
	memcpy(key + 16, master_salt, 14);
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp); /* AES_CM_128_HMAC_SHA1_80 */
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_xdp: srtp_create failed\n");
		exit(1);
	}
	return s;
}

static size_t rtp_plain(uint8_t *p, uint16_t seq, size_t payload)
{
	size_t i;

	p[0] = 0x80;
	p[1] = 0; /* PCMU */
	p[2] = seq >> 8;
	p[3] = seq;
	p[4] = p[5] = p[6] = p[7] = 0;
	p[8] = (uint8_t)(SSRC >> 24);
	p[9] = (uint8_t)(SSRC >> 16);
	p[10] = (uint8_t)(SSRC >> 8);
	p[11] = SSRC & 0xff;
	for (i = 0; i < payload; i++)
		p[RTP_HDR + i] = (uint8_t)(i * 7 + 1);
	return RTP_HDR + payload;
}

/* An Ethernet/IPv4/UDP frame around SRTP (protected by libsrtp2); the plaintext in *plain. */
static size_t frame(srtp_t tx, uint8_t *f, uint8_t *plain, size_t payload)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *rtp = udp + 8;
	int len = (int)rtp_plain(rtp, SEQ, payload);

	memcpy(plain, rtp, len);
	if (srtp_protect(tx, rtp, &len) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_xdp: srtp_protect failed\n");
		exit(1);
	}
	memset(f, 0, HDR_LEN);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (20 + 8 + len) >> 8;
	ip[3] = (20 + 8 + len) & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\0\x01\x02\x0a\0\x01\x01", 8);
	udp[0] = 5000 >> 8;
	udp[1] = 5000 & 0xff;
	udp[2] = 30000 >> 8;
	udp[3] = 30000 & 0xff;
	udp[4] = (8 + len) >> 8;
	udp[5] = (8 + len) & 0xff;
	return HDR_LEN + len;
}

static int run_syscall(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &o) ? -errno : 0;
}

static int create_ctx(struct srtp_xdp *skel, uint32_t slot, const char *type, const char *algo,
		      const uint8_t *key, uint32_t key_len)
{
	int err;

	snprintf(skel->bss->sx_type, sizeof(skel->bss->sx_type), "%s", type);
	snprintf(skel->bss->sx_algo, sizeof(skel->bss->sx_algo), "%s", algo);
	memset(skel->bss->sx_key, 0, sizeof(skel->bss->sx_key));
	memcpy(skel->bss->sx_key, key, key_len);
	skel->bss->sx_key_len = key_len;
	skel->bss->sx_slot = slot;
	skel->bss->sx_create_err = 1;
	err = run_syscall(skel->progs.sx_create);
	memset(skel->bss->sx_key, 0, sizeof(skel->bss->sx_key));
	return err ? err : skel->bss->sx_create_err;
}

static int xdp_run(struct bpf_program *prog, const uint8_t *f, size_t len, uint8_t *out,
		   uint32_t repeat, uint32_t *retval, uint32_t *ns)
{
	uint8_t buf[MAX_PKT];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len,
		    .data_out = out ? out : buf, .data_size_out = MAX_PKT, .repeat = repeat);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	*retval = o.retval;
	if (ns)
		*ns = o.duration;
	return 0;
}

/* Debian 12's clang 14 drops btf_type_tag("kptr") from BTF (clang >= 15 keeps it), and without
 * it the kernel takes sx_ctx_val.cc for a plain u64: put the tag back before loading. */
static int kptr_tag(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *t;
	struct btf_type *ptr;
	int id, ptr_id, tag;

	id = btf ? btf__find_by_name_kind(btf, "sx_ctx_val", BTF_KIND_STRUCT) : -ENOENT;
	if (id < 0)
		return id;
	ptr_id = btf_members(btf__type_by_id(btf, id))[0].type;
	t = btf__type_by_id(btf, btf__type_by_id(btf, ptr_id)->type);
	if (btf_is_type_tag(t))
		return 0;
	tag = btf__add_type_tag(btf, "kptr", btf__type_by_id(btf, ptr_id)->type);
	if (tag < 0)
		return tag;
	ptr = (struct btf_type *)btf__type_by_id(btf, ptr_id);
	ptr->type = tag;
	return 0;
}

static struct srtp_xdp *open_skel(struct bpf_program *(*only)(struct srtp_xdp *), int *err)
{
	struct srtp_xdp *skel = srtp_xdp__open();
	struct bpf_program *p;

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	*err = kptr_tag(skel->obj);
	if (*err) {
		srtp_xdp__destroy(skel);
		return NULL;
	}
	bpf_object__for_each_program(p, skel->obj)
	{
		int probe = !strncmp(bpf_program__name(p), "sx_probe_", 9);

		bpf_program__set_autoload(p, only ? p == only(skel) : !probe);
		if (getenv("SRTP_XDP_VERBOSE"))
			bpf_program__set_log_buf(p, vlog, sizeof(vlog));
	}
	verifier_msg[0] = 0;
	*err = srtp_xdp__load(skel);
	if (*err && getenv("SRTP_XDP_VERBOSE"))
		fprintf(stderr, "%s\n", vlog + (strlen(vlog) > 4000 ? strlen(vlog) - 4000 : 0));
	if (*err) {
		srtp_xdp__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct bpf_program *p_xdp_create(struct srtp_xdp *s)
{
	return s->progs.sx_probe_xdp_create;
}

static struct bpf_program *p_syscall_decrypt(struct srtp_xdp *s)
{
	return s->progs.sx_probe_syscall_decrypt;
}

static struct bpf_program *p_tc_decrypt(struct srtp_xdp *s)
{
	return s->progs.sx_probe_tc_decrypt;
}

static int cmd_probe(void)
{
	static const struct {
		const char *what;
		struct bpf_program *(*prog)(struct srtp_xdp *);
	} types[] = {
		{"bpf_crypto_ctx_create in XDP", p_xdp_create},
		{"bpf_crypto_decrypt in a syscall program", p_syscall_decrypt},
		{"bpf_crypto_decrypt in TC (sched_cls)", p_tc_decrypt},
	};
	static const struct {
		const char *type, *algo;
		uint32_t key_len;
	} algos[] = {
		{"skcipher", "ecb(aes)", 16},
		{"skcipher", "cbc(aes)", 16},
		{"skcipher", "ctr(aes)", 16},
		{"skcipher", "rfc3686(ctr(aes))", 20},
		{"skcipher", "xctr(aes)", 16},
		{"skcipher", "cts(cbc(aes))", 16},
		{"skcipher", "gcm(aes)", 16},
		{"skcipher", "chacha20", 32},
		{"skcipher", "hmac(sha1)", 20},
		{"skcipher", "ecb(cipher_null)", 16},
		{"aead", "gcm(aes)", 16},
		{"aead", "rfc4106(gcm(aes))", 20},
		{"hash", "hmac(sha1)", 20},
		{"shash", "hmac(sha1)", 20},
		{"skcipher", "ecb(aes-fixed-time)", 16},
	};
	static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct srtp_xdp *skel;
	size_t i;
	int err;

	printf("program types\n");
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		skel = open_skel(types[i].prog, &err);
		printf("  %-42s %s%s%s\n", types[i].what,
		       skel ? "loads" : "refused: ", skel ? "" : strerror(-err),
		       skel || !verifier_msg[0] ? "" : "");
		if (!skel && verifier_msg[0])
			printf("  %-42s   verifier: %s\n", "", verifier_msg);
		srtp_xdp__destroy(skel);
	}

	skel = open_skel(NULL, &err);
	if (!skel) {
		fprintf(stderr, "srtp_xdp: can't load the prototype: %s (%s)\n", strerror(-err),
			verifier_msg);
		return 1;
	}
	printf("bpf_crypto_ctx_create (type, algorithm, key bytes) -> result\n");
	for (i = 0; i < ARRAY_SIZE(algos); i++) {
		err = create_ctx(skel, 1, algos[i].type, algos[i].algo, key, algos[i].key_len);
		printf("  %-9s %-22s %2u  %s\n", algos[i].type, algos[i].algo, algos[i].key_len,
		       err ? strerror(-err) : "ok");
	}
	srtp_xdp__destroy(skel);
	return 0;
}

struct setup {
	struct srtp_xdp *skel;
	uint8_t f[MAX_PKT], plain[MAX_PKT];
	size_t len;
};

static int setup(struct setup *s, size_t payload)
{
	uint8_t ke[16], ka[20], ksalt[14];
	srtp_t tx;
	int err;

	kdf(0x00, ke, sizeof(ke));
	kdf(0x01, ka, sizeof(ka));
	kdf(0x02, ksalt, sizeof(ksalt));
	s->skel = open_skel(NULL, &err);
	if (!s->skel) {
		fprintf(stderr, "srtp_xdp: can't load the prototype: %s (%s)\n", strerror(-err),
			verifier_msg);
		return -1;
	}
	memset(s->skel->bss->sx_salt, 0, sizeof(s->skel->bss->sx_salt));
	memcpy(s->skel->bss->sx_salt, ksalt, sizeof(ksalt));
	hmac_midstate(ka, sizeof(ka), 0x36, s->skel->bss->sx_ipad);
	hmac_midstate(ka, sizeof(ka), 0x5c, s->skel->bss->sx_opad);
	err = create_ctx(s->skel, 0, "skcipher", "ecb(aes)", ke, sizeof(ke));
	if (err) {
		fprintf(stderr, "srtp_xdp: ecb(aes) context: %s\n", strerror(-err));
		return -1;
	}
	tx = srtp_session(0);
	s->len = frame(tx, s->f, s->plain, payload);
	srtp_dealloc(tx);
	return 0;
}

/* The XDP unprotect must give libsrtp2's plaintext back, and drop a packet with a bad tag. */
static int check(struct setup *s, size_t payload)
{
	uint8_t out[MAX_PKT], bad[MAX_PKT];
	uint32_t ret;
	int fail = 0;

	s->skel->bss->sx_always = 0;
	s->skel->bss->sx_auth_fail = 0;
	if (xdp_run(s->skel->progs.sx_unprotect, s->f, s->len, out, 1, &ret, NULL) ||
	    ret != XDP_TX || memcmp(out + HDR_LEN, s->plain, RTP_HDR + payload)) {
		fprintf(stderr, "srtp_xdp: check %zu: unprotect gave %u, plaintext %s\n", payload,
			ret, memcmp(out + HDR_LEN, s->plain, RTP_HDR + payload) ? "wrong" : "ok");
		fail = 1;
	}
	memcpy(bad, s->f, s->len);
	bad[s->len - 1] ^= 1;
	if (xdp_run(s->skel->progs.sx_unprotect, bad, s->len, NULL, 1, &ret, NULL) ||
	    ret != XDP_DROP) {
		fprintf(stderr, "srtp_xdp: check %zu: bad tag gave %u, not XDP_DROP\n", payload,
			ret);
		fail = 1;
	}
	if (xdp_run(s->skel->progs.sx_verify, s->f, s->len, NULL, 1, &ret, NULL) || ret != XDP_TX) {
		fprintf(stderr, "srtp_xdp: check %zu: verify gave %u\n", payload, ret);
		fail = 1;
	}
	return fail;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* libsrtp2 on the same payload: batches of protect, then unprotect of the same packets; ns per
 * packet, median and minimum over the trials. */
static void bench_libsrtp(size_t payload, unsigned int repeat, int trials, double res[4])
{
	enum { BATCH = 1024 };
	static uint8_t pkts[BATCH][MAX_PKT];
	static int lens[BATCH];
	double prot[64], unprot[64];
	srtp_t tx = srtp_session(0), rx = srtp_session(1);
	unsigned int rounds = repeat / BATCH ? repeat / BATCH : 1, r;
	uint16_t seq = 1;
	int t, i;

	for (t = 0; t < trials; t++) {
		double tp = 0, tu = 0, t0;

		for (r = 0; r < rounds; r++) {
			for (i = 0; i < BATCH; i++)
				lens[i] = (int)rtp_plain(pkts[i], seq++, payload);
			t0 = now_ns();
			for (i = 0; i < BATCH; i++)
				srtp_protect(tx, pkts[i], &lens[i]);
			tp += now_ns() - t0;
			t0 = now_ns();
			for (i = 0; i < BATCH; i++)
				if (srtp_unprotect(rx, pkts[i], &lens[i]) != srtp_err_status_ok) {
					fprintf(stderr, "srtp_xdp: srtp_unprotect failed\n");
					exit(1);
				}
			tu += now_ns() - t0;
		}
		prot[t] = tp / ((double)rounds * BATCH);
		unprot[t] = tu / ((double)rounds * BATCH);
	}
	qsort(prot, trials, sizeof(double), cmp_dbl);
	qsort(unprot, trials, sizeof(double), cmp_dbl);
	res[0] = prot[trials / 2];
	res[1] = prot[0];
	res[2] = unprot[trials / 2];
	res[3] = unprot[0];
	srtp_dealloc(tx);
	srtp_dealloc(rx);
}

/* The same work with OpenSSL (AES-NI): AES-128-CTR and HMAC-SHA1-80 with the session keys, per
 * packet, on a copy of the frame's SRTP packet; what a libsrtp2 or rtpengine on OpenSSL pays
 * for the crypto alone. Returns the decryption's mismatches with the plaintext (0). */
static int bench_openssl(const struct setup *s, size_t payload, unsigned int repeat, int trials,
			 double res[2])
{
	uint8_t ke[16], ka[20], ksalt[14], iv[16], pkt[MAX_PKT], mac[EVP_MAX_MD_SIZE];
	const uint8_t roc[4] = {0};
	size_t alen = RTP_HDR + payload;
	double ns[64], t0;
	unsigned int r, mlen;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	HMAC_CTX *h = HMAC_CTX_new();
	int t, n, bad = 0;

	kdf(0x00, ke, sizeof(ke));
	kdf(0x01, ka, sizeof(ka));
	kdf(0x02, ksalt, sizeof(ksalt));
	EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, ke, NULL);
	HMAC_Init_ex(h, ka, sizeof(ka), EVP_sha1(), NULL);
	for (t = 0; t < trials; t++) {
		t0 = now_ns();
		for (r = 0; r < repeat; r++) {
			memcpy(pkt, s->f + HDR_LEN, alen + TAG_LEN);
			HMAC_Init_ex(h, NULL, 0, NULL, NULL);
			HMAC_Update(h, pkt, alen);
			HMAC_Update(h, roc, sizeof(roc));
			HMAC_Final(h, mac, &mlen);
			bad |= memcmp(mac, pkt + alen, TAG_LEN) != 0;
			memset(iv, 0, sizeof(iv));
			memcpy(iv, ksalt, sizeof(ksalt));
			for (n = 0; n < 4; n++)
				iv[4 + n] ^= pkt[8 + n];
			iv[12] ^= pkt[2];
			iv[13] ^= pkt[3];
			EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(c, pkt + RTP_HDR, &n, pkt + RTP_HDR, (int)payload);
		}
		ns[t] = (now_ns() - t0) / repeat;
	}
	bad |= memcmp(pkt, s->plain, alen) != 0;
	qsort(ns, trials, sizeof(double), cmp_dbl);
	res[0] = ns[trials / 2];
	res[1] = ns[0];
	EVP_CIPHER_CTX_free(c);
	HMAC_CTX_free(h);
	return bad;
}

static int bench_prog(struct bpf_program *prog, const struct setup *s, unsigned int repeat,
		      int trials, uint32_t *med, uint32_t *min)
{
	uint32_t ns[64], ret;
	int t, err;

	for (t = 0; t < trials; t++) {
		err = xdp_run(prog, s->f, s->len, NULL, repeat, &ret, &ns[t]);
		if (err)
			return err;
	}
	qsort(ns, trials, sizeof(ns[0]), cmp_u32);
	*med = ns[trials / 2];
	*min = ns[0];
	return (int)ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: srtp_xdp probe\n"
			"       srtp_xdp check [-s BYTES]...\n"
			"       srtp_xdp bench [-s BYTES]... [-n REPEAT] [-t TRIALS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t sizes[16], nsizes = 0, i, j;
	unsigned int repeat = 1000000;
	int trials = 5, opt, fail = 0;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "s:n:t:")) != -1) {
		switch (opt) {
		case 's':
			if (nsizes < ARRAY_SIZE(sizes))
				sizes[nsizes++] = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 't':
			trials = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (trials < 1 || trials > 64 || repeat < 1)
		usage();
	if (!nsizes)
		sizes[nsizes++] = 160;
	for (i = 0; i < nsizes; i++)
		if (sizes[i] < 1 || sizes[i] > 1280)
			usage();
	libbpf_set_print(print_fn);
	if (srtp_init() != srtp_err_status_ok)
		return 1;

	if (!strcmp(cmd, "probe"))
		return cmd_probe();
	if (strcmp(cmd, "check") && strcmp(cmd, "bench"))
		usage();

	if (!strcmp(cmd, "bench"))
		printf("ns per packet, median (min) of %d x %u runs; payload = RTP payload bytes, "
		       "SRTP AES_CM_128_HMAC_SHA1_80\n%-8s %-34s %s\n",
		       trials, repeat, "payload", "what", "ns/packet");
	for (i = 0; i < nsizes; i++) {
		static const struct {
			const char *name;
			uint32_t back; /* sx_direct only */
		} rows[] = {
			{"XDP parse + IV, no crypto", 0},
			{"XDP AES-CM decrypt (ecb kfunc+XOR)", 0},
			{"XDP HMAC-SHA1-80 verify", 0},
			{"XDP unprotect (verify+decrypt)", 0},
			{"XDP ecb(aes) on packet, off 54", 0},
			{"XDP ecb(aes) on packet, off 52", 2},
			{"XDP ecb(aes) on packet, off 48", 6},
		};
		struct bpf_program *progs[ARRAY_SIZE(rows)];
		struct bpf_prog_info info;
		uint32_t info_len = sizeof(info);
		struct setup s;
		uint32_t med = 0, min = 0;
		double lib[4];
		int ret;

		if (setup(&s, sizes[i]))
			return 1;
		if (check(&s, sizes[i])) {
			fail = 1;
			srtp_xdp__destroy(s.skel);
			continue;
		}
		if (!strcmp(cmd, "check")) {
			printf("check %zu-byte payload: XDP unprotect == libsrtp2 plaintext, bad "
			       "tag "
			       "dropped\n",
			       sizes[i]);
			srtp_xdp__destroy(s.skel);
			continue;
		}
		progs[0] = s.skel->progs.sx_parse_only;
		progs[1] = s.skel->progs.sx_decrypt;
		progs[2] = s.skel->progs.sx_verify;
		progs[3] = s.skel->progs.sx_unprotect;
		progs[4] = progs[5] = progs[6] = s.skel->progs.sx_direct;
		s.skel->bss->sx_always = 1;
		s.skel->bss->sx_siv_len = 0;
		/* slot 1: ecb(aes), straight on the packet (whole blocks only) */
		if (create_ctx(s.skel, 1, "skcipher", "ecb(aes)", master_key, 16))
			progs[4] = progs[5] = progs[6] = NULL;
		for (j = 0; j < ARRAY_SIZE(progs); j++) {
			if (!progs[j] || (j >= 4 && sizes[i] % 16))
				continue;
			s.skel->bss->sx_back = rows[j].back;
			s.skel->bss->sx_crypt_err = 0;
			ret = bench_prog(progs[j], &s, repeat, trials, &med, &min);
			memset(&info, 0, sizeof(info));
			info_len = sizeof(info);
			bpf_obj_get_info_by_fd(bpf_program__fd(progs[j]), &info, &info_len);
			if (ret < 0 || s.skel->bss->sx_crypt_err)
				printf("%-8zu %-34s failed: %s, kfunc %d\n", sizes[i], rows[j].name,
				       ret < 0 ? strerror(-ret) : "ok", s.skel->bss->sx_crypt_err);
			else
				printf("%-8zu %-34s %u (%u)%*s[%u insns verified, %u B jited]\n",
				       sizes[i], rows[j].name, med, min, 4, "", info.verified_insns,
				       info.jited_prog_len);
		}
		if (bench_openssl(&s, sizes[i], repeat, trials, lib))
			printf("%-8zu %-34s wrong result\n", sizes[i], "OpenSSL CTR + HMAC");
		else
			printf("%-8zu %-34s %.0f (%.0f)\n", sizes[i],
			       "OpenSSL AES-CTR + HMAC-SHA1 only", lib[0], lib[1]);
		bench_libsrtp(sizes[i], repeat, trials, lib);
		printf("%-8zu %-34s %.0f (%.0f)\n", sizes[i], "libsrtp2 srtp_protect", lib[0],
		       lib[1]);
		printf("%-8zu %-34s %.0f (%.0f)\n", sizes[i], "libsrtp2 srtp_unprotect", lib[2],
		       lib[3]);
		srtp_xdp__destroy(s.skel);
	}
	srtp_shutdown();
	return fail;
}
