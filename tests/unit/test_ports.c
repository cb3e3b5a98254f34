// SPDX-License-Identifier: GPL-2.0-only
/* Port allocator: range checks, even/odd pairs really bound, exhaustion, release and quarantine,
 * ports held by other sockets, and no file descriptor left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "ports.h"

/* Below the kernel's ephemeral range (32768+) and the daemon's default range (30000-40000),
 * so neither other tests nor the kernel hand these ports out behind our back. */
#define PMIN 21100
#define PMAX 21199

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct endpoint ep_of(const char *ip, uint16_t port)
{
	struct endpoint ep;

	assert_int_equal(ep_parse_ip(&ep, ip), 0);
	ep_set_port(&ep, port);
	return ep;
}

/* A socket of our own on ip:port, as another program on the host would hold it. */
static int bind_outsider(const char *ip, uint16_t port)
{
	struct endpoint ep = ep_of(ip, port);
	int fd = socket(ep_family(&ep), SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	if (bind(fd, &ep.sa, ep_len(&ep))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* fd is a non-blocking, close-on-exec UDP socket bound to ip:port. */
static void check_bound(int fd, const char *ip, uint16_t port)
{
	struct endpoint got = {0}, want = ep_of(ip, port);
	socklen_t len = sizeof(got);
	int type;
	socklen_t tlen = sizeof(type);

	assert_int_equal(getsockname(fd, &got.sa, &len), 0);
	assert_true(ep_eq(&got, &want));
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen), 0);
	assert_int_equal(type, SOCK_DGRAM);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Really ours: nobody else gets that port now. */
	assert_int_equal(bind_outsider(ip, port), -EADDRINUSE);
}

/* ---- ports_init ---- */

struct init_row {
	unsigned int min, max;
	int ret;
	uint16_t want_min, want_max;
	unsigned int pairs;
};

static const struct init_row init_rows[] = {
	{PMIN, PMAX, 0, PMIN, PMAX, 50},
	{PMIN + 1, PMAX, 0, PMIN + 2, PMAX, 49},	/* odd min rounded up */
	{PMIN, PMIN + 1, 0, PMIN, PMIN + 1, 1},		/* one pair exactly */
	{PMIN + 1, PMIN + 3, 0, PMIN + 2, PMIN + 3, 1}, /* odd min: the pair after it */
	{PMIN, PMIN + 2, 0, PMIN, PMIN + 2, 1},		/* an even max has no partner */
	{PMIN, PMIN + 4, 0, PMIN, PMIN + 4, 2},
	{65534, 65535, 0, 65534, 65535, 1},	/* the last pair */
	{PMIN, PMIN, -EINVAL, 0, 0, 0},		/* no room for a pair */
	{PMIN + 1, PMIN + 2, -EINVAL, 0, 0, 0}, /* rounding leaves no pair */
	{PMIN + 1, PMIN + 1, -EINVAL, 0, 0, 0},
	{PMAX, PMIN, -EINVAL, 0, 0, 0}, /* reversed */
	{PMIN, 65536, -EINVAL, 0, 0, 0},
	{65535, 65535, -EINVAL, 0, 0, 0},
	{65536, 65537, -EINVAL, 0, 0, 0},
	{0xfffffffeu, 0xffffffffu, -EINVAL, 0, 0, 0},
};

static void test_init(void **state)
{
	for (size_t i = 0; i < sizeof(init_rows) / sizeof(init_rows[0]); i++) {
		const struct init_row *r = &init_rows[i];
		struct port_pool p;
		int ret;

		memset(&p, 0xa5, sizeof(p));
		ret = ports_init(&p, r->min, r->max, 7);
		if (ret != r->ret)
			fail_msg("row %zu (%u-%u): ports_init %d, want %d", i, r->min, r->max, ret,
				 r->ret);
		if (!ret) {
			assert_int_equal(p.min, r->want_min);
			assert_int_equal(p.max, r->want_max);
			assert_int_equal(p.n_pairs, r->pairs);
			assert_int_equal(p.quarantine, 7);
			assert_int_equal(p.used, 0);
			assert_int_equal(p.exhausted, 0);
			for (unsigned int k = 0; k < p.n_pairs; k++) {
				assert_int_equal(p.in_use[k], 0);
				assert_int_equal(p.freed_at[k], 0);
			}
		} else {
			/* Nothing to free, and freeing is still safe. */
			assert_null(p.in_use);
			assert_null(p.freed_at);
		}
		ports_free(&p);
		assert_null(p.in_use);
		assert_null(p.freed_at);
	}
}

/* ---- allocation ---- */

struct alloc_row {
	const char *ip;
	unsigned int min, max;
	unsigned int pairs;
};

static const struct alloc_row alloc_rows[] = {
	{"127.0.0.1", PMIN, PMIN + 19, 10},
	{"127.0.0.1", PMIN + 1, PMIN + 21, 10}, /* odd min: pairs start at PMIN + 2 */
	{"127.0.0.1", PMIN, PMIN + 2, 1},	/* even max unused */
	{"::1", PMIN, PMIN + 9, 5},
};

/* Every pair once, then exhaustion; all bound as promised; release makes them free again. */
static void test_alloc_until_exhausted(void **state)
{
	for (size_t i = 0; i < sizeof(alloc_rows) / sizeof(alloc_rows[0]); i++) {
		const struct alloc_row *r = &alloc_rows[i];
		struct endpoint local = ep_of(r->ip, 0);
		uint16_t lo = (uint16_t)(r->min + (r->min & 1));
		int fds_before = count_fds();
		int fds[16][2];
		bool seen[16] = {0};
		struct port_pool p;
		uint16_t port;

		assert_true(r->pairs <= 16);
		assert_int_equal(ports_init(&p, r->min, r->max, 0), 0);
		for (unsigned int k = 0; k < r->pairs; k++) {
			int ret = ports_alloc(&p, &local, fds[k], &port);

			if (ret)
				fail_msg("row %zu: alloc %u of %u: %s", i, k + 1, r->pairs,
					 strerror(-ret));
			assert_int_equal(port % 2, 0);
			assert_true(port >= lo && port + 1u <= r->max);
			assert_false(seen[(port - lo) / 2]);
			seen[(port - lo) / 2] = true;
			check_bound(fds[k][0], r->ip, port);
			check_bound(fds[k][1], r->ip, (uint16_t)(port + 1));
			assert_int_equal(p.used, k + 1);
		}
		for (unsigned long k = 1; k <= 3; k++) {
			int junk[2] = {-1, -1};

			port = 1;
			assert_int_equal(ports_alloc(&p, &local, junk, &port), -ENOSPC);
			assert_int_equal(p.exhausted, k);
			assert_int_equal(p.used, r->pairs);
			assert_int_equal(port, 1); /* untouched on failure */
		}
		assert_int_equal(count_fds(), fds_before + 2 * (int)r->pairs);
		for (unsigned int k = 0; k < r->pairs; k++) {
			struct endpoint ep = {0};
			socklen_t len = sizeof(ep);

			assert_int_equal(getsockname(fds[k][0], &ep.sa, &len), 0);
			close(fds[k][0]);
			close(fds[k][1]);
			ports_release(&p, ep_port(&ep));
			assert_int_equal(p.used, r->pairs - k - 1);
		}
		/* Quarantine 0: everything can be handed out again. */
		for (unsigned int k = 0; k < r->pairs; k++)
			assert_int_equal(ports_alloc(&p, &local, fds[k], &port), 0);
		assert_int_equal(p.used, r->pairs);
		for (unsigned int k = 0; k < r->pairs; k++) {
			close(fds[k][0]);
			close(fds[k][1]);
		}
		ports_free(&p);
		assert_int_equal(count_fds(), fds_before);
	}
}

/* ---- release and quarantine ---- */

struct quarantine_row {
	unsigned int quarantine;
	bool reusable; /* the only pair can be handed out again right after release */
};

static const struct quarantine_row quarantine_rows[] = {
	{0, true},
	{2, false}, /* at most one second can pass in between */
	{100, false},
};

static void test_quarantine(void **state)
{
	struct endpoint local = ep_of("127.0.0.1", 0);

	for (size_t i = 0; i < sizeof(quarantine_rows) / sizeof(quarantine_rows[0]); i++) {
		const struct quarantine_row *r = &quarantine_rows[i];
		int fds_before = count_fds();
		struct port_pool p;
		uint16_t port, again = 0;
		int fds[2], ret;

		assert_int_equal(ports_init(&p, PMIN, PMIN + 1, r->quarantine), 0);
		assert_int_equal(ports_alloc(&p, &local, fds, &port), 0);
		assert_int_equal(port, PMIN);
		close(fds[0]);
		close(fds[1]);
		ports_release(&p, port);
		assert_int_equal(p.used, 0);
		ret = ports_alloc(&p, &local, fds, &again);
		if (r->reusable) {
			assert_int_equal(ret, 0);
			assert_int_equal(again, PMIN);
			assert_int_equal(p.exhausted, 0);
			close(fds[0]);
			close(fds[1]);
		} else {
			if (ret != -ENOSPC)
				fail_msg("row %zu: quarantine %u: alloc after release gave %d", i,
					 r->quarantine, ret);
			assert_int_equal(p.exhausted, 1);
			assert_int_equal(p.used, 0);
		}
		ports_free(&p);
		assert_int_equal(count_fds(), fds_before);
	}
}

/* A quarantined pair is skipped, the other pairs are still handed out (whatever the random
 * starting point, hence the repetitions). */
static void test_quarantine_skips_only_released(void **state)
{
	struct endpoint local = ep_of("127.0.0.1", 0);
	int fds_before = count_fds();

	for (int k = 0; k < 20; k++) {
		struct port_pool p;
		uint16_t first, port;
		int a[2], b[2];

		assert_int_equal(ports_init(&p, PMIN, PMIN + 3, 100), 0);
		assert_int_equal(ports_alloc(&p, &local, a, &first), 0);
		close(a[0]);
		close(a[1]);
		ports_release(&p, first);
		assert_int_equal(ports_alloc(&p, &local, b, &port), 0);
		assert_int_equal(port, first == PMIN ? PMIN + 2 : PMIN);
		assert_int_equal(ports_alloc(&p, &local, a, &port), -ENOSPC);
		assert_int_equal(p.exhausted, 1);
		assert_int_equal(p.used, 1);
		close(b[0]);
		close(b[1]);
		ports_free(&p);
	}
	assert_int_equal(count_fds(), fds_before);
}

/* Releasing what is not handed out changes nothing. */
static void test_release_ignores_unknown(void **state)
{
	struct endpoint local = ep_of("127.0.0.1", 0);
	struct port_pool p;
	uint16_t port;
	int fds[2];

	assert_int_equal(ports_init(&p, PMIN, PMIN + 5, 0), 0);
	assert_int_equal(ports_alloc(&p, &local, fds, &port), 0);
	close(fds[0]);
	close(fds[1]);
	{
		const uint16_t bogus[] = {
			0,
			PMIN - 2,
			PMIN + 6, /* past max */
			65534,
			(uint16_t)(port == PMIN + 4 ? PMIN : port + 2),
			(uint16_t)(port == PMIN ? PMIN + 4 : port - 2),
		};

		for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
			ports_release(&p, bogus[i]);
			assert_int_equal(p.used, 1);
			assert_int_equal(p.in_use[(port - PMIN) / 2], 1);
			for (unsigned int k = 0; k < p.n_pairs; k++)
				assert_int_equal(p.freed_at[k], 0);
		}
	}
	ports_release(&p, port);
	assert_int_equal(p.used, 0);
	assert_int_equal(p.in_use[(port - PMIN) / 2], 0);
	assert_true(p.freed_at[(port - PMIN) / 2] > 0);
	ports_release(&p, port); /* twice */
	assert_int_equal(p.used, 0);
	ports_free(&p);
}

/* ---- ports held by someone else ---- */

struct outsider_row {
	uint16_t taken; /* the port another socket holds */
};

static const struct outsider_row outsider_rows[] = {
	{PMIN},	    /* the RTP port */
	{PMIN + 1}, /* only the RTCP port: the RTP socket bound first must not leak */
};

static void test_foreign_port_skipped(void **state)
{
	struct endpoint local = ep_of("127.0.0.1", 0);

	for (size_t i = 0; i < sizeof(outsider_rows) / sizeof(outsider_rows[0]); i++) {
		int fds_before = count_fds();
		int outsider = bind_outsider("127.0.0.1", outsider_rows[i].taken);
		struct port_pool p;
		uint16_t port;
		int fds[2];

		assert_true(outsider >= 0);
		assert_int_equal(ports_init(&p, PMIN, PMIN + 3, 0), 0);
		for (int k = 0; k < 20; k++) {
			assert_int_equal(ports_alloc(&p, &local, fds, &port), 0);
			assert_int_equal(port, PMIN + 2);
			if (k == 19)
				break;
			close(fds[0]);
			close(fds[1]);
			ports_release(&p, port);
		}
		/* Held by us now, the other pair by the outsider: nothing left. */
		assert_int_equal(ports_alloc(&p, &local, (int[2]){-1, -1}, &port), -ENOSPC);
		assert_int_equal(p.exhausted, 1);
		assert_int_equal(p.used, 1);
		assert_int_equal(p.in_use[0], 0); /* skipped, not taken */
		assert_int_equal(count_fds(), fds_before + 3);
		/* Once the outsider is gone the pair is ours again. */
		close(outsider);
		{
			int more[2];
			uint16_t port2;

			assert_int_equal(ports_alloc(&p, &local, more, &port2), 0);
			assert_int_equal(port2, PMIN);
			close(more[0]);
			close(more[1]);
		}
		close(fds[0]);
		close(fds[1]);
		ports_free(&p);
		assert_int_equal(count_fds(), fds_before);
	}
}

/* An address the host does not have is an error of its own, not an exhausted range. */
static void test_unbindable_address(void **state)
{
	struct endpoint local = ep_of("192.0.2.1", 0);
	int fds_before = count_fds();
	struct port_pool p;
	uint16_t port = 1;
	int fds[2] = {-1, -1};

	assert_int_equal(ports_init(&p, PMIN, PMIN + 9, 0), 0);
	assert_true(ports_alloc(&p, &local, fds, &port) < 0);
	assert_int_equal(p.exhausted, 0);
	assert_int_equal(p.used, 0);
	assert_int_equal(port, 1);
	for (unsigned int k = 0; k < p.n_pairs; k++)
		assert_int_equal(p.in_use[k], 0);
	ports_free(&p);
	assert_int_equal(count_fds(), fds_before);
}

/* ---- ports_alloc_at: a restored call's pair, exactly ---- */

struct at_row {
	uint16_t port;
	int ret;
	const char *why;
};

static const struct at_row at_rows[] = {
	{PMIN, 0, "the first pair"},
	{PMIN + 8, 0, "a later pair, in quarantine or not"},
	{PMIN + 8, -EBUSY, "the pool has it out already"},
	{PMIN + 1, -ERANGE, "an odd port"},
	{PMIN - 2, -ERANGE, "below the range"},
	{PMIN + 10, -ERANGE, "the pair would end past the range"},
	{PMIN + 4, -EADDRINUSE, "another socket holds its RTCP port"},
	{PMIN + 6, 0, "a freed pair"},
};

static void test_alloc_at(void **state)
{
	struct endpoint local = ep_of("127.0.0.1", 0);
	int fds_before = count_fds(), outsider, held[8][2];
	unsigned int n_held = 0;
	struct port_pool p;

	/* Quarantine 3600: a pair at an exact port skips it, as a restore must. */
	assert_int_equal(ports_init(&p, PMIN, PMIN + 10, 3600), 0);
	assert_int_equal(ports_alloc_at(&p, &local, PMIN + 6, held[n_held]), 0);
	close(held[n_held][0]);
	close(held[n_held][1]);
	ports_release(&p, PMIN + 6);
	outsider = bind_outsider("127.0.0.1", PMIN + 5);
	assert_true(outsider >= 0);
	for (size_t i = 0; i < sizeof(at_rows) / sizeof(at_rows[0]); i++) {
		const struct at_row *r = &at_rows[i];
		unsigned int used = p.used;
		int fds[2] = {-1, -1}, ret;

		ret = ports_alloc_at(&p, &local, r->port, fds);
		if (ret != r->ret)
			fail_msg("row %zu (%s): %d, expected %d", i, r->why, ret, r->ret);
		if (ret) {
			assert_int_equal(p.used, used);
			assert_int_equal(fds[0], -1);
			continue;
		}
		check_bound(fds[0], "127.0.0.1", r->port);
		check_bound(fds[1], "127.0.0.1", (uint16_t)(r->port + 1));
		assert_int_equal(p.used, used + 1);
		assert_int_equal(p.in_use[(r->port - PMIN) / 2], 1);
		memcpy(held[n_held++], fds, sizeof(fds));
	}
	/* What it took, ports_alloc does not hand out: only the pair at PMIN + 2 is left (PMIN + 4
	 * is the outsider's). */
	{
		int fds[2];
		uint16_t port;

		assert_int_equal(ports_alloc(&p, &local, fds, &port), 0);
		assert_int_equal(port, PMIN + 2);
		held[n_held][0] = fds[0];
		held[n_held++][1] = fds[1];
	}
	for (unsigned int k = 0; k < n_held; k++) {
		close(held[k][0]);
		close(held[k][1]);
	}
	close(outsider);
	ports_free(&p);
	assert_int_equal(count_fds(), fds_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_alloc_until_exhausted),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_quarantine_skips_only_released),
		cmocka_unit_test(test_release_ignores_unknown),
		cmocka_unit_test(test_foreign_port_skipped),
		cmocka_unit_test(test_unbindable_address),
		cmocka_unit_test(test_alloc_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
