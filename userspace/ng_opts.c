// SPDX-License-Identifier: GPL-2.0-only
/* The ng request's keys and flags (and the single-string rtpp_flags form) into call_opts.
 * rtpengine's documentation of the ng protocol names every key and flag handled here. */
#include "ng_opts.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool word_eq(const char *a, size_t alen, const char *b)
{
	return bn_key_eq(a, alen, b, strlen(b));
}

static void apply_sdes(struct call_opts *o, const char *w, size_t len)
{
	if (sdes_opt(&o->sdes, w, len))
		log_debug("ng: ignoring SDES option '%.*s'", (int)len, w);
}

/* The transport protocols the relay converts between (rtpengine's names). */
static const char *transport_name(const char *w, size_t len)
{
	static const char *const names[] = {"RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == strlen(names[i]) && !strncasecmp(w, names[i], len))
			return names[i];
	return NULL;
}

/* The name list a "codec" option fills; NULL for an unknown option. */
static struct sdp_codec_list *codec_list(struct call_opts *o, const char *w, size_t len)
{
	if (word_eq(w, len, "transcode"))
		return &o->codec.transcode;
	if (word_eq(w, len, "accept"))
		return &o->codec.accept;
	if (word_eq(w, len, "consume"))
		return &o->codec.consume;
	if (word_eq(w, len, "set"))
		return &o->codec.set;
	if (word_eq(w, len, "strip"))
		return &o->codec.strip;
	if (word_eq(w, len, "mask"))
		return &o->codec.mask;
	if (word_eq(w, len, "except"))
		return &o->codec.except;
	if (word_eq(w, len, "offer"))
		return &o->codec.offer;
	return NULL;
}

/* The flat form of a codec option, after "codec-": "strip-PCMA", "offer-opus/48000/2". */
static void apply_codec_flag(struct call_opts *o, const char *w, size_t len)
{
	const char *dash = memchr(w, '-', len);
	struct sdp_codec_list *l = dash ? codec_list(o, w, (size_t)(dash - w)) : NULL;

	if (!l || sdp_codec_list_add(l, dash + 1, len - (size_t)(dash + 1 - w)))
		log_debug("ng: ignoring codec flag 'codec-%.*s'", (int)len, w);
}

/* One flag word from the "flags" list or from rtpp_flags. */
static void apply_flag(struct call_opts *o, const char *w, size_t len)
{
	static const struct {
		const char *name;
		unsigned int stream_flag;
	} sflags[] = {{"strict-source", STREAM_F_STRICT_SOURCE},
		      {"asymmetric", STREAM_F_ASYMMETRIC},
		      {"media-handover", STREAM_F_MEDIA_HANDOVER}};

	for (size_t i = 0; i < sizeof(sflags) / sizeof(sflags[0]); i++)
		if (word_eq(w, len, sflags[i].name)) {
			o->stream_flags |= sflags[i].stream_flag;
			return;
		}
	if (word_eq(w, len, "symmetric"))
		o->stream_flags &= ~STREAM_F_ASYMMETRIC;
	else if (word_eq(w, len, "SIP-source-address"))
		o->sip_source_address = true;
	else if (word_eq(w, len, "trust-address"))
		o->sip_source_address = false;
	else if (word_eq(w, len, "replace-origin"))
		o->replace_origin = true;
	else if (word_eq(w, len, "replace-sdp-version") || word_eq(w, len, "SDP-version"))
		o->replace_sdp_version = true;
	else if (word_eq(w, len, "force-increment-sdp-version") ||
		 word_eq(w, len, "force-increment-sdp-ver"))
		o->force_increment_sdp_version = true;
	else if (word_eq(w, len, "replace-session-connection"))
		; /* every c= line is the relay's anyway */
	else if (len > 5 && word_eq(w, 5, "SDES-"))
		apply_sdes(o, w + 5, len - 5);
	else if (transport_name(w, len))
		o->transport_protocol = transport_name(w, len);
	else if (len > 6 && word_eq(w, 6, "codec-"))
		apply_codec_flag(o, w + 6, len - 6);
	else if (word_eq(w, len, "always-transcode"))
		sdp_codec_list_add(&o->codec.accept, "all", 3);
	else if (word_eq(w, len, "single-codec"))
		o->single_codec = true;
	else if (word_eq(w, len, "allow-transcoding"))
		; /* for answers the relay did not offer (subscribe): every answer may transcode */
	else
		log_debug("ng: ignoring flag '%.*s'", (int)len, w);
}

static void apply_replace(struct call_opts *o, const char *w, size_t len)
{
	if (word_eq(w, len, "origin"))
		o->replace_origin = true;
	else if (word_eq(w, len, "sdp-version"))
		o->replace_sdp_version = true;
	else if (word_eq(w, len, "force-increment-sdp-version") ||
		 word_eq(w, len, "force-increment-sdp-ver"))
		o->force_increment_sdp_version = true;
	else if (!word_eq(w, len, "session-connection"))
		log_debug("ng: ignoring replace option '%.*s'", (int)len, w);
}

static void apply_mux(struct call_opts *o, const char *w, size_t len)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} mux[] = {{"offer", MUX_OFFER},
		   {"demux", MUX_DEMUX},
		   {"require", MUX_REQUIRE},
		   {"accept", MUX_ACCEPT},
		   {"reject", MUX_REJECT}};

	for (size_t i = 0; i < sizeof(mux) / sizeof(mux[0]); i++)
		if (word_eq(w, len, mux[i].name)) {
			o->mux |= mux[i].bit;
			return;
		}
	log_debug("ng: ignoring rtcp-mux option '%.*s'", (int)len, w);
}

static int apply_learning(struct call_opts *o, const char *v, const char **err)
{
	static const char *const names[] = {[LEARN_HEURISTIC] = "heuristic",
					    [LEARN_IMMEDIATE] = "immediate",
					    [LEARN_DELAYED] = "delayed",
					    [LEARN_OFF] = "off"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			o->learn = (int)i;
			return 0;
		}
	*err = "Invalid endpoint-learning (heuristic, immediate, delayed, off)";
	return -EINVAL;
}

static int apply_family(struct call_opts *o, const char *v, const char **err)
{
	if (!strcmp(v, "IP4"))
		o->address_family = AF_INET;
	else if (!strcmp(v, "IP6"))
		o->address_family = AF_INET6;
	else {
		*err = "Invalid address-family (IP4 or IP6)";
		return -EINVAL;
	}
	return 0;
}

/* A list of words (or a single string) under key; each goes to fn. */
static int each_word(const struct bnode *req, const char *key, struct call_opts *o,
		     void (*fn)(struct call_opts *, const char *, size_t), const char **err)
{
	const struct bnode *v = bn_dict_get(req, key), *it;

	if (!v)
		return 0;
	if (v->type == BN_STR) {
		fn(o, v->str.s, v->str.len);
		return 0;
	}
	if (v->type != BN_LIST)
		goto bad;
	bn_for_each(it, v) {
		if (it->type != BN_STR)
			goto bad;
		fn(o, it->str.s, it->str.len);
	}
	return 0;
bad:
	*err = "Invalid value type for a list of flags";
	return -EINVAL;
}

/* rtpp_flags: "replace-origin rtcp-mux-demux direction=ext direction=int received-from=..." */
static int parse_rtpp_flags(struct barena *a, const char *s, struct call_opts *o, const char **err)
{
	int n_dir = 0;

	while (*s) {
		const char *end, *eq;
		char *key, *val;
		size_t len;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		end = s;
		while (*end && *end != ' ' && *end != '\t')
			end++;
		len = (size_t)(end - s);
		eq = memchr(s, '=', len);
		if (!eq) {
			if (len > 8 && word_eq(s, 8, "rtcp-mux"))
				apply_mux(o, s + 9, len - 9);
			else if (len > 8 && word_eq(s, 8, "replace-") &&
				 !word_eq(s, len, "replace-origin"))
				apply_replace(o, s + 8, len - 8);
			else if (word_eq(s, len, "IP4") || word_eq(s, len, "IP6"))
				o->address_family = s[2] == '4' ? AF_INET : AF_INET6;
			else
				apply_flag(o, s, len);
			s = end;
			continue;
		}
		key = barena_strndup(a, s, (size_t)(eq - s));
		val = barena_strndup(a, eq + 1, (size_t)(end - eq - 1));
		if (!key || !val) {
			*err = "Out of memory";
			return -ENOMEM;
		}
		if (bn_key_eq(key, strlen(key), "direction", 9)) {
			if (n_dir < 2)
				o->direction[n_dir++] = val;
		} else if (bn_key_eq(key, strlen(key), "received-from", 13)) {
			ep_parse_ip(&o->received_from, val);
		} else if (bn_key_eq(key, strlen(key), "media-address", 13)) {
			if (ep_parse_ip(&o->media_address, val)) {
				*err = "Invalid media-address";
				return -EINVAL;
			}
		} else if (bn_key_eq(key, strlen(key), "address-family", 14)) {
			if (apply_family(o, val, err))
				return -EINVAL;
		} else if (bn_key_eq(key, strlen(key), "delete-delay", 12)) {
			o->delete_delay = strtoll(val, NULL, 10);
		} else if (bn_key_eq(key, strlen(key), "endpoint-learning", 17)) {
			if (apply_learning(o, val, err))
				return -EINVAL;
		} else if (bn_key_eq(key, strlen(key), "rtcp-mux", 8)) {
			apply_mux(o, val, strlen(val));
		} else if (bn_key_eq(key, strlen(key), "replace", 7)) {
			apply_replace(o, val, strlen(val));
		} else if (strlen(key) > 6 && bn_key_eq(key, 6, "codec-", 6)) {
			/* "codec-strip=PCMA": the same as codec-strip-PCMA */
			struct sdp_codec_list *l = codec_list(o, key + 6, strlen(key) - 6);

			if (!l || sdp_codec_list_add(l, val, strlen(val)))
				log_debug("ng: ignoring codec option '%s=%s'", key, val);
		} else if (bn_key_eq(key, strlen(key), "ptime", 5) ||
			   bn_key_eq(key, strlen(key), "ptime-reverse", 13)) {
			char *rest;
			long v = strtol(val, &rest, 10);

			if (*rest || v < 1 || v > 200) {
				*err = "Invalid ptime (1..200 ms)";
				return -EINVAL;
			}
			*(strlen(key) == 5 ? &o->ptime : &o->ptime_reverse) = (unsigned int)v;
		} else if (bn_key_eq(key, strlen(key), "SDES", 4)) {
			apply_sdes(o, val, strlen(val));
		} else if (bn_key_eq(key, strlen(key), "transport-protocol", 18)) {
			if (!(o->transport_protocol = transport_name(val, strlen(val)))) {
				*err = "Invalid transport-protocol";
				return -EINVAL;
			}
		} else {
			log_debug("ng: ignoring rtpp_flags key '%s'", key);
		}
		s = end;
	}
	return 0;
}

static int get_str(const struct bnode *req, const char *key, const char **out, const char **err)
{
	const struct bnode *v = bn_dict_get(req, key);

	if (!v)
		return 0;
	if (v->type != BN_STR) {
		static char buf[96];

		snprintf(buf, sizeof(buf), "Invalid value type for key '%s'", key);
		*err = buf;
		return -EINVAL;
	}
	*out = v->str.s;
	return 0;
}

/* "codec": {"strip": ["PCMA", ...], "transcode": [...], ...}: each value a list of names or
 * one name. Unknown options are ignored (logged). */
static int parse_codec(const struct bnode *req, struct call_opts *o, const char **err)
{
	const struct bnode *d = bn_dict_get(req, "codec"), *v, *it;

	if (!d)
		return 0;
	if (d->type != BN_DICT)
		goto bad;
	bn_for_each(v, d) {
		struct sdp_codec_list *l = codec_list(o, v->key->str.s, v->key->str.len);

		if (!l) {
			log_debug("ng: ignoring codec option '%.*s'", (int)v->key->str.len,
				  v->key->str.s);
			continue;
		}
		if (v->type == BN_STR) {
			if (v->str.len && sdp_codec_list_add(l, v->str.s, v->str.len))
				goto many;
			continue;
		}
		if (v->type != BN_LIST)
			goto bad;
		bn_for_each(it, v) {
			if (it->type != BN_STR)
				goto bad;
			if (it->str.len && sdp_codec_list_add(l, it->str.s, it->str.len))
				goto many;
		}
	}
	return 0;
bad:
	*err = "Invalid value type for key 'codec'";
	return -EINVAL;
many:
	*err = "Too many codecs in codec options";
	return -EINVAL;
}

/* "ptime": milliseconds per packet, 1..200 (an integer or a string of one). */
static int get_ptime(const struct bnode *req, const char *key, unsigned int *out, const char **err)
{
	static char buf[64];
	long long v;

	if (!bn_dict_get(req, key))
		return 0;
	if (!bn_dict_get_int(req, key, &v) || v < 1 || v > 200) {
		snprintf(buf, sizeof(buf), "Invalid %s (1..200 ms)", key);
		*err = buf;
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

/* received-from: ["IP4", "192.0.2.1"] (or a bare address). */
static int parse_received_from(const struct bnode *req, struct call_opts *o, const char **err)
{
	const struct bnode *v = bn_dict_get(req, "received-from");
	const struct bnode *addr = v;

	if (!v)
		return 0;
	if (v->type == BN_LIST)
		addr = v->c.count == 2 ? v->c.last : NULL;
	if (!addr || addr->type != BN_STR || ep_parse_ip(&o->received_from, addr->str.s)) {
		*err = "Invalid received-from";
		return -EINVAL;
	}
	return 0;
}

int ng_opts_parse(struct barena *a, const struct bnode *req, struct call_opts *o, const char **err)
{
	const struct bnode *v, *it;
	const char *s = NULL;
	long long n;
	int n_dir = 0;

	memset(o, 0, sizeof(*o));
	o->learn = -1;
	o->delete_delay = -1;
	if (get_str(req, "call-id", &o->call_id, err) ||
	    get_str(req, "from-tag", &o->from_tag, err) ||
	    get_str(req, "to-tag", &o->to_tag, err) ||
	    get_str(req, "via-branch", &o->via_branch, err))
		return -EINVAL;
	if ((v = bn_dict_get(req, "sdp"))) {
		if (v->type != BN_STR) {
			*err = "Invalid value type for key 'sdp'";
			return -EINVAL;
		}
		o->sdp = v->str.s;
		o->sdp_len = v->str.len;
	}
	/* rtpp_flags first, so that explicit keys win. */
	if (get_str(req, "rtpp-flags", &s, err))
		return -EINVAL;
	if (s && parse_rtpp_flags(a, s, o, err))
		return -EINVAL;
	if (each_word(req, "flags", o, apply_flag, err) ||
	    each_word(req, "replace", o, apply_replace, err) ||
	    each_word(req, "rtcp-mux", o, apply_mux, err) ||
	    each_word(req, "SDES", o, apply_sdes, err))
		return -EINVAL;
	s = NULL;
	if (get_str(req, "transport-protocol", &s, err))
		return -EINVAL;
	if (s && !(o->transport_protocol = transport_name(s, strlen(s)))) {
		*err = "Invalid transport-protocol (RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF)";
		return -EINVAL;
	}
	if ((v = bn_dict_get(req, "direction"))) {
		if (v->type != BN_LIST) {
			*err = "Invalid value type for key 'direction'";
			return -EINVAL;
		}
		bn_for_each(it, v) {
			if (it->type == BN_STR && n_dir < 2)
				o->direction[n_dir++] = it->str.s;
		}
	}
	s = NULL;
	if (get_str(req, "address-family", &s, err) || (s && apply_family(o, s, err)))
		return -EINVAL;
	s = NULL;
	if (get_str(req, "media-address", &s, err))
		return -EINVAL;
	if (s && ep_parse_ip(&o->media_address, s)) {
		*err = "Invalid media-address";
		return -EINVAL;
	}
	if (parse_received_from(req, o, err) || parse_codec(req, o, err))
		return -EINVAL;
	s = NULL;
	if (get_str(req, "endpoint-learning", &s, err) || (s && apply_learning(o, s, err)))
		return -EINVAL;
	if (get_ptime(req, "ptime", &o->ptime, err) ||
	    get_ptime(req, "ptime-reverse", &o->ptime_reverse, err))
		return -EINVAL;
	if (bn_dict_get(req, "delete-delay")) {
		if (!bn_dict_get_int(req, "delete-delay", &n) || n < 0) {
			*err = "Invalid delete-delay";
			return -EINVAL;
		}
		o->delete_delay = n;
	}
	return 0;
}
