/* SPDX-License-Identifier: GPL-2.0-only */
/* The ng request's keys and flags (and the single-string rtpp_flags form) into call_opts. */
#ifndef XRELAY_NG_OPTS_H
#define XRELAY_NG_OPTS_H

#include "bencode.h"
#include "call.h"

/* Fills o from the request dict req. Unknown keys and flags are ignored (logged at debug);
 * a key with a value of the wrong kind is an error: -EINVAL with a reason in *err.
 * Strings in o point into req or into a. */
int ng_opts_parse(struct barena *a, const struct bnode *req, struct call_opts *o, const char **err);

#endif
