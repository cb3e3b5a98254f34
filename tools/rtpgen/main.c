// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen: RTP generator, sink, echo and relayed-pair tester, and an RTCP peer, for benchmarks,
 * field tests and the namespace lab. This file: the command line, signals and the dispatch to
 * the commands (send.c, sink.c, pair.c, rtcp.c). */
#include "common.h"

#include "log.h"
#include "../cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

/* ---- options ---- */

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
	O_SRTP_KEY,
	O_G711,
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
	[M_SEND] = {"send",
		    TX_OPTS | BIT(O_TO) | BIT(O_FROM) | BIT(O_RTT) | BIT(O_SRTP_KEY) | BIT(O_G711) |
			    BIT(O_DELAY),
		    BIT(O_TO) | BIT(O_PPS) | BIT(O_DURATION)},
	[M_SINK] = {"sink",
		    BIT(O_LISTEN) | BIT(O_DURATION) | BIT(O_EXPECT) | BIT(O_SRTP_KEY) | BIT(O_G711),
		    BIT(O_LISTEN) | BIT(O_DURATION)},
	[M_ECHO] = {"echo", BIT(O_LISTEN) | BIT(O_DURATION) | BIT(O_SRTP_KEY) | BIT(O_G711),
		    BIT(O_LISTEN) | BIT(O_DURATION)},
	[M_PAIR] = {"pair",
		    TX_OPTS | BIT(O_A) | BIT(O_B) | BIT(O_RELAY_A) | BIT(O_RELAY_B) | BIT(O_BOTH) |
			    BIT(O_G711),
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
	{"srtp-key", required_argument, NULL, O_SRTP_KEY},
	{"g711", required_argument, NULL, O_G711},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rtpgen [-j] COMMAND OPTIONS\n"
		"  send --to IP:PORT... [--from IP:PORT] --pps N --duration S [--size BYTES]\n"
		"       [--ssrc X] [--pt N] [--batch N] [--rtt] [--wait MS] [--srtp-key KEY]\n"
		"       [--g711 A[:B]] [--delay MS]\n"
		"       Send paced RTP; with --rtt also receive the packets an echo (or the\n"
		"       other party) returns.\n"
		"  sink --listen IP:PORT --duration S [--expect N] [--srtp-key KEY]\n"
		"       [--g711 A[:B]]\n"
		"       Receive RTP, report loss, reordering, duplicates and one-way latency.\n"
		"  echo --listen IP:PORT --duration S [--srtp-key KEY] [--g711 A[:B]]\n"
		"       Send every packet back to its source.\n"
		"  pair --a IP:PORT --b IP:PORT --relay-a IP:PORT... [--relay-b IP:PORT...]\n"
		"       --pps N --duration S [--size BYTES] [--ssrc X] [--pt N] [--batch N]\n"
		"       [--both] [--wait MS] [--g711 A[:B]]\n"
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
		"  --delay MS      rtcp, send: only receive (or wait) this long before the\n"
		"                  first packet\n"
		"  --count N       rtcp: packets to send (k and M suffixes allowed)\n"
		"  --srtp-key KEY  SRTP with an SDES key as in a=crypto, \"SUITE inline:BASE64\"\n"
		"                  (a tag before it is allowed): send protects each packet\n"
		"                  (--size is before the tag); sink, echo and send --rtt\n"
		"                  unprotect RTP and count failures (auth, replay, error)\n"
		"                  instead of measuring them; echo protects its replies\n"
		"  --g711 A[:B]    G.711 payloads between a party of law A (send, pair's a)\n"
		"                  and one of law B (sink, echo, pair's b; B defaults to A),\n"
		"                  each ulaw or alaw. A sender writes every payload byte as a\n"
		"                  code of its law (sequence and send time 4 bits a byte,\n"
		"                  then a filler; --size %d or more) with PT 0 (ulaw) or 8\n"
		"                  (alaw) unless --pt; a receiver expects the other party's\n"
		"                  codes translated into its own law, and counts any other\n"
		"                  payload in bad_payload instead of measuring it (send --rtt:\n"
		"                  replies from a B party; give one law for an echo)\n"
		"A bare PORT means 127.0.0.1:PORT.\n",
		MAX_STREAMS, MIN_SIZE, MAX_SIZE, DEF_SIZE, MAX_BATCH, DEF_BATCH, DEF_WAIT_MS,
		G711_MIN_SIZE);
}

#define arg_error(...) cli_error("rtpgen", __VA_ARGS__)

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

/* "SUITE inline:KEY", or an a=crypto value with its tag, as an SDP carries it. The key is not
 * echoed in errors. */
static int parse_srtp_key(struct opts *o, const char *name, const char *arg)
{
	char line[SDES_MAX_LINE_LEN];
	const char *err = "too long";
	int n;

	/* Quiet: srtpx_init warns about suites it disables, which sdes_parse then refuses. */
	log_init(LOG_ERR, true);
	if (srtpx_init())
		return arg_error("--%s: libsrtp2 does not initialise", name);
	n = snprintf(line, sizeof(line), "%s%s", isdigit((unsigned char)arg[0]) ? "" : "1 ", arg);
	if (n < 0 || (size_t)n >= sizeof(line) || sdes_parse(line, (size_t)n, &o->srtp_key, &err))
		return arg_error("--%s: not a usable SDES key: %s", name, err);
	o->srtp = true;
	return 0;
}

static int parse_law(const char *s, size_t n, enum g711_law *law)
{
	if (n == 4 && !strncmp(s, "ulaw", 4))
		*law = G711_ULAW;
	else if (n == 4 && !strncmp(s, "alaw", 4))
		*law = G711_ALAW;
	else
		return -EINVAL;
	return 0;
}

/* A[:B], each ulaw or alaw. */
static int parse_g711(struct opts *o, const char *name, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (parse_law(arg, n, &o->g711_tx) ||
	    (colon ? parse_law(colon + 1, strlen(colon + 1), &o->g711_rx)
		   : (o->g711_rx = o->g711_tx, 0)))
		return arg_error("--%s: '%s' is not LAW or LAW:LAW (ulaw, alaw)", name, arg);
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
	case O_SRTP_KEY:
		return parse_srtp_key(o, name, arg);
	case O_G711:
		return parse_g711(o, name, arg);
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
	o->pt_b = o->pt;
	if (o->g711_tx) {
		if (o->size < G711_MIN_SIZE)
			return arg_error("%s: --g711 needs --size %d or more", md->name,
					 G711_MIN_SIZE);
		if (g711_check())
			return 2;
		if (!(o->given & BIT(O_PT))) {
			o->pt = g711_pt(o->g711_tx);
			o->pt_b = g711_pt(o->g711_rx);
		}
	}
	if (check_family(md->name, &o->to[0], &o->from) ||
	    check_family(md->name, &o->to[0], &o->local) ||
	    check_family(md->name, &o->a, &o->relay_a[0]) ||
	    check_family(md->name, &o->b, &o->relay_b[0]))
		return 2;
	return 0;
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
