// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for the SDES a=crypto parser: any text is parsed or refused with a reason;
 * what parses prints back to text that parses to the same key. */
#include "log.h"
#include "sdes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_CRIT, true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdes_crypto c, again;
	char buf[SDES_MAX_LINE_LEN];
	const char *err = NULL;
	int len;

	if (sdes_parse((const char *)data, size, &c, &err)) {
		if (!err || !*err)
			abort(); /* a refusal always says why */
		return 0;
	}
	len = sdes_format(&c, buf, sizeof(buf));
	if (len < 0)
		return 0;
	if (sdes_parse(buf, (size_t)len, &again, &err) || !sdes_same_key(&c, &again) ||
	    c.tag != again.tag) {
		fprintf(stderr, "fuzz_sdes: '%s' does not parse back\n", buf);
		abort();
	}
	return 0;
}
