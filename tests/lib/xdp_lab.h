/* SPDX-License-Identifier: GPL-2.0-only */
/* The XDP test lab shared by the BPF tests and the program-cost benchmark: a private network
 * and mount namespace with a bpffs of its own, veth pairs and static neighbours from a
 * per-test table, and the real program loaded and attached through kernel.c. */
#ifndef XRELAY_TEST_XDP_LAB_H
#define XRELAY_TEST_XDP_LAB_H

#include "kernel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One relay interface: a veth pair whose relay end (name) carries the MAC and addresses (ip4
 * and ip6 with their prefix length, NULL for none); the peer end stays silent. attach: the
 * program is attached to it (and so it is in the redirect map). */
struct xdp_lab_dev {
	const char *name, *peer, *mac, *ip4, *ip6;
	bool attach;
};

/* A permanent neighbour, reached through devs[dev] of the same table. */
struct xdp_lab_neigh {
	const char *ip, *mac;
	int dev;
};

/* An address and port in a fixture table; ip NULL: none (an any-source entry's peer). */
struct xdp_lab_side {
	const char *ip;
	uint16_t port;
};

/* s as an endpoint (all zero when s.ip is NULL); a bad address is reported on stderr. */
struct endpoint xdp_lab_ep(struct xdp_lab_side s);

/* Moves the process into a private network namespace and a private mount namespace with a
 * bpffs of its own on /sys/fs/bpf: links and pins vanish with the process, even when it dies
 * before its cleanup. 0 or -errno, with one message (needs root). */
int xdp_lab_enter(void);

/* Runs a shell command; 0, or -EIO with the command on stderr. */
int xdp_lab_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes s to path (a sysctl); 0, or -EIO with the path on stderr. */
int xdp_lab_write(const char *path, const char *s);

/* Brings loopback up, creates the devices, turns IPv4 and IPv6 forwarding on and adds the
 * neighbours; ifindex[i] receives devs[i]'s index. 0 or -errno; every step is tried, and each
 * failure is on stderr. */
int xdp_lab_net_setup(const struct xdp_lab_dev *devs, size_t n_devs,
		      const struct xdp_lab_neigh *neighs, size_t n_neighs, int *ifindex);

/* kernel_open(pin_root), then attaches the program in native mode to each device marked
 * attach; mode[i] (when mode is not NULL) receives the mode devs[i] got (XDP_MODE_OFF when
 * not attached). 0 or -errno. */
int xdp_lab_kernel_open(const char *pin_root, const struct xdp_lab_dev *devs, size_t n_devs,
			const int *ifindex, enum xdp_mode *mode);

/* Closes the kernel programmer if it is open (unpinning) and removes the pin directory; safe
 * to call again, and as an atexit handler. */
void xdp_lab_kernel_close(void);

#endif
