// SPDX-License-Identifier: GPL-2.0-only
/* The XDP fast path (placeholder until the forwarding logic lands): passes everything. */
#include "maps.h"

SEC("xdp")
int xrelay_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
