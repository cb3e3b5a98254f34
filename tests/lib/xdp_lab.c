// SPDX-License-Identifier: GPL-2.0-only
/* The XDP test lab: namespaces, veths and neighbours from the caller's tables, and the
 * program loaded and attached through the daemon's own kernel programmer. */
#include "xdp_lab.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char pin_dir[128];
static bool kernel_up;

struct endpoint xdp_lab_ep(struct xdp_lab_side s)
{
	struct endpoint ep = {0};

	if (s.ip) {
		if (ep_parse_ip(&ep, s.ip))
			fprintf(stderr, "xdp lab: bad address %s in the fixture\n", s.ip);
		ep_set_port(&ep, s.port);
	}
	return ep;
}

int xdp_lab_enter(void)
{
	int ret;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		ret = -errno;
		fprintf(stderr, "xdp lab: cannot unshare the network and mount namespaces: %s%s\n",
			strerror(-ret), ret == -EPERM ? " (the XDP lab needs root)" : "");
		return ret;
	}
	/* Private propagation first, or the bpffs mount would show in the parent namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		ret = -errno;
		fprintf(stderr, "xdp lab: cannot mount a private bpffs on /sys/fs/bpf: %s\n",
			strerror(-ret));
		return ret;
	}
	return 0;
}

int xdp_lab_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		fprintf(stderr, "xdp lab: command too long: '%s...'\n", cmd);
		return -E2BIG;
	}
	ret = system(cmd);
	if (ret) {
		fprintf(stderr, "xdp lab: '%s' failed (%d)\n", cmd, ret);
		return -EIO;
	}
	return 0;
}

int xdp_lab_write(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f || fputs(s, f) < 0)
		ret = -EIO;
	if (f && fclose(f))
		ret = -EIO;
	if (ret)
		fprintf(stderr, "xdp lab: cannot write %s\n", path);
	return ret;
}

static int dev_setup(const struct xdp_lab_dev *d, int *ifindex)
{
	int ret = 0;

	if (xdp_lab_sh("ip link add %s type veth peer name %s", d->name, d->peer) ||
	    xdp_lab_sh("ip link set %s address %s", d->name, d->mac))
		ret = -EIO;
	if (d->ip4 && xdp_lab_sh("ip addr add %s dev %s", d->ip4, d->name))
		ret = -EIO;
	if (d->ip6 && xdp_lab_sh("ip addr add %s dev %s nodad", d->ip6, d->name))
		ret = -EIO;
	/* The peers stay silent (no IPv6 autoconfiguration, router or listener reports):
	 * whatever they sent would reach the program and move the counters a test checks. */
	if (xdp_lab_sh("echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6", d->peer) ||
	    xdp_lab_sh("ip link set %s up && ip link set %s up", d->name, d->peer))
		ret = -EIO;
	*ifindex = (int)if_nametoindex(d->name);
	if (!*ifindex) {
		fprintf(stderr, "xdp lab: no interface %s\n", d->name);
		ret = -ENODEV;
	}
	return ret;
}

int xdp_lab_net_setup(const struct xdp_lab_dev *devs, size_t n_devs,
		      const struct xdp_lab_neigh *neighs, size_t n_neighs, int *ifindex)
{
	int ret = xdp_lab_sh("ip link set lo up");

	for (size_t i = 0; i < n_devs; i++) {
		int err = dev_setup(&devs[i], &ifindex[i]);

		if (err)
			ret = err;
	}
	/* bpf_fib_lookup answers FWD_DISABLED unless forwarding is on (lab notes). */
	if (xdp_lab_write("/proc/sys/net/ipv4/conf/all/forwarding", "1") ||
	    xdp_lab_write("/proc/sys/net/ipv6/conf/all/forwarding", "1"))
		ret = -EIO;
	for (size_t i = 0; i < n_neighs; i++) {
		if (neighs[i].dev < 0 || (size_t)neighs[i].dev >= n_devs) {
			fprintf(stderr, "xdp lab: neighbour %s on device %d of %zu\n", neighs[i].ip,
				neighs[i].dev, n_devs);
			ret = -EINVAL;
			continue;
		}
		if (xdp_lab_sh("ip neigh replace %s lladdr %s dev %s nud permanent", neighs[i].ip,
			       neighs[i].mac, devs[neighs[i].dev].name))
			ret = -EIO;
	}
	return ret;
}

int xdp_lab_kernel_open(const char *pin_root, const struct xdp_lab_dev *devs, size_t n_devs,
			const int *ifindex, enum xdp_mode *mode)
{
	int ret;

	if ((size_t)snprintf(pin_dir, sizeof(pin_dir), "%s", pin_root) >= sizeof(pin_dir)) {
		fprintf(stderr, "xdp lab: pin root %s too long\n", pin_root);
		pin_dir[0] = 0;
		return -ENAMETOOLONG;
	}
	ret = kernel_open(pin_root);
	if (ret) {
		fprintf(stderr, "xdp lab: kernel_open(%s): %s\n", pin_root, strerror(-ret));
		return ret;
	}
	kernel_up = true;
	for (size_t i = 0; i < n_devs; i++) {
		enum xdp_mode got = XDP_MODE_OFF;

		if (devs[i].attach) {
			ret = kernel_attach(ifindex[i], XDP_MODE_NATIVE, &got);
			if (ret) {
				fprintf(stderr, "xdp lab: kernel_attach(%s): %s\n", devs[i].name,
					strerror(-ret));
				return ret;
			}
		}
		if (mode)
			mode[i] = got;
	}
	return 0;
}

void xdp_lab_kernel_close(void)
{
	if (kernel_up)
		kernel_close(true);
	kernel_up = false;
	if (pin_dir[0])
		rmdir(pin_dir);
	pin_dir[0] = 0;
}
