// SPDX-License-Identifier: GPL-2.0-only
/* Bencode and JSON documents for the ng protocol: arena, parser, builders, encoders.
 * Dicts keep their keys in input order and the parser only accepts canonical numbers, so
 * encoding a parsed document gives back exactly the bytes that were parsed. */
#include "bencode.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

#define ARENA_BLOCK 16384
/* Requests above this get a block of their own, so one large SDP body neither wastes the rest
 * of the current block nor needs a block size guess. */
#define ARENA_BIG   (ARENA_BLOCK / 4)
#define ARENA_ALIGN _Alignof(max_align_t)

struct ablock {
	struct ablock *next;
	size_t size, used;
	max_align_t data[];
};

struct barena {
	struct ablock *head; /* small allocations come from this block */
};

struct barena *barena_new(void)
{
	return calloc(1, sizeof(struct barena));
}

void barena_free(struct barena *a)
{
	struct ablock *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

static struct ablock *ablock_new(size_t size)
{
	struct ablock *b = malloc(sizeof(*b) + size);

	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* Not zeroed: for callers that overwrite every byte. */
static void *arena_raw(struct barena *a, size_t size)
{
	struct ablock *b = a->head;
	size_t need;
	void *p;

	if (size > SIZE_MAX - sizeof(struct ablock) - ARENA_ALIGN)
		return NULL;
	need = size ? (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1) : ARENA_ALIGN;
	if (b && b->size - b->used >= need) {
		p = (char *)b->data + b->used;
		b->used += need;
		return p;
	}
	if (need > ARENA_BIG) {
		b = ablock_new(need);
		if (!b)
			return NULL;
		b->used = need;
		/* Behind the current block, which keeps serving small allocations. */
		if (a->head) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			a->head = b;
		}
		return b->data;
	}
	b = ablock_new(ARENA_BLOCK);
	if (!b)
		return NULL;
	b->used = need;
	b->next = a->head;
	a->head = b;
	return b->data;
}

void *barena_alloc(struct barena *a, size_t size)
{
	void *p = arena_raw(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *barena_strndup(struct barena *a, const char *s, size_t len)
{
	char *d;

	if (len == SIZE_MAX)
		return NULL;
	d = arena_raw(a, len + 1);
	if (!d)
		return NULL;
	if (len)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* ---- nodes and builders ---- */

static struct bnode *node_new(struct barena *a, enum bnode_type type)
{
	struct bnode *n = barena_alloc(a, sizeof(*n));

	if (n)
		n->type = type;
	return n;
}

/* A node has one parent: next is reset so the new container's chain and count agree. */
static void child_append(struct bnode *parent, struct bnode *child)
{
	child->next = NULL;
	if (parent->c.last)
		parent->c.last->next = child;
	else
		parent->c.first = child;
	parent->c.last = child;
	parent->c.count++;
}

struct bnode *bn_dict(struct barena *a)
{
	return node_new(a, BN_DICT);
}

struct bnode *bn_list(struct barena *a)
{
	return node_new(a, BN_LIST);
}

struct bnode *bn_strn(struct barena *a, const char *s, size_t len)
{
	struct bnode *n = node_new(a, BN_STR);

	if (!n)
		return NULL;
	n->str.s = barena_strndup(a, s, len);
	if (!n->str.s)
		return NULL;
	n->str.len = len;
	return n;
}

/* A NULL s gives the empty string rather than a crash. */
struct bnode *bn_str(struct barena *a, const char *s)
{
	return bn_strn(a, s ? s : "", s ? strlen(s) : 0);
}

struct bnode *bn_strf(struct barena *a, const char *fmt, ...)
{
	struct bnode *n;
	va_list ap, ap2;
	int len;
	char *s;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = len < 0 ? NULL : arena_raw(a, (size_t)len + 1);
	if (s)
		vsnprintf(s, (size_t)len + 1, fmt, ap2);
	va_end(ap2);
	if (!s)
		return NULL;
	n = node_new(a, BN_STR);
	if (!n)
		return NULL;
	n->str.s = s;
	n->str.len = (size_t)len;
	return n;
}

struct bnode *bn_int(struct barena *a, long long v)
{
	struct bnode *n = node_new(a, BN_INT);

	if (n)
		n->i = v;
	return n;
}

struct bnode *bn_dict_add(struct barena *a, struct bnode *dict, const char *key, struct bnode *val)
{
	struct bnode *k;

	if (!val || !dict || dict->type != BN_DICT)
		return NULL;
	k = bn_str(a, key);
	if (!k)
		return NULL;
	child_append(dict, val);
	val->key = k;
	return val;
}

struct bnode *bn_dict_add_str(struct barena *a, struct bnode *dict, const char *key, const char *s)
{
	if (!s)
		return NULL;
	return bn_dict_add(a, dict, key, bn_str(a, s));
}

struct bnode *bn_dict_add_int(struct barena *a, struct bnode *dict, const char *key, long long v)
{
	return bn_dict_add(a, dict, key, bn_int(a, v));
}

struct bnode *bn_list_append(struct bnode *list, struct bnode *val)
{
	if (!val || !list || list->type != BN_LIST)
		return NULL;
	child_append(list, val);
	val->key = NULL;
	return val;
}

/* ---- lookups ---- */

static unsigned char key_fold(unsigned char c)
{
	if (c == '_' || c == ' ')
		return '-';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

bool bn_key_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (key_fold((unsigned char)a[i]) != key_fold((unsigned char)b[i]))
			return false;
	return true;
}

struct bnode *bn_dict_get(const struct bnode *dict, const char *key)
{
	struct bnode *c;
	size_t klen;

	if (!dict || dict->type != BN_DICT || !key)
		return NULL;
	klen = strlen(key);
	for (c = dict->c.first; c; c = c->next) {
		if (c->key && bn_key_eq(c->key->str.s, c->key->str.len, key, klen))
			return c;
	}
	return NULL;
}

const char *bn_dict_get_str(const struct bnode *dict, const char *key)
{
	struct bnode *n = bn_dict_get(dict, key);

	return n && n->type == BN_STR ? n->str.s : NULL;
}

/* Parses s[0..len): an optional '-' then decimal digits, within long long. canonical adds
 * bencode's rules (no leading zero, no "-0"). Returns NULL, or what is wrong. */
static const char *parse_decimal(const char *s, size_t len, bool canonical, long long *v)
{
	unsigned long long acc = 0, limit = LLONG_MAX;
	bool neg = len && s[0] == '-';
	size_t i = neg;

	if (i == len)
		return "empty integer";
	if (neg)
		limit = (unsigned long long)LLONG_MAX + 1;
	if (canonical && s[i] == '0' && len - i > 1)
		return "integer has a leading zero";
	if (canonical && neg && s[i] == '0')
		return "negative zero";
	for (; i < len; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9)
			return "bad character in integer";
		if (acc > (limit - d) / 10)
			return "integer overflow";
		acc = acc * 10 + d;
	}
	/* -(acc - 1) - 1 reaches LLONG_MIN without overflowing. */
	*v = neg ? (acc ? -(long long)(acc - 1) - 1 : 0) : (long long)acc;
	return NULL;
}

bool bn_dict_get_int(const struct bnode *dict, const char *key, long long *v)
{
	struct bnode *n = bn_dict_get(dict, key);

	if (!n)
		return false;
	if (n->type == BN_INT) {
		*v = n->i;
		return true;
	}
	return n->type == BN_STR && !parse_decimal(n->str.s, n->str.len, false, v);
}

bool bn_str_eq(const struct bnode *n, const char *s)
{
	return n && s && n->type == BN_STR && n->str.len == strlen(s) &&
	       !memcmp(n->str.s, s, n->str.len);
}

/* ---- bencode parser ---- */

struct parser {
	struct barena *a;
	const char *p, *end;
	const char *err;
};

static int fail(struct parser *ps, int rc, const char *msg)
{
	ps->err = msg;
	return rc;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_str(struct parser *ps, struct bnode **out)
{
	const char *q = ps->p;
	size_t n = 0;

	if (q[0] == '0' && q + 1 < ps->end && is_digit(q[1]))
		return fail(ps, -EINVAL, "string length has a leading zero");
	for (; q < ps->end && is_digit(*q); q++) {
		size_t d = (size_t)(*q - '0');

		/* The string follows the digits, so a length above what is left is already wrong;
		 * stopping here also keeps a long digit run from overflowing n. */
		if (n > (SIZE_MAX - d) / 10 || n * 10 + d > (size_t)(ps->end - q))
			return fail(ps, -EINVAL, "string longer than input");
		n = n * 10 + d;
	}
	if (q == ps->end || *q != ':')
		return fail(ps, -EINVAL, "missing ':' after string length");
	q++;
	if (n > (size_t)(ps->end - q))
		return fail(ps, -EINVAL, "string longer than input");
	*out = bn_strn(ps->a, q, n);
	if (!*out)
		return fail(ps, -ENOMEM, "out of memory");
	ps->p = q + n;
	return 0;
}

static int parse_int(struct parser *ps, struct bnode **out)
{
	const char *start = ps->p + 1, *e;
	const char *msg;
	long long v;

	e = memchr(start, 'e', (size_t)(ps->end - start));
	if (!e)
		return fail(ps, -EINVAL, "unterminated integer");
	msg = parse_decimal(start, (size_t)(e - start), true, &v);
	if (msg)
		return fail(ps, -EINVAL, msg);
	*out = bn_int(ps->a, v);
	if (!*out)
		return fail(ps, -ENOMEM, "out of memory");
	ps->p = e + 1;
	return 0;
}

static int parse_value(struct parser *ps, int depth, struct bnode **out);

/* Recursion is bounded by BENCODE_MAX_DEPTH, checked before anything is read. */
static int parse_container(struct parser *ps, int depth, struct bnode **out)
{
	bool dict = *ps->p == 'd';
	struct bnode *n, *key, *val;
	int rc;

	if (depth > BENCODE_MAX_DEPTH)
		return fail(ps, -EINVAL, "nesting too deep");
	n = node_new(ps->a, dict ? BN_DICT : BN_LIST);
	if (!n)
		return fail(ps, -ENOMEM, "out of memory");
	ps->p++;
	for (;;) {
		if (ps->p == ps->end)
			return fail(ps, -EINVAL, dict ? "unterminated dict" : "unterminated list");
		if (*ps->p == 'e')
			break;
		key = NULL;
		if (dict) {
			if (!is_digit(*ps->p))
				return fail(ps, -EINVAL, "dict key is not a string");
			rc = parse_str(ps, &key);
			if (rc)
				return rc;
			if (ps->p == ps->end)
				return fail(ps, -EINVAL, "unterminated dict");
			if (*ps->p == 'e')
				return fail(ps, -EINVAL, "dict key without value");
		}
		rc = parse_value(ps, depth, &val);
		if (rc)
			return rc;
		child_append(n, val);
		val->key = key;
	}
	ps->p++;
	*out = n;
	return 0;
}

static int parse_value(struct parser *ps, int depth, struct bnode **out)
{
	char c = *ps->p;

	if (c == 'i')
		return parse_int(ps, out);
	if (c == 'l' || c == 'd')
		return parse_container(ps, depth + 1, out);
	if (is_digit(c))
		return parse_str(ps, out);
	if (c == '-' && ps->p + 1 < ps->end && is_digit(ps->p[1]))
		return fail(ps, -EINVAL, "negative string length");
	return fail(ps, -EINVAL, "unexpected character");
}

int bencode_parse(struct barena *a, const char *buf, size_t len, struct bnode **out,
		  const char **err)
{
	struct parser ps = {.a = a, .p = buf, .end = buf + len};
	struct bnode *n = NULL;
	int rc;

	*out = NULL;
	if (!buf || !len)
		rc = fail(&ps, -EINVAL, "empty input");
	else
		rc = parse_value(&ps, 0, &n);
	if (!rc && ps.p != ps.end)
		rc = fail(&ps, -EINVAL, "trailing data");
	if (rc) {
		if (err)
			*err = ps.err;
		return rc;
	}
	*out = n;
	return 0;
}

/* ---- bencode encoder ---- */

static size_t int_text(long long v, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%lld", v);
}

static size_t encoded_size(const struct bnode *n)
{
	char tmp[32];
	const struct bnode *c;
	size_t sz;

	switch (n->type) {
	case BN_STR:
		return int_text((long long)n->str.len, tmp, sizeof(tmp)) + 1 + n->str.len;
	case BN_INT:
		return int_text(n->i, tmp, sizeof(tmp)) + 2;
	case BN_LIST:
	case BN_DICT:
		sz = 2;
		for (c = n->c.first; c; c = c->next) {
			if (n->type == BN_DICT)
				sz += c->key ? encoded_size(c->key) : 2;
			sz += encoded_size(c);
		}
		return sz;
	}
	return 0;
}

static char *encode_to(const struct bnode *n, char *p)
{
	const struct bnode *c;

	switch (n->type) {
	case BN_STR:
		p += sprintf(p, "%zu:", n->str.len);
		memcpy(p, n->str.s, n->str.len);
		return p + n->str.len;
	case BN_INT:
		return p + sprintf(p, "i%llde", n->i);
	case BN_LIST:
	case BN_DICT:
		*p++ = n->type == BN_DICT ? 'd' : 'l';
		for (c = n->c.first; c; c = c->next) {
			if (n->type == BN_DICT) {
				if (c->key) {
					p = encode_to(c->key, p);
				} else {
					*p++ = '0';
					*p++ = ':';
				}
			}
			p = encode_to(c, p);
		}
		*p++ = 'e';
		return p;
	}
	return p;
}

char *bencode_encode(const struct bnode *n, size_t *len)
{
	size_t size;
	char *buf, *end;

	if (!n)
		return NULL;
	size = encoded_size(n);
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	end = encode_to(n, buf);
	*end = '\0';
	if (len)
		*len = (size_t)(end - buf);
	return buf;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at s (1..4 bytes), 0 when s does not start one. The
 * rules are jansson's: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned int cp, need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* Length of the sequence at s that can go into a JSON string as it is, 0 when it must be
 * replaced. A NUL is valid JSON ("\u0000") but jansson refuses to load it in an object key, and
 * relayctl and json_parse_bnode read our JSON with jansson, so keys lose their NULs. */
static size_t json_seq(const unsigned char *s, size_t len, bool key)
{
	return key && s[0] == '\0' ? 0 : utf8_seq(s, len);
}

/* A JSON string of s[0..len): bytes that are not valid UTF-8 (and NULs in keys) become U+FFFD
 * each, because jansson cannot dump them and JSON cannot carry them. */
static json_t *json_str_lossy(const char *s, size_t len, bool key)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, o = 0;
	json_t *j;
	char *fixed;

	for (i = 0; i < len; i += k) {
		k = json_seq(u + i, len - i, key);
		if (!k)
			break;
	}
	if (i == len)
		return json_stringn_nocheck(s, len);
	if (len > SIZE_MAX / 3)
		return NULL;
	fixed = malloc(len * 3);
	if (!fixed)
		return NULL;
	for (i = 0; i < len; i += k) {
		k = json_seq(u + i, len - i, key);
		if (k) {
			memcpy(fixed + o, s + i, k);
			o += k;
		} else {
			memcpy(fixed + o, repl, 3);
			o += 3;
			k = 1;
		}
	}
	j = json_stringn_nocheck(fixed, o);
	free(fixed);
	return j;
}

json_t *bnode_to_jansson(const struct bnode *n)
{
	const struct bnode *c;
	json_t *j, *v, *k;

	switch (n->type) {
	case BN_STR:
		return json_str_lossy(n->str.s, n->str.len, false);
	case BN_INT:
		return json_integer(n->i);
	case BN_LIST:
		j = json_array();
		if (!j)
			return NULL;
		for (c = n->c.first; c; c = c->next) {
			if (json_array_append_new(j, bnode_to_jansson(c)))
				goto fail;
		}
		return j;
	case BN_DICT:
		j = json_object();
		if (!j)
			return NULL;
		for (c = n->c.first; c; c = c->next) {
			/* The key goes through a JSON string to get the same UTF-8 repair. */
			k = c->key ? json_str_lossy(c->key->str.s, c->key->str.len, true)
				   : json_stringn_nocheck("", 0);
			if (!k)
				goto fail;
			/* First wins, as in bn_dict_get; JSON objects cannot repeat a key. */
			if (json_object_getn(j, json_string_value(k), json_string_length(k))) {
				json_decref(k);
				continue;
			}
			v = bnode_to_jansson(c);
			if (!v || json_object_setn_new_nocheck(j, json_string_value(k),
							       json_string_length(k), v)) {
				json_decref(k);
				goto fail;
			}
			json_decref(k);
		}
		return j;
	}
	return NULL;
fail:
	json_decref(j);
	return NULL;
}

char *bnode_to_json(const struct bnode *n, size_t *len)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	json_t *j;
	size_t size;
	char *buf = NULL;

	if (!n)
		return NULL;
	j = bnode_to_jansson(n);
	if (!j)
		return NULL;
	size = json_dumpb(j, NULL, 0, flags);
	if (size)
		buf = malloc(size + 1);
	if (buf && json_dumpb(j, buf, size, flags) == size) {
		buf[size] = '\0';
		if (len)
			*len = size;
	} else {
		free(buf);
		buf = NULL;
	}
	json_decref(j);
	return buf;
}

/* The shortest text that reads back as the same double, with ".0" kept on whole numbers so it
 * still reads as a real. */
static struct bnode *real_text(struct barena *a, double d)
{
	char buf[40];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (isfinite(d) && !strpbrk(buf, ".e"))
		strcat(buf, ".0");
	return bn_str(a, buf);
}

static int from_json(struct barena *a, json_t *j, int depth, struct bnode **out, const char **msg)
{
	struct bnode *n = NULL, *v;
	const char *key;
	size_t klen, i;
	json_t *jv;
	int rc;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth + 1 > BENCODE_MAX_DEPTH) {
			*msg = "nesting too deep";
			return -EINVAL;
		}
		if (json_is_array(j)) {
			n = bn_list(a);
			if (!n)
				break;
			json_array_foreach(j, i, jv) {
				rc = from_json(a, jv, depth + 1, &v, msg);
				if (rc)
					return rc;
				bn_list_append(n, v);
			}
		} else {
			n = bn_dict(a);
			if (!n)
				break;
			json_object_keylen_foreach(j, key, klen, jv)
			{
				rc = from_json(a, jv, depth + 1, &v, msg);
				if (rc)
					return rc;
				child_append(n, v);
				v->key = bn_strn(a, key, klen);
				if (!v->key) {
					n = NULL;
					break;
				}
			}
		}
		break;
	case JSON_STRING:
		n = bn_strn(a, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		n = bn_int(a, json_integer_value(j));
		break;
	case JSON_REAL:
		n = real_text(a, json_real_value(j));
		break;
	case JSON_TRUE:
		n = bn_int(a, 1);
		break;
	case JSON_FALSE:
		n = bn_int(a, 0);
		break;
	case JSON_NULL:
		n = bn_strn(a, "", 0);
		break;
	}
	if (!n) {
		*msg = "out of memory";
		return -ENOMEM;
	}
	*out = n;
	return 0;
}

int json_parse_bnode(struct barena *a, const char *buf, size_t len, struct bnode **out, char *err,
		     size_t errlen)
{
	const char *msg = NULL;
	json_error_t jerr;
	json_t *j;
	int rc;

	*out = NULL;
	if (!buf || !len) {
		if (err && errlen)
			snprintf(err, errlen, "empty input");
		return -EINVAL;
	}
	j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!j) {
		if (err && errlen)
			snprintf(err, errlen, "%s (line %d, column %d)", jerr.text, jerr.line,
				 jerr.column);
		return -EINVAL;
	}
	rc = from_json(a, j, 0, out, &msg);
	json_decref(j);
	if (rc) {
		*out = NULL;
		if (err && errlen)
			snprintf(err, errlen, "%s", msg);
	}
	return rc;
}
