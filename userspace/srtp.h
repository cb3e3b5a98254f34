/* SPDX-License-Identifier: GPL-2.0-only */
/* SRTP/SRTCP with libsrtp2: one context per direction of a stream, created by the control thread
 * and then used and freed by exactly one media worker (no lock). */
#ifndef XRELAY_SRTP_H
#define XRELAY_SRTP_H

#include "sdes.h"

#include <stdbool.h>
#include <stddef.h>

/* Room a protect may add to a packet: tag, SRTCP index and MKI. */
#define SRTPX_OVERHEAD 32

enum srtpx_dir { SRTPX_DECRYPT, SRTPX_ENCRYPT };

/* Why a packet was refused; counted per stream. */
enum srtpx_result {
	SRTPX_OK = 0,
	SRTPX_AUTH_FAIL = -1, /* bad tag, wrong key */
	SRTPX_REPLAY = -2,    /* replayed or too old */
	SRTPX_ERROR = -3,     /* malformed, too short, no room */
};

struct srtpx;

/* Once, at startup before any SDES is parsed (not thread safe). 0 or -EIO. Checks libsrtp2
 * against a known answer and disables (sdes_suite_set_enabled) the suites it gets wrong. */
int srtpx_init(void);
/* Whether srtpx_init found libsrtp2 computing suite id as its RFC says. */
bool srtpx_suite_follows_rfc(enum sdes_suite_id id);
/* A context for key in one direction (any SSRC). NULL with errno on failure. */
struct srtpx *srtpx_new(const struct sdes_crypto *key, enum srtpx_dir dir);
void srtpx_free(struct srtpx *x);
/* In place. *len is updated; cap is the buffer's size (protect needs SRTPX_OVERHEAD free). */
enum srtpx_result srtpx_rtp(struct srtpx *x, void *pkt, unsigned int *len, unsigned int cap);
enum srtpx_result srtpx_rtcp(struct srtpx *x, void *pkt, unsigned int *len, unsigned int cap);

#endif
