// SPDX-License-Identifier: GPL-2.0-only
/* The state directory: one file per key, replaced atomically. The control thread only queues
 * (name, bytes); a writer thread writes every queued file to a temporary, syncs them with one
 * syncfs, renames them over the old ones and syncs the directory, so a burst of changes costs
 * one disk sync, not one per file, and the control thread never waits for the disk. */
#include "state.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".tmp-"
#define LOCK_NAME  "lock"
#define SUFFIX	   ".json"
/* A state file larger than this is not a call: read as corrupt. */
#define MAX_FILE (16u << 20)

struct item {
	struct item *next;
	char *data; /* NULL: remove the file */
	size_t len;
	bool skip; /* a later item of the same batch replaces it */
	char name[STATE_NAME_LEN];
};

static struct {
	bool on;
	int dirfd, lockfd;
	char path[256];
	bool writer;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct item *head, **tail;
	unsigned long queued, written; /* items queued and handled so far */
	bool stop;
	/* Writer thread only: what it did, logged at close. */
	unsigned long n_batches, n_files, n_removed, n_replaced_in_batch;
} st = {.dirfd = -1, .lockfd = -1};

bool state_enabled(void)
{
	return st.on;
}

const char *state_dir(void)
{
	return st.on ? st.path : "none";
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* TMP_PREFIX + name, written and closed; with sync, also on disk. */
static int write_temp(const char *name, const char *data, size_t len, bool sync)
{
	char tmp[STATE_NAME_LEN + sizeof(TMP_PREFIX)];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	fd = openat(st.dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (!ret && sync && fdatasync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlinkat(st.dirfd, tmp, 0);
	return ret;
}

static int commit(const char *name)
{
	char tmp[STATE_NAME_LEN + sizeof(TMP_PREFIX)];

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	if (renameat(st.dirfd, tmp, st.dirfd, name)) {
		int ret = -errno;

		unlinkat(st.dirfd, tmp, 0);
		return ret;
	}
	return 0;
}

static int remove_file(const char *name)
{
	return unlinkat(st.dirfd, name, 0) && errno != ENOENT ? -errno : 0;
}

int state_write_now(const char *name, const char *data, size_t len)
{
	int ret;

	if (!st.on)
		return 0;
	ret = data ? write_temp(name, data, len, true) : remove_file(name);
	if (!ret && data)
		ret = commit(name);
	if (!ret && fsync(st.dirfd))
		ret = -errno;
	return ret;
}

static unsigned int hash_name(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Marks every item that a later one of the same name replaces. */
static void dedup(struct item **v, size_t n)
{
	size_t cap = 16;
	struct item **seen;

	while (cap < 2 * n)
		cap *= 2;
	seen = calloc(cap, sizeof(*seen));
	if (!seen)
		return; /* each is written in order: the last still wins, only slower */
	for (size_t i = n; i-- > 0;) {
		size_t k = hash_name(v[i]->name) & (cap - 1);

		while (seen[k] && strcmp(seen[k]->name, v[i]->name))
			k = (k + 1) & (cap - 1);
		if (seen[k])
			v[i]->skip = true;
		else
			seen[k] = v[i];
	}
	free(seen);
}

static void write_batch(struct item *list)
{
	size_t n = 0, n_put = 0, i = 0;
	struct item **v, *it;
	int ret;

	for (it = list; it; it = it->next)
		n++;
	v = malloc(n * sizeof(*v));
	if (!v) {
		/* One at a time, each synced: slower, but nothing is lost. */
		for (it = list; it; it = it->next) {
			ret = state_write_now(it->name, it->data, it->len);
			if (ret)
				log_warn_rl("state: cannot write %s/%s: %s", st.path, it->name,
					    strerror(-ret));
		}
		return;
	}
	for (it = list; it; it = it->next)
		v[i++] = it;
	dedup(v, n);
	st.n_batches++;
	for (i = 0; i < n; i++) {
		n_put += !v[i]->skip && v[i]->data;
		st.n_files += !v[i]->skip && v[i]->data;
		st.n_removed += !v[i]->skip && !v[i]->data;
		st.n_replaced_in_batch += v[i]->skip;
	}
	for (i = 0; i < n; i++) {
		if (v[i]->skip || !v[i]->data)
			continue;
		ret = write_temp(v[i]->name, v[i]->data, v[i]->len, n_put == 1);
		if (ret) {
			log_warn_rl("state: cannot write %s/%s: %s", st.path, v[i]->name,
				    strerror(-ret));
			v[i]->skip = true;
		}
	}
	/* One sync for every temporary file at once, before any of them replaces a file. */
	if (n_put > 1 && syncfs(st.dirfd))
		log_warn_rl("state: syncfs %s: %s", st.path, strerror(errno));
	for (i = 0; i < n; i++) {
		if (v[i]->skip)
			continue;
		ret = v[i]->data ? commit(v[i]->name) : remove_file(v[i]->name);
		if (ret)
			log_warn_rl("state: cannot %s %s/%s: %s", v[i]->data ? "replace" : "remove",
				    st.path, v[i]->name, strerror(-ret));
	}
	if (fsync(st.dirfd))
		log_warn_rl("state: fsync %s: %s", st.path, strerror(errno));
	free(v);
}

static void free_list(struct item *it)
{
	while (it) {
		struct item *next = it->next;

		free(it->data);
		free(it);
		it = next;
	}
}

static void *writer_main(void *arg)
{
	pthread_mutex_lock(&st.lock);
	for (;;) {
		struct item *batch;
		unsigned long upto;

		while (!st.head && !st.stop)
			pthread_cond_wait(&st.wake, &st.lock);
		if (!st.head)
			break;
		batch = st.head;
		upto = st.queued;
		st.head = NULL;
		st.tail = &st.head;
		pthread_mutex_unlock(&st.lock);
		write_batch(batch);
		free_list(batch);
		pthread_mutex_lock(&st.lock);
		st.written = upto;
		pthread_cond_broadcast(&st.done);
	}
	pthread_mutex_unlock(&st.lock);
	return NULL;
}

int state_put(const char *name, char *data, size_t len)
{
	struct item *it;

	if (!st.on || !st.writer) {
		free(data);
		return st.on ? -EBADF : 0;
	}
	it = calloc(1, sizeof(*it));
	if (!it || strlen(name) >= sizeof(it->name)) {
		free(it);
		free(data);
		return it ? -ENAMETOOLONG : -ENOMEM;
	}
	memcpy(it->name, name, strlen(name) + 1);
	it->data = data;
	it->len = len;
	pthread_mutex_lock(&st.lock);
	*st.tail = it;
	st.tail = &it->next;
	st.queued++;
	pthread_cond_signal(&st.wake);
	pthread_mutex_unlock(&st.lock);
	return 0;
}

void state_sync(void)
{
	unsigned long target;

	if (!st.on || !st.writer)
		return;
	pthread_mutex_lock(&st.lock);
	target = st.queued;
	while (st.written < target)
		pthread_cond_wait(&st.done, &st.lock);
	pthread_mutex_unlock(&st.lock);
}

static int mkdir_p(const char *path)
{
	char buf[sizeof(st.path)];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* A listing of the state directory. A dup shares the file offset with dirfd, which an
 * earlier listing left at the end: hence the rewind. NULL with errno set. */
static DIR *open_dir(void)
{
	int fd = dup(st.dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		errno = err;
		return NULL;
	}
	rewinddir(d);
	return d;
}

/* Removes the temporaries a run that died while writing left behind. */
static void remove_temps(void)
{
	DIR *d = open_dir();
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
			unlinkat(st.dirfd, e->d_name, 0);
	closedir(d);
}

static int take_lock(int *holder)
{
	char pid[32];
	ssize_t n;

	st.lockfd = openat(st.dirfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st.lockfd < 0)
		return -errno;
	if (flock(st.lockfd, LOCK_EX | LOCK_NB)) {
		int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

		n = pread(st.lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		*holder = atoi(pid);
		return ret;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(st.lockfd, 0) || pwrite(st.lockfd, pid, (size_t)n, 0) != n)
		log_debug("state: cannot write the PID into %s/" LOCK_NAME, st.path);
	return 0;
}

int state_open(const char *dir, bool start_writer, int *holder)
{
	int ret, dummy;

	if (!holder)
		holder = &dummy;
	*holder = 0;
	if (!dir || !*dir || !strcmp(dir, "none"))
		return 0;
	if (strlen(dir) >= sizeof(st.path))
		return -ENAMETOOLONG;
	snprintf(st.path, sizeof(st.path), "%s", dir);
	ret = mkdir_p(dir);
	if (ret) {
		log_err("state: cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	st.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st.dirfd < 0) {
		ret = -errno;
		log_err("state: cannot open %s: %s", dir, strerror(errno));
		return ret;
	}
	ret = take_lock(holder);
	if (ret) {
		if (ret == -EBUSY)
			log_err("state: %s is in use by another xrelayd (PID %d): one state "
				"directory per xrelayd (stop it, or give this one another "
				"--state-dir, or none)",
				dir, *holder);
		else
			log_err("state: cannot lock %s/" LOCK_NAME ": %s", dir, strerror(-ret));
		goto fail;
	}
	st.on = true;
	remove_temps();
	if (start_writer) {
		pthread_mutex_init(&st.lock, NULL);
		pthread_cond_init(&st.wake, NULL);
		pthread_cond_init(&st.done, NULL);
		st.head = NULL;
		st.tail = &st.head;
		st.queued = st.written = 0;
		st.stop = false;
		ret = -pthread_create(&st.thread, NULL, writer_main, NULL);
		if (ret) {
			log_err("state: cannot start the writer thread: %s", strerror(-ret));
			st.on = false;
			goto fail;
		}
		pthread_setname_np(st.thread, "xr-state");
		st.writer = true;
	}
	return 0;
fail:
	if (st.lockfd >= 0)
		close(st.lockfd);
	close(st.dirfd);
	st.lockfd = st.dirfd = -1;
	return ret;
}

void state_close(void)
{
	if (!st.on)
		return;
	if (st.writer) {
		pthread_mutex_lock(&st.lock);
		st.stop = true;
		pthread_cond_signal(&st.wake);
		pthread_mutex_unlock(&st.lock);
		pthread_join(st.thread, NULL);
		log_info("state: %lu files written, %lu removed, in %lu batches (one disk sync "
			 "each); %lu writes skipped for a newer one",
			 st.n_files, st.n_removed, st.n_batches, st.n_replaced_in_batch);
		pthread_mutex_destroy(&st.lock);
		pthread_cond_destroy(&st.wake);
		pthread_cond_destroy(&st.done);
		st.writer = false;
	}
	close(st.lockfd); /* releases the lock */
	close(st.dirfd);
	st.lockfd = st.dirfd = -1;
	st.on = false;
}

int state_read(const char *name, char **data, size_t *len)
{
	struct stat sb;
	char *buf;
	size_t got = 0;
	int fd, ret = 0;

	*data = NULL;
	*len = 0;
	if (!st.on)
		return -ENOENT;
	fd = openat(st.dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > MAX_FILE) {
		ret = S_ISDIR(sb.st_mode) ? -EISDIR : S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	*data = buf;
	*len = got;
out:
	close(fd);
	return ret;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

int state_load(const char *prefix,
	       void (*fn)(const char *name, const char *data, size_t len, void *arg), void *arg)
{
	int n = 0;
	struct dirent *e;
	DIR *d;

	if (!st.on)
		return 0;
	d = open_dir();
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *data;
		size_t len;
		int ret;

		if (strncmp(e->d_name, prefix, strlen(prefix)) || !has_suffix(e->d_name, SUFFIX))
			continue;
		ret = state_read(e->d_name, &data, &len);
		if (ret) {
			log_warn("state: cannot read %s/%s: %s: set aside", st.path, e->d_name,
				 strerror(-ret));
			state_set_aside(e->d_name);
			continue;
		}
		fn(e->d_name, data, len, arg);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

void state_set_aside(const char *name)
{
	char bad[STATE_NAME_LEN + 8];

	if (!st.on)
		return;
	snprintf(bad, sizeof(bad), "%s.bad", name);
	if (renameat(st.dirfd, name, st.dirfd, bad))
		log_warn("state: cannot rename %s/%s: %s", st.path, name, strerror(errno));
}

int state_clear(void)
{
	int n = 0;
	struct dirent *e;
	DIR *d;

	if (!st.on)
		return 0;
	state_sync();
	d = open_dir();
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_type == DT_DIR || !strcmp(e->d_name, LOCK_NAME))
			continue;
		if (!unlinkat(st.dirfd, e->d_name, 0))
			n++;
	}
	closedir(d);
	fsync(st.dirfd);
	return n;
}

static bool safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-_.@+=", c));
}

int state_name(char *out, size_t len, const char *prefix, const char *key)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(prefix), room = len < STATE_NAME_LEN ? len : STATE_NAME_LEN;
	unsigned char d[32];

	if (n + 1 + 2 * sizeof(d) + strlen(SUFFIX) + 1 > room)
		return -EINVAL;
	memcpy(out, prefix, n);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if (n + 3 + strlen(SUFFIX) + 1 > room)
			goto hashed;
		if (safe_char(*p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	snprintf(out + n, room - n, "%s", SUFFIX);
	return 0;
hashed:
	/* '~' is never kept as it is: a hashed name cannot equal an encoded one. */
	n = strlen(prefix);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), d))
		return -EINVAL;
	out[n++] = '~';
	for (size_t i = 0; i < sizeof(d); i++) {
		out[n++] = hex[d[i] >> 4];
		out[n++] = hex[d[i] & 15];
	}
	snprintf(out + n, room - n, "%s", SUFFIX);
	return 0;
}
