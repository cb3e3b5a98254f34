// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus metrics (text format 0.0.4), from the same sources as ng `statistics`; the kernel
 * counters keep the X-macro names of include/xrelay/abi.h as label values. */
#include "metrics.h"

#include "call.h"
#include "kernel.h"
#include "ng_allow.h"
#include "ports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static time_t started;

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP xrelay_%s %s\n# TYPE xrelay_%s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, unsigned long long v)
{
	family(f, name, type, help);
	fprintf(f, "xrelay_%s %llu\n", name, v);
}

static void gauge_f(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fprintf(f, "xrelay_%s %.3f\n", name, v);
}

#define XR_AS_ENUM(name, str) XR_C_##name,
static const enum xr_counter verdicts[] = {XR_VERDICTS(XR_AS_ENUM)};
static const enum xr_counter punts[] = {XR_PUNT_REASONS(XR_AS_ENUM)};
static const enum xr_counter drops[] = {XR_DROP_REASONS(XR_AS_ENUM)};
#undef XR_AS_ENUM

static void labelled(FILE *f, const char *name, const char *help, const char *label,
		     const enum xr_counter *idx, size_t n, const uint64_t *c)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "xrelay_%s{%s=\"%s\"} %llu\n", name, label, kernel_counter_name(idx[i]),
			(unsigned long long)c[idx[i]]);
}

char *metrics_render(size_t *len)
{
	const struct call_totals *t = calls_totals();
	const struct port_pool *p = calls_ports();
	uint64_t c[XR_C_MAX] = {0};
	struct stream_stats sum;
	char *out = NULL;
	FILE *f;

	f = open_memstream(&out, len);
	if (!f)
		return NULL;
	calls_sum(&sum, true);
	one(f, "sessions", "gauge", "Calls now.", calls_count());
	one(f, "sessions_managed_total", "counter", "Calls created.", t->managed);
	one(f, "sessions_rejected_total", "counter", "Calls refused.", t->rejected);
	family(f, "sessions_ended_total", "counter", "Calls ended, by why.");
	fprintf(f,
		"xrelay_sessions_ended_total{reason=\"regular\"} %lu\n"
		"xrelay_sessions_ended_total{reason=\"forced\"} %lu\n"
		"xrelay_sessions_ended_total{reason=\"timeout\"} %lu\n"
		"xrelay_sessions_ended_total{reason=\"silent_timeout\"} %lu\n"
		"xrelay_sessions_ended_total{reason=\"final_timeout\"} %lu\n",
		t->regular_terminated, t->forced_terminated, t->timeouts, t->silent_timeouts,
		t->final_timeouts);
	one(f, "relayed_packets_total", "counter",
	    "Packets received on relay ports, userspace and kernel.", sum.packets);
	one(f, "relayed_bytes_total", "counter",
	    "Bytes received on relay ports, userspace and kernel.", sum.bytes);
	one(f, "relayed_errors_total", "counter", "Packets dropped or not sent in userspace.",
	    sum.errors);
	one(f, "srtp_auth_failures_total", "counter",
	    "SRTP/SRTCP packets dropped: authentication failed.", sum.srtp_auth_failures);
	one(f, "srtp_replays_total", "counter", "SRTP/SRTCP packets dropped: replayed.",
	    sum.srtp_replays);
	one(f, "overload_drops_total", "counter",
	    "Packets to transcode dropped: they waited too long for an overloaded worker.",
	    sum.overload_drops);
	gauge_f(f, "packet_rate", "Packets per second over the last second.", t->packet_rate);
	gauge_f(f, "byte_rate", "Userspace bytes per second over the last second.", t->byte_rate);
	gauge_f(f, "error_rate", "Errors per second over the last second.", t->error_rate);
	one(f, "ports_used", "gauge", "Media ports in use.", (unsigned long long)p->used * 2);
	one(f, "ports_free", "gauge", "Media ports free.",
	    (unsigned long long)(p->n_pairs - p->used) * 2);
	one(f, "ports_exhausted_total", "counter", "Port allocations that found none free.",
	    p->exhausted);
	one(f, "ng_denied_total", "counter",
	    "ng requests (UDP datagrams, TCP connections, HTTP requests) refused by --ng-allow.",
	    ng_allow_denied());
	one(f, "uptime_seconds", "gauge", "Seconds since xrelayd started.",
	    (unsigned long long)(time(NULL) - started));
	one(f, "kernel_entries", "gauge", "Forwarding entries in the XDP program's table.",
	    kernel_fwd_count());
	kernel_counters(c);
	labelled(f, "kernel_verdicts_total", "Packets seen by the XDP program, by verdict.",
		 "verdict", verdicts, sizeof(verdicts) / sizeof(verdicts[0]), c);
	labelled(f, "kernel_punts_total",
		 "Packets the XDP program passed to the daemon, by reason.", "reason", punts,
		 sizeof(punts) / sizeof(punts[0]), c);
	labelled(f, "kernel_drops_total", "Packets the XDP program dropped, by reason.", "reason",
		 drops, sizeof(drops) / sizeof(drops[0]), c);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/* Uptime counts from the process start, whenever the first scrape comes. */
__attribute__((constructor)) static void metrics_clock(void)
{
	started = time(NULL);
}
