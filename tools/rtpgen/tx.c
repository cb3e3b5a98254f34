// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen: the paced RTP sender used by send and pair: batches through sendmmsg on a schedule
 * of --pps, with a bounded backlog when it falls behind, SRTP-protected with --srtp-key, G.711
 * payloads with --g711; and its summary output. */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void tx_init(struct tx *t, const struct opts *o, int fd, const struct endpoint *dests,
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
	if (o->mode == M_SEND)
		t->delay_ns = (uint64_t)o->delay_ms * 1000000;
	t->g711 = o->g711_tx != G711_OFF;
	atomic_init(&t->done, false);
}

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
	if (t->g711) {
		g711_put(p + RTP_HDR_LEN, t->size - RTP_HDR_LEN, seq, stamp);
		return;
	}
	put32(p + 12, PAYLOAD_MAGIC);
	put64(p + 16, seq);
	put64(p + 24, stamp);
}

/* Packets due by `now` on a schedule that had sent base_idx packets at base_ns. */
static uint64_t due_count(uint64_t base_idx, uint64_t base_ns, uint64_t now, uint64_t pps)
{
	return base_idx + (uint64_t)((unsigned __int128)(now - base_ns) * pps / NSEC) + 1;
}

int tx_run(struct tx *t)
{
	/* Room for the SRTP tag after each packet. */
	size_t stride = t->size + (t->srtp ? SRTPX_OVERHEAD : 0);
	uint64_t i = 0, base_idx = 0, base_ns, debt_max;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *bufs;

	t->start_ns = now_ns();
	bufs = calloc(t->batch, stride);
	iov = calloc(t->batch, sizeof(*iov));
	msgs = calloc(t->batch, sizeof(*msgs));
	if (!bufs || !iov || !msgs) {
		t->err = -ENOMEM;
		goto out;
	}
	for (unsigned int k = 0; k < t->batch; k++) {
		iov[k].iov_base = bufs + k * stride;
		iov[k].iov_len = t->size;
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	if (t->delay_ns)
		sleep_until(now_ns() + t->delay_ns);
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
		for (unsigned int k = 0; k < n; k++) {
			unsigned int len = t->size;

			rtp_fill(t, &msgs[k], i + k, now);
			/* Packets sendmmsg left are protected again: the context allows it. */
			if (t->srtp &&
			    srtpx_rtp(t->srtp, iov[k].iov_base, &len, (unsigned int)stride))
				t->err = -EIO;
			iov[k].iov_len = len;
		}
		if (t->err)
			break;
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

void *tx_thread(void *arg)
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

void print_tx_json(const struct tx *t)
{
	printf("\"tx_streams\":%u,\"sent\":%" PRIu64 ",\"bytes_sent\":%" PRIu64
	       ",\"target_pps\":%" PRIu64
	       ",\"tx_pps\":%.0f,\"tx_duration_s\":%.3f,\"send_retries\":%" PRIu64
	       ",\"resyncs\":%" PRIu64,
	       t->n_dests, t->sent, t->bytes, t->pps, tx_rate(t),
	       (double)(t->end_ns - t->start_ns) / 1e9, t->retries, t->resyncs);
}

void print_tx_text(const struct tx *t)
{
	printf("sent %" PRIu64 " at %.0f pps (target %" PRIu64 ") in %.2f s", t->sent, tx_rate(t),
	       t->pps, (double)(t->end_ns - t->start_ns) / 1e9);
	if (t->retries)
		printf(", %" PRIu64 " send retries", t->retries);
	if (t->resyncs)
		printf(", %" PRIu64 " schedule resets", t->resyncs);
}
