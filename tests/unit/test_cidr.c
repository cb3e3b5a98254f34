// SPDX-License-Identifier: GPL-2.0-only
/* cidr: parsing (canonical form, host bits, bad prefixes), matching IPv4, IPv6 and IPv4-mapped
 * sources at every interesting prefix length, and --ng-allow in config_load (command line,
 * file list, errors that name the option). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cidr.h"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *want; /* rc 0: cidr_str; else the reason */
	} rows[] = {
		{"10.0.0.0/8", 0, "10.0.0.0/8"},
		{"192.0.2.1", 0, "192.0.2.1/32"},
		{"192.0.2.1/32", 0, "192.0.2.1/32"},
		{"0.0.0.0/0", 0, "0.0.0.0/0"},
		{"172.16.0.0/12", 0, "172.16.0.0/12"},
		{"198.51.100.128/25", 0, "198.51.100.128/25"},
		{"2001:db8::/32", 0, "2001:db8::/32"},
		{"2001:DB8:0::/48", 0, "2001:db8::/48"},
		{"::/0", 0, "::/0"},
		{"::1", 0, "::1/128"},
		{"fe80::1/128", 0, "fe80::1/128"},
		{"::ffff:10.0.0.0/104", 0, "::ffff:10.0.0.0/104"},
		{"10.0.0.0/007", 0, "10.0.0.0/7"},
		{"10.1.0.0/8", -EINVAL,
		 "'10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)"},
		{"192.0.2.1/24", -EINVAL,
		 "'192.0.2.1/24' has host bits set (the network is 192.0.2.0/24)"},
		{"198.51.100.129/25", -EINVAL,
		 "'198.51.100.129/25' has host bits set (the network is 198.51.100.128/25)"},
		{"2001:db8::1/64", -EINVAL,
		 "'2001:db8::1/64' has host bits set (the network is 2001:db8::/64)"},
		{"10.0.0.0/33", -EINVAL, "'10.0.0.0/33': the prefix length must be 0 to 32"},
		{"::/129", -EINVAL, "'::/129': the prefix length must be 0 to 128"},
		{"10.0.0.0/", -EINVAL, "'10.0.0.0/': the prefix length must be 0 to 32"},
		{"10.0.0.0/-1", -EINVAL, "'10.0.0.0/-1': the prefix length must be 0 to 32"},
		{"10.0.0.0/+8", -EINVAL, "'10.0.0.0/+8': the prefix length must be 0 to 32"},
		{"10.0.0.0/ 8", -EINVAL, "'10.0.0.0/ 8': the prefix length must be 0 to 32"},
		{"10.0.0.0/8x", -EINVAL, "'10.0.0.0/8x': the prefix length must be 0 to 32"},
		{"10.0.0.0/0008", -EINVAL, "'10.0.0.0/0008': the prefix length must be 0 to 32"},
		{"10.0.0.0/8/8", -EINVAL, "'10.0.0.0/8/8': the prefix length must be 0 to 32"},
		{"10.0.0/8", -EINVAL, "'10.0.0/8': '10.0.0' is not an IP address"},
		{"256.0.0.0/8", -EINVAL, "'256.0.0.0/8': '256.0.0.0' is not an IP address"},
		{"example.com", -EINVAL, "'example.com': 'example.com' is not an IP address"},
		{"[::1]/128", -EINVAL, "'[::1]/128': '[::1]' is not an IP address"},
		{"fe80::1%eth0", -EINVAL, "'fe80::1%eth0': 'fe80::1%eth0' is not an IP address"},
		{"", -EINVAL, "'' is not IP[/PREFIX]"},
		{"/8", -EINVAL, "'/8' is not IP[/PREFIX]"},
		{"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/8", -EINVAL,
		 "'1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/8' is not IP[/PREFIX]"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct cidr c;
		char why[160] = "", buf[CIDR_STRLEN];
		int rc;

		memset(&c, 0x5a, sizeof(c));
		rc = cidr_parse(&c, rows[i].in, why, sizeof(why));
		if (rc != rows[i].rc)
			fail_msg("row %zu '%s': rc %d, expected %d (%s)", i, rows[i].in, rc,
				 rows[i].rc, why);
		if (rc == 0 && strcmp(cidr_str(&c, buf, sizeof(buf)), rows[i].want))
			fail_msg("row %zu '%s': parsed as '%s', expected '%s'", i, rows[i].in, buf,
				 rows[i].want);
		if (rc != 0 && strcmp(why, rows[i].want))
			fail_msg("row %zu '%s': reason\n  got      '%s'\n  expected '%s'", i,
				 rows[i].in, why, rows[i].want);
	}
	/* why may be NULL. */
	{
		struct cidr c;

		assert_int_equal(cidr_parse(&c, "nonsense", NULL, 0), -EINVAL);
	}
}

static void test_match(void **state)
{
	static const struct {
		const char *cidr, *src;
		bool match;
	} rows[] = {
		/* IPv4 prefixes, inside and just outside each edge */
		{"10.0.0.0/8", "10.0.0.0", true},
		{"10.0.0.0/8", "10.255.255.255", true},
		{"10.0.0.0/8", "9.255.255.255", false},
		{"10.0.0.0/8", "11.0.0.0", false},
		{"10.0.0.0/8", "127.0.0.1", false},
		{"127.0.0.0/8", "127.0.0.1", true},
		{"172.16.0.0/12", "172.31.255.255", true},
		{"172.16.0.0/12", "172.32.0.0", false},
		{"172.16.0.0/12", "172.15.255.255", false},
		{"198.51.100.128/25", "198.51.100.128", true},
		{"198.51.100.128/25", "198.51.100.255", true},
		{"198.51.100.128/25", "198.51.100.127", false},
		{"192.0.2.1/32", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"192.0.2.1/32", "192.0.2.0", false},
		{"192.0.2.0/31", "192.0.2.1", true},
		{"192.0.2.0/31", "192.0.2.2", false},
		{"0.0.0.0/0", "203.0.113.9", true},
		{"0.0.0.0/0", "0.0.0.0", true},
		{"0.0.0.0/0", "255.255.255.255", true},
		/* IPv6 prefixes */
		{"2001:db8::/32", "2001:db8::1", true},
		{"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"2001:db8::/32", "2001:db9::", false},
		{"2001:db8::/32", "2001:db7:ffff::", false},
		{"2001:db8:8000::/33", "2001:db8:8000::1", true},
		{"2001:db8:8000::/33", "2001:db8:7fff::1", false},
		{"::1/128", "::1", true},
		{"::1", "::2", false},
		{"fe80::1/128", "fe80::1", true},
		{"fe80::1/128", "fe80::1:1", false},
		{"2001:db8::/127", "2001:db8::1", true},
		{"2001:db8::/127", "2001:db8::2", false},
		{"::/0", "2001:db8::1", true},
		{"::/0", "::", true},
		/* families do not mix ... */
		{"::/0", "10.0.0.1", false},
		{"0.0.0.0/0", "2001:db8::1", false},
		{"0.0.0.0/0", "::1", false},
		{"::1/128", "127.0.0.1", false},
		{"10.0.0.0/8", "::a00:1", false}, /* IPv4-compatible, not mapped */
		/* ... except through the IPv4-mapped form, both ways */
		{"10.0.0.0/8", "::ffff:10.1.2.3", true},
		{"10.0.0.0/8", "::ffff:11.1.2.3", false},
		{"127.0.0.0/8", "::ffff:127.0.0.1", true},
		{"192.0.2.1/32", "::ffff:192.0.2.1", true},
		{"192.0.2.1/32", "::ffff:192.0.2.2", false},
		{"0.0.0.0/0", "::ffff:203.0.113.9", true},
		{"::ffff:10.0.0.0/104", "10.9.8.7", true},
		{"::ffff:10.0.0.0/104", "11.9.8.7", false},
		{"::ffff:0.0.0.0/96", "203.0.113.9", true},
		{"::ffff:10.0.0.0/104", "::ffff:10.9.8.7", true},
		{"::/0", "::ffff:10.0.0.1", false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct cidr c;
		struct endpoint ep;
		char why[160];

		if (cidr_parse(&c, rows[i].cidr, why, sizeof(why)))
			fail_msg("row %zu: bad test cidr %s: %s", i, rows[i].cidr, why);
		if (ep_parse_ip(&ep, rows[i].src))
			fail_msg("row %zu: bad test address %s", i, rows[i].src);
		ep_set_port(&ep, 5060); /* the port never matters */
		if (cidr_match(&c, &ep) != rows[i].match)
			fail_msg("row %zu: %s in %s: %d, expected %d", i, rows[i].src, rows[i].cidr,
				 !rows[i].match, rows[i].match);
	}
}

static void test_list_match(void **state)
{
	struct cidr list[3];
	struct endpoint ep;
	char why[160];

	assert_int_equal(cidr_parse(&list[0], "10.0.0.0/8", why, sizeof(why)), 0);
	assert_int_equal(cidr_parse(&list[1], "192.0.2.7", why, sizeof(why)), 0);
	assert_int_equal(cidr_parse(&list[2], "2001:db8::/32", why, sizeof(why)), 0);
	ep_parse_ip(&ep, "192.0.2.7");
	assert_true(cidr_list_match(list, 3, &ep));
	assert_false(cidr_list_match(list, 1, &ep)); /* only the first */
	ep_parse_ip(&ep, "2001:db8::5");
	assert_true(cidr_list_match(list, 3, &ep));
	ep_parse_ip(&ep, "127.0.0.1");
	assert_false(cidr_list_match(list, 3, &ep));
	assert_false(cidr_list_match(list, 0, &ep)); /* an empty list matches nothing */
	/* An unset endpoint is in no prefix, not even /0. */
	memset(&ep, 0, sizeof(ep));
	assert_int_equal(cidr_parse(&list[0], "0.0.0.0/0", why, sizeof(why)), 0);
	assert_false(cidr_match(&list[0], &ep));
}

/* config_load with --config-file=FILE (text, or none when NULL) and args. */
static int load(struct config *cfg, const char *file, const char *const *args, char *err,
		size_t errlen, char *path)
{
	char fileopt[128];
	const char *argv[32];
	int argc = 0, rc;

	argv[argc++] = "xrelayd";
	if (file) {
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
		close(fd);
		snprintf(fileopt, sizeof(fileopt), "--config-file=%s", path);
		argv[argc++] = fileopt;
	} else {
		argv[argc++] = "--config-file=none";
	}
	for (int i = 0; args[i]; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	rc = config_load(cfg, argc, (char **)argv, err, errlen);
	if (file)
		unlink(path);
	return rc;
}

static void test_config(void **state)
{
	static const struct {
		const char *file;
		const char *args[6];
		int rc;
		/* rc 0: the list, space-separated; else the exact error ("%F": the file) */
		const char *want;
	} rows[] = {
		{NULL, {NULL}, 0, ""},
		{NULL, {"--ng-allow=10.0.0.0/8", NULL}, 0, "10.0.0.0/8"},
		{NULL, {"--ng-allow", "192.0.2.1", NULL}, 0, "192.0.2.1/32"},
		{NULL,
		 {"--ng-allow=10.0.0.0/8", "--ng-allow=2001:db8::/32", "--ng-allow=::1", NULL},
		 0,
		 "10.0.0.0/8 2001:db8::/32 ::1/128"},
		{"[xrelay]\nng-allow = 10.0.0.0/8; 192.0.2.0/24\tfd00::/8\n",
		 {NULL},
		 0,
		 "10.0.0.0/8 192.0.2.0/24 fd00::/8"},
		/* the command line replaces the file's list */
		{"[xrelay]\nng-allow = 10.0.0.0/8; 192.0.2.0/24\n",
		 {"--ng-allow=127.0.0.1", NULL},
		 0,
		 "127.0.0.1/32"},
		{NULL,
		 {"--ng-allow=10.1.0.0/8", NULL},
		 -EINVAL,
		 "--ng-allow: '10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)"},
		{NULL,
		 {"--ng-allow=10.0.0.0/33", NULL},
		 -EINVAL,
		 "--ng-allow: '10.0.0.0/33': the prefix length must be 0 to 32"},
		{NULL,
		 {"--ng-allow=::/129", NULL},
		 -EINVAL,
		 "--ng-allow: '::/129': the prefix length must be 0 to 128"},
		{NULL,
		 {"--ng-allow=localhost", NULL},
		 -EINVAL,
		 "--ng-allow: 'localhost': 'localhost' is not an IP address"},
		{NULL, {"--ng-allow=", NULL}, -EINVAL, "--ng-allow: '' is not IP[/PREFIX]"},
		{NULL, {"--ng-allow", NULL}, -EINVAL, "--ng-allow: missing value"},
		{NULL,
		 {"--ng-allow=10.0.0.0/8", "--ng-allow=10.0.0.0/x", NULL},
		 -EINVAL,
		 "--ng-allow: '10.0.0.0/x': the prefix length must be 0 to 32"},
		{"[xrelay]\nng-allow = 10.0.0.0/8; 10.0.0.1/8\n",
		 {NULL},
		 -EINVAL,
		 "%F:2: ng-allow: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)"},
		{"[xrelay]\nng-allow = ;\n", {NULL}, -EINVAL, "%F:2: ng-allow: empty prefix list"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char path[] = "/tmp/xrelay-test-cidr-XXXXXX";
		char err[512], got[1024] = "", want[512];
		struct config cfg;
		int rc;

		rc = load(&cfg, rows[i].file, rows[i].args, err, sizeof(err), path);
		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d, expected %d (%s)", i, rc, rows[i].rc,
				 rc ? err : "");
		if (rc) {
			const char *f = strstr(rows[i].want, "%F");

			if (f)
				snprintf(want, sizeof(want), "%.*s%s%s", (int)(f - rows[i].want),
					 rows[i].want, path, f + 2);
			else
				snprintf(want, sizeof(want), "%s", rows[i].want);
			if (strcmp(err, want))
				fail_msg("row %zu: error\n  got      '%s'\n  expected '%s'", i, err,
					 want);
			assert_null(strchr(err, '\n'));
			continue;
		}
		for (int k = 0; k < cfg.n_ng_allow; k++) {
			char buf[CIDR_STRLEN];

			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "",
				 cidr_str(&cfg.ng_allow[k], buf, sizeof(buf)));
		}
		if (strcmp(got, rows[i].want))
			fail_msg("row %zu: list '%s', expected '%s'", i, got, rows[i].want);
	}
}

static void test_config_too_many(void **state)
{
	static char vals[CONFIG_MAX_NG_ALLOW + 1][32];
	const char *args[CONFIG_MAX_NG_ALLOW + 2];
	char err[512], path[] = "/tmp/xrelay-test-cidr-XXXXXX";
	struct config cfg;

	for (int i = 0; i <= CONFIG_MAX_NG_ALLOW; i++) {
		snprintf(vals[i], sizeof(vals[i]), "--ng-allow=10.%d.0.0/16", i);
		args[i] = vals[i];
	}
	args[CONFIG_MAX_NG_ALLOW] = NULL;
	assert_int_equal(load(&cfg, NULL, args, err, sizeof(err), path), 0);
	assert_int_equal(cfg.n_ng_allow, CONFIG_MAX_NG_ALLOW);
	args[CONFIG_MAX_NG_ALLOW] = vals[CONFIG_MAX_NG_ALLOW];
	args[CONFIG_MAX_NG_ALLOW + 1] = NULL;
	assert_int_equal(load(&cfg, NULL, args, err, sizeof(err), path), -EINVAL);
	assert_string_equal(err, "--ng-allow: more than 64 prefixes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),		cmocka_unit_test(test_match),
		cmocka_unit_test(test_list_match),	cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
