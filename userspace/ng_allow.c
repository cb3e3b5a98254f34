// SPDX-License-Identifier: GPL-2.0-only
/* The ng allow-list: a source check in front of every network ng transport. */
#include "ng_allow.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct cidr *allow;
static int n_allow;
static uint64_t denied;

void ng_allow_set(const struct cidr *list, int n)
{
	char buf[CIDR_STRLEN * 4 + 16];
	size_t off = 0;

	allow = list;
	n_allow = n < 0 ? 0 : n;
	buf[0] = 0;
	for (int i = 0; i < n && off < sizeof(buf); i++) {
		char c[CIDR_STRLEN];
		int w = snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
				 cidr_str(&list[i], c, sizeof(c)));

		if (w < 0 || (size_t)w >= sizeof(buf) - off) {
			snprintf(buf + off, sizeof(buf) - off, " ...");
			break;
		}
		off += (size_t)w;
	}
	if (n)
		log_info("ng requests accepted only from %s (%d prefix%s)", buf, n,
			 n == 1 ? "" : "es");
}

bool ng_allow_check(const struct endpoint *src, const char *transport)
{
	char addr[EP_STRLEN];

	if (!n_allow || cidr_list_match(allow, n_allow, src))
		return true;
	denied++;
	log_warn_rl("ng %s: request from %s refused: not in --ng-allow", transport,
		    ep_ip_str(src, addr, sizeof(addr)));
	return false;
}

uint64_t ng_allow_denied(void)
{
	return denied;
}
