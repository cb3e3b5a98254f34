// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen sink and echo: receive RTP (or check and unprotect SRTP) on one address, and either
 * measure it (sink) or send every packet back to its source (echo, SRTP protected again); both
 * check --g711 payloads. */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cmd_sink(const struct opts *o)
{
	char at[EP_STRLEN];
	struct rx_report r;
	struct g711_rx g;
	struct rx *rx;
	double secs;
	int fd, rc;

	fd = udp_open(ep_family(&o->listen), &o->listen, NULL);
	if (fd < 0)
		return 1;
	rx = calloc(1, sizeof(*rx));
	if (!rx || open_srtp(o, SRTPX_DECRYPT, &rx->srtp)) {
		free(rx);
		close(fd);
		return 1;
	}
	rx->fd = fd;
	rx->expect = o->expect;
	if (o->g711_tx) {
		g711_rx_init(&g, o->g711_tx, o->g711_rx);
		rx->g711 = &g;
	}
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
	srtpx_free(rx->srtp);
	free(rx);
	close(fd);
	return rc;
}

int cmd_echo(const struct opts *o)
{
	struct endpoint names[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH], out[RX_BATCH];
	struct iovec iov[RX_BATCH];
	uint64_t echoed = 0, received = 0, errors = 0, bad_payload = 0, deadline = 0, start;
	uint32_t pt_seen[4] = {0};
	struct srtpx *dec = NULL, *enc = NULL;
	uint8_t meta[G711_META];
	struct g711_rx g;
	struct srtp_fails fails = {0};
	char at[EP_STRLEN];
	uint8_t *bufs;
	int fd, err = 0;

	fd = udp_open(ep_family(&o->listen), &o->listen, NULL);
	if (fd < 0)
		return 1;
	bufs = malloc((size_t)RX_BATCH * RX_BUF);
	if (!bufs || open_srtp(o, SRTPX_DECRYPT, &dec) || open_srtp(o, SRTPX_ENCRYPT, &enc)) {
		srtpx_free(dec);
		free(bufs);
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
	if (o->g711_tx)
		g711_rx_init(&g, o->g711_tx, o->g711_rx);
	start = now_ns();
	if (o->duration_ns)
		deadline = start + o->duration_ns;
	while (!stop_flag && (!deadline || now_ns() < deadline)) {
		int r, n = 0, done = 0;

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
		/* What failed SRTP checks is dropped; the rest goes back under the same key. */
		for (int k = 0; k < r; k++) {
			unsigned int len = msgs[k].msg_len;

			const uint8_t *p = iov[k].iov_base;

			if (!unprotect_rtp(dec, iov[k].iov_base, &len, RX_BUF, &fails))
				continue;
			/* --g711: RTP is checked and counted, and echoed whatever it carries. */
			if (len >= RTP_HDR_LEN && (p[0] >> 6) == 2 &&
			    !(p[1] >= 192 && p[1] <= 223)) {
				pt_seen[(p[1] & 0x7f) / 32] |= 1u << (p[1] & 31);
				if (o->g711_tx &&
				    (p[0] != 0x80 ||
				     !g711_decode(&g, p + RTP_HDR_LEN, len - RTP_HDR_LEN, meta)))
					bad_payload++;
			}
			if (enc && srtpx_rtp(enc, iov[k].iov_base, &len, RX_BUF)) {
				errors++;
				continue;
			}
			iov[k].iov_len = len;
			out[n++] = msgs[k];
		}
		while (done < n) {
			int s = sendmmsg(fd, out + done, (unsigned int)(n - done), 0);

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
		       "%" PRIu64 ",\"echoed\":%" PRIu64 ",\"errors\":%" PRIu64,
		       at, (double)(now_ns() - start) / 1e9, received, echoed, errors);
	else
		printf("rtpgen echo at %s: received %" PRIu64 ", echoed %" PRIu64
		       ", errors %" PRIu64,
		       at, received, echoed, errors);
	if (o->json) {
		printf(",\"bad_payload\":%" PRIu64, bad_payload);
		print_pt_json(pt_seen);
	} else if (o->g711_tx) {
		printf(", bad G.711 payloads %" PRIu64, bad_payload);
	}
	if (dec)
		(o->json ? print_srtp_json : print_srtp_text)(&fails);
	printf(o->json ? "}\n" : "\n");
	srtpx_free(dec);
	srtpx_free(enc);
	free(bufs);
	close(fd);
	return err ? 1 : 0;
}
