/* SPDX-License-Identifier: GPL-2.0-only */
/* The state directory: one small file per key (a call, the kernel record), each replaced
 * atomically by a writer thread that batches many changes into one disk sync. */
#ifndef XRELAY_STATE_H
#define XRELAY_STATE_H

#include <stdbool.h>
#include <stddef.h>

/* --state-dir's default: where `make run` and the systemd unit (StateDirectory=) keep it. */
#define STATE_DEFAULT_DIR "/var/lib/xrelay"
/* A file name: the prefix, the encoded key (or a SHA-256 of a long one), ".json". */
#define STATE_NAME_LEN 200

/* Opens dir (created, mode 0700, when missing) and locks it: a second xrelayd on the same
 * directory is refused with -EBUSY (its PID in *holder when known, else 0). Leftover temporary
 * files of a run that died are removed. With start_writer the writer thread starts, which
 * state_put needs. "" or "none": persistence off, returns 0. 0 or -errno (logged). */
int state_open(const char *dir, bool start_writer, int *holder);
bool state_enabled(void);
const char *state_dir(void);
/* Writes what was queued, stops the writer, releases the lock. */
void state_close(void);

/* Queues data (len bytes, taken over: freed once written) as the new content of name; NULL
 * data removes name. Returns at once; the writer thread replaces the file atomically (temp
 * file, sync, rename, directory sync). 0 or -errno (data freed either way). */
int state_put(const char *name, char *data, size_t len);
/* Waits until everything queued so far is on disk (or failed, logged). */
void state_sync(void);
/* Writes (or removes) name now, from the calling thread. 0 or -errno. */
int state_write_now(const char *name, const char *data, size_t len);

/* Calls fn for every file whose name starts with prefix and ends with ".json", with its
 * content (NUL-terminated; fn must not keep it). Returns the count or -errno. */
int state_load(const char *prefix,
	       void (*fn)(const char *name, const char *data, size_t len, void *arg), void *arg);
/* Reads one file: *data malloc'd and NUL-terminated. -ENOENT when missing. */
int state_read(const char *name, char **data, size_t *len);
/* Renames a file that cannot be read to NAME.bad, kept for a human but never read again. */
void state_set_aside(const char *name);
/* Removes every file but the lock: state files, temporaries, set-aside ones. Returns the
 * count or -errno. */
int state_clear(void);

/* name = prefix + key made safe for a file name: letters, digits and "-_.@+=" kept, other
 * bytes as %XX; a key that would not fit becomes "~" and its SHA-256 in hex. Then ".json".
 * Distinct keys give distinct names. 0 or -EINVAL (out too small). */
int state_name(char *out, size_t len, const char *prefix, const char *key);

#endif
