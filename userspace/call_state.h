/* SPDX-License-Identifier: GPL-2.0-only */
/* Calls as JSON, kept in the state directory so a restarted xrelayd carries them on; one
 * function per struct (call, party, media, stream), reusable by other stores. */
#ifndef XRELAY_CALL_STATE_H
#define XRELAY_CALL_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct call;
struct kernel_record;

/* Written into every call; a file of a later version is set aside, not misread. */
#define CALL_STATE_VERSION 1
#define CALL_STATE_PREFIX  "call-"
#define KERNEL_STATE_NAME  "kernel.json"

/* c changed: the next call_state_flush writes it, or removes its file once c is no longer in
 * the call table. Nothing when persistence is off or suspended. */
void call_state_changed(struct call *c);
/* Serialises the changed calls and queues them for the writer thread. The control loop calls
 * it after each batch of events, so one ng request is one write however much it changed. */
void call_state_flush(void);
/* Every call, changed or not (its counters move all the time), then waits until all is on
 * disk: a clean stop. */
void call_state_save_all(void);
/* While suspended, changes are not recorded: the calls of a stopping daemon are not ended. */
void call_state_suspend(void);
void call_state_resume(void);
/* Restores every saved call (after kernel_start, before the first request): ports bound
 * again, streams latched where they were, kernel entries adopted. A file that cannot be read
 * is set aside (NAME.bad) with a log line naming it and why; the other calls are restored.
 * Returns how many calls were restored. */
int call_state_restore(void);
/* A call another node saved (Redis, redis.c): restored like a saved file, kernel entries
 * installed, and recorded as this node's. *lost: media whose ports could not be bound.
 * 0, -EEXIST (a call of that call-id runs here) or -EINVAL (unreadable; logged). */
int call_state_adopt_json(const char *call_id, const char *data, size_t len, int *lost);
/* After kernel_start: every call takes over the kernel entries its streams had (restored
 * before the program was loaded), and installs what is missing. */
void call_state_adopt_kernel(void);

/* A call's state; NULL when out of memory. */
json_t *call_to_json(struct call *c);
/* Builds a saved call back through call_restore_new (not started: call_restore_start binds
 * it). Unknown keys are ignored. NULL with the reason in err. */
struct call *call_from_json(const json_t *j, char *err, size_t errlen);

/* The kernel record (kernel.h) in the state directory: written once the fast path is set up,
 * read before it is. Missing or unreadable: an empty record. 0 or -errno. */
int kernel_record_save(void);
int kernel_record_load(struct kernel_record *r);

#endif
