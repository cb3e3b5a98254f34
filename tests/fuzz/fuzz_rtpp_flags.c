// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for the ng rtpp_flags string (Kamailio's single-string form of the flags):
 * the input is the value of "rtpp-flags" (and of "rtpp_flags", and one "flags" word) in a
 * request that ng_opts_parse takes apart. Whatever it accepts must hold valid strings. */
#include "bencode.h"
#include "log.h"
#include "ng_opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_rtpp_flags: %s\n", what);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_CRIT, true);
	return 0;
}

static void parse(struct barena *a, struct bnode *req)
{
	struct call_opts o;
	const char *err = NULL;
	int ret = ng_opts_parse(a, req, &o, &err);

	if (ret) {
		check(ret == -EINVAL || ret == -ENOMEM, "not -EINVAL or -ENOMEM");
		check(err && *err, "error without a reason");
		return;
	}
	/* Each string the options point at is a readable, terminated string. */
	for (int i = 0; i < 2; i++)
		if (o.direction[i])
			check(strlen(o.direction[i]) < 1u << 20, "direction");
	check(!o.call_id || !strcmp(o.call_id, "fuzz-call"), "call-id");
	check(o.learn >= -1, "endpoint-learning");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct barena *a = barena_new();
	struct bnode *req, *flags;

	if (!a)
		return 0;
	req = bn_dict(a);
	bn_dict_add_str(a, req, "call-id", "fuzz-call");
	bn_dict_add_str(a, req, "from-tag", "fuzz-tag");
	bn_dict_add(a, req, "rtpp-flags", bn_strn(a, (const char *)data, size));
	parse(a, req);

	/* The underscore spelling, with the input also as one word of the "flags" list. */
	req = bn_dict(a);
	bn_dict_add(a, req, "rtpp_flags", bn_strn(a, (const char *)data, size));
	flags = bn_dict_add(a, req, "flags", bn_list(a));
	bn_list_append(flags, bn_strn(a, (const char *)data, size));
	parse(a, req);
	barena_free(a);
	return 0;
}
