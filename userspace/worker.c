// SPDX-License-Identifier: GPL-2.0-only
/* Media workers: one pinned thread per core with its own epoll loop. A packet is received with
 * recvmmsg, checked against the stream's learned peer and sent in a batch with sendmmsg from
 * the socket advertised to the other side. No lock on the packet path: the only mutex guards
 * the message queue between the control thread and the worker. */
#include "worker.h"

#include "log.h"
#include "rtcp.h"
#include "srtp.h"
#include "ssrc.h"
#include "transcode.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH		 32
#define PKT_MAX		 2048
#define EP_EVENTS	 64
#define TX_MAX		 (BATCH * TC_MAX_OUT) /* a batch of packets, each transcoded into several */
#define MAX_BATCHES	 4		      /* per stream per wake-up */
#define STALE_US	 200000		      /* older audio is not transcoded: overload */
#define RTCP_FIRST_US	 1000000	      /* the relay's first report after its stream starts */
#define RTCP_INTERVAL_US 5000000	      /* RFC 3550's minimum interval */

enum msg_type { MSG_ADD, MSG_UPDATE, MSG_REMOVE };

struct msg {
	enum msg_type type;
	struct stream *s;
	struct stream_cfg cfg;
};

struct worker {
	int id;
	pthread_t thread;
	int epfd;
	int evfd;
	_Atomic bool stop;

	pthread_mutex_t lock; /* queue and removed list only */
	struct msg *queue;
	size_t n_queue, cap_queue;
	struct stream **removed;
	size_t n_removed, cap_removed;
	struct stream **latched; /* latched onto a new peer: the kernel may take over */
	size_t n_latched, cap_latched;
	/* Removed during the current epoll batch: published only after it, since a later
	 * event of the same batch may still name the stream. Worker thread only. */
	struct stream **closing;
	size_t n_closing, cap_closing;

	/* Packet buffers, used by this worker's thread only. */
	struct mmsghdr rx[BATCH], tx[TX_MAX];
	struct iovec rx_iov[BATCH], tx_iov[TX_MAX];
	struct endpoint rx_src[BATCH], tx_dst[TX_MAX];
	/* The kernel's receive time of each packet, on sockets that ask for it (transcoding). */
	uint8_t rx_ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	uint8_t buf[BATCH][PKT_MAX];
	uint8_t xout[TX_MAX][TC_PKT_MAX]; /* transcoders' output */
	unsigned int xout_len[TC_MAX_OUT];
	unsigned int n_xout; /* xout slots used in the current batch */
	/* The batch being built: packets for one sink, sent when the sink changes or at the end. */
	struct stream *tx_sink;
	unsigned int n_tx;
};

static struct worker *workers;
static int n_workers;
static int event_fd = -1; /* workers -> control thread */
static unsigned int next_worker;

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static time_t real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}

static int64_t real_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int post(struct worker *w, const struct msg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	if (w->n_queue == w->cap_queue) {
		size_t cap = w->cap_queue ? w->cap_queue * 2 : 64;
		struct msg *q = realloc(w->queue, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&w->lock);
			return -ENOMEM;
		}
		w->queue = q;
		w->cap_queue = cap;
	}
	w->queue[w->n_queue++] = *m;
	pthread_mutex_unlock(&w->lock);
	if (write(w->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int worker_stream_add(struct stream *s, const struct stream_cfg *cfg)
{
	return post(s->worker, &(struct msg){.type = MSG_ADD, .s = s, .cfg = *cfg});
}

int worker_stream_update(struct stream *s, const struct stream_cfg *cfg)
{
	return post(s->worker, &(struct msg){.type = MSG_UPDATE, .s = s, .cfg = *cfg});
}

int worker_stream_remove(struct stream *s)
{
	return post(s->worker, &(struct msg){.type = MSG_REMOVE, .s = s});
}

/* Appends s to a growing array; false when out of memory. */
static bool push(struct stream ***arr, size_t *n, size_t *cap, struct stream *s)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct stream **r = realloc(*arr, ncap * sizeof(*r));

		if (!r)
			return false;
		*arr = r;
		*cap = ncap;
	}
	(*arr)[(*n)++] = s;
	return true;
}

static void add_closing(struct worker *w, struct stream *s)
{
	/* Leaking one stream beats freeing one that may still be referenced. */
	if (!push(&w->closing, &w->n_closing, &w->cap_closing, s))
		log_err("worker %d: out of memory, stream leaked", w->id);
}

static void wake_control(void)
{
	uint64_t one = 1;

	if (write(event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn_rl("cannot wake the control thread: %s", strerror(errno));
}

static void publish_closed(struct worker *w)
{
	if (!w->n_closing)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n_closing; i++)
		if (!push(&w->removed, &w->n_removed, &w->cap_removed, w->closing[i]))
			log_err("worker %d: out of memory, stream leaked", w->id);
	pthread_mutex_unlock(&w->lock);
	w->n_closing = 0;
	wake_control();
}

static void publish_latched(struct worker *w, struct stream *s)
{
	bool ok;

	s->latch_event = false;
	pthread_mutex_lock(&w->lock);
	ok = push(&w->latched, &w->n_latched, &w->cap_latched, s);
	pthread_mutex_unlock(&w->lock);
	if (ok)
		wake_control();
}

int workers_event_fd(void)
{
	return event_fd;
}

void workers_poll(void (*latched)(struct stream *s), void (*done)(struct stream *s))
{
	uint64_t cnt;

	if (read(event_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn_rl("workers: eventfd read: %s", strerror(errno));
	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];
		struct stream **rem, **lat;
		size_t n_rem, n_lat;

		/* Both lists at once: a stream reaped here can have no later latch event. */
		pthread_mutex_lock(&w->lock);
		rem = w->removed;
		n_rem = w->n_removed;
		lat = w->latched;
		n_lat = w->n_latched;
		w->removed = w->latched = NULL;
		w->n_removed = w->cap_removed = w->n_latched = w->cap_latched = 0;
		pthread_mutex_unlock(&w->lock);
		for (size_t j = 0; j < n_lat; j++)
			if (latched && !lat[j]->removing)
				latched(lat[j]);
		for (size_t j = 0; j < n_rem; j++)
			done(rem[j]);
		free(lat);
		free(rem);
	}
}

/* A transcoding stream's packets carry their receive time, so that a worker that fell behind
 * skips the audio that waited too long instead of spending a codec's time on it. */
static void stamp_rx(struct worker *w, struct stream *s)
{
	int on = 1;

	if (!s->cfg.xcode || s->rx_stamped)
		return;
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)))
		log_warn_rl("worker %d: no receive times on port %u: %s", w->id, ep_port(&s->local),
			    strerror(errno));
	s->rx_stamped = true;
}

/* The packet waited in the socket longer than STALE_US (the worker is overloaded). */
static bool stale(const struct msghdr *mh, int64_t now_us)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return now_us - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000) >
			       STALE_US;
		}
	return false;
}

static void handle_msgs(struct worker *w)
{
	struct msg *q;
	size_t n;
	uint64_t cnt;

	if (read(w->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn_rl("worker %d: eventfd read: %s", w->id, strerror(errno));
	pthread_mutex_lock(&w->lock);
	q = w->queue;
	n = w->n_queue;
	w->queue = NULL;
	w->n_queue = w->cap_queue = 0;
	pthread_mutex_unlock(&w->lock);

	for (size_t i = 0; i < n; i++) {
		struct stream *s = q[i].s;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};

		switch (q[i].type) {
		case MSG_ADD:
			stream_set_cfg(s, &q[i].cfg);
			stamp_rx(w, s);
			if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->fd, &ev))
				log_err("worker %d: cannot poll fd %d: %s", w->id, s->fd,
					strerror(errno));
			break;
		case MSG_UPDATE:
			stream_set_cfg(s, &q[i].cfg);
			stamp_rx(w, s);
			break;
		case MSG_REMOVE:
			stream_release(s);
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->fd, NULL);
			close(s->fd);
			s->fd = -1;
			add_closing(w, s);
			break;
		}
	}
	free(q);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void count_error(struct stream *s)
{
	atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
}

/* SRTP/SRTCP through ctx (decrypt or encrypt, as it was made); false when the packet must be
 * dropped, counted against s. */
static bool transform(struct stream *s, struct srtpx *ctx, bool needed, uint8_t *pkt,
		      unsigned int *len, unsigned int cap, bool rtcp)
{
	enum srtpx_result r;

	if (!needed)
		return true;
	if (!ctx) {
		count_error(s);
		return false;
	}
	r = rtcp ? srtpx_rtcp(ctx, pkt, len, cap) : srtpx_rtp(ctx, pkt, len, cap);
	if (r == SRTPX_OK)
		return true;
	if (r == SRTPX_AUTH_FAIL)
		atomic_fetch_add_explicit(&s->srtp_auth_failures, 1, memory_order_relaxed);
	else if (r == SRTPX_REPLAY)
		atomic_fetch_add_explicit(&s->srtp_replays, 1, memory_order_relaxed);
	else
		count_error(s);
	return false;
}

/* RTCP from the peer, in clear: into the call's statistics; a malformed one is counted. */
static void rtcp_stats(struct stream *s, const uint8_t *pkt, unsigned int len, int64_t now_us)
{
	struct rtcp_info ri;
	const char *err;

	if (!s->ssrc)
		return;
	if (rtcp_parse(pkt, len, &ri, &err)) {
		/* Counted and still relayed: what the parties send each other is theirs. */
		atomic_fetch_add_explicit(&s->rtcp_errors, 1, memory_order_relaxed);
		log_debug_rl("worker: RTCP on port %u not parsed: %s", ep_port(&s->local), err);
		return;
	}
	ssrc_table_rtcp(s->ssrc, &ri, now_us);
}

/* Sends the batch from its sink's socket; counts what did not leave against from. */
static void flush(struct worker *w, struct stream *from)
{
	unsigned int done = 0;

	while (done < w->n_tx) {
		int r = sendmmsg(w->tx_sink->fd, w->tx + done, w->n_tx - done, MSG_DONTWAIT);

		if (r <= 0) {
			/* Skip the packet that failed (unreachable, EAGAIN...) and go on. */
			log_debug_rl("worker %d: send from %u failed: %s", w->id,
				     ep_port(&w->tx_sink->local), strerror(errno));
			count_error(from);
			done++;
			continue;
		}
		done += (unsigned int)r;
	}
	w->n_tx = 0;
	w->tx_sink = NULL;
}

/* Counted before the packets leave, so that whoever sees a relayed packet sees it counted. */
static void account(struct stream *s, uint64_t *packets, uint64_t *bytes, time_t now)
{
	if (!*packets)
		return;
	atomic_fetch_add_explicit(&s->packets, *packets, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes, *bytes, memory_order_relaxed);
	atomic_store_explicit(&s->last_packet, now, memory_order_relaxed);
	*packets = *bytes = 0;
}

struct rx_acct {
	time_t now;
	int64_t now_us;
	uint64_t packets, bytes;
};

/* Encrypts pkt for sink (when it sends SRTP) and adds it to the batch, sending the batch
 * first when it is for another sink or full. */
static void queue_tx(struct worker *w, struct stream *from, struct rx_acct *acct,
		     struct stream *sink, const struct endpoint *dst, uint8_t *pkt,
		     unsigned int len, unsigned int cap, bool rtcp)
{
	unsigned int i;

	if (!transform(sink, sink->cfg.srtp_tx, sink->cfg.srtp_need & STREAM_SRTP_TX, pkt, &len,
		       cap, rtcp))
		return;
	if (w->n_tx && (sink != w->tx_sink || w->n_tx == TX_MAX)) {
		account(from, &acct->packets, &acct->bytes, acct->now);
		flush(w, from);
	}
	w->tx_sink = sink;
	i = w->n_tx++;
	w->tx_dst[i] = *dst;
	w->tx_iov[i] = (struct iovec){.iov_base = pkt, .iov_len = len};
	w->tx[i].msg_hdr = (struct msghdr){.msg_name = &w->tx_dst[i],
					   .msg_namelen = ep_len(dst),
					   .msg_iov = &w->tx_iov[i],
					   .msg_iovlen = 1};
}

/* RTP the stream transcodes: the payload types it passes go as they are. */
static bool to_transcode(const struct stream *s, const uint8_t *pkt, unsigned int len)
{
	unsigned int pt;

	if (!s->cfg.xcode || len < 2)
		return false;
	pt = pkt[1] & 0x7f;
	return !(s->cfg.pt_pass[pt / 32] >> (pt % 32) & 1);
}

/* Runs pkt through the stream's transcoder and queues what it makes. */
static void transcode_tx(struct worker *w, struct stream *s, struct rx_acct *acct,
			 struct stream *sink, const struct endpoint *dst, const uint8_t *pkt,
			 unsigned int len)
{
	int n;

	if (w->n_xout + TC_MAX_OUT > TX_MAX) {
		/* Every slot is queued: send them before reusing the buffers. */
		account(s, &acct->packets, &acct->bytes, acct->now);
		if (w->n_tx)
			flush(w, s);
		w->n_xout = 0;
	}
	if (len >= 12)
		rtcp_rx_packet(&s->rtcp_rx, get32(pkt + 8), (uint16_t)(pkt[2] << 8 | pkt[3]),
			       get32(pkt + 4), acct->now_us, s->cfg.tc_in_clock);
	n = transcoder_rtp(s->cfg.xcode, pkt, len, &w->xout[w->n_xout], w->xout_len);
	for (int k = 0; k < n; k++) {
		rtcp_tx_packet(&s->rtcp_tx, w->xout[w->n_xout + k], w->xout_len[k], acct->now_us,
			       s->cfg.tc_out_clock);
		queue_tx(w, s, acct, sink, dst, w->xout[w->n_xout + k], w->xout_len[k], TC_PKT_MAX,
			 false);
	}
	w->n_xout += (unsigned int)(n > 0 ? n : 0);
}

/* The relay's report on the stream s generates (and on the one it receives from the sink's
 * party when that is transcoded too): the first a second after the media starts, then every
 * RTCP_INTERVAL_US. Sent from the sink's RTCP socket. */
static void report(struct worker *w, struct stream *s, int64_t now_us)
{
	struct stream *sink = s->cfg.sink, *out = s->cfg.sink_rtcp;
	struct rtcp_block b;
	const struct endpoint *dst;
	uint8_t pkt[128];
	size_t len;

	if (!s->rtcp_tx.init || now_us < s->rtcp_due_us)
		return;
	if (!s->rtcp_due_us) {
		s->rtcp_due_us = now_us + RTCP_FIRST_US;
		return;
	}
	s->rtcp_due_us = now_us + RTCP_INTERVAL_US;
	if (!out || out->fd < 0)
		return;
	dst = stream_dest(out);
	if (!ep_is_set(dst) || ep_is_any(dst) || !ep_port(dst))
		return;
	len = rtcp_build_sr(pkt, sizeof(pkt), &s->rtcp_tx, &b,
			    sink && sink->cfg.xcode && rtcp_rx_block(&sink->rtcp_rx, &b) ? 1 : 0,
			    now_us);
	if (len &&
	    sendto(out->fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)dst, ep_len(dst)) < 0)
		log_debug_rl("worker %d: RTCP report from %u failed: %s", w->id,
			     ep_port(&out->local), strerror(errno));
}

static void stream_readable(struct worker *w, struct stream *s)
{
	time_t mono = mono_now();
	int64_t now_us = real_now_us();
	struct rx_acct acct = {.now = real_now(), .now_us = now_us};

	if (s->fd < 0)
		return; /* removed earlier in this epoll batch */
	/* A few batches, then the next ready socket: epoll reports this one again while it has
	 * more. A stream whose packets cost a lot (transcoding) and whose backlog grew under
	 * overload cannot keep the worker from its other streams and its messages. */
	for (int round = 0; round < MAX_BATCHES; round++) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			/* Room for what SRTP adds on the way out. */
			w->rx_iov[i] = (struct iovec){.iov_base = w->buf[i],
						      .iov_len = PKT_MAX - SRTPX_OVERHEAD};
			w->rx[i].msg_hdr = (struct msghdr){.msg_name = &w->rx_src[i],
							   .msg_namelen = sizeof(w->rx_src[i]),
							   .msg_iov = &w->rx_iov[i],
							   .msg_iovlen = 1,
							   .msg_control = w->rx_ctl[i],
							   .msg_controllen = sizeof(w->rx_ctl[i])};
		}
		n = recvmmsg(s->fd, w->rx, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		w->n_xout = 0;
		for (int i = 0; i < n; i++) {
			unsigned int len = w->rx[i].msg_len;
			struct endpoint *src = &w->rx_src[i];
			bool rtcp = stream_is_rtcp(w->buf[i], len);
			struct stream *sink;
			const struct endpoint *dst;

			ep_unmap_v4(src);
			/* Decrypted first: only authenticated packets may latch or move an SRTP
			 * stream. */
			if (!transform(s, s->cfg.srtp_rx, s->cfg.srtp_need & STREAM_SRTP_RX,
				       w->buf[i], &len, PKT_MAX, rtcp))
				continue;
			if (!stream_accept_source(s, src, mono)) {
				count_error(s);
				continue;
			}
			acct.packets++;
			acct.bytes += w->rx[i].msg_len;
			if (rtcp)
				rtcp_stats(s, w->buf[i], len, now_us);
			if (rtcp && s->cfg.rtcp_own)
				continue; /* about a stream the other party never sees */
			sink = rtcp ? s->cfg.sink_rtcp : s->cfg.sink;
			if (!sink || sink->fd < 0)
				continue; /* the other side is not there yet (no answer, on hold) */
			dst = stream_dest(sink);
			if (!ep_is_set(dst) || ep_is_any(dst) || !ep_port(dst))
				continue;
			if (!rtcp && to_transcode(s, w->buf[i], len)) {
				if (stale(&w->rx[i].msg_hdr, now_us)) {
					atomic_fetch_add_explicit(&s->overload_drops, 1,
								  memory_order_relaxed);
					continue;
				}
				transcode_tx(w, s, &acct, sink, dst, w->buf[i], len);
			} else
				queue_tx(w, s, &acct, sink, dst, w->buf[i], len, PKT_MAX, rtcp);
		}
		account(s, &acct.packets, &acct.bytes, acct.now);
		if (w->n_tx)
			flush(w, s);
		if (s->cfg.xcode)
			report(w, s, now_us);
		if (s->latch_event)
			publish_latched(w, s);
		if (n < BATCH)
			return;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EP_EVENTS];

	while (!atomic_load(&w->stop)) {
		int n = epoll_wait(w->epfd, evs, EP_EVENTS, 1000);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == w)
				handle_msgs(w);
			else
				stream_readable(w, evs[i].data.ptr);
		}
		publish_closed(w);
	}
	handle_msgs(w);
	publish_closed(w);
	return NULL;
}

static void pin(struct worker *w)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	int err;

	if (ncpu <= 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(w->id % ncpu, &set);
	err = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (err)
		log_warn("worker %d: cannot pin to CPU %ld: %s", w->id, w->id % ncpu,
			 strerror(err));
}

int workers_start(int n)
{
	event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	workers = calloc((size_t)n, sizeof(*workers));
	if (!workers || event_fd < 0)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct worker *w = &workers[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
		char name[16];
		int err;

		w->id = i;
		pthread_mutex_init(&w->lock, NULL);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->epfd < 0 || w->evfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev)) {
			err = -errno;
			log_err("worker %d: %s", i, strerror(errno));
			n_workers = i;
			workers_stop(NULL);
			return err;
		}
		err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err) {
			log_err("worker %d: cannot start thread: %s", i, strerror(err));
			n_workers = i;
			workers_stop(NULL);
			return -err;
		}
		snprintf(name, sizeof(name), "xr-media-%d", i & 0xffff);
		pthread_setname_np(w->thread, name);
		pin(w);
		n_workers = i + 1;
	}
	log_info("%d media worker%s started", n, n == 1 ? "" : "s");
	return 0;
}

void workers_stop(void (*done)(struct stream *s))
{
	for (int i = 0; i < n_workers; i++) {
		uint64_t one = 1;

		atomic_store(&workers[i].stop, true);
		if (write(workers[i].evfd, &one, sizeof(one)) < 0)
			log_warn("worker %d: cannot wake: %s", i, strerror(errno));
	}
	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->thread, NULL);
	}
	if (done)
		workers_poll(NULL, done);
	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		close(w->epfd);
		close(w->evfd);
		free(w->queue);
		free(w->removed);
		free(w->closing);
		free(w->latched);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
	close(event_fd);
	event_fd = -1;
}

int workers_count(void)
{
	return n_workers;
}

struct worker *worker_pick(void)
{
	return &workers[next_worker++ % (unsigned int)n_workers];
}
