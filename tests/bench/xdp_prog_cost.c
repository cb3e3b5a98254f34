// SPDX-License-Identifier: GPL-2.0-only
/* The XDP program's own cost per packet: BPF_PROG_RUN with a large repeat count on forwarded
 * IPv4 and IPv6 RTP packets (the hit path, plain and with the PCMU -> PCMA translation) and on
 * one without an entry (a punt), with a few entries installed and again with many, in the XDP
 * test lab (tests/lib/xdp_lab.h) like tests/bpf/test_xdp.c. */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "pkt.h"
#include "xdp_lab.h"

#define PIN_ROOT "/sys/fs/bpf/xrelay-bench"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The relay's two interfaces (veth ends in the private namespace), both attached, and the one
 * neighbour behind the second, by IPv4 and IPv6. */
#define MAC_OUT	   "02:00:00:00:0b:01"
#define NEIGH_IP   "10.0.2.2"
#define NEIGH_MAC  "02:00:00:01:02:02"
#define NEIGH_PORT 6000
#define XLATE_PORT 6002 /* the translating entry's */
#define NEIGH6_IP  "2001:db8:2::2"

enum dev { D_IN, D_OUT, D_N };
static const struct xdp_lab_dev devs[D_N] = {
	[D_IN] = {"xra", "xpa", "02:00:00:00:0a:01", "10.0.1.1/24", "2001:db8:1::1/64", true},
	[D_OUT] = {"xrb", "xpb", MAC_OUT, "10.0.2.1/24", "2001:db8:2::1/64", true},
};
static const struct xdp_lab_neigh neighs[] = {
	{NEIGH_IP, NEIGH_MAC, D_OUT},
	{NEIGH6_IP, NEIGH_MAC, D_OUT},
};
static int ifindex[D_N];

struct opts {
	unsigned long repeat;
	unsigned long entries;
	int trials;
	size_t size; /* UDP payload */
	unsigned long nhop_ttl_ms;
};

/* One timed case: ns per packet of each trial, sorted. */
struct result {
	double ns[64];
	int n;
};

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The lab in a private network namespace and bpffs: the pins and the links vanish with the
 * process, even when it dies before its cleanup. */
static int lab_setup(void)
{
	int ret = xdp_lab_enter();

	if (!ret)
		ret = xdp_lab_net_setup(devs, D_N, neighs, ARRAY_SIZE(neighs), ifindex);
	if (!ret)
		ret = xdp_lab_kernel_open(PIN_ROOT, devs, D_N, ifindex, NULL);
	return ret;
}

static struct endpoint ep(const char *ip, uint16_t port)
{
	return xdp_lab_ep((struct xdp_lab_side){ip, port});
}

/* BPF_PROG_RUN reruns the program on the bytes it rewrote, so the measured entry maps the
 * packet onto itself (from and to the neighbour's address and port): every repeat then takes
 * the whole hit path (parse, lookup, source and payload checks, FIB, rewrite, redirect) and
 * the output equals the input. The translating entry (port XLATE_PORT) translates PCMU to
 * PCMA and keeps payload type 0, so that every repeat translates again (the bytes change each
 * time; the cost does not depend on them). */
static int install_hit_entry(const char *ip, uint16_t port, uint8_t xlate)
{
	struct kernel_fwd f = {
		.local = ep(ip, port),
		.peer = ep(ip, port),
		.new_src = ep(ip, port),
		.new_dst = ep(ip, port),
		.flags = XR_F_RTP | XR_F_RTCP,
		.xlate = xlate,
	};

	return kernel_fwd_install(&f);
}

/* Entries with distinct keys (10.64.0.0/10 addresses, ports 1024..60999), each a plausible
 * stream towards the neighbour. */
static int install_bulk(unsigned long from, unsigned long to)
{
	for (unsigned long i = from; i < to; i++) {
		char ip[32];
		uint32_t a = (uint32_t)(i / 60000);
		struct kernel_fwd f = {
			.peer = ep("10.0.1.2", (uint16_t)(5000 + i % 1000)),
			.new_src = ep("10.0.2.1", (uint16_t)(1024 + i % 60000)),
			.new_dst = ep(NEIGH_IP, (uint16_t)(10000 + i % 50000)),
			.flags = XR_F_RTP | XR_F_RTCP,
		};
		int ret;

		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 64 + (a >> 16), (a >> 8) & 255, a & 255);
		f.local = ep(ip, (uint16_t)(1024 + i % 60000));
		ret = kernel_fwd_install(&f);
		if (ret) {
			fprintf(stderr, "xdp_prog_cost: installing entry %lu: %s\n", i,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The packet: RTP (PT 0) from and to the neighbour (ip), as it arrives on devs[D_IN]. */
static int build_frame(uint8_t *frame, size_t cap, const char *ip, uint16_t sport, uint16_t dport,
		       size_t size)
{
	static uint8_t payload[PKT_MAX];
	struct pkt p = {
		.family = strchr(ip, ':') ? 6 : 4,
		.src = ip,
		.dst = ip,
		.sport = sport,
		.dport = dport,
		.payload = payload,
	};

	if (size < 12 || size > 1400)
		return -EINVAL;
	p.payload_len = pkt_rtp(payload, sizeof(payload), 0, false, 0x1234, 0xabcdef, 0xdeadbeef,
				size - 12);
	/* The MACs the rewrite sets, so that a hit leaves the frame as it was. */
	pkt_mac(p.eth_dst, NEIGH_MAC);
	pkt_mac(p.eth_src, MAC_OUT);
	return pkt_build(&p, frame, cap);
}

static int run(const uint8_t *frame, int len, unsigned long repeat, uint32_t *retval,
	       uint32_t *duration, uint8_t *out, uint32_t *out_len)
{
	static uint8_t scratch[PKT_MAX + 256];
	struct xdp_md ctx = {.data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex[D_IN]};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .data_out = out ? out : scratch, .data_size_out = sizeof(scratch),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = (__u32)repeat);
	int ret = bpf_prog_test_run_opts(kernel_prog_fd(), &o);

	if (ret) {
		fprintf(stderr, "xdp_prog_cost: bpf_prog_test_run_opts: %s\n", strerror(-ret));
		return ret;
	}
	*retval = o.retval;
	*duration = o.duration;
	if (out_len)
		*out_len = o.data_size_out;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct result *r)
{
	return r->n % 2 ? r->ns[r->n / 2] : (r->ns[r->n / 2 - 1] + r->ns[r->n / 2]) / 2;
}

/* Runs the frame once to check the verdict (and, unless it translates, that the output is the
 * input), then trials x repeat times; every run must have the verdict, which the global
 * counters confirm. */
static int measure(const char *what, const uint8_t *frame, int len, uint32_t want,
		   enum xr_counter counter, bool xlate, const struct opts *o, struct result *r)
{
	uint8_t out[PKT_MAX + 256];
	uint64_t before[XR_C_MAX], after[XR_C_MAX];
	uint32_t retval, duration, out_len;
	unsigned long long runs = 1ULL + (unsigned long long)o->trials * o->repeat;
	int ret;

	if ((ret = kernel_counters(before)) ||
	    (ret = run(frame, len, 1, &retval, &duration, out, &out_len)))
		return ret;
	if (retval != want) {
		fprintf(stderr, "xdp_prog_cost: %s: verdict %u, want %u\n", what, retval, want);
		return -EPROTO;
	}
	if (out_len != (uint32_t)len || (!xlate && memcmp(out, frame, (size_t)len))) {
		fprintf(stderr, "xdp_prog_cost: %s: the program changed the frame\n", what);
		pkt_dump_diff(stderr, "out", out, out_len, "in", frame, (size_t)len);
		return -EPROTO;
	}
	r->n = 0;
	for (int t = 0; t < o->trials; t++) {
		ret = run(frame, len, o->repeat, &retval, &duration, NULL, NULL);
		if (ret)
			return ret;
		r->ns[r->n++] = duration;
	}
	qsort(r->ns, (size_t)r->n, sizeof(r->ns[0]), cmp_double);
	if ((ret = kernel_counters(after)))
		return ret;
	if (after[counter] - before[counter] != runs) {
		fprintf(stderr, "xdp_prog_cost: %s: counter %s moved by %llu, want %llu\n", what,
			kernel_counter_name(counter),
			(unsigned long long)(after[counter] - before[counter]), runs);
		return -EPROTO;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: xdp_prog_cost [--repeat N] [--entries N] [--trials N] [--size BYTES]\n"
		   "                     [--nhop-ttl-ms MS]\n"
		   "  The XDP program's cost per packet (BPF_PROG_RUN, repeat N) on forwarded\n"
		   "  IPv4 and IPv6 RTP packets (plain, and translated PCMU -> PCMA) and on a\n"
		   "  punted one, with 4 entries and with N\n"
		   "  entries (default repeat 1000000, entries 100000, trials 5, size 172: UDP\n"
		   "  payload), the next-hop cache's lifetime as xrelayd sets it (1000 ms; 0: no\n"
		   "  cache, every packet calls bpf_fib_lookup).\n"
		   "  Needs root. Prints one line per table size, then one JSON object.\n");
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v < min || *v > max || s[0] == '-' ? -EINVAL : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"repeat", required_argument, NULL, 'r'},
		{"entries", required_argument, NULL, 'e'},
		{"trials", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 's'},
		{"nhop-ttl-ms", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c, bad = 0;

	*o = (struct opts){.repeat = 1000000,
			   .entries = 100000,
			   .trials = 5,
			   .size = 172,
			   .nhop_ttl_ms = 1000};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			bad = parse_ulong(optarg, 1, 100000000, &o->repeat);
			break;
		case 'e':
			bad = parse_ulong(optarg, 4, XR_MAX_ENTRIES, &o->entries);
			break;
		case 't':
			bad = parse_ulong(optarg, 1, 64, &v);
			o->trials = (int)v;
			break;
		case 's':
			bad = parse_ulong(optarg, 12, 1400, &v);
			o->size = v;
			break;
		case 'n':
			bad = parse_ulong(optarg, 0, 3600000, &o->nhop_ttl_ms);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (bad) {
			fprintf(stderr,
				"xdp_prog_cost: bad value '%s' (1 <= repeat <= 1e8, 4 <= entries "
				"<= %u, 1 <= trials <= 64, 12 <= size <= 1400, nhop-ttl-ms <= "
				"3600000)\n",
				optarg, XR_MAX_ENTRIES);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xdp_prog_cost: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t hit[PKT_MAX], hit6[PKT_MAX], xl[PKT_MAX], xl6[PKT_MAX], miss[PKT_MAX];
	struct result rh[2], rh6[2], rx[2], rx6[2], rm[2];
	unsigned long sizes[2];
	double install_s = 0;
	struct opts o;
	int hit_len, hit6_len, xl_len, xl6_len, miss_len, stats_on, jit;

	if (parse_opts(argc, argv, &o))
		return 2;
	log_init(LOG_WARNING, true);
	stats_on = read_int_file("/proc/sys/kernel/bpf_stats_enabled");
	jit = read_int_file("/proc/sys/net/core/bpf_jit_enable");
	if (stats_on > 0)
		fprintf(stderr, "xdp_prog_cost: warning: kernel.bpf_stats_enabled is on, which "
				"adds its own cost to every run\n");
	atexit(xdp_lab_kernel_close);
	kernel_set_nhop_ttl_ms((unsigned int)o.nhop_ttl_ms);
	if (lab_setup())
		return 1;
	hit_len = build_frame(hit, sizeof(hit), NEIGH_IP, NEIGH_PORT, NEIGH_PORT, o.size);
	hit6_len = build_frame(hit6, sizeof(hit6), NEIGH6_IP, NEIGH_PORT, NEIGH_PORT, o.size);
	xl_len = build_frame(xl, sizeof(xl), NEIGH_IP, XLATE_PORT, XLATE_PORT, o.size);
	xl6_len = build_frame(xl6, sizeof(xl6), NEIGH6_IP, XLATE_PORT, XLATE_PORT, o.size);
	miss_len = build_frame(miss, sizeof(miss), NEIGH_IP, NEIGH_PORT, NEIGH_PORT + 1, o.size);
	if (hit_len < 0 || hit6_len < 0 || xl_len < 0 || xl6_len < 0 || miss_len < 0) {
		fprintf(stderr, "xdp_prog_cost: cannot build the packets\n");
		return 1;
	}
	if (o.size - 12 > XR_XLATE_MAX_PAYLOAD)
		fprintf(stderr,
			"xdp_prog_cost: warning: size %zu is over the translation's limit: "
			"the xlate rows are punts\n",
			o.size);

	sizes[0] = 4; /* the IPv4 and IPv6 hit entries, plain and translating */
	sizes[1] = o.entries;
	if (install_hit_entry(NEIGH_IP, NEIGH_PORT, XR_XLATE_NONE) ||
	    install_hit_entry(NEIGH6_IP, NEIGH_PORT, XR_XLATE_NONE) ||
	    install_hit_entry(NEIGH_IP, XLATE_PORT, XR_XLATE_ULAW_ALAW) ||
	    install_hit_entry(NEIGH6_IP, XLATE_PORT, XR_XLATE_ULAW_ALAW))
		return 1;
	for (int s = 0; s < 2; s++) {
		bool big = o.size - 12 > XR_XLATE_MAX_PAYLOAD;
		uint32_t xv = big ? XDP_PASS : XDP_REDIRECT;
		enum xr_counter xc = big ? XR_C_PUNT_XLATE : XR_C_REDIRECT;

		if (s == 1) {
			double t0 = now_s();

			if (o.entries > sizes[0] && install_bulk(0, o.entries - sizes[0]))
				return 1;
			install_s = now_s() - t0;
		}
		if (kernel_fwd_count() != sizes[s]) {
			fprintf(stderr, "xdp_prog_cost: %u entries installed, want %lu\n",
				kernel_fwd_count(), sizes[s]);
			return 1;
		}
		if (measure("hit", hit, hit_len, XDP_REDIRECT, XR_C_REDIRECT, false, &o, &rh[s]) ||
		    measure("hit6", hit6, hit6_len, XDP_REDIRECT, XR_C_REDIRECT, false, &o,
			    &rh6[s]) ||
		    measure("xlate", xl, xl_len, xv, xc, true, &o, &rx[s]) ||
		    measure("xlate6", xl6, xl6_len, xv, xc, true, &o, &rx6[s]) ||
		    measure("punt", miss, miss_len, XDP_PASS, XR_C_PUNT_NO_ENTRY, false, &o,
			    &rm[s]))
			return 1;
		printf("xdp_prog_cost: %lu entries: hit (redirect) IPv4 %.0f, IPv6 %.0f ns/packet, "
		       "PCMU->PCMA IPv4 %.0f, IPv6 %.0f ns/packet, punt (no entry) %.0f ns/packet "
		       "(median of %d x %lu runs; min %.0f / %.0f / %.0f / %.0f / %.0f; next-hop "
		       "cache %lu ms)\n",
		       sizes[s], median(&rh[s]), median(&rh6[s]), median(&rx[s]), median(&rx6[s]),
		       median(&rm[s]), o.trials, o.repeat, rh[s].ns[0], rh6[s].ns[0], rx[s].ns[0],
		       rx6[s].ns[0], rm[s].ns[0], o.nhop_ttl_ms);
	}
	printf("{\"repeat\":%lu,\"trials\":%d,\"size\":%zu,\"jit\":%d,\"bpf_stats\":%d,"
	       "\"nhop_ttl_ms\":%lu,\"entries\":[%lu,%lu],\"hit_ns\":[%.0f,%.0f],"
	       "\"hit6_ns\":[%.0f,%.0f],\"xlate_ns\":[%.0f,%.0f],\"xlate6_ns\":[%.0f,%.0f],"
	       "\"punt_ns\":[%.0f,%.0f],\"hit_min_ns\":[%.0f,%.0f],\"hit6_min_ns\":[%.0f,%.0f],"
	       "\"xlate_min_ns\":[%.0f,%.0f],\"xlate6_min_ns\":[%.0f,%.0f],"
	       "\"punt_min_ns\":[%.0f,%.0f],\"install_per_s\":%.0f}\n",
	       o.repeat, o.trials, o.size, jit, stats_on, o.nhop_ttl_ms, sizes[0], sizes[1],
	       median(&rh[0]), median(&rh[1]), median(&rh6[0]), median(&rh6[1]), median(&rx[0]),
	       median(&rx[1]), median(&rx6[0]), median(&rx6[1]), median(&rm[0]), median(&rm[1]),
	       rh[0].ns[0], rh[1].ns[0], rh6[0].ns[0], rh6[1].ns[0], rx[0].ns[0], rx[1].ns[0],
	       rx6[0].ns[0], rx6[1].ns[0], rm[0].ns[0], rm[1].ns[0],
	       install_s > 0 ? (double)(o.entries - sizes[0]) / install_s : 0);
	return 0;
}
