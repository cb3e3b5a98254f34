// SPDX-License-Identifier: GPL-2.0-only
/* Calls to and from JSON for the state directory (state.c): which calls changed, their
 * serialisation (one function per struct: call, party, media, stream), and the restore at
 * start. Control thread only. */
#include "call_state.h"

#include "call.h"
#include "kernel.h"
#include "log.h"
#include "redis.h"
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The control loop flushes after each batch of events; a batch that goes on (the ng socket
 * drains until it is empty) flushes once this many calls changed, so what a crash loses stays
 * bounded. */
#define FLUSH_AT 256

/* Call-ids of the calls changed since the last flush (each once: call.state_dirty). */
static char **dirty;
static size_t n_dirty, cap_dirty;
static bool suspended;

/* ---- what changed ---- */

void call_state_changed(struct call *c)
{
	char *id;

	if (!(state_enabled() || redis_writing()) || suspended || c->state_dirty)
		return;
	/* Before the change: the calls flushed now are between two requests, consistent, and c
	 * is marked again below. */
	if (n_dirty >= FLUSH_AT)
		call_state_flush();
	if (n_dirty == cap_dirty) {
		size_t cap = cap_dirty ? cap_dirty * 2 : 64;
		char **d = realloc(dirty, cap * sizeof(*d));

		if (!d)
			goto nomem;
		dirty = d;
		cap_dirty = cap;
	}
	id = strdup(c->call_id);
	if (!id)
		goto nomem;
	dirty[n_dirty++] = id;
	c->state_dirty = true;
	return;
nomem:
	log_warn_rl("[%s] state not saved: out of memory", c->call_id);
}

void call_state_suspend(void)
{
	suspended = true;
}

void call_state_resume(void)
{
	suspended = false;
}

static void save_one(const char *call_id)
{
	char name[STATE_NAME_LEN];
	struct call *c = call_lookup(call_id);
	json_t *j;
	char *data;

	if (state_name(name, sizeof(name), CALL_STATE_PREFIX, call_id))
		return;
	if (!c) {
		redis_put(call_id, NULL);
		if (state_enabled())
			state_put(name, NULL, 0); /* ended */
		return;
	}
	if (!c->state_dirty)
		return; /* written already by an earlier entry of this flush */
	c->state_dirty = false;
	j = call_to_json(c);
	data = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!data) {
		log_warn_rl("[%s] state not saved: out of memory", call_id);
		return;
	}
	redis_put(call_id, data);
	if (state_enabled())
		state_put(name, data, strlen(data));
	else
		free(data);
}

void call_state_flush(void)
{
	for (size_t i = 0; i < n_dirty; i++) {
		save_one(dirty[i]);
		free(dirty[i]);
	}
	n_dirty = 0;
	if (!state_enabled() && !redis_writing()) {
		free(dirty);
		dirty = NULL;
		cap_dirty = 0;
	}
}

void call_state_save_all(void)
{
	if (!state_enabled() && !redis_writing())
		return;
	for (struct call *c = call_first(); c; c = call_next(c))
		call_state_changed(c);
	call_state_flush();
	if (state_enabled())
		state_sync();
	free(dirty);
	dirty = NULL;
	cap_dirty = 0;
}

/* ---- names of enums and bits ---- */

struct bit_name {
	unsigned int bit;
	const char *name;
};

static const struct bit_name mux_names[] = {
	{MUX_OFFER, "offer"},	{MUX_DEMUX, "demux"},	{MUX_REQUIRE, "require"},
	{MUX_ACCEPT, "accept"}, {MUX_REJECT, "reject"},
};

static const struct bit_name flag_names[] = {
	{STREAM_F_STRICT_SOURCE, "strict-source"},
	{STREAM_F_ASYMMETRIC, "asymmetric"},
	{STREAM_F_MEDIA_HANDOVER, "media-handover"},
};

static const char *const learn_names[] = {
	[LEARN_HEURISTIC] = "heuristic",
	[LEARN_IMMEDIATE] = "immediate",
	[LEARN_DELAYED] = "delayed",
	[LEARN_OFF] = "off",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *bits_to_json(unsigned int v, const struct bit_name *names, size_t n)
{
	json_t *l = json_array();

	for (size_t i = 0; l && i < n; i++)
		if (v & names[i].bit)
			json_array_append_new(l, json_string(names[i].name));
	return l;
}

/* Unknown names are ignored, like unknown keys: a later version may add flags. */
static unsigned int bits_from_json(const json_t *l, const struct bit_name *names, size_t n)
{
	unsigned int v = 0;
	size_t i;
	json_t *it;

	json_array_foreach(l, i, it) {
		for (size_t k = 0; k < n; k++)
			if (json_is_string(it) && !strcmp(json_string_value(it), names[k].name))
				v |= names[k].bit;
	}
	return v;
}

/* ---- to JSON ---- */

static int set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *ep_to_json(const struct endpoint *ep)
{
	char buf[EP_STRLEN];

	return json_string(ep_is_set(ep) ? ep_str(ep, buf, sizeof(buf)) : "");
}

static json_t *kstats_to_json(const struct xr_entry_stats *k)
{
	/* The kernel's clock is CLOCK_MONOTONIC, which a reboot restarts: unix seconds keep. */
	return json_pack("{sIsIsI}", "packets", (json_int_t)k->packets, "bytes",
			 (json_int_t)k->bytes, "last", (json_int_t)kernel_ns_to_unix(k->last_ns));
}

/* One relay socket of m: the generation its peer was learned under, the peer, the counters
 * (userspace; the kernel's of removed entries as kernel-base, the installed entry's stay in
 * the pinned maps). */
static json_t *stream_to_json(struct media *m, int comp)
{
	struct stream *s = m->streams[comp];
	json_t *o = json_object();
	struct stream_stats st = {0};
	struct endpoint learned = {0};

	if (!o)
		return NULL;
	if (s && stream_learned(s, &learned) != m->gen[comp])
		learned = (struct endpoint){0}; /* learned before a relearn: stale */
	if (s)
		stream_snapshot(s, &(struct endpoint){0}, &st);
	set(o, "gen", json_integer(m->gen[comp]));
	set(o, "learned", ep_to_json(&learned));
#define X(f, n) set(o, n, json_integer((json_int_t)st.f));
	XR_STREAM_COUNTERS(X)
#undef X
	set(o, "last-packet", json_integer(st.last_packet));
	set(o, "kernel-base", kstats_to_json(&m->kbase[comp]));
	return o;
}

static json_t *crypto_to_json(const struct sdes_crypto *c)
{
	char buf[SDES_MAX_LINE_LEN];

	return sdes_format(c, buf, sizeof(buf)) < 0 ? NULL : json_string(buf);
}

static json_t *crypto_list_to_json(const struct sdes_crypto *list, unsigned int n)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < n; i++)
		json_array_append_new(a, crypto_to_json(&list[i]));
	return a;
}

/* The SDES keys (files are 0600 in a 0700 directory: they hold the media's master keys). */
static json_t *media_crypto_to_json(const struct media_crypto *mc)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set(o, "offered", crypto_list_to_json(mc->offered, mc->n_offered));
	set(o, "relay", crypto_list_to_json(mc->relay, mc->n_relay));
	if (mc->rx_set)
		set(o, "rx", crypto_to_json(&mc->rx));
	if (mc->tx_set)
		set(o, "tx", crypto_to_json(&mc->tx));
	return o;
}

static json_t *codec_list_to_json(const struct media_codec *c, unsigned int n)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{sisssisisssbsbsi}", "pt", c[i].sc.pt, "name",
						   c[i].sc.name, "rate", c[i].sc.rate, "channels",
						   c[i].sc.channels, "fmtp", c[i].sc.fmtp, "relay",
						   c[i].relay, "masked", c[i].masked, "bitrate",
						   c[i].bitrate));
	return a;
}

/* The codecs each side offered and answered; the transcoders are planned again from them. */
static json_t *media_codecs_to_json(const struct media_codecs *mc)
{
	return json_pack("{sososbsi}", "offered", codec_list_to_json(mc->offered, mc->n_offered),
			 "negotiated", codec_list_to_json(mc->neg, mc->n_neg), "always", mc->always,
			 "ptime", mc->ptime);
}

static json_t *media_to_json(struct media *m)
{
	json_t *o = json_object(), *streams = json_array();
	char ip[EP_STRLEN];

	if (!o || !streams) {
		json_decref(o);
		json_decref(streams);
		return NULL;
	}
	set(o, "index", json_integer(m->index));
	set(o, "type", json_string(m->type));
	set(o, "protocol", json_string(m->proto));
	if (m->iface) {
		set(o, "interface", json_string(m->iface->name));
		set(o, "interface-address",
		    json_string(ep_ip_str(&m->iface->local, ip, sizeof(ip))));
	}
	set(o, "port", json_integer(m->streams[COMP_RTP] ? m->port : 0));
	set(o, "rejected", json_boolean(m->rejected));
	set(o, "rtcp-mux", json_boolean(m->rtcp_mux));
	set(o, "offered-mux", json_boolean(m->offered_mux));
	set(o, "mux", bits_to_json(m->mux, mux_names, N(mux_names)));
	set(o, "direction", json_string(sdp_dir_name(m->dir)));
	set(o, "hold-any", json_boolean(m->hold_any));
	set(o, "sdp-rtp", ep_to_json(&m->sdp_rtp));
	set(o, "sdp-rtcp", ep_to_json(&m->sdp_rtcp));
	set(o, "flags", bits_to_json(m->stream_flags, flag_names, N(flag_names)));
	if (m->learn >= 0 && (size_t)m->learn < N(learn_names))
		set(o, "learn", json_string(learn_names[m->learn]));
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++)
		json_array_append_new(streams, stream_to_json(m, comp));
	set(o, "streams", streams);
	if (m->crypto)
		set(o, "crypto", media_crypto_to_json(m->crypto));
	if (m->codecs)
		set(o, "codecs", media_codecs_to_json(m->codecs));
	return o;
}

static json_t *party_to_json(struct monologue *ml)
{
	json_t *o = json_object(), *media = json_array();

	if (!o || !media) {
		json_decref(o);
		json_decref(media);
		return NULL;
	}
	set(o, "tag", json_string(ml->tag));
	if (ml->via_branch)
		set(o, "via-branch", json_string(ml->via_branch));
	for (unsigned int i = 0; ml->peer && i < ml->call->n_mls; i++)
		if (ml->call->mls[i] == ml->peer)
			set(o, "peer", json_integer(i));
	set(o, "created", json_integer(ml->created));
	set(o, "sdp-seen", json_boolean(ml->sdp_seen));
	set(o, "version-set", json_boolean(ml->version_set));
	set(o, "version-in", json_integer((json_int_t)ml->version_in));
	set(o, "version-out", json_integer((json_int_t)ml->version_out));
	if (ml->last_out)
		set(o, "last-sdp", json_string(ml->last_out));
	for (unsigned int i = 0; i < ml->n_media; i++)
		json_array_append_new(media, media_to_json(ml->media[i]));
	set(o, "media", media);
	return o;
}

json_t *call_to_json(struct call *c)
{
	json_t *o = json_object(), *parties = json_array();

	if (!o || !parties) {
		json_decref(o);
		json_decref(parties);
		return NULL;
	}
	set(o, "version", json_integer(CALL_STATE_VERSION));
	set(o, "call-id", json_string(c->call_id));
	set(o, "created", json_integer(c->created));
	set(o, "created-us", json_integer(c->created_us));
	set(o, "last-signal", json_integer(c->last_signal));
	set(o, "delete-at", json_integer(c->delete_at));
	set(o, "saved", json_integer(time(NULL)));
	for (unsigned int i = 0; i < c->n_mls; i++)
		json_array_append_new(parties, party_to_json(c->mls[i]));
	set(o, "parties", parties);
	/* A value that failed (out of memory) is missing: the restore would refuse the call. */
	return o;
}

/* ---- from JSON ---- */

struct reader {
	char *err;
	size_t errlen;
	bool failed;
	char where[64]; /* "party 1 media 2" */
};

__attribute__((format(printf, 2, 3))) static void bad(struct reader *r, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s%s%s", r->where, *r->where ? ": " : "", msg);
}

static const char *get_str(struct reader *r, const json_t *o, const char *key, bool need)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (v || need)
		bad(r, "'%s' %s", key, v ? "is not a string" : "is missing");
	return NULL;
}

static long long get_int(struct reader *r, const json_t *o, const char *key, long long min,
			 long long max, long long def)
{
	const json_t *v = json_object_get(o, key);
	long long x;

	if (!v)
		return def;
	if (!json_is_integer(v)) {
		bad(r, "'%s' is not a number", key);
		return def;
	}
	x = json_integer_value(v);
	if (x < min || x > max) {
		bad(r, "'%s' %lld is out of range", key, x);
		return def;
	}
	return x;
}

static bool get_bool(struct reader *r, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (v && !json_is_boolean(v))
		bad(r, "'%s' is not true or false", key);
	return json_is_true(v);
}

static void get_ep(struct reader *r, const json_t *o, const char *key, struct endpoint *ep)
{
	const char *s = get_str(r, o, key, false);

	*ep = (struct endpoint){0};
	if (s && *s && (ep_parse(ep, s, NULL) || !ep_port(ep)))
		bad(r, "'%s' is not IP:PORT: '%.60s'", key, s);
}

static void kstats_from_json(struct reader *r, const json_t *o, struct xr_entry_stats *k)
{
	long long last;
	struct timespec mono;

	memset(k, 0, sizeof(*k));
	if (!o)
		return;
	k->packets = (uint64_t)get_int(r, o, "packets", 0, INT64_MAX, 0);
	k->bytes = (uint64_t)get_int(r, o, "bytes", 0, INT64_MAX, 0);
	last = get_int(r, o, "last", 0, INT64_MAX, 0);
	if (!last)
		return;
	/* Back to this boot's CLOCK_MONOTONIC; before this boot: as old as it can be. */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	last -= time(NULL) - mono.tv_sec;
	k->last_ns = last > 0 ? (uint64_t)last * 1000000000ull : 1;
}

static void stream_from_json(struct reader *r, struct media *m, int comp, const json_t *o)
{
	struct stream_stats st = {0};
	struct endpoint learned;
	struct stream *s;

	if (!json_is_object(o)) {
		bad(r, "stream %d is not an object", comp);
		return;
	}
	m->gen[comp] = (uint32_t)get_int(r, o, "gen", 0, UINT32_MAX, 0);
	get_ep(r, o, "learned", &learned);
#define X(f, n) st.f = (uint64_t)get_int(r, o, n, 0, INT64_MAX, 0);
	XR_STREAM_COUNTERS(X)
#undef X
	st.last_packet = get_int(r, o, "last-packet", 0, INT64_MAX, 0);
	kstats_from_json(r, json_object_get(o, "kernel-base"), &m->kbase[comp]);
	if (r->failed || !m->port)
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		bad(r, "out of memory");
		return;
	}
	stream_preset(s, &learned, m->gen[comp], &st);
	m->streams[comp] = s;
}

static const struct cfg_iface *find_iface(const char *name, const char *ip)
{
	const struct config *cfg = calls_config();
	struct endpoint want;

	if (!name || !ip || ep_parse_ip(&want, ip))
		return NULL;
	for (int i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name) && ep_addr_eq(&cfg->ifaces[i].local, &want))
			return &cfg->ifaces[i];
	return NULL;
}

static bool crypto_from_json(struct reader *r, const json_t *v, struct sdes_crypto *c)
{
	const char *err;

	if (!v)
		return false;
	if (!json_is_string(v) ||
	    sdes_parse(json_string_value(v), json_string_length(v), c, &err)) {
		bad(r, "crypto line unusable: %s", json_is_string(v) ? err : "not a string");
		return false;
	}
	return true;
}

static unsigned int crypto_list_from_json(struct reader *r, const json_t *a,
					  struct sdes_crypto *list)
{
	unsigned int n = 0;
	size_t i;
	json_t *it;

	json_array_foreach(a, i, it) {
		if (n < SDES_MAX_CRYPTO && crypto_from_json(r, it, &list[n]))
			n++;
	}
	return n;
}

static void media_crypto_from_json(struct reader *r, struct media *m, const json_t *o)
{
	struct media_crypto *mc;

	if (!o)
		return;
	mc = media_crypto_get(m);
	if (!mc) {
		bad(r, "out of memory");
		return;
	}
	mc->n_offered = crypto_list_from_json(r, json_object_get(o, "offered"), mc->offered);
	mc->n_relay = crypto_list_from_json(r, json_object_get(o, "relay"), mc->relay);
	mc->rx_set = crypto_from_json(r, json_object_get(o, "rx"), &mc->rx);
	mc->tx_set = crypto_from_json(r, json_object_get(o, "tx"), &mc->tx);
}

static unsigned int codec_list_from_json(struct reader *r, const json_t *a, struct media_codec *c)
{
	unsigned int n = 0;
	size_t i;
	json_t *it;

	if (a && !json_is_array(a)) {
		bad(r, "a codec list is not a list");
		return 0;
	}
	json_array_foreach(a, i, it) {
		struct sdp_codec sc = {0};
		const char *name = get_str(r, it, "name", true),
			   *fmtp = get_str(r, it, "fmtp", false);

		if (n >= MEDIA_MAX_CODECS || !name)
			break;
		sc.pt = (uint8_t)get_int(r, it, "pt", 0, 127, 0);
		snprintf(sc.name, sizeof(sc.name), "%s", name);
		sc.rate = (unsigned int)get_int(r, it, "rate", 0, 1000000, 0);
		sc.channels = (unsigned int)get_int(r, it, "channels", 0, 255, 0);
		snprintf(sc.fmtp, sizeof(sc.fmtp), "%s", fmtp ? fmtp : "");
		media_codec_fill(&c[n], &sc);
		c[n].relay = get_bool(r, it, "relay");
		c[n].masked = get_bool(r, it, "masked");
		c[n].bitrate = (unsigned int)get_int(r, it, "bitrate", 0, 1000000, 0);
		c[n].ptime = (unsigned int)get_int(r, it, "ptime", 0, 200, 0);
		n++;
	}
	return n;
}

static void media_codecs_from_json(struct reader *r, struct media *m, const json_t *o)
{
	struct media_codecs mc = {0};

	if (!o)
		return;
	mc.n_offered = codec_list_from_json(r, json_object_get(o, "offered"), mc.offered);
	mc.n_neg = codec_list_from_json(r, json_object_get(o, "negotiated"), mc.neg);
	mc.always = get_bool(r, o, "always");
	mc.ptime = (unsigned int)get_int(r, o, "ptime", 0, 200, 0);
	if (media_codec_restore(m, &mc))
		bad(r, "out of memory");
}

static void media_from_json(struct reader *r, struct media *m, const json_t *o)
{
	const char *s, *ifname, *ifaddr;
	const json_t *streams;
	size_t i;
	json_t *it;

	if (!json_is_object(o)) {
		bad(r, "not an object");
		return;
	}
	s = get_str(r, o, "type", false);
	snprintf(m->type, sizeof(m->type), "%s", s ? s : "");
	s = get_str(r, o, "protocol", false);
	snprintf(m->proto, sizeof(m->proto), "%s", s ? s : "");
	ifname = get_str(r, o, "interface", false);
	ifaddr = get_str(r, o, "interface-address", false);
	m->port = (uint16_t)get_int(r, o, "port", 0, 65534, 0);
	/* Not configured any more: a media with ports is lost (call_restore_start says so). */
	m->iface = find_iface(ifname, ifaddr);
	m->rejected = get_bool(r, o, "rejected");
	m->rtcp_mux = get_bool(r, o, "rtcp-mux");
	m->offered_mux = get_bool(r, o, "offered-mux");
	m->mux = bits_from_json(json_object_get(o, "mux"), mux_names, N(mux_names));
	s = get_str(r, o, "direction", false);
	m->dir = SDP_DIR_NONE;
	for (enum sdp_dir d = SDP_DIR_NONE; s && d <= SDP_INACTIVE; d++)
		if (!strcmp(s, sdp_dir_name(d)))
			m->dir = d;
	m->hold_any = get_bool(r, o, "hold-any");
	get_ep(r, o, "sdp-rtp", &m->sdp_rtp);
	get_ep(r, o, "sdp-rtcp", &m->sdp_rtcp);
	m->stream_flags = bits_from_json(json_object_get(o, "flags"), flag_names, N(flag_names));
	s = get_str(r, o, "learn", false);
	m->learn = -1;
	for (size_t k = 0; s && k < N(learn_names); k++)
		if (!strcmp(s, learn_names[k]))
			m->learn = (int)k;
	streams = json_object_get(o, "streams");
	if (!json_is_array(streams) || json_array_size(streams) != 2) {
		bad(r, "'streams' is not a list of two");
		return;
	}
	json_array_foreach(streams, i, it)
		stream_from_json(r, m, (int)i, it);
	media_crypto_from_json(r, m, json_object_get(o, "crypto"));
	media_codecs_from_json(r, m, json_object_get(o, "codecs"));
}

static struct monologue *party_from_json(struct reader *r, struct call *c, const json_t *o,
					 long long *peer)
{
	const char *tag = get_str(r, o, "tag", true), *s;
	const json_t *media;
	struct monologue *ml;
	size_t i;
	json_t *it;

	if (!tag)
		return NULL;
	ml = call_restore_party(c, tag);
	if (!ml) {
		bad(r, "out of memory");
		return NULL;
	}
	s = get_str(r, o, "via-branch", false);
	if (s && !(ml->via_branch = strdup(s)))
		bad(r, "out of memory");
	*peer = get_int(r, o, "peer", 0, 1000000, -1);
	ml->created = (time_t)get_int(r, o, "created", 0, INT64_MAX, 0);
	ml->sdp_seen = get_bool(r, o, "sdp-seen");
	ml->version_set = get_bool(r, o, "version-set");
	ml->version_in = (unsigned long long)get_int(r, o, "version-in", 0, INT64_MAX, 0);
	ml->version_out = (unsigned long long)get_int(r, o, "version-out", 0, INT64_MAX, 0);
	s = get_str(r, o, "last-sdp", false);
	if (s && !(ml->last_out = strdup(s)))
		bad(r, "out of memory");
	media = json_object_get(o, "media");
	if (media && !json_is_array(media))
		bad(r, "'media' is not a list");
	json_array_foreach(media, i, it) {
		size_t n = strlen(r->where);
		struct media *m;

		if (r->failed)
			break;
		m = call_restore_media(ml, (unsigned int)i);
		if (!m) {
			bad(r, "out of memory");
			break;
		}
		snprintf(r->where + n, sizeof(r->where) - n, " media %zu", i + 1);
		media_from_json(r, m, it);
		r->where[n] = 0;
	}
	return ml;
}

struct call *call_from_json(const json_t *j, char *err, size_t errlen)
{
	struct reader r = {.err = err, .errlen = errlen};
	long long version, peers[64];
	const json_t *parties;
	const char *id;
	struct call *c;
	size_t i;
	json_t *it;

	if (!json_is_object(j)) {
		bad(&r, "not a JSON object");
		return NULL;
	}
	version = get_int(&r, j, "version", 1, INT32_MAX, 0);
	id = get_str(&r, j, "call-id", true);
	parties = json_object_get(j, "parties");
	if (!r.failed && version > CALL_STATE_VERSION)
		bad(&r, "written by a later xrelayd (state version %lld, this one reads %d)",
		    version, CALL_STATE_VERSION);
	if (!r.failed && !version)
		bad(&r, "'version' is missing");
	if (!r.failed && !*id)
		bad(&r, "empty call-id");
	if (!r.failed && (!json_is_array(parties) || json_array_size(parties) > 64))
		bad(&r, "'parties' is not a list of at most 64");
	if (r.failed)
		return NULL;
	c = call_restore_new(id);
	if (!c) {
		bad(&r, "call-id %.80s exists already (restored from another file?)", id);
		return NULL;
	}
	c->created = (time_t)get_int(&r, j, "created", 0, INT64_MAX, time(NULL));
	c->created_us = get_int(&r, j, "created-us", 0, 999999, 0);
	c->last_signal = (time_t)get_int(&r, j, "last-signal", 0, INT64_MAX, time(NULL));
	c->delete_at = (time_t)get_int(&r, j, "delete-at", 0, INT64_MAX, 0);
	json_array_foreach(parties, i, it) {
		if (r.failed)
			break;
		snprintf(r.where, sizeof(r.where), "party %zu", i + 1);
		if (!json_is_object(it))
			bad(&r, "not an object");
		else
			party_from_json(&r, c, it, &peers[i]);
	}
	r.where[0] = 0;
	for (i = 0; !r.failed && i < c->n_mls; i++) {
		if (peers[i] >= (long long)c->n_mls || peers[i] == (long long)i)
			bad(&r, "party %zu: 'peer' %lld is not another party", i + 1, peers[i]);
		else if (peers[i] >= 0)
			c->mls[i]->peer = c->mls[peers[i]];
	}
	if (r.failed) {
		call_restore_abort(c);
		return NULL;
	}
	return c;
}

/* ---- restore ---- */

struct restore {
	int restored, set_aside;
};

static void restore_file(const char *name, const char *data, size_t len, void *arg)
{
	struct restore *rs = arg;
	char err[256], want[STATE_NAME_LEN];
	json_error_t jerr;
	struct call *c;
	json_t *j;

	j = json_loadb(data, len, 0, &jerr);
	if (!j) {
		log_warn("state: %s/%s is not valid JSON (line %d: %s): set aside as %s.bad, not "
			 "restored",
			 state_dir(), name, jerr.line, jerr.text, name);
		state_set_aside(name);
		rs->set_aside++;
		return;
	}
	c = call_from_json(j, err, sizeof(err));
	json_decref(j);
	if (!c) {
		log_warn("state: %s/%s: %s: set aside as %s.bad, not restored", state_dir(), name,
			 err, name);
		state_set_aside(name);
		rs->set_aside++;
		return;
	}
	/* Rewritten when it lost a media, or its file has not its proper name (renamed by
	 * hand): otherwise the file says what the call is. */
	if (call_restore_start(c))
		call_state_changed(c);
	if (!state_name(want, sizeof(want), CALL_STATE_PREFIX, c->call_id) && strcmp(want, name)) {
		call_state_changed(c);
		state_put(name, NULL, 0);
	}
	rs->restored++;
	log_info("[%s] call restored", c->call_id);
}

int call_state_restore(void)
{
	struct restore rs = {0};
	int ret;

	if (!state_enabled())
		return 0;
	ret = state_load(CALL_STATE_PREFIX, restore_file, &rs);
	if (ret < 0) {
		log_err("state: cannot read %s: %s: no call restored", state_dir(), strerror(-ret));
		return 0;
	}
	if (rs.restored || rs.set_aside)
		log_info("state: %d call%s restored from %s, %d file%s set aside", rs.restored,
			 rs.restored == 1 ? "" : "s", state_dir(), rs.set_aside,
			 rs.set_aside == 1 ? "" : "s");
	return rs.restored;
}

int call_state_adopt_json(const char *call_id, const char *data, size_t len, int *lost)
{
	char err[256];
	json_error_t jerr;
	struct call *c;
	json_t *j;

	*lost = 0;
	if (call_lookup(call_id)) {
		log_warn("[%s] not taken over: this node has a call of that call-id", call_id);
		return -EEXIST;
	}
	j = json_loadb(data, len, 0, &jerr);
	if (!j) {
		log_warn("[%s] not taken over: its state is not valid JSON (line %d: %s)", call_id,
			 jerr.line, jerr.text);
		return -EINVAL;
	}
	c = call_from_json(j, err, sizeof(err));
	json_decref(j);
	if (!c) {
		log_warn("[%s] not taken over: %s", call_id, err);
		return -EINVAL;
	}
	*lost = call_restore_start(c);
	for (unsigned int i = 0; i < c->n_mls; i++)
		for (unsigned int k = 0; k < c->mls[i]->n_media; k++)
			media_kernel_sync(c->mls[i]->media[k]);
	call_state_changed(c); /* this node's from now on */
	log_info("[%s] call taken over", c->call_id);
	return 0;
}

void call_state_adopt_kernel(void)
{
	for (struct call *c = call_first(); c; c = call_next(c))
		for (unsigned int i = 0; i < c->n_mls; i++)
			for (unsigned int j = 0; j < c->mls[i]->n_media; j++) {
				media_kernel_adopt(c->mls[i]->media[j]);
				media_kernel_sync(c->mls[i]->media[j]);
			}
}

/* ---- the kernel record ---- */

int kernel_record_save(void)
{
	struct kernel_record r;
	json_t *o, *ifs, *lo;
	char *data;
	int ret;

	if (!state_enabled())
		return 0;
	kernel_record_get(&r);
	o = json_object();
	ifs = json_array();
	lo = json_array();
	for (int i = 0; i < 2 && lo; i++)
		json_array_append_new(lo, r.lo_forwarding[i] ? json_stringn(&r.lo_forwarding[i], 1)
							     : json_null());
	for (int i = 0; i < r.n_ifaces && ifs; i++)
		json_array_append_new(ifs, json_pack("{sissss}", "ifindex", r.ifaces[i].ifindex,
						     "name", r.ifaces[i].name, "mode",
						     xdp_mode_name(r.ifaces[i].mode)));
	if (o) {
		set(o, "version", json_integer(CALL_STATE_VERSION));
		set(o, "lo-forwarding", lo);
		set(o, "interfaces", ifs);
	}
	data = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!data)
		return -ENOMEM;
	ret = state_write_now(KERNEL_STATE_NAME, data, strlen(data));
	free(data);
	if (ret)
		log_warn("state: cannot write %s/" KERNEL_STATE_NAME ": %s", state_dir(),
			 strerror(-ret));
	return ret;
}

int kernel_record_load(struct kernel_record *r)
{
	char *data, err[128];
	struct reader rd = {.err = err, .errlen = sizeof(err)};
	json_t *o, *it, *lo;
	size_t len, i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = state_read(KERNEL_STATE_NAME, &data, &len);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	o = json_loads(data, 0, NULL);
	free(data);
	lo = json_object_get(o, "lo-forwarding");
	json_array_foreach(lo, i, it) {
		const char *v = json_string_value(it);

		if (i < 2 && v && (!strcmp(v, "0") || !strcmp(v, "1")))
			r->lo_forwarding[i] = v[0];
	}
	json_array_foreach(json_object_get(o, "interfaces"), i, it) {
		const char *name = get_str(&rd, it, "name", false), *mode;

		if (r->n_ifaces == KERNEL_MAX_IFACES)
			break;
		r->ifaces[r->n_ifaces].ifindex = (int)get_int(&rd, it, "ifindex", 1, INT32_MAX, 0);
		snprintf(r->ifaces[r->n_ifaces].name, sizeof(r->ifaces[0].name), "%s",
			 name ? name : "?");
		mode = get_str(&rd, it, "mode", false);
		r->ifaces[r->n_ifaces].mode =
			mode && !strcmp(mode, "generic") ? XDP_MODE_GENERIC : XDP_MODE_NATIVE;
		if (r->ifaces[r->n_ifaces].ifindex > 0)
			r->n_ifaces++;
	}
	if (!o || rd.failed) {
		log_warn("state: %s/" KERNEL_STATE_NAME " is damaged%s%s: set aside", state_dir(),
			 rd.failed ? ": " : "", rd.failed ? err : "");
		state_set_aside(KERNEL_STATE_NAME);
	}
	json_decref(o);
	return 0;
}
