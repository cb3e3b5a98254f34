// SPDX-License-Identifier: GPL-2.0-only
/* Calls in Redis (hiredis): an active node's writer thread SETs each changed call's JSON and
 * DELs ended ones, and refreshes the node's heartbeat; a standby's follower thread reads them
 * (SCAN, then keyspace notifications) into foreign calls that the control thread keeps and, on
 * takeover (ng command, or the heartbeat gone with --redis-takeover=auto), restores. */
#include "redis.h"

#include "addr.h"
#include "call_state.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <hiredis.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* While Redis is unreachable the writer keeps at most this many changes (then drops the
 * oldest, logged): memory stays bounded, the state files still have everything. */
#define MAX_QUEUED 200000
#define RETRY_MS   1000

/* A change for Redis (writer) or news from Redis (follower). */
struct msg {
	struct msg *next;
	char *id;
	char *data; /* NULL: the call is gone */
	size_t len;
	unsigned int gen; /* follower: the (re)connection it was read in */
	bool sync_end;	  /* follower: every call of gen has been read */
	bool takeover;	  /* follower: the heartbeat is this node's now, take over */
};

struct queue {
	struct msg *head, **tail;
	size_t n;
};

static struct {
	bool on, active, writer_up, follower_up;
	bool auto_takeover; /* --redis-takeover=auto */
	bool beat_warned;   /* writer: the heartbeat named another node */
	char node[320];	    /* this node's name in the heartbeat: HOSTNAME/NG-ADDRESS */
	char host[256];
	int port, db;
	int evfd;
	pthread_t writer, follower;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	int fds[2];	      /* the follower's sockets, shut down to stop it */
	struct queue out, in; /* to Redis (writer), from Redis (follower) */
	json_t *foreign;      /* control thread: call-id -> {"gen", "json"} */
	unsigned long dropped;
} R = {.evfd = -1,
       .fds = {-1, -1},
       .lock = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER};

int redis_parse(const char *s, char *host, size_t hostlen, int *port, int *db)
{
	const char *end = s + strlen(s), *slash = strrchr(s, '/'), *colon, *h = s;
	size_t hl;
	char *e;

	*port = REDIS_DEFAULT_PORT;
	*db = 0;
	if (slash) {
		long v = strtol(slash + 1, &e, 10);

		if (!slash[1] || *e || v < 0 || v > 15)
			return -EINVAL;
		*db = (int)v;
		end = slash;
	}
	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));

		if (!rb)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else {
		colon = memchr(s, ':', (size_t)(end - s));
		hl = (size_t)((colon ? colon : end) - s);
	}
	if (colon) {
		char num[8];
		size_t nl = (size_t)(end - colon - 1);
		long v;

		if (!nl || nl >= sizeof(num))
			return -EINVAL;
		memcpy(num, colon + 1, nl);
		num[nl] = 0;
		v = strtol(num, &e, 10);
		if (*e || v < 1 || v > 65535)
			return -EINVAL;
		*port = (int)v;
	}
	if (!hl || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	return 0;
}

bool redis_writing(void)
{
	return R.on && R.active;
}

int redis_event_fd(void)
{
	return R.on && !R.active ? R.evfd : -1;
}

unsigned long redis_foreign_count(void)
{
	return R.foreign ? json_object_size(R.foreign) : 0;
}

const char *redis_foreign_json(const char *call_id)
{
	return R.foreign ? json_string_value(
				   json_object_get(json_object_get(R.foreign, call_id), "json"))
			 : NULL;
}

void redis_foreign_each(void (*fn)(const char *call_id, void *arg), void *arg)
{
	const char *id;
	json_t *v;

	if (R.foreign)
		json_object_foreach(R.foreign, id, v)
			fn(id, arg);
}

/* ---- queues (under R.lock) ---- */

static void q_push(struct queue *q, struct msg *m)
{
	if (!q->tail)
		q->tail = &q->head;
	m->next = NULL;
	*q->tail = m;
	q->tail = &m->next;
	q->n++;
}

static struct msg *q_take(struct queue *q)
{
	struct msg *m = q->head;

	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
	return m;
}

static void msg_free(struct msg *m)
{
	while (m) {
		struct msg *next = m->next;

		free(m->id);
		free(m->data);
		free(m);
		m = next;
	}
}

static struct msg *msg_new(const char *id, size_t idlen, const char *data, size_t len)
{
	struct msg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->id = strndup(id, idlen);
	m->data = data ? malloc(len + 1) : NULL;
	if (!m->id || (data && !m->data)) {
		msg_free(m);
		return NULL;
	}
	if (data) {
		memcpy(m->data, data, len);
		m->data[len] = 0;
	}
	m->len = len;
	return m;
}

/* Waits up to ms or until a stop; true when stopping. Called with R.lock held. */
static bool wait_locked(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (!R.stop)
		pthread_cond_timedwait(&R.wake, &R.lock, &ts);
	return R.stop;
}

static bool sleep_or_stop(int ms)
{
	bool stop;

	pthread_mutex_lock(&R.lock);
	stop = wait_locked(ms);
	pthread_mutex_unlock(&R.lock);
	return stop;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connections ---- */

static bool reply_ok(redisReply *r)
{
	bool ok = r && r->type != REDIS_REPLY_ERROR;

	freeReplyObject(r);
	return ok;
}

/* A connection to the configured database; NULL (logged once per outage in *warned). */
static redisContext *connect_db(bool *warned)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectWithTimeout(R.host, R.port, tv);
	const char *why = !c ? "out of memory" : c->err ? c->errstr : NULL;

	if (!why && R.db && !reply_ok(redisCommand(c, "SELECT %d", R.db)))
		why = "SELECT refused";
	if (!why) {
		*warned = false;
		return c;
	}
	if (!*warned)
		log_warn("redis: cannot reach %s:%d/%d: %s; retrying every %d ms", R.host, R.port,
			 R.db, why, RETRY_MS);
	*warned = true;
	if (c)
		redisFree(c);
	return NULL;
}

/* ---- the writer (active node) ---- */

/* The heartbeat's previous value (SET ... GET): another node's name means that node is, or was
 * until less than the TTL ago, active too. Said once until the key is this node's again. */
static void check_beat(redisReply *r)
{
	bool other = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, R.node);

	if (other && !R.beat_warned)
		log_warn("redis: " REDIS_ACTIVE_KEY " names another node (%.100s): it is, or was "
			 "until less than %d ms ago, active too; two active nodes on one Redis "
			 "overwrite each other's calls",
			 r->str, REDIS_BEAT_TTL_MS);
	else if (r && r->type == REDIS_REPLY_ERROR && !R.beat_warned)
		log_warn("redis: the heartbeat was refused: %s", r->str);
	R.beat_warned = other || (r && r->type == REDIS_REPLY_ERROR);
}

/* Sends the heartbeat (beat) and the batch as one pipeline; 0, or -EIO with the connection
 * unusable. */
static int send_batch(redisContext *c, struct msg *list, bool beat)
{
	size_t n = beat;
	int ret = 0;

	if (beat)
		redisAppendCommand(c, "SET " REDIS_ACTIVE_KEY " %s PX %d GET", R.node,
				   REDIS_BEAT_TTL_MS);
	for (struct msg *m = list; m; m = m->next, n++) {
		if (m->data)
			redisAppendCommand(c, "SET " REDIS_KEY_PREFIX "%s %b", m->id, m->data,
					   m->len);
		else
			redisAppendCommand(c, "DEL " REDIS_KEY_PREFIX "%s", m->id);
	}
	for (size_t i = 0; i < n; i++) {
		redisReply *r = NULL;

		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			return -EIO;
		if (beat && !i)
			check_beat(r);
		else if (r && r->type == REDIS_REPLY_ERROR && !ret) {
			log_warn_rl("redis: a write was refused: %s", r->str);
			ret = 0; /* refused (e.g. out of memory): not a reason to resend */
		}
		freeReplyObject(r);
	}
	return ret;
}

/* The heartbeat is refreshed every REDIS_BEAT_MS, and once more at a stop: a clean stop leaves
 * it (and the calls) to expire, so that a restart of this node within the TTL keeps the role and
 * a longer stop lets an automatic standby take over, as a death would. */
static void *writer_main(void *arg)
{
	redisContext *c = NULL;
	bool warned = false, stop = false;
	long long next_beat = 0;

	while (!stop) {
		struct msg *batch;
		long long left;
		bool beat;

		pthread_mutex_lock(&R.lock);
		while (!R.out.head && !R.stop && (left = next_beat - now_ms()) > 0)
			wait_locked((int)left);
		stop = R.stop;
		batch = q_take(&R.out);
		pthread_mutex_unlock(&R.lock);
		/* The last one at a stop only on a live connection: no reconnect to say it. */
		beat = stop ? c != NULL : now_ms() >= next_beat;
		if (!batch && !beat)
			continue;
		if (!c)
			c = connect_db(&warned);
		if (c && send_batch(c, batch, beat)) {
			log_warn("redis: connection to %s:%d lost: %s", R.host, R.port, c->errstr);
			redisFree(c);
			c = connect_db(&warned);
			if (c && send_batch(c, batch, beat)) {
				redisFree(c);
				c = NULL;
			}
		}
		if (c) {
			msg_free(batch);
			if (beat)
				next_beat = now_ms() + REDIS_BEAT_MS;
			continue;
		}
		/* Unreachable: the batch goes back in front, within the bound, for the next try. */
		pthread_mutex_lock(&R.lock);
		if (!stop && !batch) {
			stop = wait_locked(RETRY_MS);
		} else if (!stop) {
			struct msg **t = &batch;
			size_t n = 0;

			while (*t) {
				t = &(*t)->next;
				n++;
			}
			*t = R.out.head;
			if (!R.out.head)
				R.out.tail = t;
			R.out.head = batch;
			R.out.n += n;
			batch = NULL;
			while (R.out.n > MAX_QUEUED) {
				struct msg *m = R.out.head;

				R.out.head = m->next;
				if (!R.out.head)
					R.out.tail = &R.out.head;
				R.out.n--;
				m->next = NULL;
				msg_free(m);
				R.dropped++;
			}
			stop = wait_locked(RETRY_MS);
		}
		pthread_mutex_unlock(&R.lock);
		if (batch) {
			log_warn("redis: stopping with changes not written (Redis unreachable)");
			msg_free(batch);
		}
	}
	if (c)
		redisFree(c);
	return NULL;
}

void redis_put(const char *call_id, const char *json)
{
	struct msg *m;

	if (!redis_writing())
		return;
	m = msg_new(call_id, strlen(call_id), json, json ? strlen(json) : 0);
	if (!m) {
		log_warn_rl("[%s] not written to redis: out of memory", call_id);
		return;
	}
	pthread_mutex_lock(&R.lock);
	q_push(&R.out, m);
	pthread_cond_broadcast(&R.wake);
	pthread_mutex_unlock(&R.lock);
}

/* ---- the follower (standby node) ---- */

static void inbox(struct msg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&R.lock);
	q_push(&R.in, m);
	pthread_mutex_unlock(&R.lock);
	if (write(R.evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn_rl("redis: eventfd: %s", strerror(errno));
}

/* Reads key (prefix + call-id) and hands its value, or its absence, to the control thread. */
static int fetch(redisContext *c, const char *key, size_t keylen, unsigned int gen)
{
	const size_t pl = strlen(REDIS_KEY_PREFIX);
	redisReply *r;
	struct msg *m;

	if (keylen <= pl || memcmp(key, REDIS_KEY_PREFIX, pl) || memchr(key, 0, keylen))
		return 0;
	r = redisCommand(c, "GET %b", key, keylen);
	if (!r)
		return -EIO;
	if (r->type == REDIS_REPLY_STRING)
		m = msg_new(key + pl, keylen - pl, r->str, r->len);
	else
		m = msg_new(key + pl, keylen - pl, NULL, 0); /* nil: gone; not a string: ignored */
	freeReplyObject(r);
	if (!m)
		return -ENOMEM;
	m->gen = gen;
	inbox(m);
	return 0;
}

static int scan_all(redisContext *c, unsigned int gen)
{
	char cursor[32] = "0";

	do {
		redisReply *r =
			redisCommand(c, "SCAN %s MATCH " REDIS_KEY_PREFIX "* COUNT 500", cursor);
		int ret = 0;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -EIO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; !ret && i < r->element[1]->elements; i++) {
			redisReply *k = r->element[1]->element[i];

			if (k->type == REDIS_REPLY_STRING)
				ret = fetch(c, k->str, k->len, gen);
		}
		freeReplyObject(r);
		if (ret)
			return ret;
	} while (strcmp(cursor, "0"));
	return 0;
}

/* The standby needs keyspace events for generic (del, expire) and string (set) commands, and
 * for expired keys (the heartbeat). */
static void check_notify(redisContext *c)
{
	redisReply *r = redisCommand(c, "CONFIG GET notify-keyspace-events");
	const char *v = "";
	char want[64];

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		v = r->element[1]->str;
	if (strchr(v, 'K') &&
	    (strchr(v, 'A') || (strchr(v, '$') && strchr(v, 'g') && strchr(v, 'x')))) {
		freeReplyObject(r);
		return;
	}
	snprintf(want, sizeof(want), "%sK$gx", v);
	freeReplyObject(r);
	if (reply_ok(redisCommand(c, "CONFIG SET notify-keyspace-events %s", want)))
		log_info("redis: keyspace notifications turned on (notify-keyspace-events %s)",
			 want);
	else
		log_warn("redis: keyspace notifications are off and CONFIG SET was refused: set "
			 "notify-keyspace-events K$gx in redis.conf, or this standby misses "
			 "changes");
}

static bool set_fds(int a, int b)
{
	bool stop;

	pthread_mutex_lock(&R.lock);
	stop = R.stop;
	R.fds[0] = stop ? -1 : a;
	R.fds[1] = stop ? -1 : b;
	pthread_mutex_unlock(&R.lock);
	return !stop;
}

/* What the follower knows of the active node's heartbeat. */
struct beat {
	long long seen; /* last set (or start of following): it was there */
	bool gone;	/* expired or deleted since */
};

/* A keyspace message: ["pmessage", pattern, "__keyspace@DB__:KEY", event]. */
static int on_message(redisContext *cmd, redisReply *r, unsigned int gen, struct beat *b)
{
	const size_t al = strlen(REDIS_ACTIVE_KEY);
	const char *key;
	size_t keylen;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[2]->type != REDIS_REPLY_STRING || r->element[3]->type != REDIS_REPLY_STRING)
		return 0;
	key = memmem(r->element[2]->str, r->element[2]->len, "__:", 3);
	if (!key)
		return 0;
	key += 3;
	keylen = r->element[2]->len - (size_t)(key - r->element[2]->str);
	if (keylen == al && !memcmp(key, REDIS_ACTIVE_KEY, al)) {
		if (!strcmp(r->element[3]->str, "expired") || !strcmp(r->element[3]->str, "del"))
			b->gone = true;
		else
			b->seen = now_ms();
		return 0;
	}
	return fetch(cmd, key, keylen, gen);
}

/* --redis-takeover=auto: once the heartbeat expired, was deleted or was not refreshed for its
 * TTL (a missed notification), claims it (SET NX: of several standbys one wins) and asks the
 * control thread to take over. 1: claimed, 0: not (yet), -EIO. */
static int try_claim(redisContext *cmd, struct beat *b)
{
	long long quiet = now_ms() - b->seen;
	struct msg *m;
	redisReply *r;
	bool won;

	if (!R.auto_takeover || (!b->gone && quiet <= REDIS_BEAT_TTL_MS))
		return 0;
	r = redisCommand(cmd, "SET " REDIS_ACTIVE_KEY " %s NX PX %d", R.node, REDIS_BEAT_TTL_MS);
	if (!r)
		return -EIO;
	won = r->type == REDIS_REPLY_STATUS;
	if (r->type == REDIS_REPLY_ERROR)
		log_warn_rl("redis: cannot claim " REDIS_ACTIVE_KEY ": %s", r->str);
	freeReplyObject(r);
	b->gone = false;
	if (!won) { /* another node holds it: check again in one beat if nothing is heard */
		b->seen = now_ms() - REDIS_BEAT_TTL_MS + REDIS_BEAT_MS;
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (!m) /* the claim expires unrefreshed: another standby can take over */
		return -ENOMEM;
	log_warn("redis: the active node's heartbeat is gone (%lld ms without one): taking over",
		 quiet);
	m->takeover = true;
	inbox(m);
	return 1;
}

/* Reads notifications until the connection fails or the heartbeat is claimed; the socket is
 * polled (not a blocking read) so that a heartbeat nobody refreshes is noticed on time. */
static void follow_loop(redisContext *sub, redisContext *cmd, unsigned int gen)
{
	struct beat b = {.seen = now_ms()};

	for (;;) {
		struct pollfd p = {.fd = sub->fd, .events = POLLIN};
		void *r = NULL;
		int ret;

		if (redisReaderGetReply(sub->reader, &r) != REDIS_OK)
			return;
		if (r) {
			ret = on_message(cmd, r, gen, &b);
			freeReplyObject(r);
			if (ret)
				return;
			continue;
		}
		ret = try_claim(cmd, &b);
		if (ret > 0) {
			while (!sleep_or_stop(
				RETRY_MS)) /* until redis_takeover stops this thread */
				;
			return;
		}
		if (ret < 0)
			return;
		ret = poll(&p, 1, 250);
		if (ret < 0 && errno != EINTR)
			return;
		if (ret > 0 && redisBufferRead(sub) != REDIS_OK)
			return;
	}
}

static void follow(redisContext *sub, redisContext *cmd, unsigned int gen)
{
	struct msg *end;

	check_notify(cmd);
	redisSetTimeout(sub, (struct timeval){0, 0}); /* waits for news as long as it takes */
	/* Two patterns, two confirmations: the second is read (and ignored) by on_message. */
	if (!reply_ok(redisCommand(sub,
				   "PSUBSCRIBE __keyspace@%d__:" REDIS_KEY_PREFIX
				   "* __keyspace@%d__:" REDIS_ACTIVE_KEY,
				   R.db, R.db)))
		return;
	/* Subscribed first: a change during the scan is read again from its notification. */
	if (scan_all(cmd, gen))
		return;
	end = calloc(1, sizeof(*end));
	if (!end)
		return;
	end->sync_end = true;
	end->gen = gen;
	inbox(end);
	log_info("redis: following %s:%d/%d as a standby (takeover: %s)", R.host, R.port, R.db,
		 R.auto_takeover ? "auto" : "manual");
	follow_loop(sub, cmd, gen);
}

static void *follower_main(void *arg)
{
	bool warned = false;
	unsigned int gen = 0;

	for (;;) {
		redisContext *sub = connect_db(&warned), *cmd = sub ? connect_db(&warned) : NULL;

		if (sub && cmd && set_fds(sub->fd, cmd->fd)) {
			follow(sub, cmd, ++gen);
			set_fds(-1, -1);
		}
		if (sub)
			redisFree(sub);
		if (cmd)
			redisFree(cmd);
		if (sleep_or_stop(sub && cmd ? 10 : RETRY_MS))
			break;
		if (sub && cmd)
			log_warn("redis: lost the connection to %s:%d; reconnecting", R.host,
				 R.port);
	}
	return NULL;
}

/* Takes in the follower's news; true when it claimed the heartbeat (auto takeover). */
static bool take_inbox(void)
{
	struct msg *list, *m;
	bool takeover = false;
	uint64_t n;

	if (R.evfd >= 0 && read(R.evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_rl("redis: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&R.lock);
	list = q_take(&R.in);
	pthread_mutex_unlock(&R.lock);
	for (m = list; m && R.foreign; m = m->next) {
		const char *id;
		json_t *v;
		void *tmp;

		if (m->takeover) {
			takeover = true;
			continue;
		}
		if (m->sync_end) { /* what this (re)connection did not see is gone */
			json_object_foreach_safe(R.foreign, tmp, id, v)
			{
				if (json_integer_value(json_object_get(v, "gen")) < m->gen)
					json_object_del(R.foreign, id);
			}
			continue;
		}
		if (!m->data) {
			if (json_object_get(R.foreign, m->id))
				log_debug("[%s] foreign call ended", m->id);
			json_object_del(R.foreign, m->id);
			continue;
		}
		v = json_pack("{sIss#}", "gen", (json_int_t)m->gen, "json", m->data, (int)m->len);
		if (!v || json_object_set_new_nocheck(R.foreign, m->id, v))
			log_warn_rl("[%s] foreign call not kept: out of memory", m->id);
	}
	msg_free(list);
	return takeover;
}

void redis_poll(void)
{
	int restored, lost, ret;

	if (!take_inbox() || R.active)
		return;
	/* The same path as the ng command takeover. */
	ret = redis_takeover(&restored, &lost);
	if (ret)
		log_err("redis: automatic takeover failed: %s", strerror(-ret));
}

/* ---- start, stop, takeover ---- */

static int start_thread(pthread_t *t, void *(*fn)(void *), bool *up)
{
	int ret = pthread_create(t, NULL, fn, NULL);

	if (ret) {
		log_err("redis: cannot start a thread: %s", strerror(ret));
		return -ret;
	}
	*up = true;
	return 0;
}

static void stop_threads(void)
{
	pthread_mutex_lock(&R.lock);
	R.stop = true;
	for (int i = 0; i < 2; i++)
		if (R.fds[i] >= 0)
			shutdown(R.fds[i], SHUT_RDWR); /* wakes a blocked read */
	pthread_cond_broadcast(&R.wake);
	pthread_mutex_unlock(&R.lock);
	if (R.follower_up)
		pthread_join(R.follower, NULL);
	if (R.writer_up)
		pthread_join(R.writer, NULL);
	R.follower_up = R.writer_up = false;
	R.stop = false;
}

/* HOSTNAME/NG-ADDRESS: the same for a restart of this node, different for another node. */
static void set_node_name(const struct config *cfg)
{
	char host[256] = "", ng[EP_STRLEN];

	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = 0;
	snprintf(R.node, sizeof(R.node), "%s/%s", host, ep_str(&cfg->listen_ng, ng, sizeof(ng)));
}

int redis_open(const struct config *cfg)
{
	int ret;

	if (!cfg->redis[0])
		return 0;
	ret = redis_parse(cfg->redis, R.host, sizeof(R.host), &R.port, &R.db);
	if (ret) {
		log_err("--redis=%s is not HOST:PORT[/DB]", cfg->redis);
		return ret;
	}
	R.on = true;
	R.active = !cfg->redis_standby;
	R.auto_takeover = cfg->redis_takeover_auto;
	set_node_name(cfg);
	if (R.active) {
		log_info("redis: writing the calls to %s:%d/%d", R.host, R.port, R.db);
		return start_thread(&R.writer, writer_main, &R.writer_up);
	}
	R.foreign = json_object();
	R.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!R.foreign || R.evfd < 0) {
		log_err("redis: cannot set up the standby: %s", strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	return start_thread(&R.follower, follower_main, &R.follower_up);
}

void redis_close(void)
{
	if (!R.on)
		return;
	stop_threads(); /* the writer writes what is queued first */
	if (R.dropped)
		log_warn("redis: %lu changes were dropped while Redis was unreachable", R.dropped);
	pthread_mutex_lock(&R.lock);
	msg_free(q_take(&R.in));
	msg_free(q_take(&R.out));
	pthread_mutex_unlock(&R.lock);
	json_decref(R.foreign);
	R.foreign = NULL;
	if (R.evfd >= 0)
		close(R.evfd);
	R.evfd = -1;
	R.on = R.active = false;
}

int redis_takeover(int *restored, int *lost)
{
	const char *id;
	json_t *v;
	int ret;

	*restored = *lost = 0;
	if (!R.on)
		return -ENOTCONN;
	if (R.active)
		return -EALREADY;
	stop_threads();
	take_inbox(); /* what the follower read last */
	R.active = true;
	ret = start_thread(&R.writer, writer_main, &R.writer_up);
	if (ret)
		return ret;
	log_info("redis: taking over %lu foreign call%s", redis_foreign_count(),
		 redis_foreign_count() == 1 ? "" : "s");
	json_object_foreach(R.foreign, id, v) {
		const char *data = json_string_value(json_object_get(v, "json"));
		int n = 0;

		if (data && !call_state_adopt_json(id, data, strlen(data), &n))
			(*restored)++;
		*lost += n;
	}
	json_object_clear(R.foreign);
	log_info("redis: takeover done: %d call%s restored, %d media lost; now the active node",
		 *restored, *restored == 1 ? "" : "s", *lost);
	return 0;
}
