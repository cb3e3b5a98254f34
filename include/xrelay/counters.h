/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-stream counters as one X-macro list: the daemon's stream struct, its snapshots and the ng
 * query reply ("stats") come from it. */
#ifndef XRELAY_COUNTERS_H
#define XRELAY_COUNTERS_H

/* X(field, ng name) */
#define XR_STREAM_COUNTERS(X)                       \
	X(packets, "packets")                       \
	X(bytes, "bytes")                           \
	X(errors, "errors")                         \
	X(srtp_auth_failures, "srtp auth failures") \
	X(srtp_replays, "srtp replays")             \
	X(rtcp_errors, "rtcp errors")               \
	X(overload_drops, "overload drops")

#endif
