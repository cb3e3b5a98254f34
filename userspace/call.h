/* SPDX-License-Identifier: GPL-2.0-only */
/* Calls: call (call-id) -> monologues (one per tag) -> media (m= line) -> streams (RTP, RTCP).
 * Offer, answer, delete and timeouts; owned by the control thread. */
#ifndef XRELAY_CALL_H
#define XRELAY_CALL_H

#include "config.h"
#include "kernel.h"
#include "sdes.h"
#include "sdp.h"
#include "stream.h"
#include "transcode.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* rtcp-mux options of an offer (rtpengine's names). */
#define MUX_OFFER   (1u << 0) /* offer mux to the recipient even if the offerer did not */
#define MUX_DEMUX   (1u << 1) /* do not pass the offerer's mux on */
#define MUX_REQUIRE (1u << 2) /* offer mux to the recipient, and accept the offerer's */
#define MUX_ACCEPT  (1u << 3) /* accept the offerer's mux even if the answerer declines */
#define MUX_REJECT  (1u << 4) /* never use mux towards the offerer */

/* What an offer, answer or delete asked for: the ng keys and flags, parsed. */
struct call_opts {
	const char *call_id, *from_tag, *to_tag, *via_branch;
	const char *sdp;
	size_t sdp_len;
	struct endpoint received_from; /* unset when absent */
	struct endpoint media_address; /* unset when absent */
	bool sip_source_address;       /* use received-from instead of the SDP address */
	int address_family;	       /* AF_INET/AF_INET6 for the output SDP; 0 = as input */
	const char *direction[2];      /* interface names: offerer side, recipient side */
	bool replace_origin, replace_sdp_version, force_increment_sdp_version;
	unsigned int mux;	   /* MUX_* */
	unsigned int stream_flags; /* STREAM_F_STRICT_SOURCE/ASYMMETRIC/MEDIA_HANDOVER */
	int learn;		   /* enum learn_mode, or -1 for the default */
	long long delete_delay;	   /* -1: the configured one */
	const char
		*transport_protocol; /* the m= protocol towards the recipient; NULL: as offered */
	struct sdes_opts sdes;
	struct sdp_codec_opts codec; /* the "codec" options (offer only) */
	unsigned int ptime;	     /* ms towards the recipient (offer), 0 = as sent */
	unsigned int ptime_reverse;  /* ms towards the offerer */
	bool single_codec;	     /* answer: only the first codec goes back to the offerer */
};

/* A party's SRTP with SDES keys (call_crypto.c). The relay decrypts what the party sends with
 * rx and encrypts what it sends to the party with tx; neither is set when the party speaks
 * plain RTP or when both parties use each other's keys (passthrough). */
struct media_crypto {
	struct sdes_crypto offered[SDES_MAX_CRYPTO]; /* the party's usable lines of its offer */
	unsigned int n_offered;
	struct sdes_crypto relay[SDES_MAX_CRYPTO]; /* the relay's lines offered to the party */
	unsigned int n_relay;
	bool rx_set, tx_set;
	struct sdes_crypto rx, tx;
	uint32_t gen; /* bumped when rx or tx change */
	/* What the streams' worker holds (identity only: the worker owns them). */
	uint32_t ctx_gen[2];
	bool ctx_made[2];
	struct srtpx *ctx_rx[2], *ctx_tx[2];
};

/* A party's codecs when the offer asked for transcoding (call_codec.c). */
#define MEDIA_MAX_CODECS 16
struct media_codec {
	struct sdp_codec sc;	     /* as this party's SDP (or the relay's offer to it) says */
	const struct codec_def *def; /* NULL: the relay does not know it */
	bool relay;		     /* added by the relay: the other party never offered it */
	bool masked;		     /* kept from the other party (mask, consume): transcoded */
	unsigned int bitrate;	     /* encoder bits/s towards this party; 0 = default */
	unsigned int ptime;	     /* ms per packet towards this party; 0 = the media's */
};

struct media_codecs {
	struct media_codec offered[MEDIA_MAX_CODECS]; /* its offer, or the relay's offer to it */
	unsigned int n_offered;
	struct media_codec neg[MEDIA_MAX_CODECS]; /* the answer's codecs, as this party sees them */
	unsigned int n_neg;
	bool always;	    /* always-transcode: decode even what both sides share */
	unsigned int ptime; /* ms of the packets this party receives; 0 = as sent */
	/* From the answer: what happens to the RTP this party sends. */
	bool rx_set; /* transcoded with rx */
	struct tc_params rx;
	uint32_t pt_pass[4];	/* with rx_set: the payload types that pass unchanged */
	struct transcoder *ctx; /* what the RTP stream's worker holds (identity only) */
	bool ctx_made;
};

struct media {
	struct monologue *ml;
	unsigned int index; /* 1-based, as m= lines count */
	char type[32];
	char proto[48];
	const struct cfg_iface *iface; /* the relay side this party talks to */
	struct stream *streams[2];     /* RTP (port), RTCP (port + 1); both always bound */
	uint16_t port;
	bool rejected;
	bool rtcp_mux;	  /* this party uses mux on the relay's socket */
	bool offered_mux; /* this party offered (or accepted) a=rtcp-mux in its SDP */
	unsigned int mux; /* MUX_* given with the offer that created this pairing */
	enum sdp_dir dir; /* the direction this party declared */
	bool hold_any;	  /* c=0.0.0.0 / :: */
	struct endpoint sdp_rtp, sdp_rtcp; /* this party's addresses from its SDP */
	unsigned int stream_flags;
	int learn;
	/* Per component: the kernel fast path's state for this stream (see call_kernel.c). */
	uint32_t gen[2];   /* relearn generation last pushed to the worker */
	bool in_kernel[2]; /* kfwd[] is installed */
	struct kernel_fwd kfwd[2];
	uint32_t kpt_allow[2][4];	/* what kfwd[].pt_allow points to (transcoded media) */
	struct xr_entry_stats kbase[2]; /* counters of this stream's earlier, removed entries */
	struct xr_entry_stats kcur[2];	/* the installed entry's counters, as last read */
	struct media_crypto *crypto;	/* NULL until the media meets SRTP (call_crypto.c) */
	struct media_codecs *codecs;	/* NULL unless an offer asked for transcoding */
};

/* call_codec.c: codec negotiation and transcoding. */
/* The offer asks for something only the transcoding engine does. */
bool codec_opts_transcode(const struct call_opts *o);
/* Offer: edits sm (what the recipient is offered) as o's codec options say, and fills from
 * (the offerer's codecs) and to (the recipient's). A transcode codec the relay cannot offer is
 * skipped with *warning. */
int media_codec_offer(struct sdp_media *sm, const struct call_opts *o, struct media_codecs *from,
		      struct media_codecs *to, const char **err, const char **warning);
/* Takes the offer's codec state (NULL: none, transcoding stops). -ENOMEM. */
int media_codec_take(struct media *m, const struct media_codecs *mc);
/* Restoring a saved call (call_state.c): m's codec lists, then, once both sides are there,
 * media_codec_replan(m) plans what m's RTP becomes (a new SSRC for a generated stream). */
int media_codec_restore(struct media *m, const struct media_codecs *mc);
void media_codec_replan(struct media *m);
/* c as the relay knows sc. */
void media_codec_fill(struct media_codec *c, const struct sdp_codec *sc);
/* Answer from my (its SDP media sm, edited into what goes to mx): picks what each direction
 * does. Changes nothing on error. */
int media_codec_answer(struct media *my, struct media *mx, struct sdp_media *sm,
		       const struct call_opts *o, const char **err);
/* Fills sc's transcoder for m's stream comp. */
void media_codec_cfg(struct media *m, int comp, struct stream_cfg *sc);
/* The streams were released: the worker freed the transcoder it held. */
void media_codec_forget(struct media *m);
/* What m's RTP is transcoded with (NULL: nothing is) and the transcoder's counters (NULL when
 * its worker has none). */
const struct tc_params *media_codec_transcoding(const struct media *m);
const struct tc_stats *media_codec_stats(const struct media *m);
/* The kernel may forward m's RTP only for these payload types (NULL: all); *xl says how to
 * translate G.711 in the kernel (0 = not). */
const uint32_t *media_codec_kernel(const struct media *m, uint8_t *xl, uint8_t *pt_in,
				   uint8_t *pt_out);

/* call_crypto.c: SDES negotiation, as rtpengine does it. */
/* The media's protocol is SRTP (RTP/SAVP, RTP/SAVPF). */
bool media_is_srtp(const struct media *m);
/* m's SDES state, made (zeroed) when it has none; NULL when out of memory. */
struct media_crypto *media_crypto_get(struct media *m);
/* Offer from mx (its SDP media sm) to my, whose protocol is set: remembers mx's crypto lines
 * and fills *lines (n in *n, at most 2 * SDES_MAX_CRYPTO, each of SDES_MAX_LINE_LEN bytes) with
 * the a=crypto values for my: mx's lines, then the relay's own suites with fresh keys. */
int media_crypto_offer(struct media *mx, struct media *my, const struct sdp_media *sm,
		       const struct sdes_opts *o, char (*lines)[SDES_MAX_LINE_LEN], size_t *n,
		       const char **err);
/* Answer from my (sm) to mx: picks the keys of both directions and fills the a=crypto values
 * for mx. *keep is set when my's own lines go to mx unchanged (passthrough). Changes nothing
 * on error. */
int media_crypto_answer(struct media *my, struct media *mx, const struct sdp_media *sm,
			char (*lines)[SDES_MAX_LINE_LEN], size_t *n, bool *keep, const char **err);
/* Fills sc's SRTP fields for m's stream comp: the contexts made for the current keys. */
void media_crypto_cfg(struct media *m, int comp, struct stream_cfg *sc);
/* The streams were released: the worker freed the contexts it held. */
void media_crypto_forget(struct media *m);
/* Packets arriving at m's stream comp go through an SRTP context (decrypt or encrypt). */
bool media_needs_transform(struct media *m, int comp);

/* The peer party's media at the same index, NULL when none. */
struct media *media_peer(const struct media *m);
/* The stream that RTCP for this party goes out of: RTP when it muxes. */
struct stream *media_rtcp_target(const struct media *m);

/* call_kernel.c: which streams the kernel forwards. */
/* Installs, updates or removes m's kernel entries to match what both sides learned. */
void media_kernel_sync(struct media *m);
/* Why userspace relays m's stream comp ("not latched", "xdp off", ...); NULL when the kernel
 * forwards it. */
const char *media_kernel_why(struct media *m, int comp);
/* Removes m's kernel entries, keeping their counters in kbase. */
void media_kernel_remove(struct media *m);
/* A restored media: takes over the kernel entries an earlier run left for its streams when
 * they forward as its state says (same slot, counters and gen); see kernel_fwd_adopt. */
void media_kernel_adopt(struct media *m);
/* Adds the kernel's counters of m's stream comp (removed and current entries) to st; with
 * refresh, reads the current entry (a syscall) else uses what was read last. */
void media_kernel_stats(struct media *m, int comp, struct stream_stats *st, bool refresh);
/* The worker said s latched onto a peer. */
void call_stream_latched(struct stream *s);

struct monologue {
	struct call *call;
	char *tag; /* "" until an answer names the answering party */
	char *via_branch;
	struct monologue *peer;
	struct media **media;
	unsigned int n_media;
	time_t created;
	bool sdp_seen;	  /* it sent an SDP through us */
	bool version_set; /* version_out holds our o= version for its SDPs */
	unsigned long long version_in, version_out;
	char *last_out; /* last SDP body we sent to its peer (for version handling) */
};

struct call {
	char *call_id;
	struct call *hnext;	    /* hash chain */
	struct call *lprev, *lnext; /* creation order */
	struct monologue **mls;
	unsigned int n_mls;
	struct worker *worker;
	time_t created;
	int64_t created_us;
	time_t last_signal;
	time_t delete_at; /* 0 = not scheduled */
	bool on_hold;
	struct ssrc_table *ssrc; /* RTCP statistics of the call's streams */
	bool state_dirty;	 /* call_state.c: to be written (or removed) */
};

/* Global counters for `statistics`. */
struct call_totals {
	unsigned long managed, rejected, timeouts, silent_timeouts, final_timeouts,
		regular_terminated, forced_terminated, offers, answers, deletes;
	uint64_t duration_sum_s;		   /* sum of the durations of ended calls */
	struct stream_stats ended;		   /* counters of the streams of ended calls */
	double packet_rate, byte_rate, error_rate; /* per second, over the last tick */
};

/* After workers_start(). */
int calls_init(const struct config *cfg);
/* Ends every call, then stops the workers and frees what they held. */
void calls_shutdown(void);
/* The same without ending the calls (state persistence: the state is saved): their kernel
 * entries and state files stay for the next run, which restores them. */
void calls_detach(void);

/* Restoring a saved call (call_state.c): call_restore_new makes an empty call, linked in but
 * not counted as new (NULL when the call-id exists); parties and media are added with
 * call_restore_party and call_restore_media and filled in; a media that had ports keeps its
 * port in m->port and may bring preset stream objects in m->streams (fd -1: what the streams
 * had learned). call_restore_start then binds those ports again (a media whose port is taken
 * is lost, logged), adopts the kernel entries and starts the streams; call_restore_abort
 * drops a call that cannot be restored, before call_restore_start. */
struct call *call_restore_new(const char *call_id);
struct monologue *call_restore_party(struct call *c, const char *tag);
struct media *call_restore_media(struct monologue *ml, unsigned int idx);
int call_restore_start(struct call *c); /* returns how many media were lost */
void call_restore_abort(struct call *c);

/* Each returns the SDP to send on (malloc'd) or NULL with a reason in *err (and, where
 * rtpengine sends one, a warning in *warning). */
char *call_offer(const struct call_opts *o, const char **err, const char **warning);
char *call_answer(const struct call_opts *o, const char **err, const char **warning);
/* Deletes the call (or the party to_tag names) now or after the delete delay. The call is
 * returned for the reply; it stays valid until the next calls_tick(). NULL with *err. */
struct call *call_delete(const struct call_opts *o, const char **err);

struct call *call_lookup(const char *call_id);
/* Calls in creation order: for list/statistics. */
struct call *call_first(void);
struct call *call_next(const struct call *c);
unsigned long calls_count(void);
/* Media whose RTP is transcoded (one count per direction). */
unsigned long calls_transcoded(void);
const struct call_totals *calls_totals(void);
const struct config *calls_config(void);
/* Counts an offer refused before it reached the calls (load limits). */
void calls_refused(void);
const struct port_pool *calls_ports(void);
/* Timeouts, delayed deletes, reaping of removed streams; once a second. */
void calls_tick(time_t now);
/* Counters of every stream, live and ended (last_packet unused); the kernel's per-entry
 * counters are included (read: a syscall each) only with kernel. */
void calls_sum(struct stream_stats *out, bool kernel);
/* The latest packet time of any stream of the call (unix s, 0 = never): in userspace, and
 * with kernel, in the kernel too (read now). */
time_t call_last_packet(struct call *c, bool kernel);
/* A stream's learned address and counters: userspace, plus the kernel's with kernel. */
void media_stats(struct media *m, int comp, struct endpoint *learned, struct stream_stats *st,
		 bool kernel);
/* Handles what the workers reported: latched streams, removed streams. */
void calls_poll(void);

#endif
