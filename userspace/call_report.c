// SPDX-License-Identifier: GPL-2.0-only
/* A call as the ng query/delete replies show it, in rtpengine's layout. */
#include "call_report.h"

#include "ssrc.h"

#include <arpa/inet.h>
#include <string.h>

static struct bnode *endpoint_dict(struct barena *a, const struct endpoint *ep)
{
	struct bnode *d = bn_dict(a);
	char ip[INET6_ADDRSTRLEN];

	if (!d)
		return NULL;
	if (!ep_is_set(ep))
		return d;
	bn_dict_add_str(a, d, "family", ep_family(ep) == AF_INET6 ? "IPv6" : "IPv4");
	bn_dict_add_str(a, d, "address", ep_ip_str(ep, ip, sizeof(ip)));
	bn_dict_add_int(a, d, "port", ep_port(ep));
	return d;
}

static void add_counters(struct barena *a, struct bnode *d, const struct stream_stats *st)
{
#define X(f, n) bn_dict_add_int(a, d, n, (long long)st->f);
	XR_STREAM_COUNTERS(X)
#undef X
}

static struct bnode *stream_report(struct barena *a, struct media *m, int comp,
				   struct stream_stats *sum)
{
	struct stream *s = m->streams[comp];
	struct stream_stats kst = {0};
	const char *why;
	struct bnode *kd;
	struct bnode *d = bn_dict(a), *flags = bn_list(a), *stats = bn_dict(a);
	struct endpoint learned;
	struct stream_stats st;
	char ip[INET6_ADDRSTRLEN];
	const struct endpoint *adv = s->component == COMP_RTP ? &m->sdp_rtp : &m->sdp_rtcp;

	if (!d || !flags || !stats)
		return NULL;
	media_stats(m, comp, &learned, &st, true);
	media_kernel_stats(m, comp, &kst, false);
	bn_dict_add_str(a, d, "local address", ep_ip_str(&s->local, ip, sizeof(ip)));
	bn_dict_add_int(a, d, "local port", ep_port(&s->local));
	bn_dict_add_str(a, d, "family", ep_family(&s->local) == AF_INET6 ? "IPv6" : "IPv4");
	bn_dict_add(a, d, "endpoint", endpoint_dict(a, ep_is_set(&learned) ? &learned : adv));
	bn_dict_add(a, d, "advertised endpoint", endpoint_dict(a, adv));
	bn_dict_add_int(a, d, "last packet", st.last_packet);
	bn_list_append(flags, bn_str(a, s->component == COMP_RTP ? "RTP" : "RTCP"));
	if (ep_is_set(adv))
		bn_list_append(flags, bn_str(a, "filled"));
	if (ep_is_set(&learned))
		bn_list_append(flags, bn_str(a, "confirmed"));
	if (m->stream_flags & STREAM_F_STRICT_SOURCE)
		bn_list_append(flags, bn_str(a, "strict source"));
	if (m->stream_flags & STREAM_F_MEDIA_HANDOVER)
		bn_list_append(flags, bn_str(a, "media handover"));
	if (m->stream_flags & STREAM_F_ASYMMETRIC)
		bn_list_append(flags, bn_str(a, "asymmetric"));
	bn_dict_add(a, d, "flags", flags);
	add_counters(a, stats, &st);
	bn_dict_add(a, d, "stats", stats);
	/* xrelay's own: which path carries the stream now, and what the kernel forwarded. */
	why = media_kernel_why(m, comp);
	bn_dict_add_str(a, d, "path", why ? "userspace" : "kernel");
	if (why)
		bn_dict_add_str(a, d, "path reason", why);
	kd = bn_dict(a);
	bn_dict_add_int(a, kd, "packets", (long long)kst.packets);
	bn_dict_add_int(a, kd, "bytes", (long long)kst.bytes);
	bn_dict_add(a, d, "kernel stats", kd);
#define X(f, n) sum->f += st.f;
	XR_STREAM_COUNTERS(X)
#undef X
	return d;
}

/* The codecs the party negotiated, as "NAME/RATE" in its payload type order. */
static struct bnode *codecs_report(struct barena *a, const struct media *m)
{
	struct bnode *l = bn_list(a);

	for (unsigned int i = 0; l && i < m->codecs->n_neg; i++) {
		const struct sdp_codec *sc = &m->codecs->neg[i].sc;

		bn_list_append(l, bn_strf(a, "%u %s/%u", sc->pt, sc->name, sc->rate));
	}
	return l;
}

/* What the party's RTP is transcoded into, and the transcoder's counters. */
static struct bnode *transcoding_report(struct barena *a, const struct media *m)
{
	const struct tc_params *p = media_codec_transcoding(m);
	const struct tc_stats *st = media_codec_stats(m);
	struct bnode *d = bn_dict(a), *from = bn_list(a);

	if (!d || !from)
		return d;
	for (unsigned int i = 0; i < p->n_in; i++)
		bn_list_append(from,
			       bn_strf(a, "%u %s", p->in[i].pt, codec_get(p->in[i].id)->name));
	bn_dict_add(a, d, "from", from);
	bn_dict_add(a, d, "to", bn_strf(a, "%u %s", p->out.pt, codec_get(p->out.id)->name));
	if (p->out.ptime)
		bn_dict_add_int(a, d, "ptime", p->out.ptime);
	if (!st)
		return d;
	bn_dict_add_int(a, d, "decoded", (long long)atomic_load(&st->decoded));
	bn_dict_add_int(a, d, "encoded", (long long)atomic_load(&st->encoded));
	bn_dict_add_int(a, d, "concealed", (long long)atomic_load(&st->concealed));
	bn_dict_add_int(a, d, "late", (long long)atomic_load(&st->late));
	bn_dict_add_int(a, d, "errors", (long long)atomic_load(&st->errors));
	return d;
}

static struct bnode *media_report(struct barena *a, struct media *m, struct stream_stats sums[2])
{
	struct bnode *d = bn_dict(a), *streams = bn_list(a), *flags = bn_list(a);

	if (!d || !streams || !flags)
		return NULL;
	bn_dict_add_int(a, d, "index", m->index);
	bn_dict_add_str(a, d, "type", m->type);
	bn_dict_add_str(a, d, "protocol", m->proto);
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++)
		if (m->streams[comp])
			bn_list_append(streams, stream_report(a, m, comp, &sums[comp]));
	bn_dict_add(a, d, "streams", streams);
	if (m->codecs)
		bn_dict_add(a, d, "codecs", codecs_report(a, m));
	if (media_codec_transcoding(m)) {
		bn_dict_add(a, d, "transcoding", transcoding_report(a, m));
		bn_list_append(flags, bn_str(a, "transcoding"));
	}
	if (m->rtcp_mux)
		bn_list_append(flags, bn_str(a, "RTCP-mux"));
	if (m->rejected)
		bn_list_append(flags, bn_str(a, "rejected"));
	if (m->dir == SDP_SENDRECV || m->dir == SDP_SENDONLY)
		bn_list_append(flags, bn_str(a, "send"));
	if (m->dir == SDP_SENDRECV || m->dir == SDP_RECVONLY)
		bn_list_append(flags, bn_str(a, "recv"));
	bn_dict_add(a, d, "flags", flags);
	return d;
}

struct bnode *call_report(struct barena *a, struct bnode *reply, const struct call *c)
{
	struct bnode *tags = bn_dict(a), *totals = bn_dict(a), *ssrcs;
	struct stream_stats sums[2];

	if (!tags || !totals)
		return NULL;
	memset(sums, 0, sizeof(sums));
	bn_dict_add_int(a, reply, "created", c->created);
	bn_dict_add_int(a, reply, "created_us", c->created_us);
	bn_dict_add_int(a, reply, "last signal", c->last_signal);
	for (unsigned int i = 0; i < c->n_mls; i++) {
		const struct monologue *ml = c->mls[i];
		struct bnode *t = bn_dict(a), *medias = bn_list(a);

		if (!t || !medias)
			return NULL;
		bn_dict_add_str(a, t, "tag", ml->tag);
		bn_dict_add_int(a, t, "created", ml->created);
		if (ml->peer)
			bn_dict_add_str(a, t, "in dialogue with", ml->peer->tag);
		for (unsigned int j = 0; j < ml->n_media; j++)
			bn_list_append(medias, media_report(a, ml->media[j], sums));
		bn_dict_add(a, t, "medias", medias);
		bn_dict_add(a, tags, ml->tag, t);
	}
	bn_dict_add(a, reply, "tags", tags);
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		struct bnode *d = bn_dict(a);

		if (!d)
			return NULL;
		add_counters(a, d, &sums[comp]);
		bn_dict_add(a, totals, comp == COMP_RTP ? "RTP" : "RTCP", d);
	}
	bn_dict_add(a, reply, "totals", totals);
	ssrcs = bn_dict(a);
	if (!ssrcs)
		return NULL;
	ssrc_table_report(c->ssrc, a, ssrcs);
	bn_dict_add(a, reply, "SSRC", ssrcs);
	return reply;
}
