/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-SSRC call quality from the RTCP a call carries: loss, jitter, round-trip time and a MOS
 * estimate, in rtpengine's "SSRC" reply layout. One table per call, shared by the call's
 * streams (all on one worker); the worker writes on RTCP packets only, the control thread reads
 * for query/delete, a mutex between them (never taken on the RTP path). */
#ifndef XRELAY_SSRC_H
#define XRELAY_SSRC_H

#include "bencode.h"
#include "rtcp.h"

#include <stdint.h>

#define SSRC_MAX                                                                                 \
	8 /* SSRCs tracked per call (a video call has a handful); the least recently reported is \
	     dropped */
#define SSRC_SAMPLES 256 /* MOS samples kept per SSRC for the progression */

struct ssrc_table;

/* Refcounted: the call holds one reference, each of its streams another. NULL when out of
 * memory. ssrc_table_put(NULL) does nothing. */
struct ssrc_table *ssrc_table_new(void);
void ssrc_table_get(struct ssrc_table *t);
void ssrc_table_put(struct ssrc_table *t);

/* The RTP clock rate (Hz) that report-block jitter is counted in; 8000 until set, 0 is
 * ignored. Applies to the samples taken after the call. */
void ssrc_table_set_clock_rate(struct ssrc_table *t, unsigned int hz);

/* Worker: a (decrypted) RTCP packet, already parsed, arrived at now_us (CLOCK_REALTIME µs). SRs
 * are remembered (NTP middle 32 bits -> now_us) so that the reply's LSR/DLSR give the
 * round-trip time between the relay and the reporter (XR RRTR/DLRR likewise); report blocks
 * become samples. */
void ssrc_table_rtcp(struct ssrc_table *t, const struct rtcp_info *ri, int64_t now_us);

/* The MOS model (documented in docs/rtcp.md): R-factor from the round-trip time (µs), jitter
 * (ms) and loss (percent), mapped to MOS x 10 (10..45). */
int ssrc_mos(int64_t rtt_us, unsigned int jitter_ms, unsigned int loss_pct);

/* Control thread: adds one entry per SSRC that has samples or a known SR to dict (the reply's
 * "SSRC"), keyed by the SSRC in decimal: "cumulative loss", "average MOS", "lowest MOS",
 * "highest MOS", "MOS progression" ({"interval": s, "entries": [...]}), each MOS dict with
 * "MOS", "round-trip time" (µs, end to end when both legs are known), "round-trip time leg"
 * (µs, relay <-> reporter), "jitter" (ms), "packet loss" (%), and "samples" or "reported at"
 * (unix s); "packets" and "bytes" from the SSRC's last SR. An SSRC already in dict is skipped.
 * Out of memory leaves parts out (the bn_* builders ignore NULL). */
void ssrc_table_report(struct ssrc_table *t, struct barena *a, struct bnode *dict);

#endif
