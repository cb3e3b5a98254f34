// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen: the measuring RTP receiver used by send --rtt, sink and pair: loss, reordering,
 * duplicates and a latency histogram per run, after SRTP checks with --srtp-key and G.711 payload
 * checks with --g711; and its summary output. */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- latency histogram (struct hist in common.h) ---- */

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

/* ---- receiving and accounting ---- */

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
	uint8_t buf[G711_META];
	const uint8_t *meta;
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
	rx->pt_seen[(p[1] & 0x7f) / 32] |= 1u << (p[1] & 31);
	meta = p + RTP_HDR_LEN;
	if (rx->g711) {
		/* Our sender never sets padding, an extension or CSRCs. */
		if (p[0] != 0x80 || !g711_decode(rx->g711, p + RTP_HDR_LEN,
						 (unsigned int)(len - RTP_HDR_LEN), buf)) {
			rx->bad_payload++;
			return;
		}
		meta = buf;
	}
	st = rx_stream_get(rx, get32(p + 8));
	if (!st) {
		rx->untracked++;
		return;
	}
	ours = rx->g711 || (len >= MIN_SIZE && get32(meta) == PAYLOAD_MAGIC);
	if (ours) {
		idx = get64(meta + 4);
		stamp = get64(meta + 12);
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

int rx_run(struct rx *rx)
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
			unsigned int len = msgs[k].msg_len;

			if (!unprotect_rtp(rx->srtp, iov[k].iov_base, &len, RX_BUF,
					   &rx->srtp_fails))
				continue;
			ep_unmap_v4(&names[k]);
			rx_account(rx, iov[k].iov_base, len, &names[k], now);
		}
	}
	rx->end_ns = now_ns();
	free(bufs);
	return rx->err;
}

void rx_free(struct rx *rx)
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

void *rx_thread(void *arg)
{
	rx_run(arg);
	return NULL;
}

/* ---- output ---- */

void rx_report(const struct rx *rx, uint64_t sent, struct rx_report *r)
{
	r->expected = rx_expected(rx, sent);
	r->lost = r->expected > rx->unique ? r->expected - rx->unique : 0;
	r->loss_pct = r->expected ? 100.0 * (double)r->lost / (double)r->expected : 0;
	r->p50 = hist_pct(&rx->lat, 50) / 1000;
	r->p99 = hist_pct(&rx->lat, 99) / 1000;
	r->max = (double)rx->lat.max / 1000;
}

void print_rx_json(const struct rx *rx, const struct rx_report *r, const char *lat)
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
	printf(",\"bad_payload\":%" PRIu64, rx->bad_payload);
	print_pt_json(rx->pt_seen);
	if (rx->srtp)
		print_srtp_json(&rx->srtp_fails);
}

void print_rx_text(const struct rx *rx, const struct rx_report *r, const char *lat)
{
	printf("received %" PRIu64 "; lost %" PRIu64 " (%.3f%%), reordered %" PRIu64
	       ", duplicates %" PRIu64,
	       rx->packets, r->lost, r->loss_pct, rx->reordered, rx->dups);
	if (rx->non_rtp)
		printf(", non-RTP %" PRIu64, rx->non_rtp);
	if (rx->n_srcs)
		printf(", wrong source %" PRIu64, rx->wrong_src);
	if (rx->g711)
		printf(", bad G.711 payloads %" PRIu64, rx->bad_payload);
	if (rx->srtp)
		print_srtp_text(&rx->srtp_fails);
	if (rx->lat.count)
		printf("; %s p50 %.1f us, p99 %.1f us, max %.1f us", lat, r->p50, r->p99, r->max);
}

void print_pt_json(const uint32_t pt_seen[4])
{
	const char *sep = "";

	printf(",\"payload_types\":[");
	for (unsigned int pt = 0; pt < 128; pt++) {
		if (pt_seen[pt / 32] & (1u << (pt % 32))) {
			printf("%s%u", sep, pt);
			sep = ",";
		}
	}
	putchar(']');
}

void print_srtp_json(const struct srtp_fails *f)
{
	printf(",\"srtp_auth_failures\":%" PRIu64 ",\"srtp_replays\":%" PRIu64
	       ",\"srtp_errors\":%" PRIu64,
	       f->auth, f->replay, f->error);
}

void print_srtp_text(const struct srtp_fails *f)
{
	printf("; SRTP auth failures %" PRIu64 ", replays %" PRIu64 ", errors %" PRIu64, f->auth,
	       f->replay, f->error);
}
