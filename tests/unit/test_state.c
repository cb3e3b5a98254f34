// SPDX-License-Identifier: GPL-2.0-only
/* The state directory (state.c): file names from keys, atomic replacement through the writer
 * thread (the last of several writes wins, removal, big batches), no temporary left behind,
 * the lock against a second daemon, set-aside and clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"

static char tmp[64], dir[96];

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/xrelay-test-state-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	/* Two levels that do not exist yet: state_open makes them. */
	snprintf(dir, sizeof(dir), "%s/a/state", tmp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	state_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) ? -1 : 0;
}

static char *read_file(const char *name)
{
	char path[512], *buf = calloc(1, 65536);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 65535);
	close(fd);
	assert_true(n >= 0);
	return buf;
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int count_files(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || prefix[0] == '.')
			n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void put(const char *name, const char *text)
{
	assert_int_equal(state_put(name, text ? strdup(text) : NULL, text ? strlen(text) : 0), 0);
}

/* ---- names ---- */

struct name_row {
	const char *key, *name;
};

static const struct name_row name_rows[] = {
	{"abc", "call-abc.json"},
	{"a1B2-_.@+=", "call-a1B2-_.@+=.json"},
	{"a/b c", "call-a%2fb%20c.json"},
	{"a%2fb", "call-a%252fb.json"}, /* the escape itself escaped: no two keys meet */
	{"..", "call-...json"},		/* after the prefix: never "." or ".." */
	{"~x", "call-%7ex.json"},	/* '~' marks hashed names only */
	{"\xc3\xa9\n", "call-%c3%a9%0a.json"},
	{"", "call-.json"},
};

static void test_names(void **state)
{
	char out[STATE_NAME_LEN], key[400], want[STATE_NAME_LEN], hex[65];
	unsigned char d[32];

	for (size_t i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++) {
		assert_int_equal(state_name(out, sizeof(out), "call-", name_rows[i].key), 0);
		if (strcmp(out, name_rows[i].name))
			fail_msg("row %zu: '%s', expected '%s'", i, out, name_rows[i].name);
	}
	/* Too long to spell out: "~" and the SHA-256 of the key, whatever it holds. */
	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), d), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(want, sizeof(want), "call-~%s.json", hex);
	assert_int_equal(state_name(out, sizeof(out), "call-", key), 0);
	assert_string_equal(out, want);
	assert_true(strlen(out) < 255);
	/* The longest key still spelled out, and one byte more. */
	memset(key, 0, sizeof(key));
	memset(key, 'b', STATE_NAME_LEN - strlen("call-") - strlen(".json") - 3);
	assert_int_equal(state_name(out, sizeof(out), "call-", key), 0);
	assert_int_equal(out[5], 'b');
	key[strlen(key)] = 'b';
	key[strlen(key)] = 'b';
	assert_int_equal(state_name(out, sizeof(out), "call-", key), 0);
	assert_int_equal(out[5], '~');
	/* No room. */
	assert_int_equal(state_name(out, 20, "call-", "abc"), -EINVAL);
}

/* ---- the directory ---- */

static void test_off(void **state)
{
	assert_int_equal(state_open("none", true, NULL), 0);
	assert_false(state_enabled());
	assert_string_equal(state_dir(), "none");
	assert_int_equal(state_put("x.json", strdup("x"), 1), 0); /* freed, nothing written */
	state_sync();
	assert_int_equal(state_open("", true, NULL), 0);
	assert_false(state_enabled());
}

static void test_write_replace_remove(void **state)
{
	char *s;

	assert_int_equal(state_open(dir, true, NULL), 0);
	assert_true(state_enabled());
	put("call-x.json", "{\"v\":1}");
	put("call-y.json", "{\"v\":2}");
	put("call-x.json", "{\"v\":3}"); /* the last write of a name wins */
	state_sync();
	s = read_file("call-x.json");
	assert_string_equal(s, "{\"v\":3}");
	free(s);
	s = read_file("call-y.json");
	assert_string_equal(s, "{\"v\":2}");
	free(s);
	put("call-y.json", NULL);
	put("call-gone.json", NULL); /* removing what is not there is fine */
	state_sync();
	assert_null(read_file("call-y.json"));
	assert_int_equal(count_files(".tmp-"), 0);
	/* Written while a reader lists: the file is the old or the new one, never a mix. */
	put("call-x.json", "{\"v\":4}");
	state_sync();
	s = read_file("call-x.json");
	assert_string_equal(s, "{\"v\":4}");
	free(s);
	assert_int_equal(state_write_now("kernel.json", "{}", 2), 0);
	s = read_file("kernel.json");
	assert_string_equal(s, "{}");
	free(s);
}

static void test_batches(void **state)
{
	char name[64], text[64];

	assert_int_equal(state_open(dir, true, NULL), 0);
	/* Many names at once (one sync for the lot), and one name many times. */
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "call-%d.json", i);
		snprintf(text, sizeof(text), "%d", i);
		put(name, text);
		snprintf(text, sizeof(text), "again %d", i);
		put("call-busy.json", text);
	}
	state_sync();
	assert_int_equal(count_files("call-"), 3001);
	for (int i = 0; i < 3000; i += 299) {
		char *s;

		snprintf(name, sizeof(name), "call-%d.json", i);
		snprintf(text, sizeof(text), "%d", i);
		s = read_file(name);
		assert_non_null(s);
		assert_string_equal(s, text);
		free(s);
	}
	{
		char *s = read_file("call-busy.json");

		assert_string_equal(s, "again 2999");
		free(s);
	}
	assert_int_equal(count_files(".tmp-"), 0);
}

struct seen {
	int n;
	char names[8][64];
	char data[8][64];
};

static void collect(const char *name, const char *data, size_t len, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(strlen(data), len);
	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		snprintf(s->data[s->n], sizeof(s->data[0]), "%s", data);
	}
	s->n++;
}

static void test_load_set_aside_clear(void **state)
{
	struct seen seen = {0};
	char path[256];

	assert_int_equal(state_open(dir, false, NULL), 0); /* to make the directory */
	state_close();
	/* Left by a run that died while writing: removed at open, never read. */
	write_file(".tmp-call-half.json", "{\"trunc");
	write_file("call-a.json", "A");
	write_file("call-b.json.bad", "B");
	write_file("other.json", "O");
	write_file("call-c.txt", "C");
	assert_int_equal(state_open(dir, false, NULL), 0);
	assert_int_equal(count_files(".tmp-"), 0);
	assert_int_equal(state_load("call-", collect, &seen), 1);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.names[0], "call-a.json");
	assert_string_equal(seen.data[0], "A");
	/* A second listing sees the same (the listings share nothing). */
	seen.n = 0;
	assert_int_equal(state_load("call-", collect, &seen), 1);
	state_set_aside("call-a.json");
	seen.n = 0;
	assert_int_equal(state_load("call-", collect, &seen), 0);
	snprintf(path, sizeof(path), "%s/call-a.json.bad", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* A directory where a file should be is set aside too, not fatal. */
	snprintf(path, sizeof(path), "%s/call-dir.json", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	seen.n = 0;
	assert_int_equal(state_load("call-", collect, &seen), 0);
	snprintf(path, sizeof(path), "%s/call-dir.json.bad", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(state_clear(), 4); /* the two .bad files, other.json, call-c.txt */
	assert_int_equal(count_files(""), 1);
	assert_non_null(read_file("lock"));
}

static void test_lock(void **state)
{
	int status, holder = 0;
	pid_t pid;

	assert_int_equal(state_open(dir, false, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Another process on the same directory, as a second xrelayd would be. */
		int ret = state_open(dir, false, &holder);

		_exit(ret == -EBUSY && holder == (int)getppid() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Released at close: the next one gets it. */
	state_close();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(state_open(dir, false, NULL) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_off),
		cmocka_unit_test_setup_teardown(test_write_replace_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_set_aside_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
