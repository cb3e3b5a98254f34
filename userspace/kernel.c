// SPDX-License-Identifier: GPL-2.0-only
/* The kernel programmer: loads the XDP fast path from its skeleton, pins and reuses its maps,
 * attaches it to the media interfaces and is the only module that writes the BPF maps.
 * Control thread only. */
#include "kernel.h"

#include "log.h"
#include "xrelay.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define MAX_IFACES 64

static struct xrelay *skel;
static char pin_root[256];
static struct kernel_iface ifaces[MAX_IFACES];
static int n_ifaces;
static int n_cpus;
/* Media address -> interface, for kernel_mode_for: filled by kernel_start. */
static struct {
	struct endpoint addr;
	int ifindex;
} addr_ifaces[CONFIG_MAX_IFACES];
static int n_addr_ifaces;

/* bpf_fib_lookup answers "forwarding disabled" unless the device it looks up from forwards.
 * The program looks up from loopback, so forwarding is switched on there only: packets that
 * arrive on a real interface are still not routed (that depends on the ingress device). */
static const char *const lo_forwarding[] = {"/proc/sys/net/ipv4/conf/lo/forwarding",
					    "/proc/sys/net/ipv6/conf/lo/forwarding"};
static char lo_forwarding_old[2];
static unsigned int n_entries;

/* Counter slots: a stack of free ones, then the never used ones from next_slot. */
static uint32_t *free_slots;
static uint32_t n_free, next_slot;
/* xr_nhop_ttl_ns, set before kernel_open; and the last xr_fwd_entry.gen handed out. */
static unsigned int nhop_ttl_ms = 1000;
static uint64_t last_gen;

static const char *const counter_names[] = {
#define XR_NAME(name, str) str,
	XR_VERDICTS(XR_NAME) XR_PUNT_REASONS(XR_NAME) XR_DROP_REASONS(XR_NAME)
#undef XR_NAME
};

const char *kernel_counter_name(enum xr_counter c)
{
	return c < XR_C_MAX ? counter_names[c] : "?";
}

const char *xdp_mode_name(enum xdp_mode m)
{
	return m == XDP_MODE_NATIVE ? "native" : m == XDP_MODE_GENERIC ? "generic" : "off";
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (level == LIBBPF_DEBUG && !log_enabled(LOG_DEBUG))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	log_msg(level == LIBBPF_WARN ? LOG_WARNING : LOG_DEBUG, "libbpf: %s", line);
	return 0;
}

bool kernel_is_open(void)
{
	return skel != NULL;
}

int kernel_prog_fd(void)
{
	return skel ? bpf_program__fd(skel->progs.xrelay_xdp) : -EBADF;
}

unsigned int kernel_fwd_count(void)
{
	return n_entries;
}

/* bpffs must be mounted where the pins go (it is not, in a fresh mount namespace). */
static int ensure_bpffs(const char *root)
{
	struct statfs st;
	char dir[256];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", root);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	if (!statfs(dir, &st) && st.f_type == BPF_FS_MAGIC)
		goto mkroot;
	if (mount("bpf", dir, "bpf", 0, NULL)) {
		log_err("kernel: %s is not a bpf filesystem and cannot be mounted: %s", dir,
			strerror(errno));
		return -errno;
	}
	log_info("kernel: mounted bpffs on %s", dir);
mkroot:
	if (mkdir(root, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static void unpin_all(const char *root)
{
	static const char *const names[] = {XR_MAP_FWD, XR_MAP_STATS, XR_MAP_GLOBAL,
					    XR_MAP_DEV, XR_MAP_META,  XR_MAP_NHOP};
	char path[320];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		unlink(path);
	}
}

/* Pinned maps of another ABI version are not reused. */
static void check_pinned_abi(const char *root)
{
	struct xr_meta meta = {0};
	char path[320];
	__u32 key = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, XR_MAP_META);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_map_lookup_elem(fd, &key, &meta) || meta.abi_version != XR_ABI_VERSION) {
		log_warn("kernel: maps pinned in %s have ABI version %u, not %u: replaced", root,
			 meta.abi_version, XR_ABI_VERSION);
		unpin_all(root);
	}
	close(fd);
}

/* Entries left by an earlier run point at ports this run may hand to new calls. */
static void flush_entries(void)
{
	int fd = bpf_map__fd(skel->maps.xr_fwd);
	struct xr_fwd_key key, next;
	unsigned int n = 0;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
		n++;
	}
	if (n)
		log_info("kernel: removed %u forwarding entries of an earlier run", n);
}

static int sysctl_rw(const char *path, char *old, char val)
{
	char cur = 0;
	FILE *f = fopen(path, "r+");

	if (!f)
		return -errno;
	if (fread(&cur, 1, 1, f) != 1 || fseek(f, 0, SEEK_SET) ||
	    (cur != val && (fputc(val, f) == EOF || fflush(f)))) {
		fclose(f);
		return -EIO;
	}
	if (old)
		*old = cur;
	return fclose(f) ? -errno : 0;
}

static void lo_forwarding_on(void)
{
	for (int i = 0; i < 2; i++) {
		int ret = sysctl_rw(lo_forwarding[i], &lo_forwarding_old[i], '1');

		if (ret)
			log_warn("kernel: cannot enable %s (%s): the fast path will punt every "
				 "packet to userspace",
				 lo_forwarding[i], strerror(-ret));
		else if (lo_forwarding_old[i] != '1')
			log_info("kernel: enabled %s for bpf_fib_lookup (loopback only: nothing "
				 "is routed between interfaces)",
				 lo_forwarding[i]);
	}
}

static void lo_forwarding_restore(void)
{
	for (int i = 0; i < 2; i++)
		if (lo_forwarding_old[i] && lo_forwarding_old[i] != '1')
			sysctl_rw(lo_forwarding[i], NULL, lo_forwarding_old[i]);
	memset(lo_forwarding_old, 0, sizeof(lo_forwarding_old));
}

void kernel_set_nhop_ttl_ms(unsigned int ms)
{
	nhop_ttl_ms = ms;
}

int kernel_open(const char *root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct xr_meta meta = {.abi_version = XR_ABI_VERSION};
	__u32 key = 0;
	int ret;

	if (skel)
		return 0;
	libbpf_set_print(libbpf_log);
	snprintf(pin_root, sizeof(pin_root), "%s", root ? root : XR_PIN_ROOT);
	ret = ensure_bpffs(pin_root);
	if (ret)
		return ret;
	check_pinned_abi(pin_root);
	opts.pin_root_path = pin_root;
	n_cpus = libbpf_num_possible_cpus();
	if (n_cpus <= 0)
		return n_cpus ? n_cpus : -EINVAL;
	for (int attempt = 0; attempt < 2; attempt++) {
		skel = xrelay__open_opts(&opts);
		if (!skel)
			return -errno;
		/* last_ns at clock-tick precision: the timeouts count seconds, and the coarse
		 * clock costs a third of the exact one on the hit path. */
		skel->rodata->xr_coarse_clock = 1;
		skel->rodata->xr_nhop_ttl_ns = (__u64)nhop_ttl_ms * 1000000;
		ret = xrelay__load(skel);
		if (!ret)
			break;
		xrelay__destroy(skel);
		skel = NULL;
		if (attempt == 0) {
			/* Pinned maps that do not match the program's definitions. */
			log_warn("kernel: cannot load with the maps pinned in %s (%s): replacing "
				 "them",
				 pin_root, strerror(-ret));
			unpin_all(pin_root);
		}
	}
	if (ret) {
		log_err("kernel: cannot load the XDP program: %s", strerror(-ret));
		return ret;
	}
	bpf_map_update_elem(bpf_map__fd(skel->maps.xr_meta), &key, &meta, BPF_ANY);
	free_slots = calloc(XR_MAX_ENTRIES, sizeof(*free_slots));
	if (!free_slots) {
		kernel_close(false);
		return -ENOMEM;
	}
	n_free = next_slot = 0;
	n_entries = 0;
	flush_entries();
	lo_forwarding_on();
	log_info("kernel: XDP program loaded, maps pinned in %s", pin_root);
	return 0;
}

void kernel_close(bool unpin)
{
	if (!skel)
		return;
	for (int i = 0; i < n_ifaces; i++) {
		__u32 flags =
			ifaces[i].mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;

		if (bpf_xdp_detach(ifaces[i].ifindex, flags, NULL))
			log_warn("kernel: cannot detach from %s", ifaces[i].name);
		else
			log_info("kernel: detached from %s", ifaces[i].name);
	}
	n_ifaces = 0;
	n_addr_ifaces = 0;
	lo_forwarding_restore();
	xrelay__destroy(skel);
	skel = NULL;
	if (unpin) {
		unpin_all(pin_root);
		rmdir(pin_root);
	}
	free(free_slots);
	free_slots = NULL;
}

int kernel_attach(int ifindex, enum xdp_mode want, enum xdp_mode *got)
{
	struct kernel_iface *ki;
	__u32 ifi = (__u32)ifindex;
	int fd = kernel_prog_fd(), ret = -EINVAL;
	char name[IF_NAMESIZE] = "?";

	if (fd < 0)
		return -EBADF;
	for (int i = 0; i < n_ifaces; i++)
		if (ifaces[i].ifindex == ifindex) {
			*got = ifaces[i].mode;
			return 0;
		}
	if (n_ifaces == MAX_IFACES || ifindex <= 0 || ifindex >= XR_MAX_IFINDEX)
		return -ENOSPC;
	if_indextoname((unsigned int)ifindex, name);
	if (want == XDP_MODE_NATIVE) {
		ret = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
		if (ret) {
			log_warn("kernel: native XDP on %s failed (%s): trying generic mode", name,
				 strerror(-ret));
			want = XDP_MODE_GENERIC;
		}
	}
	if (want == XDP_MODE_GENERIC)
		ret = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	if (ret) {
		log_err("kernel: cannot attach XDP to %s: %s", name, strerror(-ret));
		return ret;
	}
	ret = bpf_map_update_elem(bpf_map__fd(skel->maps.xr_dev), &ifi, &ifi, BPF_ANY);
	if (ret)
		log_warn("kernel: %s not in the redirect map: %s", name, strerror(-ret));
	ki = &ifaces[n_ifaces++];
	ki->ifindex = ifindex;
	snprintf(ki->name, sizeof(ki->name), "%s", name);
	ki->mode = want;
	*got = want;
	log_info("kernel: XDP attached to %s in %s mode", name, xdp_mode_name(want));
	return 0;
}

int kernel_ifaces(struct kernel_iface *out, int max)
{
	int n = n_ifaces < max ? n_ifaces : max;

	memcpy(out, ifaces, (size_t)n * sizeof(*out));
	return n;
}

/* The interface that carries addr, from the kernel's address list. */
static int ifindex_of(struct nl_cache *cache, const struct endpoint *addr)
{
	const void *want = ep_family(addr) == AF_INET6 ? (const void *)&addr->sin6.sin6_addr
						       : (const void *)&addr->sin.sin_addr;
	unsigned int len = ep_family(addr) == AF_INET6 ? 16 : 4;

	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ra);

		if (local && nl_addr_get_family(local) == ep_family(addr) &&
		    nl_addr_get_len(local) == len &&
		    !memcmp(nl_addr_get_binary_addr(local), want, len))
			return rtnl_addr_get_ifindex(ra);
	}
	return 0;
}

void kernel_start(const struct config *cfg)
{
	struct nl_sock *sk;
	struct nl_cache *cache = NULL;
	char ip[INET6_ADDRSTRLEN], name[IF_NAMESIZE];
	int idx[CONFIG_MAX_IFACES] = {0};
	bool any = false;

	if (cfg->xdp == XDP_MODE_OFF) {
		log_info("kernel: XDP off: every stream is relayed in userspace");
		return;
	}
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) || rtnl_addr_alloc_cache(sk, &cache)) {
		log_err("kernel: cannot read the interface addresses: XDP off");
		goto out;
	}
	for (int i = 0; i < cfg->n_ifaces; i++) {
		ep_ip_str(&cfg->ifaces[i].local, ip, sizeof(ip));
		idx[i] = ifindex_of(cache, &cfg->ifaces[i].local);
		if (!idx[i]) {
			log_warn("kernel: no interface carries %s: its media stays in userspace",
				 ip);
			continue;
		}
		if (!if_indextoname((unsigned int)idx[i], name) || !strcmp(name, "lo")) {
			/* Loopback has no wire to take a shortcut from. */
			log_info("kernel: %s is on lo: its media stays in userspace", ip);
			idx[i] = 0;
			continue;
		}
		any = true;
	}
	if (!any || kernel_open(NULL)) {
		if (any)
			log_err("kernel: XDP unavailable: every stream is relayed in userspace");
		goto out;
	}
	for (int i = 0; i < cfg->n_ifaces; i++) {
		enum xdp_mode got;

		if (!idx[i] || kernel_attach(idx[i], cfg->xdp, &got))
			continue;
		addr_ifaces[n_addr_ifaces].addr = cfg->ifaces[i].local;
		addr_ifaces[n_addr_ifaces++].ifindex = idx[i];
	}
out:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
}

enum xdp_mode kernel_mode_for(const struct endpoint *addr)
{
	for (int i = 0; i < n_addr_ifaces; i++) {
		if (!ep_addr_eq(&addr_ifaces[i].addr, addr))
			continue;
		for (int j = 0; j < n_ifaces; j++)
			if (ifaces[j].ifindex == addr_ifaces[i].ifindex)
				return ifaces[j].mode;
	}
	return XDP_MODE_OFF;
}

static void key_from(struct xr_fwd_key *k, const struct endpoint *ep)
{
	memset(k, 0, sizeof(*k));
	if (ep_family(ep) == AF_INET6) {
		memcpy(k->addr, &ep->sin6.sin6_addr, 16);
		k->port = ep->sin6.sin6_port;
		k->family = XR_AF_INET6;
	} else {
		memcpy(k->addr, &ep->sin.sin_addr, 4);
		k->port = ep->sin.sin_port;
		k->family = XR_AF_INET;
	}
}

static void addr_from(__be32 *addr, __be16 *port, const struct endpoint *ep)
{
	if (ep_family(ep) == AF_INET6) {
		memcpy(addr, &ep->sin6.sin6_addr, 16);
		*port = ep->sin6.sin6_port;
	} else if (ep_family(ep) == AF_INET) {
		memcpy(addr, &ep->sin.sin_addr, 4);
		*port = ep->sin.sin_port;
	}
}

/* A generation no entry had before on this boot, pinned maps of an earlier run included: the
 * CLOCK_MONOTONIC ns of the install (an install takes far more than 1 ns), or one more than
 * the last. A next hop the program cached for an older version of an entry, or for another
 * entry in the same slot, then no longer matches, and the daemon never writes xr_nhop: no
 * write of its can race with the program's. */
static uint64_t next_gen(void)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	last_gen = now > last_gen ? now : last_gen + 1;
	return last_gen;
}

static int slot_alloc(uint32_t *slot)
{
	if (n_free) {
		*slot = free_slots[--n_free];
		return 0;
	}
	if (next_slot >= XR_MAX_ENTRIES)
		return -ENOSPC;
	*slot = next_slot++;
	return 0;
}

static void slot_free(uint32_t slot)
{
	if (n_free < XR_MAX_ENTRIES)
		free_slots[n_free++] = slot;
}

static int read_slot(uint32_t slot, struct xr_entry_stats *sum)
{
	struct xr_entry_stats *per = calloc((size_t)n_cpus, sizeof(*per));
	int ret;

	memset(sum, 0, sizeof(*sum));
	if (!per)
		return -ENOMEM;
	ret = bpf_map_lookup_elem(bpf_map__fd(skel->maps.xr_stats), &slot, per);
	if (ret)
		goto out;
	for (int i = 0; i < n_cpus; i++) {
		sum->packets += per[i].packets;
		sum->bytes += per[i].bytes;
		if (per[i].last_ns > sum->last_ns) {
			sum->last_ns = per[i].last_ns;
			sum->last_ssrc = per[i].last_ssrc;
			sum->last_seq = per[i].last_seq;
		}
	}
out:
	free(per);
	return ret;
}

int kernel_fwd_install(const struct kernel_fwd *f)
{
	struct xr_fwd_entry e = {0}, old;
	struct xr_fwd_key k;
	int fd, ret;
	bool update;

	if (!skel)
		return -EBADF;
	if (ep_family(&f->local) != ep_family(&f->new_src) ||
	    ep_family(&f->new_src) != ep_family(&f->new_dst) ||
	    (ep_is_set(&f->peer) && ep_family(&f->peer) != ep_family(&f->local)))
		return -EAFNOSUPPORT; /* bridging families stays in userspace */
	fd = bpf_map__fd(skel->maps.xr_fwd);
	key_from(&k, &f->local);
	update = !bpf_map_lookup_elem(fd, &k, &old);
	if (update) {
		e.stats_idx = old.stats_idx;
	} else {
		struct xr_entry_stats *zero = calloc((size_t)n_cpus, sizeof(*zero));

		if (!zero)
			return -ENOMEM;
		ret = slot_alloc(&e.stats_idx);
		if (!ret)
			ret = bpf_map_update_elem(bpf_map__fd(skel->maps.xr_stats), &e.stats_idx,
						  zero, BPF_ANY);
		free(zero);
		if (ret)
			return ret;
	}
	addr_from(e.src_addr, &e.src_port, &f->peer);
	addr_from(e.new_saddr, &e.new_sport, &f->new_src);
	addr_from(e.new_daddr, &e.new_dport, &f->new_dst);
	e.family = k.family;
	e.flags = f->flags;
	/* The destination may have changed: the next hops cached for the old version must go. */
	e.gen = next_gen();
	if (f->pt_allow)
		memcpy(e.pt_allow, f->pt_allow, sizeof(e.pt_allow));
	else
		memset(e.pt_allow, 0xff, sizeof(e.pt_allow));
	ret = bpf_map_update_elem(fd, &k, &e, BPF_ANY);
	if (ret) {
		if (!update)
			slot_free(e.stats_idx);
		return ret == -E2BIG ? -ENOSPC : ret;
	}
	if (!update)
		n_entries++;
	return 0;
}

int kernel_fwd_remove(const struct endpoint *local, struct xr_entry_stats *last)
{
	struct xr_fwd_entry e;
	struct xr_fwd_key k;
	int fd, ret;

	if (!skel)
		return -EBADF;
	fd = bpf_map__fd(skel->maps.xr_fwd);
	key_from(&k, local);
	if (bpf_map_lookup_elem(fd, &k, &e))
		return -ENOENT;
	ret = bpf_map_delete_elem(fd, &k);
	if (ret)
		return ret;
	/* Packets in flight on another CPU may still count into the slot: read it after. */
	if (last)
		read_slot(e.stats_idx, last);
	slot_free(e.stats_idx);
	n_entries--;
	return 0;
}

int kernel_fwd_stats(const struct endpoint *local, struct xr_entry_stats *sum)
{
	struct xr_fwd_entry e;
	struct xr_fwd_key k;

	if (!skel)
		return -EBADF;
	key_from(&k, local);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xr_fwd), &k, &e))
		return -ENOENT;
	return read_slot(e.stats_idx, sum);
}

int kernel_counters(uint64_t out[XR_C_MAX])
{
	__u64 *per;
	int fd;

	memset(out, 0, XR_C_MAX * sizeof(out[0]));
	if (!skel)
		return -EBADF;
	per = calloc((size_t)n_cpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	fd = bpf_map__fd(skel->maps.xr_global);
	for (__u32 c = 0; c < XR_C_MAX; c++) {
		if (bpf_map_lookup_elem(fd, &c, per))
			continue;
		for (int i = 0; i < n_cpus; i++)
			out[c] += per[i];
	}
	free(per);
	return 0;
}

int64_t kernel_ns_to_unix(uint64_t ns)
{
	struct timespec mono, real;

	if (!ns)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (int64_t)real.tv_sec - ((int64_t)mono.tv_sec - (int64_t)(ns / 1000000000ull));
}
