// SPDX-License-Identifier: GPL-2.0-only
/* relayctl: the operator's view of xrelayd through its local control socket (or ng over UDP):
 * calls, streams, media interfaces, statistics and the XDP fast path, as aligned tables or as
 * JSON (-j) with the field names documented in docs/relayctl.md. */
#include "config.h"
#include "ng_client.h"
#include "xrelay/abi.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef XRELAY_VERSION
#define XRELAY_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: the daemon said no or could not be reached; the command line is wrong. */
#define EXIT_DAEMON 1
#define EXIT_USAGE  2

/* `list` gets every call-id in one reply; the control socket carries large datagrams. */
#define LIST_LIMIT 10000000

struct ctx {
	bool json, pretty;
	unsigned int timeout_ms;
	const char *socket; /* as given with -s */
	char server[128];   /* for ng_client_open: "unix:PATH" or "IP:PORT" */
	struct ng_client c;
	bool open;
	struct barena *a;
	json_t *stats; /* the statistics reply, fetched once */
};

static const char usage_text[] =
	"Usage: relayctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
	"       relayctl help | --help | --version\n"
	"\n"
	"OBJECT COMMAND:\n"
	"  call list                 every call: tags, streams, packets\n"
	"  call show CALL-ID         one call: its tags, media and streams\n"
	"  call delete CALL-ID       end a call now (delete-delay 0)\n"
	"  stream list               every stream of every call: addresses, path, counters\n"
	"  iface list                the media addresses, advertised addresses, XDP mode\n"
	"  stats show                the daemon's statistics\n"
	"  kernel show               the XDP fast path: table fill, verdicts, punt reasons\n"
	"  OBJECT help               the commands of OBJECT\n"
	"Objects and commands may be shortened to a unique prefix (relayctl c l); a\n"
	"missing COMMAND means the object's first one (list or show).\n"
	"\n"
	"OPTIONS:\n"
	"  -j, --json                JSON output (errors too: {\"error\": \"...\"})\n"
	"  -p, --pretty              indented JSON (implies -j)\n"
	"  -s, --socket=SOCKET       xrelayd's control socket "
	"(default " CONFIG_DEFAULT_CONTROL_SOCKET ")\n"
	"                            or its ng address IP:PORT to talk ng over UDP\n"
	"  -t, --timeout=MS          wait this long for each reply (default 3000)\n"
	"  -h, --help                this help\n"
	"  -V, --version             the version\n"
	"\n"
	"Exit status: 0 success, 1 xrelayd error or not reachable, 2 bad usage.\n";

/* One line on stderr, or {"error": ...} on stdout in JSON mode. Returns code. */
__attribute__((format(printf, 3, 4))) static int fail(struct ctx *x, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->json) {
		json_t *o = json_object();
		char *s;

		/* A message quoting bad bytes from the daemon must still be valid JSON. */
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		json_object_set_new(o, "error", json_string(msg));
		s = json_dumps(o, x->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		fprintf(stderr, "relayctl: %s\n", msg);
	}
	return code;
}

/* ---- matching words ---- */

/* Index of the name word is a unique prefix of (an exact name wins), -1 unknown, -2 ambiguous. */
static int match(const char *word, const char *const *names, int n)
{
	int found = -1;

	for (int i = 0; i < n; i++) {
		if (!strcmp(word, names[i]))
			return i;
		if (!strncmp(word, names[i], strlen(word)))
			found = found == -1 ? i : -2;
	}
	return found;
}

static void join(char *buf, size_t len, const char *const *names, int n)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

/* ---- values from the daemon's reply ---- */

/* A string for JSON: jansson refuses invalid UTF-8, so bad bytes become '?'. */
static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

static const char *jget_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool jlist_has(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

/* "IP:PORT" or "[IPv6]:PORT" from an address and a port; NULL when there is no address. */
static json_t *addr_port(const char *ip, long long port)
{
	struct endpoint ep;
	char buf[EP_STRLEN];

	if (!ip || !*ip)
		return json_null();
	if (ep_parse_ip(&ep, ip))
		return json_string(ip); /* from a JSON string: valid UTF-8 */
	ep_set_port(&ep, (uint16_t)port);
	return json_string(ep_str(&ep, buf, sizeof(buf)));
}

/* ---- talking to xrelayd ---- */

static int connect_daemon(struct ctx *x)
{
	int ret;

	if (x->open)
		return 0;
	ret = ng_client_open(&x->c, x->server);
	if (ret)
		return fail(x, EXIT_DAEMON, "cannot reach xrelayd at %s: %s", x->socket,
			    ret == -EINVAL ? "not a socket path or IP:PORT" : strerror(-ret));
	x->open = true;
	x->c.timeout_ms = x->timeout_ms;
	/* Over the unix socket nothing is lost: one try, waiting the whole timeout. */
	x->c.retries = strncmp(x->server, "unix:", 5) ? 2 : 0;
	return 0;
}

/* Sends one request; *out is the reply as JSON. Returns 0 (result ok), -1 for an error reply
 * (for daemon_error), or an exit code after saying why the daemon could not be asked. */
static int request(struct ctx *x, struct bnode *req, json_t **out)
{
	struct bnode *reply;
	const char *result;
	int ret;

	*out = NULL;
	ret = connect_daemon(x);
	if (ret)
		return ret;
	ret = ng_client_call(&x->c, x->a, req, &reply);
	if (ret)
		return fail(x, EXIT_DAEMON, "cannot reach xrelayd at %s: %s", x->socket,
			    ret == -ETIMEDOUT ? "no reply"
			    : ret == -EPROTO  ? "the reply is not an ng dictionary"
					      : strerror(-ret));
	*out = bnode_to_jansson(reply);
	result = jget_str(*out, "result");
	return result && !strcmp(result, "error") ? -1 : 0;
}

/* Says what the daemon refused (an unknown call plainly), frees the reply; EXIT_DAEMON. */
static int daemon_error(struct ctx *x, json_t *reply, const char *what, const char *call_id)
{
	const char *reason = jget_str(reply, "error-reason");
	int ret;

	/* query says the first, delete the second (rtpengine's words). */
	if (call_id && reason &&
	    (!strcmp(reason, "Unknown call-id") ||
	     !strcmp(reason, "Call-ID not found or tags didn't match")))
		ret = fail(x, EXIT_DAEMON, "unknown call '%s'", call_id);
	else
		ret = fail(x, EXIT_DAEMON, "%s: %s", what, reason ? reason : "error");
	json_decref(reply);
	return ret;
}

static int fetch_stats(struct ctx *x, json_t **st)
{
	struct bnode *req = bn_dict(x->a);
	json_t *reply;
	int ret;

	if (!x->stats) {
		bn_dict_add_str(x->a, req, "command", "statistics");
		ret = request(x, req, &reply);
		if (ret == -1)
			return daemon_error(x, reply, "statistics", NULL);
		if (ret)
			return ret;
		x->stats = json_incref(json_object_get(reply, "statistics"));
		json_decref(reply);
		if (!json_is_object(x->stats))
			return fail(x, EXIT_DAEMON, "statistics: the reply has no statistics");
	}
	*st = x->stats;
	return 0;
}

/* The query reply for call_id: 0, -1 with an error reply in *out, or an exit code. */
static int query_call(struct ctx *x, const char *call_id, json_t **out)
{
	struct bnode *req = bn_dict(x->a);

	bn_dict_add_str(x->a, req, "command", "query");
	bn_dict_add_str(x->a, req, "call-id", call_id);
	return request(x, req, out);
}

/* ---- the model: calls and streams as relayctl shows them ---- */

static json_t *counters(json_t *src)
{
	return json_pack("{sIsIsI}", "packets", (json_int_t)jint(src, "packets"), "bytes",
			 (json_int_t)jint(src, "bytes"), "errors", (json_int_t)jint(src, "errors"));
}

static json_t *stream_obj(const char *call_id, const char *tag, json_t *media, json_t *s)
{
	json_t *ep = json_object_get(s, "endpoint"),
	       *adv = json_object_get(s, "advertised endpoint");
	json_t *flags = json_object_get(s, "flags"), *st = json_object_get(s, "stats");
	json_t *kst = json_object_get(s, "kernel stats"), *o = json_object();
	const char *path = jget_str(s, "path"), *why = jget_str(s, "path reason");

	json_object_set_new(o, "call_id", json_string(call_id));
	json_object_set_new(o, "tag", json_string(tag));
	json_object_set_new(o, "media", json_integer(jint(media, "index")));
	json_object_set_new(o, "type", json_string(jget_str(media, "type") ?: ""));
	json_object_set_new(o, "component", json_string(jlist_has(flags, "RTCP") ? "rtcp" : "rtp"));
	json_object_set_new(o, "local",
			    addr_port(jget_str(s, "local address"), jint(s, "local port")));
	json_object_set_new(o, "remote", addr_port(jget_str(ep, "address"), jint(ep, "port")));
	json_object_set_new(o, "advertised",
			    addr_port(jget_str(adv, "address"), jint(adv, "port")));
	json_object_set_new(o, "latched", json_boolean(jlist_has(flags, "confirmed")));
	json_object_set_new(o, "path", path ? json_string(path) : json_null());
	json_object_set_new(o, "path_reason", why ? json_string(why) : json_null());
	json_object_set_new(o, "packets", json_integer(jint(st, "packets")));
	json_object_set_new(o, "bytes", json_integer(jint(st, "bytes")));
	json_object_set_new(o, "errors", json_integer(jint(st, "errors")));
	json_object_set_new(o, "srtp_auth_failures", json_integer(jint(st, "srtp auth failures")));
	json_object_set_new(o, "srtp_replays", json_integer(jint(st, "srtp replays")));
	json_object_set_new(o, "overload_drops", json_integer(jint(st, "overload drops")));
	json_object_set_new(o, "kernel_packets", json_integer(jint(kst, "packets")));
	json_object_set_new(o, "kernel_bytes", json_integer(jint(kst, "bytes")));
	json_object_set_new(o, "last_packet", json_integer(jint(s, "last packet")));
	return o;
}

/* The query reply's "SSRC" dict as a list: one object per SSRC with its call quality. */
static json_t *ssrc_list(json_t *ssrcs)
{
	json_t *out = json_array(), *e;
	const char *key;

	json_object_foreach(ssrcs, key, e) {
		json_t *avg = json_object_get(e, "average MOS"),
		       *lo = json_object_get(e, "lowest MOS"),
		       *hi = json_object_get(e, "highest MOS");

		json_array_append_new(
			out,
			json_pack("{sIsfsfsfsIsIsIsIsI}", "ssrc",
				  (json_int_t)strtoull(key, NULL, 10), "mos",
				  jint(avg, "MOS") / 10.0, "lowest_mos", jint(lo, "MOS") / 10.0,
				  "highest_mos", jint(hi, "MOS") / 10.0, "rtt_us",
				  (json_int_t)jint(avg, "round-trip time"), "jitter_ms",
				  (json_int_t)jint(avg, "jitter"), "loss_pct",
				  (json_int_t)jint(avg, "packet loss"), "cumulative_loss",
				  (json_int_t)jint(e, "cumulative loss"), "samples",
				  (json_int_t)jint(avg, "samples")));
	}
	return out;
}

/* The `call show` object from a query reply. */
static json_t *call_obj(const char *call_id, json_t *q)
{
	json_t *o = json_object(), *mls = json_array(), *tags = json_object_get(q, "tags");
	json_t *totals = json_object_get(q, "totals"), *tot = json_object();
	const char *key;
	json_t *t;

	json_object_set_new(o, "call_id", json_string(call_id));
	json_object_set_new(o, "created", json_integer(jint(q, "created")));
	json_object_set_new(o, "last_signal", json_integer(jint(q, "last signal")));
	json_object_foreach(tags, key, t) {
		json_t *ml = json_object(), *medias = json_array(), *m;
		const char *tag = jget_str(t, "tag") ?: key,
			   *peer = jget_str(t, "in dialogue with");
		size_t i;

		json_object_set_new(ml, "tag", json_string(tag));
		json_object_set_new(ml, "created", json_integer(jint(t, "created")));
		json_object_set_new(ml, "peer", peer ? json_string(peer) : json_null());
		json_array_foreach(json_object_get(t, "medias"), i, m) {
			json_t *md = json_object(), *streams = json_array(), *s;
			size_t k;

			json_object_set_new(md, "index", json_integer(jint(m, "index")));
			json_object_set_new(md, "type", json_string(jget_str(m, "type") ?: ""));
			json_object_set_new(md, "protocol",
					    json_string(jget_str(m, "protocol") ?: ""));
			json_object_set(md, "flags", json_object_get(m, "flags") ?: json_array());
			if (json_object_get(m, "codecs"))
				json_object_set(md, "codecs", json_object_get(m, "codecs"));
			if (json_object_get(m, "transcoding"))
				json_object_set(md, "transcoding",
						json_object_get(m, "transcoding"));
			json_array_foreach(json_object_get(m, "streams"), k, s)
				json_array_append_new(streams, stream_obj(call_id, tag, m, s));
			json_object_set_new(md, "streams", streams);
			json_array_append_new(medias, md);
		}
		json_object_set_new(ml, "medias", medias);
		json_array_append_new(mls, ml);
	}
	json_object_set_new(o, "monologues", mls);
	json_object_set_new(o, "ssrc", ssrc_list(json_object_get(q, "SSRC")));
	json_object_set_new(tot, "rtp", counters(json_object_get(totals, "RTP")));
	json_object_set_new(tot, "rtcp", counters(json_object_get(totals, "RTCP")));
	json_object_set_new(o, "totals", tot);
	return o;
}

/* Calls `fn` on every stream object of a call object. */
#define for_each_stream(call, s, fn)                                                      \
	do {                                                                              \
		size_t i_, j_, k_;                                                        \
		json_t *ml_, *m_;                                                         \
		json_array_foreach(json_object_get(call, "monologues"), i_, ml_)          \
			json_array_foreach(json_object_get(ml_, "medias"), j_, m_)        \
				json_array_foreach(json_object_get(m_, "streams"), k_, s) \
					fn;                                               \
	} while (0)

/* The `call list` summary of a call object. */
static json_t *call_summary(json_t *call)
{
	json_t *o = json_object(), *tags = json_array(), *ml, *s;
	json_t *tot = json_object_get(call, "totals");
	json_t *rtp = json_object_get(tot, "rtp"), *rtcp = json_object_get(tot, "rtcp");
	long long medias = 0, streams = 0, kernel = 0;
	size_t i;

	json_object_set(o, "call_id", json_object_get(call, "call_id"));
	json_object_set(o, "created", json_object_get(call, "created"));
	json_object_set(o, "last_signal", json_object_get(call, "last_signal"));
	json_array_foreach(json_object_get(call, "monologues"), i, ml) {
		json_array_append(tags, json_object_get(ml, "tag"));
		medias += (long long)json_array_size(json_object_get(ml, "medias"));
	}
	for_each_stream(call, s, {
		streams++;
		kernel += !strcmp(jget_str(s, "path") ?: "", "kernel");
	});
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "medias", json_integer(medias));
	json_object_set_new(o, "streams", json_integer(streams));
	json_object_set_new(o, "kernel_streams", json_integer(kernel));
	json_object_set_new(o, "packets",
			    json_integer(jint(rtp, "packets") + jint(rtcp, "packets")));
	json_object_set_new(o, "bytes", json_integer(jint(rtp, "bytes") + jint(rtcp, "bytes")));
	json_object_set_new(o, "errors", json_integer(jint(rtp, "errors") + jint(rtcp, "errors")));
	return o;
}

/* Every call, as `call show` objects, in the daemon's order. */
static int all_calls(struct ctx *x, json_t **out)
{
	struct bnode *req = bn_dict(x->a);
	json_t *reply, *ids, *id, *calls = json_array();
	size_t i;
	int ret;

	bn_dict_add_str(x->a, req, "command", "list");
	bn_dict_add_int(x->a, req, "limit", LIST_LIMIT);
	ret = request(x, req, &reply);
	if (ret == -1)
		ret = daemon_error(x, reply, "list", NULL);
	if (ret)
		goto err;
	ids = json_object_get(reply, "calls");
	json_array_foreach(ids, i, id) {
		const char *reason;
		json_t *q;

		if (!json_is_string(id))
			continue;
		ret = query_call(x, json_string_value(id), &q);
		reason = ret == -1 ? jget_str(q, "error-reason") : NULL;
		if (reason && !strcmp(reason, "Unknown call-id")) {
			json_decref(q); /* ended between list and query: not an error */
			continue;
		}
		if (ret == -1)
			ret = daemon_error(x, q, "query", NULL);
		if (ret) {
			json_decref(reply);
			goto err;
		}
		json_array_append_new(calls, call_obj(json_string_value(id), q));
		json_decref(q);
	}
	json_decref(reply);
	*out = calls;
	return 0;
err:
	json_decref(calls);
	return ret;
}

/* ---- output ---- */

static int print_json(struct ctx *x, json_t *j)
{
	char *s = json_dumps(j, (x->pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENCODE_ANY);

	json_decref(j);
	if (!s)
		return fail(x, EXIT_DAEMON, "out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

#define MAX_COLS 12

/* An aligned table; right-aligned columns are for numbers. */
struct table {
	int ncols;
	const char *hdr[MAX_COLS];
	bool right[MAX_COLS];
	char **cells; /* rows * ncols */
	size_t rows, cap;
};

/* Adds a row of ncols cells (copied; NULL or "" shows as "-"). */
static void table_add(struct table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*nc));

		if (!nc)
			return;
		t->cells = nc;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] && *cells[i] ? cells[i] : "-");

		/* A call-id with a control character must not break the table. */
		for (char *p = c; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		t->cells[t->rows * (size_t)t->ncols + (size_t)i] = c;
	}
	t->rows++;
}

static void table_free(struct table *t)
{
	for (size_t r = 0; r < t->rows * (size_t)t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cap = 0;
}

static void table_print(struct table *t, const char *indent)
{
	size_t w[MAX_COLS];

	for (int i = 0; i < t->ncols; i++) {
		w[i] = strlen(t->hdr[i]);
		for (size_t r = 0; r < t->rows; r++) {
			const char *c = t->cells[r * (size_t)t->ncols + (size_t)i];

			if (c && strlen(c) > w[i])
				w[i] = strlen(c);
		}
	}
	for (size_t r = 0; r <= t->rows; r++) {
		fputs(indent, stdout);
		for (int i = 0; i < t->ncols; i++) {
			const char *c =
				r ? t->cells[(r - 1) * (size_t)t->ncols + (size_t)i] : t->hdr[i];
			bool last = i == t->ncols - 1;

			if (!c)
				c = "?";
			if (t->right[i])
				printf("%*s%s", (int)w[i], c, last ? "" : "  ");
			else if (last)
				printf("%s", c);
			else
				printf("%-*s  ", (int)w[i], c);
		}
		putchar('\n');
	}
	table_free(t);
}

static const char *num(char *buf, long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static const char *age(char *buf, size_t len, long long when)
{
	long long d = (long long)time(NULL) - when;

	if (when <= 0)
		snprintf(buf, len, "never");
	else if (d < 120)
		snprintf(buf, len, "%llds", d < 0 ? 0 : d);
	else if (d < 7200)
		snprintf(buf, len, "%lldm", d / 60);
	else if (d < 2 * 86400)
		snprintf(buf, len, "%lldh", d / 3600);
	else
		snprintf(buf, len, "%lldd", d / 86400);
	return buf;
}

static const char *jcell(json_t *o, const char *key)
{
	const char *s = jget_str(o, key);

	return s ? s : "-";
}

/* The streams table of stream list (with the call-id column) and call show (without). */
static void streams_table(json_t *streams, bool with_call)
{
	static const char *const hdr[] = {"CALL-ID", "TAG", "MEDIA",   "COMP",	"LOCAL", "REMOTE",
					  "PATH",    "WHY", "PACKETS", "BYTES", "ERRORS"};
	static const bool right[] = {[2] = true, [8] = true, [9] = true, [10] = true};
	int skip = with_call ? 0 : 1;
	struct table t = {.ncols = (int)ARRAY_SIZE(hdr) - skip};
	char m[24], p[24], b[24], e[24];
	size_t i;
	json_t *s;

	memcpy(t.hdr, hdr + skip, (size_t)t.ncols * sizeof(hdr[0]));
	memcpy(t.right, right + skip, (size_t)t.ncols * sizeof(right[0]));
	json_array_foreach(streams, i, s) {
		const char *remote = jget_str(s, "remote");
		char rbuf[EP_STRLEN + 4];

		/* "*" marks an endpoint from SDP that no packet has confirmed yet. */
		snprintf(rbuf, sizeof(rbuf), "%s%s", remote ? remote : "-",
			 remote && !json_is_true(json_object_get(s, "latched")) ? "*" : "");
		const char *row[] = {jcell(s, "call_id"),	 jcell(s, "tag"),
				     num(m, jint(s, "media")),	 jcell(s, "component"),
				     jcell(s, "local"),		 rbuf,
				     jcell(s, "path"),		 jcell(s, "path_reason"),
				     num(p, jint(s, "packets")), num(b, jint(s, "bytes")),
				     num(e, jint(s, "errors"))};

		table_add(&t, row + skip);
	}
	table_print(&t, with_call ? "" : "  ");
}

/* ---- commands ---- */

static int need_args(struct ctx *x, int argc, int want, const char *cmd)
{
	if (argc < want)
		return fail(x, EXIT_USAGE, "%s: missing CALL-ID (relayctl call help)", cmd);
	if (argc > want)
		return fail(x, EXIT_USAGE, "%s: unexpected argument (relayctl help)", cmd);
	return 0;
}

static int do_call_list(struct ctx *x, int argc, char **argv)
{
	struct table t = {
		.ncols = 8,
		.hdr = {"CALL-ID", "TAGS", "AGE", "MEDIA", "STREAMS", "KERNEL", "PACKETS",
			"ERRORS"},
		.right = {[2] = true, [3] = true, [4] = true, [5] = true, [6] = true, [7] = true}};
	json_t *calls, *call, *list = json_array();
	size_t i;
	int ret;

	if ((ret = need_args(x, argc, 0, "call list")) || (ret = all_calls(x, &calls))) {
		json_decref(list);
		return ret;
	}
	json_array_foreach(calls, i, call)
		json_array_append_new(list, call_summary(call));
	json_decref(calls);
	if (x->json)
		return print_json(x, list);
	json_array_foreach(list, i, call) {
		char tags[256] = "", a[24], me[24], st[24], k[24], p[24], e[24];
		size_t off = 0, j;
		json_t *tag;

		json_array_foreach(json_object_get(call, "tags"), j, tag) {
			const char *s = json_string_value(tag);

			if (off < sizeof(tags))
				off += (size_t)snprintf(tags + off, sizeof(tags) - off, "%s%s",
							j ? "," : "", s && *s ? s : "\"\"");
		}
		table_add(&t, (const char *[]){
				      jcell(call, "call_id"), tags,
				      age(a, sizeof(a), jint(call, "created")),
				      num(me, jint(call, "medias")), num(st, jint(call, "streams")),
				      num(k, jint(call, "kernel_streams")),
				      num(p, jint(call, "packets")), num(e, jint(call, "errors"))});
	}
	json_decref(list);
	table_print(&t, "");
	return 0;
}

/* "      transcoded: 0 PCMU -> 96 opus (decoded 50, encoded 50, concealed 0, late 0, errors
 * 0)" for a media whose RTP the relay transcodes. */
static void transcoding_line(json_t *t)
{
	json_t *f;
	size_t i;

	if (!t)
		return;
	printf("      transcoded:");
	json_array_foreach(json_object_get(t, "from"), i, f)
		printf("%s%s", i ? "," : " ", json_is_string(f) ? json_string_value(f) : "?");
	printf(" -> %s", jcell(t, "to"));
	if (jint(t, "ptime"))
		printf(" (%lld ms)", jint(t, "ptime"));
	printf(": decoded %lld, encoded %lld, concealed %lld, late %lld, errors %lld\n",
	       jint(t, "decoded"), jint(t, "encoded"), jint(t, "concealed"), jint(t, "late"),
	       jint(t, "errors"));
}

/* Call quality from RTCP, one row per SSRC. */
static void ssrc_table(json_t *list)
{
	static const char *const hdr[] = {"SSRC",      "MOS",	 "LOWEST", "HIGHEST", "RTT-MS",
					  "JITTER-MS", "LOSS-%", "LOST",   "SAMPLES"};
	struct table t = {.ncols = (int)ARRAY_SIZE(hdr)};
	char c[9][24];
	json_t *e;
	size_t i;

	if (!json_array_size(list))
		return;
	memcpy(t.hdr, hdr, sizeof(hdr));
	for (int k = 1; k < t.ncols; k++)
		t.right[k] = true;
	json_array_foreach(list, i, e) {
		snprintf(c[0], sizeof(c[0]), "%lld", jint(e, "ssrc"));
		snprintf(c[1], sizeof(c[1]), "%.1f", json_real_value(json_object_get(e, "mos")));
		snprintf(c[2], sizeof(c[2]), "%.1f",
			 json_real_value(json_object_get(e, "lowest_mos")));
		snprintf(c[3], sizeof(c[3]), "%.1f",
			 json_real_value(json_object_get(e, "highest_mos")));
		snprintf(c[4], sizeof(c[4]), "%.1f", jint(e, "rtt_us") / 1000.0);
		snprintf(c[5], sizeof(c[5]), "%lld", jint(e, "jitter_ms"));
		snprintf(c[6], sizeof(c[6]), "%lld", jint(e, "loss_pct"));
		snprintf(c[7], sizeof(c[7]), "%lld", jint(e, "cumulative_loss"));
		snprintf(c[8], sizeof(c[8]), "%lld", jint(e, "samples"));
		table_add(&t, (const char *const[]){c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
						    c[8]});
	}
	printf("  call quality (RTCP):\n");
	table_print(&t, "    ");
	table_free(&t);
}

static void print_call(json_t *call)
{
	json_t *streams = json_array(), *tot = json_object_get(call, "totals"), *ml, *m, *s;
	char a[24], b[24];
	size_t i, j;

	printf("call %s\n", jcell(call, "call_id"));
	printf("  created      %s ago\n", age(a, sizeof(a), jint(call, "created")));
	printf("  last signal  %s ago\n", age(b, sizeof(b), jint(call, "last_signal")));
	json_array_foreach(json_object_get(call, "monologues"), i, ml) {
		const char *tag = jget_str(ml, "tag"), *peer = jget_str(ml, "peer");

		printf("  tag %s%s%s%s\n", tag && *tag ? tag : "\"\" (not answered yet)",
		       peer ? " (in dialogue with " : "", peer ? (*peer ? peer : "\"\"") : "",
		       peer ? ")" : "");
		json_array_foreach(json_object_get(ml, "medias"), j, m) {
			json_t *f;
			size_t k;

			printf("    media %lld: %s %s", jint(m, "index"), jcell(m, "type"),
			       jcell(m, "protocol"));
			json_array_foreach(json_object_get(m, "flags"), k, f)
				printf("%s%s", k ? ", " : " (",
				       json_is_string(f) ? json_string_value(f) : "?");
			printf("%s\n", json_array_size(json_object_get(m, "flags")) ? ")" : "");
			transcoding_line(json_object_get(m, "transcoding"));
		}
	}
	for_each_stream(call, s, json_array_append(streams, s));
	streams_table(streams, false);
	json_decref(streams);
	printf("  totals: RTP %lld packets, %lld bytes, %lld errors; RTCP %lld packets, %lld "
	       "bytes, %lld errors\n",
	       jint(json_object_get(tot, "rtp"), "packets"),
	       jint(json_object_get(tot, "rtp"), "bytes"),
	       jint(json_object_get(tot, "rtp"), "errors"),
	       jint(json_object_get(tot, "rtcp"), "packets"),
	       jint(json_object_get(tot, "rtcp"), "bytes"),
	       jint(json_object_get(tot, "rtcp"), "errors"));
	ssrc_table(json_object_get(call, "ssrc"));
}

static int do_call_show(struct ctx *x, int argc, char **argv)
{
	json_t *q, *call;
	int ret;

	if ((ret = need_args(x, argc, 1, "call show")))
		return ret;
	ret = query_call(x, argv[0], &q);
	if (ret == -1)
		return daemon_error(x, q, "call show", argv[0]);
	if (ret)
		return ret;
	call = call_obj(argv[0], q);
	json_decref(q);
	if (x->json)
		return print_json(x, call);
	print_call(call);
	json_decref(call);
	return 0;
}

static int do_call_delete(struct ctx *x, int argc, char **argv)
{
	struct bnode *req = bn_dict(x->a);
	json_t *reply, *call;
	int ret;

	if ((ret = need_args(x, argc, 1, "call delete")))
		return ret;
	bn_dict_add_str(x->a, req, "command", "delete");
	bn_dict_add_str(x->a, req, "call-id", argv[0]);
	bn_dict_add_int(x->a, req, "delete-delay", 0);
	ret = request(x, req, &reply);
	if (ret == -1)
		return daemon_error(x, reply, "call delete", argv[0]);
	if (ret)
		return ret;
	call = call_obj(argv[0], reply);
	json_decref(reply);
	if (x->json)
		return print_json(x, call);
	printf("call %s deleted: %lld RTP and %lld RTCP packets relayed\n", argv[0],
	       jint(json_object_get(json_object_get(call, "totals"), "rtp"), "packets"),
	       jint(json_object_get(json_object_get(call, "totals"), "rtcp"), "packets"));
	json_decref(call);
	return 0;
}

static int do_stream_list(struct ctx *x, int argc, char **argv)
{
	json_t *calls, *call, *streams = json_array(), *s;
	size_t i;
	int ret;

	if ((ret = need_args(x, argc, 0, "stream list")) || (ret = all_calls(x, &calls))) {
		json_decref(streams);
		return ret;
	}
	json_array_foreach(calls, i, call)
		for_each_stream(call, s, json_array_append(streams, s));
	json_decref(calls);
	if (x->json)
		return print_json(x, streams);
	streams_table(streams, true);
	json_decref(streams);
	return 0;
}

static int do_iface_list(struct ctx *x, int argc, char **argv)
{
	struct table t = {.ncols = 4, .hdr = {"NAME", "ADDRESS", "ADVERTISED", "XDP"}};
	json_t *st, *ifs, *out = json_array(), *ifc;
	size_t i;
	int ret;

	if ((ret = need_args(x, argc, 0, "iface list")) || (ret = fetch_stats(x, &st))) {
		json_decref(out);
		return ret;
	}
	ifs = json_object_get(st, "interfaces");
	if (!json_is_array(ifs)) {
		json_decref(out);
		return fail(x, EXIT_DAEMON,
			    "iface list: the daemon does not report its interfaces "
			    "(not xrelayd?)");
	}
	json_array_foreach(ifs, i, ifc) {
		json_array_append_new(
			out, json_pack("{s:s?,s:s?,s:s?,s:s?}", "name", jget_str(ifc, "name"),
				       "address", jget_str(ifc, "address"), "advertised",
				       jget_str(ifc, "advertised"), "xdp", jget_str(ifc, "xdp")));
		table_add(&t, (const char *[]){jcell(ifc, "name"), jcell(ifc, "address"),
					       jcell(ifc, "advertised"), jcell(ifc, "xdp")});
	}
	if (x->json) {
		table_free(&t);
		return print_json(x, out);
	}
	json_decref(out);
	table_print(&t, "");
	return 0;
}

/* rtpengine's statistics keys, kept as they are (docs/ng-protocol.md); numbers sent as
 * strings (uptime, avgcallduration) become numbers. */
static json_t *figures(json_t *src)
{
	json_t *o = json_object(), *v;
	const char *key;

	json_object_foreach(src, key, v) {
		if (json_is_string(v)) {
			char *end;
			double d = strtod(json_string_value(v), &end);

			if (*end || end == json_string_value(v))
				json_object_set(o, key, v);
			else if (d == (double)(long long)d && !strchr(json_string_value(v), '.'))
				json_object_set_new(o, key, json_integer((json_int_t)d));
			else
				json_object_set_new(o, key, json_real(d));
		} else if (json_is_integer(v)) {
			json_object_set(o, key, v);
		}
	}
	return o;
}

static void print_figures(const char *title, json_t *o)
{
	struct table t = {.ncols = 2, .hdr = {title, ""}, .right = {[1] = true}};
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		char buf[48];

		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		else
			snprintf(buf, sizeof(buf), "%s",
				 json_is_string(v) ? json_string_value(v) : "?");
		table_add(&t, (const char *[]){key, buf});
	}
	table_print(&t, "");
}

static int do_stats_show(struct ctx *x, int argc, char **argv)
{
	json_t *st, *out;
	int ret;

	if ((ret = need_args(x, argc, 0, "stats show")) || (ret = fetch_stats(x, &st)))
		return ret;
	out = json_pack("{s:o,s:o}", "current", figures(json_object_get(st, "currentstatistics")),
			"total", figures(json_object_get(st, "totalstatistics")));
	if (x->json)
		return print_json(x, out);
	print_figures("CURRENT", json_object_get(out, "current"));
	putchar('\n');
	print_figures("TOTAL", json_object_get(out, "total"));
	json_decref(out);
	return 0;
}

/* The counter groups of the XDP program, from the X-macro lists of the shared ABI. */
#define NAME_OF(id, str) str,
static const char *const verdict_names[] = {XR_VERDICTS(NAME_OF)};
static const char *const punt_names[] = {XR_PUNT_REASONS(NAME_OF)};
static const char *const drop_names[] = {XR_DROP_REASONS(NAME_OF)};
#undef NAME_OF

static json_t *counter_group(json_t *ctr, const char *const *names, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, names[i], json_integer(jint(ctr, names[i])));
	return o;
}

static int do_kernel_show(struct ctx *x, int argc, char **argv)
{
	json_t *st, *k, *ctr, *ifs = json_array(), *ifc, *out, *g;
	const char *groups[] = {"verdicts", "punt_reasons", "drop_reasons"};
	const char *titles[] = {"VERDICT", "PUNT REASON", "DROP REASON"};
	long long entries, max;
	size_t i;
	int ret;

	if ((ret = need_args(x, argc, 0, "kernel show")) || (ret = fetch_stats(x, &st))) {
		json_decref(ifs);
		return ret;
	}
	k = json_object_get(st, "kernel");
	if (!json_is_object(k)) {
		json_decref(ifs);
		return fail(x, EXIT_DAEMON,
			    "kernel show: the daemon reports no kernel statistics "
			    "(not xrelayd?)");
	}
	ctr = json_object_get(k, "counters");
	json_array_foreach(json_object_get(k, "interfaces"), i, ifc)
		json_array_append_new(ifs, json_pack("{s:s?,s:s?}", "name", jget_str(ifc, "name"),
						     "xdp", jget_str(ifc, "xdp")));
	entries = jint(k, "entries");
	max = jint(k, "max entries");
	out = json_pack("{s:s?,s:o,s:I,s:I,s:o,s:o,s:o}", "xdp", jget_str(k, "xdp"), "interfaces",
			ifs, "entries", (json_int_t)entries, "max_entries", (json_int_t)max,
			"verdicts", counter_group(ctr, verdict_names, ARRAY_SIZE(verdict_names)),
			"punt_reasons", counter_group(ctr, punt_names, ARRAY_SIZE(punt_names)),
			"drop_reasons", counter_group(ctr, drop_names, ARRAY_SIZE(drop_names)));
	if (x->json)
		return print_json(x, out);
	printf("xdp         %s\n", jcell(out, "xdp"));
	printf("interfaces ");
	json_array_foreach(ifs, i, ifc)
		printf(" %s (%s)", jcell(ifc, "name"), jcell(ifc, "xdp"));
	printf("%s\n", json_array_size(ifs) ? "" : " none");
	if (max > 0)
		printf("entries     %lld of %lld (%.1f %%)\n\n", entries, max,
		       100.0 * (double)entries / (double)max);
	else
		printf("entries     %lld\n\n", entries);
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		struct table t = {.ncols = 2, .hdr = {titles[i], "PACKETS"}, .right = {[1] = true}};
		const char *name;
		json_t *v;
		char buf[24];

		g = json_object_get(out, groups[i]);
		json_object_foreach(g, name, v)
			table_add(&t, (const char *[]){name, num(buf, json_integer_value(v))});
		table_print(&t, "");
		if (i + 1 < ARRAY_SIZE(groups))
			putchar('\n');
	}
	json_decref(out);
	return 0;
}

/* ---- grammar ---- */

struct command {
	const char *name;
	int (*fn)(struct ctx *x, int argc, char **argv);
	const char *help; /* "call show CALL-ID ..." line(s) */
};

struct object {
	const char *name;
	const struct command *cmds;
	int n;
};

static const struct command call_cmds[] = {
	{"list", do_call_list, "relayctl call list"},
	{"show", do_call_show, "relayctl call show CALL-ID"},
	{"delete", do_call_delete, "relayctl call delete CALL-ID"},
};
static const struct command stream_cmds[] = {{"list", do_stream_list, "relayctl stream list"}};
static const struct command iface_cmds[] = {{"list", do_iface_list, "relayctl iface list"}};
static const struct command stats_cmds[] = {{"show", do_stats_show, "relayctl stats show"}};
static const struct command kernel_cmds[] = {{"show", do_kernel_show, "relayctl kernel show"}};

static const struct object objects[] = {
	{"call", call_cmds, ARRAY_SIZE(call_cmds)},
	{"stream", stream_cmds, ARRAY_SIZE(stream_cmds)},
	{"iface", iface_cmds, ARRAY_SIZE(iface_cmds)},
	{"stats", stats_cmds, ARRAY_SIZE(stats_cmds)},
	{"kernel", kernel_cmds, ARRAY_SIZE(kernel_cmds)},
	{"help", NULL, 0},
};

static void object_help(const struct object *o)
{
	printf("Usage:\n");
	for (int i = 0; i < o->n; i++)
		printf("  %s\n", o->cmds[i].help);
	printf("  relayctl %s help\n", o->name);
}

/* Picks the object and the command, runs it. */
static int dispatch(struct ctx *x, int argc, char **argv)
{
	const char *onames[ARRAY_SIZE(objects)], *cnames[8];
	const struct object *o;
	char list[128];
	int oi, ci;

	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		onames[i] = objects[i].name;
	join(list, sizeof(list), onames, ARRAY_SIZE(objects));
	if (argc < 1)
		return fail(x, EXIT_USAGE, "missing OBJECT (%s; relayctl help)", list);
	oi = match(argv[0], onames, ARRAY_SIZE(objects));
	if (oi == -2)
		return fail(x, EXIT_USAGE, "ambiguous object '%s' (%s)", argv[0], list);
	if (oi < 0)
		return fail(x, EXIT_USAGE, "unknown object '%s' (%s)", argv[0], list);
	o = &objects[oi];
	if (!o->cmds) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (int i = 0; i < o->n; i++)
		cnames[i] = o->cmds[i].name;
	cnames[o->n] = "help";
	join(list, sizeof(list), cnames, o->n + 1);
	if (argc < 2)
		return o->cmds[0].fn(x, 0, argv + 2);
	ci = match(argv[1], cnames, o->n + 1);
	if (ci == -2)
		return fail(x, EXIT_USAGE, "%s: ambiguous command '%s' (%s)", o->name, argv[1],
			    list);
	if (ci < 0)
		return fail(x, EXIT_USAGE, "%s: unknown command '%s' (%s)", o->name, argv[1], list);
	if (ci == o->n) {
		object_help(o);
		return 0;
	}
	return o->cmds[ci].fn(x, argc - 2, argv + 2);
}

/* -s: a path (anything with a '/', or that is not [IP:]PORT) is the unix control socket. */
static int set_server(struct ctx *x, const char *s)
{
	struct endpoint ep;

	x->socket = s;
	if (!strncmp(s, "unix:", 5))
		snprintf(x->server, sizeof(x->server), "%s", s);
	else if (!strchr(s, '/') && !ep_parse(&ep, s, "127.0.0.1") && ep_port(&ep))
		snprintf(x->server, sizeof(x->server), "%s", s);
	else if (strlen(s) + 5 < sizeof(x->server))
		snprintf(x->server, sizeof(x->server), "unix:%s", s);
	else
		return fail(x, EXIT_USAGE, "-s: '%.60s...' is too long for a socket path", s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'},
		{"pretty", no_argument, NULL, 'p'},
		{"socket", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctx x = {0};
	const char *server = CONFIG_DEFAULT_CONTROL_SOCKET;
	long timeout = 3000;
	char *end;
	int opt, ret;

	/* -j before OBJECT must also shape the errors of the options that precede it. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			x.json = true;
		if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			x.json = x.pretty = true;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:jps:t:hV", lo, NULL)) != -1) {
		switch (opt) {
		case 'j':
			x.json = true;
			break;
		case 'p':
			x.json = x.pretty = true;
			break;
		case 's':
			server = optarg;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end || timeout <= 0 || timeout > 600000)
				return fail(&x, EXIT_USAGE,
					    "-t: '%s' is not a number of milliseconds (1-600000)",
					    optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("relayctl %s\n", XRELAY_VERSION);
			return 0;
		case ':':
			return fail(&x, EXIT_USAGE, "option '%s' needs a value (relayctl --help)",
				    argv[optind - 1]);
		default:
			return fail(&x, EXIT_USAGE, "unknown option '%s' (relayctl --help)",
				    argv[optind - 1]);
		}
	}
	x.timeout_ms = (unsigned int)timeout;
	if ((ret = set_server(&x, server)))
		return ret;
	x.a = barena_new();
	if (!x.a)
		return fail(&x, EXIT_DAEMON, "out of memory");
	ret = dispatch(&x, argc - optind, argv + optind);
	if (x.open) {
		ng_client_close(&x.c);
		(void)timeout;
	}
	json_decref(x.stats);
	barena_free(x.a);
	return ret;
}
