// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness for the whole ng request handler: bencode/JSON decoding, key and flag
 * parsing, SDP, the call state machine (with a real media worker) and the reply encoders. */
#include "call.h"
#include "config.h"
#include "log.h"
#include "ng_cmd.h"
#include "worker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {"fuzz",
			"--config-file=none",
			"--port-min=39600",
			"--port-max=39799",
			"--port-quarantine=0",
			"--interface=127.0.0.1",
			"--interface=::1",
			NULL};
	char err[256];

	if (config_load(&cfg, 7, args, err, sizeof(err)))
		abort();
	log_init(LOG_CRIT, true);
	if (workers_start(1) || calls_init(&cfg))
		abort();
	ng_cmd_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int n;
	size_t len;
	char *reply = ng_cmd_handle((const char *)data, size, &len);

	if (!reply)
		abort();
	free(reply);
	/* Now and then, everything ends: timeouts, reaping and port release run too. */
	if (++n % 64 == 0)
		calls_tick(time(NULL) + 100000);
	return 0;
}
