// SPDX-License-Identifier: GPL-2.0-only
/* Calls in Redis (hiredis): an active node's writer thread SETs each changed call's JSON and
 * DELs ended ones; a standby's follower thread reads them (SCAN, then keyspace notifications)
 * into foreign calls that the control thread keeps and, on takeover, restores. */
#include "redis.h"

#include "call_state.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <hiredis.h>
#include <jansson.h>
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
};

struct queue {
	struct msg *head, **tail;
	size_t n;
};

static struct {
	bool on, active, writer_up, follower_up;
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

/* Sends the batch as one pipeline; 0, or -EIO with the connection unusable. */
static int send_batch(redisContext *c, struct msg *list)
{
	size_t n = 0;
	int ret = 0;

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
		if (r && r->type == REDIS_REPLY_ERROR && !ret) {
			log_warn_rl("redis: a write was refused: %s", r->str);
			ret = 0; /* refused (e.g. out of memory): not a reason to resend */
		}
		freeReplyObject(r);
	}
	return ret;
}

static void *writer_main(void *arg)
{
	redisContext *c = NULL;
	bool warned = false, stop = false;

	while (!stop) {
		struct msg *batch;

		pthread_mutex_lock(&R.lock);
		while (!R.out.head && !R.stop)
			pthread_cond_wait(&R.wake, &R.lock);
		stop = R.stop;
		batch = q_take(&R.out);
		pthread_mutex_unlock(&R.lock);
		if (!batch)
			break;
		if (!c)
			c = connect_db(&warned);
		if (c && send_batch(c, batch)) {
			log_warn("redis: connection to %s:%d lost: %s", R.host, R.port, c->errstr);
			redisFree(c);
			c = connect_db(&warned);
			if (c && send_batch(c, batch)) {
				redisFree(c);
				c = NULL;
			}
		}
		if (c) {
			msg_free(batch);
			continue;
		}
		/* Unreachable: the batch goes back in front, within the bound, for the next try. */
		pthread_mutex_lock(&R.lock);
		if (!stop) {
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

/* The standby needs keyspace events for generic (del, expire) and string (set) commands. */
static void check_notify(redisContext *c)
{
	redisReply *r = redisCommand(c, "CONFIG GET notify-keyspace-events");
	const char *v = "";
	char want[64];

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		v = r->element[1]->str;
	if (strchr(v, 'K') && (strchr(v, 'A') || (strchr(v, '$') && strchr(v, 'g')))) {
		freeReplyObject(r);
		return;
	}
	snprintf(want, sizeof(want), "%sK$g", v);
	freeReplyObject(r);
	if (reply_ok(redisCommand(c, "CONFIG SET notify-keyspace-events %s", want)))
		log_info("redis: keyspace notifications turned on (notify-keyspace-events %s)",
			 want);
	else
		log_warn(
			"redis: keyspace notifications are off and CONFIG SET was refused: set "
			"notify-keyspace-events K$g in redis.conf, or this standby misses changes");
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

/* A keyspace message: ["pmessage", pattern, "__keyspace@DB__:KEY", event]. */
static int on_message(redisContext *cmd, redisReply *r, unsigned int gen)
{
	const char *key;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return 0;
	key = memmem(r->element[2]->str, r->element[2]->len, "__:", 3);
	if (!key)
		return 0;
	key += 3;
	return fetch(cmd, key, r->element[2]->len - (size_t)(key - r->element[2]->str), gen);
}

static void follow(redisContext *sub, redisContext *cmd, unsigned int gen)
{
	redisReply *r;
	struct msg *end;

	check_notify(cmd);
	redisSetTimeout(sub, (struct timeval){0, 0}); /* waits for news as long as it takes */
	if (!reply_ok(redisCommand(sub, "PSUBSCRIBE __keyspace@%d__:" REDIS_KEY_PREFIX "*", R.db)))
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
	log_info("redis: following %s:%d/%d as a standby", R.host, R.port, R.db);
	while (redisGetReply(sub, (void **)&r) == REDIS_OK) {
		int ret = on_message(cmd, r, gen);

		freeReplyObject(r);
		if (ret)
			break;
	}
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

void redis_poll(void)
{
	struct msg *list, *m;
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
	redis_poll(); /* what the follower read last */
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
