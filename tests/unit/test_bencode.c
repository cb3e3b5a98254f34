// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for bencode.c: bencode round trips and rejects, JSON in and out, ng key lookups,
 * builders and the arena. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

/* A byte string literal and its length, NULs included. */
#define B(s) s, sizeof(s) - 1

struct bytes {
	const char *s;
	size_t len;
};

/* Returns a malloc'd string of n1 copies of open followed by n2 copies of close. */
static char *nest(const char *open, int n1, const char *mid, const char *close, int n2, size_t *len)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *buf = malloc(lo * n1 + lm + lc * n2 + 1), *p = buf;
	int i;

	assert_non_null(buf);
	for (i = 0; i < n1; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (i = 0; i < n2; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	*len = (size_t)(p - buf);
	return buf;
}

static void expect_round_trip(const char *in, size_t len)
{
	struct barena *a = barena_new();
	const char *err = NULL;
	struct bnode *n;
	size_t olen = 0;
	char *out;
	int rc;

	assert_non_null(a);
	rc = bencode_parse(a, in, len, &n, &err);
	if (rc)
		print_message("input '%.*s': %s\n", (int)len, in, err);
	assert_int_equal(rc, 0);
	assert_non_null(n);
	out = bencode_encode(n, &olen);
	assert_non_null(out);
	assert_int_equal(olen, len);
	assert_memory_equal(out, in, len);
	assert_int_equal(out[olen], '\0');
	free(out);
	barena_free(a);
}

static const struct bytes canonical[] = {
	{B("0:")},
	{B("4:spam")},
	{B("3:a\0b")},
	{B("i0e")},
	{B("i42e")},
	{B("i-1e")},
	{B("i9223372036854775807e")},
	{B("i-9223372036854775808e")},
	{B("le")},
	{B("de")},
	{B("l4:spami42ee")},
	{B("d3:bar4:spam3:fooi42ee")},
	{B("d1:bi1e1:ai2ee")},	    /* unsorted keys stay in input order */
	{B("d1:ai1e1:ai2ee")},	    /* duplicate keys are kept */
	{B("lli1eeldeeld0:0:eee")}, /* nested lists, empty key */
	{B("d7:command4:pinge")},
	{B("d7:command5:offer7:call-id6:abc1238:from-tag3:ft15:flagsl5:trust13:strict-sourcee"
	   "7:replacel6:origine3:sdp141:v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	   "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\n"
	   "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\ne")},
};

static void test_round_trip(void **state)
{
	size_t i, len;
	char *deep;

	for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++)
		expect_round_trip(canonical[i].s, canonical[i].len);
	deep = nest("l", BENCODE_MAX_DEPTH, "", "e", BENCODE_MAX_DEPTH, &len);
	expect_round_trip(deep, len);
	free(deep);
	deep = nest("d1:k", BENCODE_MAX_DEPTH, "i7e", "e", BENCODE_MAX_DEPTH, &len);
	expect_round_trip(deep, len);
	free(deep);
}

static void test_parse_values(void **state)
{
	struct barena *a = barena_new();
	const char *err = NULL;
	struct bnode *n, *c;

	assert_int_equal(bencode_parse(a, B("d3:bar4:spam3:fooli-3e0:ee"), &n, &err), 0);
	assert_int_equal(n->type, BN_DICT);
	assert_int_equal(n->c.count, 2);
	c = n->c.first;
	assert_true(bn_str_eq(c->key, "bar"));
	assert_true(bn_str_eq(c, "spam"));
	assert_int_equal(c->str.s[4], '\0');
	c = c->next;
	assert_true(bn_str_eq(c->key, "foo"));
	assert_int_equal(c->type, BN_LIST);
	assert_int_equal(c->c.count, 2);
	assert_ptr_equal(c->next, NULL);
	assert_ptr_equal(n->c.last, c);
	assert_int_equal(c->c.first->type, BN_INT);
	assert_int_equal(c->c.first->i, -3);
	assert_ptr_equal(c->c.first->key, NULL);
	assert_int_equal(c->c.last->type, BN_STR);
	assert_int_equal(c->c.last->str.len, 0);

	assert_int_equal(bencode_parse(a, B("3:a\0b"), &n, &err), 0);
	assert_int_equal(n->str.len, 3);
	assert_memory_equal(n->str.s, "a\0b", 4);
	barena_free(a);
}

struct reject {
	const char *s;
	size_t len;
	const char *err;
};

static const struct reject rejects[] = {
	{B(""), "empty input"},
	{B("5:abc"), "string longer than input"},
	{B("1:"), "string longer than input"},
	{B("99999999999999999999:"), "string longer than input"},
	{B("999999999999999999999999999999999999999999999:x"), "string longer than input"},
	{B("18446744073709551617:x"), "string longer than input"},
	{B("-3:abc"), "negative string length"},
	{B("03:abc"), "string length has a leading zero"},
	{B("00:"), "string length has a leading zero"},
	{B("3abc"), "missing ':' after string length"},
	{B("1"), "missing ':' after string length"},
	{B("l"), "unterminated list"},
	{B("l4:spam"), "unterminated list"},
	{B("lli1ee"), "unterminated list"},
	{B("d"), "unterminated dict"},
	{B("d3:foo"), "unterminated dict"},
	{B("d3:fooi1e"), "unterminated dict"},
	{B("d3:fooe"), "dict key without value"},
	{B("di1ei2ee"), "dict key is not a string"},
	{B("dlei2ee"), "dict key is not a string"},
	{B("d-1:ai2ee"), "dict key is not a string"},
	{B("d3:fo"), "string longer than input"},
	{B("ie"), "empty integer"},
	{B("i-e"), "empty integer"},
	{B("i-0e"), "negative zero"},
	{B("i03e"), "integer has a leading zero"},
	{B("i00e"), "integer has a leading zero"},
	{B("i-03e"), "integer has a leading zero"},
	{B("i9223372036854775808e"), "integer overflow"},
	{B("i-9223372036854775809e"), "integer overflow"},
	{B("i99999999999999999999999e"), "integer overflow"},
	{B("i1x2e"), "bad character in integer"},
	{B("i+1e"), "bad character in integer"},
	{B("i 1e"), "bad character in integer"},
	{B("i--1e"), "bad character in integer"},
	{B("i12"), "unterminated integer"},
	{B("i"), "unterminated integer"},
	{B("4:spamX"), "trailing data"},
	{B("i1ei2e"), "trailing data"},
	{B("lee"), "trailing data"},
	{B("dee"), "trailing data"},
	{B("0:\0"), "trailing data"},
	{B("x"), "unexpected character"},
	{B("e"), "unexpected character"},
	{B("-"), "unexpected character"},
	{B("l-ee"), "unexpected character"},
	{B("d1:a-e"), "unexpected character"},
	{B(" 0:"), "unexpected character"},
};

static void expect_reject(const char *s, size_t len, const char *want)
{
	struct barena *a = barena_new();
	struct bnode *n = (struct bnode *)1;
	const char *err = NULL;
	int rc = bencode_parse(a, s, len, &n, &err);

	if (rc != -EINVAL || !err || strcmp(err, want))
		print_message("input '%.*s': rc %d err '%s', want '%s'\n", (int)len, s, rc,
			      err ? err : "(null)", want);
	assert_int_equal(rc, -EINVAL);
	assert_ptr_equal(n, NULL);
	assert_non_null(err);
	assert_string_equal(err, want);
	barena_free(a);
}

static void test_reject(void **state)
{
	size_t i, len;
	char *deep;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++)
		expect_reject(rejects[i].s, rejects[i].len, rejects[i].err);
	deep = nest("l", BENCODE_MAX_DEPTH + 1, "", "e", BENCODE_MAX_DEPTH + 1, &len);
	expect_reject(deep, len, "nesting too deep");
	free(deep);
	deep = nest("d1:k", BENCODE_MAX_DEPTH + 1, "i7e", "e", BENCODE_MAX_DEPTH + 1, &len);
	expect_reject(deep, len, "nesting too deep");
	free(deep);
	/* Unterminated and far too deep: the depth limit answers first and nothing recurses. */
	deep = nest("l", 100000, "", "", 0, &len);
	expect_reject(deep, len, "nesting too deep");
	free(deep);
	expect_reject(NULL, 0, "empty input");
}

/* Each reject reason is its own message, so a log line tells which rule fired. */
static void test_reject_messages_distinct(void **state)
{
	static const char *const reasons[] = {
		"empty input",
		"string longer than input",
		"negative string length",
		"string length has a leading zero",
		"missing ':' after string length",
		"unterminated list",
		"unterminated dict",
		"dict key without value",
		"dict key is not a string",
		"empty integer",
		"negative zero",
		"integer has a leading zero",
		"integer overflow",
		"bad character in integer",
		"unterminated integer",
		"trailing data",
		"unexpected character",
		"nesting too deep",
	};
	size_t i, j, n = sizeof(reasons) / sizeof(reasons[0]);
	bool seen[sizeof(reasons) / sizeof(reasons[0])] = {false};

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_string_not_equal(reasons[i], reasons[j]);
	/* and the reject table exercises every one of them except depth (tested apart) */
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++)
		for (j = 0; j < n; j++)
			if (!strcmp(rejects[i].err, reasons[j]))
				seen[j] = true;
	for (j = 0; j < n - 1; j++) {
		if (!seen[j])
			print_message("no reject row for '%s'\n", reasons[j]);
		assert_true(seen[j]);
	}
}

struct json_in {
	const char *json;
	size_t len;
	const char *bencode; /* the tree, encoded */
	size_t blen;
};

static const struct json_in json_ins[] = {
	{B("{\"command\":\"ping\"}"), B("d7:command4:pinge")},
	{B("{\"b\":1,\"a\":[true,false,null]}"), B("d1:bi1e1:ali1ei0e0:ee")},
	{B("[1,2,\"a\"]"), B("li1ei2e1:ae")},
	{B("[]"), B("le")},
	{B("{}"), B("de")},
	{B("true"), B("i1e")},
	{B("false"), B("i0e")},
	{B("null"), B("0:")},
	{B("-9223372036854775808"), B("i-9223372036854775808e")},
	{B("1.5"), B("3:1.5")},
	{B("1.0"), B("3:1.0")},
	{B("-0.25"), B("5:-0.25")},
	{B("0.1"), B("3:0.1")},
	{B("1e300"), B("6:1e+300")},
	{B("\"a\\u0000b\""), B("3:a\0b")},
	{B("\"\\u00e9\""), B("2:\xc3\xa9")},
	{B(" {\"sdp\" : \"v=0\\r\\n\"}\n"), B("d3:sdp5:v=0\r\ne")},
	{B("{\"a\":{\"b\":[{\"c\":[]}]}}"), B("d1:ad1:bld1:cleeeee")},
};

static void test_json_parse(void **state)
{
	char err[160];
	size_t i, olen;
	char *out;

	for (i = 0; i < sizeof(json_ins) / sizeof(json_ins[0]); i++) {
		struct barena *a = barena_new();
		struct bnode *n = NULL;
		int rc;

		err[0] = '\0';
		rc = json_parse_bnode(a, json_ins[i].json, json_ins[i].len, &n, err, sizeof(err));
		if (rc)
			print_message("json '%s': %s\n", json_ins[i].json, err);
		assert_int_equal(rc, 0);
		out = bencode_encode(n, &olen);
		assert_non_null(out);
		if (olen != json_ins[i].blen || memcmp(out, json_ins[i].bencode, olen))
			print_message("json '%s' gave '%.*s'\n", json_ins[i].json, (int)olen, out);
		assert_int_equal(olen, json_ins[i].blen);
		assert_memory_equal(out, json_ins[i].bencode, olen);
		free(out);
		barena_free(a);
	}
}

struct json_bad {
	const char *json;
	size_t len;
	const char *err_part;
};

static const struct json_bad json_bads[] = {
	{B(""), "empty input"},
	{B("{"), "line 1"},
	{B("[1,]"), "line 1"},
	{B("{\"a\" 1}"), "line 1"},
	{B("nul"), "line 1"},
	{B("1 2"), "end of file expected"},
	{B("{\"a\":1}x"), "end of file expected"},
	{B("99999999999999999999"), "too big"},
	{B("\"\xff\""), "decode byte 0xff"},
};

static void expect_json_reject(const char *s, size_t len, const char *part)
{
	struct barena *a = barena_new();
	struct bnode *n = (struct bnode *)1;
	char err[160] = "";
	int rc = json_parse_bnode(a, s, len, &n, err, sizeof(err));

	if (rc != -EINVAL || !strstr(err, part))
		print_message("json '%.*s': rc %d err '%s', want '%s'\n", (int)len, s, rc, err,
			      part);
	assert_int_equal(rc, -EINVAL);
	assert_ptr_equal(n, NULL);
	assert_non_null(strstr(err, part));
	barena_free(a);
}

static void test_json_reject(void **state)
{
	struct barena *a = barena_new();
	struct bnode *n;
	size_t i, len;
	char *deep;

	for (i = 0; i < sizeof(json_bads) / sizeof(json_bads[0]); i++)
		expect_json_reject(json_bads[i].json, json_bads[i].len, json_bads[i].err_part);
	/* The same depth limit as bencode: 32 levels pass, 33 do not, arrays or objects. */
	deep = nest("[", BENCODE_MAX_DEPTH, "1", "]", BENCODE_MAX_DEPTH, &len);
	assert_int_equal(json_parse_bnode(a, deep, len, &n, NULL, 0), 0);
	free(deep);
	deep = nest("{\"k\":", BENCODE_MAX_DEPTH, "1", "}", BENCODE_MAX_DEPTH, &len);
	assert_int_equal(json_parse_bnode(a, deep, len, &n, NULL, 0), 0);
	free(deep);
	deep = nest("[", BENCODE_MAX_DEPTH + 1, "1", "]", BENCODE_MAX_DEPTH + 1, &len);
	expect_json_reject(deep, len, "nesting too deep");
	free(deep);
	deep = nest("{\"k\":", BENCODE_MAX_DEPTH + 1, "1", "}", BENCODE_MAX_DEPTH + 1, &len);
	expect_json_reject(deep, len, "nesting too deep");
	free(deep);
	barena_free(a);
}

struct json_out {
	const char *bencode;
	size_t blen;
	const char *json;
	size_t len;
};

static const struct json_out json_outs[] = {
	{B("d7:command4:pinge"), B("{\"command\":\"ping\"}")},
	{B("li1e0:i-7ee"), B("[1,\"\",-7]")},
	{B("de"), B("{}")},
	{B("le"), B("[]")},
	{B("i42e"), B("42")},
	{B("4:spam"), B("\"spam\"")},
	{B("3:a\0b"), B("\"a\\u0000b\"")},
	{B("5:\"\\\n\t/"), B("\"\\\"\\\\\\n\\t/\"")},
	{B("2:\xc3\xa9"), B("\"\xc3\xa9\"")},			/* valid UTF-8 kept */
	{B("4:\xf0\x9f\x8e\xb5"), B("\"\xf0\x9f\x8e\xb5\"")},	/* 4-byte form kept */
	{B("2:\xff\xfe"), B("\"\xef\xbf\xbd\xef\xbf\xbd\"")},	/* not UTF-8 */
	{B("1:\xc3"), B("\"\xef\xbf\xbd\"")},			/* truncated sequence */
	{B("3:\xc3x\xa9"), B("\"\xef\xbf\xbdx\xef\xbf\xbd\"")}, /* broken sequence */
	{B("2:\xc0\x80"), B("\"\xef\xbf\xbd\xef\xbf\xbd\"")},	/* overlong NUL */
	{B("3:\xed\xa0\x80"), B("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"")}, /* surrogate */
	{B("4:\xf4\x90\x80\x80"),
	 B("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"")}, /* above U+10FFFF */
	{B("d1:\xffi1ee"), B("{\"\xef\xbf\xbd\":1}")},		     /* binary key */
	{B("d3:a\0bi1ee"), B("{\"a\xef\xbf\xbd"
			     "b\":1}")},	       /* jansson refuses NUL keys */
	{B("d1:ai1e1:ai2ee"), B("{\"a\":1}")},	       /* first key wins */
	{B("d1:bi1e1:ai2ee"), B("{\"b\":1,\"a\":2}")}, /* order kept */
	{B("d1:ali1ed1:xleeee"), B("{\"a\":[1,{\"x\":[]}]}")},
};

/* Loads s as JSON with jansson: the output of bnode_to_json must always be valid JSON. */
static void assert_valid_json(const char *s, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!j)
		print_message("invalid JSON '%.*s': %s\n", (int)len, s, jerr.text);
	assert_non_null(j);
	json_decref(j);
}

static void test_json_out(void **state)
{
	size_t i, len;

	for (i = 0; i < sizeof(json_outs) / sizeof(json_outs[0]); i++) {
		struct barena *a = barena_new();
		const char *err = NULL;
		struct bnode *n;
		char *out;

		assert_int_equal(
			bencode_parse(a, json_outs[i].bencode, json_outs[i].blen, &n, &err), 0);
		out = bnode_to_json(n, &len);
		assert_non_null(out);
		if (len != json_outs[i].len || memcmp(out, json_outs[i].json, len))
			print_message("row %zu: got '%s'\n", i, out);
		assert_int_equal(len, json_outs[i].len);
		assert_memory_equal(out, json_outs[i].json, len);
		assert_int_equal(out[len], '\0');
		assert_valid_json(out, len);
		free(out);
		barena_free(a);
	}
}

/* Every byte value, alone and in pseudo-random binary strings, still gives valid JSON. */
static void test_json_out_binary(void **state)
{
	struct barena *a = barena_new();
	unsigned int seed = 12345;
	char buf[64], *out;
	struct bnode *d, *v;
	size_t len;
	int i, k;

	for (i = 0; i < 256; i++) {
		buf[0] = (char)i;
		d = bn_dict(a);
		bn_dict_add(a, d, "k", bn_strn(a, buf, 1));
		v = bn_dict_add(a, d, "", bn_dict(a));
		v->key = bn_strn(a, buf, 1); /* a one-byte key, NUL included */
		bn_dict_add_int(a, v, "x", i);
		out = bnode_to_json(d, &len);
		assert_non_null(out);
		assert_valid_json(out, len);
		free(out);
	}
	for (i = 0; i < 2000; i++) {
		int n = 1 + i % (int)sizeof(buf);

		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			buf[k] = (char)(seed >> 16);
		}
		out = bnode_to_json(bn_strn(a, buf, (size_t)n), &len);
		assert_non_null(out);
		assert_valid_json(out, len);
		free(out);
	}
	barena_free(a);
}

struct key_case {
	const char *a, *b;
	bool eq;
};

static const struct key_case key_cases[] = {
	{"call-id", "call-id", true},
	{"call-id", "call_id", true},
	{"call-id", "Call ID", true},
	{"CALL_ID", "call id", true},
	{"from-tag", "From_Tag", true},
	{"", "", true},
	{"call-id", "callid", false},
	{"call-id", "call-id ", false},
	{"call-id", "call.id", false},
	{"sdp", "sdq", false},
	{"a", "", false},
	{"\xc3\xa9", "\xc3\x89", false}, /* only ASCII letters fold */
};

static void test_key_eq(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *k = &key_cases[i];

		assert_int_equal(bn_key_eq(k->a, strlen(k->a), k->b, strlen(k->b)), k->eq);
		assert_int_equal(bn_key_eq(k->b, strlen(k->b), k->a, strlen(k->a)), k->eq);
	}
}

static void test_dict_get(void **state)
{
	struct barena *a = barena_new();
	const char *err;
	struct bnode *d, *n;

	assert_int_equal(
		bencode_parse(a, B("d7:Call ID3:abc8:from_tag2:t17:call-id5:other5:otheri1ee"), &d,
			      &err),
		0);
	n = bn_dict_get(d, "call-id");
	assert_non_null(n);
	assert_true(bn_str_eq(n, "abc")); /* first of the two spellings */
	assert_string_equal(bn_dict_get_str(d, "CALL_ID"), "abc");
	assert_string_equal(bn_dict_get_str(d, "from-tag"), "t1");
	assert_null(bn_dict_get_str(d, "to-tag"));
	assert_null(bn_dict_get_str(d, "other")); /* an int, not a string */
	assert_null(bn_dict_get(NULL, "call-id"));
	assert_null(bn_dict_get(d->c.first, "call-id")); /* not a dict */
	assert_int_equal(bencode_parse(a, B("l7:call-ide"), &n, &err), 0);
	assert_null(bn_dict_get(n, "call-id"));
	assert_false(bn_str_eq(NULL, "x"));
	assert_false(bn_str_eq(bn_int(a, 1), "1"));
	assert_false(bn_str_eq(bn_strn(a, B("a\0b")), "a"));
	assert_true(bn_str_eq(bn_str(a, ""), ""));
	barena_free(a);
}

struct int_case {
	const char *bencode; /* the value under key "v" */
	bool ok;
	long long v;
};

static const struct int_case int_cases[] = {
	{"i42e", true, 42},
	{"i-9223372036854775808e", true, -9223372036854775807LL - 1},
	{"2:42", true, 42},
	{"3:-42", true, -42},
	{"2:07", true, 7},
	{"1:0", true, 0},
	{"19:9223372036854775807", true, 9223372036854775807LL},
	{"20:-9223372036854775808", true, -9223372036854775807LL - 1},
	{"19:9223372036854775808", false, 0},
	{"0:", false, 0},
	{"1:-", false, 0},
	{"3:4x2", false, 0},
	{"3: 42", false, 0},
	{"3:42 ", false, 0},
	{"3:+42", false, 0},
	{"3:1.5", false, 0},
	{"le", false, 0},
	{"de", false, 0},
};

static void test_dict_get_int(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		struct barena *a = barena_new();
		const char *err = NULL;
		long long v = 12345;
		struct bnode *d;
		char buf[64];
		int len = snprintf(buf, sizeof(buf), "d1:v%se", int_cases[i].bencode);

		assert_int_equal(bencode_parse(a, buf, (size_t)len, &d, &err), 0);
		if (bn_dict_get_int(d, "v", &v) != int_cases[i].ok)
			print_message("value '%s'\n", int_cases[i].bencode);
		assert_int_equal(bn_dict_get_int(d, "v", &v), int_cases[i].ok);
		if (int_cases[i].ok)
			assert_true(v == int_cases[i].v);
		assert_false(bn_dict_get_int(d, "w", &v));
		barena_free(a);
	}
}

static void test_builders(void **state)
{
	static const char want[] = "d6:result2:ok3:sdp4:v=0\r7:warning4:a-427:createdi-5e"
				   "4:tagsl2:t1i3ee1:xd0:0:ee";
	struct barena *a = barena_new();
	struct bnode *d, *l, *inner;
	size_t len;
	char *out;

	d = bn_dict(a);
	assert_non_null(d);
	assert_ptr_not_equal(bn_dict_add_str(a, d, "result", "ok"), NULL);
	bn_dict_add(a, d, "sdp", bn_strn(a, "v=0\rJUNK", 4));
	bn_dict_add(a, d, "warning", bn_strf(a, "%c-%d", 'a', 42));
	bn_dict_add_int(a, d, "created", -5);
	l = bn_dict_add(a, d, "tags", bn_list(a));
	assert_non_null(l);
	bn_list_append(l, bn_str(a, "t1"));
	bn_list_append(l, bn_int(a, 3));
	inner = bn_dict_add(a, d, "x", bn_dict(a));
	bn_dict_add_str(a, inner, "", "");

	/* NULL values, NULL or wrong-type containers are ignored and change nothing. */
	assert_null(bn_dict_add(a, d, "none", NULL));
	assert_null(bn_dict_add_str(a, d, "none", NULL));
	assert_null(bn_dict_add(a, NULL, "none", bn_int(a, 1)));
	assert_null(bn_dict_add(a, l, "none", bn_int(a, 1)));
	assert_null(bn_list_append(l, NULL));
	assert_null(bn_list_append(d, bn_int(a, 1)));
	assert_null(bn_list_append(NULL, bn_int(a, 1)));

	assert_int_equal(d->c.count, 6);
	assert_int_equal(l->c.count, 2);
	assert_ptr_equal(l->c.first->key, NULL);
	out = bencode_encode(d, &len);
	assert_non_null(out);
	if (len != sizeof(want) - 1 || memcmp(out, want, len))
		print_message("got '%s'\n", out);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(out, want, len);
	free(out);

	assert_string_equal(bn_dict_get_str(d, "Warning"), "a-42");
	assert_true(bn_str_eq(bn_str(a, NULL), ""));
	assert_null(bencode_encode(NULL, &len));
	assert_null(bnode_to_json(NULL, &len));

	out = bnode_to_json(d, &len);
	assert_non_null(out);
	assert_string_equal(out, "{\"result\":\"ok\",\"sdp\":\"v=0\\r\",\"warning\":\"a-42\","
				 "\"created\":-5,\"tags\":[\"t1\",3],\"x\":{\"\":\"\"}}");
	free(out);
	barena_free(a);
}

static void test_arena(void **state)
{
	struct barena *a = barena_new();
	unsigned char *p, *big, *prev = NULL;
	size_t sizes[] = {0, 1, 7, 16, 100, 4095, 4096, 4097, 16384, 16385, 1 << 20};
	size_t i, k, round;
	char *s;

	assert_non_null(a);
	for (round = 0; round < 50; round++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p = barena_alloc(a, sizes[i]);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
			assert_ptr_not_equal(p, prev);
			for (k = 0; k < sizes[i]; k++)
				assert_int_equal(p[k], 0);
			memset(p, 0xa5, sizes[i]); /* dirty it: later blocks must still be zeroed */
			prev = p;
		}
	}
	barena_free(a);

	/* A big request between small ones does not disturb the block serving small ones. */
	a = barena_new();
	p = barena_alloc(a, 8);
	big = barena_alloc(a, 100000);
	assert_non_null(big);
	big[99999] = 1;
	assert_ptr_equal(barena_alloc(a, 8), p + (8 + _Alignof(max_align_t) - 1) /
							     _Alignof(max_align_t) *
							     _Alignof(max_align_t));

	s = barena_strndup(a, "a\0bc", 4);
	assert_non_null(s);
	assert_memory_equal(s, "a\0bc", 5);
	s = barena_strndup(a, NULL, 0);
	assert_non_null(s);
	assert_int_equal(s[0], '\0');
	assert_null(barena_alloc(a, SIZE_MAX));
	assert_null(barena_alloc(a, SIZE_MAX - 8));
	assert_null(barena_strndup(a, "x", SIZE_MAX));
	barena_free(a);
	barena_free(NULL);
}

/* A large offer (an SDP over one arena block) parses into a tree that owns a copy. */
static void test_large_string(void **state)
{
	struct barena *a = barena_new();
	size_t n = 200000, len;
	char *sdp = malloc(n), *doc = malloc(n + 64);
	const char *err;
	struct bnode *d;
	int hlen;

	assert_non_null(sdp);
	assert_non_null(doc);
	memset(sdp, 'x', n);
	hlen = snprintf(doc, 64, "d3:sdp%zu:", n);
	memcpy(doc + hlen, sdp, n);
	doc[hlen + n] = 'e';
	len = (size_t)hlen + n + 1;
	assert_int_equal(bencode_parse(a, doc, len, &d, &err), 0);
	memset(doc, 0, len);
	assert_int_equal(bn_dict_get(d, "sdp")->str.len, n);
	assert_memory_equal(bn_dict_get_str(d, "sdp"), sdp, n);
	free(sdp);
	free(doc);
	barena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_reject_messages_distinct),
		cmocka_unit_test(test_json_parse),
		cmocka_unit_test(test_json_reject),
		cmocka_unit_test(test_json_out),
		cmocka_unit_test(test_json_out_binary),
		cmocka_unit_test(test_key_eq),
		cmocka_unit_test(test_dict_get),
		cmocka_unit_test(test_dict_get_int),
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_large_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
