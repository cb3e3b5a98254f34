// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end: xrelayd with --state-dir on loopback (userspace relaying). A call survives a
 * stop (SIGTERM) and a crash (SIGKILL): same relay ports, the learned peer, its counters and
 * SDP versions, media at once, query and delete; damaged state files are set aside with a log
 * line naming them while the other calls come back; one state directory per daemon;
 * --cleanup. */
#include "e2e.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define LO "127.0.0.1"
/* Below the ephemeral ports and apart from the other tests' ranges. */
#define PORTS "--port-min=23400", "--port-max=23499"

/* The test's temporary directory: removed by the teardown even when the test failed. */
static char tmp[64];
static char state_opt[128], pin_opt[128];

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int setup_dir(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/xrelay-state-test-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(state_opt, sizeof(state_opt), "--state-dir=%s/state", tmp);
	/* Never the host's pins: --cleanup must find nothing there to remove. */
	snprintf(pin_opt, sizeof(pin_opt), "--pin-root=%s/no-bpffs", tmp);
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	daemons_teardown(state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] && system(cmd))
		fprintf(stderr, "cannot remove %s\n", tmp);
	tmp[0] = 0;
	return 0;
}

static void start(struct daemon *d)
{
	const char *opts[] = {state_opt, pin_opt, "--xdp=off", PORTS, NULL};

	daemon_start(d, opts);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		if (!r)
			break;
		n += r;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[n] = 0;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void state_path(char *out, size_t len, const char *call_id)
{
	char name[STATE_NAME_LEN];

	assert_int_equal(state_name(name, sizeof(name), "call-", call_id), 0);
	snprintf(out, len, "%s/state/%s", tmp, name);
}

/* Waits up to 3 s until the call's state file contains want (want NULL: until the file is
 * gone): the writer thread saves after the reply. */
static void wait_state(const char *call_id, const char *want)
{
	char path[512];

	state_path(path, sizeof(path), call_id);
	for (int i = 0; i < 150; i++) {
		char *s = slurp(path);
		bool ok = want ? s && strstr(s, want) : !s;

		free(s);
		if (ok)
			return;
		sleep_ms(20);
	}
	fail_msg("%s: %s after 3 s", path, want ? want : "still there");
}

static void expect_log(const struct daemon *d, const char *want)
{
	char *log = slurp(d->log);

	if (!log || !strstr(log, want))
		fail_msg("not in %s: '%s'", d->log, want);
	free(log);
}

static void expect_file(const char *name, bool present)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/state/%s", tmp, name);
	if ((access(path, F_OK) == 0) != present)
		fail_msg("%s %s", path, present ? "is missing" : "should not exist");
}

struct udp_end {
	int fd;
	uint16_t port;
};

struct fixture {
	struct barena *a;
	struct udp_end caller, callee, nat;
	uint16_t relay_for_caller, relay_for_callee;
	char call_id[64];
};

static void send_expect(int from, uint16_t relay_port, int to, uint16_t seq)
{
	uint8_t pkt[128], buf[256];
	size_t len = rtp_make(pkt, 0, seq, 0x5eed, 40);
	int n;

	assert_int_equal(udp_send(from, LO, relay_port, pkt, len), 0);
	n = udp_recv(to, buf, sizeof(buf), 1000, NULL);
	if (n != (int)len || memcmp(buf, pkt, len))
		fail_msg("RTP seq %u to relay port %u: %s", seq, relay_port,
			 n < 0 ? "nothing arrived" : "arrived changed");
}

static void offer(struct daemon *d, struct fixture *f, const char *want_origin)
{
	char sdp[1024];
	struct bnode *r;

	r = ng(d, f->a,
	       "{\"command\":\"offer\",\"call-id\":\"%s\",\"from-tag\":\"caller\",%s"
	       "\"flags\":[\"force-increment-sdp-version\"],\"sdp\":\"%s\"}",
	       f->call_id, f->relay_for_caller ? "\"to-tag\":\"callee\"," : "",
	       sdp_audio(sdp, sizeof(sdp), LO, f->caller.port, NULL));
	expect_result(r, "ok");
	if (!sdp_has(r, want_origin))
		fail_msg("offer: the SDP has no '%s': %s", want_origin, bn_dict_get_str(r, "sdp"));
	if (f->relay_for_callee)
		assert_int_equal(sdp_port(r), f->relay_for_callee);
	f->relay_for_callee = sdp_port(r);
}

/* A call whose caller sends from another address than its SDP says (NAT): the relay must
 * send to what it learned, so media can only flow back if the latch survived. */
static void call_up(struct daemon *d, struct fixture *f, const char *id)
{
	char sdp[1024];
	struct bnode *r;

	memset(f, 0, sizeof(*f));
	f->a = barena_new();
	snprintf(f->call_id, sizeof(f->call_id), "%s", id);
	f->caller.fd = udp_open(LO, &f->caller.port);
	f->callee.fd = udp_open(LO, &f->callee.port);
	f->nat.fd = udp_open(LO, &f->nat.port);
	assert_true(f->caller.fd >= 0 && f->callee.fd >= 0 && f->nat.fd >= 0);
	offer(d, f, "o=- 1545997027 1 IN IP4");
	r = ng(d, f->a,
	       "{\"command\":\"answer\",\"call-id\":\"%s\",\"from-tag\":\"caller\","
	       "\"to-tag\":\"callee\",\"sdp\":\"%s\"}",
	       f->call_id, sdp_audio(sdp, sizeof(sdp), LO, f->callee.port, NULL));
	expect_result(r, "ok");
	f->relay_for_caller = sdp_port(r);
	send_expect(f->nat.fd, f->relay_for_caller, f->callee.fd, 1);
	send_expect(f->callee.fd, f->relay_for_callee, f->nat.fd, 1);
}

static void call_free(struct fixture *f)
{
	close(f->caller.fd);
	close(f->callee.fd);
	close(f->nat.fd);
	barena_free(f->a);
}

static long long q_int(struct daemon *d, struct fixture *f, const char *path)
{
	struct bnode *r = ng(d, f->a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f->call_id);

	expect_result(r, "ok");
	return bn_path_int(r, path);
}

#define CALLER_RTP "tags/caller/medias/0/streams/0/"

static void restart_keeps_call(int sig)
{
	long long created, last_signal, local, packets;
	struct daemon d;
	struct fixture f;
	char learned[64];
	struct bnode *r;

	start(&d);
	call_up(&d, &f, sig == SIGKILL ? "crash/1" : "stop/1");
	created = q_int(&d, &f, "created");
	last_signal = q_int(&d, &f, "last signal");
	local = q_int(&d, &f, CALLER_RTP "local port");
	packets = q_int(&d, &f, CALLER_RTP "stats/packets");
	assert_int_equal(local, f.relay_for_caller);
	assert_int_equal(q_int(&d, &f, CALLER_RTP "endpoint/port"), f.nat.port);
	/* What a crash keeps is what was written: wait for the latch to be. */
	snprintf(learned, sizeof(learned), "\"learned\":\"127.0.0.1:%u\"", f.nat.port);
	wait_state(f.call_id, learned);
	if (sig == SIGKILL) {
		kill(d.pid, SIGKILL);
		assert_int_equal(daemon_stop(&d), -1);
	} else {
		assert_int_equal(daemon_stop(&d), 0);
	}

	start(&d);
	expect_log(&d, "call restored");
	assert_int_equal(q_int(&d, &f, "created"), created);
	assert_int_equal(q_int(&d, &f, "last signal"), last_signal);
	assert_int_equal(q_int(&d, &f, CALLER_RTP "local port"), local);
	assert_int_equal(q_int(&d, &f, CALLER_RTP "endpoint/port"), f.nat.port);
	assert_int_equal(q_int(&d, &f, CALLER_RTP "advertised endpoint/port"), f.caller.port);
	/* A clean stop saves the counters as they were; a crash, as last written. */
	if (sig == SIGTERM)
		assert_int_equal(q_int(&d, &f, CALLER_RTP "stats/packets"), packets);
	/* Media at once, both ways, back to the learned address, not the SDP's. */
	send_expect(f.callee.fd, f.relay_for_callee, f.nat.fd, 2);
	send_expect(f.nat.fd, f.relay_for_caller, f.callee.fd, 2);
	assert_int_equal(udp_drain(f.caller.fd, 50), 0);
	/* The o= version goes on from where it was (2), not from the SDP's (1). */
	offer(&d, &f, "o=- 1545997027 2 IN IP4");
	r = ng(&d, f.a, "{\"command\":\"delete\",\"call-id\":\"%s\",\"delete-delay\":0}",
	       f.call_id);
	expect_result(r, "ok");
	r = ng(&d, f.a, "{\"command\":\"query\",\"call-id\":\"%s\"}", f.call_id);
	expect_result(r, "error");
	wait_state(f.call_id, NULL);
	assert_int_equal(daemon_stop(&d), 0);
	expect_file("kernel.json", true);
	call_free(&f);
}

static void test_restart_sigterm(void **state)
{
	restart_keeps_call(SIGTERM);
}

static void test_restart_sigkill(void **state)
{
	restart_keeps_call(SIGKILL);
}

/* Rewrites a call's file with a JSON change made by edit. */
static void edit_state(const char *call_id, const char *new_name, void (*edit)(json_t *j))
{
	char path[512], out[512];
	json_error_t err;
	json_t *j;
	char *s;

	state_path(path, sizeof(path), call_id);
	j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	edit(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(out, sizeof(out), "%s/state/%s", tmp, new_name);
	spit(out, s, strlen(s));
	free(s);
}

/* Keys this version does not know, at every level: ignored. */
static void add_unknown(json_t *j)
{
	json_t *party = json_array_get(json_object_get(j, "parties"), 0);
	json_t *media = json_array_get(json_object_get(party, "media"), 0);
	json_t *stream = json_array_get(json_object_get(media, "streams"), 0);

	json_object_set_new(j, "from-the-future", json_pack("{s[i]}", "x", 1));
	json_object_set_new(party, "colour", json_string("blue"));
	json_object_set_new(media, "quantum", json_true());
	json_object_set_new(stream, "warp", json_integer(9));
	json_array_append_new(json_object_get(media, "flags"), json_string("new-flag"));
}

static void later_version(json_t *j)
{
	json_object_set_new(j, "version", json_integer(99));
	json_object_set_new(j, "call-id", json_string("future"));
}

static void bad_port(json_t *j)
{
	json_t *party = json_array_get(json_object_get(j, "parties"), 0);
	json_t *media = json_array_get(json_object_get(party, "media"), 0);

	json_object_set_new(media, "port", json_string("abc"));
	json_object_set_new(j, "call-id", json_string("badport"));
}

static void test_damaged_files(void **state)
{
	struct fixture good, extra, taken;
	char path[512], *s;
	struct daemon d;
	struct bnode *r;
	uint16_t held_port;
	int held;

	start(&d);
	call_up(&d, &good, "good");
	call_up(&d, &extra, "extra");
	call_up(&d, &taken, "taken");
	held_port = (uint16_t)q_int(&d, &taken, CALLER_RTP "local port");
	assert_int_equal(daemon_stop(&d), 0);

	edit_state("extra", "call-extra.json", add_unknown);
	edit_state("good", "call-future.json", later_version);
	edit_state("good", "call-badport.json", bad_port);
	state_path(path, sizeof(path), "good");
	s = slurp(path);
	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/state/call-trunc.json", tmp);
	spit(path, s, strlen(s) / 2);
	free(s);
	snprintf(path, sizeof(path), "%s/state/call-garbage.json", tmp);
	spit(path, "\x01\x02 not json", 11);
	/* Something else binds one relay port of "taken" while no xrelayd runs. */
	held = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct endpoint ep;

		ep_parse_ip(&ep, LO);
		ep_set_port(&ep, held_port);
		assert_int_equal(bind(held, &ep.sa, ep_len(&ep)), 0);
	}

	start(&d);
	/* The calls it could read are back, and carry media. */
	r = ng(&d, good.a, "{\"command\":\"query\",\"call-id\":\"good\"}");
	expect_result(r, "ok");
	send_expect(good.callee.fd, good.relay_for_callee, good.nat.fd, 3);
	r = ng(&d, extra.a, "{\"command\":\"query\",\"call-id\":\"extra\"}");
	expect_result(r, "ok");
	send_expect(extra.nat.fd, extra.relay_for_caller, extra.callee.fd, 3);
	/* The one whose port was taken: that media is lost, the call and its other side stay. */
	r = ng(&d, taken.a, "{\"command\":\"query\",\"call-id\":\"taken\"}");
	expect_result(r, "ok");
	assert_null(bn_path(r, "tags/caller/medias/0/streams/0"));
	assert_non_null(bn_path(r, "tags/callee/medias/0/streams/0"));
	snprintf(path, sizeof(path),
		 "[taken] media 1 of party 'caller' is lost: cannot bind its relay ports "
		 "127.0.0.1:%u and %u again: Address already in use",
		 held_port, held_port + 1);
	expect_log(&d, path);
	/* The others: a line naming each file and why, and the file set aside. */
	r = ng(&d, good.a, "{\"command\":\"query\",\"call-id\":\"future\"}");
	expect_result(r, "error");
	r = ng(&d, good.a, "{\"command\":\"query\",\"call-id\":\"badport\"}");
	expect_result(r, "error");
	expect_log(&d, "call-garbage.json is not valid JSON (line 1: ");
	expect_log(&d, "call-trunc.json is not valid JSON (line 1: ");
	expect_log(&d, "call-future.json: written by a later xrelayd (state version 99, this one "
		       "reads 1): set aside as call-future.json.bad, not restored");
	expect_log(&d, "call-badport.json: party 1 media 1: 'port' is not a number: set aside");
	expect_log(&d, "state: 3 calls restored from ");
	expect_log(&d, ", 4 files set aside");
	expect_file("call-garbage.json.bad", true);
	expect_file("call-trunc.json.bad", true);
	expect_file("call-future.json.bad", true);
	expect_file("call-badport.json.bad", true);
	expect_file("call-garbage.json", false);
	assert_int_equal(daemon_stop(&d), 0);
	close(held);
	/* Nothing is read twice: the set-aside files stay aside. */
	start(&d);
	expect_log(&d, "state: 3 calls restored from ");
	expect_log(&d, ", 0 files set aside");
	assert_int_equal(daemon_stop(&d), 0);
	call_free(&good);
	call_free(&extra);
	call_free(&taken);
}

/* Runs build/xrelayd with args; returns its exit status, its output in out. */
static int run_xrelayd(const char *const *args, char *out, size_t outlen)
{
	char log[128];
	const char *argv[16] = {"build/xrelayd", "--config-file=none", "--foreground",
				"--log-stderr"};
	int n = 4, status;
	pid_t pid;
	char *s;

	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/run.log", tmp);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 250 && waitpid(pid, &status, WNOHANG) != pid; i++) {
		if (i == 249) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("xrelayd %s did not exit within 5 s", args[0]);
		}
		sleep_ms(20);
	}
	s = slurp(log);
	snprintf(out, outlen, "%s", s ? s : "");
	free(s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_one_daemon_per_dir(void **state)
{
	const char *second[] = {
		state_opt, pin_opt, "--xdp=off", "--listen-ng=127.0.0.1:1", "--control-socket=none",
		NULL};
	const char *cleanup[] = {state_opt, pin_opt, "--cleanup", NULL};
	struct fixture f;
	struct daemon d;
	char out[4096], want[128];

	start(&d);
	call_up(&d, &f, "one");
	wait_state("one", "\"learned\"");
	assert_int_equal(run_xrelayd(second, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "is in use by another xrelayd (PID %d)", (int)d.pid);
	if (!strstr(out, want))
		fail_msg("a second xrelayd on the same --state-dir: '%s' not in:\n%s", want, out);
	/* --cleanup refuses too while it runs, and removes nothing. */
	assert_int_equal(run_xrelayd(cleanup, out, sizeof(out)), 1);
	assert_non_null(strstr(out, want));
	assert_int_equal(daemon_stop(&d), 0);
	expect_file("call-one.json", true);
	/* Stopped: --cleanup forgets the calls; the next start has none. */
	assert_int_equal(run_xrelayd(cleanup, out, sizeof(out)), 0);
	if (!strstr(out, "cleanup: 2 saved files removed"))
		fail_msg("--cleanup said:\n%s", out);
	expect_file("call-one.json", false);
	expect_file("kernel.json", false);
	start(&d);
	expect_result(ng(&d, f.a, "{\"command\":\"query\",\"call-id\":\"one\"}"), "error");
	assert_int_equal(daemon_stop(&d), 0);
	call_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_sigterm, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_restart_sigkill, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_damaged_files, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_one_daemon_per_dir, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
