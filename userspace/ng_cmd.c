// SPDX-License-Identifier: GPL-2.0-only
/* ng commands: ping, offer, answer, delete, query, list, statistics, takeover. Every malformed
 * request becomes an error reply; nothing here aborts. */
#include "ng_cmd.h"

#include "call_report.h"
#include "kernel.h"
#include "load.h"
#include "log.h"
#include "ng_allow.h"
#include "ng_opts.h"
#include "ports.h"
#include "redis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static time_t started;

void ng_cmd_init(void)
{
	started = time(NULL);
}

static const char *cmd_ping(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	bn_dict_add_str(a, reply, "result", "pong");
	return NULL;
}

/* offer and answer: the same reply, a different state change. */
static const char *cmd_sdp(struct barena *a, const struct bnode *req, struct bnode *reply,
			   bool offer)
{
	const char *err = NULL, *warning = NULL;
	struct call_opts o;
	char *sdp;

	if (ng_opts_parse(a, req, &o, &err))
		return err;
	sdp = offer ? call_offer(&o, &err, &warning) : call_answer(&o, &err, &warning);
	if (!sdp)
		return err;
	bn_dict_add_str(a, reply, "result", "ok");
	if (warning)
		bn_dict_add_str(a, reply, "warning", warning);
	bn_dict_add_str(a, reply, "sdp", sdp);
	free(sdp);
	return NULL;
}

/* True when the request's "supports" list names feature. */
static bool supports(const struct bnode *req, const char *feature)
{
	const struct bnode *l = bn_dict_get(req, "supports"), *it;

	if (!l || l->type != BN_LIST)
		return false;
	bn_for_each(it, l) {
		if (it->type == BN_STR &&
		    bn_key_eq(it->str.s, it->str.len, feature, strlen(feature)))
			return true;
	}
	return false;
}

static const char *cmd_offer(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	const char *id = bn_dict_get_str(req, "call-id");
	const char *why;

	/* Limits refuse new calls only; a re-INVITE of a running call always goes through. */
	if (id && !call_lookup(id) && (why = load_refuse(calls_config(), calls_count()))) {
		calls_refused();
		if (!supports(req, "load limit"))
			return why;
		bn_dict_add_str(a, reply, "result", "load limit");
		bn_dict_add_str(a, reply, "message", why);
		return NULL;
	}
	return cmd_sdp(a, req, reply, true);
}

static const char *cmd_answer(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	return cmd_sdp(a, req, reply, false);
}

static const char *cmd_delete(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	const char *err = NULL;
	struct call_opts o;
	struct call *c;

	if (ng_opts_parse(a, req, &o, &err))
		return err;
	c = call_delete(&o, &err);
	if (!c)
		return err;
	bn_dict_add_str(a, reply, "result", "ok");
	return call_report(a, reply, c) ? NULL : "Out of memory";
}

static const char *cmd_query(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	const char *id = bn_dict_get_str(req, "call-id");
	struct call *c;

	if (!id || !*id)
		return "No call-id in message";
	c = call_lookup(id);
	if (!c && redis_foreign_json(id)) {
		/* Another node's call, held for a takeover (redis.c): no ports, no media here. */
		bn_dict_add_str(a, reply, "result", "ok");
		bn_dict_add_str(a, reply, "foreign", "yes");
		return NULL;
	}
	if (!c)
		return "Unknown call-id";
	bn_dict_add_str(a, reply, "result", "ok");
	return call_report(a, reply, c) ? NULL : "Out of memory";
}

struct foreign_list {
	struct barena *a;
	struct bnode *calls;
	long long limit;
};

static void list_foreign(const char *call_id, void *arg)
{
	struct foreign_list *fl = arg;

	if (fl->limit-- > 0)
		bn_list_append(fl->calls, bn_str(fl->a, call_id));
}

/* xrelay's own: a standby (--redis-role=standby) carries the active node's calls on. */
static const char *cmd_takeover(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	int restored, lost, ret = redis_takeover(&restored, &lost);

	if (ret == -ENOTCONN)
		return "Not a standby: no --redis";
	if (ret == -EALREADY)
		return "Already the active node";
	if (ret)
		return "Takeover failed";
	bn_dict_add_str(a, reply, "result", "ok");
	bn_dict_add_int(a, reply, "restored", restored);
	bn_dict_add_int(a, reply, "lost media", lost);
	return NULL;
}

static const char *cmd_list(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	struct bnode *calls = bn_list(a);
	long long limit = 32;

	if (bn_dict_get(req, "limit") && (!bn_dict_get_int(req, "limit", &limit) || limit < 0))
		return "Invalid limit";
	if (!calls)
		return "Out of memory";
	for (struct call *c = call_first(); c && limit > 0; c = call_next(c), limit--)
		bn_list_append(calls, bn_str(a, c->call_id));
	redis_foreign_each(list_foreign, &(struct foreign_list){a, calls, limit});
	bn_dict_add_str(a, reply, "result", "ok");
	bn_dict_add(a, reply, "calls", calls);
	return NULL;
}

/* xrelay's own: the XDP fast path's mode, table fill and counters. */
static struct bnode *kernel_report(struct barena *a)
{
	struct bnode *k = bn_dict(a), *ctr = bn_dict(a), *ifs = bn_list(a);
	struct kernel_iface ki[16];
	uint64_t c[XR_C_MAX];
	enum xdp_mode mode = XDP_MODE_OFF;
	int n = kernel_ifaces(ki, 16);

	for (int i = 0; i < n; i++) {
		struct bnode *d = bn_dict(a);

		bn_dict_add_str(a, d, "name", ki[i].name);
		bn_dict_add_str(a, d, "xdp", xdp_mode_name(ki[i].mode));
		bn_list_append(ifs, d);
		if (mode != XDP_MODE_GENERIC)
			mode = ki[i].mode; /* generic anywhere is what an operator must see */
	}
	bn_dict_add_str(a, k, "xdp", xdp_mode_name(mode));
	bn_dict_add(a, k, "interfaces", ifs);
	bn_dict_add_int(a, k, "entries", kernel_fwd_count());
	bn_dict_add_int(a, k, "max entries", XR_MAX_ENTRIES);
	kernel_counters(c);
	for (int i = 0; i < XR_C_MAX; i++)
		bn_dict_add_int(a, ctr, kernel_counter_name((enum xr_counter)i), (long long)c[i]);
	bn_dict_add(a, k, "counters", ctr);
	return k;
}

/* xrelay's own: the configured media addresses (--interface) and the XDP mode on each. */
static struct bnode *interfaces_report(struct barena *a)
{
	const struct config *cfg = calls_config();
	struct bnode *l = bn_list(a);
	char ip[EP_STRLEN];

	for (int i = 0; cfg && l && i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ifc = &cfg->ifaces[i];
		struct bnode *d = bn_dict(a);

		bn_dict_add_str(a, d, "name", ifc->name);
		bn_dict_add_str(a, d, "address", ep_ip_str(&ifc->local, ip, sizeof(ip)));
		bn_dict_add_str(a, d, "advertised", ep_ip_str(&ifc->advertised, ip, sizeof(ip)));
		bn_dict_add_str(a, d, "xdp", xdp_mode_name(kernel_mode_for(&ifc->local)));
		bn_list_append(l, d);
	}
	return l;
}

static const char *cmd_statistics(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	const struct call_totals *t = calls_totals();
	const struct port_pool *p = calls_ports();
	struct bnode *st = bn_dict(a), *cur = bn_dict(a), *tot = bn_dict(a);
	unsigned long ended = t->regular_terminated + t->forced_terminated + t->timeouts +
			      t->silent_timeouts + t->final_timeouts;
	struct stream_stats sum;
	uint64_t kc[XR_C_MAX];

	if (!st || !cur || !tot)
		return "Out of memory";
	calls_sum(&sum, true);
	bn_dict_add_int(a, cur, "sessionsown", (long long)calls_count());
	bn_dict_add_int(a, cur, "sessionsforeign", (long long)redis_foreign_count());
	bn_dict_add_int(a, cur, "sessionstotal",
			(long long)(calls_count() + redis_foreign_count()));
	bn_dict_add_int(a, cur, "transcodedmedia", (long long)calls_transcoded());
	bn_dict_add_int(a, cur, "packetrate", (long long)t->packet_rate);
	bn_dict_add_int(a, cur, "byterate", (long long)t->byte_rate);
	bn_dict_add_int(a, cur, "errorrate", (long long)t->error_rate);
	bn_dict_add_int(a, cur, "portsused", p->used * 2);
	bn_dict_add_int(a, cur, "portsfree", (long long)(p->n_pairs - p->used) * 2);
	/* xrelay's own, for placement: host CPU and load, and the share of relayed packets
	 * the kernel forwarded (since start). */
	bn_dict_add(a, cur, "cpuusage", bn_strf(a, "%.1f", load_cpu()));
	bn_dict_add(a, cur, "loadavg", bn_strf(a, "%.2f", load_avg1()));
	kernel_counters(kc);
	bn_dict_add(a, cur, "kernelshare",
		    bn_strf(a, "%.1f",
			    sum.packets ? 100.0 * (double)(kc[XR_C_TX] + kc[XR_C_REDIRECT]) /
						  (double)sum.packets
					: 0.0));
	bn_dict_add(a, st, "currentstatistics", cur);

	bn_dict_add(a, tot, "uptime", bn_strf(a, "%lld", (long long)(time(NULL) - started)));
	bn_dict_add_int(a, tot, "managedsessions", (long long)t->managed);
	bn_dict_add_int(a, tot, "rejectedsessions", (long long)t->rejected);
	bn_dict_add_int(a, tot, "timeoutsessions", (long long)t->timeouts);
	bn_dict_add_int(a, tot, "silenttimeoutsessions", (long long)t->silent_timeouts);
	bn_dict_add_int(a, tot, "finaltimeoutsessions", (long long)t->final_timeouts);
	bn_dict_add_int(a, tot, "regularterminatedsessions", (long long)t->regular_terminated);
	bn_dict_add_int(a, tot, "forcedterminatedsessions", (long long)t->forced_terminated);
	bn_dict_add_int(a, tot, "relayedpackets", (long long)sum.packets);
	bn_dict_add_int(a, tot, "relayedbytes", (long long)sum.bytes);
	bn_dict_add_int(a, tot, "relayedpacketerrors", (long long)sum.errors);
	bn_dict_add_int(a, tot, "portsexhausted", (long long)p->exhausted);
	bn_dict_add_int(a, tot, "ngdenied", (long long)ng_allow_denied()); /* xrelay's own */
	bn_dict_add(a, tot, "avgcallduration",
		    bn_strf(a, "%.6f", ended ? (double)t->duration_sum_s / (double)ended : 0.0));
	bn_dict_add(a, st, "totalstatistics", tot);
	bn_dict_add(a, st, "interfaces", interfaces_report(a));
	bn_dict_add(a, st, "kernel", kernel_report(a));
	bn_dict_add_str(a, reply, "result", "ok");
	bn_dict_add(a, reply, "statistics", st);
	return NULL;
}

static const struct {
	const char *name;
	const char *(*fn)(struct barena *a, const struct bnode *req, struct bnode *reply);
} commands[] = {
	{"ping", cmd_ping},
	{"offer", cmd_offer},
	{"answer", cmd_answer},
	{"delete", cmd_delete},
	{"query", cmd_query},
	{"list", cmd_list},
	{"statistics", cmd_statistics},
	{"takeover", cmd_takeover},
};

static const char *dispatch(struct barena *a, const struct bnode *req, struct bnode *reply)
{
	const struct bnode *cmd;

	if (req->type != BN_DICT)
		return "Could not decode dictionary";
	cmd = bn_dict_get(req, "command");
	if (!cmd || cmd->type != BN_STR)
		return "No command in message";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (bn_key_eq(cmd->str.s, cmd->str.len, commands[i].name,
			      strlen(commands[i].name))) {
			log_debug("ng: %s", commands[i].name);
			return commands[i].fn(a, req, reply);
		}
	return "Unrecognized command";
}

char *ng_cmd_handle(const char *body, size_t len, size_t *reply_len)
{
	struct barena *a = barena_new();
	struct bnode *req = NULL, *reply;
	const char *err = NULL;
	char jerr[160];
	bool json = false;
	char *out = NULL;

	if (!a)
		return NULL;
	reply = bn_dict(a);
	if (!reply)
		goto out;
	for (size_t i = 0; i < len && len <= NG_MAX_REQUEST && !json; i++) {
		if (body[i] == '{')
			json = true;
		else if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
			break;
	}
	if (len > NG_MAX_REQUEST) {
		err = "Request too large";
	} else if (json) {
		if (json_parse_bnode(a, body, len, &req, jerr, sizeof(jerr)))
			err = "Could not decode JSON dictionary";
	} else if (bencode_parse(a, body, len, &req, &err)) {
		err = "Could not decode bencode dictionary";
	}
	if (!err)
		err = dispatch(a, req, reply);
	if (err) {
		log_info("ng: error reply: %s", err);
		reply = bn_dict(a);
		if (!reply)
			goto out;
		bn_dict_add_str(a, reply, "result", "error");
		bn_dict_add_str(a, reply, "error-reason", err);
	}
	out = json ? bnode_to_json(reply, reply_len) : bencode_encode(reply, reply_len);
out:
	barena_free(a);
	return out;
}
