// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen: RTP generator, sink, echo and relayed-pair tester, and an RTCP peer, for benchmarks,
 * field tests and the namespace lab. Each RTP payload carries a 64-bit sequence number and the
 * CLOCK_MONOTONIC send time, so a sink on the same host measures loss, reordering and latency. */
#include "addr.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RTP_HDR_LEN   12
#define PAYLOAD_MAGIC 0x58524731u /* "XRG1" */
/* After the RTP header: magic, 64-bit sequence number, 64-bit send time (ns), big endian. */
#define MIN_SIZE    (RTP_HDR_LEN + 4 + 8 + 8)
#define MAX_SIZE    9000
#define DEF_SIZE    172 /* 20 ms of G.711 */
#define MAX_BATCH   1024
#define DEF_BATCH   32
#define RX_BATCH    64
#define RX_BUF	    (MAX_SIZE + 64)
#define MAX_STREAMS 64
#define SOCK_BUF    (8 << 20)
#define TS_STEP	    160
#define NSEC	    1000000000ULL
/* A sender more than 1 ms behind schedule drops the older backlog rather than bursting it. */
#define MAX_DEBT_NS 1000000ULL
/* Latencies past this come from another host's clock: not counted. */
#define MAX_LATENCY_NS (10 * NSEC)
/* Duplicate tracking covers this many sequence numbers per stream (16 MiB of bitmap). */
#define SEEN_MAX_BITS (1ULL << 27)
#define DEF_WAIT_MS   200

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = ns / NSEC, .tv_nsec = ns % NSEC};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- latency histogram: log-linear, 64 sub-buckets per power of two (about 1.6% wide) ---- */

#define HIST_SUB     64
#define HIST_BUCKETS ((64 - 5) * HIST_SUB)

struct hist {
	uint64_t count, max;
	uint64_t b[HIST_BUCKETS];
};

static unsigned int hist_index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= 6 */
	return (e - 5) * HIST_SUB + (unsigned int)((v >> (e - 6)) & (HIST_SUB - 1));
}

/* The middle of bucket i. */
static double hist_value(unsigned int i)
{
	unsigned int e, sub;
	uint64_t low;

	if (i < HIST_SUB)
		return i;
	e = i / HIST_SUB + 5;
	sub = i % HIST_SUB;
	low = (1ULL << e) | ((uint64_t)sub << (e - 6));
	return (double)low + (double)(1ULL << (e - 6)) / 2;
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

/* Percentile p (0..100) in ns; 0 when empty. */
static double hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)((double)h->count * p / 100.0);
	if (want < 1)
		want = 1;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			double v = hist_value(i);

			return v > (double)h->max ? (double)h->max : v;
		}
	}
	return (double)h->max;
}

/* ---- options ---- */

enum mode { M_SEND, M_SINK, M_ECHO, M_PAIR, M_RTCP };

enum opt_id {
	O_TO = 1,
	O_FROM,
	O_LISTEN,
	O_A,
	O_B,
	O_RELAY_A,
	O_RELAY_B,
	O_PPS,
	O_DURATION,
	O_SIZE,
	O_SSRC,
	O_PT,
	O_BATCH,
	O_EXPECT,
	O_RTT,
	O_BOTH,
	O_WAIT,
	O_LOCAL,
	O_COUNT,
	O_DELAY,
	O_JSON,
	O_HELP,
};

#define BIT(o) (1u << (o))
#define TX_OPTS                                                                                \
	(BIT(O_PPS) | BIT(O_DURATION) | BIT(O_SIZE) | BIT(O_SSRC) | BIT(O_PT) | BIT(O_BATCH) | \
	 BIT(O_WAIT))

static const struct mode_desc {
	const char *name;
	unsigned int allowed, required;
} modes[] = {
	[M_SEND] = {"send", TX_OPTS | BIT(O_TO) | BIT(O_FROM) | BIT(O_RTT),
		    BIT(O_TO) | BIT(O_PPS) | BIT(O_DURATION)},
	[M_SINK] = {"sink", BIT(O_LISTEN) | BIT(O_DURATION) | BIT(O_EXPECT),
		    BIT(O_LISTEN) | BIT(O_DURATION)},
	[M_ECHO] = {"echo", BIT(O_LISTEN) | BIT(O_DURATION), BIT(O_LISTEN) | BIT(O_DURATION)},
	[M_PAIR] = {"pair",
		    TX_OPTS | BIT(O_A) | BIT(O_B) | BIT(O_RELAY_A) | BIT(O_RELAY_B) | BIT(O_BOTH),
		    BIT(O_A) | BIT(O_B) | BIT(O_RELAY_A) | BIT(O_PPS) | BIT(O_DURATION)},
	[M_RTCP] = {"rtcp",
		    BIT(O_LOCAL) | BIT(O_TO) | BIT(O_COUNT) | BIT(O_PPS) | BIT(O_DELAY) |
			    BIT(O_DURATION) | BIT(O_SSRC),
		    BIT(O_LOCAL) | BIT(O_DURATION)},
};

static const struct option long_opts[] = {
	{"to", required_argument, NULL, O_TO},
	{"from", required_argument, NULL, O_FROM},
	{"listen", required_argument, NULL, O_LISTEN},
	{"a", required_argument, NULL, O_A},
	{"b", required_argument, NULL, O_B},
	{"relay-a", required_argument, NULL, O_RELAY_A},
	{"relay-b", required_argument, NULL, O_RELAY_B},
	{"pps", required_argument, NULL, O_PPS},
	{"duration", required_argument, NULL, O_DURATION},
	{"size", required_argument, NULL, O_SIZE},
	{"ssrc", required_argument, NULL, O_SSRC},
	{"pt", required_argument, NULL, O_PT},
	{"batch", required_argument, NULL, O_BATCH},
	{"expect", required_argument, NULL, O_EXPECT},
	{"rtt", no_argument, NULL, O_RTT},
	{"both", no_argument, NULL, O_BOTH},
	{"wait", required_argument, NULL, O_WAIT},
	{"local", required_argument, NULL, O_LOCAL},
	{"count", required_argument, NULL, O_COUNT},
	{"delay", required_argument, NULL, O_DELAY},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

struct opts {
	enum mode mode;
	bool json, rtt, both;
	struct endpoint from, listen, a, b, local;
	/* One stream per destination: --to, --relay-a and --relay-b may repeat. */
	struct endpoint to[MAX_STREAMS], relay_a[MAX_STREAMS], relay_b[MAX_STREAMS];
	unsigned int n_to, n_relay_a, n_relay_b;
	uint64_t pps, duration_ns, expect, count;
	unsigned int size, batch, wait_ms, delay_ms;
	uint32_t ssrc;
	uint8_t pt;
	unsigned int given; /* BIT(O_*) of the options on the command line */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rtpgen [-j] COMMAND OPTIONS\n"
		"  send --to IP:PORT... [--from IP:PORT] --pps N --duration S [--size BYTES]\n"
		"       [--ssrc X] [--pt N] [--batch N] [--rtt] [--wait MS]\n"
		"       Send paced RTP; with --rtt also receive the packets an echo returns.\n"
		"  sink --listen IP:PORT --duration S [--expect N]\n"
		"       Receive RTP, report loss, reordering, duplicates and one-way latency.\n"
		"  echo --listen IP:PORT --duration S\n"
		"       Send every packet back to its source.\n"
		"  pair --a IP:PORT --b IP:PORT --relay-a IP:PORT... [--relay-b IP:PORT...]\n"
		"       --pps N --duration S [--size BYTES] [--ssrc X] [--pt N] [--batch N]\n"
		"       [--both] [--wait MS]\n"
		"       Both ends of relayed streams: send from a to relay-a, receive at b;\n"
		"       --both also sends from b to relay-b and receives at a.\n"
		"  rtcp --local IP:PORT [--to IP:PORT --count N --pps N [--delay MS] [--ssrc X]]\n"
		"       --duration S\n"
		"       From one socket: send N compound RTCP packets (SR + SDES CNAME) to --to,\n"
		"       count the RTCP and the other packets that arrive.\n"
		"Options:\n"
		"  -j, --json      one JSON object instead of a text line\n"
		"  --to, --relay-a, --relay-b  repeat for more streams (up to %d), one SSRC each\n"
		"  --pps N         packets per second over all streams (k and M suffixes allowed)\n"
		"  --duration S    seconds (fractions allowed); 0 for sink/echo/rtcp: until "
		"SIGINT;\n"
		"                  for rtcp counted from the start, --delay included\n"
		"  --size BYTES    UDP payload incl. the 12-byte RTP header, %d..%d (default %d)\n"
		"  --batch N       packets per sendmmsg at most, 1..%d (default %d)\n"
		"  --wait MS       after sending, how long receivers wait for stragglers (default "
		"%d)\n"
		"  --expect N      packets the sink should see (loss counts the missing tail)\n"
		"  --delay MS      rtcp: only receive for this long before the first packet\n"
		"  --count N       rtcp: packets to send (k and M suffixes allowed)\n"
		"A bare PORT means 127.0.0.1:PORT.\n",
		MAX_STREAMS, MIN_SIZE, MAX_SIZE, DEF_SIZE, MAX_BATCH, DEF_BATCH, DEF_WAIT_MS);
}

static int arg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; returns the exit code of a bad command line. */
static int arg_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rtpgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* An unsigned integer up to max, with an optional k or M multiplier when allow_suffix. */
static int parse_uint(const char *s, uint64_t max, bool allow_suffix, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (allow_suffix && (*end == 'k' || *end == 'K'))
		mult = 1000, end++;
	else if (allow_suffix && *end == 'M')
		mult = 1000000, end++;
	if (*end || v > max / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || v > 1e6)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static int parse_endpoint(const char *s, bool need_port, struct endpoint *ep)
{
	if (ep_parse(ep, s, "127.0.0.1"))
		return -EINVAL;
	if (need_port && !ep_port(ep))
		return -EINVAL;
	return 0;
}

static const char *opt_name(int id)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == id)
			return lo->name;
	return "?";
}

#define BAD_EP	"--%s: '%s' is not IP:PORT"
#define BAD_NUM "--%s: '%s' is not a valid number"

static int add_endpoint(struct endpoint *list, unsigned int *n, const char *name, const char *arg)
{
	if (*n == MAX_STREAMS)
		return arg_error("--%s: more than %d streams", name, MAX_STREAMS);
	if (parse_endpoint(arg, true, &list[*n]))
		return arg_error(BAD_EP, name, arg);
	if (*n && ep_family(&list[*n]) != ep_family(&list[0]))
		return arg_error("--%s: the addresses mix IPv4 and IPv6", name);
	(*n)++;
	return 0;
}

static int parse_one(struct opts *o, int id, const char *arg)
{
	const char *name = opt_name(id);
	uint64_t v;

	switch (id) {
	case O_TO:
		return add_endpoint(o->to, &o->n_to, name, arg);
	case O_FROM:
		return parse_endpoint(arg, false, &o->from) ? arg_error(BAD_EP, name, arg) : 0;
	case O_LISTEN:
		return parse_endpoint(arg, true, &o->listen) ? arg_error(BAD_EP, name, arg) : 0;
	case O_A:
		return parse_endpoint(arg, true, &o->a) ? arg_error(BAD_EP, name, arg) : 0;
	case O_B:
		return parse_endpoint(arg, true, &o->b) ? arg_error(BAD_EP, name, arg) : 0;
	case O_RELAY_A:
		return add_endpoint(o->relay_a, &o->n_relay_a, name, arg);
	case O_RELAY_B:
		return add_endpoint(o->relay_b, &o->n_relay_b, name, arg);
	case O_PPS:
		if (parse_uint(arg, 100000000, true, &o->pps) || !o->pps)
			return arg_error("--%s: '%s' is not a rate of 1..100M packets/s", name,
					 arg);
		return 0;
	case O_DURATION:
		if (parse_seconds(arg, &o->duration_ns))
			return arg_error("--%s: '%s' is not a number of seconds", name, arg);
		return 0;
	case O_SIZE:
		if (parse_uint(arg, MAX_SIZE, false, &v) || v < MIN_SIZE)
			return arg_error("--%s: '%s' is out of range (32..9000)", name, arg);
		o->size = (unsigned int)v;
		return 0;
	case O_SSRC:
		if (parse_uint(arg, UINT32_MAX, false, &v))
			return arg_error(BAD_NUM, name, arg);
		o->ssrc = (uint32_t)v;
		return 0;
	case O_PT:
		if (parse_uint(arg, 127, false, &v))
			return arg_error("--%s: '%s' is not a payload type 0..127", name, arg);
		o->pt = (uint8_t)v;
		return 0;
	case O_BATCH:
		if (parse_uint(arg, MAX_BATCH, false, &v) || !v)
			return arg_error("--%s: '%s' is out of range (1..1024)", name, arg);
		o->batch = (unsigned int)v;
		return 0;
	case O_EXPECT:
		if (parse_uint(arg, UINT64_MAX / 2, true, &o->expect))
			return arg_error(BAD_NUM, name, arg);
		return 0;
	case O_WAIT:
	case O_DELAY:
		if (parse_uint(arg, 600000, false, &v))
			return arg_error("--%s: '%s' is not a number of milliseconds", name, arg);
		*(id == O_WAIT ? &o->wait_ms : &o->delay_ms) = (unsigned int)v;
		return 0;
	case O_LOCAL:
		return parse_endpoint(arg, true, &o->local) ? arg_error(BAD_EP, name, arg) : 0;
	case O_COUNT:
		if (parse_uint(arg, UINT32_MAX, true, &o->count) || !o->count)
			return arg_error("--%s: '%s' is not a count of 1..%u packets", name, arg,
					 UINT32_MAX);
		return 0;
	case O_RTT:
		o->rtt = true;
		return 0;
	case O_BOTH:
		o->both = true;
		return 0;
	}
	return 0;
}

static int check_family(const char *what, const struct endpoint *x, const struct endpoint *y)
{
	if (ep_is_set(x) && ep_is_set(y) && ep_family(x) != ep_family(y))
		return arg_error("%s: %s mix IPv4 and IPv6", what, "the addresses");
	return 0;
}

/* rtcp sends only with a destination, and then needs to know how much and how fast. */
static int rtcp_check_args(const struct opts *o)
{
	const unsigned int tx_only = BIT(O_COUNT) | BIT(O_PPS) | BIT(O_DELAY) | BIT(O_SSRC);

	if (o->n_to > 1)
		return arg_error("rtcp: give --to once");
	if (!o->n_to && (o->given & tx_only))
		return arg_error("rtcp: --count, --pps, --delay and --ssrc need --to");
	if (o->n_to && !(o->given & BIT(O_COUNT)))
		return arg_error("rtcp: --to needs --count");
	if (o->n_to && !(o->given & BIT(O_PPS)))
		return arg_error("rtcp: --to needs --pps");
	return 0;
}

/* Returns 0 to run, 1 when --help was printed, 2 on a bad command line (message printed). */
static int parse_args(struct opts *o, int argc, char **argv)
{
	const struct mode_desc *md;
	int i = 1, c, rc;

	memset(o, 0, sizeof(*o));
	o->size = DEF_SIZE;
	o->batch = DEF_BATCH;
	o->pt = 0;
	o->wait_ms = DEF_WAIT_MS;
	o->ssrc = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 1;
		} else {
			return arg_error("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return arg_error("missing command (send, sink, echo, pair, rtcp; --help)");
	for (c = 0; c < (int)(sizeof(modes) / sizeof(modes[0])); c++)
		if (!strcmp(argv[i], modes[c].name))
			break;
	if (c == (int)(sizeof(modes) / sizeof(modes[0])))
		return arg_error("unknown command '%s' (send, sink, echo, pair, rtcp)", argv[i]);
	o->mode = (enum mode)c;
	md = &modes[o->mode];

	/* getopt_long on the arguments after the command. */
	argc -= i;
	argv += i;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", long_opts, NULL)) != -1) {
		if (c == 'j' || c == O_JSON) {
			o->json = true;
			continue;
		}
		if (c == 'h' || c == O_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == ':')
			return arg_error("%s: option '%s' needs a value", md->name,
					 argv[optind - 1]);
		if (c == '?')
			return arg_error("%s: unknown option '%s'", md->name, argv[optind - 1]);
		if (!(md->allowed & BIT(c)))
			return arg_error("%s: option '--%s' does not apply", md->name, opt_name(c));
		rc = parse_one(o, c, optarg);
		if (rc)
			return rc;
		o->given |= BIT(c);
	}
	if (optind < argc)
		return arg_error("%s: unexpected argument '%s'", md->name, argv[optind]);
	for (const struct option *lo = long_opts; lo->name; lo++)
		if ((md->required & BIT(lo->val)) && !(o->given & BIT(lo->val)))
			return arg_error("%s: --%s is required", md->name, lo->name);
	if ((o->mode == M_SEND || o->mode == M_PAIR) && !o->duration_ns)
		return arg_error("%s: --duration must be more than 0", md->name);
	if (o->both && !(o->given & BIT(O_RELAY_B)))
		return arg_error("%s: --both needs --relay-b", md->name);
	if (o->n_relay_b && o->n_relay_b != o->n_relay_a)
		return arg_error("%s: give --relay-b as often as --relay-a (once per stream)",
				 md->name);
	if (o->mode == M_RTCP && (rc = rtcp_check_args(o)))
		return rc;
	if (check_family(md->name, &o->to[0], &o->from) ||
	    check_family(md->name, &o->to[0], &o->local) ||
	    check_family(md->name, &o->a, &o->relay_a[0]) ||
	    check_family(md->name, &o->b, &o->relay_b[0]))
		return 2;
	return 0;
}

/* ---- sockets ---- */

static void sock_bufs(int fd)
{
	int v = SOCK_BUF;

	/* The FORCE variants pass the sysctl caps when we are root. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* A UDP socket of family, bound to local when set, connected to peer when set. -errno. */
static int udp_open(int family, const struct endpoint *local, const struct endpoint *peer)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 20000};
	char buf[EP_STRLEN];
	int fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "rtpgen: socket: %s\n", strerror(errno));
		return err;
	}
	sock_bufs(fd);
	/* Receivers wake up this often to notice the end of the run. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (local && ep_is_set(local) && bind(fd, &local->sa, ep_len(local))) {
		err = -errno;
		fprintf(stderr, "rtpgen: can't bind %s: %s\n", ep_str(local, buf, sizeof(buf)),
			strerror(errno));
		close(fd);
		return err;
	}
	if (peer && connect(fd, &peer->sa, ep_len(peer))) {
		err = -errno;
		fprintf(stderr, "rtpgen: can't connect to %s: %s\n", ep_str(peer, buf, sizeof(buf)),
			strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/* ---- sender ---- */

struct tx {
	int fd;
	bool connected; /* else every message names its destination */
	/* Packet j goes to dests[j % n_dests] with SSRC ssrc + j % n_dests. */
	const struct endpoint *dests;
	unsigned int n_dests;
	uint64_t pps, count; /* over all streams */
	unsigned int size, batch;
	uint32_t ssrc;
	uint8_t pt;
	/* results */
	uint64_t sent, bytes, retries, resyncs, start_ns, end_ns;
	uint64_t first_tx_ns, last_tx_ns; /* when the first and the last batch went out */
	int err;
	atomic_bool done;
};

/* Fills message k with packet j: stream j % n_dests, sequence number j / n_dests. */
static void rtp_fill(struct tx *t, struct mmsghdr *m, uint64_t j, uint64_t stamp)
{
	unsigned int k = (unsigned int)(j % t->n_dests);
	uint8_t *p = m->msg_hdr.msg_iov->iov_base;
	uint64_t seq = j / t->n_dests;
	uint32_t ssrc = t->ssrc + k;
	uint16_t seq_base = (uint16_t)(ssrc >> 7);
	uint32_t ts_base = ssrc * 2654435761u;

	if (!t->connected) {
		m->msg_hdr.msg_name = (void *)&t->dests[k].sa;
		m->msg_hdr.msg_namelen = ep_len(&t->dests[k]);
	}
	p[0] = 0x80; /* version 2, no padding, extension or CSRC */
	p[1] = (uint8_t)((t->pt & 0x7f) | (seq == 0 ? 0x80 : 0));
	put16(p + 2, (uint16_t)(seq_base + seq));
	put32(p + 4, ts_base + (uint32_t)(seq * TS_STEP));
	put32(p + 8, ssrc);
	put32(p + 12, PAYLOAD_MAGIC);
	put64(p + 16, seq);
	put64(p + 24, stamp);
}

/* Packets due by `now` on a schedule that had sent base_idx packets at base_ns. */
static uint64_t due_count(uint64_t base_idx, uint64_t base_ns, uint64_t now, uint64_t pps)
{
	return base_idx + (uint64_t)((unsigned __int128)(now - base_ns) * pps / NSEC) + 1;
}

static int tx_run(struct tx *t)
{
	uint64_t i = 0, base_idx = 0, base_ns, debt_max;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *bufs;

	t->start_ns = now_ns();
	bufs = calloc(t->batch, t->size);
	iov = calloc(t->batch, sizeof(*iov));
	msgs = calloc(t->batch, sizeof(*msgs));
	if (!bufs || !iov || !msgs) {
		t->err = -ENOMEM;
		goto out;
	}
	for (unsigned int k = 0; k < t->batch; k++) {
		iov[k].iov_base = bufs + (size_t)k * t->size;
		iov[k].iov_len = t->size;
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	debt_max = t->pps * MAX_DEBT_NS / NSEC;
	if (debt_max < t->batch)
		debt_max = t->batch;
	base_ns = t->start_ns = now_ns();
	while (i < t->count && !stop_flag) {
		uint64_t now = now_ns(), due = due_count(base_idx, base_ns, now, t->pps);
		unsigned int n;
		int r;

		if (due <= i) {
			sleep_until(base_ns +
				    (uint64_t)((unsigned __int128)(i - base_idx) * NSEC / t->pps));
			continue;
		}
		if (due - i > debt_max) {
			/* Fell behind (preempted, or past the rate we can send): keep at most
			 * debt_max packets of backlog rather than bursting all of it into the
			 * relay. */
			t->resyncs++;
			base_idx = i + debt_max - 1;
			base_ns = now;
			due = i + debt_max;
		}
		if (due > t->count)
			due = t->count;
		n = due - i > t->batch ? t->batch : (unsigned int)(due - i);
		for (unsigned int k = 0; k < n; k++)
			rtp_fill(t, &msgs[k], i + k, now);
		r = sendmmsg(t->fd, msgs, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ICMP errors from a closed port (reported once each) and full queues
			 * are part of life on a loaded path: count them and go on. */
			if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) {
				t->retries++;
				if (errno != ECONNREFUSED)
					usleep(50);
				continue;
			}
			t->err = -errno;
			break;
		}
		if (!i)
			t->first_tx_ns = now;
		t->last_tx_ns = now;
		i += (uint64_t)r;
		t->bytes += (uint64_t)r * t->size;
	}
out:
	t->end_ns = now_ns();
	t->sent = i;
	free(bufs);
	free(iov);
	free(msgs);
	atomic_store(&t->done, true);
	return t->err;
}

static void *tx_thread(void *arg)
{
	tx_run(arg);
	return NULL;
}

/* Packets per second between the first and the last send (n packets span n - 1 intervals). */
static double tx_rate(const struct tx *t)
{
	uint64_t d = t->last_tx_ns - t->first_tx_ns;

	if (t->sent > 1 && d)
		return (double)(t->sent - 1) * 1e9 / (double)d;
	d = t->end_ns - t->start_ns;
	return d ? (double)t->sent * 1e9 / (double)d : 0;
}

/* ---- receiver ---- */

struct rx_stream {
	uint32_t ssrc;
	uint64_t unique;    /* distinct sequence numbers */
	uint64_t max_idx;   /* highest index seen (sequence, or extended RTP seq - first) */
	uint64_t ext_max;   /* foreign RTP: highest extended sequence number */
	uint64_t ext_first; /* foreign RTP: the first one */
	uint64_t untracked; /* beyond the bitmap, or before the first foreign packet */
	uint8_t *seen;
	uint64_t seen_bits;
};

struct rx {
	int fd;
	const struct endpoint *srcs; /* when set, packets should come from one of these */
	unsigned int n_srcs;
	uint64_t deadline_ns; /* 0: none */
	uint64_t expect;      /* stop once this many distinct packets came; 0: none */
	struct tx *tx;	      /* when set, stop wait_ns after it is done (or once all came) */
	uint64_t wait_ns;
	/* results */
	uint64_t packets, bytes, unique, dups, reordered, non_rtp, wrong_src, bad_latency;
	uint64_t untracked, start_ns, first_ns, last_ns, end_ns;
	unsigned int n_streams, last_stream;
	struct rx_stream streams[MAX_STREAMS];
	struct hist lat;
	int err;
};

static struct rx_stream *rx_stream_get(struct rx *rx, uint32_t ssrc)
{
	struct rx_stream *st = &rx->streams[rx->last_stream];

	if (rx->n_streams && st->ssrc == ssrc)
		return st;
	for (unsigned int i = 0; i < rx->n_streams; i++) {
		if (rx->streams[i].ssrc == ssrc) {
			rx->last_stream = i;
			return &rx->streams[i];
		}
	}
	if (rx->n_streams == MAX_STREAMS)
		return NULL;
	st = &rx->streams[rx->n_streams];
	memset(st, 0, sizeof(*st));
	st->ssrc = ssrc;
	rx->last_stream = rx->n_streams++;
	return st;
}

/* Marks idx seen; returns 1 when it was new, 0 for a duplicate, -1 when it can't be tracked. */
static int seen_mark(struct rx_stream *st, uint64_t idx)
{
	if (idx >= SEEN_MAX_BITS)
		return -1;
	if (idx >= st->seen_bits) {
		uint64_t bits = st->seen_bits ? st->seen_bits : 1 << 16;
		uint8_t *n;

		while (bits <= idx)
			bits *= 2;
		n = realloc(st->seen, bits / 8);
		if (!n)
			return -1;
		memset(n + st->seen_bits / 8, 0, (bits - st->seen_bits) / 8);
		st->seen = n;
		st->seen_bits = bits;
	}
	if (st->seen[idx / 8] & (1u << (idx % 8)))
		return 0;
	st->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
	return 1;
}

static void rx_account(struct rx *rx, const uint8_t *p, size_t len, const struct endpoint *src,
		       uint64_t now)
{
	struct rx_stream *st;
	uint64_t idx, stamp = 0;
	bool ours;
	int r;

	rx->packets++;
	rx->bytes += len;
	if (!rx->first_ns)
		rx->first_ns = now;
	rx->last_ns = now;
	if (rx->n_srcs) {
		unsigned int k = 0;

		while (k < rx->n_srcs && !ep_eq(src, &rx->srcs[k]))
			k++;
		if (k == rx->n_srcs)
			rx->wrong_src++;
	}
	/* RTCP (payload types 64..95 with the marker bit, RFC 5761) and non-RTP. */
	if (len < RTP_HDR_LEN || (p[0] >> 6) != 2 || (p[1] >= 192 && p[1] <= 223)) {
		rx->non_rtp++;
		return;
	}
	st = rx_stream_get(rx, get32(p + 8));
	if (!st) {
		rx->untracked++;
		return;
	}
	ours = len >= MIN_SIZE && get32(p + 12) == PAYLOAD_MAGIC;
	if (ours) {
		idx = get64(p + 16);
		stamp = get64(p + 24);
	} else {
		uint16_t seq = get16(p + 2);
		uint64_t ext;

		if (!st->ext_max) {
			/* Room below the first packet for earlier ones that arrive late. */
			ext = st->ext_first = st->ext_max = (1ULL << 32) + seq;
		} else {
			ext = st->ext_max +
			      (uint64_t)(int64_t)(int16_t)(seq - (uint16_t)st->ext_max);
			if (ext < st->ext_first) {
				st->untracked++;
				rx->untracked++;
				return;
			}
			if (ext > st->ext_max)
				st->ext_max = ext;
		}
		idx = ext - st->ext_first;
	}
	r = seen_mark(st, idx);
	if (r == 0) {
		rx->dups++;
		return;
	}
	if (r < 0) {
		st->untracked++;
		rx->untracked++;
	}
	rx->unique++;
	st->unique++;
	if (st->unique > 1 && idx < st->max_idx)
		rx->reordered++;
	else
		st->max_idx = idx;
	if (ours) {
		if (stamp <= now && now - stamp < MAX_LATENCY_NS)
			hist_add(&rx->lat, now - stamp);
		else
			rx->bad_latency++;
	}
}

static bool rx_should_stop(struct rx *rx, uint64_t now)
{
	if (stop_flag)
		return true;
	if (rx->deadline_ns && now >= rx->deadline_ns)
		return true;
	if (rx->expect && rx->unique >= rx->expect)
		return true;
	if (rx->tx && atomic_load(&rx->tx->done))
		return rx->unique >= rx->tx->sent || now >= rx->tx->end_ns + rx->wait_ns;
	return false;
}

static int rx_run(struct rx *rx)
{
	struct endpoint names[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	uint8_t *bufs = malloc((size_t)RX_BATCH * RX_BUF);

	if (!bufs)
		return rx->err = -ENOMEM;
	memset(msgs, 0, sizeof(msgs));
	for (int k = 0; k < RX_BATCH; k++) {
		iov[k].iov_base = bufs + (size_t)k * RX_BUF;
		iov[k].iov_len = RX_BUF;
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
		msgs[k].msg_hdr.msg_name = &names[k];
	}
	rx->start_ns = now_ns();
	while (!rx_should_stop(rx, now_ns())) {
		uint64_t now;
		int r;

		for (int k = 0; k < RX_BATCH; k++)
			msgs[k].msg_hdr.msg_namelen = sizeof(names[k]);
		r = recvmmsg(rx->fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNREFUSED)
				continue;
			rx->err = -errno;
			break;
		}
		now = now_ns();
		for (int k = 0; k < r; k++) {
			ep_unmap_v4(&names[k]);
			rx_account(rx, iov[k].iov_base, msgs[k].msg_len, &names[k], now);
		}
	}
	rx->end_ns = now_ns();
	free(bufs);
	return rx->err;
}

static void rx_free(struct rx *rx)
{
	for (unsigned int i = 0; i < rx->n_streams; i++)
		free(rx->streams[i].seen);
}

/* Packets expected: what the sender sent, --expect, or per stream up to the highest sequence. */
static uint64_t rx_expected(const struct rx *rx, uint64_t sent)
{
	uint64_t e = 0;

	if (sent)
		return sent;
	if (rx->expect)
		return rx->expect;
	for (unsigned int i = 0; i < rx->n_streams; i++)
		e += rx->streams[i].max_idx + 1;
	return e;
}

/* ---- output ---- */

struct rx_report {
	uint64_t expected, lost;
	double loss_pct, p50, p99, max; /* latency in us */
};

static void rx_report(const struct rx *rx, uint64_t sent, struct rx_report *r)
{
	r->expected = rx_expected(rx, sent);
	r->lost = r->expected > rx->unique ? r->expected - rx->unique : 0;
	r->loss_pct = r->expected ? 100.0 * (double)r->lost / (double)r->expected : 0;
	r->p50 = hist_pct(&rx->lat, 50) / 1000;
	r->p99 = hist_pct(&rx->lat, 99) / 1000;
	r->max = (double)rx->lat.max / 1000;
}

static void print_rx_json(const struct rx *rx, const struct rx_report *r, const char *lat)
{
	printf("\"received\":%" PRIu64 ",\"bytes_received\":%" PRIu64 ",\"unique\":%" PRIu64
	       ",\"expected\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"loss_pct\":%.4f,\"reordered\":%" PRIu64 ",\"duplicates\":%" PRIu64
	       ",\"non_rtp\":%" PRIu64 ",\"wrong_source\":%" PRIu64 ",\"untracked\":%" PRIu64
	       ",\"latency_invalid\":%" PRIu64 ",\"streams\":%u,\"%s_samples\":%" PRIu64
	       ",\"%s_p50_us\":%.2f,\"%s_p99_us\":%.2f,"
	       "\"%s_max_us\":%.2f",
	       rx->packets, rx->bytes, rx->unique, r->expected, r->lost, r->loss_pct, rx->reordered,
	       rx->dups, rx->non_rtp, rx->wrong_src, rx->untracked, rx->bad_latency, rx->n_streams,
	       lat, rx->lat.count, lat, r->p50, lat, r->p99, lat, r->max);
}

static void print_rx_text(const struct rx *rx, const struct rx_report *r, const char *lat)
{
	printf("received %" PRIu64 "; lost %" PRIu64 " (%.3f%%), reordered %" PRIu64
	       ", duplicates %" PRIu64,
	       rx->packets, r->lost, r->loss_pct, rx->reordered, rx->dups);
	if (rx->non_rtp)
		printf(", non-RTP %" PRIu64, rx->non_rtp);
	if (rx->n_srcs)
		printf(", wrong source %" PRIu64, rx->wrong_src);
	if (rx->lat.count)
		printf("; %s p50 %.1f us, p99 %.1f us, max %.1f us", lat, r->p50, r->p99, r->max);
}

static void print_tx_json(const struct tx *t)
{
	printf("\"tx_streams\":%u,\"sent\":%" PRIu64 ",\"bytes_sent\":%" PRIu64
	       ",\"target_pps\":%" PRIu64
	       ",\"tx_pps\":%.0f,\"tx_duration_s\":%.3f,\"send_retries\":%" PRIu64
	       ",\"resyncs\":%" PRIu64,
	       t->n_dests, t->sent, t->bytes, t->pps, tx_rate(t),
	       (double)(t->end_ns - t->start_ns) / 1e9, t->retries, t->resyncs);
}

static void print_tx_text(const struct tx *t)
{
	printf("sent %" PRIu64 " at %.0f pps (target %" PRIu64 ") in %.2f s", t->sent, tx_rate(t),
	       t->pps, (double)(t->end_ns - t->start_ns) / 1e9);
	if (t->retries)
		printf(", %" PRIu64 " send retries", t->retries);
	if (t->resyncs)
		printf(", %" PRIu64 " schedule resets", t->resyncs);
}

/* ---- commands ---- */

static void tx_init(struct tx *t, const struct opts *o, int fd, const struct endpoint *dests,
		    unsigned int n_dests, bool connected, uint32_t ssrc)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->dests = dests;
	t->n_dests = n_dests;
	t->connected = connected;
	t->pps = o->pps;
	t->count = (uint64_t)((unsigned __int128)o->pps * o->duration_ns / NSEC);
	if (!t->count)
		t->count = 1;
	t->size = o->size;
	t->batch = o->batch;
	t->ssrc = ssrc;
	t->pt = o->pt;
	atomic_init(&t->done, false);
}

static int cmd_send(const struct opts *o)
{
	char to[EP_STRLEN + 8];
	struct rx *rx = NULL;
	struct tx t;
	pthread_t th;
	int fd, rc;

	/* Connected when there is one destination and nothing to receive: the fastest way. */
	bool conn = o->n_to == 1 && !o->rtt;

	fd = udp_open(ep_family(&o->to[0]), &o->from, conn ? &o->to[0] : NULL);
	if (fd < 0)
		return 1;
	tx_init(&t, o, fd, o->to, o->n_to, conn, o->ssrc);
	if (o->rtt) {
		rx = calloc(1, sizeof(*rx));
		if (!rx) {
			close(fd);
			return 1;
		}
		rx->fd = fd;
		rx->tx = &t;
		rx->wait_ns = (uint64_t)o->wait_ms * 1000000;
		if (pthread_create(&th, NULL, tx_thread, &t)) {
			fprintf(stderr, "rtpgen: can't start the sender thread\n");
			free(rx);
			close(fd);
			return 1;
		}
		rx_run(rx);
		pthread_join(th, NULL);
	} else {
		tx_run(&t);
	}
	rc = t.err || (rx && rx->err) ? 1 : 0;
	if (t.err)
		fprintf(stderr, "rtpgen: send: %s\n", strerror(-t.err));
	if (rx && rx->err)
		fprintf(stderr, "rtpgen: receive: %s\n", strerror(-rx->err));
	ep_str(&o->to[0], to, sizeof(to));
	if (o->n_to > 1)
		snprintf(to + strlen(to), sizeof(to) - strlen(to), " +%u", o->n_to - 1);
	if (o->json) {
		printf("{\"mode\":\"send\",\"to\":\"%s\",\"ssrc\":%u,", to, o->ssrc);
		print_tx_json(&t);
		if (rx) {
			struct rx_report r;

			rx_report(rx, t.sent, &r);
			putchar(',');
			print_rx_json(rx, &r, "rtt");
		}
		printf("}\n");
	} else {
		printf("rtpgen send to %s: ", to);
		print_tx_text(&t);
		if (rx) {
			struct rx_report r;

			rx_report(rx, t.sent, &r);
			printf("; echo ");
			print_rx_text(rx, &r, "rtt");
		}
		putchar('\n');
	}
	if (rx)
		rx_free(rx);
	free(rx);
	close(fd);
	return rc;
}

static int cmd_sink(const struct opts *o)
{
	char at[EP_STRLEN];
	struct rx_report r;
	struct rx *rx;
	double secs;
	int fd, rc;

	fd = udp_open(ep_family(&o->listen), &o->listen, NULL);
	if (fd < 0)
		return 1;
	rx = calloc(1, sizeof(*rx));
	if (!rx) {
		close(fd);
		return 1;
	}
	rx->fd = fd;
	rx->expect = o->expect;
	if (o->duration_ns)
		rx->deadline_ns = now_ns() + o->duration_ns;
	rc = rx_run(rx) ? 1 : 0;
	if (rx->err)
		fprintf(stderr, "rtpgen: receive: %s\n", strerror(-rx->err));
	rx_report(rx, 0, &r);
	secs = (double)(rx->end_ns - rx->start_ns) / 1e9;
	ep_str(&o->listen, at, sizeof(at));
	if (o->json) {
		printf("{\"mode\":\"sink\",\"listen\":\"%s\",\"duration_s\":%.3f,\"rx_pps\":%.0f,",
		       at, secs,
		       rx->last_ns > rx->first_ns ? (double)(rx->packets - 1) * 1e9 /
							    (double)(rx->last_ns - rx->first_ns)
						  : 0);
		print_rx_json(rx, &r, "latency");
		printf("}\n");
	} else {
		printf("rtpgen sink at %s: %u stream%s in %.2f s: ", at, rx->n_streams,
		       rx->n_streams == 1 ? "" : "s", secs);
		print_rx_text(rx, &r, "latency");
		putchar('\n');
	}
	rx_free(rx);
	free(rx);
	close(fd);
	return rc;
}

static int cmd_echo(const struct opts *o)
{
	struct endpoint names[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	uint64_t echoed = 0, received = 0, errors = 0, deadline = 0, start;
	char at[EP_STRLEN];
	uint8_t *bufs;
	int fd, err = 0;

	fd = udp_open(ep_family(&o->listen), &o->listen, NULL);
	if (fd < 0)
		return 1;
	bufs = malloc((size_t)RX_BATCH * RX_BUF);
	if (!bufs) {
		close(fd);
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int k = 0; k < RX_BATCH; k++) {
		iov[k].iov_base = bufs + (size_t)k * RX_BUF;
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
		msgs[k].msg_hdr.msg_name = &names[k];
	}
	start = now_ns();
	if (o->duration_ns)
		deadline = start + o->duration_ns;
	while (!stop_flag && (!deadline || now_ns() < deadline)) {
		int r, done = 0;

		for (int k = 0; k < RX_BATCH; k++) {
			iov[k].iov_len = RX_BUF;
			msgs[k].msg_hdr.msg_namelen = sizeof(names[k]);
		}
		r = recvmmsg(fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNREFUSED)
				continue;
			err = errno;
			break;
		}
		received += (uint64_t)r;
		for (int k = 0; k < r; k++)
			iov[k].iov_len = msgs[k].msg_len;
		while (done < r) {
			int s = sendmmsg(fd, msgs + done, (unsigned int)(r - done), 0);

			if (s < 0) {
				if (errno == EINTR)
					continue;
				/* Drop the one that failed, send the rest. */
				errors++;
				done++;
				continue;
			}
			done += s;
			echoed += (uint64_t)s;
		}
	}
	if (err)
		fprintf(stderr, "rtpgen: receive: %s\n", strerror(err));
	ep_str(&o->listen, at, sizeof(at));
	if (o->json)
		printf("{\"mode\":\"echo\",\"listen\":\"%s\",\"duration_s\":%.3f,\"received\":"
		       "%" PRIu64 ",\"echoed\":%" PRIu64 ",\"errors\":%" PRIu64 "}\n",
		       at, (double)(now_ns() - start) / 1e9, received, echoed, errors);
	else
		printf("rtpgen echo at %s: received %" PRIu64 ", echoed %" PRIu64
		       ", errors %" PRIu64 "\n",
		       at, received, echoed, errors);
	free(bufs);
	close(fd);
	return err ? 1 : 0;
}

/* One direction of a pair: a sender thread on one socket, a receiver on the other. */
struct leg {
	struct tx tx;
	struct rx rx;
	pthread_t tx_th, rx_th;
	bool tx_started, rx_started;
};

static void *rx_thread(void *arg)
{
	rx_run(arg);
	return NULL;
}

static void leg_print(const struct leg *l, const char *name, bool json)
{
	struct rx_report r;

	rx_report(&l->rx, l->tx.sent, &r);
	if (json) {
		printf("\"%s\":{", name);
		print_tx_json(&l->tx);
		putchar(',');
		print_rx_json(&l->rx, &r, "latency");
		putchar('}');
	} else {
		printf("rtpgen pair %s: ", name);
		print_tx_text(&l->tx);
		printf("; ");
		print_rx_text(&l->rx, &r, "latency");
		putchar('\n');
	}
}

static int cmd_pair(const struct opts *o)
{
	struct leg *legs;
	int fa, fb, n = o->both ? 2 : 1, rc = 0;

	/* Unconnected: with --both each socket also receives what the relay sends back. */
	bool conn = o->n_relay_a == 1 && !o->both;

	fa = udp_open(ep_family(&o->a), &o->a, conn ? &o->relay_a[0] : NULL);
	if (fa < 0)
		return 1;
	fb = udp_open(ep_family(&o->b), &o->b, NULL);
	if (fb < 0) {
		close(fa);
		return 1;
	}
	legs = calloc(2, sizeof(*legs));
	if (!legs) {
		close(fa);
		close(fb);
		return 1;
	}
	tx_init(&legs[0].tx, o, fa, o->relay_a, o->n_relay_a, conn, o->ssrc);
	legs[0].rx.fd = fb;
	legs[0].rx.srcs = o->relay_b;
	legs[0].rx.n_srcs = o->n_relay_b;
	if (o->both) {
		tx_init(&legs[1].tx, o, fb, o->relay_b, o->n_relay_b, false,
			o->ssrc + o->n_relay_a);
		legs[1].rx.fd = fa;
		legs[1].rx.srcs = o->relay_a;
		legs[1].rx.n_srcs = o->n_relay_a;
	}
	/* Receivers first, so the first packets find them running. */
	for (int i = 0; i < n; i++) {
		legs[i].rx.tx = &legs[i].tx;
		legs[i].rx.wait_ns = (uint64_t)o->wait_ms * 1000000;
		legs[i].rx_started = !pthread_create(&legs[i].rx_th, NULL, rx_thread, &legs[i].rx);
		if (!legs[i].rx_started)
			rc = 1;
	}
	for (int i = 0; i < n && !rc; i++) {
		legs[i].tx_started = !pthread_create(&legs[i].tx_th, NULL, tx_thread, &legs[i].tx);
		if (!legs[i].tx_started)
			rc = 1;
	}
	if (rc) {
		fprintf(stderr, "rtpgen: can't start threads\n");
		stop_flag = 1;
	}
	for (int i = 0; i < n; i++) {
		if (legs[i].tx_started)
			pthread_join(legs[i].tx_th, NULL);
		else
			atomic_store(&legs[i].tx.done, true);
		if (legs[i].rx_started)
			pthread_join(legs[i].rx_th, NULL);
		if (legs[i].tx.err)
			fprintf(stderr, "rtpgen: send: %s\n", strerror(-legs[i].tx.err));
		if (legs[i].rx.err)
			fprintf(stderr, "rtpgen: receive: %s\n", strerror(-legs[i].rx.err));
		if (legs[i].tx.err || legs[i].rx.err)
			rc = 1;
	}
	if (o->json)
		printf("{\"mode\":\"pair\",");
	leg_print(&legs[0], "a_to_b", o->json);
	if (o->both) {
		if (o->json)
			putchar(',');
		leg_print(&legs[1], "b_to_a", o->json);
	}
	if (o->json)
		printf("}\n");
	for (int i = 0; i < 2; i++)
		rx_free(&legs[i].rx);
	free(legs);
	close(fa);
	close(fb);
	return rc;
}

/* ---- rtcp ---- */

#define NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900 (NTP's epoch) to 1970 */
#define RTCP_SR		200
#define RTCP_SDES	202
#define RTCP_SR_LEN	28 /* header, SSRC, sender info; no report blocks */
#define SDES_CNAME	1
#define CNAME_MAX	64
/* SR, then SDES: header, SSRC, CNAME type and length, the name, the end item and padding. */
#define RTCP_MAX (RTCP_SR_LEN + 4 + 4 + 2 + CNAME_MAX + 4)

struct rtcp_peer {
	int fd;
	const struct endpoint *to;
	uint32_t ssrc, ts_base;
	uint64_t start_ns;
	char cname[CNAME_MAX];
	/* results */
	uint64_t tried, errors, received, rtcp, non_rtcp;
};

/* Report `seq` as a compound packet (RFC 3550 6.1): an SR with no report blocks, then an SDES
 * with one chunk holding our CNAME. The SR's RTP timestamp runs at 8 kHz from the start; its
 * packet and octet counts are seq and seq * 160, as if a 20 ms G.711 frame preceded each
 * report, so they grow visibly in a capture. Returns the length. */
static size_t rtcp_fill(const struct rtcp_peer *pr, uint8_t *p, uint64_t seq)
{
	size_t cname_len = strlen(pr->cname), sdes_len;
	struct timespec wall;
	uint64_t elapsed = now_ns() - pr->start_ns;
	uint8_t *q = p + RTCP_SR_LEN;

	clock_gettime(CLOCK_REALTIME, &wall);
	p[0] = 0x80; /* version 2, no padding, no report blocks */
	p[1] = RTCP_SR;
	put16(p + 2, RTCP_SR_LEN / 4 - 1);
	put32(p + 4, pr->ssrc);
	put32(p + 8, (uint32_t)((uint64_t)wall.tv_sec + NTP_UNIX_OFFSET));
	put32(p + 12, (uint32_t)(((uint64_t)wall.tv_nsec << 32) / NSEC));
	put32(p + 16, pr->ts_base + (uint32_t)((unsigned __int128)elapsed * 8000 / NSEC));
	put32(p + 20, (uint32_t)seq);
	put32(p + 24, (uint32_t)(seq * TS_STEP));
	/* The item list ends with a null octet, then nulls up to a 32-bit boundary. */
	sdes_len = (4 + 4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
	memset(q, 0, sdes_len);
	q[0] = 0x81; /* version 2, one chunk */
	q[1] = RTCP_SDES;
	put16(q + 2, (uint16_t)(sdes_len / 4 - 1));
	put32(q + 4, pr->ssrc);
	q[8] = SDES_CNAME;
	q[9] = (uint8_t)cname_len;
	memcpy(q + 10, pr->cname, cname_len);
	return RTCP_SR_LEN + sdes_len;
}

static void rtcp_send(struct rtcp_peer *pr)
{
	uint8_t p[RTCP_MAX];
	size_t len = rtcp_fill(pr, p, pr->tried);

	/* A failed packet still counts as due, so the schedule does not stall on it. */
	pr->tried++;
	while (sendto(pr->fd, p, len, 0, &pr->to->sa, ep_len(pr->to)) < 0) {
		if (errno != EINTR) {
			pr->errors++;
			return;
		}
	}
}

/* Reads what is queued. RTCP by the common header: version 2, packet type 192..223 (RFC 5761:
 * the range RTP must not use). 0 or -errno. */
static int rtcp_drain(struct rtcp_peer *pr)
{
	uint8_t p[RX_BUF];

	for (;;) {
		ssize_t n = recv(pr->fd, p, sizeof(p), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		pr->received++;
		if (n >= 4 && (p[0] >> 6) == 2 && p[1] >= 192 && p[1] <= 223)
			pr->rtcp++;
		else
			pr->non_rtcp++;
	}
}

/* Sends on the schedule and receives until the end of --duration (or a signal). 0 or -errno. */
static int rtcp_run(struct rtcp_peer *pr, const struct opts *o)
{
	uint64_t first = pr->start_ns + (uint64_t)o->delay_ms * 1000000;
	uint64_t end = o->duration_ns ? pr->start_ns + o->duration_ns : 0;
	struct pollfd pfd = {.fd = pr->fd, .events = POLLIN};
	sigset_t block, orig;
	int err = 0;

	/* Signals only arrive inside ppoll, so none is lost between the check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	while (!stop_flag && !err) {
		uint64_t now = now_ns(), wake = end, due = 0;
		struct timespec ts;

		if (end && now >= end)
			break;
		while (pr->tried < o->count) {
			due = first + (uint64_t)((unsigned __int128)pr->tried * NSEC / o->pps);
			if (due > now)
				break;
			rtcp_send(pr);
		}
		if (pr->tried < o->count && (!wake || due < wake))
			wake = due;
		if (wake) {
			now = now_ns();
			wake = wake > now ? wake - now : 0;
			ts.tv_sec = (time_t)(wake / NSEC);
			ts.tv_nsec = (long)(wake % NSEC);
		}
		if (ppoll(&pfd, 1, wake ? &ts : NULL, &orig) < 0) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		if (pfd.revents)
			err = rtcp_drain(pr);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return err;
}

static int cmd_rtcp(const struct opts *o)
{
	struct rtcp_peer pr = {.to = &o->to[0], .ssrc = o->ssrc};
	char at[EP_STRLEN], to[EP_STRLEN] = "", ip[EP_STRLEN];
	double secs;
	int err;

	pr.fd = udp_open(ep_family(&o->local), &o->local, NULL);
	if (pr.fd < 0)
		return 1;
	pr.ts_base = o->ssrc * 2654435761u;
	snprintf(pr.cname, sizeof(pr.cname), "rtpgen@%s", ep_ip_str(&o->local, ip, sizeof(ip)));
	pr.start_ns = now_ns();
	err = rtcp_run(&pr, o);
	secs = (double)(now_ns() - pr.start_ns) / 1e9;
	if (err)
		fprintf(stderr, "rtpgen: rtcp: %s\n", strerror(-err));
	ep_str(&o->local, at, sizeof(at));
	if (o->n_to)
		ep_str(&o->to[0], to, sizeof(to));
	if (o->json)
		printf("{\"mode\":\"rtcp\",\"local\":\"%s\",\"to\":\"%s\",\"ssrc\":%u,"
		       "\"duration_s\":%.3f,\"sent\":%" PRIu64 ",\"errors\":%" PRIu64
		       ",\"received\":%" PRIu64 ",\"rtcp\":%" PRIu64 ",\"non_rtcp\":%" PRIu64 "}\n",
		       at, to, o->ssrc, secs, pr.tried - pr.errors, pr.errors, pr.received, pr.rtcp,
		       pr.non_rtcp);
	else
		printf("rtpgen rtcp at %s in %.2f s: sent %" PRIu64 " to %s, errors %" PRIu64
		       "; received %" PRIu64 " (RTCP %" PRIu64 ", other %" PRIu64 ")\n",
		       at, secs, pr.tried - pr.errors, o->n_to ? to : "-", pr.errors, pr.received,
		       pr.rtcp, pr.non_rtcp);
	close(pr.fd);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct opts o;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Pacing sleeps are tens of microseconds: the default 50 us slack would distort them. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (o.mode) {
	case M_SEND:
		return cmd_send(&o);
	case M_SINK:
		return cmd_sink(&o);
	case M_ECHO:
		return cmd_echo(&o);
	case M_PAIR:
		return cmd_pair(&o);
	case M_RTCP:
		return cmd_rtcp(&o);
	}
	return 2;
}
