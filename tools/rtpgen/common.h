/* SPDX-License-Identifier: GPL-2.0-only */
/* rtpgen's shared pieces: limits, the command line as parsed, the paced sender (tx.c), the
 * measuring receiver (rx.c), sockets, clocks and big-endian helpers. Each RTP payload carries a
 * 64-bit sequence number and the CLOCK_MONOTONIC send time, as bytes or as G.711 codes (g711.c). */
#ifndef RTPGEN_COMMON_H
#define RTPGEN_COMMON_H

#include "addr.h"
#include "srtp.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

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

/* Set by SIGINT and SIGTERM (main.c); every loop checks it. */
extern volatile sig_atomic_t stop_flag;

/* Inline: the sender's pacing loop reads the clock for every batch. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = ns / NSEC, .tv_nsec = ns % NSEC};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- the command line (main.c) ---- */

enum mode { M_SEND, M_SINK, M_ECHO, M_PAIR, M_RTCP };

/* --g711 A[:B]: the laws of the two parties. A sends (send, pair's a), B receives (sink, echo)
 * and pair's b sends too; each receiver expects the other party's codes translated into its law. */
enum g711_law { G711_OFF, G711_ULAW, G711_ALAW };

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
	uint8_t pt;   /* what send and pair's a send with */
	uint8_t pt_b; /* what pair's b sends with (--pt, else that of --g711's law B) */
	enum g711_law g711_tx, g711_rx; /* G711_OFF without --g711 */
	unsigned int given;		/* BIT(O_*) of the options on the command line */
	bool srtp;			/* --srtp-key: send SRTP, receive and check SRTP */
	struct sdes_crypto srtp_key;
};

/* A UDP socket of family, bound to local when set, connected to peer when set. -errno. */
int udp_open(int family, const struct endpoint *local, const struct endpoint *peer);
/* The --srtp-key context for dir in *x (NULL without the option). 0, or -errno with a message. */
int open_srtp(const struct opts *o, enum srtpx_dir dir, struct srtpx **x);

/* Packets a receiver refused to unprotect, by srtpx_result. */
struct srtp_fails {
	uint64_t auth, replay, error;
};

/* Unprotects RTP in place with x (RTCP and non-RTP are left as they are). False, counted in f,
 * when the packet failed and must be dropped. */
bool unprotect_rtp(struct srtpx *x, uint8_t *p, unsigned int *len, unsigned int cap,
		   struct srtp_fails *f);

/* ---- G.711 payloads (g711.c) ---- */

/* The metadata (magic, sequence, send time: 20 bytes) as codes of 4 bits each. */
#define G711_META     20
#define G711_MIN_SIZE (RTP_HDR_LEN + 2 * G711_META)

/* Which code (as it arrives) stands for which nibble, and the filler's code. */
struct g711_rx {
	uint8_t nibble[256]; /* 0..15, or 0xff: no code of ours */
	uint8_t fill;
};

/* 0 when the codes round trip through the G.711 tables; -1 with a message otherwise. */
int g711_check(void);
/* The static RTP payload type of law: 0 (PCMU) or 8 (PCMA). */
uint8_t g711_pt(enum g711_law law);
/* Writes len (>= 2 * G711_META) bytes of payload: the coded metadata, then the filler. The codes
 * are the same in both laws. */
void g711_put(uint8_t *payload, unsigned int len, uint64_t seq, uint64_t stamp);
/* For payloads sent in law sent that arrive translated into law arrives (or not, when equal). */
void g711_rx_init(struct g711_rx *g, enum g711_law sent, enum g711_law arrives);
/* Decodes the metadata into meta; false when a byte is not the code expected (untranslated,
 * wrongly translated, corrupted) or the magic is wrong. */
bool g711_decode(const struct g711_rx *g, const uint8_t *payload, unsigned int len,
		 uint8_t meta[G711_META]);

/* ---- sender (tx.c) ---- */

struct tx {
	int fd;
	bool connected; /* else every message names its destination */
	/* Packet j goes to dests[j % n_dests] with SSRC ssrc + j % n_dests. */
	const struct endpoint *dests;
	unsigned int n_dests;
	uint64_t pps, count; /* over all streams */
	unsigned int size, batch;
	uint64_t delay_ns; /* before the first packet (send --delay) */
	uint32_t ssrc;
	uint8_t pt;
	bool g711;	    /* the payload as G.711 codes (g711_put) */
	struct srtpx *srtp; /* when set, every packet is protected before it is sent */
	/* results */
	uint64_t sent, bytes, retries, resyncs, start_ns, end_ns;
	uint64_t first_tx_ns, last_tx_ns; /* when the first and the last batch went out */
	int err;
	atomic_bool done;
};

void tx_init(struct tx *t, const struct opts *o, int fd, const struct endpoint *dests,
	     unsigned int n_dests, bool connected, uint32_t ssrc);
int tx_run(struct tx *t);
void *tx_thread(void *arg);
void print_tx_json(const struct tx *t);
void print_tx_text(const struct tx *t);

/* ---- receiver (rx.c) ---- */

/* Latency histogram: log-linear, 64 sub-buckets per power of two (about 1.6% wide). */
#define HIST_SUB     64
#define HIST_BUCKETS ((64 - 5) * HIST_SUB)

struct hist {
	uint64_t count, max;
	uint64_t b[HIST_BUCKETS];
};

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
	struct srtpx *srtp; /* when set, RTP is unprotected first; failures are only counted */
	const struct g711_rx *g711; /* when set, RTP must carry our G.711-coded payload */
	/* results */
	uint64_t packets, bytes, unique, dups, reordered, non_rtp, wrong_src, bad_latency;
	uint64_t bad_payload; /* --g711: RTP whose payload is not the codes expected */
	uint32_t pt_seen[4];  /* bit n: RTP with payload type n arrived */
	uint64_t untracked, start_ns, first_ns, last_ns, end_ns;
	struct srtp_fails srtp_fails;
	unsigned int n_streams, last_stream;
	struct rx_stream streams[MAX_STREAMS];
	struct hist lat;
	int err;
};

struct rx_report {
	uint64_t expected, lost;
	double loss_pct, p50, p99, max; /* latency in us */
};

int rx_run(struct rx *rx);
void *rx_thread(void *arg);
void rx_free(struct rx *rx);
void rx_report(const struct rx *rx, uint64_t sent, struct rx_report *r);
void print_rx_json(const struct rx *rx, const struct rx_report *r, const char *lat);
void print_rx_text(const struct rx *rx, const struct rx_report *r, const char *lat);
/* The payload types in pt_seen as the JSON member "payload_types" (after a comma), a list. */
void print_pt_json(const uint32_t pt_seen[4]);
/* The srtp_fails counters as JSON members (each after a comma), and as text. */
void print_srtp_json(const struct srtp_fails *f);
void print_srtp_text(const struct srtp_fails *f);

/* ---- commands: 0 or the exit code ---- */

int cmd_send(const struct opts *o);
int cmd_sink(const struct opts *o);
int cmd_echo(const struct opts *o);
int cmd_pair(const struct opts *o);
int cmd_rtcp(const struct opts *o);

#endif
