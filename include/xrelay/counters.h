/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-stream counters as one X-macro list: the daemon's stream struct, the ng query reply
 * ("stats") and, with the XDP fast path, the kernel's per-entry counters come from it. */
#ifndef XRELAY_COUNTERS_H
#define XRELAY_COUNTERS_H

/* X(field, ng name) */
#define XR_STREAM_COUNTERS(X) \
	X(packets, "packets") \
	X(bytes, "bytes")     \
	X(errors, "errors")

#endif
