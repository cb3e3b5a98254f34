// SPDX-License-Identifier: GPL-2.0-only
/* SDP: parse into a model that keeps every line, rewrite what the relay owns, print it back.
 * o= and m= print from their fields (their received text while it still matches them, so a
 * round trip is byte-exact); every other line prints from its text. */
#include "sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growing NUL-terminated string; a failed allocation sticks in oom. */
struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct strbuf *sb, const char *data, size_t n)
{
	if (sb->oom)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 256;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->p, cap);
		if (!p) {
			sb->oom = true;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, data, n);
	sb->len += n;
	sb->p[sb->len] = 0;
}

static void sb_str(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Only used for numbers and addresses: never longer than tmp. */
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb->oom = true;
		return;
	}
	sb_add(sb, tmp, n);
}

/* Takes sb's string (NULL when an allocation failed). */
static char *sb_take(struct strbuf *sb)
{
	if (!sb->oom && !sb->p)
		sb_add(sb, "", 0);
	if (sb->oom) {
		free(sb->p);
		sb->p = NULL;
	}
	return sb->p;
}

/* Copies the next space-separated token of *p into out and moves *p past it. Returns its
 * length, 0 at the end of the text, -1 when it does not fit in size. */
static int next_token(const char **p, char *out, size_t size)
{
	const char *s = *p, *e;
	size_t n;

	while (*s == ' ')
		s++;
	for (e = s; *e && *e != ' '; e++)
		;
	n = e - s;
	*p = e;
	if (n >= size)
		return -1;
	memcpy(out, s, n);
	out[n] = 0;
	return (int)n;
}

static bool at_end(const char *p)
{
	while (*p == ' ')
		p++;
	return !*p;
}

/* Decimal digits only (no sign, no spaces), at most max. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d > 9 || n > (max - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

static int addrtype_family(const char *t)
{
	if (!strcasecmp(t, "IP4"))
		return AF_INET;
	if (!strcasecmp(t, "IP6"))
		return AF_INET6;
	return 0;
}

static const char *family_addrtype(int family)
{
	return family == AF_INET6 ? "IP6" : "IP4";
}

/* "/ttl" or "/ttl/n" (IPv4 multicast) or "/n" (IPv6): one or two numbers. */
static bool multicast_suffix_ok(const char *s)
{
	unsigned long long v;
	char num[12];
	int parts = 0;

	while (*s == '/' && parts < 2) {
		size_t n = strcspn(s + 1, "/");

		if (n >= sizeof(num))
			return false;
		memcpy(num, s + 1, n);
		num[n] = 0;
		if (parse_num(num, UINT_MAX, &v))
			return false;
		s += 1 + n;
		parts++;
	}
	return parts && !*s;
}

/* "IN IP4|IP6 ADDR": ADDR must be an IP address of that family; "/ttl[/n]" only when
 * multicast_ok (c= lines). c is zeroed on failure. */
static int conn_parse(struct sdp_conn *c, const char *nettype, const char *addrtype,
		      const char *addr, bool multicast_ok)
{
	char ip[INET6_ADDRSTRLEN];
	size_t n = strcspn(addr, "/");
	int family = addrtype_family(addrtype);

	memset(c, 0, sizeof(*c));
	if (strcasecmp(nettype, "IN") || !family || n >= sizeof(ip))
		return -EINVAL;
	if (addr[n] && (!multicast_ok || !multicast_suffix_ok(addr + n)))
		return -EINVAL;
	memcpy(ip, addr, n);
	ip[n] = 0;
	if (ep_parse_ip(&c->addr, ip) || ep_family(&c->addr) != family) {
		memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	c->present = true;
	return 0;
}

/* The text of a c= line (or a=rtcp's address part): "IN IP4 ADDR". */
static void conn_write(struct strbuf *sb, const struct endpoint *ep)
{
	char ip[INET6_ADDRSTRLEN];

	sb_printf(sb, "IN %s %s", family_addrtype(ep_family(ep)), ep_ip_str(ep, ip, sizeof(ip)));
}

static int c_line_parse(const char *text, struct sdp_conn *c)
{
	char nettype[16], addrtype[16], addr[128];
	const char *p = text;

	if (next_token(&p, nettype, sizeof(nettype)) <= 0 ||
	    next_token(&p, addrtype, sizeof(addrtype)) <= 0 ||
	    next_token(&p, addr, sizeof(addr)) <= 0 || !at_end(p))
		return -EINVAL;
	return conn_parse(c, nettype, addrtype, addr, true);
}

/* The text after "a=rtcp:": "PORT [IN IP4|IP6 ADDR]". */
static int rtcp_parse(const char *text, uint16_t *port, struct sdp_conn *c)
{
	char num[8], nettype[16], addrtype[16], addr[INET6_ADDRSTRLEN];
	unsigned long long v;
	const char *p = text;

	memset(c, 0, sizeof(*c));
	if (next_token(&p, num, sizeof(num)) <= 0 || parse_num(num, 65535, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	if (at_end(p))
		return 0;
	if (next_token(&p, nettype, sizeof(nettype)) <= 0 ||
	    next_token(&p, addrtype, sizeof(addrtype)) <= 0 ||
	    next_token(&p, addr, sizeof(addr)) <= 0 || !at_end(p))
		return -EINVAL;
	return conn_parse(c, nettype, addrtype, addr, false);
}

/* The o= fields, plus the address tokens as received (an FQDN is allowed there). */
struct origin {
	char user[64];
	char sess_id[32];
	unsigned long long version;
	char nettype[16];
	char addrtype[16];
	char addr[256];
	struct sdp_conn conn;
};

static int origin_parse(const char *text, struct origin *o)
{
	const char *p = text;
	char version[24];

	memset(o, 0, sizeof(*o));
	if (next_token(&p, o->user, sizeof(o->user)) <= 0 ||
	    next_token(&p, o->sess_id, sizeof(o->sess_id)) <= 0 ||
	    next_token(&p, version, sizeof(version)) <= 0 ||
	    next_token(&p, o->nettype, sizeof(o->nettype)) <= 0 ||
	    next_token(&p, o->addrtype, sizeof(o->addrtype)) <= 0 ||
	    next_token(&p, o->addr, sizeof(o->addr)) <= 0 || !at_end(p) ||
	    parse_num(version, ULLONG_MAX, &o->version))
		return -EINVAL;
	/* Not an IP address (a host name, another nettype): kept as text, conn not present. */
	conn_parse(&o->conn, o->nettype, o->addrtype, o->addr, false);
	return 0;
}

static bool conn_eq(const struct sdp_conn *a, const struct sdp_conn *b)
{
	return a->present == b->present && (!a->present || ep_addr_eq(&a->addr, &b->addr));
}

static bool origin_matches(const struct sdp *s, const struct origin *o)
{
	return !strcmp(s->origin_user, o->user) && !strcmp(s->origin_sess_id, o->sess_id) &&
	       s->origin_version == o->version && conn_eq(&s->origin_addr, &o->conn);
}

/* The o= text from the fields; old (the line's current content, may be NULL) supplies the
 * address tokens when the origin address is not an IP address. */
static void origin_write(struct strbuf *sb, const struct sdp *s, const struct origin *old)
{
	sb_str(sb, s->origin_user);
	sb_str(sb, " ");
	sb_str(sb, s->origin_sess_id);
	sb_printf(sb, " %llu ", s->origin_version);
	if (s->origin_addr.present)
		conn_write(sb, &s->origin_addr.addr);
	else if (old) {
		sb_str(sb, old->nettype);
		sb_str(sb, " ");
		sb_str(sb, old->addrtype);
		sb_str(sb, " ");
		sb_str(sb, old->addr);
	} else
		sb_str(sb, "IN IP4 0.0.0.0");
}

/* The m= fields; fmts points into the parsed text. */
struct mline {
	char type[32];
	uint16_t port;
	unsigned int num_ports;
	char proto[48];
	const char *fmts;
};

static int mline_parse(const char *text, struct mline *ml)
{
	const char *p = text;
	char port[16], *slash;
	unsigned long long v;

	memset(ml, 0, sizeof(*ml));
	if (next_token(&p, ml->type, sizeof(ml->type)) <= 0 ||
	    next_token(&p, port, sizeof(port)) <= 0 ||
	    next_token(&p, ml->proto, sizeof(ml->proto)) <= 0)
		return -EINVAL;
	while (*p == ' ')
		p++;
	ml->fmts = p;
	slash = strchr(port, '/');
	if (slash) {
		*slash = 0;
		if (parse_num(slash + 1, 65535, &v) || !v)
			return -EINVAL;
		ml->num_ports = (unsigned int)v;
	}
	if (parse_num(port, 65535, &v))
		return -EINVAL;
	ml->port = (uint16_t)v;
	return 0;
}

static bool mline_matches(const struct sdp_media *m, const struct mline *ml)
{
	return !strcmp(m->type, ml->type) && m->port == ml->port && m->num_ports == ml->num_ports &&
	       !strcmp(m->proto, ml->proto) && !strcmp(m->fmts ? m->fmts : "", ml->fmts);
}

static void mline_write(struct strbuf *sb, const struct sdp_media *m)
{
	sb_str(sb, m->type);
	sb_printf(sb, " %u", m->port);
	if (m->num_ports)
		sb_printf(sb, "/%u", m->num_ports);
	sb_str(sb, " ");
	sb_str(sb, m->proto);
	if (m->fmts && *m->fmts) {
		sb_str(sb, " ");
		sb_str(sb, m->fmts);
	}
}

static bool is_conn_line(const struct sdp_line *l)
{
	return l->type == 'c';
}

static bool is_rtcp_attr(const struct sdp_line *l)
{
	return l->type == 'a' && !strncmp(l->text, "rtcp:", 5);
}

static bool is_mux_attr(const struct sdp_line *l)
{
	return l->type == 'a' && !strcmp(l->text, "rtcp-mux");
}

static enum sdp_dir dir_attr(const struct sdp_line *l)
{
	if (l->type != 'a')
		return SDP_DIR_NONE;
	for (enum sdp_dir d = SDP_SENDRECV; d <= SDP_INACTIVE; d++)
		if (!strcmp(l->text, sdp_dir_name(d)))
			return d;
	return SDP_DIR_NONE;
}

static bool is_crypto_attr(const struct sdp_line *l)
{
	return l->type == 'a' && !strncmp(l->text, "crypto:", 7);
}

static bool is_dir_attr(const struct sdp_line *l)
{
	return dir_attr(l) != SDP_DIR_NONE;
}

static bool is_info_line(const struct sdp_line *l)
{
	return l->type == 'i';
}

typedef bool (*line_pred)(const struct sdp_line *l);

/* Index of the first line matching pred at or after from, or -1. */
static long find_line(const struct sdp_line *lines, size_t n, size_t from, line_pred pred)
{
	for (size_t i = from; i < n; i++)
		if (pred(&lines[i]))
			return (long)i;
	return -1;
}

/* Inserts a line at idx, taking text (freed on failure too). */
static int line_insert(struct sdp_line **lines, size_t *n, size_t idx, char type, char *text)
{
	struct sdp_line *l;

	if (!text)
		return -ENOMEM;
	l = realloc(*lines, (*n + 1) * sizeof(*l));
	if (!l) {
		free(text);
		return -ENOMEM;
	}
	memmove(&l[idx + 1], &l[idx], (*n - idx) * sizeof(*l));
	l[idx].type = type;
	l[idx].text = text;
	*lines = l;
	(*n)++;
	return 0;
}

static void line_remove(struct sdp_line *lines, size_t *n, size_t idx)
{
	free(lines[idx].text);
	memmove(&lines[idx], &lines[idx + 1], (*n - idx - 1) * sizeof(*lines));
	(*n)--;
}

static void lines_remove_all(struct sdp_line *lines, size_t *n, size_t from, line_pred pred)
{
	long i;

	while ((i = find_line(lines, *n, from, pred)) >= 0)
		line_remove(lines, n, i);
}

/* Makes the first line matching pred say text (or inserts one at insert_at) and removes any
 * other match. Takes text. Returns the line's index or -ENOMEM. */
static long line_set_unique(struct sdp_line **lines, size_t *n, line_pred pred, char type,
			    char *text, size_t insert_at)
{
	long i = find_line(*lines, *n, 0, pred);
	int ret;

	if (!text)
		return -ENOMEM;
	if (i < 0) {
		ret = line_insert(lines, n, insert_at, type, text);
		return ret ? ret : (long)insert_at;
	}
	free((*lines)[i].text);
	(*lines)[i].type = type;
	(*lines)[i].text = text;
	lines_remove_all(*lines, n, i + 1, pred);
	return i;
}

/* Parser state that is not part of the model: which first-one-wins fields are taken. */
struct parser {
	bool origin_seen;
	bool rtcp_seen; /* in the current media */
	const char *why;
};

static int session_line(struct sdp *s, struct parser *ps, char type, const char *text)
{
	struct sdp_conn c;
	struct origin o;
	enum sdp_dir d;

	if (type == 'o') {
		if (origin_parse(text, &o)) {
			ps->why = "bad o= line";
			return -EINVAL;
		}
		if (!ps->origin_seen) {
			ps->origin_seen = true;
			strcpy(s->origin_user, o.user);
			strcpy(s->origin_sess_id, o.sess_id);
			s->origin_version = o.version;
			s->origin_addr = o.conn;
		}
	} else if (type == 'c') {
		if (c_line_parse(text, &c)) {
			ps->why = "bad c= line";
			return -EINVAL;
		}
		if (!s->conn.present)
			s->conn = c;
	} else if (type == 'a') {
		d = dir_attr(&(struct sdp_line){.type = type, .text = (char *)text});
		if (d && !s->dir)
			s->dir = d;
	}
	return 0;
}

static int media_line(struct sdp_media *m, struct parser *ps, char type, const char *text)
{
	struct sdp_line l = {.type = type, .text = (char *)text};
	struct sdp_conn c;
	uint16_t port;
	enum sdp_dir d;

	if (type == 'c') {
		if (c_line_parse(text, &c)) {
			ps->why = "bad c= line";
			return -EINVAL;
		}
		if (!m->conn.present)
			m->conn = c;
	} else if (is_rtcp_attr(&l)) {
		if (rtcp_parse(text + 5, &port, &c)) {
			ps->why = "bad a=rtcp line";
			return -EINVAL;
		}
		if (!ps->rtcp_seen) {
			ps->rtcp_seen = true;
			m->rtcp_port = port;
			m->rtcp_conn = c;
		}
	} else if (is_mux_attr(&l)) {
		m->rtcp_mux = true;
	} else if ((d = dir_attr(&l)) && !m->dir) {
		m->dir = d;
	}
	return 0;
}

/* Starts a media section; takes text. */
static int media_add(struct sdp *s, struct parser *ps, char *text)
{
	struct sdp_media *media, *m;
	struct mline ml;

	if (s->n_media == SDP_MAX_MEDIA) {
		ps->why = "too many m= lines";
		free(text);
		return -EINVAL;
	}
	if (mline_parse(text, &ml)) {
		ps->why = "bad m= line";
		free(text);
		return -EINVAL;
	}
	media = realloc(s->media, (s->n_media + 1) * sizeof(*media));
	if (!media) {
		free(text);
		return -ENOMEM;
	}
	s->media = media;
	m = &media[s->n_media];
	memset(m, 0, sizeof(*m));
	m->fmts = strdup(ml.fmts);
	if (!m->fmts) {
		free(text);
		return -ENOMEM;
	}
	strcpy(m->type, ml.type);
	strcpy(m->proto, ml.proto);
	m->port = ml.port;
	m->num_ports = ml.num_ports;
	m->mline = text;
	s->n_media++;
	ps->rtcp_seen = false;
	return 0;
}

static int parse_line(struct sdp *s, struct parser *ps, char type, const char *text, size_t len)
{
	char *copy = strndup(text, len);
	struct sdp_media *m;
	int ret;

	if (!copy)
		return -ENOMEM;
	if (type == 'm')
		return media_add(s, ps, copy);
	if (!s->n_media) {
		ret = session_line(s, ps, type, copy);
		if (ret) {
			free(copy);
			return ret;
		}
		return line_insert(&s->lines, &s->n_lines, s->n_lines, type, copy);
	}
	m = &s->media[s->n_media - 1];
	ret = media_line(m, ps, type, copy);
	if (ret) {
		free(copy);
		return ret;
	}
	return line_insert(&m->lines, &m->n_lines, m->n_lines, type, copy);
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int sdp_parse(struct sdp *s, const char *text, size_t len, const char **err)
{
	const char *p = text, *end = text + len;
	struct parser ps = {0};
	size_t n_lines = 0;
	bool blank = false;
	int ret = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (!text || !len) {
		ps.why = "empty SDP";
		goto fail;
	}
	if (memchr(text, 0, len)) {
		ps.why = "NUL byte in SDP";
		goto fail;
	}
	while (p < end) {
		const char *line = p, *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - line;

		p = nl ? nl + 1 : end;
		if (n && line[n - 1] == '\r')
			n--;
		/* Some senders end the body with an extra blank line: tolerated at the end only. */
		if (!n) {
			blank = true;
			continue;
		}
		if (blank) {
			ps.why = "blank line inside SDP";
			goto fail;
		}
		if (n > SDP_MAX_LINE_LEN) {
			ps.why = "line too long";
			goto fail;
		}
		if (n < 2 || !is_letter(line[0]) || line[1] != '=') {
			ps.why = "bad line";
			goto fail;
		}
		if (++n_lines > SDP_MAX_LINES) {
			ps.why = "too many lines";
			goto fail;
		}
		if (n_lines == 1 && line[0] != 'v') {
			ps.why = "no v= line";
			goto fail;
		}
		ret = parse_line(s, &ps, line[0], line + 2, n - 2);
		if (ret)
			goto fail;
	}
	if (!n_lines) {
		ps.why = "empty SDP";
		ret = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	sdp_free(s);
	if (err)
		*err = ps.why ? ps.why : (ret == -ENOMEM ? "out of memory" : "bad SDP");
	return ret ? ret : -EINVAL;
}

static void lines_free(struct sdp_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

void sdp_free(struct sdp *s)
{
	if (!s)
		return;
	lines_free(s->lines, s->n_lines);
	for (size_t i = 0; i < s->n_media; i++) {
		lines_free(s->media[i].lines, s->media[i].n_lines);
		free(s->media[i].fmts);
		free(s->media[i].mline);
	}
	free(s->media);
	memset(s, 0, sizeof(*s));
}

static void line_write(struct strbuf *sb, char type, const char *text)
{
	char prefix[2] = {type, '='};

	sb_add(sb, prefix, 2);
	sb_str(sb, text);
	sb_add(sb, "\r\n", 2);
}

static void origin_line_write(struct strbuf *sb, const struct sdp *s, const char *text)
{
	struct origin o;
	bool parsed = !origin_parse(text, &o);

	if (parsed && origin_matches(s, &o)) {
		line_write(sb, 'o', text);
		return;
	}
	sb_str(sb, "o=");
	origin_write(sb, s, parsed ? &o : NULL);
	sb_add(sb, "\r\n", 2);
}

static void media_write(struct strbuf *sb, const struct sdp_media *m)
{
	struct mline ml;

	if (m->mline && !mline_parse(m->mline, &ml) && mline_matches(m, &ml)) {
		line_write(sb, 'm', m->mline);
	} else {
		sb_str(sb, "m=");
		mline_write(sb, m);
		sb_add(sb, "\r\n", 2);
	}
	for (size_t i = 0; i < m->n_lines; i++)
		line_write(sb, m->lines[i].type, m->lines[i].text);
}

char *sdp_print(const struct sdp *s, size_t *len)
{
	struct strbuf sb = {0};
	bool origin_done = false;
	char *out;

	for (size_t i = 0; i < s->n_lines; i++) {
		const struct sdp_line *l = &s->lines[i];

		if (l->type == 'o' && !origin_done) {
			origin_done = true;
			origin_line_write(&sb, s, l->text);
		} else {
			line_write(&sb, l->type, l->text);
		}
	}
	for (size_t i = 0; i < s->n_media; i++)
		media_write(&sb, &s->media[i]);
	out = sb_take(&sb);
	if (len)
		*len = out ? sb.len : 0;
	return out;
}

const struct sdp_conn *sdp_media_conn(const struct sdp *s, const struct sdp_media *m)
{
	if (m->conn.present)
		return &m->conn;
	if (s->conn.present)
		return &s->conn;
	return NULL;
}

enum sdp_dir sdp_media_dir(const struct sdp *s, const struct sdp_media *m)
{
	const struct sdp_conn *c;

	if (m->dir != SDP_DIR_NONE)
		return m->dir;
	if (s->dir != SDP_DIR_NONE)
		return s->dir;
	c = sdp_media_conn(s, m);
	if (c && ep_is_any(&c->addr))
		return SDP_SENDONLY;
	return SDP_SENDRECV;
}

const char *sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_NONE:
		return "none";
	case SDP_SENDRECV:
		return "sendrecv";
	case SDP_SENDONLY:
		return "sendonly";
	case SDP_RECVONLY:
		return "recvonly";
	case SDP_INACTIVE:
		return "inactive";
	}
	return "unknown";
}

static char *conn_text(const struct endpoint *ep)
{
	struct strbuf sb = {0};

	conn_write(&sb, ep);
	return sb_take(&sb);
}

/* Keeps m->mline saying what the fields say. */
static int mline_update(struct sdp_media *m)
{
	struct strbuf sb = {0};
	char *text;

	mline_write(&sb, m);
	text = sb_take(&sb);
	if (!text)
		return -ENOMEM;
	free(m->mline);
	m->mline = text;
	return 0;
}

static void any_addr(struct endpoint *ep, int family)
{
	memset(ep, 0, sizeof(*ep));
	ep->sa.sa_family = family == AF_INET6 ? AF_INET6 : AF_INET;
}

/* The media's c= line: after m= (and its i= line, RFC 4566 order), replacing any other. */
static int media_conn_rewrite(const struct sdp *s, struct sdp_media *m,
			      const struct sdp_rewrite_media *r)
{
	const struct sdp_conn *cur = sdp_media_conn(s, m);
	struct sdp_conn c = {.present = true};
	long info = find_line(m->lines, m->n_lines, 0, is_info_line);
	long i;

	if (!r->keep_any_addr)
		c.addr = r->addr;
	else if (cur && ep_is_any(&cur->addr))
		any_addr(&c.addr, ep_family(&cur->addr));
	else
		any_addr(&c.addr, ep_family(&r->addr));
	ep_set_port(&c.addr, 0);
	i = line_set_unique(&m->lines, &m->n_lines, is_conn_line, 'c', conn_text(&c.addr),
			    info < 0 ? 0 : info + 1);
	if (i < 0)
		return (int)i;
	m->conn = c;
	return 0;
}

/* a=rtcp:PORT (with the address when its family differs from c=), then a=rtcp-mux. A muxed
 * media names its RTP port unless the caller keeps a separate one (RFC 5761 offer fallback). */
static int media_rtcp_rewrite(struct sdp_media *m, const struct sdp_rewrite_media *r)
{
	uint16_t port = r->rtcp_mux && !r->rtcp_port ? r->rtp_port : r->rtcp_port;
	struct sdp_conn c = {0};
	struct strbuf sb = {0};
	long i = -1;

	if (port) {
		sb_printf(&sb, "rtcp:%u", port);
		if (ep_family(&r->addr) != ep_family(&m->conn.addr)) {
			c.present = true;
			c.addr = r->addr;
			ep_set_port(&c.addr, 0);
			sb_str(&sb, " ");
			conn_write(&sb, &c.addr);
		}
		i = line_set_unique(&m->lines, &m->n_lines, is_rtcp_attr, 'a', sb_take(&sb),
				    m->n_lines);
		if (i < 0)
			return (int)i;
	} else {
		lines_remove_all(m->lines, &m->n_lines, 0, is_rtcp_attr);
	}
	m->rtcp_port = port;
	m->rtcp_conn = c;

	if (!r->rtcp_mux) {
		lines_remove_all(m->lines, &m->n_lines, 0, is_mux_attr);
	} else if (find_line(m->lines, m->n_lines, 0, is_mux_attr) < 0) {
		int ret = line_insert(&m->lines, &m->n_lines, i < 0 ? m->n_lines : (size_t)i + 1,
				      'a', strdup("rtcp-mux"));
		if (ret)
			return ret;
	}
	m->rtcp_mux = r->rtcp_mux;
	return 0;
}

static int media_crypto_rewrite(struct sdp_media *m, const struct sdp_rewrite_media *r)
{
	long at = find_line(m->lines, m->n_lines, 0, is_crypto_attr);
	size_t idx = at < 0 ? m->n_lines : (size_t)at;

	lines_remove_all(m->lines, &m->n_lines, idx, is_crypto_attr);
	for (size_t k = 0; k < r->n_crypto; k++) {
		char *text = NULL;
		int ret;

		if (asprintf(&text, "crypto:%s", r->crypto[k]) < 0)
			return -ENOMEM;
		ret = line_insert(&m->lines, &m->n_lines, idx + k, 'a', text);
		if (ret)
			return ret;
	}
	return 0;
}

static int media_rewrite(const struct sdp *s, struct sdp_media *m,
			 const struct sdp_rewrite_media *r)
{
	long i;
	int ret;

	m->port = r->rejected ? 0 : r->rtp_port;
	if (r->proto && !r->rejected)
		snprintf(m->proto, sizeof(m->proto), "%s", r->proto);
	ret = mline_update(m);
	if (ret || r->rejected)
		return ret;
	ret = media_conn_rewrite(s, m, r);
	if (!ret)
		ret = media_rtcp_rewrite(m, r);
	if (!ret && r->set_crypto)
		ret = media_crypto_rewrite(m, r);
	if (ret || r->dir == SDP_DIR_NONE)
		return ret;
	i = line_set_unique(&m->lines, &m->n_lines, is_dir_attr, 'a', strdup(sdp_dir_name(r->dir)),
			    m->n_lines);
	if (i < 0)
		return (int)i;
	m->dir = r->dir;
	return 0;
}

/* The length of the m= line (with "m=") once its port is port. */
static size_t mline_len(const struct sdp_media *m, uint16_t port)
{
	size_t n = 2 + strlen(m->type) + 1 + (size_t)snprintf(NULL, 0, "%u", port) + 1 +
		   strlen(m->proto);

	if (m->num_ports)
		n += 1 + (size_t)snprintf(NULL, 0, "%u", m->num_ports);
	if (m->fmts && *m->fmts)
		n += 1 + strlen(m->fmts);
	return n;
}

/* An upper bound of the line count after rw, so a rewrite never makes an SDP that the parser
 * refuses. */
static size_t lines_after(const struct sdp *s, const struct sdp_rewrite *rw)
{
	size_t n = s->n_lines + s->n_media;

	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		const struct sdp_rewrite_media *r = &rw->media[i];

		n += m->n_lines;
		if (r->rejected)
			continue;
		n += find_line(m->lines, m->n_lines, 0, is_conn_line) < 0;
		n += find_line(m->lines, m->n_lines, 0, is_rtcp_attr) < 0;
		n += r->rtcp_mux && find_line(m->lines, m->n_lines, 0, is_mux_attr) < 0;
		n += r->dir != SDP_DIR_NONE && find_line(m->lines, m->n_lines, 0, is_dir_attr) < 0;
		if (r->set_crypto)
			n += r->n_crypto;
	}
	return n;
}

static bool is_origin_line(const struct sdp_line *l)
{
	return l->type == 'o';
}

static int origin_rewrite(struct sdp *s, const struct sdp_rewrite *rw, const struct endpoint *addr)
{
	long i = find_line(s->lines, s->n_lines, 0, is_origin_line);
	struct strbuf sb = {0};
	struct origin old;
	bool parsed;
	char *text;

	/* Without an o= line the fields have nothing to say. */
	if (i < 0)
		return 0;
	if (rw->replace_origin && addr) {
		s->origin_addr.present = true;
		s->origin_addr.addr = *addr;
		ep_set_port(&s->origin_addr.addr, 0);
	}
	if (rw->set_version)
		s->origin_version = rw->version;
	parsed = !origin_parse(s->lines[i].text, &old);
	origin_write(&sb, s, parsed ? &old : NULL);
	text = sb_take(&sb);
	if (!text)
		return -ENOMEM;
	free(s->lines[i].text);
	s->lines[i].text = text;
	return 0;
}

int sdp_rewrite(struct sdp *s, const struct sdp_rewrite *rw)
{
	const struct endpoint *first = NULL;
	long i;
	int ret;

	if (!rw || rw->n_media != s->n_media || (rw->n_media && !rw->media))
		return -EINVAL;
	for (size_t k = 0; k < rw->n_media; k++) {
		const struct sdp_rewrite_media *r = &rw->media[k];

		if (r->rejected)
			continue;
		if (!ep_is_set(&r->addr) || r->dir > SDP_INACTIVE)
			return -EINVAL;
		if (!first)
			first = &r->addr;
	}
	/* Nor one with a line longer than the parser takes (a longer port, an m= line at the
	 * limit). */
	if (lines_after(s, rw) > SDP_MAX_LINES)
		return -E2BIG;
	for (size_t k = 0; k < s->n_media; k++) {
		const struct sdp_rewrite_media *r = &rw->media[k];

		if (r->proto && strlen(r->proto) >= sizeof(s->media[k].proto))
			return -EINVAL;
		if (mline_len(&s->media[k], r->rejected ? 0 : r->rtp_port) > SDP_MAX_LINE_LEN)
			return -E2BIG;
		for (size_t c = 0; r->set_crypto && c < r->n_crypto; c++)
			if (2 + strlen("crypto:") + strlen(r->crypto[c]) > SDP_MAX_LINE_LEN)
				return -E2BIG;
	}
	/* Media first: a kept hold address is judged against the session c= as received. */
	for (size_t k = 0; k < s->n_media; k++) {
		ret = media_rewrite(s, &s->media[k], &rw->media[k]);
		if (ret)
			return ret;
	}
	if (first && (i = find_line(s->lines, s->n_lines, 0, is_conn_line)) >= 0) {
		struct sdp_conn c = {.present = true, .addr = *first};

		ep_set_port(&c.addr, 0);
		i = line_set_unique(&s->lines, &s->n_lines, is_conn_line, 'c', conn_text(&c.addr),
				    i);
		if (i < 0)
			return (int)i;
		s->conn = c;
	}
	if (rw->replace_origin || rw->set_version)
		return origin_rewrite(s, rw, first);
	return 0;
}

/* ---- codec options ---- */

struct static_pt {
	const char *name;
	unsigned int rate, channels;
};

/* RFC 3551's static payload types, used when a format has no a=rtpmap. */
static const struct static_pt static_pts[35] = {
	[0] = {"PCMU", 8000, 1},   [3] = {"GSM", 8000, 1},    [4] = {"G723", 8000, 1},
	[5] = {"DVI4", 8000, 1},   [6] = {"DVI4", 16000, 1},  [7] = {"LPC", 8000, 1},
	[8] = {"PCMA", 8000, 1},   [9] = {"G722", 8000, 1},   [10] = {"L16", 44100, 2},
	[11] = {"L16", 44100, 1},  [12] = {"QCELP", 8000, 1}, [13] = {"CN", 8000, 1},
	[14] = {"MPA", 90000, 0},  [15] = {"G728", 8000, 1},  [16] = {"DVI4", 11025, 1},
	[17] = {"DVI4", 22050, 1}, [18] = {"G729", 8000, 1},  [25] = {"CelB", 90000, 0},
	[26] = {"JPEG", 90000, 0}, [28] = {"nv", 90000, 0},   [31] = {"H261", 90000, 0},
	[32] = {"MPV", 90000, 0},  [33] = {"MP2T", 90000, 0}, [34] = {"H263", 90000, 0},
};

int sdp_codec_list_add(struct sdp_codec_list *l, const char *s, size_t len)
{
	if (!s || !len)
		return -EINVAL;
	if (l->n >= SDP_CODEC_MAX_NAMES)
		return -E2BIG;
	l->name[l->n].s = s;
	l->name[l->n].len = len;
	l->n++;
	return 0;
}

bool sdp_codec_opts_set(const struct sdp_codec_opts *o)
{
	return o->strip.n || o->mask.n || o->consume.n || o->except.n || o->offer.n ||
	       o->transcode.n;
}

/* The payload type an attribute "PREFIXPT ..." (or "PREFIXPT") names, or -1. */
static int attr_pt(const struct sdp_line *l, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p;
	int pt = 0;

	if (l->type != 'a' || strncmp(l->text, prefix, plen))
		return -1;
	p = l->text + plen;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		pt = pt * 10 + (*p - '0');
		if (pt > 127)
			return -1;
	}
	return *p == ' ' || *p == '\t' || !*p ? pt : -1;
}

/* A decimal number in [s, end), at most 9 digits; -1 when empty or not a number. */
static long span_num(const char *s, const char *end)
{
	long v = 0;

	if (s >= end || end - s > 9)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* What payload type pt of m is: its a=rtpmap, else the static type's name; its a=fmtp. */
static void codec_info(const struct sdp_media *m, int pt, struct sdp_codec *c)
{
	bool audio = !strcmp(m->type, "audio"), mapped = false;

	memset(c, 0, sizeof(*c));
	c->pt = (uint8_t)pt;
	for (size_t i = 0; i < m->n_lines; i++) {
		const char *t, *end, *slash;
		size_t nlen;
		long v;

		if (attr_pt(&m->lines[i], "fmtp:") == pt && !c->fmtp[0]) {
			t = m->lines[i].text + 5;
			while (*t >= '0' && *t <= '9')
				t++;
			while (*t == ' ' || *t == '\t')
				t++;
			snprintf(c->fmtp, sizeof(c->fmtp), "%s", t);
			continue;
		}
		if (mapped || attr_pt(&m->lines[i], "rtpmap:") != pt)
			continue;
		mapped = true;
		t = m->lines[i].text + 7;
		while (*t >= '0' && *t <= '9')
			t++;
		while (*t == ' ' || *t == '\t')
			t++;
		slash = strchr(t, '/');
		nlen = slash ? (size_t)(slash - t) : strlen(t);
		if (!nlen || nlen >= sizeof(c->name))
			continue;
		memcpy(c->name, t, nlen);
		c->channels = audio ? 1 : 0;
		if (!slash)
			continue;
		end = strchr(slash + 1, '/');
		v = span_num(slash + 1, end ? end : slash + 1 + strlen(slash + 1));
		c->rate = v > 0 ? (unsigned int)v : 0;
		if (end && (v = span_num(end + 1, end + 1 + strlen(end + 1))) > 0)
			c->channels = (unsigned int)v;
	}
	if (!mapped && pt < (int)(sizeof(static_pts) / sizeof(static_pts[0])) &&
	    static_pts[pt].name) {
		snprintf(c->name, sizeof(c->name), "%s", static_pts[pt].name);
		c->rate = static_pts[pt].rate;
		c->channels = static_pts[pt].channels;
	}
}

unsigned int sdp_media_clock_rate(const struct sdp_media *m)
{
	struct sdp_codec c;
	long pt;

	if (!m->fmts)
		return 0;
	pt = span_num(m->fmts, m->fmts + strcspn(m->fmts, " "));
	if (pt < 0 || pt > 127)
		return 0;
	codec_info(m, (int)pt, &c);
	if (c.rate)
		return c.rate;
	return strcmp(m->type, "video") ? 8000 : 90000;
}

static bool name_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && !strncasecmp(s, word, len);
}

/* The next parameter of an a=fmtp value (';'-separated, spaces around it left out) at *p in
 * *param; its length, 0 when there is none left. */
static size_t next_param(const char **p, const char **param)
{
	size_t n;

	while (**p == ' ' || **p == ';')
		(*p)++;
	*param = *p;
	n = strcspn(*p, ";");
	*p += n;
	while (n && (*param)[n - 1] == ' ')
		n--;
	return n;
}

/* Every parameter of want is among have's. */
static bool fmtp_has(const char *have, const char *want)
{
	const char *w, *h, *hp;
	size_t n, k;

	while ((n = next_param(&want, &w))) {
		for (h = have; (k = next_param(&h, &hp));)
			if (k == n && !strncasecmp(hp, w, n))
				break;
		if (!k)
			return false;
	}
	return true;
}

/* Whether one option name ("all", "PCMA", "opus/48000/2", "AMR/8000/1///mode-set=7")
 * matches codec c: the name, then each part given (rate, channels, format parameters). */
static bool spec_match(const char *s, size_t len, const struct sdp_codec *c)
{
	struct sdp_codec_spec sp;

	if (name_is(s, len, "all") || name_is(s, len, "full"))
		return true;
	if (!c->name[0] || sdp_codec_spec_parse(s, len, &sp) || strcasecmp(sp.name, c->name))
		return false;
	return (!sp.rate || sp.rate == c->rate) && (!sp.channels || sp.channels == c->channels) &&
	       fmtp_has(c->fmtp, sp.fmtp);
}

bool sdp_codec_list_match(const struct sdp_codec_list *l, const struct sdp_codec *c)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (spec_match(l->name[i].s, l->name[i].len, c))
			return true;
	return false;
}

#define CODEC_MAX_FMTS 256 /* more formats than this: the media is left alone */

struct codec_work {
	unsigned char pts[CODEC_MAX_FMTS], out[CODEC_MAX_FMTS];
	bool used[CODEC_MAX_FMTS];
	bool known[128], strip[128];
	struct sdp_codec c[128];
};

/* Splits fmts into payload types; the count, or 0 when one is not a payload type. */
static size_t fmts_parse(const char *f, unsigned char *pts)
{
	size_t n = 0;

	for (;;) {
		const char *start;
		long v;

		while (*f == ' ' || *f == '\t')
			f++;
		if (!*f)
			return n;
		start = f;
		while (*f && *f != ' ' && *f != '\t')
			f++;
		v = span_num(start, f);
		if (v < 0 || v > 127 || n >= CODEC_MAX_FMTS)
			return 0;
		pts[n++] = (unsigned char)v;
	}
}

/* The payload type an a=rtpmap, a=fmtp or a=rtcp-fb line is about, else -1. */
static int codec_line_pt(const struct sdp_line *l)
{
	static const char *const attrs[] = {"rtpmap:", "fmtp:", "rtcp-fb:"};

	for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
		int pt = attr_pt(l, attrs[k]);

		if (pt >= 0)
			return pt;
	}
	return -1;
}

static bool line_stripped(const struct sdp_line *l, const bool *strip)
{
	int pt = codec_line_pt(l);

	return pt >= 0 && strip[pt];
}

/* Moves the kept payload types l names to out, in l's order; returns the new count. */
static size_t first_named(struct codec_work *w, size_t n, const struct sdp_codec_list *l,
			  size_t n_out)
{
	for (unsigned int k = 0; k < l->n; k++)
		for (size_t i = 0; i < n; i++)
			if (!w->strip[w->pts[i]] && !w->used[i] &&
			    !name_is(l->name[k].s, l->name[k].len, "all") &&
			    !name_is(l->name[k].s, l->name[k].len, "full") &&
			    spec_match(l->name[k].s, l->name[k].len, &w->c[w->pts[i]])) {
				w->used[i] = true;
				w->out[n_out++] = w->pts[i];
			}
	return n_out;
}

int sdp_media_codecs(struct sdp_media *m, const struct sdp_codec_opts *o, const char **err)
{
	struct codec_work *w;
	size_t n, n_out = 0, i;
	struct strbuf sb = {0};
	char *fmts;
	int ret = 0;

	if (!m->port || !m->fmts || !strstr(m->proto, "RTP") || !sdp_codec_opts_set(o))
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	n = fmts_parse(m->fmts, w->pts);
	if (!n)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned char pt = w->pts[i];
		const struct sdp_codec *c = &w->c[pt];

		if (w->known[pt])
			continue;
		w->known[pt] = true;
		codec_info(m, pt, &w->c[pt]);
		w->strip[pt] =
			(sdp_codec_list_match(&o->strip, c) || sdp_codec_list_match(&o->mask, c) ||
			 sdp_codec_list_match(&o->consume, c)) &&
			!sdp_codec_list_match(&o->except, c) &&
			!sdp_codec_list_match(&o->offer, c) &&
			!sdp_codec_list_match(&o->transcode, c);
	}
	/* The offer list's codecs first, in its order (the transcode list's present ones after
	 * them); then the others kept, in place. */
	n_out = first_named(w, n, &o->offer, n_out);
	n_out = first_named(w, n, &o->transcode, n_out);
	for (i = 0; i < n; i++)
		if (!w->strip[w->pts[i]] && !w->used[i])
			w->out[n_out++] = w->pts[i];
	/* With transcode names, the caller adds codecs to an audio media left empty. */
	if (!n_out && !(o->transcode.n && !strcmp(m->type, "audio"))) {
		*err = "No codec left after codec options";
		ret = -EINVAL;
		goto out;
	}
	if (n_out == n && !memcmp(w->out, w->pts, n))
		goto out;
	for (i = 0; i < n_out; i++)
		sb_printf(&sb, i ? " %u" : "%u", w->out[i]);
	fmts = sb_take(&sb);
	if (!fmts) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->n_lines;)
		if (line_stripped(&m->lines[i], w->strip))
			line_remove(m->lines, &m->n_lines, i);
		else
			i++;
	free(m->fmts);
	m->fmts = fmts;
out:
	free(w);
	return ret;
}

size_t sdp_media_codec_list(const struct sdp_media *m, struct sdp_codec *out, size_t max)
{
	unsigned char pts[CODEC_MAX_FMTS];
	size_t n;

	if (!m->port || !m->fmts || !strstr(m->proto, "RTP"))
		return 0;
	n = fmts_parse(m->fmts, pts);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		codec_info(m, pts[i], &out[i]);
	return n;
}

int sdp_codec_spec_parse(const char *s, size_t len, struct sdp_codec_spec *out)
{
	const char *end = s + len, *p = memchr(s, '/', len);
	unsigned int *nums[] = {&out->rate, &out->channels, &out->bitrate, &out->ptime};
	size_t nlen = p ? (size_t)(p - s) : len;

	memset(out, 0, sizeof(*out));
	if (!nlen || nlen >= sizeof(out->name))
		return -EINVAL;
	memcpy(out->name, s, nlen);
	for (size_t k = 0; p && k < sizeof(nums) / sizeof(nums[0]); k++) {
		const char *q = memchr(p + 1, '/', (size_t)(end - p - 1));
		long v;

		if (q != p + 1) {
			v = span_num(p + 1, q ? q : end);
			if (v < 0)
				return -EINVAL;
			*nums[k] = (unsigned int)v;
		}
		p = q;
	}
	if (p) {
		size_t flen = (size_t)(end - p - 1);

		if (flen >= sizeof(out->fmtp))
			return -EINVAL;
		memcpy(out->fmtp, p + 1, flen);
	}
	return 0;
}

int sdp_media_set_fmts(struct sdp_media *m, const struct sdp_fmt *f, size_t n)
{
	bool listed[128] = {false}, own[128] = {false};
	struct sdp_line *lines;
	struct strbuf sb = {0};
	size_t n_lines = 0, insert_at;
	char *fmts;
	long last = -1, first = -1;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		listed[f[i].pt & 127] = true;
		own[f[i].pt & 127] = !f[i].rtpmap;
		sb_printf(&sb, i ? " %u" : "%u", f[i].pt);
	}
	fmts = sb_take(&sb);
	lines = calloc(m->n_lines + 2 * n, sizeof(*lines));
	if (!fmts || !lines)
		goto nomem;
	/* The kept lines, in order; new codec lines go after the last codec line kept. */
	for (size_t i = 0; i < m->n_lines; i++) {
		int pt = codec_line_pt(&m->lines[i]);

		if (pt >= 0 && first < 0)
			first = (long)n_lines;
		if (pt >= 0 && !(listed[pt] && own[pt]))
			continue;
		lines[n_lines].type = m->lines[i].type;
		if (!(lines[n_lines].text = strdup(m->lines[i].text)))
			goto nomem;
		if (pt >= 0)
			last = (long)n_lines;
		n_lines++;
	}
	insert_at = last >= 0 ? (size_t)last + 1 : first >= 0 ? (size_t)first : n_lines;
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb_map = {0}, sb_fmtp = {0};
		char *t[2] = {NULL, NULL};
		int nt = f[i].fmtp && *f[i].fmtp ? 2 : 1;

		if (!f[i].rtpmap)
			continue;
		sb_printf(&sb_map, "rtpmap:%u %s", f[i].pt, f[i].rtpmap);
		t[0] = sb_take(&sb_map);
		if (nt == 2) {
			sb_printf(&sb_fmtp, "fmtp:%u %s", f[i].pt, f[i].fmtp);
			t[1] = sb_take(&sb_fmtp);
		}
		if (!t[0] || (nt == 2 && !t[1])) {
			free(t[0]);
			free(t[1]);
			goto nomem;
		}
		for (int k = 0; k < nt; k++) {
			memmove(&lines[insert_at + 1], &lines[insert_at],
				(n_lines - insert_at) * sizeof(*lines));
			lines[insert_at].type = 'a';
			lines[insert_at].text = t[k];
			insert_at++;
			n_lines++;
		}
	}
	lines_free(m->lines, m->n_lines);
	m->lines = lines;
	m->n_lines = n_lines;
	free(m->fmts);
	m->fmts = fmts;
	return 0;
nomem:
	if (lines)
		lines_free(lines, n_lines);
	free(fmts);
	return -ENOMEM;
}

static bool is_ptime_attr(const struct sdp_line *l)
{
	return l->type == 'a' && !strncmp(l->text, "ptime:", 6);
}

int sdp_media_set_ptime(struct sdp_media *m, unsigned int ms)
{
	struct strbuf sb = {0};
	long ret;

	sb_printf(&sb, "ptime:%u", ms);
	ret = line_set_unique(&m->lines, &m->n_lines, is_ptime_attr, 'a', sb_take(&sb), m->n_lines);
	return ret < 0 ? (int)ret : 0;
}
