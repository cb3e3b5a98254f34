/* SPDX-License-Identifier: GPL-2.0-only */
/* ng commands: one request body (bencode or JSON dictionary) in, one reply body out. */
#ifndef XRELAY_NG_CMD_H
#define XRELAY_NG_CMD_H

#include <stddef.h>

/* Largest request body accepted; larger ones get an error reply. */
#define NG_MAX_REQUEST 49152

/* Handles one request. Always returns a reply (malloc'd; in JSON when the request was JSON),
 * or NULL only when out of memory. */
char *ng_cmd_handle(const char *body, size_t len, size_t *reply_len);
/* Requests handled per command, for statistics. */
void ng_cmd_init(void);

#endif
