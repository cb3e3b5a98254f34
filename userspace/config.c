// SPDX-License-Identifier: GPL-2.0-only
/* xrelayd's configuration: defaults, then the INI file, then the command line, with rtpengine's
 * option names. Every bad value is refused with one line that names the option. */
#include "config.h"

#include "log.h"
#include "redis.h"
#include "state.h"
#include "xrelay/abi.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef XRELAY_VERSION
#define XRELAY_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PORT_LOWEST 1024
#define MAX_THREADS 256
/* Far beyond any call's life, and far from overflowing once converted to milliseconds. */
#define MAX_SECS (30 * 86400)

/* getopt's value for the options without a short letter: above any character. */
enum {
	O_PORT_QUARANTINE = 256,
	O_NUM_THREADS,
	O_CONFIG_FILE,
	O_CONFIG_SECTION,
	O_XDP,
	O_TABLE,
	O_RTCP_KERNEL,
	O_MAX_SESSIONS,
	O_MAX_LOAD,
	O_MAX_CPU,
	O_CONTROL_SOCKET,
	O_LISTEN_TCP_NG,
	O_LISTEN_HTTP,
	O_NG_ALLOW,
	O_STATE_DIR,
	O_PIN_ROOT,
	O_CLEANUP,
	O_REDIS,
	O_REDIS_ROLE,
	O_REDIS_TAKEOVER,
};

struct opt_def {
	const char *name;
	int id;		 /* the short option letter, or one of the O_* values */
	const char *arg; /* the value's placeholder for --help; NULL: a flag */
	bool cli_only;	 /* not a key of the INI file */
	const char *help;
};

/* In the order --help lists them. */
static const struct opt_def opts[] = {
	{"config-file", O_CONFIG_FILE, "FILE", true,
	 "INI file or 'none' (default " CONFIG_DEFAULT_FILE ", if present)"},
	{"config-section", O_CONFIG_SECTION, "NAME", true,
	 "section of the INI file to read (default xrelay)"},
	{"interface", 'i', "[NAME/]IP[!IP]", false,
	 "media address [!the one in SDP]; repeatable (default 127.0.0.1)"},
	{"listen-ng", 'n', "[IP:]PORT", false,
	 "UDP address of the ng protocol (default 127.0.0.1:2223)"},
	{"listen-tcp-ng", O_LISTEN_TCP_NG, "[IP:]PORT", false,
	 "TCP address of the ng protocol (default: none)"},
	{"listen-http", O_LISTEN_HTTP, "[IP:]PORT", false,
	 "HTTP address: ng, WebSocket ng, /ping, /metrics (default: none)"},
	{"ng-allow", O_NG_ALLOW, "CIDR", false,
	 "accept ng (UDP, TCP, HTTP) only from IP[/PREFIX]; repeatable (default: any)"},
	{"control-socket", O_CONTROL_SOCKET, "PATH", false,
	 "unix socket for relayctl, or 'none' (default " CONFIG_DEFAULT_CONTROL_SOCKET ")"},
	{"port-min", 'm', "INT", false, "lowest media port (default 30000)"},
	{"port-max", 'M', "INT", false, "highest media port (default 40000)"},
	{"timeout", 'o', "SECS", false, "end a call after this long without media (default 60)"},
	{"silent-timeout", 's', "SECS", false, "the same for muted or held calls (default 3600)"},
	{"final-timeout", 'a', "SECS", false,
	 "end any call this long after it began; 0: never (default)"},
	{"delete-delay", 'd', "SECS", false, "keep a deleted call this long (default 30)"},
	{"port-quarantine", O_PORT_QUARANTINE, "SECS", false,
	 "leave a freed port unused this long (default 10)"},
	{"num-threads", O_NUM_THREADS, "INT", false, "media worker threads (default: online CPUs)"},
	{"xdp", O_XDP, "MODE", false,
	 "kernel fast path: native (default; generic where native fails), generic, off"},
	{"table", O_TABLE, "INT", false, "rtpengine's kernel table: -1 means --xdp=off"},
	{"pin-root", O_PIN_ROOT, "DIR", false,
	 "where the fast path's maps are pinned (default " XR_PIN_ROOT ")"},
	{"state-dir", O_STATE_DIR, "DIR", false,
	 "keep the calls here across restarts, or 'none' (default " STATE_DEFAULT_DIR ")"},
	{"redis", O_REDIS, "HOST:PORT[/DB]", false,
	 "keep the calls in this Redis too (active), or follow it (standby)"},
	{"redis-role", O_REDIS_ROLE, "ROLE", false,
	 "active (default): write the calls to --redis; standby: hold its calls as foreign "
	 "calls until the ng command takeover"},
	{"redis-takeover", O_REDIS_TAKEOVER, "MODE", false,
	 "standby: manual (default): on the ng command takeover only; auto: also when the "
	 "active node's heartbeat expires"},
	{"cleanup", O_CLEANUP, NULL, true,
	 "detach the fast path, unpin its maps, forget the saved calls, and exit"},
	{"rtcp-kernel", O_RTCP_KERNEL, NULL, false,
	 "forward RTCP in the kernel too: no RTCP statistics for those calls"},
	{"max-sessions", O_MAX_SESSIONS, "INT", false,
	 "refuse new calls from this many on; -1: no limit (default)"},
	{"max-load", O_MAX_LOAD, "FLOAT", false,
	 "refuse new calls while the 1-minute load average is this high; 0: off (default)"},
	{"max-cpu", O_MAX_CPU, "FLOAT", false,
	 "refuse new calls while CPU usage is this many percent; 0: off (default)"},
	{"foreground", 'f', NULL, false, "do not fork to the background"},
	{"pidfile", 'p', "FILE", false, "write the process id to this file"},
	{"log-level", 'L', "LEVEL", false,
	 "syslog level 0-7 or err, warn, info, debug (default 6)"},
	{"log-stderr", 'E', NULL, false, "log on stderr instead of syslog"},
	{"version", 'v', NULL, true, "print the version and exit"},
	{"help", 'h', NULL, true, "print this help and exit"},
};

/* Where values come from while loading, and where errors go. */
struct loader {
	struct config *cfg;
	char *err;
	size_t errlen;
	const char *file; /* NULL: the command line */
	int line;
	bool cli_ifaces; /* the command line gave --interface: it replaces the file's list */
	bool cli_allow;	 /* the same for --ng-allow */
	bool help, version;
};

/* Writes "--name: msg", "file:line: name: msg" or "file:line: msg" into err. */
__attribute__((format(printf, 3, 4))) static int fail(struct loader *ld, const struct opt_def *o,
						      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ld->err || !ld->errlen)
		return -EINVAL;
	if (ld->file && o)
		snprintf(ld->err, ld->errlen, "%s:%d: %s: %s", ld->file, ld->line, o->name, msg);
	else if (ld->file)
		snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->file, ld->line, msg);
	else if (o)
		snprintf(ld->err, ld->errlen, "--%s: %s", o->name, msg);
	else
		snprintf(ld->err, ld->errlen, "%s", msg);
	return -EINVAL;
}

static const struct opt_def *find_id(int id)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].id == id)
			return &opts[i];
	return NULL;
}

static const struct opt_def *find_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static void set_defaults(struct config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	ep_parse(&cfg->listen_ng, "127.0.0.1:2223", NULL);
	cfg->port_min = 30000;
	cfg->port_max = 40000;
	cfg->timeout = 60;
	cfg->silent_timeout = 3600;
	cfg->final_timeout = 0;
	cfg->delete_delay = 30;
	cfg->port_quarantine = 10;
	cfg->xdp = XDP_MODE_NATIVE;
	cfg->max_sessions = -1;
	cfg->num_threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	cfg->log_level = LOG_INFO;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CONFIG_DEFAULT_CONTROL_SOCKET);
	snprintf(cfg->config_section, sizeof(cfg->config_section), "xrelay");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", STATE_DEFAULT_DIR);
	snprintf(cfg->pin_root, sizeof(cfg->pin_root), "%s", XR_PIN_ROOT);
}

static int set_uint(struct loader *ld, const struct opt_def *o, const char *s, unsigned int min,
		    unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	/* strtoul alone would take "-1", " 5" and "+5". */
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = (unsigned int)v;
	return 0;
bad:
	return fail(ld, o, "'%s' is not a number between %u and %u", s, min, max);
}

static int set_double(struct loader *ld, const struct opt_def *o, const char *s, double min,
		      double max, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return fail(ld, o, "'%s' is not a number between %g and %g", s, min, max);
}

static int set_flag(struct loader *ld, const struct opt_def *o, const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	if (!s) { /* a command-line flag */
		*out = true;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return fail(ld, o, "'%s' is not true or false", s);
}

static int set_path(struct loader *ld, const struct opt_def *o, const char *s, char *out,
		    size_t len)
{
	if (!*s)
		return fail(ld, o, "empty path");
	if (strlen(s) >= len)
		return fail(ld, o, "path longer than %zu characters", len - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONFIG_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

static int set_listen(struct loader *ld, const struct opt_def *o, const char *s,
		      struct endpoint *out)
{
	struct endpoint ep;

	/* A bare port stays on loopback: the ng protocol has no authentication. */
	if (ep_parse(&ep, s, "127.0.0.1") || ep_port(&ep) == 0)
		return fail(ld, o, "'%s' is not [IP:]PORT with a port between 1 and 65535", s);
	*out = ep;
	return 0;
}

/* One [NAME/]IP[!ADVERTISED_IP]. */
static int add_iface(struct loader *ld, const struct opt_def *o, const char *s)
{
	struct config *cfg = ld->cfg;
	struct cfg_iface ifc = {0};
	char buf[128], *ip = buf, *adv, *slash;

	if (strlen(s) >= sizeof(buf))
		return fail(ld, o, "'%.40s...' is too long", s);
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		ip = slash + 1;
		if (!valid_name(buf))
			return fail(ld, o,
				    "'%s': name must be 1 to %d letters, digits, '-', '_' or '.'",
				    s, CONFIG_NAME_LEN - 1);
		memcpy(ifc.name, buf, strlen(buf) + 1);
	} else {
		snprintf(ifc.name, sizeof(ifc.name), "default");
	}
	adv = strchr(ip, '!');
	if (adv)
		*adv++ = 0;
	if (ep_parse_ip(&ifc.local, ip))
		return fail(ld, o, "'%s': '%s' is not an IP address", s, ip);
	ifc.advertised = ifc.local;
	if (adv) {
		if (ep_parse_ip(&ifc.advertised, adv))
			return fail(ld, o, "'%s': '%s' is not an IP address", s, adv);
		if (ep_family(&ifc.advertised) != ep_family(&ifc.local))
			return fail(ld, o, "'%s': local and advertised address differ in family",
				    s);
	}
	/* Media is relayed from, and announced as, one concrete address. */
	if (ep_is_any(&ifc.local) || ep_is_any(&ifc.advertised))
		return fail(ld, o, "'%s': a wildcard address cannot carry media", s);
	for (int i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, ifc.name) &&
		    ep_addr_eq(&cfg->ifaces[i].local, &ifc.local))
			return fail(ld, o, "'%s' is given twice", s);
	if (cfg->n_ifaces >= CONFIG_MAX_IFACES)
		return fail(ld, o, "more than %d interfaces", CONFIG_MAX_IFACES);
	cfg->ifaces[cfg->n_ifaces++] = ifc;
	return 0;
}

/* The file takes a list, "a/192.0.2.1; b/198.51.100.1", like rtpengine's. */
static int add_iface_list(struct loader *ld, const struct opt_def *o, char *s)
{
	char *save = NULL, *tok;
	int rc, n = 0;

	for (tok = strtok_r(s, "; \t", &save); tok; tok = strtok_r(NULL, "; \t", &save)) {
		rc = add_iface(ld, o, tok);
		if (rc)
			return rc;
		n++;
	}
	return n ? 0 : fail(ld, o, "empty interface list");
}

/* One --ng-allow IP[/PREFIX]. */
static int add_allow(struct loader *ld, const struct opt_def *o, const char *s)
{
	struct config *cfg = ld->cfg;
	char why[160];

	if (cfg->n_ng_allow >= CONFIG_MAX_NG_ALLOW)
		return fail(ld, o, "more than %d prefixes", CONFIG_MAX_NG_ALLOW);
	if (cidr_parse(&cfg->ng_allow[cfg->n_ng_allow], s, why, sizeof(why)))
		return fail(ld, o, "%s", why);
	cfg->n_ng_allow++;
	return 0;
}

/* The file takes a list, "10.0.0.0/8; 2001:db8::/32", like interface. */
static int add_allow_list(struct loader *ld, const struct opt_def *o, char *s)
{
	char *save = NULL, *tok;
	int rc, n = 0;

	for (tok = strtok_r(s, "; \t", &save); tok; tok = strtok_r(NULL, "; \t", &save)) {
		rc = add_allow(ld, o, tok);
		if (rc)
			return rc;
		n++;
	}
	return n ? 0 : fail(ld, o, "empty prefix list");
}

/* val is NULL for a flag on the command line; the file's values may be modified in place. */
static int apply(struct loader *ld, const struct opt_def *o, char *val)
{
	struct config *cfg = ld->cfg;
	unsigned int v;
	int rc;

	switch (o->id) {
	case 'i':
		if (ld->file)
			return add_iface_list(ld, o, val);
		if (!ld->cli_ifaces) {
			ld->cli_ifaces = true;
			cfg->n_ifaces = 0;
		}
		return add_iface(ld, o, val);
	case 'n':
		return set_listen(ld, o, val, &cfg->listen_ng);
	case O_LISTEN_TCP_NG:
		return set_listen(ld, o, val, &cfg->listen_tcp_ng);
	case O_LISTEN_HTTP:
		return set_listen(ld, o, val, &cfg->listen_http);
	case O_NG_ALLOW:
		if (ld->file)
			return add_allow_list(ld, o, val);
		if (!ld->cli_allow) {
			ld->cli_allow = true;
			cfg->n_ng_allow = 0;
		}
		return add_allow(ld, o, val);
	case 'm':
		return set_uint(ld, o, val, PORT_LOWEST, 65535, &cfg->port_min);
	case 'M':
		return set_uint(ld, o, val, PORT_LOWEST, 65535, &cfg->port_max);
	case 'o':
		return set_uint(ld, o, val, 1, MAX_SECS, &cfg->timeout);
	case 's':
		return set_uint(ld, o, val, 1, MAX_SECS, &cfg->silent_timeout);
	case 'a':
		return set_uint(ld, o, val, 0, MAX_SECS, &cfg->final_timeout);
	case 'd':
		return set_uint(ld, o, val, 0, MAX_SECS, &cfg->delete_delay);
	case O_PORT_QUARANTINE:
		return set_uint(ld, o, val, 0, 3600, &cfg->port_quarantine);
	case O_NUM_THREADS:
		rc = set_uint(ld, o, val, 1, MAX_THREADS, &v);
		if (!rc)
			cfg->num_threads = (int)v;
		return rc;
	case O_XDP:
		if (!strcmp(val, "native"))
			cfg->xdp = XDP_MODE_NATIVE;
		else if (!strcmp(val, "generic"))
			cfg->xdp = XDP_MODE_GENERIC;
		else if (!strcmp(val, "off"))
			cfg->xdp = XDP_MODE_OFF;
		else
			return fail(ld, o, "'%s' is not native, generic or off", val);
		return 0;
	case O_MAX_SESSIONS:
		if (!strcmp(val, "-1")) {
			cfg->max_sessions = -1;
			return 0;
		}
		rc = set_uint(ld, o, val, 0, 10000000, &v);
		if (!rc)
			cfg->max_sessions = (int)v;
		return rc;
	case O_MAX_LOAD:
		return set_double(ld, o, val, 0, 10000, &cfg->max_load);
	case O_MAX_CPU:
		return set_double(ld, o, val, 0, 100, &cfg->max_cpu);
	case O_TABLE:
		/* rtpengine's kernel module table: a negative one means no kernel forwarding. */
		if (!strcmp(val, "-1")) {
			cfg->xdp = XDP_MODE_OFF;
			return 0;
		}
		return set_uint(ld, o, val, 0, 65535, &v);
	case O_RTCP_KERNEL:
		return set_flag(ld, o, val, &cfg->rtcp_kernel);
	case 'f':
		return set_flag(ld, o, val, &cfg->foreground);
	case 'E':
		return set_flag(ld, o, val, &cfg->log_stderr);
	case 'p':
		return set_path(ld, o, val, cfg->pidfile, sizeof(cfg->pidfile));
	case O_CONTROL_SOCKET:
		return set_path(ld, o, val, cfg->control_socket, sizeof(cfg->control_socket));
	case O_STATE_DIR:
		return set_path(ld, o, val, cfg->state_dir, sizeof(cfg->state_dir));
	case O_PIN_ROOT:
		if (val[0] != '/')
			return fail(ld, o, "'%s' is not an absolute path", val);
		return set_path(ld, o, val, cfg->pin_root, sizeof(cfg->pin_root));
	case O_CLEANUP:
		return set_flag(ld, o, val, &cfg->cleanup);
	case O_REDIS: {
		char host[256];
		int port, db;

		if (!strcmp(val, "none")) {
			cfg->redis[0] = 0;
			return 0;
		}
		if (redis_parse(val, host, sizeof(host), &port, &db))
			return fail(ld, o, "'%s' is not HOST:PORT[/DB] (DB 0-15)", val);
		return set_path(ld, o, val, cfg->redis, sizeof(cfg->redis));
	}
	case O_REDIS_ROLE:
		if (strcmp(val, "active") && strcmp(val, "standby"))
			return fail(ld, o, "'%s' is not active or standby", val);
		cfg->redis_standby = !strcmp(val, "standby");
		return 0;
	case O_REDIS_TAKEOVER:
		if (strcmp(val, "manual") && strcmp(val, "auto"))
			return fail(ld, o, "'%s' is not manual or auto", val);
		cfg->redis_takeover_auto = !strcmp(val, "auto");
		return 0;
	case 'L':
		rc = log_level_parse(val);
		if (rc < 0)
			return fail(ld, o, "'%s' is not a level 0-7 or err, warn, info, debug",
				    val);
		cfg->log_level = rc;
		return 0;
	case O_CONFIG_FILE:
		return set_path(ld, o, val, cfg->config_file, sizeof(cfg->config_file));
	case O_CONFIG_SECTION:
		if (!valid_name(val))
			return fail(ld, o, "'%s' is not 1 to %d letters, digits, '-', '_' or '.'",
				    val, CONFIG_NAME_LEN - 1);
		memcpy(cfg->config_section, val, strlen(val) + 1);
		return 0;
	case 'h':
		ld->help = true;
		return 0;
	case 'v':
		ld->version = true;
		return 0;
	}
	return fail(ld, o, "not handled"); /* a table entry without a case */
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

/* One line of the INI file; *in_section tracks whether it is the configured section's. */
static int parse_line(struct loader *ld, char *line, const char *section, bool *in_section,
		      bool *seen_section, bool *found)
{
	const struct opt_def *o;
	char *s = trim(line), *eq, *key;

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);

		if (s[n - 1] != ']')
			return fail(ld, NULL, "malformed section header '%s'", s);
		s[n - 1] = 0;
		*in_section = !strcmp(trim(s + 1), section);
		*found |= *in_section;
		*seen_section = true;
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return fail(ld, NULL, "expected 'key = value', got '%s'", s);
	*eq = 0;
	key = trim(s);
	if (!*seen_section)
		return fail(ld, NULL, "key '%s' before any [section]", key);
	if (!*in_section)
		return 0;
	o = find_name(key);
	if (!o)
		return fail(ld, NULL, "unknown key '%s'", key);
	if (o->cli_only)
		return fail(ld, NULL, "'%s' is only a command-line option", key);
	return apply(ld, o, trim(eq + 1));
}

static int load_file(struct loader *ld, const char *path, const char *section)
{
	bool in_section = false, seen_section = false, found = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return fail(ld, find_id(O_CONFIG_FILE), "cannot open '%s': %s", path,
			    strerror(errno));
	ld->file = path;
	ld->line = 0;
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		ld->line++;
		if ((size_t)len != strlen(line))
			rc = fail(ld, NULL, "NUL byte in line");
		else
			rc = parse_line(ld, line, section, &in_section, &seen_section, &found);
	}
	if (!rc && ferror(f)) {
		ld->file = NULL;
		rc = fail(ld, find_id(O_CONFIG_FILE), "cannot read '%s': %s", path,
			  strerror(errno));
	}
	if (!rc && !found) {
		ld->file = NULL;
		rc = fail(ld, find_id(O_CONFIG_SECTION), "no section [%s] in '%s'", section, path);
	}
	ld->file = NULL;
	free(line);
	fclose(f);
	return rc;
}

/* Walks argv once from the start; apply() is given each option in turn. */
static int parse_argv(struct loader *ld, int argc, char **argv)
{
	struct option lo[ARRAY_SIZE(opts) + 1];
	/* '+': stop at the first non-option instead of permuting argv; ':': report a missing
	 * value as ':' and let us word the message. */
	char shortopts[2 + 2 * ARRAY_SIZE(opts) + 1] = "+:";
	size_t n = 2;
	int c, rc;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[i].val = opts[i].id;
		if (opts[i].id < 256) {
			shortopts[n++] = (char)opts[i].id;
			if (opts[i].arg)
				shortopts[n++] = ':';
		}
	}
	shortopts[n] = 0;
	if (argc < 1 || !argv)
		return 0;
	/* glibc reinitialises getopt (including its position inside "-abc") only on optind 0. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		const struct opt_def *o = find_id(c);
		const char *arg;

		if (c == ':')
			return fail(ld, find_id(optopt), "missing value");
		if (c == '?') {
			arg = argv[optind - 1];
			o = find_id(optopt);
			/* A known optopt with '?' only comes from "--flag=value". */
			if (o && !strncmp(arg, "--", 2))
				return fail(ld, o, "takes no value");
			if (optopt)
				return fail(ld, NULL, "unknown option '-%c'", optopt);
			return fail(ld, NULL, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
		}
		if (!o)
			return fail(ld, NULL, "unexpected getopt result %d", c);
		rc = apply(ld, o, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return fail(ld, NULL, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void print_usage(void)
{
	printf("Usage: xrelayd [OPTION...]\n"
	       "Media relay driven by the rtpengine ng protocol (SIP proxies: Kamailio, "
	       "OpenSIPS).\n"
	       "Options may also be set in the INI file, as 'name = value' without the "
	       "dashes.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt_def *o = &opts[i];
		char left[64];

		snprintf(left, sizeof(left), "%c%c%c --%s%s%s", o->id < 256 ? '-' : ' ',
			 o->id < 256 ? o->id : ' ', o->id < 256 ? ',' : ' ', o->name,
			 o->arg ? "=" : "", o->arg ? o->arg : "");
		printf("  %-32s %s\n", left, o->help);
	}
}

int config_load(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	struct config scratch;
	struct loader ld = {.cfg = &scratch, .err = err, .errlen = errlen};
	const char *path = NULL;
	int rc;

	if (err && errlen)
		err[0] = 0;

	/* First pass into a scratch copy: command-line errors are reported before the file is
	 * read, and --config-file / --config-section are known before it is. */
	set_defaults(&scratch);
	rc = parse_argv(&ld, argc, argv);
	if (rc)
		return rc;
	if (ld.help) {
		print_usage();
		return 1;
	}
	if (ld.version) {
		printf("xrelayd %s\n", XRELAY_VERSION);
		return 1;
	}

	set_defaults(cfg);
	memcpy(cfg->config_file, scratch.config_file, sizeof(cfg->config_file));
	memcpy(cfg->config_section, scratch.config_section, sizeof(cfg->config_section));
	ld = (struct loader){.cfg = cfg, .err = err, .errlen = errlen};
	if (!cfg->config_file[0]) {
		/* Only the default file may be absent. */
		if (access(CONFIG_DEFAULT_FILE, F_OK) == 0) {
			path = CONFIG_DEFAULT_FILE;
			snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", path);
		}
	} else if (strcmp(cfg->config_file, "none")) {
		path = cfg->config_file;
	}
	if (path) {
		rc = load_file(&ld, path, cfg->config_section);
		if (rc)
			return rc;
	}
	rc = parse_argv(&ld, argc, argv);
	if (rc)
		return rc;

	if (cfg->port_min >= cfg->port_max || cfg->port_max - cfg->port_min < 3)
		return fail(
			&ld, NULL,
			"--port-min=%u, --port-max=%u: need port-min < port-max, at least 4 ports",
			cfg->port_min, cfg->port_max);
	if (!cfg->n_ifaces) {
		snprintf(cfg->ifaces[0].name, sizeof(cfg->ifaces[0].name), "default");
		ep_parse_ip(&cfg->ifaces[0].local, "127.0.0.1");
		cfg->ifaces[0].advertised = cfg->ifaces[0].local;
		cfg->n_ifaces = 1;
	}
	return 0;
}
