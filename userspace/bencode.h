/* SPDX-License-Identifier: GPL-2.0-only */
/* Bencode (and JSON) documents for the ng protocol: an arena-allocated tree, parse, build, encode.
 */
#ifndef XRELAY_BENCODE_H
#define XRELAY_BENCODE_H

#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting a parsed document may have (lists/dicts inside each other). */
#define BENCODE_MAX_DEPTH 32

enum bnode_type { BN_STR, BN_INT, BN_LIST, BN_DICT };

/* One value. Lists and dicts hold their children as a singly linked list (first/last/next);
 * a dict child carries its key in `key` (a BN_STR node). Strings are NUL-terminated copies
 * in the arena but may contain NULs: always use len. */
struct bnode {
	enum bnode_type type;
	struct bnode *next; /* next sibling in the parent list/dict */
	struct bnode *key;  /* dict children only */
	union {
		struct {
			char *s;
			size_t len;
		} str;
		long long i;
		struct {
			struct bnode *first, *last;
			size_t count;
		} c;
	};
};

/* Owns every node and string of one or more documents; freed at once. */
struct barena;

struct barena *barena_new(void);
void barena_free(struct barena *a);
/* Arena allocation, zeroed; NULL only when out of memory. */
void *barena_alloc(struct barena *a, size_t size);
char *barena_strndup(struct barena *a, const char *s, size_t len);

/* Parses exactly one bencode value spanning buf[0..len). Returns 0, or -EINVAL with a static
 * message in *err ("trailing data", "nesting too deep", "bad string length", ...). */
int bencode_parse(struct barena *a, const char *buf, size_t len, struct bnode **out,
		  const char **err);
/* Parses a JSON value (jansson) into the same tree: objects -> BN_DICT, arrays -> BN_LIST,
 * strings -> BN_STR, integers -> BN_INT, true/false -> BN_INT 1/0, reals -> BN_STR of their text,
 * null -> empty BN_STR. Returns 0 or -EINVAL with a message in err. */
int json_parse_bnode(struct barena *a, const char *buf, size_t len, struct bnode **out, char *err,
		     size_t errlen);

/* Encoders; they return a malloc'd buffer (NUL-terminated, length in *len) or NULL on ENOMEM. */
char *bencode_encode(const struct bnode *n, size_t *len);
char *bnode_to_json(const struct bnode *n, size_t *len);
/* The same as jansson values (a new reference; NULL when out of memory): strings that are not
 * valid UTF-8 get U+FFFD, a repeated dict key keeps its first value. */
struct json_t *bnode_to_jansson(const struct bnode *n);

/* Builders; they return NULL only when out of memory, and the add functions ignore NULL values. */
struct bnode *bn_dict(struct barena *a);
struct bnode *bn_list(struct barena *a);
struct bnode *bn_str(struct barena *a, const char *s);
struct bnode *bn_strn(struct barena *a, const char *s, size_t len);
struct bnode *bn_strf(struct barena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct bnode *bn_int(struct barena *a, long long v);
/* Appends key/value (no duplicate check: build dicts with distinct keys). Returns val. */
struct bnode *bn_dict_add(struct barena *a, struct bnode *dict, const char *key, struct bnode *val);
struct bnode *bn_dict_add_str(struct barena *a, struct bnode *dict, const char *key, const char *s);
struct bnode *bn_dict_add_int(struct barena *a, struct bnode *dict, const char *key, long long v);
struct bnode *bn_list_append(struct bnode *list, struct bnode *val);

/* ng keys are the same whether spelled with '-', ' ' or '_', and in any letter case. */
bool bn_key_eq(const char *a, size_t alen, const char *b, size_t blen);
/* First child of dict whose key equals key in the bn_key_eq sense; NULL when absent or when
 * dict is NULL or not a dict. */
struct bnode *bn_dict_get(const struct bnode *dict, const char *key);
/* The string under key, or NULL when absent or not a string. */
const char *bn_dict_get_str(const struct bnode *dict, const char *key);
/* The integer under key (BN_INT, or a BN_STR holding a decimal integer) into *v; false otherwise.
 */
bool bn_dict_get_int(const struct bnode *dict, const char *key, long long *v);
/* True when n is a BN_STR equal to s (exact, case-sensitive). */
bool bn_str_eq(const struct bnode *n, const char *s);

#define bn_for_each(child, parent) for (child = (parent)->c.first; child; child = child->next)

#endif
