// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen --g711: payloads made only of G.711 codes, so that a relay may translate them (PCMU <->
 * PCMA) byte for byte, and the receiver's check that every byte is the translated code. */
#include "common.h"

#include "codec.h"

#include <string.h>

/* Nibble n of the metadata is sent as G711_CODE0 + n: the 16 codes 0x90..0x9f survive u->A->u
 * and A->u->A unchanged, and their translations (0xaf..0xbf) are none of them, so an
 * untranslated or twice translated byte is caught. g711_check() verifies it at start-up. */
#define G711_CODE0 0x90
/* Every byte after the metadata: A-law's silence; a round-tripping code in both laws. */
#define G711_FILL 0xd5

static uint8_t translate(enum g711_law from, enum g711_law to, uint8_t c)
{
	if (from == to)
		return c;
	return from == G711_ULAW ? codec_ulaw_to_alaw(c) : codec_alaw_to_ulaw(c);
}

static bool round_trips(uint8_t c)
{
	return codec_alaw_to_ulaw(codec_ulaw_to_alaw(c)) == c &&
	       codec_ulaw_to_alaw(codec_alaw_to_ulaw(c)) == c;
}

int g711_check(void)
{
	for (unsigned int n = 0; n < 16; n++) {
		uint8_t c = G711_CODE0 + n, a = codec_ulaw_to_alaw(c), u = codec_alaw_to_ulaw(c);

		if (!round_trips(c) || (a & 0xf0) == G711_CODE0 || (u & 0xf0) == G711_CODE0 ||
		    a == G711_FILL || u == G711_FILL) {
			fprintf(stderr,
				"rtpgen: --g711: code 0x%02x does not round trip through "
				"the G.711 tables (or its translation is another code)\n",
				c);
			return -1;
		}
	}
	if (!round_trips(G711_FILL) || codec_ulaw_to_alaw(G711_FILL) == G711_FILL ||
	    codec_alaw_to_ulaw(G711_FILL) == G711_FILL) {
		fprintf(stderr, "rtpgen: --g711: the filler 0x%02x does not round trip\n",
			G711_FILL);
		return -1;
	}
	return 0;
}

uint8_t g711_pt(enum g711_law law)
{
	return law == G711_ALAW ? 8 : 0;
}

void g711_put(uint8_t *payload, unsigned int len, uint64_t seq, uint64_t stamp)
{
	uint8_t meta[G711_META];

	put32(meta, PAYLOAD_MAGIC);
	put64(meta + 4, seq);
	put64(meta + 12, stamp);
	for (unsigned int i = 0; i < G711_META; i++) {
		payload[2 * i] = G711_CODE0 + (meta[i] >> 4);
		payload[2 * i + 1] = G711_CODE0 + (meta[i] & 0x0f);
	}
	memset(payload + 2 * G711_META, G711_FILL, len - 2 * G711_META);
}

void g711_rx_init(struct g711_rx *g, enum g711_law sent, enum g711_law arrives)
{
	memset(g->nibble, 0xff, sizeof(g->nibble));
	for (unsigned int n = 0; n < 16; n++)
		g->nibble[translate(sent, arrives, G711_CODE0 + n)] = (uint8_t)n;
	g->fill = translate(sent, arrives, G711_FILL);
}

bool g711_decode(const struct g711_rx *g, const uint8_t *payload, unsigned int len,
		 uint8_t meta[G711_META])
{
	uint8_t bad = 0;

	if (len < 2 * G711_META)
		return false;
	for (unsigned int i = 0; i < G711_META; i++) {
		uint8_t hi = g->nibble[payload[2 * i]], lo = g->nibble[payload[2 * i + 1]];

		bad |= (hi | lo) & 0xf0;
		meta[i] = (uint8_t)(hi << 4 | (lo & 0x0f));
	}
	for (unsigned int i = 2 * G711_META; i < len; i++)
		bad |= payload[i] ^ g->fill;
	return !bad && get32(meta) == PAYLOAD_MAGIC;
}
