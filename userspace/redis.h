/* SPDX-License-Identifier: GPL-2.0-only */
/* --redis: the calls' state (call_state.c's JSON) in Redis too. An active node writes it from a
 * writer thread; a standby follows it (keyspace notifications), keeps the calls as foreign calls
 * and, on `takeover` (or, with --redis-takeover=auto, once the active node's heartbeat is gone),
 * restores them as a restart does and becomes the active node. */
#ifndef XRELAY_REDIS_H
#define XRELAY_REDIS_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Every call is the string value of this prefix + its call-id. */
#define REDIS_KEY_PREFIX   "xrelay:call:"
#define REDIS_DEFAULT_PORT 6379
/* The active node's heartbeat: its node name (HOSTNAME/NG-ADDRESS), SET every REDIS_BEAT_MS with
 * a time to live of REDIS_BEAT_TTL_MS. A standby with --redis-takeover=auto takes over once it
 * is gone (expired, deleted, or not refreshed for the TTL) and it could claim it (SET NX). */
#define REDIS_ACTIVE_KEY  "xrelay:active"
#define REDIS_BEAT_MS	  1000
#define REDIS_BEAT_TTL_MS (3 * REDIS_BEAT_MS)

/* HOST:PORT[/DB] or HOST[/DB] (port 6379, database 0); HOST may be [IPv6]. 0 or -EINVAL. */
int redis_parse(const char *s, char *host, size_t hostlen, int *port, int *db);

/* Starts what cfg asks for (nothing without --redis): the writer thread (active) or the
 * follower thread (standby). Redis need not be up yet: both threads reconnect. 0 or -errno. */
int redis_open(const struct config *cfg);
/* Writes what is queued (active), stops the threads, forgets the foreign calls. */
void redis_close(void);

/* This node writes its calls to Redis: --redis, active or after a takeover. */
bool redis_writing(void);
/* Queues call_id's JSON (copied) for Redis, or its removal with json NULL. Active only. */
void redis_put(const char *call_id, const char *json);

/* Standby: readable when the follower has news for redis_poll (the control loop); -1 else. */
int redis_event_fd(void);
/* Control thread: takes in what the follower read (foreign calls added, changed, ended); with
 * --redis-takeover=auto, takes over (redis_takeover) once the follower claimed the heartbeat. */
void redis_poll(void);
/* The foreign calls this standby holds. */
unsigned long redis_foreign_count(void);
/* The foreign call's saved JSON (borrowed), NULL when none has this call-id. */
const char *redis_foreign_json(const char *call_id);
/* Calls fn with every foreign call-id, in no particular order. */
void redis_foreign_each(void (*fn)(const char *call_id, void *arg), void *arg);

/* Control thread: the standby becomes the active node. The follower stops, every foreign call
 * is restored like a saved call at a restart (its ports bound on the addresses now local, its
 * peers latched, the same SDP) and written back to Redis as this node's. *restored and *lost
 * (media whose ports could not be bound) are counted. -EALREADY when active, else 0. */
int redis_takeover(int *restored, int *lost);

#endif
