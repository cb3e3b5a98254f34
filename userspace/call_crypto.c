// SPDX-License-Identifier: GPL-2.0-only
/* SDES negotiation (RFC 4568) the way rtpengine does it: an offer keeps the offerer's crypto
 * lines and adds the relay's own suites with fresh keys; the answer's choice decides, per
 * direction, whether the relay forwards SRTP unchanged (the answerer took the offerer's own
 * line) or decrypts and encrypts again. Control thread only. */
#include "call.h"

#include "log.h"
#include "srtp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool media_is_srtp(const struct media *m)
{
	/* UDP/TLS/RTP/SAVP(F) is DTLS-SRTP: no SDES keys to work with. */
	return strstr(m->proto, "RTP/SAVP") && !strstr(m->proto, "TLS");
}

/* libsrtp2 starts with the first SRTP media, not with the daemon: its self-test would lengthen
 * every restart (calls are restored before it is needed). It also decides which suites this
 * libsrtp2 does right, so it comes before any line is parsed. */
static int srtp_ready(const char **err)
{
	if (!srtpx_init())
		return 0;
	*err = "SRTP is not available (libsrtp2 failed to start)";
	return -EIO;
}

/* Both parties' SDES state, once one of them speaks SRTP. */
static int both_ready(struct media *mx, struct media *my, struct media_crypto **x,
		      struct media_crypto **y, const char **err)
{
	if (srtp_ready(err))
		return -EIO;
	*x = media_crypto_get(mx);
	*y = media_crypto_get(my);
	if (!*x || !*y) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	return 0;
}

/* The usable a=crypto lines of sm, in order (the first one when several share a tag). */
static unsigned int crypto_lines(const struct sdp_media *sm, struct sdes_crypto *out)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sm->n_lines && n < SDES_MAX_CRYPTO; i++) {
		const struct sdp_line *l = &sm->lines[i];
		const char *err;
		bool dup = false;

		if (l->type != 'a' || strncmp(l->text, "crypto:", 7))
			continue;
		if (sdes_parse(l->text + 7, strlen(l->text + 7), &out[n], &err)) {
			log_debug("SDES: a=%s skipped: %s", l->text, err);
			continue;
		}
		for (unsigned int k = 0; k < n; k++)
			dup = dup || out[k].tag == out[n].tag;
		if (!dup)
			n++;
	}
	return n;
}

static const struct sdes_crypto *by_tag(const struct sdes_crypto *list, unsigned int n,
					unsigned int tag)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i].tag == tag)
			return &list[i];
	return NULL;
}

static const struct sdes_crypto *by_suite(const struct sdes_crypto *list, unsigned int n,
					  const struct sdes_suite *suite)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i].suite == suite)
			return &list[i];
	return NULL;
}

static int add_line(char (*lines)[SDES_MAX_LINE_LEN], size_t *n, const struct sdes_crypto *c,
		    bool pad)
{
	int len = sdes_format_pad(c, pad, lines[*n], SDES_MAX_LINE_LEN);

	if (len < 0)
		return len;
	(*n)++;
	return 0;
}

struct media_crypto *media_crypto_get(struct media *m)
{
	if (!m->crypto)
		m->crypto = calloc(1, sizeof(*m->crypto));
	return m->crypto;
}

int media_crypto_offer(struct media *mx, struct media *my, const struct sdp_media *sm,
		       const struct sdes_opts *o, char (*lines)[SDES_MAX_LINE_LEN], size_t *n,
		       const char **err)
{
	struct sdes_crypto relay[SDES_MAX_CRYPTO];
	unsigned int n_relay = 0, next_tag = 1;
	struct media_crypto *x, *y;
	int ret;

	*n = 0;
	if (!media_is_srtp(mx) && !media_is_srtp(my)) {
		if (mx->crypto)
			mx->crypto->n_offered = 0;
		return 0;
	}
	ret = both_ready(mx, my, &x, &y, err);
	if (ret)
		return ret;
	x->n_offered = media_is_srtp(mx) ? crypto_lines(sm, x->offered) : 0;
	if (!media_is_srtp(my))
		return 0;
	for (unsigned int i = 0; i < x->n_offered; i++) {
		if (x->offered[i].tag >= next_tag)
			next_tag = x->offered[i].tag + 1;
		/* no-SUITE drops the offerer's lines of that suite too, as in rtpengine; only-SUITE
		 * chooses among the relay's own. */
		if (o->no_mask & (1u << x->offered[i].suite->id))
			continue;
		if (add_line(lines, n, &x->offered[i], o->pad))
			goto too_long;
	}
	for (unsigned int i = 0; i < SDES_N_SUITES && !o->off && !o->nonew; i++) {
		const struct sdes_suite *suite = &sdes_suites[i];
		const struct sdes_crypto *had = by_suite(y->relay, y->n_relay, suite);
		struct sdes_crypto *c = &relay[n_relay];

		if (!sdes_opts_allow(o, suite) || n_relay == SDES_MAX_CRYPTO)
			continue;
		/* A re-offer keeps the relay's keys: the stream's contexts stay valid. */
		if (had) {
			*c = *had;
		} else if (sdes_generate(c, suite, next_tag)) {
			*err = "Cannot generate SRTP keys";
			return -EIO;
		}
		c->tag = next_tag++;
		c->unencrypted_srtp = o->unencrypted_srtp;
		c->unencrypted_srtcp = o->unencrypted_srtcp;
		c->unauthenticated_srtp = o->unauthenticated_srtp;
		c->lifetime = o->lifetime ? 1ull << 31 : 0;
		if (add_line(lines, n, c, o->pad))
			goto too_long;
		n_relay++;
	}
	memcpy(y->relay, relay, n_relay * sizeof(relay[0]));
	y->n_relay = n_relay;
	return 0;
too_long:
	*err = "SDES line too long";
	return -E2BIG;
}

/* The relay's key towards the offerer for its line c: the one it had when it fits. */
static int relay_key_for(const struct media_crypto *x, const struct sdes_crypto *c,
			 struct sdes_crypto *out)
{
	if (x->tx_set && x->tx.suite == c->suite && x->tx.tag == c->tag)
		*out = x->tx;
	else if (sdes_generate(out, c->suite, c->tag))
		return -EIO;
	out->unencrypted_srtp = c->unencrypted_srtp;
	out->unencrypted_srtcp = c->unencrypted_srtcp;
	out->unauthenticated_srtp = c->unauthenticated_srtp;
	return 0;
}

static bool same(bool a_set, const struct sdes_crypto *a, bool b_set, const struct sdes_crypto *b)
{
	return a_set == b_set && (!a_set || (sdes_same_key(a, b) && a->tag == b->tag));
}

static void set_keys(struct media_crypto *mc, bool rx_set, const struct sdes_crypto *rx,
		     bool tx_set, const struct sdes_crypto *tx)
{
	if (!mc)
		return; /* never met SRTP: no keys to clear */
	if (same(mc->rx_set, &mc->rx, rx_set, rx) && same(mc->tx_set, &mc->tx, tx_set, tx))
		return;
	mc->rx_set = rx_set;
	mc->tx_set = tx_set;
	if (rx_set)
		mc->rx = *rx;
	if (tx_set)
		mc->tx = *tx;
	mc->gen++;
}

int media_crypto_answer(struct media *my, struct media *mx, const struct sdp_media *sm,
			char (*lines)[SDES_MAX_LINE_LEN], size_t *n, bool *keep, const char **err)
{
	struct media_crypto *x, *y;
	struct sdes_crypto answer[SDES_MAX_CRYPTO], x_rx, x_tx, y_rx, y_tx;
	int ret;
	const struct sdes_crypto *pick = NULL, *mine;
	bool y_srtp = media_is_srtp(my) && !my->rejected;
	bool x_srtp = media_is_srtp(mx) && !mx->rejected;
	bool x_keys = false, y_keys = false;

	*n = 0;
	*keep = false;
	if (!y_srtp && !x_srtp) {
		set_keys(mx->crypto, false, NULL, false, NULL);
		set_keys(my->crypto, false, NULL, false, NULL);
		return 0;
	}
	ret = both_ready(mx, my, &x, &y, err);
	if (ret)
		return ret;
	if (y_srtp) {
		if (!crypto_lines(sm, answer)) {
			*err = "No usable a=crypto line in the answer";
			return -EINVAL;
		}
		pick = by_tag(x->offered, x->n_offered, answer[0].tag);
		if (pick && pick->suite == answer[0].suite) {
			/* The answerer took the offerer's own key: they talk SRTP end to end. */
			set_keys(x, false, NULL, false, NULL);
			set_keys(y, false, NULL, false, NULL);
			*keep = true;
			return 0;
		}
		mine = by_tag(y->relay, y->n_relay, answer[0].tag);
		if (!mine || mine->suite != answer[0].suite) {
			*err = "The answer's a=crypto matches no offered line";
			return -EINVAL;
		}
		y_rx = answer[0];
		y_tx = *mine;
		y_keys = true;
		pick = by_suite(x->offered, x->n_offered, mine->suite);
	}
	if (x_srtp) {
		if (!pick)
			pick = x->n_offered ? &x->offered[0] : NULL;
		if (!pick) {
			*err = "No usable a=crypto line in the offer";
			return -EINVAL;
		}
		x_rx = *pick;
		if (relay_key_for(x, pick, &x_tx)) {
			*err = "Cannot generate SRTP keys";
			return -EIO;
		}
		if (add_line(lines, n, &x_tx, false)) {
			*err = "SDES line too long";
			return -E2BIG;
		}
		x_keys = true;
	}
	set_keys(x, x_keys, &x_rx, x_keys, &x_tx);
	set_keys(y, y_keys, &y_rx, y_keys, &y_tx);
	return 0;
}

void media_crypto_cfg(struct media *m, int comp, struct stream_cfg *sc)
{
	struct media_crypto *mc = m->crypto;
	char addr[EP_STRLEN];

	if (!mc)
		return;
	if (!mc->ctx_made[comp] || mc->ctx_gen[comp] != mc->gen) {
		/* The worker frees the contexts this cfg replaces. */
		mc->ctx_rx[comp] = mc->rx_set ? srtpx_new(&mc->rx, SRTPX_DECRYPT) : NULL;
		mc->ctx_tx[comp] = mc->tx_set ? srtpx_new(&mc->tx, SRTPX_ENCRYPT) : NULL;
		if ((mc->rx_set && !mc->ctx_rx[comp]) || (mc->tx_set && !mc->ctx_tx[comp]))
			log_err("[%s] SRTP context for %s failed: %s; its packets are dropped",
				m->ml->call->call_id,
				ep_str(&m->streams[comp]->local, addr, sizeof(addr)),
				strerror(errno));
		mc->ctx_made[comp] = true;
		mc->ctx_gen[comp] = mc->gen;
	}
	sc->srtp_need = (mc->rx_set ? STREAM_SRTP_RX : 0) | (mc->tx_set ? STREAM_SRTP_TX : 0);
	sc->srtp_rx = mc->ctx_rx[comp];
	sc->srtp_tx = mc->ctx_tx[comp];
}

void media_crypto_forget(struct media *m)
{
	struct media_crypto *mc = m->crypto;

	if (!mc)
		return;
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		mc->ctx_made[comp] = false;
		mc->ctx_rx[comp] = mc->ctx_tx[comp] = NULL;
	}
}

bool media_needs_transform(struct media *m, int comp)
{
	struct media *p = media_peer(m);

	return (m->crypto && m->crypto->rx_set) || (p && p->crypto && p->crypto->tx_set);
}
