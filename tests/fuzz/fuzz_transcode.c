// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for the RTP transcoder: the input is a run of packets, each a 2-byte
 * big-endian length then its bytes, fed to transcoders of six fixed configurations; every
 * answer must stay within TC_MAX_OUT packets of at most TC_PKT_MAX bytes, each RTP version 2. */
#include "transcode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_transcode: %s\n", what);
		abort();
	}
}

static const struct tc_params configs[] = {
	{/* PCMU (and events) to Opus */
	 .in = {{.id = CODEC_PCMU, .pt = 0}, {.id = CODEC_CN, .pt = 13}},
	 .n_in = 2,
	 .out = {.id = CODEC_OPUS, .pt = 96, .opus = {.fec = true, .dtx = true}},
	 .dtmf_in_pt = 101,
	 .dtmf_in_clock = 8000,
	 .dtmf_out_pt = 110,
	 .dtmf_out_clock = 48000,
	 .ssrc = 1,
	 .seq = 65530,
	 .ts = 0xfffffff0u},
	{/* Opus to PCMA in 40 ms packets */
	 .in = {{.id = CODEC_OPUS, .pt = 111}},
	 .n_in = 1,
	 .out = {.id = CODEC_PCMA, .pt = 8, .ptime = 40},
	 .dtmf_in_pt = 101,
	 .dtmf_in_clock = 48000,
	 .dtmf_out_pt = 101,
	 .dtmf_out_clock = 8000,
	 .ssrc = 2},
	{/* G.722 or PCMU to PCMU in 10 ms packets */
	 .in = {{.id = CODEC_G722, .pt = 9}, {.id = CODEC_PCMU, .pt = 0}},
	 .n_in = 2,
	 .out = {.id = CODEC_PCMU, .pt = 0, .ptime = 10},
	 .dtmf_in_pt = -1,
	 .dtmf_out_pt = -1,
	 .ssrc = 3},
	{/* G.722 or PCMU to Opus in 40 ms packets (Opus encodes at 16 kHz) */
	 .in = {{.id = CODEC_G722, .pt = 9}, {.id = CODEC_PCMU, .pt = 0}},
	 .n_in = 2,
	 .out = {.id = CODEC_OPUS, .pt = 96, .ptime = 40, .opus = {.fec = true}},
	 .dtmf_in_pt = -1,
	 .dtmf_out_pt = -1,
	 .ssrc = 5},
	{/* Opus to G.722 (Opus decodes at 16 kHz) */
	 .in = {{.id = CODEC_OPUS, .pt = 111}},
	 .n_in = 1,
	 .out = {.id = CODEC_G722, .pt = 9},
	 .dtmf_in_pt = -1,
	 .dtmf_out_pt = -1,
	 .ssrc = 6},
	{/* G.711 translated byte for byte */
	 .in = {{.id = CODEC_PCMU, .pt = 0}, {.id = CODEC_PCMA, .pt = 8}},
	 .n_in = 2,
	 .out = {.id = CODEC_PCMA, .pt = 8},
	 .dtmf_in_pt = 101,
	 .dtmf_in_clock = 8000,
	 .dtmf_out_pt = 100,
	 .dtmf_out_clock = 8000,
	 .ssrc = 4},
};

#define N_CONF (sizeof(configs) / sizeof(configs[0]))

static uint8_t out[TC_MAX_OUT][TC_PKT_MAX];
static unsigned int out_len[TC_MAX_OUT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcoder *t[N_CONF];
	const char *err = NULL;
	size_t off = 0;

	for (size_t i = 0; i < N_CONF; i++) {
		t[i] = transcoder_new(&configs[i], &err);
		check(t[i] != NULL, "transcoder_new");
	}
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		for (size_t i = 0; i < N_CONF; i++) {
			int n = transcoder_rtp(t[i], data + off, (unsigned int)len, out, out_len);

			check(n >= 0 && n <= TC_MAX_OUT, "output count");
			for (int k = 0; k < n; k++) {
				check(out_len[k] > 12 && out_len[k] <= TC_PKT_MAX, "output length");
				check(out[k][0] == 0x80, "output header");
			}
		}
		off += len;
	}
	for (size_t i = 0; i < N_CONF; i++)
		transcoder_free(t[i]);
	return 0;
}
