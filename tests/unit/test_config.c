// SPDX-License-Identifier: GPL-2.0-only
/* config_load: defaults, every option valid and invalid, the INI file and its precedence,
 * --help and --version. Rows run one after another in one process, which also checks that
 * getopt is reset between calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef XRELAY_VERSION
#define XRELAY_VERSION "0.1"
#endif

#define MAX_ARGS 20

struct row {
	/* INI text, written to a temporary file that is passed first as --config-file;
	 * NULL: --config-file=none is passed first instead. */
	const char *file;
	const char *args[MAX_ARGS]; /* after argv[0]; "%F" stands for the file's path */
	int rc;
	/* rc 0: space-separated tokens that dump() must contain; else the exact error.
	 * "%F" stands for the file's path here too. */
	const char *expect;
};

/* Every field as "key=value" tokens, so rows can state what they expect. */
static void dump(const struct config *c, char *buf, size_t len)
{
	char a[EP_STRLEN], b[EP_STRLEN];
	size_t n;

	n = snprintf(buf, len, "ifaces=%d", c->n_ifaces);
	for (int i = 0; i < c->n_ifaces && i < CONFIG_MAX_IFACES; i++)
		n += snprintf(buf + n, len - n, " iface%d=%s/%s!%s", i, c->ifaces[i].name,
			      ep_ip_str(&c->ifaces[i].local, a, sizeof(a)),
			      ep_ip_str(&c->ifaces[i].advertised, b, sizeof(b)));
	snprintf(buf + n, len - n,
		 " listen-ng=%s port-min=%u port-max=%u timeout=%u silent-timeout=%u"
		 " final-timeout=%u delete-delay=%u port-quarantine=%u num-threads=%d xdp=%d"
		 " foreground=%d log-stderr=%d log-level=%d pidfile=%s config-file=%s"
		 " config-section=%s state-dir=%s pin-root=%s cleanup=%d",
		 ep_str(&c->listen_ng, a, sizeof(a)), c->port_min, c->port_max, c->timeout,
		 c->silent_timeout, c->final_timeout, c->delete_delay, c->port_quarantine,
		 c->num_threads, (int)c->xdp, c->foreground, c->log_stderr, c->log_level,
		 c->pidfile, c->config_file, c->config_section, c->state_dir, c->pin_root,
		 c->cleanup);
}

static void subst(char *dst, size_t len, const char *src, const char *path)
{
	size_t n = 0;

	for (; *src && n + 1 < len; src++) {
		if (src[0] == '%' && src[1] == 'F') {
			n += snprintf(dst + n, len - n, "%s", path);
			src++;
		} else {
			dst[n++] = *src;
		}
	}
	dst[n < len ? n : len - 1] = 0;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static void write_file(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void run_rows(const struct row *rows, size_t n_rows)
{
	for (size_t r = 0; r < n_rows; r++) {
		const struct row *row = &rows[r];
		char path[] = "/tmp/xrelay-test-config-XXXXXX";
		char argbuf[MAX_ARGS + 1][512], *argv[MAX_ARGS + 3];
		char err[512], got[4096], expect[4096], tok[512];
		struct config cfg;
		int argc = 0, rc;

		if (row->file)
			write_file(path, row->file, strlen(row->file));
		argv[argc++] = "xrelayd";
		argv[argc++] = row->file ? argbuf[0] : "--config-file=none";
		subst(argbuf[0], sizeof(argbuf[0]), "--config-file=%F", path);
		for (int i = 0; i < MAX_ARGS && row->args[i]; i++) {
			subst(argbuf[i + 1], sizeof(argbuf[i + 1]), row->args[i], path);
			argv[argc++] = argbuf[i + 1];
		}
		argv[argc] = NULL;
		memset(&cfg, 0xa5, sizeof(cfg));
		memset(err, 'x', sizeof(err));
		rc = config_load(&cfg, argc, argv, err, sizeof(err));
		if (row->file)
			unlink(path);
		subst(expect, sizeof(expect), row->expect, path);

		if (rc != row->rc)
			fail_msg("row %zu (%s %s): rc %d, expected %d; err '%s'", r, argv[1],
				 argv[2] ? argv[2] : "", rc, row->rc, rc < 0 ? err : "");
		if (rc < 0) {
			if (strcmp(err, expect))
				fail_msg("row %zu: error\n  got      '%s'\n  expected '%s'", r, err,
					 expect);
			assert_null(strchr(err, '\n'));
			continue;
		}
		assert_string_equal(err, "");
		for (int i = 0; i < cfg.n_ifaces; i++) {
			assert_int_equal(ep_port(&cfg.ifaces[i].local), 0);
			assert_int_equal(ep_port(&cfg.ifaces[i].advertised), 0);
		}
		got[0] = ' ';
		dump(&cfg, got + 1, sizeof(got) - 2);
		strcat(got, " ");
		for (char *save = NULL, *t = strtok_r(expect, " ", &save); t;
		     t = strtok_r(NULL, " ", &save)) {
			snprintf(tok, sizeof(tok), " %s ", t);
			if (!strstr(got, tok))
				fail_msg("row %zu: '%s' not in\n  %s", r, t, got);
		}
	}
}

#define ROWS(rows) run_rows(rows, sizeof(rows) / sizeof(rows[0]))

static void default_dump(char *buf, size_t len, const char *config_file)
{
	snprintf(
		buf, len,
		"ifaces=1 iface0=default/127.0.0.1!127.0.0.1 listen-ng=127.0.0.1:2223"
		" port-min=30000 port-max=40000 timeout=60 silent-timeout=3600 final-timeout=0"
		" delete-delay=30 port-quarantine=10 num-threads=%d xdp=1 foreground=0 log-stderr=0"
		" log-level=6 pidfile= config-file=%s config-section=xrelay"
		" state-dir=/var/lib/xrelay pin-root=/sys/fs/bpf/xrelay cleanup=0",
		online_cpus(), config_file);
}

static void test_defaults(void **state)
{
	char *argv[] = {"xrelayd", "--config-file=none", NULL};
	char err[256], got[2048], expect[1024];
	struct config cfg;

	assert_int_equal(config_load(&cfg, 2, argv, err, sizeof(err)), 0);
	dump(&cfg, got, sizeof(got));
	default_dump(expect, sizeof(expect), "none");
	assert_string_equal(got, expect);
}

/* No options at all: what `make run` gets, unless the machine has the default file. */
static void test_no_options(void **state)
{
	char *argv[] = {"xrelayd", NULL};
	char err[256], got[2048], expect[1024];
	struct config cfg;

	if (access(CONFIG_DEFAULT_FILE, F_OK) == 0)
		skip();
	assert_int_equal(config_load(&cfg, 1, argv, err, sizeof(err)), 0);
	dump(&cfg, got, sizeof(got));
	default_dump(expect, sizeof(expect), "");
	assert_string_equal(got, expect);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(config_load(&cfg, 0, NULL, err, sizeof(err)), 0);
	dump(&cfg, got, sizeof(got));
	assert_string_equal(got, expect);
}

static const struct row valid_rows[] = {
	/* --interface, all spellings */
	{NULL, {"--interface=192.0.2.1"}, 0, "ifaces=1 iface0=default/192.0.2.1!192.0.2.1"},
	{NULL, {"--interface", "192.0.2.1"}, 0, "ifaces=1 iface0=default/192.0.2.1!192.0.2.1"},
	{NULL, {"-i", "192.0.2.1"}, 0, "ifaces=1 iface0=default/192.0.2.1!192.0.2.1"},
	{NULL, {"-i192.0.2.1"}, 0, "ifaces=1 iface0=default/192.0.2.1!192.0.2.1"},
	{NULL,
	 {"--interface=int/10.0.0.1!203.0.113.5"},
	 0,
	 "ifaces=1 iface0=int/10.0.0.1!203.0.113.5"},
	{NULL, {"-i", "192.0.2.1!203.0.113.5"}, 0, "iface0=default/192.0.2.1!203.0.113.5"},
	{NULL, {"--interface=2001:db8::1"}, 0, "ifaces=1 iface0=default/2001:db8::1!2001:db8::1"},
	{NULL,
	 {"--interface=pub/2001:db8::1!2001:db8:ffff::2"},
	 0,
	 "ifaces=1 iface0=pub/2001:db8::1!2001:db8:ffff::2"},
	{NULL, {"-i", "::1"}, 0, "iface0=default/::1!::1"},
	{NULL, {"-i", "A-b_c.9/192.0.2.1"}, 0, "iface0=A-b_c.9/192.0.2.1!192.0.2.1"},
	{NULL,
	 {"-i", "abcdefghijklmnopqrstuvwxyz01234/192.0.2.1"},
	 0,
	 "iface0=abcdefghijklmnopqrstuvwxyz01234/192.0.2.1!192.0.2.1"},
	/* several, sharing a name; the same address under two names */
	{NULL,
	 {"-i", "a/192.0.2.1", "-i", "a/2001:db8::1", "--interface=b/198.51.100.7!203.0.113.9"},
	 0,
	 "ifaces=3 iface0=a/192.0.2.1!192.0.2.1 iface1=a/2001:db8::1!2001:db8::1"
	 " iface2=b/198.51.100.7!203.0.113.9"},
	{NULL,
	 {"-i", "a/192.0.2.1", "-i", "b/192.0.2.1"},
	 0,
	 "ifaces=2 iface1=b/192.0.2.1!192.0.2.1"},
	{NULL,
	 {"-i1.0.0.1", "-i1.0.0.2", "-i1.0.0.3", "-i1.0.0.4", "-i1.0.0.5", "-i1.0.0.6", "-i1.0.0.7",
	  "-i1.0.0.8", "-i1.0.0.9", "-i1.0.0.10", "-i1.0.0.11", "-i1.0.0.12", "-i1.0.0.13",
	  "-i1.0.0.14", "-i1.0.0.15", "-i1.0.0.16"},
	 0,
	 "ifaces=16 iface15=default/1.0.0.16!1.0.0.16"},
	/* --listen-ng */
	{NULL, {"--listen-ng=2224"}, 0, "listen-ng=127.0.0.1:2224"},
	{NULL, {"--listen-ng", "65535"}, 0, "listen-ng=127.0.0.1:65535"},
	{NULL, {"-n", "192.0.2.1:9"}, 0, "listen-ng=192.0.2.1:9"},
	{NULL, {"--listen-ng=0.0.0.0:2223"}, 0, "listen-ng=0.0.0.0:2223"},
	{NULL, {"--listen-ng=[::1]:2225"}, 0, "listen-ng=[::1]:2225"},
	{NULL, {"--listen-ng=[2001:db8::7]:1"}, 0, "listen-ng=[2001:db8::7]:1"},
	/* ports: the range is checked after all options */
	{NULL, {"--port-min=1024", "--port-max=1027"}, 0, "port-min=1024 port-max=1027"},
	{NULL, {"-m", "2000", "-M", "65535"}, 0, "port-min=2000 port-max=65535"},
	{NULL, {"--port-min=40000", "--port-max=50000"}, 0, "port-min=40000 port-max=50000"},
	{NULL, {"--port-max=65535", "--port-min=65532"}, 0, "port-min=65532 port-max=65535"},
	{NULL, {"-M2000", "-m1024"}, 0, "port-min=1024 port-max=2000"},
	/* timers */
	{NULL, {"--timeout=1"}, 0, "timeout=1"},
	{NULL, {"-o", "86400"}, 0, "timeout=86400"},
	{NULL, {"--timeout=5", "--timeout", "7"}, 0, "timeout=7"},
	{NULL, {"-s", "1"}, 0, "silent-timeout=1"},
	{NULL, {"--silent-timeout=2592000"}, 0, "silent-timeout=2592000"},
	{NULL, {"--final-timeout=0"}, 0, "final-timeout=0"},
	{NULL, {"-a", "7200"}, 0, "final-timeout=7200"},
	{NULL, {"--delete-delay=0"}, 0, "delete-delay=0"},
	{NULL, {"-d", "5"}, 0, "delete-delay=5"},
	{NULL, {"--port-quarantine=0"}, 0, "port-quarantine=0"},
	{NULL, {"--port-quarantine", "3600"}, 0, "port-quarantine=3600"},
	{NULL, {"--num-threads=1"}, 0, "num-threads=1"},
	{NULL, {"--xdp=off"}, 0, "xdp=0"},
	{NULL, {"--xdp", "generic"}, 0, "xdp=2"},
	{NULL, {"--xdp=native"}, 0, "xdp=1"},
	{NULL, {"--table=-1"}, 0, "xdp=0"},
	{NULL, {"--table=0"}, 0, "xdp=1"},
	{NULL, {"--num-threads", "256"}, 0, "num-threads=256"},
	{NULL, {"--num-threads=007"}, 0, "num-threads=7"},
	/* flags */
	{NULL, {"--foreground"}, 0, "foreground=1 log-stderr=0"},
	{NULL, {"-f"}, 0, "foreground=1"},
	{NULL, {"--log-stderr"}, 0, "log-stderr=1 foreground=0"},
	{NULL, {"-E"}, 0, "log-stderr=1"},
	{NULL, {"-fE"}, 0, "foreground=1 log-stderr=1"},
	{NULL, {"--fore"}, 0, "foreground=1"}, /* getopt_long takes unique prefixes */
	/* log level, as a number or a name */
	{NULL, {"--log-level=7"}, 0, "log-level=7"},
	{NULL, {"--log-level=0"}, 0, "log-level=0"},
	{NULL, {"-L", "debug"}, 0, "log-level=7"},
	{NULL, {"-Lerr"}, 0, "log-level=3"},
	{NULL, {"--log-level", "WARN"}, 0, "log-level=4"},
	/* paths and names */
	{NULL, {"--pidfile=/run/xrelayd.pid"}, 0, "pidfile=/run/xrelayd.pid"},
	{NULL, {"-p", "/tmp/x.pid"}, 0, "pidfile=/tmp/x.pid"},
	{NULL, {"--config-section=other"}, 0, "config-section=other config-file=none"},
	{NULL, {"--state-dir=none"}, 0, "state-dir=none"},
	{NULL, {"--state-dir=/tmp/s"}, 0, "state-dir=/tmp/s cleanup=0"},
	{NULL, {"--pin-root=/sys/fs/bpf/x"}, 0, "pin-root=/sys/fs/bpf/x"},
	{NULL, {"--cleanup"}, 0, "cleanup=1 state-dir=/var/lib/xrelay"},
	{"[xrelay]\nstate-dir = /srv/x\npin-root = /sys/fs/bpf/y\n",
	 {NULL},
	 0,
	 "state-dir=/srv/x pin-root=/sys/fs/bpf/y"},
	/* a mid-cluster error in the previous rows must not leak into this one */
	{NULL, {"-E"}, 0, "foreground=0 log-stderr=1"},
};

static void test_valid(void **state)
{
	ROWS(valid_rows);
}

static const struct row invalid_rows[] = {
	/* what getopt rejects */
	{NULL, {"--bogus"}, -EINVAL, "unknown option '--bogus'"},
	{NULL, {"--bogus=1"}, -EINVAL, "unknown option '--bogus'"},
	{NULL, {"--port-m=5"}, -EINVAL, "unknown option '--port-m'"}, /* ambiguous prefix */
	{NULL, {"-x"}, -EINVAL, "unknown option '-x'"},
	{NULL, {"-fx"}, -EINVAL, "unknown option '-x'"},
	{NULL, {"-fx", "-i", "192.0.2.1"}, -EINVAL, "unknown option '-x'"},
	{NULL, {"foo"}, -EINVAL, "unexpected argument 'foo'"},
	{NULL, {"-f", "foo", "-E"}, -EINVAL, "unexpected argument 'foo'"},
	{NULL, {"--", "-f"}, -EINVAL, "unexpected argument '-f'"},
	{NULL, {"--port-min"}, -EINVAL, "--port-min: missing value"},
	{NULL, {"-m"}, -EINVAL, "--port-min: missing value"},
	{NULL, {"-i"}, -EINVAL, "--interface: missing value"},
	{NULL, {"--listen-ng"}, -EINVAL, "--listen-ng: missing value"},
	{NULL, {"-L"}, -EINVAL, "--log-level: missing value"},
	{NULL, {"--num-threads"}, -EINVAL, "--num-threads: missing value"},
	{NULL, {"--xdp=fast"}, -EINVAL, "--xdp: 'fast' is not native, generic or off"},
	{NULL, {"--xdp"}, -EINVAL, "--xdp: missing value"},
	{NULL, {"--config-file"}, -EINVAL, "--config-file: missing value"},
	{NULL, {"--config-section"}, -EINVAL, "--config-section: missing value"},
	{NULL, {"--pidfile"}, -EINVAL, "--pidfile: missing value"},
	{NULL, {"--foreground=yes"}, -EINVAL, "--foreground: takes no value"},
	{NULL, {"--log-stderr=1"}, -EINVAL, "--log-stderr: takes no value"},
	{NULL, {"--help=1"}, -EINVAL, "--help: takes no value"},
	/* errors win over --help, wherever it is */
	{NULL, {"--help", "--bogus"}, -EINVAL, "unknown option '--bogus'"},
	{NULL,
	 {"--version", "--port-min=1"},
	 -EINVAL,
	 "--port-min: '1' is not a number between 1024 and 65535"},
	/* numbers */
	{NULL,
	 {"--port-min=abc"},
	 -EINVAL,
	 "--port-min: 'abc' is not a number between 1024 and 65535"},
	{NULL, {"--port-min="}, -EINVAL, "--port-min: '' is not a number between 1024 and 65535"},
	{NULL,
	 {"--port-min=-1"},
	 -EINVAL,
	 "--port-min: '-1' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "1023"},
	 -EINVAL,
	 "--port-min: '1023' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "65536"},
	 -EINVAL,
	 "--port-min: '65536' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "30000x"},
	 -EINVAL,
	 "--port-min: '30000x' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "+30000"},
	 -EINVAL,
	 "--port-min: '+30000' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", " 30000"},
	 -EINVAL,
	 "--port-min: ' 30000' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "30000 "},
	 -EINVAL,
	 "--port-min: '30000 ' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "0x7530"},
	 -EINVAL,
	 "--port-min: '0x7530' is not a number between 1024 and 65535"},
	{NULL,
	 {"-m", "99999999999999999999999"},
	 -EINVAL,
	 "--port-min: '99999999999999999999999' is not a number between 1024 and 65535"},
	{NULL, {"--port-max=x"}, -EINVAL, "--port-max: 'x' is not a number between 1024 and 65535"},
	{NULL,
	 {"-M", "70000"},
	 -EINVAL,
	 "--port-max: '70000' is not a number between 1024 and 65535"},
	{NULL, {"--timeout=0"}, -EINVAL, "--timeout: '0' is not a number between 1 and 2592000"},
	{NULL,
	 {"-o", "2592001"},
	 -EINVAL,
	 "--timeout: '2592001' is not a number between 1 and 2592000"},
	{NULL, {"-o", "1.5"}, -EINVAL, "--timeout: '1.5' is not a number between 1 and 2592000"},
	{NULL,
	 {"--silent-timeout=0"},
	 -EINVAL,
	 "--silent-timeout: '0' is not a number between 1 and 2592000"},
	{NULL,
	 {"-s", "-5"},
	 -EINVAL,
	 "--silent-timeout: '-5' is not a number between 1 and 2592000"},
	{NULL,
	 {"--final-timeout=-1"},
	 -EINVAL,
	 "--final-timeout: '-1' is not a number between 0 and 2592000"},
	{NULL,
	 {"-a", "2592001"},
	 -EINVAL,
	 "--final-timeout: '2592001' is not a number between 0 and 2592000"},
	{NULL,
	 {"--delete-delay=x"},
	 -EINVAL,
	 "--delete-delay: 'x' is not a number between 0 and 2592000"},
	{NULL,
	 {"-d", "4294967296"},
	 -EINVAL,
	 "--delete-delay: '4294967296' is not a number between 0 and 2592000"},
	{NULL,
	 {"--port-quarantine=3601"},
	 -EINVAL,
	 "--port-quarantine: '3601' is not a number between 0 and 3600"},
	{NULL,
	 {"--num-threads=0"},
	 -EINVAL,
	 "--num-threads: '0' is not a number between 1 and 256"},
	{NULL,
	 {"--num-threads=257"},
	 -EINVAL,
	 "--num-threads: '257' is not a number between 1 and 256"},
	{NULL,
	 {"--num-threads=4.5"},
	 -EINVAL,
	 "--num-threads: '4.5' is not a number between 1 and 256"},
	/* the port range as a whole */
	{NULL,
	 {"--port-min=40000"},
	 -EINVAL,
	 "--port-min=40000, --port-max=40000: need port-min < port-max, at least 4 ports"},
	{NULL,
	 {"--port-max=29999"},
	 -EINVAL,
	 "--port-min=30000, --port-max=29999: need port-min < port-max, at least 4 ports"},
	{NULL,
	 {"--port-min=30000", "--port-max=30002"},
	 -EINVAL,
	 "--port-min=30000, --port-max=30002: need port-min < port-max, at least 4 ports"},
	/* log level */
	{NULL,
	 {"--log-level=8"},
	 -EINVAL,
	 "--log-level: '8' is not a level 0-7 or err, warn, info, debug"},
	{NULL,
	 {"-L", "-1"},
	 -EINVAL,
	 "--log-level: '-1' is not a level 0-7 or err, warn, info, debug"},
	{NULL,
	 {"-L", "verbose"},
	 -EINVAL,
	 "--log-level: 'verbose' is not a level 0-7 or err, warn, info, debug"},
	{NULL,
	 {"--log-level="},
	 -EINVAL,
	 "--log-level: '' is not a level 0-7 or err, warn, info, debug"},
	/* --listen-ng */
	{NULL,
	 {"--listen-ng=abc"},
	 -EINVAL,
	 "--listen-ng: 'abc' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"--listen-ng="},
	 -EINVAL,
	 "--listen-ng: '' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"--listen-ng=0"},
	 -EINVAL,
	 "--listen-ng: '0' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "65536"},
	 -EINVAL,
	 "--listen-ng: '65536' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "127.0.0.1"},
	 -EINVAL,
	 "--listen-ng: '127.0.0.1' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "127.0.0.1:0"},
	 -EINVAL,
	 "--listen-ng: '127.0.0.1:0' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "127.0.0.1:22x"},
	 -EINVAL,
	 "--listen-ng: '127.0.0.1:22x' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "localhost:2223"},
	 -EINVAL,
	 "--listen-ng: 'localhost:2223' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "::1"},
	 -EINVAL,
	 "--listen-ng: '::1' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "[::1]"},
	 -EINVAL,
	 "--listen-ng: '[::1]' is not [IP:]PORT with a port between 1 and 65535"},
	{NULL,
	 {"-n", "[127.0.0.1]:2223"},
	 -EINVAL,
	 "--listen-ng: '[127.0.0.1]:2223' is not [IP:]PORT with a port between 1 and 65535"},
	/* --interface */
	{NULL,
	 {"-i", "300.1.1.1"},
	 -EINVAL,
	 "--interface: '300.1.1.1': '300.1.1.1' is not an IP address"},
	{NULL, {"-i", "eth0"}, -EINVAL, "--interface: 'eth0': 'eth0' is not an IP address"},
	{NULL, {"--interface="}, -EINVAL, "--interface: '': '' is not an IP address"},
	{NULL, {"-i", "a/"}, -EINVAL, "--interface: 'a/': '' is not an IP address"},
	{NULL, {"-i", "[::1]"}, -EINVAL, "--interface: '[::1]': '[::1]' is not an IP address"},
	{NULL,
	 {"-i", "fe80::1%eth0"},
	 -EINVAL,
	 "--interface: 'fe80::1%eth0': 'fe80::1%eth0' is not an IP address"},
	{NULL,
	 {"-i", "192.0.2.1/24"},
	 -EINVAL,
	 "--interface: '192.0.2.1/24': '24' is not an IP address"},
	{NULL,
	 {"-i", "192.0.2.1;192.0.2.2"},
	 -EINVAL,
	 "--interface: '192.0.2.1;192.0.2.2': '192.0.2.1;192.0.2.2' is not an IP address"},
	{NULL,
	 {"-i", "a/192.0.2.1!"},
	 -EINVAL,
	 "--interface: 'a/192.0.2.1!': '' is not an IP address"},
	{NULL,
	 {"-i", "a/192.0.2.1!x"},
	 -EINVAL,
	 "--interface: 'a/192.0.2.1!x': 'x' is not an IP address"},
	{NULL,
	 {"-i", "/192.0.2.1"},
	 -EINVAL,
	 "--interface: '/192.0.2.1': name must be 1 to 31 letters, digits, '-', '_' or '.'"},
	{NULL,
	 {"-i", "a b/192.0.2.1"},
	 -EINVAL,
	 "--interface: 'a b/192.0.2.1': name must be 1 to 31 letters, digits, '-', '_' or '.'"},
	{NULL,
	 {"-i", "abcdefghijklmnopqrstuvwxyz012345/192.0.2.1"},
	 -EINVAL,
	 "--interface: 'abcdefghijklmnopqrstuvwxyz012345/192.0.2.1': name must be 1 to 31 letters,"
	 " digits, '-', '_' or '.'"},
	{NULL,
	 {"-i", "a/192.0.2.1!2001:db8::1"},
	 -EINVAL,
	 "--interface: 'a/192.0.2.1!2001:db8::1': local and advertised address differ in family"},
	{NULL,
	 {"-i", "2001:db8::1!192.0.2.1"},
	 -EINVAL,
	 "--interface: '2001:db8::1!192.0.2.1': local and advertised address differ in family"},
	{NULL,
	 {"-i", "0.0.0.0"},
	 -EINVAL,
	 "--interface: '0.0.0.0': a wildcard address cannot carry media"},
	{NULL,
	 {"-i", "::!2001:db8::1"},
	 -EINVAL,
	 "--interface: '::!2001:db8::1': a wildcard address cannot carry media"},
	{NULL,
	 {"-i", "192.0.2.1!0.0.0.0"},
	 -EINVAL,
	 "--interface: '192.0.2.1!0.0.0.0': a wildcard address cannot carry media"},
	{NULL,
	 {"-i", "a/192.0.2.1", "-i", "a/192.0.2.1!203.0.113.1"},
	 -EINVAL,
	 "--interface: 'a/192.0.2.1!203.0.113.1' is given twice"},
	{NULL,
	 {"-i", "192.0.2.1", "-i", "default/192.0.2.1"},
	 -EINVAL,
	 "--interface: 'default/192.0.2.1' is given twice"},
	{NULL,
	 {"-i1.0.0.1", "-i1.0.0.2", "-i1.0.0.3", "-i1.0.0.4", "-i1.0.0.5", "-i1.0.0.6", "-i1.0.0.7",
	  "-i1.0.0.8", "-i1.0.0.9", "-i1.0.0.10", "-i1.0.0.11", "-i1.0.0.12", "-i1.0.0.13",
	  "-i1.0.0.14", "-i1.0.0.15", "-i1.0.0.16", "-i1.0.0.17"},
	 -EINVAL,
	 "--interface: more than 16 interfaces"},
	/* paths and names */
	{NULL, {"--pidfile="}, -EINVAL, "--pidfile: empty path"},
	{NULL, {"--state-dir="}, -EINVAL, "--state-dir: empty path"},
	{NULL, {"--pin-root=xr"}, -EINVAL, "--pin-root: 'xr' is not an absolute path"},
	{NULL, {"--cleanup=yes"}, -EINVAL, "--cleanup: takes no value"},
	{"[xrelay]\ncleanup = true\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: 'cleanup' is only a command-line option"},
	{NULL, {"--config-file="}, -EINVAL, "--config-file: empty path"},
	{NULL,
	 {"--config-section="},
	 -EINVAL,
	 "--config-section: '' is not 1 to 31 letters, digits, '-', '_' or '.'"},
	{NULL,
	 {"--config-section=a]b"},
	 -EINVAL,
	 "--config-section: 'a]b' is not 1 to 31 letters, digits, '-', '_' or '.'"},
	{NULL,
	 {"--config-file=/nonexistent/xrelayd.conf"},
	 -EINVAL,
	 "--config-file: cannot open '/nonexistent/xrelayd.conf': No such file or directory"},
	{NULL,
	 {"--config-file=/tmp"},
	 -EINVAL,
	 "--config-file: cannot read '/tmp': Is a directory"},
};

static void test_invalid(void **state)
{
	ROWS(invalid_rows);
}

static const struct row file_rows[] = {
	/* every key, with comments and blank lines */
	{"# xrelayd test\n"
	 "; another comment\n"
	 "\n"
	 "[xrelay]\n"
	 "interface = int/10.0.0.1!203.0.113.5\n"
	 "listen-ng = 127.0.0.1:2300\n"
	 "port-min = 20000\n"
	 "port-max = 20100\n"
	 "timeout = 30\n"
	 "silent-timeout = 600\n"
	 "final-timeout = 7200\n"
	 "delete-delay = 0\n"
	 "port-quarantine = 5\n"
	 "num-threads = 3\n"
	 "foreground = true\n"
	 "log-stderr = yes\n"
	 "log-level = debug\n"
	 "pidfile = /run/xrelayd.pid\n",
	 {NULL},
	 0,
	 "ifaces=1 iface0=int/10.0.0.1!203.0.113.5 listen-ng=127.0.0.1:2300 port-min=20000"
	 " port-max=20100 timeout=30 silent-timeout=600 final-timeout=7200 delete-delay=0"
	 " port-quarantine=5 num-threads=3 foreground=1 log-stderr=1 log-level=7"
	 " pidfile=/run/xrelayd.pid config-file=%F config-section=xrelay"},
	/* only the configured section is read, even when others hold unknown keys */
	{"[other]\nport-min = 11111\nbogus = 1\n[xrelay]\nport-min = 22222\n[third]\nport-max = "
	 "1\n",
	 {NULL},
	 0,
	 "port-min=22222 port-max=40000"},
	{"[xrelay]\nport-min = 22222\n[alt]\nport-min = 33333\n",
	 {"--config-section=alt"},
	 0,
	 "port-min=33333 config-section=alt"},
	{"[alt]\ntimeout = 5\n[xrelay]\ntimeout = 6\n[alt]\nsilent-timeout = 7\n",
	 {"--config-section", "alt"},
	 0,
	 "timeout=5 silent-timeout=7"},
	{"[other]\nbogus = 1\n[xrelay]\n",
	 {"--config-section=other"},
	 -EINVAL,
	 "%F:2: unknown key 'bogus'"},
	/* interface lists, like rtpengine's, and repeated interface lines */
	{"[xrelay]\ninterface = a/192.0.2.1; b/198.51.100.1!203.0.113.1  2001:db8::5;\n",
	 {NULL},
	 0,
	 "ifaces=3 iface0=a/192.0.2.1!192.0.2.1 iface1=b/198.51.100.1!203.0.113.1"
	 " iface2=default/2001:db8::5!2001:db8::5"},
	{"[xrelay]\ninterface = a/192.0.2.1\ninterface = b/192.0.2.2;c/192.0.2.3\n",
	 {NULL},
	 0,
	 "ifaces=3 iface0=a/192.0.2.1!192.0.2.1 iface2=c/192.0.2.3!192.0.2.3"},
	{"[xrelay]\ninterface = 1.0.0.1;1.0.0.2;1.0.0.3;1.0.0.4;1.0.0.5;1.0.0.6;1.0.0.7;1.0.0.8;"
	 "1.0.0.9;1.0.0.10;1.0.0.11;1.0.0.12;1.0.0.13;1.0.0.14;1.0.0.15;1.0.0.16\n",
	 {NULL},
	 0,
	 "ifaces=16 iface15=default/1.0.0.16!1.0.0.16"},
	{"[xrelay]\ninterface = 1.0.0.1;1.0.0.2;1.0.0.3;1.0.0.4;1.0.0.5;1.0.0.6;1.0.0.7;1.0.0.8;"
	 "1.0.0.9;1.0.0.10;1.0.0.11;1.0.0.12;1.0.0.13;1.0.0.14;1.0.0.15;1.0.0.16;1.0.0.17\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: interface: more than 16 interfaces"},
	{"[xrelay]\ninterface = ;\n", {NULL}, -EINVAL, "%F:2: interface: empty interface list"},
	{"[xrelay]\ninterface =\n", {NULL}, -EINVAL, "%F:2: interface: empty interface list"},
	{"[xrelay]\ninterface = 192.0.2.1; 300.0.0.1\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: interface: '300.0.0.1': '300.0.0.1' is not an IP address"},
	{"[xrelay]\ninterface = a/192.0.2.1\ninterface = a/192.0.2.1\n",
	 {NULL},
	 -EINVAL,
	 "%F:3: interface: 'a/192.0.2.1' is given twice"},
	/* the command line wins; its --interface replaces the file's list */
	{"[xrelay]\nport-min = 20000\ntimeout = 9\ninterface = a/192.0.2.1;b/192.0.2.2\n",
	 {"--port-min=25000", "-i", "c/198.51.100.9"},
	 0,
	 "port-min=25000 timeout=9 ifaces=1 iface0=c/198.51.100.9!198.51.100.9"},
	{"[xrelay]\ninterface = a/192.0.2.1;b/192.0.2.2\n",
	 {"-i", "a/192.0.2.1", "-i", "b/192.0.2.2"},
	 0,
	 "ifaces=2 iface0=a/192.0.2.1!192.0.2.1 iface1=b/192.0.2.2!192.0.2.2"},
	{"[xrelay]\ninterface = a/192.0.2.1;b/192.0.2.2\n",
	 {"--timeout=9"},
	 0,
	 "timeout=9 ifaces=2 iface1=b/192.0.2.2!192.0.2.2"},
	{"[xrelay]\nforeground = false\nlog-level = 3\n",
	 {"-f", "-L", "5"},
	 0,
	 "foreground=1 log-level=5"},
	{"[xrelay]\nport-min = 2000\nport-max = 2001\n",
	 {"--port-max=3000"},
	 0,
	 "port-min=2000 port-max=3000"},
	{"[xrelay]\nport-min = 30000\nport-max = 30001\n",
	 {NULL},
	 -EINVAL,
	 "--port-min=30000, --port-max=30001: need port-min < port-max, at least 4 ports"},
	/* --config-file=none after the file: no file read */
	{"[xrelay]\nport-min = 2000\n",
	 {"--config-file=none"},
	 0,
	 "port-min=30000 config-file=none"},
	/* command-line errors come before the file's */
	{"[xrelay]\nbogus = 1\n",
	 {"--port-min=abc"},
	 -EINVAL,
	 "--port-min: 'abc' is not a number between 1024 and 65535"},
	/* booleans */
	{"[xrelay]\nforeground = off\nlog-stderr = 1\n", {NULL}, 0, "foreground=0 log-stderr=1"},
	{"[xrelay]\nforeground = TRUE\nlog-stderr = No\n", {NULL}, 0, "foreground=1 log-stderr=0"},
	{"[xrelay]\nforeground = maybe\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: foreground: 'maybe' is not true or false"},
	{"[xrelay]\nlog-stderr =\n", {NULL}, -EINVAL, "%F:2: log-stderr: '' is not true or false"},
	/* layout: whitespace, CRLF, '=' in a value, the last of a repeated key */
	{"  [ xrelay ]  \n\tport-min\t=\t2000\t\n", {NULL}, 0, "port-min=2000"},
	{"[xrelay]\r\nport-min = 2000\r\n", {NULL}, 0, "port-min=2000"},
	{"[xrelay]\npidfile = /tmp/a=b\n", {NULL}, 0, "pidfile=/tmp/a=b"},
	{"[xrelay]\ntimeout = 5\ntimeout = 6\n", {NULL}, 0, "timeout=6"},
	{"[xrelay]\nport-min=2000", {NULL}, 0, "port-min=2000"}, /* no final newline */
	/* errors, each naming file and line */
	{"[xrelay]\n# c\n\nfoo = 1\n", {NULL}, -EINVAL, "%F:4: unknown key 'foo'"},
	{"[xrelay]\nPort-Min = 2000\n", {NULL}, -EINVAL, "%F:2: unknown key 'Port-Min'"},
	{"[xrelay]\n--port-min = 2000\n", {NULL}, -EINVAL, "%F:2: unknown key '--port-min'"},
	{"[xrelay]\nport-min = abc\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: port-min: 'abc' is not a number between 1024 and 65535"},
	{"[xrelay]\nport-min = 2000 # two thousand\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: port-min: '2000 # two thousand' is not a number between 1024 and 65535"},
	{"[xrelay]\nlisten-ng = nowhere\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: listen-ng: 'nowhere' is not [IP:]PORT with a port between 1 and 65535"},
	{"[xrelay]\nlog-level = loud\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: log-level: 'loud' is not a level 0-7 or err, warn, info, debug"},
	{"[xrelay]\npidfile =\n", {NULL}, -EINVAL, "%F:2: pidfile: empty path"},
	{"[xrelay]\nnum-threads = 0\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: num-threads: '0' is not a number between 1 and 256"},
	{"[other]\nport-min = 2000\n",
	 {NULL},
	 -EINVAL,
	 "--config-section: no section [xrelay] in '%F'"},
	{"", {NULL}, -EINVAL, "--config-section: no section [xrelay] in '%F'"},
	{"port-min = 2000\n[xrelay]\n",
	 {NULL},
	 -EINVAL,
	 "%F:1: key 'port-min' before any [section]"},
	{"[xrelay]\nforeground\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: expected 'key = value', got 'foreground'"},
	{"[xrelay]\n= 5\n", {NULL}, -EINVAL, "%F:2: expected 'key = value', got '= 5'"},
	{"[other]\njunk\n[xrelay]\n", {NULL}, -EINVAL, "%F:2: expected 'key = value', got 'junk'"},
	{"[xrelay\n", {NULL}, -EINVAL, "%F:1: malformed section header '[xrelay'"},
	{"[xrelay]\nconfig-file = /x\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: 'config-file' is only a command-line option"},
	{"[xrelay]\nconfig-section = y\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: 'config-section' is only a command-line option"},
	{"[xrelay]\nhelp = true\n", {NULL}, -EINVAL, "%F:2: 'help' is only a command-line option"},
	{"[xrelay]\nversion = true\n",
	 {NULL},
	 -EINVAL,
	 "%F:2: 'version' is only a command-line option"},
};

static void test_file(void **state)
{
	ROWS(file_rows);
}

static void test_file_nul_byte(void **state)
{
	static const char text[] = "[xrelay]\nport-min = 2000\0junk\n";
	char path[] = "/tmp/xrelay-test-config-XXXXXX", arg[300], expect[300], err[512];
	char *argv[] = {"xrelayd", arg, NULL};
	struct config cfg;
	int rc;

	write_file(path, text, sizeof(text) - 1);
	snprintf(arg, sizeof(arg), "--config-file=%s", path);
	rc = config_load(&cfg, 2, argv, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: NUL byte in line", path);
	assert_string_equal(err, expect);
}

static void test_long_values(void **state)
{
	char arg[600], err[512], expect[600];
	char *argv[] = {"xrelayd", "--config-file=none", arg, NULL};
	struct config cfg;
	char p[300];

	/* CONFIG_PATH_LEN - 1 characters fit, one more does not. */
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[CONFIG_PATH_LEN - 1] = 0;
	snprintf(arg, sizeof(arg), "--pidfile=%s", p);
	assert_int_equal(config_load(&cfg, 3, argv, err, sizeof(err)), 0);
	assert_string_equal(cfg.pidfile, p);
	p[CONFIG_PATH_LEN - 1] = 'a';
	p[CONFIG_PATH_LEN] = 0;
	snprintf(arg, sizeof(arg), "--pidfile=%s", p);
	assert_int_equal(config_load(&cfg, 3, argv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--pidfile: path longer than 255 characters");
	snprintf(arg, sizeof(arg), "--config-file=%s", p);
	assert_int_equal(config_load(&cfg, 3, argv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--config-file: path longer than 255 characters");

	/* An interface far too long is refused, quoting only its start. */
	memset(p, '1', 200);
	p[200] = 0;
	snprintf(arg, sizeof(arg), "--interface=%s", p);
	assert_int_equal(config_load(&cfg, 3, argv, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "--interface: '%.40s...' is too long", p);
	assert_string_equal(err, expect);

	/* A message longer than the caller's buffer is cut, not overrun. */
	memset(err, 'z', sizeof(err));
	assert_int_equal(config_load(&cfg, 3, argv, err, 10), -EINVAL);
	assert_string_equal(err, "--interfa");
	assert_int_equal(err[10], 'z');
	assert_int_equal(config_load(&cfg, 3, argv, NULL, 0), -EINVAL);
}

/* docs/xrelayd.conf documents every key with its default: loading it as shipped, and with
 * every key uncommented, must both give the defaults. Run from the repository root. */
static void test_example_file(void **state)
{
	static const char *const keys[] = {
		"interface",	   "listen-ng",	     "port-min",      "port-max",
		"timeout",	   "silent-timeout", "final-timeout", "delete-delay",
		"port-quarantine", "num-threads",    "foreground",    "pidfile",
		"log-level",	   "log-stderr",     "pin-root",      "state-dir",
	};
	char path[] = "/tmp/xrelay-test-config-XXXXXX", arg[300], err[512], got[2048];
	char expect[2048], line[512], *argv[] = {"xrelayd", arg, NULL};
	FILE *in = fopen("docs/xrelayd.conf", "r"), *out;
	struct config cfg;
	unsigned int seen = 0;
	int fd, rc;

	if (!in)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	while (fgets(line, sizeof(line), in)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);

			if (line[0] == '#' && !strncmp(line + 1, keys[i], n) &&
			    !strncmp(line + 1 + n, " = ", 3)) {
				seen |= 1u << i;
				/* pidfile has no default: its example value stays commented. */
				if (strcmp(keys[i], "pidfile"))
					memmove(line, line + 1, strlen(line));
			}
		}
		fputs(line, out);
	}
	fclose(in);
	fclose(out);

	snprintf(arg, sizeof(arg), "--config-file=%s", path);
	rc = config_load(&cfg, 2, argv, err, sizeof(err));
	unlink(path);
	assert_int_equal(seen, (1u << (sizeof(keys) / sizeof(keys[0]))) - 1);
	if (rc)
		fail_msg("uncommented example: %s", err);
	cfg.num_threads = online_cpus(); /* the example shows 4 */
	dump(&cfg, got, sizeof(got));
	default_dump(expect, sizeof(expect), path);
	assert_string_equal(got, expect);

	snprintf(arg, sizeof(arg), "--config-file=docs/xrelayd.conf");
	assert_int_equal(config_load(&cfg, 2, argv, err, sizeof(err)), 0);
	dump(&cfg, got, sizeof(got));
	default_dump(expect, sizeof(expect), "docs/xrelayd.conf");
	assert_string_equal(got, expect);
}

/* Runs config_load with stdout sent to a file; returns what it printed. */
static int load_capturing(char **argv, char *out, size_t outlen, char *err, size_t errlen)
{
	char path[] = "/tmp/xrelay-test-stdout-XXXXXX";
	int fd = mkstemp(path), saved, rc, argc = 0;
	ssize_t n;

	while (argv[argc])
		argc++;
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	rc = config_load(&(struct config){0}, argc, argv, err, errlen);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return rc;
}

static void test_help(void **state)
{
	/* Every option, with its short letter where rtpengine has one. */
	static const char *const listed[] = {
		"--config-file=FILE",
		"--config-section=NAME",
		"-i, --interface=[NAME/]IP[!IP]",
		"-n, --listen-ng=[IP:]PORT",
		"-m, --port-min=INT",
		"-M, --port-max=INT",
		"-o, --timeout=SECS",
		"-s, --silent-timeout=SECS",
		"-a, --final-timeout=SECS",
		"-d, --delete-delay=SECS",
		"--port-quarantine=SECS",
		"--num-threads=INT",
		"-f, --foreground",
		"-p, --pidfile=FILE",
		"-L, --log-level=LEVEL",
		"-E, --log-stderr",
		"-v, --version",
		"-h, --help",
	};
	char *argv_long[] = {"xrelayd", "--help", NULL};
	char *argv_short[] = {"xrelayd", "-h", NULL};
	/* Help is printed before any file is opened. */
	char *argv_file[] = {"xrelayd", "--config-file=/nonexistent", "-f", "--help", NULL};
	char out[8192], err[256];

	assert_int_equal(load_capturing(argv_long, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "Usage: xrelayd"));
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		if (!strstr(out, listed[i]))
			fail_msg("'%s' not in --help:\n%s", listed[i], out);
	assert_int_equal(load_capturing(argv_short, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "Usage: xrelayd"));
	assert_int_equal(load_capturing(argv_file, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "Usage: xrelayd"));
}

static void test_version(void **state)
{
	char *argv_long[] = {"xrelayd", "--config-file=none", "--version", NULL};
	char *argv_short[] = {"xrelayd", "-v", "--config-file=/nonexistent", NULL};
	char out[256], err[256];

	assert_int_equal(load_capturing(argv_long, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(out, "xrelayd " XRELAY_VERSION "\n");
	assert_int_equal(load_capturing(argv_short, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(out, "xrelayd " XRELAY_VERSION "\n");
}

/* getopt must not permute the caller's argv. */
static void test_argv_untouched(void **state)
{
	char a0[] = "xrelayd", a1[] = "--config-file=none", a2[] = "-f", a3[] = "stray",
	     a4[] = "-E";
	char *argv[] = {a0, a1, a2, a3, a4, NULL};
	char err[256];
	struct config cfg;

	assert_int_equal(config_load(&cfg, 5, argv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument 'stray'");
	assert_ptr_equal(argv[2], a2);
	assert_ptr_equal(argv[3], a3);
	assert_ptr_equal(argv[4], a4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_valid),	     cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_file),	     cmocka_unit_test(test_file_nul_byte),
		cmocka_unit_test(test_long_values),  cmocka_unit_test(test_help),
		cmocka_unit_test(test_version),	     cmocka_unit_test(test_argv_untouched),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
