// SPDX-License-Identifier: GPL-2.0-only
/* Logging to syslog or stderr, with a level set once at start. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int cur_level = LOG_INFO;
static bool use_stderr = true;

void log_init(int level, bool to_stderr)
{
	cur_level = level;
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog("xrelayd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_level_get(void)
{
	return cur_level;
}

bool log_enabled(int level)
{
	return level <= cur_level;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const names[] = {"emerg", "alert",  "crit", "err",
					    "warn",  "notice", "info", "debug"};
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	if (use_stderr) {
		char line[1024];
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%ld.%03ld [%s] %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000,
			names[level & 7], line);
	} else {
		vsyslog(level, fmt, ap);
	}
	va_end(ap);
}

bool log_ratelimit(long *state_sec, int *state_count)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (ts.tv_sec != *state_sec) {
		*state_sec = ts.tv_sec;
		*state_count = 0;
	}
	return ++*state_count <= 5;
}

int log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {{"err", LOG_ERR},	       {"error", LOG_ERR},     {"warn", LOG_WARNING},
		     {"warning", LOG_WARNING}, {"notice", LOG_NOTICE}, {"info", LOG_INFO},
		     {"debug", LOG_DEBUG}};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].level;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= 7)
		return (int)v;
	return -1;
}
