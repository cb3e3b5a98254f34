// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end test helpers: the real xrelayd started and stopped by PID, ng requests, and
 * UDP endpoints on loopback. */
#include "e2e.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

/* Daemons started and not stopped yet: a failing test leaves through longjmp, and its
 * teardown must still stop them. */
static pid_t live[32];

static void live_set(pid_t old, pid_t new)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == old) {
			live[i] = new;
			return;
		}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static uint16_t free_udp_port(void)
{
	uint16_t port;
	int fd = udp_open("127.0.0.1", &port);

	assert_true(fd >= 0);
	close(fd);
	return port;
}

static void dump_log(const struct daemon *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "tail -n 30 %s >&2", d->log);
	if (system(cmd) < 0)
		perror("system");
}

void daemon_start(struct daemon *d, const char *const *extra)
{
	const char *argv[64];
	char listen[96];
	int n = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->ng, sizeof(d->ng), "127.0.0.1:%u", free_udp_port());
	snprintf(listen, sizeof(listen), "--listen-ng=%s", d->ng);
	snprintf(d->log, sizeof(d->log), "build/test-logs/xrelayd-%d-%ld.log", (int)getpid(),
		 (long)time(NULL));
	argv[n++] = "build/xrelayd";
	argv[n++] = "--foreground";
	argv[n++] = "--log-stderr";
	argv[n++] = "--log-level=debug";
	argv[n++] = "--config-file=none";
	/* A test that wants state persistence gives its own --state-dir (the later one wins). */
	argv[n++] = "--state-dir=none";
	argv[n++] = listen;
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	live_set(0, d->pid);
	assert_int_equal(ng_client_open(&d->ng_client, d->ng), 0);
	d->ng_client.timeout_ms = 200;
	d->ng_client.retries = 0;
	for (int i = 0; i < 50; i++) {
		char *reply;
		size_t len;

		if (daemon_alive(d)) {
			dump_log(d);
			fail_msg("xrelayd exited at start");
		}
		if (!ng_client_call_raw(&d->ng_client, "d7:command4:pinge", 17, &reply, &len)) {
			free(reply);
			d->ng_client.timeout_ms = 2000;
			d->ng_client.retries = 1;
			return;
		}
		sleep_ms(50);
	}
	dump_log(d);
	fail_msg("xrelayd does not answer ping on %s", d->ng);
}

int daemon_alive(const struct daemon *d)
{
	return waitpid(d->pid, NULL, WNOHANG) == 0 ? 0 : -1;
}

static int stop_pid(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int daemons_teardown(void **state)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] > 0) {
			stop_pid(live[i]);
			live[i] = 0;
		}
	return 0;
}

int daemon_stop(struct daemon *d)
{
	int ret;

	ng_client_close(&d->ng_client);
	if (d->pid <= 0)
		return -1;
	live_set(d->pid, 0);
	ret = stop_pid(d->pid);
	d->pid = 0;
	return ret;
}

struct bnode *ng(struct daemon *d, struct barena *a, const char *fmt, ...)
{
	char jerr[160], *text;
	struct bnode *req, *reply;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&text, fmt, ap);
	va_end(ap);
	assert_true(ret >= 0);
	if (json_parse_bnode(a, text, strlen(text), &req, jerr, sizeof(jerr)))
		fail_msg("test bug: bad JSON request %s: %s", text, jerr);
	free(text);
	ret = ng_client_call(&d->ng_client, a, req, &reply);
	if (ret) {
		dump_log(d);
		fail_msg("no ng reply: %s", strerror(-ret));
	}
	return reply;
}

void expect_result(const struct bnode *reply, const char *want)
{
	const char *res = bn_dict_get_str(reply, "result");

	if (!res || strcmp(res, want)) {
		size_t len;
		char *j = bnode_to_json(reply, &len);

		fail_msg("expected result '%s', got %s", want, j);
	}
}

int udp_open(const char *ip, uint16_t *port)
{
	struct endpoint ep;
	socklen_t len = sizeof(ep);
	int fd;

	if (ep_parse_ip(&ep, ip))
		return -1;
	fd = socket(ep_family(&ep), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, &ep.sa, ep_len(&ep)) || getsockname(fd, &ep.sa, &len))
		return -1;
	*port = ep_port(&ep);
	return fd;
}

int udp_send(int fd, const char *ip, uint16_t port, const void *buf, size_t len)
{
	struct endpoint ep;

	if (ep_parse_ip(&ep, ip))
		return -1;
	ep_set_port(&ep, port);
	return sendto(fd, buf, len, 0, &ep.sa, ep_len(&ep)) == (ssize_t)len ? 0 : -1;
}

int udp_recv(int fd, void *buf, size_t len, int ms, struct endpoint *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct endpoint ep;
	socklen_t slen = sizeof(ep);
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recvfrom(fd, buf, len, 0, &ep.sa, &slen);
	if (from)
		*from = ep;
	return (int)n;
}

int udp_drain(int fd, int ms)
{
	uint8_t buf[2048];
	int n = 0;

	while (udp_recv(fd, buf, sizeof(buf), ms, NULL) >= 0)
		n++;
	return n;
}

size_t rtp_make(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc, size_t payload)
{
	uint32_t ts = (uint32_t)seq * 160;

	buf[0] = 0x80;
	buf[1] = pt & 0x7f;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	memcpy(buf + 4, &(uint32_t){htonl(ts)}, 4);
	memcpy(buf + 8, &(uint32_t){htonl(ssrc)}, 4);
	for (size_t i = 0; i < payload; i++)
		buf[12 + i] = (uint8_t)(i + seq);
	return 12 + payload;
}

size_t rtcp_make(uint8_t *buf, uint32_t ssrc)
{
	memset(buf, 0, 8);
	buf[0] = 0x80; /* v2, no report blocks */
	buf[1] = 201;  /* RR */
	buf[3] = 1;    /* length in words - 1 */
	memcpy(buf + 4, &(uint32_t){htonl(ssrc)}, 4);
	return 8;
}

const char *sdp_audio(char *buf, size_t len, const char *ip, uint16_t port, const char *attrs)
{
	bool v6 = strchr(ip, ':') != NULL;

	snprintf(buf, len,
		 "v=0\\r\\no=- 1545997027 1 IN %s %s\\r\\ns=tester\\r\\nt=0 0\\r\\n"
		 "m=audio %u RTP/AVP 0 8 101\\r\\nc=IN %s %s\\r\\na=rtpmap:101 "
		 "telephone-event/8000\\r\\n%s",
		 v6 ? "IP6" : "IP4", ip, port, v6 ? "IP6" : "IP4", ip, attrs ? attrs : "");
	return buf;
}

static const char *reply_sdp(const struct bnode *reply)
{
	const char *sdp = bn_dict_get_str(reply, "sdp");

	if (!sdp)
		fail_msg("reply has no sdp");
	return sdp;
}

uint16_t sdp_port(const struct bnode *reply)
{
	const char *m = strstr(reply_sdp(reply), "m=audio ");

	return m ? (uint16_t)atoi(m + 8) : 0;
}

uint16_t sdp_rtcp_port(const struct bnode *reply)
{
	const char *r = strstr(reply_sdp(reply), "a=rtcp:");

	return r ? (uint16_t)atoi(r + 7) : 0;
}

bool sdp_has(const struct bnode *reply, const char *s)
{
	return strstr(reply_sdp(reply), s) != NULL;
}

const struct bnode *bn_path(const struct bnode *n, const char *path)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && n; tok = strtok_r(NULL, "/", &save)) {
		if (n->type == BN_LIST) {
			const struct bnode *it;
			long idx = strtol(tok, NULL, 10);

			bn_for_each(it, n) {
				if (idx-- == 0)
					break;
			}
			n = it;
		} else {
			n = bn_dict_get(n, tok);
		}
	}
	return n;
}

long long bn_path_int(const struct bnode *n, const char *path)
{
	const struct bnode *v = bn_path(n, path);

	if (!v || v->type != BN_INT)
		fail_msg("no integer at %s", path);
	return v->i;
}

void leg_open(struct leg *l)
{
	for (int i = 0; i < 100; i++) {
		char ip[] = "127.0.0.1";
		struct endpoint ep;
		int fd;

		l->rtp = udp_open(ip, &l->rtp_port);
		assert_true(l->rtp >= 0);
		if (l->rtp_port % 2 == 0 && l->rtp_port < 65535) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			ep_parse_ip(&ep, ip);
			ep_set_port(&ep, (uint16_t)(l->rtp_port + 1));
			if (fd >= 0 && !bind(fd, &ep.sa, ep_len(&ep))) {
				l->rtcp = fd;
				l->rtcp_port = (uint16_t)(l->rtp_port + 1);
				return;
			}
			if (fd >= 0)
				close(fd);
		}
		close(l->rtp);
	}
	fail_msg("no consecutive port pair");
}

void leg_close(struct leg *l)
{
	close(l->rtp);
	close(l->rtcp);
}
