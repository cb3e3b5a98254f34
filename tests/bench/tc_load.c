// SPDX-License-Identifier: GPL-2.0-only
/* Transcoding load for tests/bench/transcode.sh: N calls set up over ng (caller PCMU, callee the
 * other codec, the relay transcoding), real encoded audio looped both ways at 50 packets/s per
 * direction per call; reports loss, the payload types that arrived and the relay's CPU. */
#include "audio.h"
#include "bencode.h"
#include "ng_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <opus/opus.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <spandsp.h>

#define FRAMES	 50 /* one second of 20 ms frames, looped */
#define MAX_PAY	 400
#define SLOTS	 20 /* a call's packets go out in one 1 ms slot of each 20 ms */
#define RX_BATCH 64

struct chan {
	uint16_t relay_a, relay_b; /* where A sends (the answer's port), where B sends */
	uint16_t seq_a, seq_b;
	uint32_t ts_a, ts_b;
	bool up;
};

struct side {
	int fd;
	uint16_t port;
	uint8_t pay[FRAMES][MAX_PAY];
	size_t pay_len[FRAMES];
	unsigned int ts_step;
	int pt;	     /* what this side sends */
	int want_pt; /* what it must receive */
	unsigned long long rx, tx, bad_pt, seen_pt[128];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long cpu_ticks(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* after ") ": state is field 3; utime and stime are 14 and 15 */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

/* 50 frames of a tone at -10 dBFS RMS in codec (PCMU, PCMA, G722, opus). 0 or -1. */
static int encode_frames(struct side *s, const char *codec, double freq)
{
	bool opus = !strcasecmp(codec, "opus"), g722 = !strcasecmp(codec, "G722");
	unsigned int rate = opus ? 48000 : g722 ? 16000 : 8000, n = rate / 50;
	g711_state_t *g711 = NULL;
	g722_encode_state_t *g722e = NULL;
	OpusEncoder *oe = NULL;
	int16_t pcm[960];
	int err;

	if (opus) {
		oe = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
		if (!oe)
			return -1;
	} else if (g722) {
		g722e = g722_encode_init(NULL, 64000, 0);
	} else if (!strcasecmp(codec, "PCMU") || !strcasecmp(codec, "PCMA")) {
		g711 = g711_init(NULL, !strcasecmp(codec, "PCMU") ? G711_ULAW : G711_ALAW);
	} else {
		return -1;
	}
	s->ts_step = opus ? 960 : 160;
	for (int i = 0; i < FRAMES; i++) {
		int len;

		audio_sine(pcm, n, rate, freq, 32767.0 * 0.3162 * 1.4142, (size_t)i * n);
		if (oe)
			len = opus_encode(oe, pcm, (int)n, s->pay[i], MAX_PAY);
		else if (g722e)
			len = g722_encode(g722e, s->pay[i], pcm, (int)n);
		else
			len = g711_encode(g711, s->pay[i], pcm, (int)n);
		if (len <= 0)
			return -1;
		s->pay_len[i] = (size_t)len;
	}
	if (oe)
		opus_encoder_destroy(oe);
	if (g722e)
		g722_encode_free(g722e);
	if (g711)
		g711_free(g711);
	return 0;
}

static int sock_open(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), sz = 16 << 20;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		fprintf(stderr, "tc_load: can't bind 127.0.0.1:%u: %s\n", port, strerror(errno));
		return -1;
	}
	/* FORCE works as root and lifts rmem_max; else the plain one, capped */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static struct bnode *ng_json(struct ng_client *c, struct barena *a, const char *json)
{
	struct bnode *req, *reply;
	char err[160];

	if (json_parse_bnode(a, json, strlen(json), &req, err, sizeof(err))) {
		fprintf(stderr, "tc_load: bad request %s: %s\n", json, err);
		return NULL;
	}
	if (ng_client_call(c, a, req, &reply))
		return NULL;
	return reply;
}

static int sdp_port(const char *sdp)
{
	const char *m = sdp ? strstr(sdp, "m=audio ") : NULL;

	return m ? atoi(m + 8) : 0;
}

/* The payload type an SDP maps to the encoding name, -1 if none. */
static int sdp_pt(const char *sdp, const char *name)
{
	for (const char *p = strstr(sdp, "a=rtpmap:"); p; p = strstr(p + 1, "a=rtpmap:")) {
		const char *enc = strchr(p, ' ');

		if (enc && !strncasecmp(enc + 1, name, strlen(name)) &&
		    enc[1 + strlen(name)] == '/')
			return atoi(p + 9);
	}
	return -1;
}

#define SDP_HEAD \
	"v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nc=IN IP4 127.0.0.1\\r\\nt=0 0\\r\\n"

/* Offer (A: PCMU, transcode codec) and answer (B: codec alone). 0, or -1 with the reason. */
static int chan_setup(struct ng_client *c, const char *prefix, int i, struct chan *ch,
		      struct side *a, struct side *b, const char *codec)
{
	struct barena *ar = barena_new();
	char req[2048];
	const char *sdp, *res;
	struct bnode *r;
	int pt, rc = -1;

	snprintf(req, sizeof(req),
		 "{\"command\":\"offer\",\"call-id\":\"%s-%d\",\"from-tag\":\"A\","
		 "\"codec\":{\"transcode\":[\"%s\"]},\"sdp\":\"" SDP_HEAD
		 "m=audio %u RTP/AVP 0\\r\\na=rtpmap:0 PCMU/8000\\r\\n\"}",
		 prefix, i, codec, a->port);
	r = ng_json(c, ar, req);
	sdp = r ? bn_dict_get_str(r, "sdp") : NULL;
	pt = sdp ? sdp_pt(sdp, codec) : -1;
	if (pt < 0) {
		res = r ? bn_dict_get_str(r, "error-reason") : "no reply";
		fprintf(stderr, "tc_load: offer %d: no %s offered to B (%s)\n", i, codec,
			res ? res : sdp);
		goto out;
	}
	ch->relay_b = (uint16_t)sdp_port(sdp);
	if (b->pt >= 0 && b->pt != pt) {
		fprintf(stderr, "tc_load: offer %d: %s on PT %d, the first call had %d\n", i, codec,
			pt, b->pt);
		goto out;
	}
	b->pt = pt;
	snprintf(req, sizeof(req),
		 "{\"command\":\"answer\",\"call-id\":\"%s-%d\",\"from-tag\":\"A\","
		 "\"to-tag\":\"B\",\"sdp\":\"" SDP_HEAD
		 "m=audio %u RTP/AVP %d\\r\\na=rtpmap:%d %s\\r\\n\"}",
		 prefix, i, b->port, pt, pt,
		 !strcasecmp(codec, "opus")   ? "opus/48000/2"
		 : !strcasecmp(codec, "G722") ? "G722/8000"
					      : "PCMA/8000");
	r = ng_json(c, ar, req);
	sdp = r ? bn_dict_get_str(r, "sdp") : NULL;
	if (!sdp || !sdp_port(sdp)) {
		res = r ? bn_dict_get_str(r, "error-reason") : "no reply";
		fprintf(stderr, "tc_load: answer %d: %s\n", i, res ? res : "no sdp");
		goto out;
	}
	ch->relay_a = (uint16_t)sdp_port(sdp);
	ch->up = true;
	rc = 0;
out:
	barena_free(ar);
	return rc;
}

/* Sends the packets of slot (0..SLOTS-1): one from A and one from B for each call in it. */
static void send_slot(struct side *s, struct chan *ch, int n, int slot, bool from_a,
		      struct mmsghdr *msgs, struct iovec *iov, struct sockaddr_in *to,
		      uint8_t (*hdr)[12])
{
	int k = 0;

	for (int i = slot; i < n; i += SLOTS) {
		struct chan *c = &ch[i];
		uint16_t *seq = from_a ? &c->seq_a : &c->seq_b;
		uint32_t *ts = from_a ? &c->ts_a : &c->ts_b;
		uint32_t ssrc = htonl((from_a ? 0xa0000000u : 0xb0000000u) | (uint32_t)i);
		int f = (*seq) % FRAMES;

		if (!c->up)
			continue;
		hdr[k][0] = 0x80;
		hdr[k][1] = (uint8_t)s->pt;
		hdr[k][2] = (uint8_t)(*seq >> 8);
		hdr[k][3] = (uint8_t)*seq;
		memcpy(hdr[k] + 4, &(uint32_t){htonl(*ts)}, 4);
		memcpy(hdr[k] + 8, &ssrc, 4);
		(*seq)++;
		*ts += s->ts_step;
		iov[2 * k] = (struct iovec){hdr[k], 12};
		iov[2 * k + 1] = (struct iovec){s->pay[f], s->pay_len[f]};
		to[k] = (struct sockaddr_in){.sin_family = AF_INET,
					     .sin_port = htons(from_a ? c->relay_a : c->relay_b),
					     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		msgs[k].msg_hdr = (struct msghdr){.msg_name = &to[k],
						  .msg_namelen = sizeof(to[k]),
						  .msg_iov = &iov[2 * k],
						  .msg_iovlen = 2};
		k++;
	}
	for (int done = 0; done < k;) {
		int r = sendmmsg(s->fd, msgs + done, (unsigned int)(k - done), 0);

		if (r <= 0) {
			if (r < 0 && errno == EAGAIN) {
				poll(&(struct pollfd){.fd = s->fd, .events = POLLOUT}, 1, 1);
				continue;
			}
			break; /* counted as sent and lost: the relay's port refused them */
		}
		done += r;
	}
	s->tx += (unsigned long long)k;
}

static void drain(struct side *s)
{
	static uint8_t buf[RX_BATCH][1500];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int r;

	do {
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
		}
		r = recvmmsg(s->fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < r; i++) {
			int pt = buf[i][1] & 0x7f;

			if (msgs[i].msg_len < 12)
				continue;
			s->rx++;
			s->seen_pt[pt]++;
			if (pt != s->want_pt)
				s->bad_pt++;
		}
	} while (r == RX_BATCH);
}

static void reset(struct side *s)
{
	s->rx = s->tx = s->bad_pt = 0;
	memset(s->seen_pt, 0, sizeof(s->seen_pt));
}

/* The payload types seen, "8" or "8,0". */
static const char *pts_seen(const struct side *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int pt = 0; pt < 128 && n < size; pt++)
		if (s->seen_pt[pt])
			n += (size_t)snprintf(buf + n, size - n, "%s%d", n ? "," : "", pt);
	return buf;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: tc_load --server IP:PORT --codec PCMA|G722|opus --channels N\n"
		"               [--duration S] [--warmup S] [--port P] [--pid RELAY_PID]\n"
		"               [--prefix CALL_ID_PREFIX]\n"
		"  N calls from a PCMU caller (127.0.0.1:P) to a callee (P+2) that answers\n"
		"  the codec alone; 50 packets/s each way per call for warmup + duration\n"
		"  seconds; prints one JSON line about the measured part. Exit 0 when the\n"
		"  calls were set up and transcoded media arrived, 1 otherwise.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", 1, NULL, 's'},   {"codec", 1, NULL, 'c'},  {"channels", 1, NULL, 'n'},
		{"duration", 1, NULL, 'd'}, {"warmup", 1, NULL, 'w'}, {"port", 1, NULL, 'p'},
		{"pid", 1, NULL, 'P'},	    {"prefix", 1, NULL, 'x'}, {NULL, 0, NULL, 0},
	};
	const char *server = NULL, *codec = NULL, *prefix = "tc";
	double dur = 5, warm = 1, t0, t_meas = 0, t_end = 0, t_stop, elapsed;
	int n = 0, pid = 0, opt, failed = 0, ret = 1;
	uint16_t port = 61000;
	long long c0 = -1, c1 = -1, hz = sysconf(_SC_CLK_TCK);
	struct side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct ng_client ng;
	struct chan *ch;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_in *to;
	uint8_t(*hdr)[12];
	char why[160] = "", pa[64], pb[64];
	unsigned long long slot = 0;
	bool warm_checked = false;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'c':
			codec = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'd':
			dur = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		case 'p':
			port = (uint16_t)atoi(optarg);
			break;
		case 'P':
			pid = atoi(optarg);
			break;
		case 'x':
			prefix = optarg;
			break;
		default:
			usage();
		}
	}
	if (!server || !codec || n <= 0 || dur <= 0 || !a || !b)
		usage();
	ch = calloc((size_t)n, sizeof(*ch));
	msgs = calloc((size_t)n, sizeof(*msgs));
	iov = calloc((size_t)n * 2, sizeof(*iov));
	to = calloc((size_t)n, sizeof(*to));
	hdr = calloc((size_t)n, sizeof(*hdr));
	if (!ch || !msgs || !iov || !to || !hdr)
		return 1;
	a->port = port;
	b->port = (uint16_t)(port + 2);
	a->pt = 0;
	b->pt = -1; /* the PT offered to B for codec: B sends it and must receive it */
	if (encode_frames(a, "PCMU", 1000) || encode_frames(b, codec, 400)) {
		fprintf(stderr, "tc_load: can't encode %s\n", codec);
		usage();
	}
	a->fd = sock_open(a->port);
	b->fd = sock_open(b->port);
	if (a->fd < 0 || b->fd < 0 || ng_client_open(&ng, server))
		return 1;
	ng.timeout_ms = 2000;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < n && !stop; i++) {
		ch[i].seq_a = (uint16_t)(i * 31);
		ch[i].seq_b = (uint16_t)(i * 17);
		if (chan_setup(&ng, prefix, i, &ch[i], a, b, codec))
			failed++;
	}
	/* A sends PCMU and must receive PCMU; B must receive the codec it answered */
	a->want_pt = 0;
	b->want_pt = b->pt;
	if (failed) {
		snprintf(why, sizeof(why), "%d of %d calls could not be set up", failed, n);
		goto report;
	}

	t0 = now_s();
	t_stop = t0 + warm + dur;
	while (!stop) {
		double t = now_s(), next;

		/* every 1 ms slot that is due (catching up after a stall) */
		while (t0 + (double)slot / 1000 <= t && t < t_stop) {
			send_slot(a, ch, n, (int)(slot % SLOTS), true, msgs, iov, to, hdr);
			send_slot(b, ch, n, (int)(slot % SLOTS), false, msgs, iov, to, hdr);
			slot++;
		}
		if (!warm_checked && t >= t0 + warm) {
			/* transcoding really happens: B gets the codec, A gets PCMU, nothing else
			 */
			if (!b->rx || !a->rx || b->bad_pt || a->bad_pt) {
				snprintf(
					why, sizeof(why),
					"warm-up: B got %llu packets (PTs %s, want %d), A got %llu "
					"(PTs %s, want 0)",
					b->rx, pts_seen(b, pb, sizeof(pb)), b->want_pt, a->rx,
					pts_seen(a, pa, sizeof(pa)));
				break;
			}
			warm_checked = true;
			reset(a);
			reset(b);
			c0 = cpu_ticks(pid);
			t_meas = now_s();
		}
		if (t >= t_stop && !t_end) {
			c1 = cpu_ticks(pid);
			t_end = t;
		}
		if (t_end && t >= t_end + 0.3)
			break;
		next = t0 + (double)slot / 1000;
		if (next > t_stop)
			next = t + 0.01;
		drain(a);
		drain(b);
		{
			struct pollfd p[2] = {{.fd = a->fd, .events = POLLIN},
					      {.fd = b->fd, .events = POLLIN}};
			int ms = (int)((next - now_s()) * 1000);

			if (ms > 0)
				poll(p, 2, ms);
		}
	}
	drain(a);
	drain(b);
	if (!why[0] && stop)
		snprintf(why, sizeof(why), "interrupted");
	if (!why[0])
		ret = 0;

report:
	elapsed = t_end > t_meas ? t_end - t_meas : 0;
	{
		unsigned long long tx = a->tx + b->tx, rx = a->rx + b->rx;
		double loss = tx ? 100.0 * ((double)tx - (double)rx) / (double)tx : 100;
		double cpu_s = c0 >= 0 && c1 >= c0 ? (double)(c1 - c0) / (double)hz : -1;

		if (loss < 0)
			loss = 0;
		printf("{\"channels\":%d,\"codec\":\"%s\",\"setup_failed\":%d,\"seconds\":%.2f,"
		       "\"sent_a\":%llu,\"recv_b\":%llu,\"sent_b\":%llu,\"recv_a\":%llu,"
		       "\"tx_pps\":%.0f,\"target_pps\":%d,\"loss_pct\":%.3f,\"bad_pt\":%llu,"
		       "\"pts_at_b\":\"%s\",\"pts_at_a\":\"%s\",",
		       n, codec, failed, elapsed, a->tx, b->rx, b->tx, a->rx,
		       elapsed > 0 ? (double)tx / elapsed : 0, n * 100, loss, a->bad_pt + b->bad_pt,
		       pts_seen(b, pb, sizeof(pb)), pts_seen(a, pa, sizeof(pa)));
		if (cpu_s >= 0 && elapsed > 0 && rx)
			printf("\"relay_cpu_pct\":%.1f,\"relay_us_per_pkt\":%.2f,",
			       100 * cpu_s / elapsed, cpu_s * 1e6 / (double)rx);
		else
			printf("\"relay_cpu_pct\":\"-\",\"relay_us_per_pkt\":\"-\",");
		printf("\"check\":\"%s\"}\n", why[0] ? "FAIL" : "ok");
		if (why[0])
			fprintf(stderr, "tc_load: %s\n", why);
	}

	/* the calls go, whatever happened */
	for (int i = 0; i < n; i++) {
		struct barena *ar = barena_new();
		char req[160];

		snprintf(req, sizeof(req), "{\"command\":\"delete\",\"call-id\":\"%s-%d\"}", prefix,
			 i);
		ng.timeout_ms = 500;
		ng.retries = 0;
		ng_json(&ng, ar, req);
		barena_free(ar);
	}
	ng_client_close(&ng);
	close(a->fd);
	close(b->fd);
	return ret;
}
