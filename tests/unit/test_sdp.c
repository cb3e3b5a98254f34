// SPDX-License-Identifier: GPL-2.0-only
/* SDP model: byte-exact round trips, parsed fields, every rewrite rule against exact output
 * text, limits and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

static void assert_zeroed(const struct sdp *s)
{
	static const struct sdp zero;

	assert_memory_equal(s, &zero, sizeof(zero));
}

/* Parses in, prints, compares with want; then checks the print is a fixpoint. */
static void check_print(const char *in, size_t in_len, const char *want)
{
	struct sdp s, again;
	const char *err = NULL;
	char *out, *out2;
	size_t len, len2;

	if (sdp_parse(&s, in, in_len, &err))
		fail_msg("parse failed: %s\n%s", err, in);
	out = sdp_print(&s, &len);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(sdp_parse(&again, out, len, &err), 0);
	out2 = sdp_print(&again, &len2);
	assert_string_equal(out2, out);
	free(out2);
	free(out);
	sdp_free(&again);
	sdp_free(&s);
	assert_zeroed(&s);
}

/* ---- round trips ---- */

static const char *const roundtrips[] = {
	/* plain audio */
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.1\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n",
	/* audio + video, with i=, b=, k=, custom letters and x- attributes */
	"v=0\r\n"
	"o=- 20518 0 IN IP4 203.0.113.1\r\n"
	"s=call\r\n"
	"i=a test call\r\n"
	"u=http://example.com/x\r\n"
	"e=ops@example.com\r\n"
	"c=IN IP4 203.0.113.1\r\n"
	"b=CT:384\r\n"
	"t=0 0\r\n"
	"y=custom session line\r\n"
	"a=x-nortel:1\r\n"
	"m=audio 54400 RTP/SAVP 0 96\r\n"
	"i=voice\r\n"
	"b=AS:64\r\n"
	"k=prompt\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 minptime=10;useinbandfec=1\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
	"m=video 55400 RTP/AVP 97\r\n"
	"b=AS:512\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 profile-level-id=42e01f\r\n"
	"Z=upper-case letter\r\n",
	/* IPv6 everywhere, upper-case hex kept as written */
	"v=0\r\n"
	"o=bob 1 2 IN IP6 2001:DB8::1\r\n"
	"s=-\r\n"
	"c=IN IP6 2001:DB8::1\r\n"
	"t=0 0\r\n"
	"m=audio 6000 RTP/AVP 0\r\n"
	"a=rtcp:6001 IN IP6 2001:db8::2\r\n",
	/* hold: sendonly, inactive, old-style 0.0.0.0 */
	"v=0\r\n"
	"o=- 1 2 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 0\r\n"
	"a=sendonly\r\n"
	"m=video 4002 RTP/AVP 96\r\n"
	"a=inactive\r\n",
	/* rtcp-mux and a=rtcp with an address */
	"v=0\r\n"
	"o=- 1 2 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 0\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"a=rtcp:4000\r\n"
	"a=rtcp-mux\r\n"
	"m=audio 5000 RTP/AVP 8\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"a=rtcp:5001 IN IP4 192.0.2.9\r\n",
	/* a rejected m= line */
	"v=0\r\n"
	"o=- 1 2 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 0\r\n"
	"m=video 0 RTP/AVP 31\r\n",
	/* WebRTC-like */
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS stream\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:842163049 1 udp 1677729535 198.51.100.7 46154 typ srflx raddr 10.0.0.5 rport "
	"46154 generation 0\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 "
	"D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:"
	"E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=mid:1\r\n"
	"a=rtcp-mux\r\n",
	/* spacing and forms the printer must not normalise */
	"v=0\r\n"
	"o=-  1   2 IN IP4 192.0.2.1 \r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"m=audio  4000 RTP/AVP  0 8 \r\n"
	"c=IN IP4 224.2.1.1/127/3\r\n"
	"m=audio 04002/2 RTP/AVP 0\r\n"
	"c=IN IP6 FF15::101/3\r\n",
	/* an o= address that is a host name */
	"v=0\r\n"
	"o=- 1 2 IN IP4 host.example.com\r\n"
	"s=-\r\n"
	"t=0 0\r\n",
	/* only a v= line; a v= line later on is just a line */
	"v=0\r\n",
	"v=0\r\n"
	"v=1\r\n"
	"m=audio 1 RTP/AVP 0\r\n"
	"o=not an origin\r\n",
};

static void test_roundtrip(void **state)
{
	for (size_t i = 0; i < sizeof(roundtrips) / sizeof(roundtrips[0]); i++)
		check_print(roundtrips[i], strlen(roundtrips[i]), roundtrips[i]);
}

/* Inputs that print differently: other line ends. */
static const struct {
	const char *in, *out;
} reprints[] = {
	{"v=0\ns=-\nm=audio 4 RTP/AVP 0\na=x\n", "v=0\r\n"
						 "s=-\r\n"
						 "m=audio 4 RTP/AVP 0\r\n"
						 "a=x\r\n"},
	{"v=0\r\ns=-", "v=0\r\n"
		       "s=-\r\n"},
	{"v=0\ns=-\r\nt=0 0", "v=0\r\n"
			      "s=-\r\n"
			      "t=0 0\r\n"},
	{"v=0\r\ns=-\r\n\r\n", "v=0\r\n"
			       "s=-\r\n"},
	{"v=0\ns=-\n\n\n", "v=0\r\n"
			   "s=-\r\n"},
	/* a lone CR inside a line is text */
	{"v=0\r\na=x\ry\r\n", "v=0\r\n"
			      "a=x\ry\r\n"},
};

static void test_reprint(void **state)
{
	for (size_t i = 0; i < sizeof(reprints) / sizeof(reprints[0]); i++)
		check_print(reprints[i].in, strlen(reprints[i].in), reprints[i].out);
}

/* ---- parsed fields ---- */

struct media_want {
	const char *type;
	uint16_t port;
	unsigned int num_ports;
	const char *proto, *fmts;
	const char *conn; /* NULL: absent */
	uint16_t rtcp_port;
	const char *rtcp_conn;
	bool mux;
	enum sdp_dir dir, applied_dir;
	const char *applied_conn;
	size_t n_lines;
};

static const struct {
	const char *name, *sdp;
	const char *user, *sess_id;
	unsigned long long version;
	const char *origin_addr, *conn;
	enum sdp_dir dir;
	size_t n_lines, n_media;
	struct media_want media[3];
} field_cases[] = {
	{"audio+video",
	 "v=0\r\n"
	 "o=alice 2890844526 18446744073709551615 IN IP4 198.51.100.1\r\n"
	 "s=-\r\n"
	 "c=IN IP4 198.51.100.1\r\n"
	 "t=0 0\r\n"
	 "m=audio 49170/2 RTP/AVP 0 8 101\r\n"
	 "a=rtcp:53020 IN IP4 198.51.100.2\r\n"
	 "a=rtcp:1\r\n"
	 "a=recvonly\r\n"
	 "a=sendonly\r\n"
	 "m=video 0 RTP/SAVPF 96 97\r\n"
	 "c=IN IP6 ::1\r\n"
	 "a=rtcp-mux\r\n"
	 "a=inactive\r\n",
	 "alice",
	 "2890844526",
	 18446744073709551615ULL,
	 "198.51.100.1",
	 "198.51.100.1",
	 SDP_DIR_NONE,
	 5,
	 2,
	 {{"audio", 49170, 2, "RTP/AVP", "0 8 101", NULL, 53020, "198.51.100.2", false,
	   SDP_RECVONLY, SDP_RECVONLY, "198.51.100.1", 4},
	  {"video", 0, 0, "RTP/SAVPF", "96 97", "::1", 0, NULL, true, SDP_INACTIVE, SDP_INACTIVE,
	   "::1", 3}}},
	{"old hold, session direction",
	 "v=0\r\n"
	 "o=- 1 2 IN IP4 host.example\r\n"
	 "s=-\r\n"
	 "c=IN IP4 0.0.0.0\r\n"
	 "t=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "m=audio 4002 RTP/AVP 0\r\n"
	 "c=IN IP4 192.0.2.3\r\n"
	 "m=audio 4004 RTP/AVP 0\r\n"
	 "a=recvonly\r\n",
	 "-",
	 "1",
	 2,
	 NULL,
	 "0.0.0.0",
	 SDP_DIR_NONE,
	 5,
	 3,
	 {{"audio", 4000, 0, "RTP/AVP", "0", NULL, 0, NULL, false, SDP_DIR_NONE, SDP_SENDONLY,
	   "0.0.0.0", 0},
	  {"audio", 4002, 0, "RTP/AVP", "0", "192.0.2.3", 0, NULL, false, SDP_DIR_NONE,
	   SDP_SENDRECV, "192.0.2.3", 1},
	  {"audio", 4004, 0, "RTP/AVP", "0", NULL, 0, NULL, false, SDP_RECVONLY, SDP_RECVONLY,
	   "0.0.0.0", 1}}},
	{"session direction applies; no c= at all; m= without formats",
	 "v=0\r\n"
	 "o=u s 0 IN IP6 2001:db8::7\r\n"
	 "a=sendonly\r\n"
	 "a=inactive\r\n"
	 "m=application 5 TCP\r\n"
	 "m=audio 6 RTP/AVP 0\r\n"
	 "a=sendrecv\r\n",
	 "u",
	 "s",
	 0,
	 "2001:db8::7",
	 NULL,
	 SDP_SENDONLY,
	 4,
	 2,
	 {{"application", 5, 0, "TCP", "", NULL, 0, NULL, false, SDP_DIR_NONE, SDP_SENDONLY, NULL,
	   0},
	  {"audio", 6, 0, "RTP/AVP", "0", NULL, 0, NULL, false, SDP_SENDRECV, SDP_SENDRECV, NULL,
	   1}}},
};

static void assert_conn(const struct sdp_conn *c, const char *want)
{
	char ip[INET6_ADDRSTRLEN];

	if (!want) {
		assert_false(c && c->present);
		return;
	}
	assert_non_null(c);
	assert_true(c->present);
	assert_int_equal(ep_port(&c->addr), 0);
	assert_string_equal(ep_ip_str(&c->addr, ip, sizeof(ip)), want);
}

static void test_fields(void **state)
{
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const char *err = NULL;
		struct sdp s;

		print_message("case %s\n", field_cases[i].name);
		assert_int_equal(
			sdp_parse(&s, field_cases[i].sdp, strlen(field_cases[i].sdp), &err), 0);
		assert_string_equal(s.origin_user, field_cases[i].user);
		assert_string_equal(s.origin_sess_id, field_cases[i].sess_id);
		assert_true(s.origin_version == field_cases[i].version);
		assert_conn(&s.origin_addr, field_cases[i].origin_addr);
		assert_conn(&s.conn, field_cases[i].conn);
		assert_int_equal(s.dir, field_cases[i].dir);
		assert_int_equal(s.n_lines, field_cases[i].n_lines);
		assert_int_equal(s.n_media, field_cases[i].n_media);
		for (size_t k = 0; k < s.n_media; k++) {
			const struct media_want *w = &field_cases[i].media[k];
			const struct sdp_media *m = &s.media[k];

			assert_string_equal(m->type, w->type);
			assert_int_equal(m->port, w->port);
			assert_int_equal(m->num_ports, w->num_ports);
			assert_string_equal(m->proto, w->proto);
			assert_string_equal(m->fmts, w->fmts);
			assert_conn(&m->conn, w->conn);
			assert_int_equal(m->rtcp_port, w->rtcp_port);
			assert_conn(&m->rtcp_conn, w->rtcp_conn);
			assert_int_equal(m->rtcp_mux, w->mux);
			assert_int_equal(m->dir, w->dir);
			assert_int_equal(sdp_media_dir(&s, m), w->applied_dir);
			assert_conn(sdp_media_conn(&s, m), w->applied_conn);
			assert_int_equal(m->n_lines, w->n_lines);
		}
		sdp_free(&s);
	}
}

static void test_dir_name(void **state)
{
	static const struct {
		enum sdp_dir d;
		const char *name;
	} names[] = {
		{SDP_DIR_NONE, "none"},	    {SDP_SENDRECV, "sendrecv"},
		{SDP_SENDONLY, "sendonly"}, {SDP_RECVONLY, "recvonly"},
		{SDP_INACTIVE, "inactive"}, {(enum sdp_dir)42, "unknown"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(sdp_dir_name(names[i].d), names[i].name);
}

/* Fields changed by hand show in the o= and m= lines. */
static void test_fields_print(void **state)
{
	static const char in[] = "v=0\r\n"
				 "o=-  1 2 IN IP4 host.example\r\n"
				 "s=-\r\n"
				 "m=audio  4000/2 RTP/AVP  0 8\r\n"
				 "a=x\r\n";
	static const char want[] = "v=0\r\n"
				   "o=- 1 3 IN IP4 host.example\r\n"
				   "s=-\r\n"
				   "m=video 5000 RTP/AVP 0 8\r\n"
				   "a=x\r\n";
	static const char want2[] = "v=0\r\n"
				    "o=- 1 3 IN IP6 2001:db8::1\r\n"
				    "s=-\r\n"
				    "m=video 5000 RTP/AVP 0 8\r\n"
				    "a=x\r\n";
	struct sdp s;
	char *out;

	assert_int_equal(sdp_parse(&s, in, strlen(in), NULL), 0);
	s.origin_version = 3;
	strcpy(s.media[0].type, "video");
	s.media[0].port = 5000;
	s.media[0].num_ports = 0;
	out = sdp_print(&s, NULL);
	assert_string_equal(out, want);
	free(out);
	s.origin_addr.present = true;
	assert_int_equal(ep_parse_ip(&s.origin_addr.addr, "2001:db8::1"), 0);
	out = sdp_print(&s, NULL);
	assert_string_equal(out, want2);
	free(out);
	sdp_free(&s);
}

/* ---- rewrite ---- */

struct rw_media {
	bool rejected;
	const char *addr;
	bool keep_any;
	uint16_t rtp, rtcp;
	bool mux;
	enum sdp_dir dir;
};

#define SESSION4                       \
	"v=0\r\n"                      \
	"o=- 1 2 IN IP4 192.0.2.1\r\n" \
	"s=-\r\n"                      \
	"c=IN IP4 192.0.2.1\r\n"       \
	"t=0 0\r\n"
/* SESSION4 after a rewrite: the session c= says the first kept media's relay address. */
#define OUT_SESSION(ipver, addr)       \
	"v=0\r\n"                      \
	"o=- 1 2 IN IP4 192.0.2.1\r\n" \
	"s=-\r\n"                      \
	"c=IN " ipver " " addr "\r\n"  \
	"t=0 0\r\n"
#define OUT_SESSION4 OUT_SESSION("IP4", RELAY4)
#define OUT_SESSION6 OUT_SESSION("IP6", RELAY6)

#define RELAY4 "203.0.113.5"
#define RELAY6 "2001:db8::5"

static const struct {
	const char *name;
	const char *in;
	bool replace_origin, set_version;
	unsigned long long version;
	size_t n_media;
	struct rw_media media[3];
	const char *want;
} rewrites[] = {
	{"plain audio: c= added after m=, a=rtcp appended, origin and version",
	 "v=0\r\n"
	 "o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n"
	 "s=-\r\n"
	 "c=IN IP4 198.51.100.1\r\n"
	 "t=0 0\r\n"
	 "m=audio 49170 RTP/AVP 0 8\r\n"
	 "a=rtpmap:0 PCMU/8000\r\n"
	 "a=sendrecv\r\n",
	 true,
	 true,
	 2890844527ULL,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_DIR_NONE}},
	 "v=0\r\n"
	 "o=alice 2890844526 2890844527 IN IP4 203.0.113.5\r\n"
	 "s=-\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "t=0 0\r\n"
	 "m=audio 30000 RTP/AVP 0 8\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "a=rtpmap:0 PCMU/8000\r\n"
	 "a=sendrecv\r\n"
	 "a=rtcp:30001\r\n"},
	{"c= and a=rtcp replaced in place, rtcp-mux removed, direction replaced",
	 "v=0\r\n"
	 "o=- 1 1 IN IP4 192.0.2.1\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "i=voice\r\n"
	 "b=AS:64\r\n"
	 "c=IN IP4 192.0.2.1\r\n"
	 "a=rtcp:4001 IN IP4 192.0.2.1\r\n"
	 "a=rtcp-mux\r\n"
	 "a=sendonly\r\n"
	 "a=ptime:20\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_RECVONLY}},
	 "v=0\r\n"
	 "o=- 1 1 IN IP4 192.0.2.1\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio 30000 RTP/AVP 0\r\n"
	 "i=voice\r\n"
	 "b=AS:64\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "a=rtcp:30001\r\n"
	 "a=recvonly\r\n"
	 "a=ptime:20\r\n"},
	{"c= after i=; muxed: a=rtcp:RTP_PORT then a=rtcp-mux; direction appended",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "i=voice\r\n"
		  "b=AS:64\r\n"
		  "a=rtpmap:0 PCMU/8000\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 0, true, SDP_SENDRECV}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "i=voice\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "b=AS:64\r\n"
		      "a=rtpmap:0 PCMU/8000\r\n"
		      "a=rtcp:30000\r\n"
		      "a=rtcp-mux\r\n"
		      "a=sendrecv\r\n"},
	{"muxed offer keeping a separate RTCP port (RFC 5761 fallback)",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30001, true, SDP_DIR_NONE}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=rtcp:30001\r\n"
		      "a=rtcp-mux\r\n"},
	{"muxed: existing a=rtcp-mux kept where it is",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "c=IN IP4 192.0.2.1\r\n"
		  "a=rtcp-mux\r\n"
		  "a=rtcp:4000\r\n"
		  "a=ptime:20\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30000, true, SDP_DIR_NONE}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=rtcp-mux\r\n"
		      "a=rtcp:30000\r\n"
		      "a=ptime:20\r\n"},
	{"muxed: a=rtcp-mux inserted right after the existing a=rtcp",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "a=rtcp:4001\r\n"
		  "a=ptime:20\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30000, true, SDP_DIR_NONE}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=rtcp:30000\r\n"
		      "a=rtcp-mux\r\n"
		      "a=ptime:20\r\n"},
	{"audio+video, IPv6 relay: session c= and o= follow the first media",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "m=video 4002 RTP/AVP 96\r\n"
		  "c=IN IP4 192.0.2.1\r\n",
	 true,
	 false,
	 0,
	 2,
	 {{false, RELAY6, false, 30000, 30001, false, SDP_DIR_NONE},
	  {false, "198.51.100.9", false, 30002, 30003, false, SDP_DIR_NONE}},
	 "v=0\r\n"
	 "o=- 1 2 IN IP6 2001:db8::5\r\n"
	 "s=-\r\n"
	 "c=IN IP6 2001:db8::5\r\n"
	 "t=0 0\r\n"
	 "m=audio 30000 RTP/AVP 0\r\n"
	 "c=IN IP6 2001:db8::5\r\n"
	 "a=rtcp:30001\r\n"
	 "m=video 30002 RTP/AVP 96\r\n"
	 "c=IN IP4 198.51.100.9\r\n"
	 "a=rtcp:30003\r\n"},
	{"rejected first media: port 0 only; session c= and o= take the second",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "c=IN IP4 192.0.2.7\r\n"
		  "a=rtcp:4001\r\n"
		  "a=sendonly\r\n"
		  "m=video 4002 RTP/AVP 96\r\n",
	 true,
	 true,
	 3,
	 2,
	 {{true, NULL, false, 0, 0, false, SDP_DIR_NONE},
	  {false, RELAY4, false, 30002, 30003, false, SDP_INACTIVE}},
	 "v=0\r\n"
	 "o=- 1 3 IN IP4 203.0.113.5\r\n"
	 "s=-\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "t=0 0\r\n"
	 "m=audio 0 RTP/AVP 0\r\n"
	 "c=IN IP4 192.0.2.7\r\n"
	 "a=rtcp:4001\r\n"
	 "a=sendonly\r\n"
	 "m=video 30002 RTP/AVP 96\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "a=rtcp:30003\r\n"
	 "a=inactive\r\n"},
	{"every media rejected: session c= and o= address left alone",
	 SESSION4 "m=audio 4000/2 RTP/AVP 0\r\n"
		  "m=video 4002 RTP/AVP 96\r\n",
	 true,
	 true,
	 9,
	 2,
	 {{true, NULL, false, 0, 0, false, SDP_DIR_NONE},
	  {true, NULL, false, 0, 0, false, SDP_DIR_NONE}},
	 "v=0\r\n"
	 "o=- 1 9 IN IP4 192.0.2.1\r\n"
	 "s=-\r\n"
	 "c=IN IP4 192.0.2.1\r\n"
	 "t=0 0\r\n"
	 "m=audio 0/2 RTP/AVP 0\r\n"
	 "m=video 0 RTP/AVP 96\r\n"},
	{"hold kept: media c=0.0.0.0 stays, a=rtcp names the IPv6 relay",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "c=IN IP4 0.0.0.0\r\n"
		  "a=sendonly\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY6, true, 30000, 30001, false, SDP_DIR_NONE}},
	 OUT_SESSION6 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 0.0.0.0\r\n"
		      "a=sendonly\r\n"
		      "a=rtcp:30001 IN IP6 2001:db8::5\r\n"},
	{"hold kept from the session c=: media gets c=0.0.0.0, session c= the relay",
	 "v=0\r\n"
	 "o=- 1 2 IN IP4 192.0.2.1\r\n"
	 "s=-\r\n"
	 "c=IN IP4 0.0.0.0\r\n"
	 "t=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, true, 30000, 30001, false, SDP_DIR_NONE}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 0.0.0.0\r\n"
		      "a=rtcp:30001\r\n"},
	{"keep_any_addr on a media that is not on hold: any address of the relay family",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY6, true, 30000, 30001, false, SDP_DIR_NONE}},
	 OUT_SESSION6 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP6 ::\r\n"
		      "a=rtcp:30001\r\n"},
	{"IPv6 relay for IPv4 media: no address on a=rtcp",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "c=IN IP4 192.0.2.1\r\n"
		  "a=rtcp:4001 IN IP4 192.0.2.1\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY6, false, 30000, 30001, false, SDP_DIR_NONE}},
	 OUT_SESSION6 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP6 2001:db8::5\r\n"
		      "a=rtcp:30001\r\n"},
	{"duplicate c=, a=rtcp, a=rtcp-mux and direction lines collapse to the first place",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "a=sendonly\r\n"
		  "c=IN IP4 192.0.2.1\r\n"
		  "a=rtcp:4001\r\n"
		  "c=IN IP4 192.0.2.2\r\n"
		  "a=rtcp:4003\r\n"
		  "a=inactive\r\n"
		  "a=rtcp-mux\r\n"
		  "a=rtcp-mux\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_SENDRECV}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "a=sendrecv\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=rtcp:30001\r\n"},
	{"session direction untouched, media direction appended",
	 SESSION4 "a=sendonly\r\n"
		  "m=audio 4000 RTP/AVP 0\r\n"
		  "a=ptime:20\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_RECVONLY}},
	 OUT_SESSION4 "a=sendonly\r\n"
		      "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=ptime:20\r\n"
		      "a=rtcp:30001\r\n"
		      "a=recvonly\r\n"},
	{"no RTCP port and no mux: a=rtcp removed",
	 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
		  "a=rtcp:4001\r\n"
		  "a=ptime:20\r\n",
	 false,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 0, false, SDP_DIR_NONE}},
	 OUT_SESSION4 "m=audio 30000 RTP/AVP 0\r\n"
		      "c=IN IP4 203.0.113.5\r\n"
		      "a=ptime:20\r\n"},
	{"o= host name: version only keeps it, m= spacing normalised, /N kept",
	 "v=0\r\n"
	 "o=-  1  2 IN IP4 host.example\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio  4000/2 RTP/AVP  0 8\r\n"
	 "c=IN IP4 192.0.2.1\r\n",
	 false,
	 true,
	 18446744073709551615ULL,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_DIR_NONE}},
	 "v=0\r\n"
	 "o=- 1 18446744073709551615 IN IP4 host.example\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio 30000/2 RTP/AVP 0 8\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "a=rtcp:30001\r\n"},
	{"o= host name replaced by the relay address",
	 "v=0\r\n"
	 "o=- 1 2 IN IP4 host.example\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n",
	 true,
	 false,
	 0,
	 1,
	 {{false, RELAY4, false, 30000, 30001, false, SDP_DIR_NONE}},
	 "v=0\r\n"
	 "o=- 1 2 IN IP4 203.0.113.5\r\n"
	 "s=-\r\n"
	 "t=0 0\r\n"
	 "m=audio 30000 RTP/AVP 0\r\n"
	 "c=IN IP4 203.0.113.5\r\n"
	 "a=rtcp:30001\r\n"},
	{"no o= line, no session c=, no media",
	 "v=0\r\n"
	 "s=-\r\n",
	 true,
	 true,
	 5,
	 0,
	 {{0}},
	 "v=0\r\n"
	 "s=-\r\n"},
};

static void fill_rewrite(struct sdp_rewrite *rw, struct sdp_rewrite_media *media,
			 const struct rw_media *in, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		memset(&media[k], 0, sizeof(media[k]));
		media[k].rejected = in[k].rejected;
		if (in[k].addr) {
			assert_int_equal(ep_parse_ip(&media[k].addr, in[k].addr), 0);
			ep_set_port(&media[k].addr, 1234); /* ignored */
		}
		media[k].keep_any_addr = in[k].keep_any;
		media[k].rtp_port = in[k].rtp;
		media[k].rtcp_port = in[k].rtcp;
		media[k].rtcp_mux = in[k].mux;
		media[k].dir = in[k].dir;
	}
	rw->n_media = n;
	rw->media = media;
}

/* The model after a rewrite says what its print says. */
static void assert_same_model(const struct sdp *a, const struct sdp *b)
{
	assert_string_equal(a->origin_user, b->origin_user);
	assert_true(a->origin_version == b->origin_version);
	assert_int_equal(a->origin_addr.present, b->origin_addr.present);
	if (a->origin_addr.present)
		assert_true(ep_addr_eq(&a->origin_addr.addr, &b->origin_addr.addr));
	assert_int_equal(a->conn.present, b->conn.present);
	if (a->conn.present)
		assert_true(ep_eq(&a->conn.addr, &b->conn.addr));
	assert_int_equal(a->n_lines, b->n_lines);
	assert_int_equal(a->n_media, b->n_media);
	for (size_t k = 0; k < a->n_media; k++) {
		const struct sdp_media *x = &a->media[k], *y = &b->media[k];

		assert_int_equal(x->port, y->port);
		assert_int_equal(x->num_ports, y->num_ports);
		assert_int_equal(x->conn.present, y->conn.present);
		if (x->conn.present)
			assert_true(ep_eq(&x->conn.addr, &y->conn.addr));
		assert_int_equal(x->rtcp_port, y->rtcp_port);
		assert_int_equal(x->rtcp_conn.present, y->rtcp_conn.present);
		if (x->rtcp_conn.present)
			assert_true(ep_eq(&x->rtcp_conn.addr, &y->rtcp_conn.addr));
		assert_int_equal(x->rtcp_mux, y->rtcp_mux);
		assert_int_equal(x->dir, y->dir);
		assert_int_equal(x->n_lines, y->n_lines);
	}
}

static void test_rewrite(void **state)
{
	for (size_t i = 0; i < sizeof(rewrites) / sizeof(rewrites[0]); i++) {
		struct sdp_rewrite_media media[3];
		struct sdp_rewrite rw = {0};
		struct sdp s, again;
		char *out;
		size_t len;

		print_message("case %s\n", rewrites[i].name);
		assert_int_equal(sdp_parse(&s, rewrites[i].in, strlen(rewrites[i].in), NULL), 0);
		fill_rewrite(&rw, media, rewrites[i].media, rewrites[i].n_media);
		rw.replace_origin = rewrites[i].replace_origin;
		rw.set_version = rewrites[i].set_version;
		rw.version = rewrites[i].version;
		assert_int_equal(sdp_rewrite(&s, &rw), 0);
		out = sdp_print(&s, &len);
		assert_string_equal(out, rewrites[i].want);
		assert_int_equal(sdp_parse(&again, out, len, NULL), 0);
		assert_same_model(&s, &again);
		free(out);
		sdp_free(&again);
		sdp_free(&s);
	}
}

/* The m= protocol and the a=crypto lines (SDES): replaced where the first one was. */
static void test_rewrite_crypto(void **state)
{
	static const char *const two[] = {"1 AES_CM_128_HMAC_SHA1_80 inline:QUFB",
					  "2 AEAD_AES_256_GCM inline:QkJC"};
	static const struct {
		const char *name, *in, *proto;
		size_t n;
		const char *want;
	} cases[] = {
		{"three lines become two, in place, protocol kept",
		 SESSION4 "m=audio 4000 RTP/SAVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n"
			  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WFhY\r\n"
			  "a=ptime:20\r\n"
			  "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVlZ\r\n"
			  "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:Wlpa\r\n",
		 NULL, 2,
		 OUT_SESSION4 "m=audio 30000 RTP/SAVP 0\r\n"
			      "c=IN IP4 " RELAY4 "\r\n"
			      "a=rtpmap:0 PCMU/8000\r\n"
			      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUFB\r\n"
			      "a=crypto:2 AEAD_AES_256_GCM inline:QkJC\r\n"
			      "a=ptime:20\r\n"
			      "a=rtcp:30001\r\n"},
		{"plain to SRTP: lines appended, protocol set",
		 SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n",
		 "RTP/SAVP", 2,
		 OUT_SESSION4 "m=audio 30000 RTP/SAVP 0\r\n"
			      "c=IN IP4 " RELAY4 "\r\n"
			      "a=rtpmap:0 PCMU/8000\r\n"
			      "a=rtcp:30001\r\n"
			      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUFB\r\n"
			      "a=crypto:2 AEAD_AES_256_GCM inline:QkJC\r\n"},
		{"SRTP to plain: every line removed",
		 SESSION4 "m=audio 4000 RTP/SAVPF 0\r\n"
			  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WFhY\r\n"
			  "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVlZ\r\n",
		 "RTP/AVPF", 0,
		 OUT_SESSION4 "m=audio 30000 RTP/AVPF 0\r\n"
			      "c=IN IP4 " RELAY4 "\r\n"
			      "a=rtcp:30001\r\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rw_media rm = {false, RELAY4, false, 30000, 30001, false, SDP_DIR_NONE};
		struct sdp_rewrite_media media[1];
		struct sdp_rewrite rw = {0};
		struct sdp s, again;
		size_t len;
		char *out;

		print_message("case %s\n", cases[i].name);
		assert_int_equal(sdp_parse(&s, cases[i].in, strlen(cases[i].in), NULL), 0);
		fill_rewrite(&rw, media, &rm, 1);
		media[0].proto = cases[i].proto;
		media[0].set_crypto = true;
		media[0].crypto = two;
		media[0].n_crypto = cases[i].n;
		assert_int_equal(sdp_rewrite(&s, &rw), 0);
		out = sdp_print(&s, &len);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(sdp_parse(&again, out, len, NULL), 0);
		assert_same_model(&s, &again);
		free(out);
		sdp_free(&again);
		sdp_free(&s);
	}
}

static void test_clock_rate(void **state)
{
	static const struct {
		const char *media;
		unsigned int want;
	} cases[] = {
		{"m=audio 4000 RTP/AVP 0 8\r\n", 8000},
		{"m=audio 4000 RTP/AVP 111 0\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:111 opus/48000/2\r\n",
		 48000},
		{"m=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n", 8000},
		{"m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 L16/16000\r\n", 16000},
		{"m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 L16/0\r\n", 8000},
		{"m=video 4000 RTP/AVP 96\r\n", 90000},
		{"m=application 4000 UDP/BFCP *\r\n", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[512];
		struct sdp s;

		snprintf(in, sizeof(in), SESSION4 "%s", cases[i].media);
		print_message("case %s", cases[i].media);
		assert_int_equal(sdp_parse(&s, in, strlen(in), NULL), 0);
		assert_int_equal(sdp_media_clock_rate(&s.media[0]), cases[i].want);
		sdp_free(&s);
	}
}

/* ---- codec options ---- */

/* Fills l from a comma-separated list (names point into csv, which must outlive l). */
static void codec_names(struct sdp_codec_list *l, const char *csv)
{
	while (csv && *csv) {
		const char *comma = strchr(csv, ',');
		size_t len = comma ? (size_t)(comma - csv) : strlen(csv);

		assert_int_equal(sdp_codec_list_add(l, csv, len), 0);
		csv = comma ? comma + 1 : NULL;
	}
}

/* Copies tmpl into out with its "%s" (if any) replaced by ins. */
static void subst(char *out, size_t size, const char *tmpl, const char *ins)
{
	const char *at = strstr(tmpl, "%s");

	if (!at)
		snprintf(out, size, "%s", tmpl);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - tmpl), tmpl, ins, at + 2);
}

static void test_codecs(void **state)
{
	static const char te[] = "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-15\r\n";
	static const char opus[] = "m=audio 4000 RTP/AVPF 111 0 8\r\n"
				   "a=rtpmap:111 opus/48000/2\r\n"
				   "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
				   "a=rtcp-fb:111 transport-cc\r\n"
				   "a=rtcp-fb:* nack\r\n"
				   "a=ptime:20\r\n";
	static const struct {
		const char *strip, *mask, *except, *offer;
		const char *media, *want; /* want NULL: the empty-result error */
	} cases[] = {
		/* a static type without rtpmap, by its RFC 3551 name; other lines stay */
		{"PCMA", NULL, NULL, NULL, "m=audio 4000 RTP/AVP 0 8 101\r\n",
		 "m=audio 4000 RTP/AVP 0 101\r\n"},
		{"pcma", NULL, NULL, NULL, "m=audio 4000 RTP/AVP 0 8 101\r\n%sa=ptime:20\r\n",
		 "m=audio 4000 RTP/AVP 0 101\r\n%sa=ptime:20\r\n"},
		/* a static type with its rtpmap: the line goes too */
		{"PCMA", NULL, NULL, NULL,
		 "m=audio 4000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n",
		 "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"},
		/* a dynamic type: rtpmap and fmtp go, a=ptime stays */
		{"telephone-event", NULL, NULL, NULL,
		 "m=audio 4000 RTP/AVP 0 8 101\r\n%sa=ptime:20\r\n",
		 "m=audio 4000 RTP/AVP 0 8\r\na=ptime:20\r\n"},
		{"G729", NULL, NULL, NULL,
		 "m=audio 4000 RTP/AVP 18 0\r\na=fmtp:18 annexb=no\r\na=sendrecv\r\n",
		 "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n"},
		/* rtcp-fb of the type goes, rtcp-fb:* stays */
		{"OPUS", NULL, NULL, NULL, opus,
		 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		{"opus/48000/2", NULL, NULL, NULL, opus,
		 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		{"opus/48000", NULL, NULL, NULL, opus,
		 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		/* format parameters: each one given must be among the codec's */
		{"opus/48000/2///useinbandfec=1", NULL, NULL, NULL, opus,
		 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		{"opus/////useinbandfec=1; minptime=10", NULL, NULL, NULL, opus,
		 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		{"opus/////useinbandfec=0", NULL, NULL, NULL, opus, opus},
		{"opus/////stereo=1", NULL, NULL, NULL, opus, opus},
		/* full names that do not match: nothing changes */
		{"opus/48000/1,opus/16000,PCMU/16000", NULL, NULL, NULL, opus, opus},
		{"G722", NULL, NULL, NULL, opus, opus},
		/* a type number inside another one's attribute is not the same type */
		{"PCMA", NULL, NULL, NULL,
		 "m=audio 4000 RTP/AVP 8 80\r\na=rtpmap:80 foo/8000\r\na=fmtp:80 x\r\n",
		 "m=audio 4000 RTP/AVP 80\r\na=rtpmap:80 foo/8000\r\na=fmtp:80 x\r\n"},
		/* all + except: the listed ones stay, in place */
		{"all", NULL, "telephone-event,PCMU", NULL, "m=audio 4000 RTP/AVP 8 0 18 101\r\n%s",
		 "m=audio 4000 RTP/AVP 0 101\r\n%s"},
		{"ALL", NULL, "pcmu", NULL, opus,
		 "m=audio 4000 RTP/AVPF 0\r\na=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		/* all + offer: the listed ones stay, first, in the list's order */
		{"all", NULL, NULL, "PCMA,opus", opus,
		 "m=audio 4000 RTP/AVPF 8 111\r\na=rtpmap:111 opus/48000/2\r\n"
		 "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtcp-fb:111 transport-cc\r\n"
		 "a=rtcp-fb:* nack\r\na=ptime:20\r\n"},
		/* offer alone strips nothing but orders */
		{NULL, NULL, NULL, "PCMA", "m=audio 4000 RTP/AVP 0 8 101\r\n",
		 "m=audio 4000 RTP/AVP 8 0 101\r\n"},
		/* mask: out of the offer (the relay still takes it from the offerer) */
		{NULL, "PCMU", NULL, NULL, "m=audio 4000 RTP/AVP 0 8 101\r\n",
		 "m=audio 4000 RTP/AVP 8 101\r\n"},
		{NULL, "full", "PCMA", NULL, "m=audio 4000 RTP/AVP 0 8 101\r\n",
		 "m=audio 4000 RTP/AVP 8\r\n"},
		/* video: no channels */
		{"h264", NULL, NULL, NULL,
		 "m=video 4002 RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
		 "a=fmtp:97 profile-level-id=42e01f\r\n",
		 "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"},
		/* left alone: rejected, not RTP, empty options */
		{"all", NULL, NULL, NULL, "m=audio 0 RTP/AVP 0\r\n", "m=audio 0 RTP/AVP 0\r\n"},
		{"all", NULL, NULL, NULL, "m=application 4000 UDP/BFCP *\r\n",
		 "m=application 4000 UDP/BFCP *\r\n"},
		{NULL, NULL, NULL, NULL, "m=audio 4000 RTP/AVP 0 8\r\n",
		 "m=audio 4000 RTP/AVP 0 8\r\n"},
		/* nothing left: an error, the media unchanged */
		{"all", NULL, NULL, NULL, "m=audio 4000 RTP/AVP 0 8 101\r\n%s", NULL},
		{"PCMU,PCMA", NULL, NULL, NULL, "m=audio 4000 RTP/AVP 8 0\r\n", NULL},
		{"all", NULL, "G722", NULL, opus, NULL},
		{NULL, "opus,PCMU", NULL, NULL,
		 "m=audio 4000 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\n", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdp_codec_opts o = {0};
		char media[1024], in[1200], want[1200];
		const char *err = NULL;
		struct sdp s;
		char *out;
		int ret;

		print_message("case %zu: %s", i, cases[i].media);
		codec_names(&o.strip, cases[i].strip);
		codec_names(&o.mask, cases[i].mask);
		codec_names(&o.except, cases[i].except);
		codec_names(&o.offer, cases[i].offer);
		subst(media, sizeof(media), cases[i].media, te);
		snprintf(in, sizeof(in), SESSION4 "%s", media);
		if (cases[i].want) {
			subst(media, sizeof(media), cases[i].want, te);
			snprintf(want, sizeof(want), SESSION4 "%s", media);
		} else {
			snprintf(want, sizeof(want), "%s", in);
		}
		assert_int_equal(sdp_parse(&s, in, strlen(in), &err), 0);
		ret = sdp_media_codecs(&s.media[0], &o, &err);
		if (cases[i].want) {
			assert_int_equal(ret, 0);
		} else {
			assert_int_equal(ret, -EINVAL);
			assert_string_equal(err, "No codec left after codec options");
		}
		out = sdp_print(&s, NULL);
		assert_non_null(out);
		assert_string_equal(out, want);
		free(out);
		sdp_free(&s);
	}
}

static void test_codec_list(void **state)
{
	struct sdp_codec_opts o = {0};

	(void)state;
	assert_false(sdp_codec_opts_set(&o));
	assert_int_equal(sdp_codec_list_add(&o.strip, "PCMA", 0), -EINVAL);
	assert_int_equal(sdp_codec_list_add(&o.strip, NULL, 4), -EINVAL);
	for (int i = 0; i < SDP_CODEC_MAX_NAMES; i++)
		assert_int_equal(sdp_codec_list_add(&o.strip, "PCMA", 4), 0);
	assert_int_equal(sdp_codec_list_add(&o.strip, "PCMA", 4), -E2BIG);
	assert_true(sdp_codec_opts_set(&o));
}

static void test_codec_info(void **state)
{
	static const char in[] = SESSION4 "m=audio 4000 RTP/AVP 0 111 101 8 13\r\n"
					  "a=rtpmap:111 opus/48000/2\r\n"
					  "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
					  "a=rtpmap:101 telephone-event/8000\r\n"
					  "a=fmtp:101 0-16\r\n"
					  "a=rtpmap:8 PCMA/8000\r\n";
	static const struct sdp_codec want[] = {
		{0, "PCMU", 8000, 1, ""},
		{111, "opus", 48000, 2, "minptime=10;useinbandfec=1"},
		{101, "telephone-event", 8000, 1, "0-16"},
		{8, "PCMA", 8000, 1, ""},
		{13, "CN", 8000, 1, ""},
	};
	struct sdp_codec got[8];
	const char *err;
	struct sdp s;

	(void)state;
	assert_int_equal(sdp_parse(&s, in, strlen(in), &err), 0);
	assert_int_equal(sdp_media_codec_list(&s.media[0], got, 8), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(got[i].pt, want[i].pt);
		assert_string_equal(got[i].name, want[i].name);
		assert_int_equal(got[i].rate, want[i].rate);
		assert_int_equal(got[i].channels, want[i].channels);
		assert_string_equal(got[i].fmtp, want[i].fmtp);
	}
	/* at most max */
	assert_int_equal(sdp_media_codec_list(&s.media[0], got, 2), 2);
	sdp_free(&s);
}

static void test_codec_spec(void **state)
{
	static const struct {
		const char *in;
		int ret;
		struct sdp_codec_spec want;
	} cases[] = {
		{"PCMA", 0, {"PCMA", 0, 0, 0, 0, ""}},
		{"opus/48000/2/32000", 0, {"opus", 48000, 2, 32000, 0, ""}},
		{"opus/48000/2/32000/40", 0, {"opus", 48000, 2, 32000, 40, ""}},
		{"iLBC/8000/1///mode=30", 0, {"iLBC", 8000, 1, 0, 0, "mode=30"}},
		{"opus//1", 0, {"opus", 0, 1, 0, 0, ""}},
		{"opus/4800x", -EINVAL, {"", 0, 0, 0, 0, ""}},
		{"/8000", -EINVAL, {"", 0, 0, 0, 0, ""}},
		{"a-name-that-is-far-too-long-for-a-codec", -EINVAL, {"", 0, 0, 0, 0, ""}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdp_codec_spec sp;

		print_message("case %s\n", cases[i].in);
		assert_int_equal(sdp_codec_spec_parse(cases[i].in, strlen(cases[i].in), &sp),
				 cases[i].ret);
		if (cases[i].ret)
			continue;
		assert_string_equal(sp.name, cases[i].want.name);
		assert_int_equal(sp.rate, cases[i].want.rate);
		assert_int_equal(sp.channels, cases[i].want.channels);
		assert_int_equal(sp.bitrate, cases[i].want.bitrate);
		assert_int_equal(sp.ptime, cases[i].want.ptime);
		assert_string_equal(sp.fmtp, cases[i].want.fmtp);
	}
}

static void test_set_fmts(void **state)
{
	static const char in[] = SESSION4 "m=audio 4000 RTP/AVP 0 111 101\r\n"
					  "a=rtpmap:111 opus/48000/2\r\n"
					  "a=fmtp:111 useinbandfec=1\r\n"
					  "a=rtcp-fb:111 nack\r\n"
					  "a=rtpmap:101 telephone-event/48000\r\n"
					  "a=ptime:20\r\n"
					  "a=sendrecv\r\n";
	/* keep 0, drop 111 (all its lines), replace 101's lines, add 96 */
	static const struct sdp_fmt f[] = {
		{0, NULL, NULL},
		{101, "telephone-event/8000", "0-16"},
		{96, "opus/48000/2", NULL},
	};
	static const char want[] = SESSION4 "m=audio 4000 RTP/AVP 0 101 96\r\n"
					    "a=rtpmap:101 telephone-event/8000\r\n"
					    "a=fmtp:101 0-16\r\n"
					    "a=rtpmap:96 opus/48000/2\r\n"
					    "a=ptime:40\r\n"
					    "a=sendrecv\r\n";
	const char *err;
	struct sdp s;
	char *out;

	(void)state;
	assert_int_equal(sdp_parse(&s, in, strlen(in), &err), 0);
	assert_int_equal(sdp_media_set_fmts(&s.media[0], f, 0), -EINVAL);
	assert_int_equal(sdp_media_set_fmts(&s.media[0], f, 3), 0);
	assert_int_equal(sdp_media_set_ptime(&s.media[0], 40), 0);
	out = sdp_print(&s, NULL);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
	sdp_free(&s);
}

static void test_rewrite_refused(void **state)
{
	static const char in[] = SESSION4 "m=audio 4000 RTP/AVP 0\r\n"
					  "m=video 4002 RTP/AVP 0\r\n";
	struct sdp_rewrite_media media[2] = {0};
	struct sdp_rewrite rw = {.n_media = 1, .media = media};
	char *before, *after;
	struct sdp s;

	assert_int_equal(sdp_parse(&s, in, strlen(in), NULL), 0);
	before = sdp_print(&s, NULL);
	/* wrong media count */
	media[0].rejected = media[1].rejected = true;
	assert_int_equal(sdp_rewrite(&s, &rw), -EINVAL);
	rw.n_media = 3;
	assert_int_equal(sdp_rewrite(&s, &rw), -EINVAL);
	rw.n_media = 2;
	rw.media = NULL;
	assert_int_equal(sdp_rewrite(&s, &rw), -EINVAL);
	/* a media kept without an address */
	rw.media = media;
	media[1].rejected = false;
	assert_int_equal(sdp_rewrite(&s, &rw), -EINVAL);
	after = sdp_print(&s, NULL);
	assert_string_equal(before, after);
	free(after);
	/* and the same rewrite with an address goes through */
	assert_int_equal(ep_parse_ip(&media[1].addr, RELAY4), 0);
	assert_int_equal(sdp_rewrite(&s, &rw), 0);
	assert_int_equal(s.media[0].port, 0);
	assert_int_equal(s.media[1].port, 0); /* rtp_port 0 */
	free(before);
	sdp_free(&s);
}

/* ---- limits and malformed input ---- */

/* "v=0" then count-1 lines "PREFIX<i>SUFFIX". */
static char *make_sdp(size_t count, const char *prefix, const char *suffix, size_t *len)
{
	size_t cap = 64 + count * (strlen(prefix) + strlen(suffix) + 16), n;
	char *buf = malloc(cap);

	assert_non_null(buf);
	n = (size_t)sprintf(buf, "v=0\r\n");
	for (size_t i = 1; i < count; i++)
		n += (size_t)sprintf(buf + n, "%s%zu%s", prefix, i, suffix);
	*len = n;
	return buf;
}

static void expect_error(const char *in, size_t len, const char *why)
{
	static const struct sdp zero;
	const char *err = NULL;
	struct sdp s;
	int ret;

	memset(&s, 0xa5, sizeof(s));
	ret = sdp_parse(&s, in, len, &err);
	if (ret != -EINVAL || !err || strcmp(err, why) || memcmp(&s, &zero, sizeof(s)))
		fail_msg("input %.*s: got %d \"%s\", want \"%s\"", (int)(len > 200 ? 200 : len), in,
			 ret, err ? err : "(null)", why);
}

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	const char *why;
} bad[] = {
	{"", 0, "empty SDP"},
	{"\r\n\n", 0, "empty SDP"},
	{"o=- 1 2 IN IP4 192.0.2.1\r\n"
	 "v=0\r\n",
	 0, "no v= line"},
	{"s=-\r\n", 0, "no v= line"},
	{"v=0\r\ns=a\0b\r\n", 11, "NUL byte in SDP"},
	{"\0", 1, "NUL byte in SDP"},
	{"v=0\r\n"
	 "hello\r\n",
	 0, "bad line"},
	{"v=0\r\n"
	 "s\r\n",
	 0, "bad line"},
	{"v=0\r\n"
	 "=x\r\n",
	 0, "bad line"},
	{"v=0\r\n"
	 "1=x\r\n",
	 0, "bad line"},
	{"v=0\r\n"
	 " s=x\r\n",
	 0, "bad line"},
	{"v=0\r\n"
	 "s=-\r\n"
	 "\r\n"
	 "t=0 0\r\n",
	 0, "blank line inside SDP"},
	{"v=0\r\n"
	 "c=IN IP4 300.1.2.3\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 host.example\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 2001:db8::1\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP6 192.0.2.1\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP7 192.0.2.1\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=ATM IP4 192.0.2.1\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 192.0.2.1 x\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 224.2.1.1/\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 224.2.1.1/1/2/3\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 224.2.1.1/x\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "c=IN IP4 192.0.2.1\r\n"
	 "c=IN IP4 192.0.2\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "c=IN IP4 ::1\r\n",
	 0, "bad c= line"},
	{"v=0\r\n"
	 "m=audio 70000 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio 65536 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio abc RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio -1 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio +4000 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio 4000/0 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio 4000/ RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audio 4000\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "m=audioaudioaudioaudioaudioaudio12 4000 RTP/AVP 0\r\n",
	 0, "bad m= line"},
	{"v=0\r\n"
	 "o=- 1 IN IP4 192.0.2.1\r\n",
	 0, "bad o= line"},
	{"v=0\r\n"
	 "o=- 1 2 IN IP4 192.0.2.1 x\r\n",
	 0, "bad o= line"},
	{"v=0\r\n"
	 "o=- 1 v2 IN IP4 192.0.2.1\r\n",
	 0, "bad o= line"},
	{"v=0\r\n"
	 "o=- 1 18446744073709551616 IN IP4 192.0.2.1\r\n",
	 0, "bad o= line"},
	{"v=0\r\n"
	 "o=- 1 2 IN IP4 192.0.2.1\r\n"
	 "o=x\r\n",
	 0, "bad o= line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:\r\n",
	 0, "bad a=rtcp line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:abc\r\n",
	 0, "bad a=rtcp line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:65536\r\n",
	 0, "bad a=rtcp line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:4001 IN IP4 host\r\n",
	 0, "bad a=rtcp line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:4001 IN IP4\r\n",
	 0, "bad a=rtcp line"},
	{"v=0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n"
	 "a=rtcp:4001 IN IP4 224.0.0.1/3\r\n",
	 0, "bad a=rtcp line"},
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].in, bad[i].len ? bad[i].len : strlen(bad[i].in), bad[i].why);
	/* the error pointer is optional */
	{
		struct sdp s;

		assert_int_equal(sdp_parse(&s, "x", 1, NULL), -EINVAL);
		assert_zeroed(&s);
	}
}

static void test_limits(void **state)
{
	static const struct {
		size_t count;
		const char *prefix, *suffix, *why; /* why NULL: parses */
	} cases[] = {
		{SDP_MAX_LINES, "a=", "\r\n", NULL},
		{SDP_MAX_LINES + 1, "a=", "\r\n", "too many lines"},
		{SDP_MAX_MEDIA + 1, "m=audio ", " RTP/AVP 0\r\n", NULL},
		{SDP_MAX_MEDIA + 2, "m=audio ", " RTP/AVP 0\r\n", "too many m= lines"},
		/* lines and media together: each m= line counts */
		{SDP_MAX_LINES + 1, "m=audio ", " RTP/AVP 0\r\na=x\r\n", "too many m= lines"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *in = make_sdp(cases[i].count, cases[i].prefix, cases[i].suffix, &len);
		struct sdp s;

		if (cases[i].why) {
			expect_error(in, len, cases[i].why);
		} else {
			check_print(in, len, in);
			assert_int_equal(sdp_parse(&s, in, len, NULL), 0);
			sdp_free(&s);
		}
		free(in);
	}
}

static void test_line_length(void **state)
{
	char *in = malloc(SDP_MAX_LINE_LEN + 16);
	size_t len;

	assert_non_null(in);
	/* "a=" plus text: exactly the limit parses, one more byte does not */
	len = (size_t)sprintf(in, "v=0\r\na=");
	memset(in + len, 'x', SDP_MAX_LINE_LEN - 2);
	len += SDP_MAX_LINE_LEN - 2;
	memcpy(in + len, "\r\n", 3);
	check_print(in, len + 2, in);
	in[len] = 'x';
	expect_error(in, len + 1, "line too long");
	memcpy(in + len + 1, "\r\n", 3);
	expect_error(in, len + 3, "line too long");
	free(in);
}

/* A rewrite that would make more lines than the parser takes is refused, s unchanged. */
static void test_rewrite_too_big(void **state)
{
	struct sdp_rewrite_media media = {.rtp_port = 1};
	struct sdp_rewrite rw = {.n_media = 1, .media = &media};
	size_t len;
	char *in = make_sdp(SDP_MAX_LINES - 1, "a=", "\r\n", &len), *big, *out;
	struct sdp s;

	assert_int_equal(ep_parse_ip(&media.addr, RELAY4), 0);
	big = malloc(len + 32);
	assert_non_null(big);
	memcpy(big, in, len);
	strcpy(big + len, "m=audio 4 RTP/AVP 0\r\n");
	assert_int_equal(sdp_parse(&s, big, strlen(big), NULL), 0);
	assert_int_equal(sdp_rewrite(&s, &rw), -E2BIG);
	out = sdp_print(&s, NULL);
	assert_string_equal(out, big);
	free(out);
	/* rejecting the media adds nothing */
	media.rejected = true;
	assert_int_equal(sdp_rewrite(&s, &rw), 0);
	sdp_free(&s);
	free(big);
	free(in);
}

/* An m= line at the length limit cannot take a longer port. */
static void test_rewrite_long_mline(void **state)
{
	struct sdp_rewrite_media media = {.rtp_port = 9};
	struct sdp_rewrite rw = {.n_media = 1, .media = &media};
	char *in = malloc(SDP_MAX_LINE_LEN + 16), *out;
	size_t len;
	struct sdp s;

	assert_non_null(in);
	assert_int_equal(ep_parse_ip(&media.addr, RELAY4), 0);
	len = (size_t)sprintf(in, "v=0\r\nm=audio 1 RTP/AVP ");
	memset(in + len, '0', SDP_MAX_LINE_LEN - 18);
	len += SDP_MAX_LINE_LEN - 18;
	strcpy(in + len, "\r\n");
	assert_int_equal(sdp_parse(&s, in, strlen(in), NULL), 0);
	media.rtp_port = 10;
	assert_int_equal(sdp_rewrite(&s, &rw), -E2BIG);
	out = sdp_print(&s, NULL);
	assert_string_equal(out, in);
	free(out);
	/* the same length is fine */
	media.rtp_port = 9;
	assert_int_equal(sdp_rewrite(&s, &rw), 0);
	assert_int_equal(s.media[0].port, 9);
	sdp_free(&s);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),	cmocka_unit_test(test_reprint),
		cmocka_unit_test(test_fields),		cmocka_unit_test(test_dir_name),
		cmocka_unit_test(test_fields_print),	cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_rewrite_refused), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_rewrite_too_big), cmocka_unit_test(test_rewrite_long_mline),
		cmocka_unit_test(test_rewrite_crypto),	cmocka_unit_test(test_clock_rate),
		cmocka_unit_test(test_codecs),		cmocka_unit_test(test_codec_list),
		cmocka_unit_test(test_codec_info),	cmocka_unit_test(test_codec_spec),
		cmocka_unit_test(test_set_fmts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
