// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: whatever parses must print, re-parse and print the same; a fixed rewrite must
 * print an SDP that parses again, and applying it twice changes nothing more. */
#include "sdp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sdp: %s\n", what);
		abort();
	}
}

/* Prints s, parses the print into again and checks the second print is the same. */
static char *print_stable(const struct sdp *s, struct sdp *again, size_t *len)
{
	const char *err = NULL;
	char *out = sdp_print(s, len), *out2;
	size_t len2;

	check(out && *len == strlen(out), "print");
	if (sdp_parse(again, out, *len, &err)) {
		fprintf(stderr, "fuzz_sdp: %s in\n%s", err, out);
		check(false, "print does not parse");
	}
	out2 = sdp_print(again, &len2);
	check(out2 && len2 == *len && !memcmp(out, out2, len2), "print not stable");
	free(out2);
	return out;
}

static void fill_rewrite(const struct sdp *s, struct sdp_rewrite *rw,
			 struct sdp_rewrite_media *media)
{
	memset(rw, 0, sizeof(*rw));
	rw->replace_origin = true;
	rw->set_version = true;
	rw->version = 42;
	rw->n_media = s->n_media;
	rw->media = media;
	for (size_t i = 0; i < s->n_media; i++) {
		struct sdp_rewrite_media *r = &media[i];

		memset(r, 0, sizeof(*r));
		r->rejected = i % 4 == 3;
		ep_parse_ip(&r->addr, i % 2 ? "2001:db8::5" : "203.0.113.5");
		r->keep_any_addr = i % 3 == 1;
		r->rtp_port = (uint16_t)(30000 + 2 * i);
		r->rtcp_mux = i % 2;
		r->rtcp_port = r->rtcp_mux ? r->rtp_port : (uint16_t)(r->rtp_port + 1);
		if (i % 5 == 4)
			r->rtcp_port = 0;
		r->dir = (enum sdp_dir)(i % 5);
	}
}

/* The codec options on whatever parsed: PCMA and telephone-event stripped, PCMU offered first;
 * what is left must still print and parse. */
static void strip_codecs(struct sdp *s)
{
	static struct sdp_codec_opts o;
	struct sdp again;
	const char *err;
	size_t len;
	char *out;

	if (!sdp_codec_opts_set(&o)) {
		sdp_codec_list_add(&o.strip, "PCMA", 4);
		sdp_codec_list_add(&o.strip, "telephone-event", 15);
		sdp_codec_list_add(&o.offer, "PCMU", 4);
	}
	for (size_t i = 0; i < s->n_media; i++)
		sdp_media_codecs(&s->media[i], &o, &err);
	out = print_stable(s, &again, &len);
	free(out);
	sdp_free(&again);
	/* As the transcoding offer writes them: the codecs listed in reverse, the first one's
	 * lines rewritten, one added, a ptime; what comes out must parse and list them so. */
	for (size_t i = 0; i < s->n_media; i++) {
		struct sdp_codec c[16], back[17];
		struct sdp_fmt f[17];
		size_t n = sdp_media_codec_list(&s->media[i], c, 16), k = 0;

		if (!n)
			continue;
		for (size_t j = n; j-- > 0;)
			f[k++] = (struct sdp_fmt){c[j].pt, j ? NULL : "X/8000", j ? NULL : "a=1"};
		f[k++] = (struct sdp_fmt){127, "opus/48000/2", NULL};
		if (sdp_media_set_fmts(&s->media[i], f, k) || sdp_media_set_ptime(&s->media[i], 30))
			continue;
		check(sdp_media_codec_list(&s->media[i], back, 17) == k, "codec count after set");
		for (size_t j = 0; j < k; j++)
			check(back[j].pt == f[j].pt, "codec order after set");
	}
	out = print_stable(s, &again, &len);
	free(out);
	sdp_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_rewrite_media media[SDP_MAX_MEDIA];
	struct sdp s, again, again2;
	struct sdp_rewrite rw;
	char *out, *out2;
	size_t len, len2;
	int ret;

	if (sdp_parse(&s, (const char *)data, size, NULL))
		return 0;
	out = print_stable(&s, &again, &len);
	free(out);
	sdp_free(&again);

	for (size_t i = 0; i < s.n_media; i++) {
		const struct sdp_conn *c = sdp_media_conn(&s, &s.media[i]);

		check(!c || c->present, "media conn");
		check(strcmp(sdp_dir_name(sdp_media_dir(&s, &s.media[i])), "none"), "media dir");
	}
	strip_codecs(&s);

	fill_rewrite(&s, &rw, media);
	rw.n_media = s.n_media + 1;
	check(sdp_rewrite(&s, &rw) == -EINVAL, "media count not checked");
	rw.n_media = s.n_media;
	ret = sdp_rewrite(&s, &rw);
	check(!ret || ret == -E2BIG, "rewrite");
	out = print_stable(&s, &again, &len);
	if (!ret) {
		/* The same rewrite again is a no-op. */
		check(!sdp_rewrite(&again, &rw), "second rewrite");
		out2 = print_stable(&again, &again2, &len2);
		check(len2 == len && !memcmp(out, out2, len), "rewrite not idempotent");
		free(out2);
		sdp_free(&again2);
	}
	free(out);
	sdp_free(&again);
	sdp_free(&s);
	return 0;
}
