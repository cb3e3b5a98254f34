// SPDX-License-Identifier: GPL-2.0-only
/* Calls: the offer/answer state machine, the relay ports of each side, delete and timeouts.
 * Runs on the control thread only; the media workers see streams through messages. */
#include "call.h"

#include "load.h"
#include "log.h"
#include "call_state.h"
#include "ports.h"
#include "ssrc.h"
#include "worker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define HBUCKETS 65536

static const struct config *cfg;
static struct port_pool pool;
static struct call_totals totals;
static struct call *htab[HBUCKETS];
static struct call *lhead, *ltail;
static struct call *dead; /* terminated, freed at the next tick */
static bool detaching;	  /* calls_detach: calls are saved for the next run, not ended */
static unsigned long n_calls;
static char errbuf[256];

static unsigned int hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % HBUCKETS;
}

int calls_init(const struct config *c)
{
	int ret;

	cfg = c;
	ret = ports_init(&pool, c->port_min, c->port_max, c->port_quarantine);
	if (ret)
		log_err("port range %u-%u: %s", c->port_min, c->port_max, strerror(-ret));
	return ret;
}

void calls_refused(void)
{
	totals.rejected++;
}

const struct config *calls_config(void)
{
	return cfg;
}

const struct call_totals *calls_totals(void)
{
	return &totals;
}

const struct port_pool *calls_ports(void)
{
	return &pool;
}

unsigned long calls_count(void)
{
	return n_calls;
}

unsigned long calls_transcoded(void)
{
	unsigned long n = 0;

	for (struct call *c = lhead; c; c = c->lnext)
		for (unsigned int i = 0; i < c->n_mls; i++)
			for (unsigned int j = 0; j < c->mls[i]->n_media; j++)
				n += media_codec_transcoding(c->mls[i]->media[j]) != NULL;
	return n;
}

struct call *call_first(void)
{
	return lhead;
}

struct call *call_next(const struct call *c)
{
	return c->lnext;
}

struct call *call_lookup(const char *call_id)
{
	for (struct call *c = htab[hash_str(call_id)]; c; c = c->hnext)
		if (!strcmp(c->call_id, call_id))
			return c;
	return NULL;
}

/* restored: a call of an earlier run (call_state.c), not a new one. */
static struct call *call_new(const char *call_id, bool restored)
{
	struct call *c = calloc(1, sizeof(*c));
	unsigned int h = hash_str(call_id);
	struct timeval tv;

	if (!c || !(c->call_id = strdup(call_id)) || !(c->ssrc = ssrc_table_new())) {
		if (c)
			free(c->call_id);
		free(c);
		return NULL;
	}
	gettimeofday(&tv, NULL);
	c->created = tv.tv_sec;
	c->created_us = tv.tv_usec; /* rtpengine: the microseconds within "created" */
	c->last_signal = tv.tv_sec;
	c->worker = worker_pick();
	c->hnext = htab[h];
	htab[h] = c;
	c->lprev = ltail;
	if (ltail)
		ltail->lnext = c;
	else
		lhead = c;
	ltail = c;
	n_calls++;
	if (restored)
		return c;
	totals.managed++;
	log_info("[%s] new call", call_id);
	return c;
}

static struct monologue *ml_find(const struct call *c, const char *tag)
{
	for (unsigned int i = 0; i < c->n_mls; i++)
		if (!strcmp(c->mls[i]->tag, tag))
			return c->mls[i];
	return NULL;
}

static struct monologue *ml_new(struct call *c, const char *tag)
{
	struct monologue *ml = calloc(1, sizeof(*ml));
	struct monologue **mls = realloc(c->mls, (c->n_mls + 1) * sizeof(*mls));

	if (mls)
		c->mls = mls;
	if (!ml || !mls || !(ml->tag = strdup(tag))) {
		free(ml);
		return NULL;
	}
	ml->call = c;
	ml->created = time(NULL);
	c->mls[c->n_mls++] = ml;
	return ml;
}

static struct media *media_get(struct monologue *ml, unsigned int idx)
{
	struct media **arr;
	struct media *m;

	if (idx < ml->n_media)
		return ml->media[idx];
	arr = realloc(ml->media, (idx + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	ml->media = arr;
	while (ml->n_media <= idx) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return NULL;
		m->ml = ml;
		m->index = ml->n_media + 1;
		m->learn = -1;
		ml->media[ml->n_media++] = m;
	}
	return ml->media[idx];
}

struct media *media_peer(const struct media *m)
{
	const struct monologue *p = m->ml->peer;

	return p && m->index - 1 < p->n_media ? p->media[m->index - 1] : NULL;
}

struct stream *media_rtcp_target(const struct media *m)
{
	return m->rtcp_mux ? m->streams[COMP_RTP] : m->streams[COMP_RTCP];
}

static void media_push_cfg(struct media *m, bool relearn)
{
	struct media *p = media_peer(m);
	bool relay = p && !p->rejected && !m->rejected && p->streams[COMP_RTP];

	if (!m->streams[COMP_RTP])
		return;
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		struct stream_cfg sc = {
			.flags = m->stream_flags,
			.learn = m->learn >= 0 ? (enum learn_mode)m->learn : LEARN_HEURISTIC,
			.relearn = relearn,
			.gen = relearn ? ++m->gen[comp] : m->gen[comp],
		};

		if (!m->hold_any && !m->rejected)
			sc.expected = comp == COMP_RTP || m->rtcp_mux ? m->sdp_rtp : m->sdp_rtcp;
		if (relay) {
			sc.sink = comp == COMP_RTP ? p->streams[COMP_RTP] : media_rtcp_target(p);
			sc.sink_rtcp = media_rtcp_target(p);
		}
		media_crypto_cfg(m, comp, &sc);
		if (relay)
			media_codec_cfg(m, comp, &sc);
		worker_stream_update(m->streams[comp], &sc);
	}
	/* Either side's entries depend on both sides' addresses. */
	media_kernel_sync(m);
	if (p)
		media_kernel_sync(p);
}

/* The streams go back to their worker; a terminated call keeps pointing at them (for the
 * delete reply) until it is freed, which happens before they are reaped. */
static void media_release_ports(struct media *m, bool forget)
{
	media_kernel_remove(m);
	media_crypto_forget(m); /* the worker frees the contexts with the streams */
	media_codec_forget(m);
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		if (m->streams[comp] && !m->streams[comp]->removing) {
			m->streams[comp]->removing = true;
			worker_stream_remove(m->streams[comp]);
		}
		if (forget)
			m->streams[comp] = NULL;
	}
	if (forget)
		m->port = 0;
}

/* Binds a pair, the one at want for a restored media (0: any), and hands its streams to the
 * worker. A restored media brings its stream objects, preset with what they had learned. */
static int media_alloc_ports(struct media *m, uint16_t want)
{
	int fds[2];
	uint16_t port = want;
	int ret;

	ret = want ? ports_alloc_at(&pool, &m->iface->local, want, fds)
		   : ports_alloc(&pool, &m->iface->local, fds, &port);
	if (ret)
		return ret;
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		struct stream *s = m->streams[comp] ? m->streams[comp] : calloc(1, sizeof(*s));

		if (!s) {
			/* The RTP stream, if made, is owned by its worker already. */
			close(fds[comp]);
			if (comp == COMP_RTCP)
				media_release_ports(m, true);
			else
				close(fds[COMP_RTCP]);
			ports_release(&pool, port);
			return -ENOMEM;
		}
		s->fd = fds[comp];
		s->local = m->iface->local;
		ep_set_port(&s->local, (uint16_t)(port + comp));
		s->component = (enum stream_component)comp;
		s->worker = m->ml->call->worker;
		s->owner = m;
		s->ssrc = m->ml->call->ssrc;
		ssrc_table_get(s->ssrc);
		m->streams[comp] = s;
		worker_stream_add(s, &(struct stream_cfg){0});
	}
	m->port = port;
	return 0;
}

static const struct cfg_iface *pick_iface(const char *name, int family)
{
	const struct cfg_iface *by_name = NULL, *by_family = NULL;

	for (int i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ifc = &cfg->ifaces[i];
		bool name_ok = !name || !strcmp(ifc->name, name);
		bool fam_ok = !family || ep_family(&ifc->local) == family;

		if (name_ok && fam_ok)
			return ifc;
		if (name_ok && !by_name)
			by_name = ifc;
		if (fam_ok && !by_family)
			by_family = ifc;
	}
	if (by_name)
		return by_name;
	return by_family ? by_family : &cfg->ifaces[0];
}

/* Makes sure m has relay ports on ifc; keeps the ones it has when the interface is the same. */
static int media_ports(struct media *m, const struct cfg_iface *ifc)
{
	if (m->streams[COMP_RTP] && m->iface == ifc)
		return 0;
	if (m->streams[COMP_RTP]) {
		struct media *p = media_peer(m);

		m->rejected = true; /* the peer must stop sending into the old sockets first */
		if (p)
			media_push_cfg(p, false);
		media_release_ports(m, true);
		m->rejected = false;
	}
	m->iface = ifc;
	return media_alloc_ports(m, 0);
}

/* Records what this party's SDP says about where it receives. Returns true when changed. */
static bool media_take_sdp(struct media *m, const struct sdp *s, const struct sdp_media *sm,
			   const struct call_opts *o)
{
	const struct sdp_conn *conn = sdp_media_conn(s, sm);
	struct endpoint rtp = {0}, rtcp = {0};
	bool changed;

	snprintf(m->type, sizeof(m->type), "%s", sm->type);
	snprintf(m->proto, sizeof(m->proto), "%s", sm->proto);
	m->rejected = sm->port == 0;
	m->offered_mux = sm->rtcp_mux;
	m->dir = sdp_media_dir(s, sm);
	m->hold_any = conn && ep_is_any(&conn->addr);
	m->stream_flags = o->stream_flags;
	m->learn = o->learn;
	if (conn && !m->rejected) {
		rtp = conn->addr;
		if (ep_is_set(&o->media_address))
			rtp = o->media_address;
		else if (o->sip_source_address && ep_is_set(&o->received_from))
			rtp = o->received_from;
		ep_set_port(&rtp, sm->port);
		rtcp = rtp;
		if (sm->rtcp_port && sm->rtcp_conn.present && !ep_is_set(&o->media_address) &&
		    !o->sip_source_address)
			rtcp = sm->rtcp_conn.addr;
		ep_set_port(&rtcp, sm->rtcp_port ? sm->rtcp_port : (uint16_t)(sm->port + 1));
	}
	changed = !ep_eq(&rtp, &m->sdp_rtp) || !ep_eq(&rtcp, &m->sdp_rtcp);
	m->sdp_rtp = rtp;
	m->sdp_rtcp = rtcp;
	return changed;
}

static const char *__attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

static bool has_conn(const struct sdp *s)
{
	for (size_t i = 0; i < s->n_media; i++)
		if (s->media[i].port && !sdp_media_conn(s, &s->media[i]))
			return false;
	return true;
}

/* The a=crypto values one media of an SDP the relay sends gets (call_crypto.c). */
struct crypto_out {
	bool set; /* replace the media's a=crypto lines with lines[0..n) */
	size_t n;
	char lines[2 * SDES_MAX_CRYPTO][SDES_MAX_LINE_LEN];
	const char *ptr[2 * SDES_MAX_CRYPTO];
};

/* The crypto lines of the SDP being written, per media: the control thread's alone, and static
 * so that an offer does not allocate (and free) 16 kB per media. */
static struct crypto_out crypto_out[SDP_MAX_MEDIA];

static struct crypto_out *crypto_out_reset(size_t n_media)
{
	for (size_t i = 0; i < n_media; i++) {
		crypto_out[i].set = false;
		crypto_out[i].n = 0;
	}
	return crypto_out;
}

/* Writes the SDP for `to` (the party that receives it) from `from`'s SDP s, with the crypto
 * lines co[] (one per media). */
static char *write_sdp(struct sdp *s, struct monologue *from, struct monologue *to, bool offer,
		       const struct call_opts *o, struct crypto_out *co)
{
	struct sdp_rewrite_media *rm = calloc(s->n_media ? s->n_media : 1, sizeof(*rm));
	struct sdp_rewrite rw = {.n_media = s->n_media, .media = rm};
	char *out = NULL;
	size_t len;

	if (!rm)
		return NULL;
	for (size_t i = 0; i < s->n_media; i++) {
		const struct media *mt = to->media[i], *mf = from->media[i];

		rm[i].rejected = mt->rejected || mf->rejected || !mt->port;
		/* A media rejected from the start never got an interface. */
		rm[i].addr = (mt->iface ? mt->iface : &cfg->ifaces[0])->advertised;
		rm[i].keep_any_addr = mf->hold_any;
		rm[i].rtp_port = mt->port;
		/* An offer of mux keeps a separate RTCP port as the fallback (RFC 5761). */
		rm[i].rtcp_port = mt->rtcp_mux && !offer ? mt->port : (uint16_t)(mt->port + 1);
		rm[i].rtcp_mux = mt->rtcp_mux;
		rm[i].proto = mt->proto[0] ? mt->proto : NULL;
		rm[i].set_crypto = co[i].set;
		for (size_t k = 0; k < co[i].n; k++)
			co[i].ptr[k] = co[i].lines[k];
		rm[i].crypto = co[i].ptr;
		rm[i].n_crypto = co[i].n;
	}
	rw.replace_origin = o->replace_origin;
	if (o->replace_sdp_version || o->force_increment_sdp_version) {
		rw.set_version = true;
		if (!from->version_set)
			from->version_out = s->origin_version;
		else if (o->force_increment_sdp_version)
			from->version_out++;
		from->version_set = true;
		rw.version = from->version_out;
	}
	if (sdp_rewrite(s, &rw))
		goto out;
	out = sdp_print(s, &len);
	if (out && rw.set_version && !o->force_increment_sdp_version && from->last_out &&
	    strcmp(from->last_out, out)) {
		/* Something changed since the last SDP we sent: the version must move on. */
		rw.version = ++from->version_out;
		free(out);
		out = sdp_rewrite(s, &rw) ? NULL : sdp_print(s, &len);
	}
	if (out) {
		free(from->last_out);
		from->last_out = strdup(out);
	}
out:
	free(rm);
	return out;
}

static void ml_free(struct monologue *ml)
{
	for (unsigned int i = 0; i < ml->n_media; i++) {
		free(ml->media[i]->crypto);
		free(ml->media[i]->codecs);
		free(ml->media[i]);
	}
	free(ml->media);
	free(ml->tag);
	free(ml->via_branch);
	free(ml->last_out);
	free(ml);
}

/* Stops the streams of ml: its peer stops sending to them first. */
static void ml_stop(struct monologue *ml, bool forget)
{
	struct monologue *p = ml->peer;

	if (p && p->peer == ml) {
		p->peer = NULL;
		for (unsigned int i = 0; i < p->n_media; i++)
			media_push_cfg(p->media[i], false);
	}
	ml->peer = NULL;
	for (unsigned int i = 0; i < ml->n_media; i++)
		media_push_cfg(ml->media[i], false);
	for (unsigned int i = 0; i < ml->n_media; i++)
		media_release_ports(ml->media[i], forget);
}

void media_stats(struct media *m, int comp, struct endpoint *learned, struct stream_stats *st,
		 bool kernel)
{
	stream_snapshot(m->streams[comp], learned, st);
	if (kernel)
		media_kernel_stats(m, comp, st, true);
}

/* Every stream of the call, live or kept for the delete reply. */
#define call_for_each_stream(c, m, comp)                                    \
	for (unsigned int i_ = 0; i_ < (c)->n_mls; i_++)                    \
		for (unsigned int j_ = 0; j_ < (c)->mls[i_]->n_media; j_++) \
			for (int comp = 0; comp < 2; comp++)                \
				if (((m) = (c)->mls[i_]->media[j_])->streams[comp])

time_t call_last_packet(struct call *c, bool kernel)
{
	struct stream_stats st;
	struct endpoint ep;
	struct media *m;
	time_t last = 0;

	call_for_each_stream(c, m, comp)
	{
		media_stats(m, comp, &ep, &st, kernel);
		if (st.last_packet > last)
			last = (time_t)st.last_packet;
	}
	return last;
}

static void call_sum(struct call *c, struct stream_stats *out, bool kernel)
{
	struct stream_stats st;
	struct endpoint ep;
	struct media *m;

	call_for_each_stream(c, m, comp)
	{
		media_stats(m, comp, &ep, &st, kernel);
#define X(f, n) out->f += st.f;
		XR_STREAM_COUNTERS(X)
#undef X
	}
}

void calls_sum(struct stream_stats *out, bool kernel)
{
	*out = totals.ended;
	for (struct call *c = lhead; c; c = c->lnext)
		call_sum(c, out, kernel);
}

/* Unhashes the call, stops its media and queues it for freeing at the next tick. */
static void call_unlink(struct call *c)
{
	struct call **pp = &htab[hash_str(c->call_id)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		lhead = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		ltail = c->lprev;
	n_calls--;
}

static void call_terminate(struct call *c, const char *why)
{
	call_unlink(c);
	call_state_changed(c); /* unhashed: its state goes */
	call_sum(c, &totals.ended, true);
	for (unsigned int i = 0; i < c->n_mls; i++)
		c->mls[i]->peer = NULL;
	for (unsigned int i = 0; i < c->n_mls; i++)
		ml_stop(c->mls[i], false);
	totals.duration_sum_s += (uint64_t)(time(NULL) - c->created);
	c->hnext = dead;
	dead = c;
	if (detaching)
		log_debug("[%s] call left to the next run", c->call_id);
	else
		log_info("[%s] call ended: %s", c->call_id, why);
}

static void call_free(struct call *c)
{
	for (unsigned int i = 0; i < c->n_mls; i++)
		ml_free(c->mls[i]);
	free(c->mls);
	free(c->call_id);
	ssrc_table_put(c->ssrc);
	free(c);
}

static const char *check_ids(const struct call_opts *o, bool need_sdp)
{
	if (!o->call_id || !*o->call_id)
		return "No call-id in message";
	if (!o->from_tag || !*o->from_tag)
		return "No from-tag in message";
	if (need_sdp && !o->sdp)
		return "No SDP body in message";
	return NULL;
}

static int parse_sdp(struct sdp *s, const struct call_opts *o, const char **err)
{
	const char *perr;

	if (sdp_parse(s, o->sdp, o->sdp_len, &perr)) {
		*err = fail("Failed to parse SDP: %s", perr);
		return -EINVAL;
	}
	if (!has_conn(s)) {
		sdp_free(s);
		*err = "Failed to parse SDP: no connection address for a media";
		return -EINVAL;
	}
	return 0;
}

/* The recipient of a re-offer, when the call exists. */
static struct monologue *reoffer_recipient(const struct call_opts *o)
{
	struct call *c = o->call_id ? call_lookup(o->call_id) : NULL;
	struct monologue *x = c && o->from_tag ? ml_find(c, o->from_tag) : NULL, *y = NULL;

	if (!x)
		return NULL;
	if (o->to_tag && *o->to_tag)
		y = ml_find(c, o->to_tag);
	return y ? y : x->peer;
}

/* The recipient's codecs from an earlier answer, for a re-offer without codec options. */
static const struct media_codecs *prior_codecs(const struct monologue *y, size_t i)
{
	if (!y || i >= y->n_media || !y->media[i]->codecs || !y->media[i]->codecs->n_neg)
		return NULL;
	return y->media[i]->codecs;
}

/* A re-offer without codec options keeps the transcoding an earlier offer set up: the
 * recipient is offered the codecs it negotiated (transcode), with its ptime and
 * always-transcode. Returns o's copy with those options (static: the control thread's). */
static struct call_opts *keep_codecs(const struct call_opts *o, const struct media_codecs *prior)
{
	static struct call_opts po;

	po = *o;
	for (unsigned int k = 0; k < prior->n_neg; k++) {
		const struct sdp_codec *sc = &prior->neg[k].sc;

		if (prior->neg[k].def && prior->neg[k].def->transcodable)
			sdp_codec_list_add(&po.codec.transcode, sc->name, strlen(sc->name));
	}
	if (prior->always)
		sdp_codec_list_add(&po.codec.accept, "all", 3);
	po.ptime = prior->ptime;
	return po.codec.transcode.n || po.ptime || prior->always ? &po : NULL;
}

char *call_offer(const struct call_opts *o, const char **err, const char **warning)
{
	struct monologue *x, *y = NULL, *recipient = NULL;
	struct crypto_out *co = NULL;
	struct media_codecs(*mc)[2] = NULL; /* offerer's, recipient's: per media */
	bool keep = false;
	struct call *c;
	bool created = false;
	struct sdp s;
	char *out = NULL;

	if ((*err = check_ids(o, true)))
		return NULL;
	if (parse_sdp(&s, o, err))
		return NULL;
	/* The codec options edit what the recipient is offered, before any state changes; a
	 * re-offer without them keeps the transcoding the recipient negotiated. */
	if (!codec_opts_transcode(o))
		recipient = reoffer_recipient(o);
	for (size_t i = 0; recipient && i < recipient->n_media && !keep; i++)
		keep = prior_codecs(recipient, i) != NULL;
	if ((codec_opts_transcode(o) || keep) && !(mc = calloc(s.n_media, sizeof(*mc)))) {
		sdp_free(&s);
		*err = "Out of memory";
		return NULL;
	}
	for (size_t i = 0; i < s.n_media; i++) {
		const struct media_codecs *prior = keep ? prior_codecs(recipient, i) : NULL;
		const struct call_opts *co_opts = prior ? keep_codecs(o, prior) : o;
		int ret = co_opts && mc && (prior || codec_opts_transcode(o))
				  ? media_codec_offer(&s.media[i], co_opts, &mc[i][0], &mc[i][1],
						      err, warning)
				  : sdp_media_codecs(&s.media[i], &o->codec, err);

		if (ret) {
			if (ret == -ENOMEM)
				*err = "Out of memory";
			sdp_free(&s);
			free(mc);
			return NULL;
		}
	}
	co = crypto_out_reset(s.n_media);
	c = call_lookup(o->call_id);
	if (!c) {
		c = call_new(o->call_id, false);
		created = true;
	}
	if (!c)
		goto nomem;
	call_state_changed(c); /* written once the request is done, whatever it changed */
	x = ml_find(c, o->from_tag);
	if (!x && !(x = ml_new(c, o->from_tag)))
		goto nomem;
	if (o->to_tag && *o->to_tag)
		y = ml_find(c, o->to_tag);
	if (!y)
		y = x->peer;
	if (!y && !(y = ml_new(c, o->to_tag ? o->to_tag : "")))
		goto nomem;
	if (o->via_branch && !y->via_branch)
		y->via_branch = strdup(o->via_branch);
	if (x->peer && x->peer != y)
		ml_stop(x->peer, true);
	x->peer = y;
	y->peer = x;
	c->last_signal = time(NULL);

	for (size_t i = 0; i < s.n_media; i++) {
		const struct sdp_media *sm = &s.media[i];
		struct media *mx = media_get(x, (unsigned int)i),
			     *my = media_get(y, (unsigned int)i);
		bool changed;
		int fam, ret;

		if (!mx || !my)
			goto nomem;
		changed = media_take_sdp(mx, &s, sm, o);
		fam = ep_is_set(&mx->sdp_rtp) ? ep_family(&mx->sdp_rtp)
					      : ep_family(&s.origin_addr.addr);
		mx->mux = my->mux = o->mux;
		mx->rtcp_mux = mx->offered_mux && !(o->mux & MUX_REJECT);
		my->rtcp_mux = (mx->offered_mux && !(o->mux & MUX_DEMUX)) ||
			       (o->mux & (MUX_OFFER | MUX_REQUIRE));
		my->rejected = mx->rejected;
		snprintf(my->type, sizeof(my->type), "%s", mx->type);
		snprintf(my->proto, sizeof(my->proto), "%s",
			 o->transport_protocol && !mx->rejected ? o->transport_protocol
								: mx->proto);
		if (mx->rejected)
			continue;
		if (media_crypto_offer(mx, my, sm, &o->sdes, co[i].lines, &co[i].n, err))
			goto fail;
		if (media_codec_take(mx, mc && mc[i][1].n_offered ? &mc[i][0] : NULL) ||
		    media_codec_take(my, mc && mc[i][1].n_offered ? &mc[i][1] : NULL))
			goto nomem;
		/* RTCP reports jitter in RTP clock units: the first audio codec's clock. */
		if (!strcmp(sm->type, "audio") && sdp_media_clock_rate(sm))
			ssrc_table_set_clock_rate(c->ssrc, sdp_media_clock_rate(sm));
		co[i].set = true;
		ret = media_ports(mx, pick_iface(o->direction[0], fam));
		if (!ret)
			ret = media_ports(my,
					  pick_iface(o->direction[1],
						     o->address_family ? o->address_family : fam));
		if (ret) {
			*err = ret == -ENOSPC ? "Ran out of ports"
					      : fail("Cannot allocate ports: %s", strerror(-ret));
			goto fail;
		}
		media_push_cfg(mx, changed);
		media_push_cfg(my, false);
	}
	x->sdp_seen = true;
	totals.offers++;
	out = write_sdp(&s, x, y, true, o, co);
	if (!out)
		goto nomem;
	sdp_free(&s);
	free(mc);
	return out;
nomem:
	*err = "Out of memory";
fail:
	if (created && c) {
		call_terminate(c, *err);
		totals.rejected++;
	}
	sdp_free(&s);
	free(mc);
	return NULL;
}

char *call_answer(const struct call_opts *o, const char **err, const char **warning)
{
	struct monologue *x, *y;
	struct crypto_out *co = NULL;
	struct call *c;
	struct sdp s;
	char *out = NULL;

	if ((*err = check_ids(o, true)))
		return NULL;
	if (!o->to_tag || !*o->to_tag) {
		*err = "No to-tag in message";
		return NULL;
	}
	c = call_lookup(o->call_id);
	if (!c) {
		*err = "Unknown call-id";
		return NULL;
	}
	x = ml_find(c, o->from_tag);
	if (!x) {
		*err = "Unknown from-tag";
		return NULL;
	}
	call_state_changed(c);
	/* Every check before the first change: a refused answer changes nothing (but for an SDES
	 * choice the offer does not allow, found media by media). */
	if (parse_sdp(&s, o, err))
		return NULL;
	co = crypto_out_reset(s.n_media);
	if (s.n_media > x->n_media) {
		*err = "Answer has more media than the offer";
		goto out;
	}
	for (size_t i = 0; i < s.n_media; i++)
		if (!x->media[i]->rejected && !x->media[i]->streams[COMP_RTP] && s.media[i].port) {
			*err = "Answer for a media that was not offered";
			goto out;
		}
	y = ml_find(c, o->to_tag);
	if (!y || (x->peer != y && x->peer)) {
		y = x->peer;
		if (!y) {
			*err = "Unknown to-tag";
			goto out;
		}
		/* The first answer names the answering party; a later one from another fork
		 * takes its place (the latest answer wins, as the final 2xx comes last). */
		if (strcmp(y->tag, o->to_tag)) {
			char *tag = strdup(o->to_tag);

			if (!tag) {
				*err = "Out of memory";
				goto out;
			}
			if (*y->tag)
				log_info("[%s] answer from to-tag %s replaces %s", c->call_id,
					 o->to_tag, y->tag);
			free(y->tag);
			y->tag = tag;
		}
	}
	x->peer = y;
	y->peer = x;
	c->last_signal = time(NULL);
	for (size_t i = 0; i < s.n_media; i++) {
		struct media *mx = x->media[i], *my = media_get(y, (unsigned int)i);
		bool changed, keep;

		if (!my) {
			*err = "Out of memory";
			goto out;
		}
		changed = media_take_sdp(my, &s, &s.media[i], o);
		my->rejected = my->rejected || mx->rejected;
		mx->rejected = my->rejected;
		my->rtcp_mux = my->offered_mux;
		mx->rtcp_mux = mx->offered_mux && !(mx->mux & MUX_REJECT) &&
			       (my->rtcp_mux || (mx->mux & (MUX_ACCEPT | MUX_REQUIRE)));
		if (media_crypto_answer(my, mx, &s.media[i], co[i].lines, &co[i].n, &keep, err) ||
		    media_codec_answer(my, mx, &s.media[i], o, err))
			goto out;
		co[i].set = !keep && !mx->rejected;
		media_push_cfg(my, changed);
		media_push_cfg(mx, false);
	}
	y->sdp_seen = true;
	totals.answers++;
	out = write_sdp(&s, y, x, false, o, co);
	if (!out)
		*err = "Out of memory";
out:
	sdp_free(&s);
	(void)warning;
	return out;
}

struct call *call_delete(const struct call_opts *o, const char **err)
{
	long long delay = o->delete_delay >= 0 ? o->delete_delay : cfg->delete_delay;
	struct call *c;

	if (!o->call_id || !*o->call_id) {
		*err = "No call-id in message";
		return NULL;
	}
	c = call_lookup(o->call_id);
	if (!c) {
		*err = "Call-ID not found or tags didn't match";
		return NULL;
	}
	if (o->from_tag && *o->from_tag && !ml_find(c, o->from_tag) &&
	    !(o->to_tag && ml_find(c, o->to_tag))) {
		*err = "Call-ID not found or tags didn't match";
		return NULL;
	}
	totals.deletes++;
	c->last_signal = time(NULL);
	call_state_changed(c);
	if (o->to_tag && *o->to_tag && o->from_tag && *o->from_tag) {
		struct monologue *y = ml_find(c, o->to_tag);
		bool others = false;

		/* One branch of a forked call: the rest of the call carries on. */
		for (unsigned int i = 0; i < c->n_mls; i++) {
			struct monologue *ml = c->mls[i];

			if (ml != y && ml->peer && ml->peer != y)
				others = true;
		}
		if (y && others) {
			ml_stop(y, true);
			log_info("[%s] party %s deleted", c->call_id, y->tag);
			return c;
		}
	}
	if (delay <= 0) {
		totals.regular_terminated++;
		call_terminate(c, "deleted");
	} else if (!c->delete_at || c->delete_at > time(NULL) + delay) {
		c->delete_at = time(NULL) + delay;
		log_info("[%s] delete in %lld s", c->call_id, delay);
	}
	return c;
}

static bool call_on_hold(const struct call *c)
{
	bool any = false;

	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int j = 0; j < c->mls[i]->n_media; j++) {
			const struct media *m = c->mls[i]->media[j];

			if (m->rejected || !c->mls[i]->sdp_seen)
				continue;
			any = true;
			if (m->dir == SDP_SENDRECV)
				return false;
		}
	return any;
}

static void stream_reaped(struct stream *s)
{
	/* Both sockets of a pair are closed once the RTCP one (removed last) comes back. */
	if (s->component == COMP_RTCP)
		ports_release(&pool, (uint16_t)(ep_port(&s->local) - 1));
	ssrc_table_put(s->ssrc);
	free(s);
}

static void update_rates(void)
{
	static struct stream_stats prev;
	static struct timespec prev_ts;
	struct stream_stats cur;
	struct timespec ts;
	double dt;

	calls_sum(&cur, false);
	if (kernel_is_open()) {
		/* Packets the kernel forwarded, from its global counters: one read, not one per
		 * entry. */
		uint64_t k[XR_C_MAX];

		if (!kernel_counters(k))
			cur.packets += k[XR_C_TX] + k[XR_C_REDIRECT];
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	dt = (double)(ts.tv_sec - prev_ts.tv_sec) + (double)(ts.tv_nsec - prev_ts.tv_nsec) / 1e9;
	if (prev_ts.tv_sec && dt > 0) {
		totals.packet_rate = (double)(cur.packets - prev.packets) / dt;
		totals.byte_rate = (double)(cur.bytes - prev.bytes) / dt;
		totals.error_rate = (double)(cur.errors - prev.errors) / dt;
	}
	prev = cur;
	prev_ts = ts;
}

void calls_tick(time_t now)
{
	struct call *c, *next;

	while ((c = dead)) {
		dead = c->hnext;
		call_free(c);
	}
	for (c = lhead; c; c = next) {
		time_t last = call_last_packet(c, false);
		bool hold = call_on_hold(c);
		unsigned int tmo = hold ? cfg->silent_timeout : cfg->timeout;

		next = c->lnext;
		if (last < c->last_signal)
			last = c->last_signal;
		if (c->delete_at && now >= c->delete_at) {
			totals.regular_terminated++;
			call_terminate(c, "deleted (delayed)");
		} else if (cfg->final_timeout && now - c->created >= (time_t)cfg->final_timeout) {
			totals.final_timeouts++;
			call_terminate(c, "final timeout");
		} else if (tmo && now - last >= (time_t)tmo &&
			   now - call_last_packet(c, true) >= (time_t)tmo) {
			/* The kernel's counters are read only for a call that looks idle. */
			if (hold)
				totals.silent_timeouts++;
			else
				totals.timeouts++;
			call_terminate(c, hold ? "silent timeout" : "timeout");
		}
	}
	update_rates();
	load_update();
	calls_poll();
}

void calls_poll(void)
{
	workers_poll(call_stream_latched, stream_reaped);
}

void calls_detach(void)
{
	/* The state was saved: nothing may change it now, and the kernel entries stay. */
	call_state_suspend();
	for (struct call *c = lhead; c; c = c->lnext)
		for (unsigned int i = 0; i < c->n_mls; i++)
			for (unsigned int j = 0; j < c->mls[i]->n_media; j++)
				c->mls[i]->media[j]->in_kernel[0] =
					c->mls[i]->media[j]->in_kernel[1] = false;
	detaching = true;
	calls_shutdown();
	detaching = false;
}

struct call *call_restore_new(const char *call_id)
{
	return call_lookup(call_id) ? NULL : call_new(call_id, true);
}

struct monologue *call_restore_party(struct call *c, const char *tag)
{
	return ml_new(c, tag);
}

struct media *call_restore_media(struct monologue *ml, unsigned int idx)
{
	return media_get(ml, idx);
}

void call_restore_abort(struct call *c)
{
	/* Before call_restore_start: no socket, no worker, no kernel entry yet. */
	call_unlink(c);
	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int j = 0; j < c->mls[i]->n_media; j++)
			for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
				free(c->mls[i]->media[j]->streams[comp]);
				c->mls[i]->media[j]->streams[comp] = NULL;
			}
	call_free(c);
}

/* Rebinds the saved ports, adopts the kernel entries the streams had and starts the streams
 * with what they had learned: the media flows again at once, in userspace and kernel. */
int call_restore_start(struct call *c)
{
	char addr[EP_STRLEN];
	int lost = 0;

	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int j = 0; j < c->mls[i]->n_media; j++) {
			struct media *m = c->mls[i]->media[j];
			uint16_t port = m->port;
			int ret = -ENOENT;

			m->port = 0;
			if (port && m->iface)
				ret = media_alloc_ports(m, port);
			if (!ret)
				continue;
			lost += port != 0;
			if (port && !m->iface)
				log_warn(
					"[%s] media %u of party '%s' is lost: its interface is not "
					"configured any more",
					c->call_id, m->index, c->mls[i]->tag);
			else if (port) {
				struct endpoint ep = m->iface->local;

				ep_set_port(&ep, port);
				log_warn("[%s] media %u of party '%s' is lost: cannot bind its "
					 "relay "
					 "ports %s and %u again: %s",
					 c->call_id, m->index, c->mls[i]->tag,
					 ep_str(&ep, addr, sizeof(addr)), port + 1, strerror(-ret));
			}
			for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
				free(m->streams[comp]);
				m->streams[comp] = NULL;
			}
		}
	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int j = 0; j < c->mls[i]->n_media; j++) {
			media_codec_replan(c->mls[i]->media[j]);
			media_kernel_adopt(c->mls[i]->media[j]);
		}
	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int j = 0; j < c->mls[i]->n_media; j++)
			media_push_cfg(c->mls[i]->media[j], false);
	return lost;
}

void calls_shutdown(void)
{
	struct call *c;

	while (lhead) {
		totals.forced_terminated++;
		call_terminate(lhead, "shutdown");
	}
	workers_stop(stream_reaped);
	while ((c = dead)) {
		dead = c->hnext;
		call_free(c);
	}
	ports_free(&pool);
}
