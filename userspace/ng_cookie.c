// SPDX-License-Identifier: GPL-2.0-only
/* "COOKIE SP BODY" requests of the stream ng transports (control thread only). */
#include "ng_cookie.h"

#include "ng_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ng_error_reply(const char *cookie, size_t clen, const char *reason, size_t *out_len)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	if (cookie)
		fprintf(f, "%.*s ", (int)clen, cookie);
	fprintf(f, "d6:result5:error12:error-reason%zu:%se", strlen(reason), reason);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	*out_len = len;
	return out;
}

char *ng_cookie_handle(const char *msg, size_t len, const struct endpoint *peer, size_t *out_len)
{
	const char *sp = memchr(msg, ' ', len < NG_COOKIE_MAX + 1 ? len : NG_COOKIE_MAX + 1);
	unsigned char key[NG_PEER_KEY_MAX];
	const char *reply;
	size_t clen, rlen;
	char *out;

	if (!sp || sp == msg)
		return NULL;
	clen = (size_t)(sp - msg);
	reply = ng_cache_reply(msg, clen, len - clen - 1, key, ng_cache_ep_key(peer, false, key),
			       &rlen);
	if (!reply)
		return NULL;
	out = malloc(rlen);
	if (!out)
		return NULL;
	memcpy(out, reply, rlen);
	*out_len = rlen;
	return out;
}
