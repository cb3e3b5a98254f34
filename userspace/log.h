/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging: syslog levels, to syslog or stderr; rate-limited variants for anything per packet. */
#ifndef XRELAY_LOG_H
#define XRELAY_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(int level, bool to_stderr);
int log_level_get(void);
bool log_enabled(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns true at most 5 times a second for each call site's state. */
bool log_ratelimit(long *state_sec, int *state_count);
/* Parses "err"/"warn"/"info"/"debug" or a syslog number 0..7; -1 when invalid. */
int log_level_parse(const char *s);

#define log_err(...)  log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                   \
	do {                                             \
		if (log_enabled(LOG_DEBUG))              \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#define log_rl(level, ...)                                                   \
	do {                                                                 \
		static long rl_sec_;                                         \
		static int rl_cnt_;                                          \
		if (log_enabled(level) && log_ratelimit(&rl_sec_, &rl_cnt_)) \
			log_msg(level, __VA_ARGS__);                         \
	} while (0)
#define log_warn_rl(...)  log_rl(LOG_WARNING, __VA_ARGS__)
#define log_debug_rl(...) log_rl(LOG_DEBUG, __VA_ARGS__)

#endif
