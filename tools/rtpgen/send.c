// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen send: paced RTP (or SRTP) to one or more destinations; with --rtt also receives what
 * an echo returns and reports the round-trip times. */
#include "common.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_send(const struct opts *o)
{
	char to[EP_STRLEN + 8];
	struct rx *rx = NULL;
	struct g711_rx g;
	struct tx t;
	pthread_t th;
	int fd, rc;

	/* Connected when there is one destination and nothing to receive: the fastest way. */
	bool conn = o->n_to == 1 && !o->rtt;

	fd = udp_open(ep_family(&o->to[0]), &o->from, conn ? &o->to[0] : NULL);
	if (fd < 0)
		return 1;
	tx_init(&t, o, fd, o->to, o->n_to, conn, o->ssrc);
	if (open_srtp(o, SRTPX_ENCRYPT, &t.srtp)) {
		close(fd);
		return 1;
	}
	if (o->rtt) {
		rx = calloc(1, sizeof(*rx));
		/* An echo sends back SRTP under the same key (rtpgen echo --srtp-key). */
		if (!rx || open_srtp(o, SRTPX_DECRYPT, &rx->srtp)) {
			free(rx);
			srtpx_free(t.srtp);
			close(fd);
			return 1;
		}
		rx->fd = fd;
		rx->tx = &t;
		if (o->g711_tx) {
			/* Replies come from a party of law B, translated into ours. */
			g711_rx_init(&g, o->g711_rx, o->g711_tx);
			rx->g711 = &g;
		}
		rx->wait_ns = (uint64_t)o->wait_ms * 1000000;
		if (pthread_create(&th, NULL, tx_thread, &t)) {
			fprintf(stderr, "rtpgen: can't start the sender thread\n");
			srtpx_free(rx->srtp);
			srtpx_free(t.srtp);
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
	if (rx) {
		rx_free(rx);
		srtpx_free(rx->srtp);
	}
	free(rx);
	srtpx_free(t.srtp);
	close(fd);
	return rc;
}
