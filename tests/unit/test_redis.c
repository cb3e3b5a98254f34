// SPDX-License-Identifier: GPL-2.0-only
/* redis: --redis=HOST:PORT[/DB] parsing (defaults, IPv6 in brackets, bad ports and databases)
 * and the options in config_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "redis.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		int ret;
		const char *host;
		int port, db;
	} rows[] = {
		{"127.0.0.1:6380/2", 0, "127.0.0.1", 6380, 2},
		{"127.0.0.1", 0, "127.0.0.1", 6379, 0},
		{"redis.example:7000", 0, "redis.example", 7000, 0},
		{"localhost/15", 0, "localhost", 6379, 15},
		{"[::1]:6390/1", 0, "::1", 6390, 1},
		{"[fd00::5]", 0, "fd00::5", 6379, 0},
		{"", -EINVAL, NULL, 0, 0},
		{":6379", -EINVAL, NULL, 0, 0},
		{"host:", -EINVAL, NULL, 0, 0},
		{"host:0", -EINVAL, NULL, 0, 0},
		{"host:65536", -EINVAL, NULL, 0, 0},
		{"host:12x", -EINVAL, NULL, 0, 0},
		{"host/16", -EINVAL, NULL, 0, 0},
		{"host/-1", -EINVAL, NULL, 0, 0},
		{"host/", -EINVAL, NULL, 0, 0},
		{"::1:6379", -EINVAL, NULL, 0, 0},
		{"[::1", -EINVAL, NULL, 0, 0},
		{"[::1]x", -EINVAL, NULL, 0, 0},
		{"[]:1", -EINVAL, NULL, 0, 0},
	};
	char host[64];
	int port, db;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int ret = redis_parse(rows[i].in, host, sizeof(host), &port, &db);

		if (ret != rows[i].ret)
			fail_msg("'%s': %d, want %d", rows[i].in, ret, rows[i].ret);
		if (ret)
			continue;
		assert_string_equal(host, rows[i].host);
		assert_int_equal(port, rows[i].port);
		assert_int_equal(db, rows[i].db);
	}
	/* A host that does not fit is refused, not cut. */
	assert_int_equal(redis_parse("averyveryverylonghostname", host, 8, &port, &db), -EINVAL);
}

static void test_config(void **state)
{
	char *ok[] = {"xrelayd", "--config-file=none", "--redis=10.0.0.5:6380/4",
		      "--redis-role=standby", "--redis-takeover=auto"};
	char *bad_addr[] = {"xrelayd", "--config-file=none", "--redis=10.0.0.5:0"};
	char *bad_role[] = {"xrelayd", "--config-file=none", "--redis-role=backup"};
	char *bad_mode[] = {"xrelayd", "--config-file=none", "--redis-takeover=yes"};
	struct config cfg;
	char err[256];

	assert_int_equal(config_load(&cfg, 5, ok, err, sizeof(err)), 0);
	assert_string_equal(cfg.redis, "10.0.0.5:6380/4");
	assert_true(cfg.redis_standby);
	assert_true(cfg.redis_takeover_auto);
	assert_int_equal(config_load(&cfg, 2, ok, err, sizeof(err)), 0);
	assert_string_equal(cfg.redis, "");
	assert_false(cfg.redis_standby);
	assert_false(cfg.redis_takeover_auto);
	assert_int_equal(config_load(&cfg, 3, bad_addr, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "redis"));
	assert_int_equal(config_load(&cfg, 3, bad_role, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "redis-role"));
	assert_int_equal(config_load(&cfg, 3, bad_mode, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "redis-takeover"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
