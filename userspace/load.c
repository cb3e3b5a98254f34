// SPDX-License-Identifier: GPL-2.0-only
/* The host's load: CPU usage from /proc/stat, the load average, and the limits on new calls. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned long long prev_busy, prev_total;
static double cpu_pct, avg1;

void load_update(void)
{
	unsigned long long v[8] = {0}, busy, total;
	FILE *f = fopen("/proc/stat", "r");
	double la[1];

	if (f) {
		/* cpu user nice system idle iowait irq softirq steal */
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
			busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			total = busy + v[3] + v[4];
			if (prev_total && total > prev_total)
				cpu_pct = 100.0 * (double)(busy - prev_busy) /
					  (double)(total - prev_total);
			prev_busy = busy;
			prev_total = total;
		}
		fclose(f);
	}
	if (getloadavg(la, 1) == 1)
		avg1 = la[0];
}

double load_cpu(void)
{
	return cpu_pct;
}

double load_avg1(void)
{
	return avg1;
}

const char *load_refuse(const struct config *cfg, unsigned long sessions)
{
	if (cfg->max_sessions >= 0 && sessions >= (unsigned long)cfg->max_sessions)
		return "Parallel session limit reached";
	if (cfg->max_load > 0 && avg1 >= cfg->max_load)
		return "Load limit reached";
	if (cfg->max_cpu > 0 && cpu_pct >= cfg->max_cpu)
		return "CPU usage limit reached";
	return NULL;
}
