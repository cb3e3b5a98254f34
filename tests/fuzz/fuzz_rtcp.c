// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for RTCP: the parser on the whole input, then the input cut at "#RX#" into
 * packets that one call's SSRC table takes 100 ms apart (so SRs and the reports answering them
 * meet), then the reply built and encoded. The parser's answer must stay within its limits. */
#include "rtcp.h"
#include "ssrc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP	"#RX#"
#define SEP_LEN 4

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_rtcp: %s\n", what);
		abort();
	}
}

/* Parses one packet; its statistics go into t when it parses. */
static void one(struct ssrc_table *t, const uint8_t *p, size_t len, int64_t now_us)
{
	struct rtcp_info ri;
	const char *err = NULL;

	if (rtcp_parse(p, len, &ri, &err)) {
		check(err && *err, "error without a reason");
		return;
	}
	check(ri.n_packets >= 1 && ri.n_packets <= len / 4, "packet count");
	check(ri.n_blocks <= RTCP_MAX_BLOCKS && ri.n_blocks <= ri.n_blocks_total, "block count");
	check(ri.n_blocks_total <= len / 24, "more blocks than bytes");
	check(ri.n_dlrr <= RTCP_MAX_BLOCKS, "DLRR count");
	check(memchr(ri.cname, '\0', sizeof(ri.cname)) != NULL, "CNAME not terminated");
	ssrc_table_rtcp(t, &ri, now_us);
	/* The same packet again a little later: its own SRs now answer its own blocks. */
	ssrc_table_rtcp(t, &ri, now_us + 20000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssrc_table *t = ssrc_table_new();
	int64_t now_us = 1700000000000000ll;
	const uint8_t *p = data, *end = data + size;
	struct barena *a;
	struct bnode *dict;
	char *enc;

	if (!t)
		return 0;
	if (size)
		ssrc_table_set_clock_rate(t, 8000u * (1u + data[size - 1] % 6));
	one(t, data, size, now_us);
	while (p < end) {
		const uint8_t *sep = memmem(p, (size_t)(end - p), SEP, SEP_LEN);
		const uint8_t *stop = sep ? sep : end;

		now_us += 100000;
		one(t, p, (size_t)(stop - p), now_us);
		p = sep ? sep + SEP_LEN : end;
	}

	a = barena_new();
	dict = a ? bn_dict(a) : NULL;
	if (dict) {
		ssrc_table_report(t, a, dict);
		check(dict->c.count <= SSRC_MAX, "more SSRCs than the table holds");
		/* Twice: every SSRC is there already, nothing more is added. */
		ssrc_table_report(t, a, dict);
		check(dict->c.count <= SSRC_MAX, "an SSRC reported twice");
		enc = bencode_encode(dict, NULL);
		check(enc != NULL, "encode");
		free(enc);
	}
	barena_free(a);
	ssrc_table_put(t);
	return 0;
}
