// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen pair: both ends of streams through a relay, a sender and a receiver per direction,
 * each on its own thread. */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One direction of a pair: a sender thread on one socket, a receiver on the other. */
struct leg {
	struct tx tx;
	struct rx rx;
	struct g711_rx g711;
	pthread_t tx_th, rx_th;
	bool tx_started, rx_started;
};

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

int cmd_pair(const struct opts *o)
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
	/* --g711 A:B: a sends A codes that b expects translated into B, and the reverse. */
	if (o->g711_tx) {
		g711_rx_init(&legs[0].g711, o->g711_tx, o->g711_rx);
		g711_rx_init(&legs[1].g711, o->g711_rx, o->g711_tx);
		legs[0].rx.g711 = &legs[0].g711;
		legs[1].rx.g711 = &legs[1].g711;
	}
	legs[0].rx.fd = fb;
	legs[0].rx.srcs = o->relay_b;
	legs[0].rx.n_srcs = o->n_relay_b;
	if (o->both) {
		tx_init(&legs[1].tx, o, fb, o->relay_b, o->n_relay_b, false,
			o->ssrc + o->n_relay_a);
		legs[1].tx.pt = o->pt_b;
		legs[1].tx.g711 = o->g711_rx != G711_OFF;
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
