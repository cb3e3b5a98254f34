// SPDX-License-Identifier: GPL-2.0-only
/* Per-SSRC call quality: report blocks become samples (loss, jitter, round-trip time, MOS),
 * reported in rtpengine's "SSRC" layout. The model and the layout are in docs/rtcp.md. */
#include "ssrc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTP_KEEP	   4	/* SRs (and RRTRs) remembered per SSRC for LSR (LRR) matching */
#define DEFAULT_CLOCK_RATE 8000 /* Hz; G.711 and most narrow-band codecs */
#define PROGRESSION_STEPS  10	/* the progression aims at about this many entries */
#define RTT_UNKNOWN	   (-1)

/* One report block about an SSRC, as the reply shows it. 16 bytes: SSRC_SAMPLES of them fill
 * one page per SSRC. */
struct ssrc_sample {
	uint8_t mos;	    /* x 10 */
	uint8_t loss_pct;   /* fraction lost, percent */
	uint16_t jitter_ms; /* saturates */
	uint32_t rtt_us;    /* end to end when both legs are known, else the reporter's leg */
	uint32_t rtt_leg_us;
	uint32_t reported; /* unix s */
};
_Static_assert(sizeof(struct ssrc_sample) == 16, "ssrc_sample is 16 bytes");

/* A remembered NTP timestamp (its middle 32 bits) and when the relay saw it. */
struct ntp_seen {
	uint32_t mid;
	int64_t at_us;
};

struct ssrc_entry {
	bool used;
	uint32_t ssrc;
	uint64_t touched; /* table tick of the last packet that named this SSRC: LRU order */
	struct ntp_seen sr[NTP_KEEP], rrtr[NTP_KEEP];
	unsigned int sr_next, rrtr_next;
	bool has_counts; /* packets/octets from an SR of this SSRC */
	uint32_t packets, octets;
	/* Relay <-> the endpoint that reports as this SSRC, last measured; RTT_UNKNOWN. */
	int64_t leg_rtt_us;
	int32_t cum_lost;
	uint64_t n_samples;
	struct ssrc_sample lowest, highest;
	uint64_t sum_mos, sum_rtt, sum_rtt_leg, sum_jitter, sum_loss;
	/* The progression: every stride-th sample; when full, every other one is dropped and the
	 * stride doubles, so the kept samples always span the whole call evenly. Allocated on the
	 * SSRC's first sample and kept by its slot (so at most SSRC_MAX allocations per table). */
	struct ssrc_sample *kept;
	unsigned int n_kept, stride, pending;
};

struct ssrc_table {
	atomic_int refs;
	pthread_mutex_t lock;
	unsigned int clock_rate;
	uint64_t tick;
	struct ssrc_entry e[SSRC_MAX];
};

struct ssrc_table *ssrc_table_new(void)
{
	struct ssrc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (pthread_mutex_init(&t->lock, NULL)) {
		free(t);
		return NULL;
	}
	atomic_init(&t->refs, 1);
	t->clock_rate = DEFAULT_CLOCK_RATE;
	return t;
}

void ssrc_table_get(struct ssrc_table *t)
{
	if (t)
		atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void ssrc_table_put(struct ssrc_table *t)
{
	if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (unsigned int i = 0; i < SSRC_MAX; i++)
		free(t->e[i].kept);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void ssrc_table_set_clock_rate(struct ssrc_table *t, unsigned int hz)
{
	if (!t || !hz)
		return;
	pthread_mutex_lock(&t->lock);
	t->clock_rate = hz;
	pthread_mutex_unlock(&t->lock);
}

static struct ssrc_entry *find(struct ssrc_table *t, uint32_t ssrc)
{
	for (unsigned int i = 0; i < SSRC_MAX; i++)
		if (t->e[i].used && t->e[i].ssrc == ssrc)
			return &t->e[i];
	return NULL;
}

/* The SSRC's entry, created when new (replacing the least recently named one when the table is
 * full), and marked as the most recently named: an entry obtained earlier for the same packet
 * is therefore never the one replaced. */
static struct ssrc_entry *lookup(struct ssrc_table *t, uint32_t ssrc)
{
	struct ssrc_entry *e = find(t, ssrc), *victim = NULL;
	struct ssrc_sample *kept;

	if (!e) {
		for (unsigned int i = 0; i < SSRC_MAX; i++) {
			if (!t->e[i].used) {
				victim = &t->e[i];
				break;
			}
			if (!victim || t->e[i].touched < victim->touched)
				victim = &t->e[i];
		}
		e = victim;
		kept = e->kept;
		memset(e, 0, sizeof(*e));
		e->kept = kept;
		e->used = true;
		e->ssrc = ssrc;
		e->leg_rtt_us = RTT_UNKNOWN;
		e->stride = 1;
	}
	e->touched = ++t->tick;
	return e;
}

static void remember(struct ntp_seen *ring, unsigned int *next, uint32_t mid, int64_t now_us)
{
	ring[*next].mid = mid;
	ring[*next].at_us = now_us;
	*next = (*next + 1) % NTP_KEEP;
}

/* now - arrival(lsr) - delay, or RTT_UNKNOWN when lsr is 0 or not one the relay saw. */
static int64_t round_trip(const struct ntp_seen *ring, uint32_t lsr, uint32_t delay, int64_t now_us)
{
	int64_t rtt;

	if (!lsr)
		return RTT_UNKNOWN;
	for (unsigned int i = 0; i < NTP_KEEP; i++) {
		if (ring[i].mid != lsr || !ring[i].at_us)
			continue;
		/* The delay is in 1/65536 s. */
		rtt = now_us - ring[i].at_us - (int64_t)(((uint64_t)delay * 1000000) >> 16);
		return rtt < 0 ? 0 : rtt;
	}
	return RTT_UNKNOWN;
}

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int ssrc_mos(int64_t rtt_us, unsigned int jitter_ms, unsigned int loss_pct)
{
	double d, delay_impairment, loss_impairment, r, mos, ppl;

	if (rtt_us < 0)
		rtt_us = 0;
	ppl = loss_pct > 100 ? 100 : loss_pct;
	/* One-way mouth-to-ear delay: half the round trip, a jitter buffer of twice the jitter,
	 * 10 ms for packetisation and processing. */
	d = (double)rtt_us / 2000.0 + 2.0 * jitter_ms + 10.0;
	/* Id: Cole & Rosenbluth's fit of G.107's delay impairment. */
	delay_impairment = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
	/* G.107's Ie-eff for G.711 with packet loss concealment: Ie 0, Bpl 25.1 (G.113
	 * Appendix I), random loss (BurstR 1). */
	loss_impairment = 95.0 * ppl / (ppl + 25.1);
	r = 93.2 - delay_impairment - loss_impairment;
	if (r <= 0)
		mos = 1.0;
	else if (r >= 100)
		mos = 4.5;
	else
		mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
	if (mos < 1.0)
		mos = 1.0;
	if (mos > 4.5)
		mos = 4.5;
	return (int)(mos * 10.0 + 0.5);
}

static void keep_sample(struct ssrc_entry *e, const struct ssrc_sample *s)
{
	if (!e->kept && !(e->kept = malloc(SSRC_SAMPLES * sizeof(*e->kept))))
		return; /* the progression only; the other figures go on */
	if (++e->pending < e->stride)
		return;
	e->pending = 0;
	if (e->n_kept == SSRC_SAMPLES) {
		for (unsigned int i = 0; i < SSRC_SAMPLES / 2; i++)
			e->kept[i] = e->kept[2 * i];
		e->n_kept = SSRC_SAMPLES / 2;
		if (e->stride < 1u << 30)
			e->stride *= 2;
	}
	e->kept[e->n_kept++] = *s;
}

static void add_sample(struct ssrc_entry *e, const struct ssrc_sample *s)
{
	if (!e->n_samples++ || s->mos < e->lowest.mos)
		e->lowest = *s;
	if (e->n_samples == 1 || s->mos > e->highest.mos)
		e->highest = *s;
	e->sum_mos += s->mos;
	e->sum_rtt += s->rtt_us;
	e->sum_rtt_leg += s->rtt_leg_us;
	e->sum_jitter += s->jitter_ms;
	e->sum_loss += s->loss_pct;
	keep_sample(e, s);
}

/* A report block: what reporter received from the block's SSRC. */
static void report_block(struct ssrc_table *t, const struct rtcp_block *b, int64_t now_us)
{
	struct ssrc_entry *rep = lookup(t, b->reporter), *e = lookup(t, b->ssrc);
	int64_t rtt = round_trip(e->sr, b->lsr, b->dlsr, now_us), total;
	uint64_t jitter_ms;
	struct ssrc_sample s;

	if (rtt != RTT_UNKNOWN)
		rep->leg_rtt_us = rtt;
	/* Without a fresh LSR match, the reporter's leg as last measured (SR or XR). */
	rtt = rep->leg_rtt_us == RTT_UNKNOWN ? 0 : rep->leg_rtt_us;
	total = rtt;
	/* The sender's own leg, measured when it reported as this SSRC: end to end. */
	if (e != rep && e->leg_rtt_us != RTT_UNKNOWN)
		total += e->leg_rtt_us;
	jitter_ms = ((uint64_t)b->jitter * 1000 + t->clock_rate / 2) / t->clock_rate;

	memset(&s, 0, sizeof(s));
	s.loss_pct = (uint8_t)((b->fraction_lost * 100u + 128) / 256);
	s.jitter_ms = jitter_ms > UINT16_MAX ? UINT16_MAX : (uint16_t)jitter_ms;
	s.rtt_us = clamp_u32(total);
	s.rtt_leg_us = clamp_u32(rtt);
	s.reported = clamp_u32(now_us / 1000000);
	s.mos = (uint8_t)ssrc_mos(total, s.jitter_ms, s.loss_pct);
	e->cum_lost = b->cum_lost;
	add_sample(e, &s);
}

void ssrc_table_rtcp(struct ssrc_table *t, const struct rtcp_info *ri, int64_t now_us)
{
	struct ssrc_entry *e;

	if (!t || !ri)
		return;
	pthread_mutex_lock(&t->lock);
	if (ri->has_sr) {
		e = lookup(t, ri->sr.ssrc);
		remember(e->sr, &e->sr_next, rtcp_ntp_mid(ri->sr.ntp), now_us);
		e->has_counts = true;
		e->packets = ri->sr.packets;
		e->octets = ri->sr.octets;
	}
	if (ri->has_xr_rrtr) {
		e = lookup(t, ri->xr_rrtr_ssrc);
		remember(e->rrtr, &e->rrtr_next, rtcp_ntp_mid(ri->xr_rrtr_ntp), now_us);
	}
	for (unsigned int i = 0; i < ri->n_dlrr && i < RTCP_MAX_BLOCKS; i++) {
		/* A DLRR answers the RRTR of d.ssrc: the round trip to the DLRR's sender. */
		int64_t rtt;

		e = find(t, ri->dlrr[i].ssrc);
		if (!e)
			continue;
		rtt = round_trip(e->rrtr, ri->dlrr[i].lrr, ri->dlrr[i].dlrr, now_us);
		if (rtt != RTT_UNKNOWN)
			lookup(t, ri->dlrr[i].reporter)->leg_rtt_us = rtt;
	}
	for (unsigned int i = 0; i < ri->n_blocks && i < RTCP_MAX_BLOCKS; i++)
		report_block(t, &ri->blocks[i], now_us);
	pthread_mutex_unlock(&t->lock);
}

static void mos_fields(struct barena *a, struct bnode *d, const struct ssrc_sample *s)
{
	bn_dict_add_int(a, d, "MOS", s->mos);
	bn_dict_add_int(a, d, "round-trip time", s->rtt_us);
	bn_dict_add_int(a, d, "round-trip time leg", s->rtt_leg_us);
	bn_dict_add_int(a, d, "jitter", s->jitter_ms);
	bn_dict_add_int(a, d, "packet loss", s->loss_pct);
}

static struct bnode *mos_entry(struct barena *a, const struct ssrc_sample *s)
{
	struct bnode *d = bn_dict(a);

	if (d) {
		mos_fields(a, d, s);
		bn_dict_add_int(a, d, "reported at", s->reported);
	}
	return d;
}

static long long avg(uint64_t sum, uint64_t n)
{
	return (long long)((sum + n / 2) / n);
}

static void report_average(struct barena *a, struct bnode *ent, const struct ssrc_entry *e)
{
	struct bnode *d = bn_dict_add(a, ent, "average MOS", bn_dict(a));
	uint64_t n = e->n_samples;

	if (!d)
		return;
	bn_dict_add_int(a, d, "MOS", avg(e->sum_mos, n));
	bn_dict_add_int(a, d, "round-trip time", avg(e->sum_rtt, n));
	bn_dict_add_int(a, d, "round-trip time leg", avg(e->sum_rtt_leg, n));
	bn_dict_add_int(a, d, "jitter", avg(e->sum_jitter, n));
	bn_dict_add_int(a, d, "packet loss", avg(e->sum_loss, n));
	bn_dict_add_int(a, d, "samples", (long long)n);
}

/* About PROGRESSION_STEPS entries: one per interval (a tenth of the span) as rtpengine picks
 * them, or evenly by index when the span is under PROGRESSION_STEPS seconds. */
static void report_progression(struct barena *a, struct bnode *ent, const struct ssrc_entry *e)
{
	struct bnode *prog = bn_dict_add(a, ent, "MOS progression", bn_dict(a)), *list;
	const struct ssrc_sample *k = e->kept;
	unsigned int n = e->kept ? e->n_kept : 0, step;
	uint32_t interval = 0, next;

	if (!prog)
		return;
	if (n)
		interval = (k[n - 1].reported - k[0].reported) / PROGRESSION_STEPS;
	bn_dict_add_int(a, prog, "interval", interval);
	list = bn_dict_add(a, prog, "entries", bn_list(a));
	if (!list || !n)
		return;
	if (interval) {
		next = k[0].reported;
		for (unsigned int i = 0; i < n; i++) {
			if (k[i].reported < next)
				continue;
			next = k[i].reported + interval;
			bn_list_append(list, mos_entry(a, &k[i]));
		}
		return;
	}
	step = (n + PROGRESSION_STEPS - 1) / PROGRESSION_STEPS;
	for (unsigned int i = 0; i < n; i += step)
		bn_list_append(list, mos_entry(a, &k[i]));
}

void ssrc_table_report(struct ssrc_table *t, struct barena *a, struct bnode *dict)
{
	if (!t || !a || !dict || dict->type != BN_DICT)
		return;
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < SSRC_MAX; i++) {
		const struct ssrc_entry *e = &t->e[i];
		struct bnode *ent;
		char key[12];

		if (!e->used || (!e->n_samples && !e->has_counts))
			continue;
		snprintf(key, sizeof(key), "%u", e->ssrc);
		if (bn_dict_get(dict, key))
			continue;
		ent = bn_dict_add(a, dict, key, bn_dict(a));
		if (!ent)
			break;
		if (e->n_samples) {
			bn_dict_add_int(a, ent, "cumulative loss", e->cum_lost);
			report_average(a, ent, e);
			bn_dict_add(a, ent, "lowest MOS", mos_entry(a, &e->lowest));
			bn_dict_add(a, ent, "highest MOS", mos_entry(a, &e->highest));
			report_progression(a, ent, e);
		}
		if (e->has_counts) {
			bn_dict_add_int(a, ent, "packets", e->packets);
			bn_dict_add_int(a, ent, "bytes", e->octets);
		}
	}
	pthread_mutex_unlock(&t->lock);
}
