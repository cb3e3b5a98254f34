/* SPDX-License-Identifier: GPL-2.0-only */
/* SDP: a model that keeps every line, the fields the relay rewrites parsed out, and a printer. */
#ifndef XRELAY_SDP_H
#define XRELAY_SDP_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_LINES	 1024 /* per SDP; more is refused */
#define SDP_MAX_MEDIA	 64   /* m= lines per SDP */
#define SDP_MAX_LINE_LEN 4096 /* bytes per line, "x=" included, line end excluded */

enum sdp_dir { SDP_DIR_NONE = 0, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

/* One line "x=text": type 'x', text without the "x=" and without the line ending. */
struct sdp_line {
	char type;
	char *text; /* malloc'd */
};

/* A connection address ("c=IN IP4 192.0.2.1" or a=rtcp's "IN IP6 ..."). */
struct sdp_conn {
	bool present;
	struct endpoint addr; /* port 0; family AF_INET/AF_INET6 */
};

struct sdp_media {
	char type[32];		   /* audio, video, application, ... */
	uint16_t port;		   /* 0 = rejected */
	unsigned int num_ports;	   /* the "/N" of "m=audio 4000/2"; 0 when absent */
	char proto[48];		   /* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, ... */
	char *fmts;		   /* the rest of the m= line: "0 8 101" (malloc'd) */
	struct sdp_conn conn;	   /* media-level c= */
	uint16_t rtcp_port;	   /* a=rtcp:PORT; 0 when absent */
	struct sdp_conn rtcp_conn; /* a=rtcp:PORT IN IP4 ADDR */
	bool rtcp_mux;		   /* a=rtcp-mux */
	enum sdp_dir dir;	   /* media-level direction attribute, NONE when absent */
	/* Every line after the m= line, in order, parsed ones included. */
	struct sdp_line *lines;
	size_t n_lines;
	/* The m= text as received (malloc'd, may be NULL): printed while the fields above still
	 * say the same, so odd spacing survives a round trip; regenerated otherwise. */
	char *mline;
};

struct sdp {
	/* Every session-level line (v=, o=, s=, c=, t=, a=...) in order, parsed ones included. */
	struct sdp_line *lines;
	size_t n_lines;
	/* o=USER SESS-ID SESS-VERSION IN IP4 ADDR */
	char origin_user[64];
	char origin_sess_id[32];
	unsigned long long origin_version;
	struct sdp_conn origin_addr;
	struct sdp_conn conn; /* session-level c= */
	enum sdp_dir dir;     /* session-level direction, NONE when absent */
	struct sdp_media *media;
	size_t n_media;
};

/* Parses text (CRLF or LF line ends). Returns 0, or -EINVAL with a static reason in *err
 * ("no v= line", "bad m= line", "too many lines", ...) or -ENOMEM; on error s is left empty.
 * Blank lines are tolerated at the end only. */
int sdp_parse(struct sdp *s, const char *text, size_t len, const char **err);
void sdp_free(struct sdp *s);
/* Prints with CRLF line ends; returns a malloc'd NUL-terminated string (length in *len). */
char *sdp_print(const struct sdp *s, size_t *len);

/* The direction that applies to media m: its own, else the session's, else sendrecv;
 * a c= of 0.0.0.0 (old-style hold) counts as sendonly when there is no attribute. */
enum sdp_dir sdp_media_dir(const struct sdp *s, const struct sdp_media *m);
/* The address that applies to media m: its own c=, else the session c=; NULL when neither. */
const struct sdp_conn *sdp_media_conn(const struct sdp *s, const struct sdp_media *m);
const char *sdp_dir_name(enum sdp_dir d);
/* The RTP clock rate of m's first payload type: its a=rtpmap rate, else its RFC 3551 static
 * rate, else 8000 (90000 for video); 0 when m has no payload type. */
unsigned int sdp_media_clock_rate(const struct sdp_media *m);

/* A payload type of a media as its SDP describes it: a=rtpmap (else RFC 3551's static name)
 * and a=fmtp. */
struct sdp_codec {
	uint8_t pt;
	char name[32];	       /* "" when unknown */
	unsigned int rate;     /* 0 when not given */
	unsigned int channels; /* 0 when not given for a non-audio media */
	char fmtp[160];	       /* the a=fmtp value after "PT ", "" when none */
};
/* m's payload types in m= order (at most max); 0 for a rejected media or one whose formats are
 * not RTP payload types. */
size_t sdp_media_codec_list(const struct sdp_media *m, struct sdp_codec *out, size_t max);

/* The ng "codec" options (rtpengine's names). A name is an encoding name ("PCMU", "opus",
 * case-insensitive), optionally with "/RATE[/CHANNELS[/BITRATE[/PTIME[/FMTP]]]]"
 * ("opus/48000/2/32000"), or "all" / "full" (every codec). Names are pointer and length (not
 * NUL-terminated: they point into the request). */
#define SDP_CODEC_MAX_NAMES 32
struct sdp_codec_list {
	struct {
		const char *s;
		size_t len;
	} name[SDP_CODEC_MAX_NAMES];
	unsigned int n;
};

struct sdp_codec_opts {
	struct sdp_codec_list strip;	 /* remove these */
	struct sdp_codec_list mask;	 /* remove these; still accepted from the offerer */
	struct sdp_codec_list consume;	 /* the same as mask */
	struct sdp_codec_list except;	 /* keep these even when stripped, in place */
	struct sdp_codec_list offer;	 /* keep these even when stripped, first, in this order */
	struct sdp_codec_list transcode; /* offer these, added when the offerer has not */
	struct sdp_codec_list accept; /* keep offering; accepted from the offerer when declined */
	struct sdp_codec_list set;    /* encoder options of the offerer's codecs */
};

/* A codec option name split up: name, then 0 for each number not given. */
struct sdp_codec_spec {
	char name[32];
	unsigned int rate, channels, bitrate, ptime;
	char fmtp[160];
};
/* Parses "opus/48000/2/32000"; -EINVAL when a number is not one or the name is too long. */
int sdp_codec_spec_parse(const char *s, size_t len, struct sdp_codec_spec *out);

/* Adds a name to l; -E2BIG when l is full, -EINVAL when empty. */
int sdp_codec_list_add(struct sdp_codec_list *l, const char *s, size_t len);
/* Some option that edits the offer's format list is given. */
bool sdp_codec_opts_set(const struct sdp_codec_opts *o);
/* Whether a name of l matches c ("all"/"full" match everything). */
bool sdp_codec_list_match(const struct sdp_codec_list *l, const struct sdp_codec *c);
/* Edits m's format list as o says (strip, mask, consume, except, offer; a transcode name
 * present in the offer counts as offer): stripped payload types leave the m= line together
 * with their a=rtpmap, a=fmtp and a=rtcp-fb lines; every other line stays as is. Payload types
 * without a=rtpmap are known by their RFC 3551 static names (0 PCMU, 8 PCMA, 18 G729, ...).
 * A rejected media (port 0) and one whose formats are not RTP payload types are left alone.
 * Returns 0, -EINVAL with "No codec left after codec options" in *err when nothing would be
 * left (m unchanged; an audio media with transcode names may be left empty: the caller adds
 * to it), -ENOMEM (m unchanged). */
int sdp_media_codecs(struct sdp_media *m, const struct sdp_codec_opts *o, const char **err);

/* One format of a new format list: keep (rtpmap NULL) the media's own lines for pt, or write
 * "a=rtpmap:PT RTPMAP" and, when fmtp is set, "a=fmtp:PT FMTP" (replacing the media's). */
struct sdp_fmt {
	uint8_t pt;
	const char *rtpmap; /* "opus/48000/2" */
	const char *fmtp;
};
/* Sets m's m= formats to f[0..n) in order; the a=rtpmap/fmtp/rtcp-fb lines of payload types
 * no longer listed go, new ones are written after the media's last such line kept (else where
 * the first one was, else at the end). 0, -EINVAL (n == 0), -ENOMEM (m unchanged). */
int sdp_media_set_fmts(struct sdp_media *m, const struct sdp_fmt *f, size_t n);
/* Replaces (or adds) a=ptime:MS; 0 or -ENOMEM. */
int sdp_media_set_ptime(struct sdp_media *m, unsigned int ms);

/* How the relay wants one m= section written. */
struct sdp_rewrite_media {
	bool rejected;	      /* write port 0, change nothing else */
	struct endpoint addr; /* the relay's advertised address for this media (port ignored) */
	bool keep_any_addr;   /* the media had c=0.0.0.0 / :: (hold): keep it */
	uint16_t rtp_port;    /* m= port */
	uint16_t rtcp_port;   /* a=rtcp: port (muxed: rtp_port, or 0 meaning rtp_port) */
	bool rtcp_mux;	      /* write a=rtcp-mux (else remove any) */
	enum sdp_dir dir;     /* write this direction attribute; NONE = leave as is */
	const char *proto;    /* the m= transport protocol; NULL = leave as is */
	/* With set_crypto, every a=crypto line is replaced by these attribute values (the text
	 * after "crypto:"), where the first one was (else at the end of the media). */
	bool set_crypto;
	const char *const *crypto;
	size_t n_crypto;
};

struct sdp_rewrite {
	bool replace_origin; /* o= address := the first media's relay address */
	bool set_version;    /* o= session version := version */
	unsigned long long version;
	size_t n_media; /* must equal s->n_media */
	const struct sdp_rewrite_media *media;
};

/* Applies rw to s. Media get their own c= line (added after m=/i= when missing), the session
 * c= (if any) takes the first non-rejected media's address, a=rtcp: is written as
 * "a=rtcp:PORT" (plus " IN IP4|IP6 ADDR" when that address family differs from c=), the
 * direction attribute is replaced or added. Every other line is kept in place.
 * Returns 0 or -EINVAL when rw does not match s (media count, a kept media without address),
 * -E2BIG when the result would pass SDP_MAX_LINES or SDP_MAX_LINE_LEN (s unchanged in both
 * cases), -ENOMEM (s then partly rewritten, still consistent). */
int sdp_rewrite(struct sdp *s, const struct sdp_rewrite *rw);

#endif
