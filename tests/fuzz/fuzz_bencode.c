// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for bencode.c: bencode (and JSON when the input starts with '{' or '[')
 * must parse without crashing, and whatever parses must encode stably. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_bencode: %s\n", what);
		abort();
	}
}

/* Encodes n, parses the result and encodes that again: both encodings must be equal. Returns
 * the first encoding (malloc'd). */
static char *encode_stable(const struct bnode *n, size_t *len)
{
	struct barena *a = barena_new();
	const char *err = NULL;
	struct bnode *again;
	size_t len2;
	char *enc, *enc2;

	enc = bencode_encode(n, len);
	check(a && enc, "out of memory");
	check(bencode_parse(a, enc, *len, &again, &err) == 0, "own encoding does not parse");
	enc2 = bencode_encode(again, &len2);
	check(enc2 != NULL, "out of memory");
	check(len2 == *len && !memcmp(enc, enc2, len2), "second encoding differs");
	free(enc2);
	barena_free(a);
	return enc;
}

/* The JSON of n must be valid JSON whose own JSON is identical. */
static void json_stable(const struct bnode *n)
{
	struct barena *a = barena_new();
	struct bnode *back;
	size_t len, len2;
	char *js, *js2, err[160];

	js = bnode_to_json(n, &len);
	check(a && js, "out of memory");
	if (json_parse_bnode(a, js, len, &back, err, sizeof(err))) {
		fprintf(stderr, "fuzz_bencode: %s: %s\n", err, js);
		abort();
	}
	js2 = bnode_to_json(back, &len2);
	check(js2 != NULL, "out of memory");
	check(len2 == len && !memcmp(js, js2, len), "second JSON differs");
	free(js);
	free(js2);
	barena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct barena *a = barena_new();
	const char *in = (const char *)data, *err = NULL;
	struct bnode *n;
	char jerr[160];
	size_t len;
	char *enc;

	check(a != NULL, "out of memory");
	if (bencode_parse(a, in, size, &n, &err) == 0) {
		/* Only canonical bencode parses, so encoding gives back the input itself. */
		enc = encode_stable(n, &len);
		check(len == size && !memcmp(enc, in, size), "encoding differs from the input");
		free(enc);
		json_stable(n);
	} else {
		check(err != NULL && n == NULL, "error without a message");
	}
	if (size && (in[0] == '{' || in[0] == '[') &&
	    json_parse_bnode(a, in, size, &n, jerr, sizeof(jerr)) == 0) {
		enc = encode_stable(n, &len);
		free(enc);
		json_stable(n);
	}
	barena_free(a);
	return 0;
}
