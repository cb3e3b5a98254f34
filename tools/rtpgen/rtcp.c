// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen rtcp: from one socket, send compound RTCP reports (SR + SDES CNAME) on a schedule and
 * count the RTCP and the other packets that arrive. */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int cmd_rtcp(const struct opts *o)
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
