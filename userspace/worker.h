/* SPDX-License-Identifier: GPL-2.0-only */
/* Media workers: one thread per core, pinned, each with its own epoll loop and its own streams.
 * The control thread talks to a worker only through its message queue. */
#ifndef XRELAY_WORKER_H
#define XRELAY_WORKER_H

#include "stream.h"

struct worker;

/* Starts n workers (thread i pinned to CPU i modulo the online CPUs). */
int workers_start(int n);
/* Stops and joins every worker after it handled its queue; removed streams go to done(). */
void workers_stop(void (*done)(struct stream *s));
int workers_count(void);
/* The worker for a new call (round robin). */
struct worker *worker_pick(void);

/* Messages, processed in the order they were posted to a worker. */
/* The worker starts polling s (s->fd, s->worker set) with cfg. */
int worker_stream_add(struct stream *s, const struct stream_cfg *cfg);
/* The worker replaces its copy of s's cfg. */
int worker_stream_update(struct stream *s, const struct stream_cfg *cfg);
/* The worker stops polling s and closes s->fd; s comes back through worker_reap. Any stream
 * whose sink is s must have been updated before. */
int worker_stream_remove(struct stream *s);
/* Becomes readable when a worker has something for the control thread. */
int workers_event_fd(void);
/* Called by the control thread: hands every stream that latched onto a (new) peer to
 * latched(), then every removed stream to done(). */
void workers_poll(void (*latched)(struct stream *s), void (*done)(struct stream *s));

#endif
