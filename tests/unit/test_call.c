// SPDX-License-Identifier: GPL-2.0-only
/* The call state machine through call_offer/answer/delete and calls_tick with one real media
 * worker: output SDP text, the call/monologue/media model, the worker's stream configuration,
 * ports taken and given back, timeouts, rtcp-mux outcomes and o= version handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "ports.h"
#include "worker.h"

/* Below the ephemeral range and apart from test_ports' range. */
#define PMIN	  21200
#define PMAX	  21299
#define LOCAL	  "127.0.0.1"
#define RELAY	  "203.0.113.5" /* advertised: what the SDP must say */
#define CALLER_IP "192.0.2.10"
#define CALLEE_IP "198.51.100.20"

#define AUDIO(port) "m=audio " #port " RTP/AVP 0 8\r\n"
#define MUX	    "a=rtcp-mux\r\n"

static struct config cfg;
static int fds_before;
static struct worker *the_worker;
static struct stream marker; /* never polled: only carries the barrier's updates */
static unsigned int marker_seq;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct endpoint ep(const char *s)
{
	struct endpoint e = {0};

	if (*s && ep_parse(&e, s, NULL))
		fail_msg("bad test address %s", s);
	return e;
}

static void start(void)
{
	fds_before = count_fds();
	assert_int_equal(workers_start(1), 0);
	the_worker = worker_pick();
	memset(&marker, 0, sizeof(marker));
	marker.fd = -1;
	marker.worker = the_worker;
	assert_int_equal(calls_init(&cfg), 0);
}

static void default_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_ifaces = 1;
	snprintf(cfg.ifaces[0].name, sizeof(cfg.ifaces[0].name), "default");
	cfg.ifaces[0].local = ep(LOCAL);
	cfg.ifaces[0].advertised = ep(RELAY);
	cfg.port_min = PMIN;
	cfg.port_max = PMAX;
	cfg.timeout = 60;
	cfg.silent_timeout = 3600;
	cfg.final_timeout = 0;
	cfg.delete_delay = 30;
	cfg.port_quarantine = 0;
	cfg.num_threads = 1;
}

static int setup(void **state)
{
	default_cfg();
	start();
	return 0;
}

/* Room for three pairs only. */
static int setup_small(void **state)
{
	default_cfg();
	cfg.port_max = PMIN + 5;
	start();
	return 0;
}

static int teardown(void **state)
{
	calls_shutdown();
	/* Every pair came back and every socket, epoll and eventfd was closed. */
	assert_int_equal(calls_ports()->used, 0);
	assert_int_equal(calls_count(), 0);
	assert_int_equal(count_fds(), fds_before);
	return 0;
}

/* Messages are handled in order: once the marker's update shows, every earlier one has been. */
static void sync_worker(void)
{
	struct stream_cfg sc = {.flags = ++marker_seq};

	assert_int_equal(worker_stream_update(&marker, &sc), 0);
	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(&marker.cfg.flags, __ATOMIC_ACQUIRE) == marker_seq)
			return;
		usleep(1000);
	}
	fail_msg("the worker did not handle its queue");
}

/* The worker has handled everything posted so far and what it removed is reaped. */
static void settle(void)
{
	sync_worker();
	calls_tick(time(NULL));
}

/* ---- requests ---- */

static const char *sdp_text(char *buf, size_t len, const char *user, unsigned long long version,
			    const char *ip, const char *media)
{
	snprintf(buf, len,
		 "v=0\r\n"
		 "o=%s 1111 %llu IN IP4 %s\r\n"
		 "s=-\r\n"
		 "c=IN IP4 %s\r\n"
		 "t=0 0\r\n"
		 "%s",
		 user, version, ip, ip, media);
	return buf;
}

static struct call_opts req(const char *call_id, const char *from, const char *to, const char *sdp)
{
	return (struct call_opts){
		.call_id = call_id,
		.from_tag = from,
		.to_tag = to,
		.sdp = sdp,
		.sdp_len = sdp ? strlen(sdp) : 0,
		.learn = -1,
		.delete_delay = -1,
	};
}

static char *offer_ok(const struct call_opts *o)
{
	const char *err = NULL, *warning = NULL;
	char *out = call_offer(o, &err, &warning);

	if (!out)
		fail_msg("offer %s/%s failed: %s", o->call_id, o->from_tag, err ? err : "?");
	return out;
}

static char *answer_ok(const struct call_opts *o)
{
	const char *err = NULL, *warning = NULL;
	char *out = call_answer(o, &err, &warning);

	if (!out)
		fail_msg("answer %s/%s/%s failed: %s", o->call_id, o->from_tag, o->to_tag,
			 err ? err : "?");
	return out;
}

/* A plain call: caller "A" offers one audio stream with media, callee "B" answers. */
static void simple_call(const char *call_id, const char *caller_media, const char *callee_media)
{
	char a[1024], b[1024];
	struct call_opts o;

	o = req(call_id, "A", NULL, sdp_text(a, sizeof(a), "alice", 1, CALLER_IP, caller_media));
	free(offer_ok(&o));
	if (!callee_media)
		return;
	o = req(call_id, "A", "B", sdp_text(b, sizeof(b), "bob", 1, CALLEE_IP, callee_media));
	free(answer_ok(&o));
}

/* ---- the model ---- */

static struct call *must_call(const char *call_id)
{
	struct call *c = call_lookup(call_id);

	if (!c)
		fail_msg("no call %s", call_id);
	return c;
}

static struct monologue *ml_of(const char *call_id, const char *tag)
{
	struct call *c = must_call(call_id);

	for (unsigned int i = 0; i < c->n_mls; i++)
		if (!strcmp(c->mls[i]->tag, tag))
			return c->mls[i];
	fail_msg("call %s has no tag '%s'", call_id, tag);
	return NULL;
}

static struct media *media_of(const char *call_id, const char *tag, unsigned int i)
{
	struct monologue *ml = ml_of(call_id, tag);

	if (i >= ml->n_media)
		fail_msg("call %s tag '%s' has %u media, want index %u", call_id, tag, ml->n_media,
			 i);
	return ml->media[i];
}

static void assert_ep(const struct endpoint *got, const char *want_s)
{
	struct endpoint want = ep(want_s);
	char a[EP_STRLEN] = "(unset)", b[EP_STRLEN] = "(unset)";

	if (ep_is_set(got) != ep_is_set(&want) || (ep_is_set(&want) && !ep_eq(got, &want))) {
		if (ep_is_set(got))
			ep_str(got, a, sizeof(a));
		if (ep_is_set(&want))
			ep_str(&want, b, sizeof(b));
		fail_msg("address %s, want %s", a, b);
	}
}

/* m has a pair of relay sockets on LOCAL, even RTP port inside the range. */
static void assert_ports(const struct media *m)
{
	char want[EP_STRLEN];

	assert_false(m->rejected);
	assert_int_equal(m->port % 2, 0);
	assert_in_range(m->port, PMIN, PMAX - 1);
	assert_ptr_equal(m->iface, &cfg.ifaces[0]);
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		const struct stream *s = m->streams[comp];

		assert_non_null(s);
		assert_int_equal(s->component, comp);
		assert_ptr_equal(s->owner, m);
		assert_ptr_equal(s->worker, m->ml->call->worker);
		snprintf(want, sizeof(want), LOCAL ":%u", m->port + comp);
		assert_ep(&s->local, want);
	}
}

/* What the worker was told for m's streams (call sync_worker first): send to the peer's
 * sockets, expect the party's SDP address, RTCP on the RTP socket when muxed. */
static void assert_wiring(const struct media *m, const struct media *peer)
{
	const struct stream *rtp = m->streams[COMP_RTP], *rtcp = m->streams[COMP_RTCP];
	const struct stream *peer_rtcp =
		peer->rtcp_mux ? peer->streams[COMP_RTP] : peer->streams[COMP_RTCP];

	assert_ptr_equal(rtp->cfg.sink, peer->streams[COMP_RTP]);
	assert_ptr_equal(rtp->cfg.sink_rtcp, peer_rtcp);
	assert_ptr_equal(rtcp->cfg.sink, peer_rtcp);
	assert_ptr_equal(rtcp->cfg.sink_rtcp, peer_rtcp);
	for (int comp = COMP_RTP; comp <= COMP_RTCP; comp++) {
		const struct stream *s = m->streams[comp];
		const struct endpoint *want =
			comp == COMP_RTP || m->rtcp_mux ? &m->sdp_rtp : &m->sdp_rtcp;

		assert_int_equal(s->cfg.flags, m->stream_flags);
		if (m->hold_any)
			assert_false(ep_is_set(&s->cfg.expected));
		else
			assert_true(ep_eq(&s->cfg.expected, want) ||
				    (!ep_is_set(want) && !ep_is_set(&s->cfg.expected)));
		assert_int_equal(s->cfg.learn, m->learn >= 0 ? m->learn : LEARN_HEURISTIC);
	}
}

/* ---- the output SDP ---- */

static void parse_out(struct sdp *s, const char *text)
{
	const char *err = NULL;

	if (sdp_parse(s, text, strlen(text), &err))
		fail_msg("output SDP does not parse (%s):\n%s", err, text);
}

/* Media i of the output: the relay's address, the port, a=rtcp, a=rtcp-mux. */
static void assert_out_media(const struct sdp *s, size_t i, uint16_t port, uint16_t rtcp_port,
			     bool mux)
{
	const struct sdp_conn *conn;

	assert_true(i < s->n_media);
	assert_int_equal(s->media[i].port, port);
	if (!port)
		return;
	conn = sdp_media_conn(s, &s->media[i]);
	assert_non_null(conn);
	assert_ep(&conn->addr, RELAY);
	assert_int_equal(s->media[i].rtcp_port, rtcp_port);
	assert_false(s->media[i].rtcp_conn.present);
	assert_int_equal(s->media[i].rtcp_mux, mux);
}

/* ---- offer ---- */

static void test_offer_creates_call(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long offers = t->offers, managed = t->managed;
	char in[1024], want[1024];
	struct call_opts o =
		req("c1", "A", NULL, sdp_text(in, sizeof(in), "alice", 5, CALLER_IP, AUDIO(4000)));
	struct media *mx, *my;
	struct call *c;
	char *out;

	out = offer_ok(&o);
	c = must_call("c1");
	assert_string_equal(c->call_id, "c1");
	assert_int_equal(calls_count(), 1);
	assert_ptr_equal(call_first(), c);
	assert_null(call_next(c));
	assert_int_equal(t->offers, offers + 1);
	assert_int_equal(t->managed, managed + 1);
	assert_int_equal(c->delete_at, 0);
	assert_non_null(c->worker);

	assert_int_equal(c->n_mls, 2);
	assert_string_equal(c->mls[0]->tag, "A");
	assert_string_equal(c->mls[1]->tag, ""); /* nobody answered yet */
	assert_ptr_equal(c->mls[0]->peer, c->mls[1]);
	assert_ptr_equal(c->mls[1]->peer, c->mls[0]);
	assert_true(c->mls[0]->sdp_seen);
	assert_false(c->mls[1]->sdp_seen);
	assert_int_equal(c->mls[0]->n_media, 1);
	assert_int_equal(c->mls[1]->n_media, 1);

	mx = c->mls[0]->media[0];
	my = c->mls[1]->media[0];
	assert_int_equal(mx->index, 1);
	assert_int_equal(my->index, 1);
	assert_string_equal(mx->type, "audio");
	assert_string_equal(my->type, "audio");
	assert_string_equal(mx->proto, "RTP/AVP");
	assert_string_equal(my->proto, "RTP/AVP");
	assert_ports(mx);
	assert_ports(my);
	assert_int_not_equal(mx->port, my->port);
	assert_ep(&mx->sdp_rtp, CALLER_IP ":4000");
	assert_ep(&mx->sdp_rtcp, CALLER_IP ":4001");
	assert_ep(&my->sdp_rtp, "");
	assert_int_equal(mx->dir, SDP_SENDRECV);
	assert_false(mx->hold_any);
	assert_false(mx->rtcp_mux);
	assert_false(my->rtcp_mux);
	assert_int_equal(calls_ports()->used, 2);

	/* The callee is told to send to the relay's sockets for its side. */
	snprintf(want, sizeof(want),
		 "v=0\r\n"
		 "o=alice 1111 5 IN IP4 " CALLER_IP "\r\n"
		 "s=-\r\n"
		 "c=IN IP4 " RELAY "\r\n"
		 "t=0 0\r\n"
		 "m=audio %u RTP/AVP 0 8\r\n"
		 "c=IN IP4 " RELAY "\r\n"
		 "a=rtcp:%u\r\n",
		 my->port, my->port + 1);
	assert_string_equal(out, want);
	free(out);

	sync_worker();
	assert_wiring(mx, my);
	assert_wiring(my, mx);
}

/* Calls are listed in creation order; a deleted one drops out. */
static void test_call_list(void **state)
{
	static const char *const ids[] = {"l1", "l2", "l3", "l4"};
	struct call_opts d = req("l2", "A", NULL, NULL);
	const char *err = NULL;
	struct call *c;
	size_t n = 0;

	for (size_t i = 0; i < 4; i++)
		simple_call(ids[i], AUDIO(4000), NULL);
	assert_int_equal(calls_count(), 4);
	for (c = call_first(); c; c = call_next(c), n++)
		assert_string_equal(c->call_id, ids[n]);
	assert_int_equal(n, 4);

	d.delete_delay = 0;
	assert_non_null(call_delete(&d, &err));
	assert_int_equal(calls_count(), 3);
	c = call_first();
	assert_string_equal(c->call_id, "l1");
	c = call_next(c);
	assert_string_equal(c->call_id, "l3");
	c = call_next(c);
	assert_string_equal(c->call_id, "l4");
	assert_null(call_next(c));
	settle();
	assert_int_equal(calls_ports()->used, 6);
}

/* ---- answer ---- */

static void test_answer(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long answers = t->answers;
	char in[1024], want[1024];
	struct call_opts o;
	struct media *mx, *my;
	struct call *c;
	uint16_t xport, yport;
	char *out;

	simple_call("c1", AUDIO(4000), NULL);
	mx = media_of("c1", "A", 0);
	my = media_of("c1", "", 0);
	xport = mx->port;
	yport = my->port;

	o = req("c1", "A", "B", sdp_text(in, sizeof(in), "bob", 7, CALLEE_IP, AUDIO(6000)));
	out = answer_ok(&o);
	c = must_call("c1");
	assert_int_equal(t->answers, answers + 1);
	assert_int_equal(c->n_mls, 2);
	assert_string_equal(c->mls[0]->tag, "A");
	assert_string_equal(c->mls[1]->tag, "B");
	assert_ptr_equal(ml_of("c1", "B")->peer, ml_of("c1", "A"));
	assert_true(ml_of("c1", "B")->sdp_seen);
	assert_ptr_equal(media_of("c1", "B", 0), my);
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	assert_ep(&my->sdp_rtp, CALLEE_IP ":6000");
	assert_ep(&my->sdp_rtcp, CALLEE_IP ":6001");
	assert_int_equal(calls_ports()->used, 2);

	/* The caller is told to send to the relay's sockets for its side. */
	snprintf(want, sizeof(want),
		 "v=0\r\n"
		 "o=bob 1111 7 IN IP4 " CALLEE_IP "\r\n"
		 "s=-\r\n"
		 "c=IN IP4 " RELAY "\r\n"
		 "t=0 0\r\n"
		 "m=audio %u RTP/AVP 0 8\r\n"
		 "c=IN IP4 " RELAY "\r\n"
		 "a=rtcp:%u\r\n",
		 xport, xport + 1);
	assert_string_equal(out, want);
	free(out);

	sync_worker();
	assert_wiring(mx, my);
	assert_wiring(my, mx);
}

/* rtcp-mux: what each side is offered/answered and uses, for the MUX_* options. */
struct mux_row {
	unsigned int flags;
	bool offer_has, answer_has; /* a=rtcp-mux in the caller's offer, the callee's answer */
	bool offer_out, answer_out; /* a=rtcp-mux in the SDP the relay sends on */
};

static const struct mux_row mux_rows[] = {
	{0, false, false, false, false},
	{0, true, true, true, true},
	{0, true, false, true, false}, /* the callee declines: separate RTCP for both */
	{MUX_DEMUX, true, false, false, false},
	{MUX_DEMUX | MUX_ACCEPT, true, false, false, true}, /* the relay muxes for the caller */
	{MUX_ACCEPT, true, false, true, true},
	{MUX_ACCEPT, false, false, false, false}, /* nothing to accept */
	{MUX_OFFER, false, false, true, false},
	{MUX_OFFER, false, true, true, false}, /* the caller never offered it */
	{MUX_OFFER, true, true, true, true},
	{MUX_REQUIRE, false, true, true, false},
	{MUX_REQUIRE, true, false, true, true}, /* the caller gets it since it offered it */
	{MUX_REQUIRE, true, true, true, true},
	{MUX_REJECT, true, true, true, false},
	{MUX_REJECT, false, true, false, false},
	{MUX_REJECT | MUX_DEMUX, true, false, false, false},
	{MUX_REJECT | MUX_OFFER, false, true, true, false},
};

static void test_rtcp_mux(void **state)
{
	for (size_t i = 0; i < sizeof(mux_rows) / sizeof(mux_rows[0]); i++) {
		const struct mux_row *r = &mux_rows[i];
		char id[32], in[1024], *out;
		struct call_opts o, d;
		struct media *mx, *my;
		const char *err;
		struct sdp s;

		snprintf(id, sizeof(id), "mux-%zu", i);
		print_message("row %zu: flags %#x, offer %d, answer %d\n", i, r->flags,
			      r->offer_has, r->answer_has);
		o = req(id, "A", NULL,
			sdp_text(in, sizeof(in), "alice", 1, CALLER_IP,
				 r->offer_has ? AUDIO(4000) MUX : AUDIO(4000)));
		o.mux = r->flags;
		out = offer_ok(&o);
		mx = media_of(id, "A", 0);
		my = media_of(id, "", 0);
		assert_int_equal(mx->mux, r->flags);
		assert_int_equal(my->mux, r->flags);
		assert_int_equal(mx->offered_mux, r->offer_has);
		assert_int_equal(my->rtcp_mux, r->offer_out);
		parse_out(&s, out);
		/* An offer of mux keeps port + 1 as the fallback. */
		assert_out_media(&s, 0, my->port, my->port + 1, r->offer_out);
		sdp_free(&s);
		free(out);

		o = req(id, "A", "B",
			sdp_text(in, sizeof(in), "bob", 1, CALLEE_IP,
				 r->answer_has ? AUDIO(6000) MUX : AUDIO(6000)));
		o.mux = r->flags;
		out = answer_ok(&o);
		assert_int_equal(my->offered_mux, r->answer_has);
		assert_int_equal(my->rtcp_mux, r->answer_has);
		assert_int_equal(mx->rtcp_mux, r->answer_out);
		parse_out(&s, out);
		assert_out_media(&s, 0, mx->port, r->answer_out ? mx->port : mx->port + 1,
				 r->answer_out);
		sdp_free(&s);
		free(out);

		sync_worker();
		assert_wiring(mx, my);
		assert_wiring(my, mx);

		d = req(id, "A", NULL, NULL);
		d.delete_delay = 0;
		assert_non_null(call_delete(&d, &err));
	}
	settle();
	assert_int_equal(calls_ports()->used, 0);
}

/* Where media_take_sdp says the party receives: c=, a=rtcp, media-address, SIP source. */
struct addr_row {
	const char *media;	   /* the caller's m= section */
	const char *media_address; /* "" = none */
	const char *received_from; /* "" = none */
	bool sip_source;
	const char *want_rtp, *want_rtcp;
	bool hold;
};

static const struct addr_row addr_rows[] = {
	{AUDIO(4000), "", "", false, CALLER_IP ":4000", CALLER_IP ":4001", false},
	{AUDIO(4000) "a=rtcp:4005\r\n", "", "", false, CALLER_IP ":4000", CALLER_IP ":4005", false},
	{AUDIO(4000) "a=rtcp:4005 IN IP4 192.0.2.99\r\n", "", "", false, CALLER_IP ":4000",
	 "192.0.2.99:4005", false},
	{AUDIO(4000) "c=IN IP4 192.0.2.77\r\n", "", "", false, "192.0.2.77:4000", "192.0.2.77:4001",
	 false},
	{AUDIO(4000) "a=rtcp:4005 IN IP4 192.0.2.99\r\n", "198.51.100.1", "", false,
	 "198.51.100.1:4000", "198.51.100.1:4005", false},
	{AUDIO(4000), "", "198.51.100.2:5060", true, "198.51.100.2:4000", "198.51.100.2:4001",
	 false},
	{AUDIO(4000), "", "198.51.100.2:5060", false, CALLER_IP ":4000", CALLER_IP ":4001", false},
	{AUDIO(4000), "", "", true, CALLER_IP ":4000", CALLER_IP ":4001", false},
	{AUDIO(4000) "c=IN IP4 0.0.0.0\r\n", "", "", false, "0.0.0.0:4000", "0.0.0.0:4001", true},
};

static void test_sdp_addresses(void **state)
{
	for (size_t i = 0; i < sizeof(addr_rows) / sizeof(addr_rows[0]); i++) {
		const struct addr_row *r = &addr_rows[i];
		char id[32], in[1024];
		struct call_opts o;
		struct media *mx;

		snprintf(id, sizeof(id), "addr-%zu", i);
		print_message("row %zu\n", i);
		o = req(id, "A", NULL, sdp_text(in, sizeof(in), "alice", 1, CALLER_IP, r->media));
		o.media_address = ep(r->media_address);
		o.received_from = ep(r->received_from);
		o.sip_source_address = r->sip_source;
		free(offer_ok(&o));
		mx = media_of(id, "A", 0);
		assert_ep(&mx->sdp_rtp, r->want_rtp);
		assert_ep(&mx->sdp_rtcp, r->want_rtcp);
		assert_int_equal(mx->hold_any, r->hold);
		sync_worker();
		assert_wiring(mx, media_of(id, "", 0));
	}
}

/* ---- re-offers ---- */

static void test_reoffer_keeps_ports(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long offers = t->offers;
	struct stream *xs[2], *ys[2];
	char in[1024], *out;
	struct call_opts o;
	struct media *mx, *my;
	struct sdp s;
	uint16_t xport, yport;
	uint32_t g0;

	simple_call("c1", AUDIO(4000), AUDIO(6000));
	mx = media_of("c1", "A", 0);
	my = media_of("c1", "B", 0);
	xport = mx->port;
	yport = my->port;
	memcpy(xs, mx->streams, sizeof(xs));
	memcpy(ys, my->streams, sizeof(ys));

	/* The same endpoint again: same sockets, no relearning. */
	o = req("c1", "A", "B", sdp_text(in, sizeof(in), "alice", 2, CALLER_IP, AUDIO(4000)));
	out = offer_ok(&o);
	assert_int_equal(t->offers, offers + 2);
	assert_int_equal(must_call("c1")->n_mls, 2);
	assert_ptr_equal(media_of("c1", "A", 0), mx);
	assert_ptr_equal(media_of("c1", "B", 0), my);
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	assert_memory_equal(mx->streams, xs, sizeof(xs));
	assert_memory_equal(my->streams, ys, sizeof(ys));
	parse_out(&s, out);
	assert_out_media(&s, 0, yport, yport + 1, false);
	sdp_free(&s);
	free(out);
	sync_worker();
	assert_false(xs[COMP_RTP]->cfg.relearn);
	assert_wiring(mx, my);

	/* A new endpoint: still the same sockets, but the caller's stream learns again. */
	g0 = mx->gen[COMP_RTP];
	o = req("c1", "A", "B", sdp_text(in, sizeof(in), "alice", 3, "192.0.2.11", AUDIO(4100)));
	out = offer_ok(&o);
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	assert_memory_equal(mx->streams, xs, sizeof(xs));
	assert_ep(&mx->sdp_rtp, "192.0.2.11:4100");
	assert_ep(&mx->sdp_rtcp, "192.0.2.11:4101");
	parse_out(&s, out);
	assert_out_media(&s, 0, yport, yport + 1, false);
	sdp_free(&s);
	free(out);
	sync_worker();
	/* The worker took the relearn at once: a new generation, nothing learned under it. */
	assert_int_equal(mx->gen[COMP_RTP], g0 + 1);
	assert_int_equal(xs[COMP_RTP]->cfg.gen, mx->gen[COMP_RTP]);
	assert_int_equal(xs[COMP_RTCP]->cfg.gen, mx->gen[COMP_RTCP]);
	assert_false(xs[COMP_RTP]->latched);
	assert_int_equal(ys[COMP_RTP]->cfg.gen, my->gen[COMP_RTP]);
	assert_wiring(mx, my);
	assert_wiring(my, mx);
	assert_int_equal(calls_ports()->used, 2);
}

/* A re-INVITE from the callee: from-tag B, to-tag A. */
static void test_reoffer_from_callee(void **state)
{
	char in[1024], *out;
	struct call_opts o;
	struct media *mx, *my;
	struct sdp s;
	uint16_t xport, yport;

	simple_call("c1", AUDIO(4000), AUDIO(6000));
	mx = media_of("c1", "A", 0);
	my = media_of("c1", "B", 0);
	xport = mx->port;
	yport = my->port;

	o = req("c1", "B", "A", sdp_text(in, sizeof(in), "bob", 2, CALLEE_IP, AUDIO(6100)));
	out = offer_ok(&o);
	assert_int_equal(must_call("c1")->n_mls, 2);
	assert_ptr_equal(media_of("c1", "A", 0), mx);
	assert_ptr_equal(media_of("c1", "B", 0), my);
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	assert_ep(&my->sdp_rtp, CALLEE_IP ":6100");
	assert_ep(&mx->sdp_rtp, CALLER_IP ":4000");
	/* Sent to the caller: the relay's sockets for the caller's side. */
	parse_out(&s, out);
	assert_out_media(&s, 0, xport, xport + 1, false);
	sdp_free(&s);
	free(out);

	o = req("c1", "B", "A", sdp_text(in, sizeof(in), "alice", 2, CALLER_IP, AUDIO(4000)));
	out = answer_ok(&o);
	assert_string_equal(must_call("c1")->mls[0]->tag, "A");
	assert_string_equal(must_call("c1")->mls[1]->tag, "B");
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	parse_out(&s, out);
	assert_out_media(&s, 0, yport, yport + 1, false);
	sdp_free(&s);
	free(out);
	sync_worker();
	assert_wiring(mx, my);
	assert_wiring(my, mx);
	assert_int_equal(calls_ports()->used, 2);
}

/* Forking: answers from two branches; the latest one names the callee. */
static void test_forking_latest_answer_wins(void **state)
{
	char in[1024], *out;
	struct call_opts o;
	struct media *mx, *my;
	struct sdp s;
	uint16_t xport, yport;

	simple_call("c1", AUDIO(4000), NULL);
	mx = media_of("c1", "A", 0);
	my = media_of("c1", "", 0);
	xport = mx->port;
	yport = my->port;

	o = req("c1", "A", "B1", sdp_text(in, sizeof(in), "b1", 1, CALLEE_IP, AUDIO(6000)));
	free(answer_ok(&o));
	assert_string_equal(must_call("c1")->mls[1]->tag, "B1");

	o = req("c1", "A", "B2", sdp_text(in, sizeof(in), "b2", 1, "198.51.100.30", AUDIO(7000)));
	out = answer_ok(&o);
	assert_int_equal(must_call("c1")->n_mls, 2);
	assert_string_equal(must_call("c1")->mls[1]->tag, "B2");
	assert_ptr_equal(media_of("c1", "B2", 0), my);
	assert_ptr_equal(ml_of("c1", "A")->peer, ml_of("c1", "B2"));
	assert_ep(&my->sdp_rtp, "198.51.100.30:7000");
	assert_int_equal(mx->port, xport);
	assert_int_equal(my->port, yport);
	parse_out(&s, out);
	assert_out_media(&s, 0, xport, xport + 1, false);
	assert_string_equal(s.origin_user, "b2");
	sdp_free(&s);
	free(out);
	assert_int_equal(calls_ports()->used, 2);
}

/* ---- rejected media ---- */

/* An m= line with port 0 in the first offer: port 0 out, no sockets for it. */
static void test_offer_rejected_media(void **state)
{
	char in[1024], *out;
	struct call_opts o;
	struct media *mx, *my;
	struct sdp s;

	o = req("c1", "A", NULL,
		sdp_text(in, sizeof(in), "alice", 1, CALLER_IP,
			 AUDIO(4000) "m=video 0 RTP/AVP 96\r\n"));
	out = offer_ok(&o);
	mx = media_of("c1", "A", 1);
	my = media_of("c1", "", 1);
	assert_true(mx->rejected);
	assert_true(my->rejected);
	assert_int_equal(mx->port, 0);
	assert_int_equal(my->port, 0);
	assert_null(mx->streams[COMP_RTP]);
	assert_null(my->streams[COMP_RTP]);
	assert_string_equal(my->type, "video");
	assert_int_equal(calls_ports()->used, 2); /* the audio pair of each side only */
	parse_out(&s, out);
	assert_int_equal(s.n_media, 2);
	assert_out_media(&s, 0, media_of("c1", "", 0)->port, media_of("c1", "", 0)->port + 1,
			 false);
	assert_out_media(&s, 1, 0, 0, false);
	sdp_free(&s);
	free(out);

	o = req("c1", "A", "B",
		sdp_text(in, sizeof(in), "bob", 1, CALLEE_IP,
			 AUDIO(6000) "m=video 0 RTP/AVP 96\r\n"));
	out = answer_ok(&o);
	parse_out(&s, out);
	assert_out_media(&s, 1, 0, 0, false);
	sdp_free(&s);
	free(out);
	assert_int_equal(calls_ports()->used, 2);
}

/* The callee rejects an offered stream: port 0 goes back to the caller. */
static void test_answer_rejects_media(void **state)
{
	char in[1024], *out;
	struct call_opts o;
	struct sdp s;

	simple_call("c1", AUDIO(4000) "m=video 4002 RTP/AVP 96\r\n", NULL);
	assert_int_equal(calls_ports()->used, 4);
	o = req("c1", "A", "B",
		sdp_text(in, sizeof(in), "bob", 1, CALLEE_IP,
			 AUDIO(6000) "m=video 0 RTP/AVP 96\r\n"));
	out = answer_ok(&o);
	assert_true(media_of("c1", "A", 1)->rejected);
	assert_true(media_of("c1", "B", 1)->rejected);
	assert_false(media_of("c1", "A", 0)->rejected);
	parse_out(&s, out);
	assert_out_media(&s, 0, media_of("c1", "A", 0)->port, media_of("c1", "A", 0)->port + 1,
			 false);
	assert_out_media(&s, 1, 0, 0, false);
	sdp_free(&s);
	free(out);
}

/* ---- errors ---- */

struct err_row {
	const char *call_id, *from, *to, *sdp;
	const char *err; /* exact, or a prefix when it ends with ": " */
};

#define GOOD_OFFER                                                                         \
	"v=0\r\no=alice 1 1 IN IP4 " CALLER_IP "\r\ns=-\r\nc=IN IP4 " CALLER_IP "\r\nt=0 " \
	"0\r\n" AUDIO(4000)
#define GOOD_ANSWER                                                                      \
	"v=0\r\no=bob 1 1 IN IP4 " CALLEE_IP "\r\ns=-\r\nc=IN IP4 " CALLEE_IP "\r\nt=0 " \
	"0\r\n" AUDIO(6000)
#define NO_CONN "v=0\r\no=alice 1 1 IN IP4 " CALLER_IP "\r\ns=-\r\nt=0 0\r\n" AUDIO(4000)

static const struct err_row offer_errors[] = {
	{NULL, "A", NULL, GOOD_OFFER, "No call-id in message"},
	{"", "A", NULL, GOOD_OFFER, "No call-id in message"},
	{"e1", NULL, NULL, GOOD_OFFER, "No from-tag in message"},
	{"e1", "", NULL, GOOD_OFFER, "No from-tag in message"},
	{"e1", "A", NULL, NULL, "No SDP body in message"},
	{"e1", "A", NULL, "", "Failed to parse SDP: "},
	{"e1", "A", NULL, "garbage\r\n", "Failed to parse SDP: "},
	{"e1", "A", NULL, "v=0\r\nm=audio x RTP/AVP 0\r\n", "Failed to parse SDP: "},
	{"e1", "A", NULL, NO_CONN, "Failed to parse SDP: no connection address for a media"},
};

static void check_err(size_t i, const char *got, const char *want)
{
	size_t n = strlen(want);
	bool prefix = n >= 2 && !strcmp(want + n - 2, ": ");

	if (!got || (prefix ? strncmp(got, want, n) : strcmp(got, want)))
		fail_msg("row %zu: error '%s', want '%s'%s", i, got ? got : "(none)", want,
			 prefix ? "..." : "");
}

static void test_offer_errors(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long offers = t->offers, managed = t->managed, rejected = t->rejected;

	for (size_t i = 0; i < sizeof(offer_errors) / sizeof(offer_errors[0]); i++) {
		const struct err_row *r = &offer_errors[i];
		struct call_opts o = req(r->call_id, r->from, r->to, r->sdp);
		const char *err = NULL, *warning = NULL;

		assert_null(call_offer(&o, &err, &warning));
		check_err(i, err, r->err);
		assert_int_equal(calls_count(), 0);
		assert_null(call_lookup("e1"));
		assert_int_equal(calls_ports()->used, 0);
	}
	assert_int_equal(t->offers, offers);
	assert_int_equal(t->managed, managed);
	assert_int_equal(t->rejected, rejected);
}

static const struct err_row answer_errors[] = {
	{NULL, "A", "B", GOOD_ANSWER, "No call-id in message"},
	{"c1", NULL, "B", GOOD_ANSWER, "No from-tag in message"},
	{"c1", "A", NULL, GOOD_ANSWER, "No to-tag in message"},
	{"c1", "A", "", GOOD_ANSWER, "No to-tag in message"},
	{"c1", "A", "B", NULL, "No SDP body in message"},
	{"nope", "A", "B", GOOD_ANSWER, "Unknown call-id"},
	{"c1", "X", "B", GOOD_ANSWER, "Unknown from-tag"},
	{"c1", "A", "B", "garbage\r\n", "Failed to parse SDP: "},
	{"c1", "A", "B", GOOD_ANSWER "m=video 6002 RTP/AVP 96\r\n",
	 "Answer has more media than the offer"},
};

static void test_answer_errors(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long answers;
	struct call_opts o;

	simple_call("c1", AUDIO(4000), NULL);
	answers = t->answers;
	for (size_t i = 0; i < sizeof(answer_errors) / sizeof(answer_errors[0]); i++) {
		const struct err_row *r = &answer_errors[i];
		const char *err = NULL, *warning = NULL;

		o = req(r->call_id, r->from, r->to, r->sdp);
		assert_null(call_answer(&o, &err, &warning));
		check_err(i, err, r->err);
		assert_int_equal(calls_count(), 1);
		assert_int_equal(must_call("c1")->n_mls, 2);
		assert_int_equal(ml_of("c1", "A")->n_media, 1);
	}
	assert_int_equal(t->answers, answers);
	/* A good answer still goes through. */
	o = req("c1", "A", "B", GOOD_ANSWER);
	free(answer_ok(&o));
	assert_int_equal(t->answers, answers + 1);
	assert_ep(&media_of("c1", "B", 0)->sdp_rtp, CALLEE_IP ":6000");
}

/* A refused answer leaves the call as it was: the callee is still unnamed (or keeps its tag). */
static void test_failed_answer_changes_nothing(void **state)
{
	static const char *const bad[] = {"garbage\r\n", GOOD_ANSWER "m=video 6002 RTP/AVP 96\r\n",
					  NO_CONN};
	const char *err = NULL, *warning = NULL;
	struct call_opts o;

	simple_call("c1", AUDIO(4000), NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = req("c1", "A", "B", bad[i]);
		assert_null(call_answer(&o, &err, &warning));
		if (strcmp(must_call("c1")->mls[1]->tag, ""))
			fail_msg("refused answer %zu (%s) renamed the callee to '%s'", i, err,
				 must_call("c1")->mls[1]->tag);
	}
	o = req("c1", "A", "B1", GOOD_ANSWER);
	free(answer_ok(&o));
	o = req("c1", "A", "B2", "garbage\r\n");
	assert_null(call_answer(&o, &err, &warning));
	assert_string_equal(must_call("c1")->mls[1]->tag, "B1");
}

/* ---- ports ---- */

/* Three pairs: the first call takes two, the second gets one and fails on the other; the
 * pair it got comes back. */
static void test_out_of_ports(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long rejected = t->rejected;
	const char *err = NULL, *warning = NULL;
	char in[1024];
	struct call_opts o;

	simple_call("c1", AUDIO(4000), AUDIO(6000));
	o = req("c2", "A", NULL, sdp_text(in, sizeof(in), "alice", 1, CALLER_IP, AUDIO(4000)));
	assert_null(call_offer(&o, &err, &warning));
	assert_non_null(err);
	assert_string_equal(err, "Ran out of ports");
	assert_null(call_lookup("c2"));
	assert_int_equal(calls_count(), 1);
	assert_int_equal(t->rejected, rejected + 1);
	assert_int_equal(calls_ports()->exhausted, 1);
	settle();
	assert_int_equal(calls_ports()->used, 2);
	/* And the call that has its ports is untouched. */
	assert_ports(media_of("c1", "A", 0));
	assert_ports(media_of("c1", "B", 0));
}

/* ---- delete ---- */

struct del_row {
	unsigned int cfg_delay;
	long long opt_delay; /* -1 = the configured one */
	const char *from, *to;
	unsigned int want_delay; /* 0 = removed at once */
};

static const struct del_row del_rows[] = {
	{30, 0, "A", NULL, 0},	 /* delete-delay=0 in the request */
	{0, -1, "A", NULL, 0},	 /* configured 0 */
	{30, -1, "A", NULL, 30}, /* configured delay */
	{0, 10, "A", NULL, 10},	 /* the request's delay */
	{30, 0, "B", "A", 0},	 /* a BYE from the callee */
	{30, 0, NULL, NULL, 0},	 /* call-id only */
	{30, 0, "A", "B", 0},	 /* both tags, no other branch */
	{5, -1, "B", "A", 5},
};

static void test_delete(void **state)
{
	const struct call_totals *t = calls_totals();

	for (size_t i = 0; i < sizeof(del_rows) / sizeof(del_rows[0]); i++) {
		const struct del_row *r = &del_rows[i];
		unsigned long terminated = t->regular_terminated, deletes = t->deletes;
		struct call_opts d = req("d1", r->from, r->to, NULL);
		const char *err = NULL;
		struct call *c;
		time_t t0, t1;

		print_message("row %zu\n", i);
		cfg.delete_delay = r->cfg_delay;
		simple_call("d1", AUDIO(4000), AUDIO(6000));
		d.delete_delay = r->opt_delay;
		t0 = time(NULL);
		c = call_delete(&d, &err);
		t1 = time(NULL);
		if (!c)
			fail_msg("row %zu: delete failed: %s", i, err);
		assert_string_equal(c->call_id, "d1"); /* still readable for the reply */
		assert_int_equal(t->deletes, deletes + 1);
		if (r->want_delay) {
			assert_ptr_equal(call_lookup("d1"), c);
			assert_in_range(c->delete_at, t0 + r->want_delay, t1 + r->want_delay);
			assert_int_equal(t->regular_terminated, terminated);
			calls_tick(t0 + r->want_delay - 1);
			assert_ptr_equal(call_lookup("d1"), c);
			settle();
			assert_int_equal(calls_ports()->used, 2);
			calls_tick(t1 + r->want_delay);
		}
		assert_null(call_lookup("d1"));
		assert_int_equal(calls_count(), 0);
		assert_int_equal(t->regular_terminated, terminated + 1);
		settle();
		assert_int_equal(calls_ports()->used, 0);
	}
}

/* A second delete may bring the removal forward, never push it back. */
static void test_delete_again(void **state)
{
	struct call_opts d = req("d1", "A", NULL, NULL);
	const char *err = NULL;
	struct call *c;
	time_t t0, t1;

	simple_call("d1", AUDIO(4000), AUDIO(6000));
	d.delete_delay = 30;
	t0 = time(NULL);
	c = call_delete(&d, &err);
	assert_non_null(c);
	d.delete_delay = 10;
	assert_ptr_equal(call_delete(&d, &err), c);
	t1 = time(NULL);
	assert_in_range(c->delete_at, t0 + 10, t1 + 10);
	d.delete_delay = 100;
	assert_ptr_equal(call_delete(&d, &err), c);
	assert_in_range(c->delete_at, t0 + 10, t1 + 10);
	d.delete_delay = 0;
	assert_ptr_equal(call_delete(&d, &err), c);
	assert_null(call_lookup("d1"));
}

static const struct err_row delete_errors[] = {
	{NULL, "A", NULL, NULL, "No call-id in message"},
	{"", "A", NULL, NULL, "No call-id in message"},
	{"nope", "A", NULL, NULL, "Call-ID not found or tags didn't match"},
	{"d1", "X", NULL, NULL, "Call-ID not found or tags didn't match"},
	{"d1", "X", "Y", NULL, "Call-ID not found or tags didn't match"},
};

static void test_delete_errors(void **state)
{
	const struct call_totals *t = calls_totals();
	unsigned long deletes;

	simple_call("d1", AUDIO(4000), AUDIO(6000));
	deletes = t->deletes;
	for (size_t i = 0; i < sizeof(delete_errors) / sizeof(delete_errors[0]); i++) {
		const struct err_row *r = &delete_errors[i];
		struct call_opts d = req(r->call_id, r->from, r->to, NULL);
		const char *err = NULL;

		d.delete_delay = 0;
		assert_null(call_delete(&d, &err));
		check_err(i, err, r->err);
		assert_non_null(call_lookup("d1"));
		assert_int_equal(must_call("d1")->delete_at, 0);
	}
	assert_int_equal(t->deletes, deletes);
}

/* ---- timeouts ---- */

struct tmo_row {
	const char *name;
	const char *caller_dir, *callee_dir; /* direction lines; callee NULL: no answer */
	unsigned int timeout, silent_timeout, final_timeout;
	unsigned int limit; /* seconds after the last signal (or creation) the call ends; 0 never */
	size_t counter;	    /* offsetof(struct call_totals, ...) */
};

static const struct tmo_row tmo_rows[] = {
	{"media timeout", "", "", 60, 3600, 0, 60, offsetof(struct call_totals, timeouts)},
	{"no answer", "", NULL, 60, 3600, 0, 60, offsetof(struct call_totals, timeouts)},
	{"on hold", "a=sendonly\r\n", "a=recvonly\r\n", 60, 3600, 0, 3600,
	 offsetof(struct call_totals, silent_timeouts)},
	{"inactive", "a=inactive\r\n", "a=inactive\r\n", 60, 600, 0, 600,
	 offsetof(struct call_totals, silent_timeouts)},
	{"one way is not hold", "a=sendonly\r\n", "", 60, 3600, 0, 60,
	 offsetof(struct call_totals, timeouts)},
	{"final timeout", "", "", 1000, 3600, 100, 100,
	 offsetof(struct call_totals, final_timeouts)},
	{"final timeout wins on hold", "a=sendonly\r\n", "a=recvonly\r\n", 60, 3600, 1800, 1800,
	 offsetof(struct call_totals, final_timeouts)},
	{"no timeouts at all", "", "", 0, 0, 0, 0, 0},
};

static unsigned long counter(size_t off)
{
	return *(const unsigned long *)((const char *)calls_totals() + off);
}

static void test_timeouts(void **state)
{
	for (size_t i = 0; i < sizeof(tmo_rows) / sizeof(tmo_rows[0]); i++) {
		const struct tmo_row *r = &tmo_rows[i];
		unsigned long before = counter(r->counter);
		char caller[256], callee[256];
		time_t t0, t1;

		print_message("%s\n", r->name);
		cfg.timeout = r->timeout;
		cfg.silent_timeout = r->silent_timeout;
		cfg.final_timeout = r->final_timeout;
		snprintf(caller, sizeof(caller), AUDIO(4000) "%s", r->caller_dir);
		snprintf(callee, sizeof(callee), AUDIO(6000) "%s",
			 r->callee_dir ? r->callee_dir : "");
		t0 = time(NULL);
		simple_call("t1", caller, r->callee_dir ? callee : NULL);
		t1 = time(NULL);
		/* time() is the coarse clock: it can be a second behind the call's gettimeofday */
		if (must_call("t1")->created > t1)
			t1 = must_call("t1")->created;
		if (!r->limit) {
			calls_tick(t1 + 10 * 365 * 86400);
			assert_non_null(call_lookup("t1"));
			call_delete(&(struct call_opts){.call_id = "t1", .delete_delay = 0},
				    &(const char *){NULL});
			assert_null(call_lookup("t1"));
			settle();
			continue;
		}
		calls_tick(t0 + r->limit - 1);
		if (!call_lookup("t1"))
			fail_msg("%s: ended after %u s", r->name, r->limit - 1);
		assert_int_equal(counter(r->counter), before);
		calls_tick(t1 + r->limit);
		if (call_lookup("t1"))
			fail_msg("%s: still there after %u s", r->name, r->limit);
		assert_int_equal(counter(r->counter), before + 1);
		assert_int_equal(calls_count(), 0);
		settle();
		assert_int_equal(calls_ports()->used, 0);
	}
}

/* A signal (re-offer) restarts the media timeout. */
static void test_signal_restarts_timeout(void **state)
{
	char in[1024];
	struct call_opts o;
	struct call *c;

	simple_call("t1", AUDIO(4000), AUDIO(6000));
	c = must_call("t1");
	c->last_signal -= 50; /* as if the call had been set up 50 s ago */
	calls_tick(time(NULL) + 11);
	assert_null(call_lookup("t1")); /* 61 s without a signal */

	simple_call("t2", AUDIO(4000), AUDIO(6000));
	c = must_call("t2");
	c->last_signal -= 50;
	o = req("t2", "A", "B", sdp_text(in, sizeof(in), "alice", 2, CALLER_IP, AUDIO(4000)));
	free(offer_ok(&o));
	calls_tick(time(NULL) + 11);
	assert_non_null(call_lookup("t2"));
}

/* ---- o= line: version and origin ---- */

#define M1 AUDIO(4000)
#define M2 AUDIO(4000) "a=ptime:20\r\n" /* the same endpoint, another SDP */

struct ver_step {
	const char *media;
	unsigned long long in, want;
};

struct ver_row {
	const char *name;
	bool replace, force;
	struct ver_step steps[6];
};

static const struct ver_row ver_rows[] = {
	{"untouched without the flags",
	 false,
	 false,
	 {{M1, 5, 5}, {M1, 9, 9}, {M2, 9, 9}, {M1, 2, 2}}},
	{"replace: moves only when the SDP changes",
	 true,
	 false,
	 {{M1, 5, 5}, {M1, 5, 5}, {M1, 6, 5}, {M2, 7, 6}, {M2, 8, 6}, {M1, 8, 7}}},
	{"replace from version 0", true, false, {{M1, 0, 0}, {M1, 0, 0}, {M2, 0, 1}, {M2, 0, 1}}},
	{"force: every time", false, true, {{M1, 5, 5}, {M1, 5, 6}, {M1, 5, 7}, {M2, 5, 8}}},
	{"force + replace", true, true, {{M1, 5, 5}, {M1, 5, 6}, {M2, 9, 7}}},
};

static void run_ver_row(const struct ver_row *r, const char *id)
{
	for (size_t k = 0; k < 6 && r->steps[k].media; k++) {
		const struct ver_step *st = &r->steps[k];
		unsigned long long got;
		char in[1024], *out;
		struct call_opts o;
		struct sdp s;
		bool same;

		o = req(id, "A", NULL,
			sdp_text(in, sizeof(in), "alice", st->in, CALLER_IP, st->media));
		o.replace_sdp_version = r->replace;
		o.force_increment_sdp_version = r->force;
		out = offer_ok(&o);
		parse_out(&s, out);
		got = s.origin_version;
		same = !strcmp(s.origin_user, "alice") && !strcmp(s.origin_sess_id, "1111");
		sdp_free(&s);
		free(out);
		if (got != st->want)
			fail_msg("%s, offer %zu (in %llu): version %llu, want %llu", r->name, k + 1,
				 st->in, got, st->want);
		assert_true(same);
	}
}

static void test_sdp_version(void **state)
{
	for (size_t i = 0; i < sizeof(ver_rows) / sizeof(ver_rows[0]); i++) {
		char id[32];

		snprintf(id, sizeof(id), "v-%zu", i);
		run_ver_row(&ver_rows[i], id);
	}
}

/* o= version 0 is common in first offers; forcing must still count up from it. */
static void test_force_version_from_zero(void **state)
{
	static const struct ver_row row = {
		"force from version 0", false, true, {{M1, 0, 0}, {M1, 0, 1}, {M1, 0, 2}}};

	run_ver_row(&row, "v0");
}

static void test_replace_origin(void **state)
{
	static const struct {
		bool replace;
		const char *want;
	} rows[] = {
		{false, "o=alice 1111 5 IN IP4 " CALLER_IP "\r\n"},
		{true, "o=alice 1111 5 IN IP4 " RELAY "\r\n"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char id[32], in[1024], *out;
		struct call_opts o;

		snprintf(id, sizeof(id), "o-%zu", i);
		o = req(id, "A", NULL,
			sdp_text(in, sizeof(in), "alice", 5, CALLER_IP, AUDIO(4000)));
		o.replace_origin = rows[i].replace;
		out = offer_ok(&o);
		if (!strstr(out, rows[i].want))
			fail_msg("row %zu: no '%.*s' in\n%s", i, (int)strlen(rows[i].want) - 2,
				 rows[i].want, out);
		free(out);
	}
}

/* ---- codec options and transcoding ---- */

/* The codec part of an SDP: "FMTS|a=rtpmap:...|a=fmtp:...|a=ptime:..." in order. */
static void codec_lines(const char *sdp, char *out, size_t len)
{
	const char *m = strstr(sdp, "m=audio "), *l;
	size_t n = 0;

	out[0] = 0;
	assert_non_null(m);
	m = strstr(m, "RTP/AVP ") + 8;
	n += (size_t)snprintf(out + n, len - n, "%.*s", (int)strcspn(m, "\r"), m);
	for (l = m; (l = strstr(l, "\r\na=")); l += 2)
		if (!strncmp(l + 2, "a=rtpmap:", 9) || !strncmp(l + 2, "a=fmtp:", 7) ||
		    !strncmp(l + 2, "a=ptime:", 8))
			n += (size_t)snprintf(out + n, len - n, "|%.*s", (int)strcspn(l + 2, "\r"),
					      l + 2);
}

/* What a party's RTP becomes: "IN,IN>OUT/PTIME ev IN>OUT pass P,P" or "-" when nothing is
 * transcoded. */
static void plan_text(const struct media *m, char *out, size_t len)
{
	const struct tc_params *p = media_codec_transcoding(m);
	size_t n = 0;

	if (!p) {
		snprintf(out, len, "-");
		return;
	}
	for (unsigned int i = 0; i < p->n_in; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%u", i ? "," : "", p->in[i].pt);
	n += (size_t)snprintf(out + n, len - n, ">%u/%u", p->out.pt, p->out.ptime);
	if (p->out.opus.bitrate)
		n += (size_t)snprintf(out + n, len - n, "@%u", p->out.opus.bitrate);
	if (p->dtmf_in_pt >= 0)
		n += (size_t)snprintf(out + n, len - n, " ev %d@%u>%d@%u", p->dtmf_in_pt,
				      p->dtmf_in_clock, p->dtmf_out_pt, p->dtmf_out_clock);
	for (unsigned int pt = 0; pt < 128; pt++)
		if (m->codecs->pt_pass[pt / 32] >> (pt % 32) & 1)
			n += (size_t)snprintf(out + n, len - n, " pass %u", pt);
}

static void names(struct sdp_codec_list *l, const char *csv)
{
	while (csv && *csv) {
		size_t len = strcspn(csv, ",");

		assert_int_equal(sdp_codec_list_add(l, csv, len), 0);
		csv += len + (csv[len] == ',');
	}
}

#define TE8  "a=rtpmap:101 telephone-event/8000\r\n"
#define OPUS "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"

struct codec_row {
	const char *caller, *transcode, *mask, *accept; /* caller's media, codec options */
	const char *consume, *set;
	unsigned int ptime, ptime_reverse;
	const char *want_offer; /* codec_lines of the offer to the callee */
	const char *callee;	/* the callee's answer media */
	const char *want_answer, *plan_a, *plan_b;
};

static const struct codec_row codec_rows[] = {
	/* transcode PCMA: added on its static type; the callee takes it */
	{"m=audio 4000 RTP/AVP 0\r\n", "PCMA", NULL, NULL, NULL, NULL, 0, 0,
	 "0 8|a=rtpmap:8 PCMA/8000", "m=audio 6000 RTP/AVP 8\r\n", "0|a=rtpmap:0 PCMU/8000",
	 "0>8/0", "8>0/0"},
	/* the callee takes the caller's own codec: nothing transcoded */
	{"m=audio 4000 RTP/AVP 0\r\n", "PCMA", NULL, NULL, NULL, NULL, 0, 0,
	 "0 8|a=rtpmap:8 PCMA/8000", "m=audio 6000 RTP/AVP 0\r\n", "0", "-", "-"},
	/* opus with events at 48000 next to the caller's at 8000 */
	{"m=audio 4000 RTP/AVP 0 101\r\n" TE8, "opus", NULL, NULL, NULL, NULL, 0, 0,
	 "0 101 96 97|a=rtpmap:101 telephone-event/8000|a=rtpmap:96 opus/48000/2"
	 "|a=fmtp:96 minptime=10;useinbandfec=1|a=rtpmap:97 telephone-event/48000"
	 "|a=fmtp:97 0-16",
	 "m=audio 6000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\n"
	 "a=rtpmap:97 telephone-event/48000\r\n",
	 "0 101|a=rtpmap:0 PCMU/8000|a=rtpmap:101 telephone-event/8000",
	 "0>96/0 ev 101@8000>97@48000", "96>0/0 ev 97@48000>101@8000"},
	/* mask: the callee is offered opus only; the caller still sends PCMU */
	{"m=audio 4000 RTP/AVP 0 8\r\n", "opus", "PCMU,PCMA", NULL, NULL, NULL, 0, 0,
	 "96|a=rtpmap:96 opus/48000/2|a=fmtp:96 minptime=10;useinbandfec=1",
	 "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", "0|a=rtpmap:0 PCMU/8000",
	 "0>96/0", "96>0/0"},
	/* the caller already has the transcode codec: it acts as "offer" (first) */
	{"m=audio 4000 RTP/AVP 0 96\r\n" OPUS, "opus", NULL, NULL, NULL, NULL, 0, 0,
	 "96 0|a=rtpmap:96 opus/48000/2|a=fmtp:96 useinbandfec=1",
	 "m=audio 6000 RTP/AVP 96\r\n" OPUS, "96|a=rtpmap:96 opus/48000/2|a=fmtp:96 useinbandfec=1",
	 "-", "-"},
	/* always transcode: even the shared codec is decoded; events of the same type pass */
	{"m=audio 4000 RTP/AVP 0 101\r\n" TE8, NULL, NULL, "all", NULL, NULL, 0, 0,
	 "0 101|a=rtpmap:101 telephone-event/8000", "m=audio 6000 RTP/AVP 0 101\r\n" TE8,
	 "0 101|a=rtpmap:101 telephone-event/8000", "0>0/0 ev 101@8000>101@8000 pass 101",
	 "0>0/0 ev 101@8000>101@8000 pass 101"},
	/* ptime: repacketized towards the callee (a=ptime), as sent towards the caller */
	{"m=audio 4000 RTP/AVP 0\r\n", NULL, NULL, NULL, NULL, NULL, 40, 0, "0|a=ptime:40",
	 "m=audio 6000 RTP/AVP 0\r\n", "0", "0>0/40", "-"},
	/* ptime-reverse: towards the caller; its answer says so */
	{"m=audio 4000 RTP/AVP 8\r\n", NULL, NULL, NULL, NULL, NULL, 0, 30, "8",
	 "m=audio 6000 RTP/AVP 8\r\n", "8|a=ptime:30", "-", "8>8/30"},
	/* G.722 (RTP clock 8000): no extra event type; an opus ptime rounds to a frame size */
	{"m=audio 4000 RTP/AVP 0 101\r\n" TE8, "G722,opus/48000/2/24000", NULL, NULL, NULL, NULL,
	 30, 0,
	 "0 101 9 96 97|a=rtpmap:101 telephone-event/8000|a=rtpmap:9 G722/8000"
	 "|a=rtpmap:96 opus/48000/2|a=fmtp:96 minptime=10;useinbandfec=1"
	 "|a=rtpmap:97 telephone-event/48000|a=fmtp:97 0-16|a=ptime:30",
	 "m=audio 6000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\n"
	 "a=rtpmap:97 telephone-event/48000\r\n",
	 "0 101|a=rtpmap:0 PCMU/8000|a=rtpmap:101 telephone-event/8000",
	 "0>96/20@24000 ev 101@8000>97@48000", "96>0/0 ev 97@48000>101@8000"},
	/* consume: like mask; the relay transcodes from what the caller still sends */
	{"m=audio 4000 RTP/AVP 0 8\r\n", "G722", NULL, NULL, "PCMA", NULL, 0, 0,
	 "0 9|a=rtpmap:9 G722/8000", "m=audio 6000 RTP/AVP 9\r\n", "0|a=rtpmap:0 PCMU/8000",
	 "0>9/0", "9>0/0"},
	/* set: the bitrate of what the relay encodes towards the caller */
	{"m=audio 4000 RTP/AVP 96 0\r\n" OPUS, "PCMA", NULL, NULL, NULL, "opus/48000/2/32000", 0, 0,
	 "96 0 8|a=rtpmap:96 opus/48000/2|a=fmtp:96 useinbandfec=1|a=rtpmap:8 PCMA/8000",
	 "m=audio 6000 RTP/AVP 8\r\n", "96|a=rtpmap:96 opus/48000/2|a=fmtp:96 useinbandfec=1",
	 "96>8/0", "8>96/0@32000"},

};

static void test_codec_negotiation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(codec_rows) / sizeof(codec_rows[0]); i++) {
		const struct codec_row *r = &codec_rows[i];
		char a[1024], b[1024], id[16], got[512];
		struct call_opts o;
		char *out;

		print_message("row %zu\n", i);
		snprintf(id, sizeof(id), "codec%zu", i);
		o = req(id, "A", NULL, sdp_text(a, sizeof(a), "alice", 1, CALLER_IP, r->caller));
		names(&o.codec.transcode, r->transcode);
		names(&o.codec.mask, r->mask);
		names(&o.codec.accept, r->accept);
		names(&o.codec.consume, r->consume);
		names(&o.codec.set, r->set);
		o.ptime = r->ptime;
		o.ptime_reverse = r->ptime_reverse;
		out = offer_ok(&o);
		codec_lines(out, got, sizeof(got));
		assert_string_equal(got, r->want_offer);
		free(out);
		o = req(id, "A", "B", sdp_text(b, sizeof(b), "bob", 1, CALLEE_IP, r->callee));
		out = answer_ok(&o);
		codec_lines(out, got, sizeof(got));
		assert_string_equal(got, r->want_answer);
		free(out);
		plan_text(media_of(id, "A", 0), got, sizeof(got));
		assert_string_equal(got, r->plan_a);
		plan_text(media_of(id, "B", 0), got, sizeof(got));
		assert_string_equal(got, r->plan_b);
	}
}

/* What the relay cannot do is said, and changes nothing it should not. */
static void test_codec_errors(void **state)
{
	char a[1024], b[1024];
	const char *err = NULL, *warning = NULL;
	struct call_opts o;
	char *out;

	(void)state;
	/* a codec the relay cannot transcode: left out, with a warning */
	o = req("ce", "A", NULL,
		sdp_text(a, sizeof(a), "alice", 1, CALLER_IP, "m=audio 4000 RTP/AVP 0\r\n"));
	names(&o.codec.transcode, "G729,AMR-WB");
	out = call_offer(&o, &err, &warning);
	assert_non_null(out);
	assert_non_null(warning);
	assert_non_null(strstr(warning, "not supported"));
	assert_non_null(strstr(out, "RTP/AVP 0\r\n"));
	free(out);
	/* an answer naming a payload type the callee was not offered */
	o = req("ce", "A", "B",
		sdp_text(b, sizeof(b), "bob", 1, CALLEE_IP, "m=audio 6000 RTP/AVP 18\r\n"));
	assert_null(call_answer(&o, &err, &warning));
	assert_string_equal(err, "Answer picks a codec that was not offered");
	/* nothing to transcode from: the offerer has only codecs the relay does not know */
	o = req("ce2", "A", NULL,
		sdp_text(a, sizeof(a), "alice", 1, CALLER_IP, "m=audio 4000 RTP/AVP 18\r\n"));
	names(&o.codec.transcode, "PCMA");
	warning = NULL;
	out = call_offer(&o, &err, &warning);
	assert_non_null(out);
	assert_non_null(warning);
	assert_non_null(strstr(warning, "no offered codec"));
	assert_non_null(strstr(out, "RTP/AVP 18\r\n"));
	free(out);
	/* single codec: the first codec and the events go back */
	o = req("ce3", "A", NULL,
		sdp_text(a, sizeof(a), "alice", 1, CALLER_IP,
			 "m=audio 4000 RTP/AVP 0 8 101\r\n" TE8));
	free(offer_ok(&o));
	o = req("ce3", "A", "B",
		sdp_text(b, sizeof(b), "bob", 1, CALLEE_IP,
			 "m=audio 6000 RTP/AVP 8 0 101\r\n" TE8));
	o.single_codec = true;
	out = answer_ok(&o);
	assert_non_null(strstr(out, "RTP/AVP 8 101\r\n"));
	free(out);
}

/* A re-offer without codec options keeps the transcoding: from the callee (its codecs offered
 * on to the caller with the caller's added), and from the caller again. */
static void test_codec_reoffer(void **state)
{
	char a[1024], b[1024], got[512];
	struct call_opts o;
	char *out;

	(void)state;
	o = req("cr", "A", NULL,
		sdp_text(a, sizeof(a), "alice", 1, CALLER_IP,
			 "m=audio 4000 RTP/AVP 0 101\r\n" TE8));
	names(&o.codec.transcode, "opus");
	free(offer_ok(&o));
	o = req("cr", "A", "B",
		sdp_text(b, sizeof(b), "bob", 1, CALLEE_IP,
			 "m=audio 6000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\n"
			 "a=rtpmap:97 telephone-event/48000\r\n"));
	free(answer_ok(&o));
	/* the callee re-offers, no codec options: the caller still gets PCMU (and its events) */
	o = req("cr", "B", "A",
		sdp_text(b, sizeof(b), "bob", 2, CALLEE_IP,
			 "m=audio 6000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\n"
			 "a=rtpmap:97 telephone-event/48000\r\n"));
	out = offer_ok(&o);
	codec_lines(out, got, sizeof(got));
	assert_string_equal(got, "96 97 0 98|a=rtpmap:96 opus/48000/2|a=rtpmap:97 "
				 "telephone-event/48000|a=rtpmap:0 PCMU/8000|a=rtpmap:98 "
				 "telephone-event/8000|a=fmtp:98 0-16");
	free(out);
	o = req("cr", "B", "A",
		sdp_text(a, sizeof(a), "alice", 2, CALLER_IP, "m=audio 4000 RTP/AVP 0 98\r\n"));
	out = answer_ok(&o);
	codec_lines(out, got, sizeof(got));
	assert_string_equal(got,
			    "96 97|a=rtpmap:96 opus/48000/2|a=rtpmap:97 telephone-event/48000");
	free(out);
	plan_text(media_of("cr", "A", 0), got, sizeof(got));
	assert_string_equal(got, "0>96/0 ev 98@8000>97@48000");
	plan_text(media_of("cr", "B", 0), got, sizeof(got));
	assert_string_equal(got, "96>0/0 ev 97@48000>98@8000");
	/* the caller re-offers, no codec options: the callee is offered opus again */
	o = req("cr", "A", "B",
		sdp_text(a, sizeof(a), "alice", 3, CALLER_IP,
			 "m=audio 4000 RTP/AVP 0 101\r\n" TE8));
	out = offer_ok(&o);
	codec_lines(out, got, sizeof(got));
	assert_non_null(strstr(got, "a=rtpmap:96 opus/48000/2"));
	free(out);
}

#define T(f)		cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_SMALL_POOL(f) cmocka_unit_test_setup_teardown(f, setup_small, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_offer_creates_call),
		T(test_call_list),
		T(test_answer),
		T(test_rtcp_mux),
		T(test_sdp_addresses),
		T(test_reoffer_keeps_ports),
		T(test_reoffer_from_callee),
		T(test_forking_latest_answer_wins),
		T(test_offer_rejected_media),
		T(test_answer_rejects_media),
		T(test_offer_errors),
		T(test_answer_errors),
		T_SMALL_POOL(test_out_of_ports),
		T(test_delete),
		T(test_delete_again),
		T(test_delete_errors),
		T(test_timeouts),
		T(test_signal_restarts_timeout),
		T(test_sdp_version),
		T(test_replace_origin),
		T(test_codec_negotiation),
		T(test_codec_errors),
		T(test_codec_reoffer),
		T(test_failed_answer_changes_nothing),
		T(test_force_version_from_zero),
	};

	log_init(LOG_WARNING, true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
