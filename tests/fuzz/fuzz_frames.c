// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for the stream framings hand-written around the libraries: the ng-over-TCP
 * message splitter and the WebSocket frame parser. Every answer must stay inside the input. */
#include "ng_tcp.h"
#include "ws.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t skip, clen, total, off = 0;
	struct ws_frame f;
	int n;

	/* The TCP splitter, as the connection uses it: message after message. */
	while (off < size) {
		n = ng_tcp_frame((const char *)data + off, size - off, &skip, &clen, &total);
		if (n <= 0)
			break;
		if (skip > total || clen > total || total > size - off || !total)
			abort();
		off += total;
	}
	/* The WebSocket parser, masked (server side) and not, at two size limits. */
	for (int i = 0; i < 4; i++) {
		n = ws_frame_parse(data, size, i & 1 ? 64 : 49152, i & 2, &f);
		if (n > 0 && ((size_t)n > size || f.hdr_len + f.len != (size_t)n))
			abort();
	}
	return 0;
}
