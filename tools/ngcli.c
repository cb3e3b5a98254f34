// SPDX-License-Identifier: GPL-2.0-only
/* ngcli: sends one ng request, given as a JSON dictionary, and prints the reply as JSON.
 * For scripts and tests until relayctl arrives; works against any ng server. */
#include "ng_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: ngcli [-s SERVER] [-t TIMEOUT_MS] JSON-DICT\n"
		   "  Sends JSON-DICT (e.g. '{\"command\":\"ping\"}', or '-' to read stdin)\n"
		   "  to the ng server (default 127.0.0.1:2223) as bencode and prints the\n"
		   "  reply as JSON. Exit 0 on a reply, 1 when there is none, 2 on bad usage.\n");
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	const char *server = "127.0.0.1:2223";
	struct ng_client c;
	struct barena *a;
	struct bnode *req, *reply;
	char err[256];
	char *in, *out;
	size_t len;
	long timeout = 1000;
	int opt, ret;

	while ((opt = getopt(argc, argv, "s:t:h")) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			if (timeout <= 0) {
				fprintf(stderr, "ngcli: -t: '%s' is not a positive number\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "-")) {
		in = read_all(stdin, &len);
	} else {
		in = strdup(argv[optind]);
		len = in ? strlen(in) : 0;
	}
	a = barena_new();
	if (!in || !a) {
		fprintf(stderr, "ngcli: out of memory\n");
		return 1;
	}
	if (json_parse_bnode(a, in, len, &req, err, sizeof(err)) || req->type != BN_DICT) {
		fprintf(stderr, "ngcli: the request is not a JSON dictionary: %s\n", err);
		return 2;
	}
	if ((ret = ng_client_open(&c, server))) {
		fprintf(stderr, "ngcli: %s: %s\n", server,
			ret == -EINVAL ? "not an address:port" : strerror(-ret));
		return 2;
	}
	c.timeout_ms = (unsigned int)timeout;
	ret = ng_client_call(&c, a, req, &reply);
	ng_client_close(&c);
	if (ret) {
		fprintf(stderr, "ngcli: %s: %s\n", server,
			ret == -ETIMEDOUT ? "no reply" : strerror(-ret));
		return 1;
	}
	out = bnode_to_json(reply, &len);
	if (!out) {
		fprintf(stderr, "ngcli: out of memory\n");
		return 1;
	}
	printf("%s\n", out);
	free(out);
	free(in);
	barena_free(a);
	return 0;
}
