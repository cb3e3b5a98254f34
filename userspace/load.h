/* SPDX-License-Identifier: GPL-2.0-only */
/* The host's load as a SIP proxy places calls by it: CPU usage and load average, sampled once a
 * second, and the limits (--max-sessions, --max-load, --max-cpu) new calls are refused at. */
#ifndef XRELAY_LOAD_H
#define XRELAY_LOAD_H

#include "config.h"

/* Samples /proc/stat and the load average; once a second. */
void load_update(void);
/* CPU busy percent over the last second (all CPUs); 1-minute load average. */
double load_cpu(void);
double load_avg1(void);
/* NULL when a new call may start with `sessions` calls running, else why not. */
const char *load_refuse(const struct config *cfg, unsigned long sessions);

#endif
