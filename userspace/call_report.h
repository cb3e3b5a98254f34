/* SPDX-License-Identifier: GPL-2.0-only */
/* A call as the ng query/delete replies show it: rtpengine's keys (created, last signal,
 * totals, tags -> medias -> streams with endpoints, flags and stats). */
#ifndef XRELAY_CALL_REPORT_H
#define XRELAY_CALL_REPORT_H

#include "bencode.h"
#include "call.h"

/* Adds the call's keys to the reply dict. NULL only when out of memory. */
struct bnode *call_report(struct barena *a, struct bnode *reply, const struct call *c);

#endif
