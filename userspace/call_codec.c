// SPDX-License-Identifier: GPL-2.0-only
/* Codec negotiation and transcoding, as rtpengine's codec options define it: the offer adds
 * the codecs the relay will transcode to (transcode) and hides others (mask, consume), the
 * answer decides per direction which payload types pass unchanged and which go through a
 * transcoder in the stream's worker. Control thread only. */
#include "call.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static bool is_event(const struct media_codec *c)
{
	return c->def && c->def->id == CODEC_TELEPHONE_EVENT;
}

static bool is_audio(const struct media_codec *c)
{
	return !c->def || (c->def->id != CODEC_TELEPHONE_EVENT && c->def->id != CODEC_CN);
}

static bool transcodable(const struct media_codec *c)
{
	return c->def && c->def->transcodable;
}

static unsigned int clock_of(const struct media_codec *c)
{
	return c->sc.rate ? c->sc.rate : c->def ? c->def->clock_rate : 8000;
}

void media_codec_fill(struct media_codec *c, const struct sdp_codec *sc)
{
	memset(c, 0, sizeof(*c));
	c->sc = *sc;
	c->def = codec_find(sc->name, strlen(sc->name), sc->rate, sc->channels);
}

static bool list_all(const struct sdp_codec_list *l)
{
	static const struct sdp_codec any = {.name = ""};

	/* Only "all"/"full" match a codec without a name. */
	return sdp_codec_list_match(l, &any);
}

bool codec_opts_transcode(const struct call_opts *o)
{
	return o->codec.transcode.n || o->codec.mask.n || o->codec.consume.n || o->codec.accept.n ||
	       o->ptime || o->ptime_reverse;
}

static const struct media_codec *find_pt(const struct media_codec *c, unsigned int n, int pt)
{
	for (unsigned int i = 0; i < n; i++)
		if (c[i].sc.pt == pt)
			return &c[i];
	return NULL;
}

/* A payload type free in both lists: the static one when it has one, else 96..127. */
static int free_pt(const struct media_codecs *to, const struct media_codecs *from, int want)
{
	if (want >= 0 && !find_pt(to->offered, to->n_offered, want) &&
	    !find_pt(from->offered, from->n_offered, want))
		return want;
	for (int pt = 96; pt < 128; pt++)
		if (!find_pt(to->offered, to->n_offered, pt) &&
		    !find_pt(from->offered, from->n_offered, pt))
			return pt;
	return -1;
}

static int add_relay_codec(struct media_codecs *to, const struct media_codecs *from,
			   const struct codec_def *def, const struct sdp_codec_spec *sp)
{
	struct media_codec *c;
	int pt = free_pt(to, from, def->static_pt);

	if (pt < 0 || to->n_offered >= MEDIA_MAX_CODECS)
		return -E2BIG;
	c = &to->offered[to->n_offered++];
	memset(c, 0, sizeof(*c));
	c->def = def;
	c->relay = true;
	c->bitrate = sp->bitrate;
	c->ptime = sp->ptime;
	c->sc.pt = (uint8_t)pt;
	snprintf(c->sc.name, sizeof(c->sc.name), "%s", def->name);
	c->sc.rate = sp->rate ? sp->rate : def->clock_rate;
	c->sc.channels = sp->channels ? sp->channels : def->channels;
	snprintf(c->sc.fmtp, sizeof(c->sc.fmtp), "%s",
		 *sp->fmtp   ? sp->fmtp
		 : def->fmtp ? def->fmtp
			     : "");
	return 0;
}

static void rtpmap_text(const struct media_codec *c, char *buf, size_t len)
{
	if (c->sc.channels > 1)
		snprintf(buf, len, "%s/%u/%u", c->sc.name, clock_of(c), c->sc.channels);
	else
		snprintf(buf, len, "%s/%u", c->sc.name, clock_of(c));
}

/* Writes list as sm's formats: codecs the SDP had keep their own lines, the relay's get
 * a=rtpmap (and a=fmtp). own(c) says which is which. */
static int write_fmts(struct sdp_media *sm, const struct media_codec *list, unsigned int n,
		      bool (*own)(const struct media_codec *c))
{
	static char rtpmap[MEDIA_MAX_CODECS][64];
	struct sdp_fmt f[MEDIA_MAX_CODECS];

	for (unsigned int i = 0; i < n; i++) {
		f[i].pt = list[i].sc.pt;
		f[i].rtpmap = NULL;
		f[i].fmtp = NULL;
		if (own(&list[i]))
			continue;
		rtpmap_text(&list[i], rtpmap[i], sizeof(rtpmap[i]));
		f[i].rtpmap = rtpmap[i];
		f[i].fmtp = list[i].sc.fmtp;
	}
	return sdp_media_set_fmts(sm, f, n);
}

static bool not_relay(const struct media_codec *c)
{
	return !c->relay;
}

/* Adds what the transcode names ask for that the offer does not have; telephone-event at each
 * new clock rate when the offerer sends events. */
static int offer_transcode(const struct call_opts *o, struct media_codecs *from,
			   struct media_codecs *to, const char **warning)
{
	static char warn[160];
	const struct media_codec *te = NULL;
	struct sdp_codec_spec sp;
	bool can_decode = false;

	for (unsigned int i = 0; i < from->n_offered; i++) {
		if (is_event(&from->offered[i]) && !te)
			te = &from->offered[i];
		can_decode |= transcodable(&from->offered[i]);
	}
	for (unsigned int k = 0; k < o->codec.transcode.n; k++) {
		const struct codec_def *def;
		bool have = false;

		if (sdp_codec_spec_parse(o->codec.transcode.name[k].s,
					 o->codec.transcode.name[k].len, &sp) ||
		    !(def = codec_find(sp.name, strlen(sp.name), sp.rate, sp.channels)) ||
		    !def->transcodable || !can_decode) {
			snprintf(warn, sizeof(warn), "Codec '%.*s' not transcoded: %s",
				 (int)o->codec.transcode.name[k].len, o->codec.transcode.name[k].s,
				 can_decode ? "not supported"
					    : "no offered codec to transcode from");
			*warning = warn;
			continue;
		}
		for (unsigned int i = 0; i < to->n_offered; i++)
			have |= to->offered[i].def == def;
		if (have)
			continue;
		if (add_relay_codec(to, from, def, &sp))
			return -E2BIG;
	}
	if (!te)
		return 0;
	/* Events at every audio clock rate the recipient may pick. */
	for (unsigned int i = 0; i < to->n_offered; i++) {
		const struct media_codec *c = &to->offered[i];
		bool have = false;

		if (!c->relay || !is_audio(c))
			continue;
		for (unsigned int j = 0; j < to->n_offered; j++)
			have |= is_event(&to->offered[j]) &&
				clock_of(&to->offered[j]) == clock_of(c);
		if (have)
			continue;
		memset(&sp, 0, sizeof(sp));
		sp.rate = clock_of(c);
		snprintf(sp.fmtp, sizeof(sp.fmtp), "%s", te->sc.fmtp);
		if (add_relay_codec(to, from, te->def, &sp))
			return -E2BIG;
	}
	return 0;
}

/* Events at a clock rate no audio codec of the list has go (a mask took that codec away). */
static void prune_events(struct media_codecs *mc)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < mc->n_offered; i++) {
		bool keep = !is_event(&mc->offered[i]);

		for (unsigned int j = 0; j < mc->n_offered && !keep; j++)
			keep = is_audio(&mc->offered[j]) &&
			       clock_of(&mc->offered[j]) == clock_of(&mc->offered[i]);
		if (keep)
			mc->offered[k++] = mc->offered[i];
	}
	mc->n_offered = k;
}

int media_codec_offer(struct sdp_media *sm, const struct call_opts *o, struct media_codecs *from,
		      struct media_codecs *to, const char **err, const char **warning)
{
	struct sdp_codec before[MEDIA_MAX_CODECS], after[MEDIA_MAX_CODECS];
	size_t n_before, n_after;
	int ret;

	memset(from, 0, sizeof(*from));
	memset(to, 0, sizeof(*to));
	n_before = sdp_media_codec_list(sm, before, MEDIA_MAX_CODECS);
	ret = sdp_media_codecs(sm, &o->codec, err);
	if (ret || !n_before || strcmp(sm->type, "audio"))
		return ret;
	n_after = sdp_media_codec_list(sm, after, MEDIA_MAX_CODECS);
	/* The offerer's codecs: stripped ones are gone, masked ones stay for transcoding. */
	for (size_t i = 0; i < n_before; i++) {
		struct media_codec *c = &from->offered[from->n_offered];
		bool kept = false;

		for (size_t j = 0; j < n_after; j++)
			kept |= after[j].pt == before[i].pt;
		if (!kept && sdp_codec_list_match(&o->codec.strip, &before[i]))
			continue;
		media_codec_fill(c, &before[i]);
		c->masked = !kept;
		for (unsigned int k = 0; k < o->codec.set.n; k++) {
			struct sdp_codec_spec sp;

			if (sdp_codec_list_match(
				    &(struct sdp_codec_list){.n = 1,
							     .name[0] = o->codec.set.name[k]},
				    &before[i]) &&
			    !sdp_codec_spec_parse(o->codec.set.name[k].s, o->codec.set.name[k].len,
						  &sp))
				c->bitrate = sp.bitrate;
		}
		from->n_offered++;
	}
	for (size_t j = 0; j < n_after; j++)
		media_codec_fill(&to->offered[to->n_offered++], &after[j]);
	if (offer_transcode(o, from, to, warning)) {
		*err = "Too many codecs after codec options";
		return -EINVAL;
	}
	prune_events(to);
	if (!to->n_offered) {
		*err = "No codec left after codec options";
		return -EINVAL;
	}
	if ((ret = write_fmts(sm, to->offered, to->n_offered, not_relay))) {
		*err = "Out of memory";
		return ret;
	}
	if (o->ptime && (ret = sdp_media_set_ptime(sm, o->ptime))) {
		*err = "Out of memory";
		return ret;
	}
	from->always = to->always = list_all(&o->codec.accept);
	to->ptime = o->ptime;
	from->ptime = o->ptime_reverse;
	return 0;
}

int media_codec_take(struct media *m, const struct media_codecs *mc)
{
	struct media_codecs *c = m->codecs;

	if (!mc) {
		/* A transcoder the worker holds goes with the next cfg, which names none. */
		free(c);
		m->codecs = NULL;
		return 0;
	}
	if (!c && !(c = m->codecs = calloc(1, sizeof(*c))))
		return -ENOMEM;
	/* What the answer decided stays until the next answer. */
	memcpy(c->offered, mc->offered, sizeof(c->offered));
	c->n_offered = mc->n_offered;
	c->always = mc->always;
	c->ptime = mc->ptime;
	return 0;
}

static void pt_set(uint32_t *bits, unsigned int pt)
{
	bits[(pt & 127) / 32] |= 1u << (pt % 32);
}

static bool same_codec(const struct media_codec *a, const struct media_codec *b)
{
	return a->sc.pt == b->sc.pt && !strcasecmp(a->sc.name, b->sc.name) &&
	       clock_of(a) == clock_of(b);
}

/* Translated byte for byte (XDP can do it), keeping the packets' headers. */
static bool g711_only(const struct tc_params *p)
{
	return tc_params_g711(p) && !p->out.ptime;
}

/* What the RTP s sends on to r becomes: payload types r takes as they are pass, the others
 * are transcoded into r's first codec (all of them with always-transcode or a ptime). */
static void plan(struct media_codecs *s, const struct media_codecs *r)
{
	const struct media_codec *out = NULL, *s_te = NULL, *r_te = NULL;
	bool force = s->always || r->ptime;
	struct tc_params p = {0};
	uint32_t pass[4] = {0};

	for (unsigned int i = 0; i < r->n_neg && !out; i++)
		if (is_audio(&r->neg[i]) && transcodable(&r->neg[i]))
			out = &r->neg[i];
	for (unsigned int i = 0; i < s->n_neg; i++) {
		const struct media_codec *c = &s->neg[i], *same = NULL;

		for (unsigned int j = 0; j < r->n_neg && !same; j++)
			if (same_codec(c, &r->neg[j]))
				same = &r->neg[j];
		if (is_event(c)) {
			s_te = s_te ? s_te : c;
			continue;
		}
		if (same && (!force || !is_audio(c) || !transcodable(c) || !out)) {
			pt_set(pass, c->sc.pt);
			continue;
		}
		if (!is_audio(c) || !transcodable(c) || !out || p.n_in >= TC_MAX_IN) {
			pt_set(pass, c->sc.pt); /* the relay cannot help: as it is */
			continue;
		}
		p.in[p.n_in++] = (struct tc_codec){.id = c->def->id, .pt = c->sc.pt};
	}
	if (!p.n_in) {
		s->rx_set = false;
		return;
	}
	p.out = (struct tc_codec){
		.id = out->def->id, .pt = out->sc.pt, .ptime = r->ptime ? r->ptime : out->ptime};
	if (out->def->id == CODEC_OPUS && p.out.ptime) /* the frame sizes libopus makes */
		p.out.ptime = p.out.ptime <= 15	  ? 10
			      : p.out.ptime <= 30 ? 20
			      : p.out.ptime <= 50 ? 40
						  : 60;
	if (out->def->id == CODEC_OPUS)
		codec_opus_fmtp(out->sc.fmtp, strlen(out->sc.fmtp), &p.out.opus);
	if (out->bitrate)
		p.out.opus.bitrate = out->bitrate;
	for (unsigned int i = 0; i < r->n_neg; i++)
		if (is_event(&r->neg[i]) && (!r_te || (clock_of(&r->neg[i]) == clock_of(out) &&
						       clock_of(r_te) != clock_of(out))))
			r_te = &r->neg[i];
	p.dtmf_in_pt = s_te ? s_te->sc.pt : -1;
	p.dtmf_in_clock = s_te ? clock_of(s_te) : 8000;
	p.dtmf_out_pt = s_te && r_te ? r_te->sc.pt : -1;
	p.dtmf_out_clock = r_te ? clock_of(r_te) : 8000;
	/* Events keep their header where the audio does. */
	if (s_te && r_te && same_codec(s_te, r_te) && g711_only(&p))
		pt_set(pass, s_te->sc.pt);
	/* The same work as before keeps its stream (SSRC, sequence) and transcoder. */
	if (s->rx_set && tc_params_same(&p, &s->rx) && !memcmp(pass, s->pt_pass, sizeof(pass)))
		return;
	if (getrandom(&p.ssrc, sizeof(p.ssrc), 0) != sizeof(p.ssrc) ||
	    getrandom(&p.seq, sizeof(p.seq), 0) != sizeof(p.seq) ||
	    getrandom(&p.ts, sizeof(p.ts), 0) != sizeof(p.ts))
		p.ssrc ^= (uint32_t)(uintptr_t)s; /* not secret: only needs to differ */
	s->rx = p;
	s->rx_set = true;
	memcpy(s->pt_pass, pass, sizeof(pass));
	s->ctx_made = false; /* the next cfg brings a new transcoder */
}

/* Answer to the offerer: the answerer's codecs it was offered, and when the answerer picked
 * a codec the relay added, the offerer's first codec the relay transcodes (and its events). */
static int answer_list(const struct media_codecs *a, const struct media_codec *bneg,
		       unsigned int nb, struct media_codec *aneg, unsigned int *na_out,
		       const char **err)
{
	bool relay_audio = false, relay_events = false, have_audio = false, have_events = false;
	unsigned int na = 0;

	for (unsigned int i = 0; i < nb; i++) {
		if (bneg[i].relay) {
			relay_audio |= is_audio(&bneg[i]);
			relay_events |= is_event(&bneg[i]);
			continue;
		}
		aneg[na] = bneg[i];
		have_audio |= is_audio(&bneg[i]) && transcodable(&bneg[i]);
		have_events |= is_event(&bneg[i]);
		na++;
	}
	if (relay_audio && !have_audio) {
		const struct media_codec *t = NULL;

		for (unsigned int i = 0; i < a->n_offered && !t; i++)
			if (is_audio(&a->offered[i]) && transcodable(&a->offered[i]))
				t = &a->offered[i];
		if (!t) {
			*err = "No codec of the offerer to transcode to";
			return -EINVAL;
		}
		aneg[na] = *t;
		aneg[na++].relay = true; /* the answerer never named it: the relay writes it */
	}
	if ((relay_events || relay_audio) && !have_events)
		for (unsigned int i = 0; i < a->n_offered; i++)
			if (is_event(&a->offered[i]) && na < MEDIA_MAX_CODECS) {
				aneg[na] = a->offered[i];
				aneg[na++].relay = true;
				break;
			}
	*na_out = na;
	return 0;
}

/* single-codec: the first codec and the events. */
static unsigned int single(struct media_codec *c, unsigned int n)
{
	unsigned int k = 0;
	bool first = true;

	for (unsigned int i = 0; i < n; i++)
		if (is_event(&c[i]) || first) {
			first = first && is_event(&c[i]);
			c[k++] = c[i];
		}
	return k;
}

static bool answered(const struct media_codec *c)
{
	return !c->relay;
}

int media_codec_answer(struct media *my, struct media *mx, struct sdp_media *sm,
		       const struct call_opts *o, const char **err)
{
	struct media_codecs *b = my->codecs, *a = mx->codecs;
	struct media_codec bneg[MEDIA_MAX_CODECS], aneg[MEDIA_MAX_CODECS];
	struct sdp_codec ans[MEDIA_MAX_CODECS];
	unsigned int nb = 0, na = 0;
	size_t n;

	n = sdp_media_codec_list(sm, ans, MEDIA_MAX_CODECS);
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct media_codec *off =
			b ? find_pt(b->offered, b->n_offered, ans[i].pt) : NULL;

		if (b && !off) {
			*err = "Answer picks a codec that was not offered";
			return -EINVAL;
		}
		if (!ans[i].name[0] && off) {
			/* a dynamic type answered without a=rtpmap: what was offered on it */
			memcpy(ans[i].name, off->sc.name, sizeof(ans[i].name));
			ans[i].rate = off->sc.rate;
			ans[i].channels = off->sc.channels;
		}
		media_codec_fill(&bneg[nb], &ans[i]);
		bneg[nb].relay = off && off->relay;
		bneg[nb].bitrate = off ? off->bitrate : 0;
		bneg[nb].ptime = off ? off->ptime : 0;
		nb++;
	}
	if (!a || !b) {
		if (!o->single_codec)
			return 0;
		nb = single(bneg, nb);
		return write_fmts(sm, bneg, nb, answered) ? (*err = "Out of memory", -ENOMEM) : 0;
	}
	if (answer_list(a, bneg, nb, aneg, &na, err))
		return -EINVAL;
	if (o->single_codec)
		na = single(aneg, na);
	if (write_fmts(sm, aneg, na, answered) || (a->ptime && sdp_media_set_ptime(sm, a->ptime))) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	memcpy(b->neg, bneg, nb * sizeof(bneg[0]));
	b->n_neg = nb;
	memcpy(a->neg, aneg, na * sizeof(aneg[0]));
	a->n_neg = na;
	plan(a, b);
	plan(b, a);
	return 0;
}

void media_codec_cfg(struct media *m, int comp, struct stream_cfg *sc)
{
	struct media_codecs *c = m->codecs;
	const char *err = NULL;

	if (!c || !c->rx_set)
		return;
	sc->rtcp_own = true;
	if (comp != COMP_RTP)
		return;
	if (!c->ctx_made) {
		/* The worker frees the transcoder this cfg replaces. */
		c->ctx = transcoder_new(&c->rx, &err);
		if (!c->ctx)
			log_err("[%s] transcoder for media %u of '%s' failed: %s; its packets go "
				"unchanged",
				m->ml->call->call_id, m->index, m->ml->tag, err);
		c->ctx_made = true;
	}
	sc->xcode = c->ctx;
	memcpy(sc->pt_pass, c->pt_pass, sizeof(sc->pt_pass));
	sc->tc_in_clock = codec_get(c->rx.in[0].id)->clock_rate;
	sc->tc_out_clock = codec_get(c->rx.out.id)->clock_rate;
}

void media_codec_forget(struct media *m)
{
	if (!m->codecs)
		return;
	m->codecs->ctx = NULL;
	m->codecs->ctx_made = false;
}

const uint32_t *media_codec_kernel(const struct media *m, uint8_t *xl, uint8_t *pt_in,
				   uint8_t *pt_out)
{
	static uint32_t allow[4];
	const struct media_codecs *c = m->codecs;

	*xl = *pt_in = *pt_out = 0;
	if (!c || !c->rx_set)
		return NULL;
	memcpy(allow, c->pt_pass, sizeof(allow));
	/* One G.711 in, the other out: the XDP program translates it. */
	if (g711_only(&c->rx) && c->rx.n_in == 1 && c->rx.in[0].id != c->rx.out.id) {
		*xl = c->rx.out.id == CODEC_PCMA ? XR_XLATE_ULAW_ALAW : XR_XLATE_ALAW_ULAW;
		*pt_in = c->rx.in[0].pt;
		*pt_out = c->rx.out.pt;
		pt_set(allow, *pt_in);
	}
	return allow;
}

int media_codec_restore(struct media *m, const struct media_codecs *mc)
{
	if (!m->codecs && !(m->codecs = calloc(1, sizeof(*m->codecs))))
		return -ENOMEM;
	*m->codecs = *mc;
	m->codecs->rx_set = false;
	m->codecs->ctx = NULL;
	m->codecs->ctx_made = false;
	return 0;
}

void media_codec_replan(struct media *m)
{
	struct media *p = media_peer(m);

	if (m->codecs && p && p->codecs && m->codecs->n_neg && p->codecs->n_neg)
		plan(m->codecs, p->codecs);
}

const struct tc_params *media_codec_transcoding(const struct media *m)
{
	return m->codecs && m->codecs->rx_set ? &m->codecs->rx : NULL;
}

const struct tc_stats *media_codec_stats(const struct media *m)
{
	/* The worker frees only a transcoder a later cfg replaced: this one is current. */
	return m->codecs && m->codecs->rx_set && m->codecs->ctx ? transcoder_stats(m->codecs->ctx)
								: NULL;
}
