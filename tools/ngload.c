// SPDX-License-Identifier: GPL-2.0-only
/* ngload: ng control-protocol load generator (offer+answer+delete cycles per second), and the
 * helper that sets up or deletes one relayed call for traffic tests (--setup, --delete). */
#include "addr.h"
#include "bencode.h"
#include "ng_client.h"
#include "sdp.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONCURRENCY 256
#define MAX_CALLS	10000000
#define ERR_LEN		160
#define NSEC		1000000000ULL

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

enum mode { M_LOAD, M_SETUP, M_DELETE, M_PING };

struct opts {
	enum mode mode;
	bool json;
	const char *server;
	unsigned long calls, concurrency;
	unsigned int timeout_ms, retries;
	struct endpoint caller, callee;
	const char *call_id;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage:\n"
		"  ngload [-j] --server IP:PORT --calls N [--concurrency C]\n"
		"         Run N offer+answer+delete cycles (C at a time); print cycles/s.\n"
		"  ngload [-j] --server IP:PORT --setup --caller IP:PORT --callee IP:PORT\n"
		"         [--call-id ID]\n"
		"         Offer and answer one audio call; print the relay endpoints:\n"
		"         relay_a (where the caller sends) and relay_b (where the callee sends).\n"
		"  ngload [-j] --server IP:PORT --delete --call-id ID\n"
		"         Delete a call.\n"
		"Options:\n"
		"  --timeout MS    per request attempt (default 1000); --retries N (default 2)\n"
		"  -j, --json      one JSON object instead of text\n"
		"A bare PORT means 127.0.0.1:PORT.\n");
}

#define arg_error(...) cli_error("ngload", __VA_ARGS__)

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	O_SERVER = 1,
	O_CALLS,
	O_CONC,
	O_TIMEOUT,
	O_RETRIES,
	O_SETUP,
	O_DELETE,
	O_CALLER,
	O_CALLEE,
	O_CALL_ID,
	O_PING,
	O_JSON,
	O_HELP
};

static const struct option long_opts[] = {
	{"server", required_argument, NULL, O_SERVER},
	{"calls", required_argument, NULL, O_CALLS},
	{"concurrency", required_argument, NULL, O_CONC},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"retries", required_argument, NULL, O_RETRIES},
	{"setup", no_argument, NULL, O_SETUP},
	{"delete", no_argument, NULL, O_DELETE},
	{"caller", required_argument, NULL, O_CALLER},
	{"callee", required_argument, NULL, O_CALLEE},
	{"call-id", required_argument, NULL, O_CALL_ID},
	{"ping", no_argument, NULL, O_PING},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

/* Returns 0 to run, 1 when --help was printed, 2 on a bad command line (message printed). */
static int parse_args(struct opts *o, int argc, char **argv)
{
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->concurrency = 1;
	o->timeout_ms = 1000;
	o->retries = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", long_opts, NULL)) != -1) {
		switch (c) {
		case O_SERVER: {
			struct endpoint ep;

			if (ep_parse(&ep, optarg, "127.0.0.1") || !ep_port(&ep))
				return arg_error("--server: '%s' is not IP:PORT", optarg);
			o->server = optarg;
			break;
		}
		case O_CALLS:
			if (parse_ulong(optarg, 1, MAX_CALLS, &o->calls))
				return arg_error("--calls: '%s' is not 1..%d", optarg, MAX_CALLS);
			break;
		case O_CONC:
			if (parse_ulong(optarg, 1, MAX_CONCURRENCY, &o->concurrency))
				return arg_error("--concurrency: '%s' is not 1..%d", optarg,
						 MAX_CONCURRENCY);
			break;
		case O_TIMEOUT:
			if (parse_ulong(optarg, 1, 60000, &v))
				return arg_error("--timeout: '%s' is not 1..60000 ms", optarg);
			o->timeout_ms = (unsigned int)v;
			break;
		case O_RETRIES:
			if (parse_ulong(optarg, 0, 100, &v))
				return arg_error("--retries: '%s' is not 0..100", optarg);
			o->retries = (unsigned int)v;
			break;
		case O_SETUP:
		case O_DELETE:
		case O_PING:
			if (o->mode != M_LOAD)
				return arg_error("--setup, --delete and --ping exclude each other");
			o->mode = c == O_SETUP ? M_SETUP : c == O_DELETE ? M_DELETE : M_PING;
			break;
		case O_CALLER:
		case O_CALLEE: {
			struct endpoint *ep = c == O_CALLER ? &o->caller : &o->callee;

			if (ep_parse(ep, optarg, "127.0.0.1") || !ep_port(ep))
				return arg_error("--%s: '%s' is not IP:PORT",
						 c == O_CALLER ? "caller" : "callee", optarg);
			break;
		}
		case O_CALL_ID:
			if (!*optarg || strlen(optarg) > 200)
				return arg_error("--call-id: must be 1..200 characters");
			o->call_id = optarg;
			break;
		case 'j':
		case O_JSON:
			o->json = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 1;
		case ':':
			return arg_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return arg_error("unknown option '%s' (ngload --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return arg_error("unexpected argument '%s'", argv[optind]);
	if (!o->server)
		return arg_error("--server is required");
	switch (o->mode) {
	case M_LOAD:
		if (!o->calls)
			return arg_error("--calls is required (or --setup, --delete)");
		if (ep_is_set(&o->caller) || ep_is_set(&o->callee) || o->call_id)
			return arg_error(
				"--caller, --callee and --call-id go with --setup/--delete");
		break;
	case M_SETUP:
		if (!ep_is_set(&o->caller) || !ep_is_set(&o->callee))
			return arg_error("--setup needs --caller and --callee");
		if (o->calls)
			return arg_error("--calls does not go with --setup");
		break;
	case M_DELETE:
		if (!o->call_id)
			return arg_error("--delete needs --call-id");
		if (o->calls || ep_is_set(&o->caller) || ep_is_set(&o->callee))
			return arg_error("--delete takes only --call-id");
		break;
	case M_PING:
		if (o->calls || ep_is_set(&o->caller) || ep_is_set(&o->callee) || o->call_id)
			return arg_error("--ping takes no other option");
		break;
	}
	return 0;
}

/* ---- ng requests ---- */

static void sdp_make(char *buf, size_t len, const struct endpoint *ep, unsigned long sess)
{
	char ip[EP_STRLEN];
	const char *fam = ep_family(ep) == AF_INET6 ? "IP6" : "IP4";

	ep_ip_str(ep, ip, sizeof(ip));
	snprintf(buf, len,
		 "v=0\r\n"
		 "o=- %lu 1 IN %s %s\r\n"
		 "s=ngload\r\n"
		 "c=IN %s %s\r\n"
		 "t=0 0\r\n"
		 "m=audio %u RTP/AVP 0 8 101\r\n"
		 "a=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n"
		 "a=sendrecv\r\n",
		 sess, fam, ip, fam, ip, ep_port(ep));
}

/* The address and port of the first m= line (its c=, else the session's). -EINVAL if none. */
static int sdp_media_endpoint(const char *text, size_t len, struct endpoint *out)
{
	const struct sdp_conn *conn;
	const char *err;
	struct sdp s;
	int ret = -EINVAL;

	if (sdp_parse(&s, text, len, &err))
		return -EINVAL;
	if (s.n_media && s.media[0].port && (conn = sdp_media_conn(&s, &s.media[0]))) {
		*out = conn->addr;
		ep_set_port(out, s.media[0].port);
		ret = 0;
	}
	sdp_free(&s);
	return ret;
}

/* Sends one request; on success *reply is the parsed dict with result "ok". On failure writes
 * the reason into err and returns -errno (-EPROTO for an error reply). */
static int ng_do(struct ng_client *c, struct barena *a, struct bnode *req, struct bnode **reply,
		 char *err, size_t errlen)
{
	const char *cmd = bn_dict_get_str(req, "command"), *result, *reason;
	int rc;

	rc = ng_client_call(c, a, req, reply);
	if (rc) {
		snprintf(err, errlen, "%s: %s", cmd,
			 rc == -ETIMEDOUT ? "no reply"
			 : rc == -EPROTO  ? "reply does not parse"
					  : strerror(-rc));
		return rc;
	}
	result = bn_dict_get_str(*reply, "result");
	if (!result || strcmp(result, "ok")) {
		reason = bn_dict_get_str(*reply, "error-reason");
		snprintf(err, errlen, "%s: result %s%s%s", cmd, result ? result : "(none)",
			 reason ? ": " : "", reason ? reason : "");
		return -EPROTO;
	}
	return 0;
}

static struct bnode *req_new(struct barena *a, const char *cmd, const char *call_id)
{
	struct bnode *d = bn_dict(a);

	if (!d)
		return NULL;
	bn_dict_add_str(a, d, "command", cmd);
	bn_dict_add_str(a, d, "call-id", call_id);
	return d;
}

/* Offer from caller, answer from callee; fills the relay endpoints each side sends to. */
/* One offer or answer from ep (to-tag NULL for the offer); the relay's endpoint from the SDP of
 * the reply into *relay. */
static int sdp_step(struct ng_client *c, struct barena *a, const char *cmd, const char *call_id,
		    const char *to_tag, const struct endpoint *ep, unsigned long sess,
		    struct endpoint *relay, char *err, size_t errlen)
{
	struct bnode *req, *reply;
	const struct bnode *sdp;
	char text[1024];
	int rc;

	sdp_make(text, sizeof(text), ep, sess);
	req = req_new(a, cmd, call_id);
	if (!req)
		return -ENOMEM;
	bn_dict_add_str(a, req, "from-tag", "caller");
	if (to_tag)
		bn_dict_add_str(a, req, "to-tag", to_tag);
	bn_dict_add_str(a, req, "sdp", text);
	if (!bn_dict_get(req, "sdp"))
		return -ENOMEM;
	rc = ng_do(c, a, req, &reply, err, errlen);
	if (rc)
		return rc;
	sdp = bn_dict_get(reply, "sdp");
	if (!sdp || sdp->type != BN_STR || sdp_media_endpoint(sdp->str.s, sdp->str.len, relay)) {
		snprintf(err, errlen, "%s: reply has no usable sdp", cmd);
		return -EPROTO;
	}
	return 0;
}

static int call_setup(struct ng_client *c, struct barena *a, const char *call_id,
		      const struct endpoint *caller, const struct endpoint *callee,
		      unsigned long sess, struct endpoint *relay_a, struct endpoint *relay_b,
		      char *err, size_t errlen)
{
	int rc = sdp_step(c, a, "offer", call_id, NULL, caller, sess, relay_b, err, errlen);

	return rc ? rc
		  : sdp_step(c, a, "answer", call_id, "callee", callee, sess + 1, relay_a, err,
			     errlen);
}

static int call_delete(struct ng_client *c, struct barena *a, const char *call_id, char *err,
		       size_t errlen)
{
	struct bnode *req = req_new(a, "delete", call_id), *reply;

	if (!req || !bn_dict_get(req, "call-id"))
		return -ENOMEM;
	return ng_do(c, a, req, &reply, err, errlen);
}

static int client_open(struct ng_client *c, const struct opts *o)
{
	int rc = ng_client_open(c, o->server);

	if (rc) {
		fprintf(stderr, "ngload: can't use server '%s': %s\n", o->server, strerror(-rc));
		return rc;
	}
	c->timeout_ms = o->timeout_ms;
	c->retries = o->retries;
	return 0;
}

/* Prints s as a JSON string; error texts come from the server, so escape what needs it. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* ---- load ---- */

struct load {
	const struct opts *o;
	atomic_ulong next; /* index of the next cycle to run */
	atomic_ulong done, errors;
	uint64_t *cycle_ns; /* per cycle, 0 when it failed */
	pthread_mutex_t err_lock;
	char first_err[ERR_LEN];
};

static void load_fail(struct load *l, const char *err)
{
	atomic_fetch_add(&l->errors, 1);
	pthread_mutex_lock(&l->err_lock);
	if (!l->first_err[0])
		snprintf(l->first_err, sizeof(l->first_err), "%s", err);
	pthread_mutex_unlock(&l->err_lock);
}

static void *load_worker(void *arg)
{
	struct load *l = arg;
	struct ng_client c;
	unsigned long i;

	if (client_open(&c, l->o)) {
		load_fail(l, "can't open a client socket");
		return NULL;
	}
	while (!stop_flag && (i = atomic_fetch_add(&l->next, 1)) < l->o->calls) {
		struct endpoint caller, callee, ra, rb;
		struct barena *a = barena_new();
		char call_id[64], err[ERR_LEN];
		uint64_t t0 = now_ns();
		int rc;

		if (!a) {
			load_fail(l, "out of memory");
			break;
		}
		/* Distinct, never-used media ports for each call's two endpoints. */
		ep_parse(&caller, "127.0.0.1", NULL);
		callee = caller;
		ep_set_port(&caller, (uint16_t)(10000 + (2 * i) % 50000));
		ep_set_port(&callee, (uint16_t)(10000 + (2 * i + 1) % 50000));
		snprintf(call_id, sizeof(call_id), "ngload-%ld-%lu", (long)getpid(), i);
		rc = call_setup(&c, a, call_id, &caller, &callee, 1000 + i, &ra, &rb, err,
				sizeof(err));
		if (!rc) {
			rc = call_delete(&c, a, call_id, err, sizeof(err));
		} else {
			char ignored[ERR_LEN];

			call_delete(&c, a, call_id, ignored, sizeof(ignored)); /* best effort */
		}
		if (rc) {
			load_fail(l, err);
		} else {
			l->cycle_ns[i] = now_ns() - t0;
			atomic_fetch_add(&l->done, 1);
		}
		barena_free(a);
	}
	ng_client_close(&c);
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static double pct_ms(const uint64_t *sorted, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)((double)n * p / 100.0);
	if (i >= n)
		i = n - 1;
	return (double)sorted[i] / 1e6;
}

static int run_load(const struct opts *o)
{
	unsigned long nthreads = o->concurrency < o->calls ? o->concurrency : o->calls, done;
	pthread_t th[MAX_CONCURRENCY];
	unsigned long started = 0;
	struct load l = {.o = o};
	uint64_t t0, elapsed;
	size_t n = 0;
	double secs;

	l.cycle_ns = calloc(o->calls, sizeof(*l.cycle_ns));
	if (!l.cycle_ns) {
		fprintf(stderr, "ngload: out of memory\n");
		return 1;
	}
	pthread_mutex_init(&l.err_lock, NULL);
	t0 = now_ns();
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, load_worker, &l))
			break;
	for (unsigned long i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	elapsed = now_ns() - t0;
	if (!started)
		load_fail(&l, "can't start threads");

	for (unsigned long i = 0; i < o->calls; i++)
		if (l.cycle_ns[i])
			l.cycle_ns[n++] = l.cycle_ns[i];
	qsort(l.cycle_ns, n, sizeof(*l.cycle_ns), cmp_u64);
	done = atomic_load(&l.done);
	secs = (double)elapsed / 1e9;
	if (o->json) {
		printf("{\"server\":\"%s\",\"calls\":%lu,\"concurrency\":%lu,\"completed\":%lu,"
		       "\"errors\":%lu,\"duration_s\":%.3f,\"cycles_per_s\":%.1f,"
		       "\"cycle_p50_ms\":%.3f,\"cycle_p99_ms\":%.3f",
		       o->server, o->calls, started, done, atomic_load(&l.errors), secs,
		       secs > 0 ? (double)done / secs : 0, pct_ms(l.cycle_ns, n, 50),
		       pct_ms(l.cycle_ns, n, 99));
		if (l.first_err[0]) {
			printf(",\"first_error\":");
			json_str(l.first_err);
		}
		printf("}\n");
	} else {
		printf("ngload %s: %lu offer+answer+delete cycles in %.2f s (concurrency %lu): "
		       "%.1f cycles/s, %lu errors; cycle p50 %.2f ms, p99 %.2f ms\n",
		       o->server, done, secs, started, secs > 0 ? (double)done / secs : 0,
		       atomic_load(&l.errors), pct_ms(l.cycle_ns, n, 50),
		       pct_ms(l.cycle_ns, n, 99));
		if (l.first_err[0])
			printf("ngload: first error: %s\n", l.first_err);
	}
	pthread_mutex_destroy(&l.err_lock);
	free(l.cycle_ns);
	return atomic_load(&l.errors) || done < o->calls ? 1 : 0;
}

/* ---- setup / delete ---- */

static int run_setup(const struct opts *o)
{
	char err[ERR_LEN], call_id[256], a_str[EP_STRLEN], b_str[EP_STRLEN];
	struct endpoint ra, rb;
	struct ng_client c;
	struct barena *a;
	int rc;

	if (client_open(&c, o))
		return 1;
	a = barena_new();
	if (!a) {
		ng_client_close(&c);
		return 1;
	}
	if (o->call_id)
		snprintf(call_id, sizeof(call_id), "%s", o->call_id);
	else
		snprintf(call_id, sizeof(call_id), "ngload-setup-%ld-%lu", (long)getpid(),
			 (unsigned long)(now_ns() / 1000));
	rc = call_setup(&c, a, call_id, &o->caller, &o->callee, (unsigned long)time(NULL), &ra, &rb,
			err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ngload: %s\n", err);
	} else {
		ep_str(&ra, a_str, sizeof(a_str));
		ep_str(&rb, b_str, sizeof(b_str));
		if (o->json) {
			printf("{\"call_id\":");
			json_str(call_id);
			printf(",\"relay_a\":\"%s\",\"relay_b\":\"%s\"}\n", a_str, b_str);
		} else {
			printf("call_id=%s relay_a=%s relay_b=%s\n", call_id, a_str, b_str);
		}
	}
	barena_free(a);
	ng_client_close(&c);
	return rc ? 1 : 0;
}

static int run_delete(const struct opts *o)
{
	struct ng_client c;
	char err[ERR_LEN];
	struct barena *a;
	int rc;

	if (client_open(&c, o))
		return 1;
	a = barena_new();
	if (!a) {
		ng_client_close(&c);
		return 1;
	}
	rc = call_delete(&c, a, o->call_id, err, sizeof(err));
	if (rc)
		fprintf(stderr, "ngload: %s\n", err);
	else if (o->json)
		printf("{\"deleted\":true}\n");
	barena_free(a);
	ng_client_close(&c);
	return rc ? 1 : 0;
}

static int run_ping(const struct opts *o)
{
	struct bnode *req, *reply = NULL;
	struct ng_client c;
	struct barena *a;
	int rc = -ENOMEM;

	if (client_open(&c, o))
		return 1;
	a = barena_new();
	req = a ? bn_dict(a) : NULL;
	if (req && bn_dict_add_str(a, req, "command", "ping"))
		rc = ng_client_call(&c, a, req, &reply);
	if (!rc && !bn_str_eq(bn_dict_get(reply, "result"), "pong"))
		rc = -EPROTO;
	if (rc)
		fprintf(stderr, "ngload: ping %s: %s\n", o->server,
			rc == -ETIMEDOUT ? "no reply"
			: rc == -EPROTO	 ? "no pong"
					 : strerror(-rc));
	else if (o->json)
		printf("{\"result\":\"pong\"}\n");
	else
		printf("pong\n");
	barena_free(a);
	ng_client_close(&c);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct opts o;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	switch (o.mode) {
	case M_LOAD:
		return run_load(&o);
	case M_SETUP:
		return run_setup(&o);
	case M_DELETE:
		return run_delete(&o);
	case M_PING:
		return run_ping(&o);
	}
	return 2;
}
