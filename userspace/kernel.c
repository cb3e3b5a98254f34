// SPDX-License-Identifier: GPL-2.0-only
/* The kernel programmer: loads the XDP fast path from its skeleton, pins and reuses its maps,
 * attaches it to the media interfaces and is the only module that writes the BPF maps.
 * Control thread only. */
#include "kernel.h"

#include "codec.h"
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

#define MAX_IFACES KERNEL_MAX_IFACES
/* The name of the program's section function, as the kernel reports it: how --cleanup tells
 * our program from another one on the same interface. */
#define PROG_NAME "xrelay_xdp"

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
/* Persistence across restarts: keep entries and attachment; the earlier run's record; while
 * adopting, the slots entries use and the ones restored calls claimed (bitmaps). */
static bool persist;
static struct kernel_record prev;
static uint8_t *slot_used, *slot_claimed;

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

/* Persistence on: the entries of an earlier run stay (their streams keep forwarding while
 * the calls are restored). Their counter slots are taken, the rest go to the free stack; gens
 * continue above theirs. An entry whose slot is out of range or shared is removed. */
static int adopt_scan(void)
{
	int fd = bpf_map__fd(skel->maps.xr_fwd);
	struct xr_fwd_key key, next;
	struct xr_fwd_entry e;
	unsigned int bad = 0;
	bool first = true;

	slot_used = calloc(XR_MAX_ENTRIES / 8, 1);
	slot_claimed = calloc(XR_MAX_ENTRIES / 8, 1);
	if (!slot_used || !slot_claimed)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &e))
			continue;
		if (e.stats_idx >= XR_MAX_ENTRIES ||
		    (slot_used[e.stats_idx / 8] & (1u << (e.stats_idx % 8)))) {
			/* Deleting the current key makes the walk start over: so does the
			 * count. Only a damaged map gets here. */
			bpf_map_delete_elem(fd, &key);
			memset(slot_used, 0, XR_MAX_ENTRIES / 8);
			n_entries = next_slot = 0;
			first = true;
			bad++;
			continue;
		}
		slot_used[e.stats_idx / 8] |= (uint8_t)(1u << (e.stats_idx % 8));
		n_entries++;
		if (e.stats_idx + 1 > next_slot)
			next_slot = e.stats_idx + 1;
		if (e.gen > last_gen)
			last_gen = e.gen;
	}
	/* Walked down, so that the lowest free slot is handed out first. */
	for (uint32_t i = next_slot; i-- > 0;)
		if (!(slot_used[i / 8] & (1u << (i % 8))))
			free_slots[n_free++] = i;
	if (bad)
		log_warn("kernel: removed %u pinned entries with a bad counter slot", bad);
	log_info("kernel: %u forwarding entries of an earlier run kept until the calls are "
		 "restored",
		 n_entries);
	return 0;
}

static void claim(uint32_t slot)
{
	if (slot_claimed && slot < XR_MAX_ENTRIES)
		slot_claimed[slot / 8] |= (uint8_t)(1u << (slot % 8));
}

static void unclaim(uint32_t slot)
{
	if (slot_claimed && slot < XR_MAX_ENTRIES)
		slot_claimed[slot / 8] &= (uint8_t) ~(1u << (slot % 8));
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
		char found = 0;
		int ret = sysctl_rw(lo_forwarding[i], &found, '1');

		if (ret) {
			log_warn("kernel: cannot enable %s (%s): the fast path will punt every "
				 "packet to userspace",
				 lo_forwarding[i], strerror(-ret));
			continue;
		}
		if (found != '1')
			log_info("kernel: enabled %s for bpf_fib_lookup (loopback only: nothing "
				 "is routed between interfaces)",
				 lo_forwarding[i]);
		/* An earlier run (persistence on) left it on: what that run found is the value
		 * to restore. */
		lo_forwarding_old[i] = prev.lo_forwarding[i] ? prev.lo_forwarding[i] : found;
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

/* The kernel gives every devmap BPF_F_RDONLY_PROG (the program cannot write it) but refuses
 * the flag from whoever creates one. A pinned xr_dev therefore has a flag its definition lacks,
 * and libbpf would refuse to reuse it ("parameter mismatch"), replacing every pinned map at
 * each start: when one is pinned, the definition takes its flag. */
static void reuse_devmap_flags(void)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_root, XR_MAP_DEV);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && (info.map_flags & BPF_F_RDONLY_PROG))
		bpf_map__set_map_flags(skel->maps.xr_dev,
				       bpf_map__map_flags(skel->maps.xr_dev) | BPF_F_RDONLY_PROG);
	close(fd);
}

/* The G.711 tables of the program's payload translation, the same ones the workers use. They
 * are rodata, not a pinned map: every load (adopted pins or not) fills its own. */
static void fill_xlate_tables(void)
{
	for (unsigned int c = 0; c < 256; c++) {
		skel->rodata->xr_xlate_tbl[XR_XLATE_ULAW_ALAW - 1][c] =
			codec_ulaw_to_alaw((uint8_t)c);
		skel->rodata->xr_xlate_tbl[XR_XLATE_ALAW_ULAW - 1][c] =
			codec_alaw_to_ulaw((uint8_t)c);
	}
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
	snprintf(pin_root, sizeof(pin_root), "%s", root && *root ? root : XR_PIN_ROOT);
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
		fill_xlate_tables();
		reuse_devmap_flags();
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
	if (!persist)
		flush_entries();
	else if (adopt_scan()) {
		kernel_close(false);
		return -ENOMEM;
	}
	lo_forwarding_on();
	log_info("kernel: XDP program loaded, maps pinned in %s", pin_root);
	return 0;
}

void kernel_close(bool unpin)
{
	if (!skel)
		return;
	if (persist && !unpin) {
		/* The attachment holds the program, the program the maps: forwarding goes on. */
		for (int i = 0; i < n_ifaces; i++)
			log_info("kernel: XDP stays attached to %s for the next xrelayd (xrelayd "
				 "--cleanup removes it)",
				 ifaces[i].name);
		n_ifaces = 0;
		memset(lo_forwarding_old, 0, sizeof(lo_forwarding_old));
	}
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
	free(slot_used);
	free(slot_claimed);
	slot_used = slot_claimed = NULL;
}

/* The mode of the XDP program on ifindex (OFF: none); its id in *id. */
static enum xdp_mode attached_mode(int ifindex, __u32 *id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return XDP_MODE_OFF;
	if (id)
		*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	return q.drv_prog_id ? XDP_MODE_NATIVE : q.skb_prog_id ? XDP_MODE_GENERIC : XDP_MODE_OFF;
}

/* A program is attached already (an earlier run's, left for us): a netlink attach in the same
 * mode swaps it for ours in one step, so no packet meets the interface without a program. A
 * change of mode would need a detach first, a gap: the mode stays, and says so. */
static int replace(int ifindex, int fd, const char *name, enum xdp_mode *want)
{
	enum xdp_mode cur;
	__u32 id = 0;
	int ret;

	cur = attached_mode(ifindex, &id);
	if (cur != *want)
		log_warn("kernel: %s keeps XDP in %s mode, not %s: changing it would pause "
			 "forwarding (xrelayd --cleanup, then start, applies it)",
			 name, xdp_mode_name(cur), xdp_mode_name(*want));
	ret = bpf_xdp_attach(ifindex, fd,
			     cur == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE,
			     NULL);
	if (ret) {
		log_err("kernel: cannot replace the XDP program (id %u) on %s: %s", id, name,
			strerror(-ret));
		return ret;
	}
	log_info("kernel: replaced the XDP program (id %u) on %s in one step", id, name);
	*want = cur;
	return 0;
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
	if (attached_mode(ifindex, NULL) != XDP_MODE_OFF) {
		ret = replace(ifindex, fd, name, &want);
		if (ret)
			return ret;
	} else if (want == XDP_MODE_NATIVE) {
		ret = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
		if (ret) {
			log_warn("kernel: native XDP on %s failed (%s): trying generic mode", name,
				 strerror(-ret));
			want = XDP_MODE_GENERIC;
		}
	}
	if (want == XDP_MODE_GENERIC && ret)
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

void kernel_set_persist(bool on)
{
	persist = on;
}

void kernel_record_set(const struct kernel_record *r)
{
	prev = *r;
	if (prev.n_ifaces < 0 || prev.n_ifaces > KERNEL_MAX_IFACES)
		prev.n_ifaces = 0;
}

void kernel_record_get(struct kernel_record *r)
{
	memset(r, 0, sizeof(*r));
	if (!skel)
		return;
	memcpy(r->lo_forwarding, lo_forwarding_old, sizeof(r->lo_forwarding));
	r->n_ifaces = n_ifaces;
	memcpy(r->ifaces, ifaces, (size_t)n_ifaces * sizeof(ifaces[0]));
}

/* True when the program with this id is an xrelay one (by its name). */
static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, PROG_NAME);
	close(fd);
	return ours;
}

/* Detaches our program from the record's interfaces; another program is left alone. */
static int detach_ours(const struct kernel_record *r)
{
	int err = 0;

	for (int i = 0; i < r->n_ifaces; i++) {
		int ifindex = r->ifaces[i].ifindex;
		char name[IF_NAMESIZE] = "?";
		enum xdp_mode mode;
		__u32 id = 0;
		int ret;

		if (!if_indextoname((unsigned int)ifindex, name))
			continue; /* gone with its namespace or device */
		mode = attached_mode(ifindex, &id);
		if (mode == XDP_MODE_OFF)
			continue;
		if (!prog_is_ours(id)) {
			log_warn("kernel: %s has an XDP program (id %u) that is not xrelay's: left",
				 name, id);
			continue;
		}
		ret = bpf_xdp_detach(
			ifindex, mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE,
			NULL);
		if (ret) {
			log_err("kernel: cannot detach from %s: %s", name, strerror(-ret));
			err = err ? err : ret;
		} else {
			log_info("kernel: detached from %s", name);
		}
	}
	return err;
}

int kernel_cleanup(const char *root, const struct kernel_record *r)
{
	int err = detach_ours(r);
	char path[320];

	for (int i = 0; i < 2; i++) {
		char v = r->lo_forwarding[i];
		int ret;

		if (v != '0' && v != '1')
			continue;
		ret = sysctl_rw(lo_forwarding[i], NULL, v);
		if (ret) {
			log_err("kernel: cannot restore %s: %s", lo_forwarding[i], strerror(-ret));
			err = err ? err : ret;
		} else if (v == '0') {
			log_info("kernel: restored %s to 0", lo_forwarding[i]);
		}
	}
	if (!root || !*root)
		root = XR_PIN_ROOT;
	snprintf(path, sizeof(path), "%s/%s", root, XR_MAP_META);
	if (!access(path, F_OK)) {
		unpin_all(root);
		log_info("kernel: unpinned the maps in %s", root);
	}
	if (rmdir(root) && errno != ENOENT && errno != ENOTEMPTY)
		log_warn("kernel: cannot remove %s: %s", root, strerror(errno));
	return err;
}

/* Persistence on: what the earlier run set up and this one does not use goes. */
static void drop_leftovers(const char *root)
{
	struct kernel_record gone = {0};

	if (!skel) {
		/* No fast path this time: the earlier run's, still forwarding from its pinned
		 * maps entries nobody updates any more, must go entirely. */
		if (prev.n_ifaces || prev.lo_forwarding[0] || prev.lo_forwarding[1]) {
			log_info("kernel: removing the fast path an earlier run left");
			kernel_cleanup(root, &prev);
		}
		memset(&prev, 0, sizeof(prev));
		return;
	}
	for (int i = 0; i < prev.n_ifaces; i++) {
		bool kept = false;

		for (int j = 0; j < n_ifaces; j++)
			kept |= ifaces[j].ifindex == prev.ifaces[i].ifindex;
		if (!kept)
			gone.ifaces[gone.n_ifaces++] = prev.ifaces[i];
	}
	if (gone.n_ifaces)
		detach_ours(&gone);
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
		sk = NULL;
		goto out;
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
	if (!any || kernel_open(cfg->pin_root)) {
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
	if (persist)
		drop_leftovers(cfg->pin_root);
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

/* The entry as kernel_fwd_install would write it for f (gen and slot aside). */
static void entry_from(struct xr_fwd_entry *e, const struct kernel_fwd *f)
{
	memset(e, 0, sizeof(*e));
	addr_from(e->src_addr, &e->src_port, &f->peer);
	addr_from(e->new_saddr, &e->new_sport, &f->new_src);
	addr_from(e->new_daddr, &e->new_dport, &f->new_dst);
	e->family = ep_family(&f->local) == AF_INET6 ? XR_AF_INET6 : XR_AF_INET;
	e->flags = f->flags;
	e->xlate = f->xlate;
	e->xlate_pt_in = f->xlate_pt_in;
	e->xlate_pt_out = f->xlate_pt_out;
	if (f->pt_allow)
		memcpy(e->pt_allow, f->pt_allow, sizeof(e->pt_allow));
	else
		memset(e->pt_allow, 0xff, sizeof(e->pt_allow));
}

int kernel_fwd_install(const struct kernel_fwd *f)
{
	struct xr_fwd_entry e = {0}, old;
	struct xr_fwd_key k;
	uint32_t slot;
	int fd, ret;
	bool update;

	if (!skel)
		return -EBADF;
	if (f->xlate > XR_XLATE_ALAW_ULAW || f->xlate_pt_in > 127 || f->xlate_pt_out > 127)
		return -EINVAL;
	if (ep_family(&f->local) != ep_family(&f->new_src) ||
	    ep_family(&f->new_src) != ep_family(&f->new_dst) ||
	    (ep_is_set(&f->peer) && ep_family(&f->peer) != ep_family(&f->local)))
		return -EAFNOSUPPORT; /* bridging families stays in userspace */
	fd = bpf_map__fd(skel->maps.xr_fwd);
	key_from(&k, &f->local);
	update = !bpf_map_lookup_elem(fd, &k, &old);
	if (update) {
		e.stats_idx = old.stats_idx;
		claim(e.stats_idx);
	} else {
		struct xr_entry_stats *zero = calloc((size_t)n_cpus, sizeof(*zero));

		if (!zero)
			return -ENOMEM;
		ret = slot_alloc(&e.stats_idx);
		if (!ret) {
			ret = bpf_map_update_elem(bpf_map__fd(skel->maps.xr_stats), &e.stats_idx,
						  zero, BPF_ANY);
			if (ret)
				slot_free(e.stats_idx);
		}
		free(zero);
		if (ret)
			return ret;
		claim(e.stats_idx);
	}
	slot = e.stats_idx;
	entry_from(&e, f);
	e.stats_idx = slot;
	/* The destination may have changed: the next hops cached for the old version must go. */
	e.gen = next_gen();
	ret = bpf_map_update_elem(fd, &k, &e, BPF_ANY);
	if (ret) {
		if (!update) {
			unclaim(e.stats_idx);
			slot_free(e.stats_idx);
		}
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
	unclaim(e.stats_idx);
	slot_free(e.stats_idx);
	n_entries--;
	return 0;
}

int kernel_fwd_adopt(const struct kernel_fwd *f)
{
	struct xr_fwd_entry have, want;
	struct xr_fwd_key k;

	if (!skel)
		return -EBADF;
	key_from(&k, &f->local);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xr_fwd), &k, &have))
		return -ENOENT;
	entry_from(&want, f);
	want.stats_idx = have.stats_idx;
	want.gen = have.gen;
	if (memcmp(&have, &want, sizeof(have)))
		return -ESTALE;
	claim(have.stats_idx);
	return 0;
}

int kernel_adopt_end(void)
{
	struct xr_fwd_key *keys = NULL, k, next;
	struct xr_fwd_entry e;
	size_t n = 0, cap = 0;
	bool first = true;
	int fd, removed = 0;

	if (!skel || !slot_claimed)
		return 0;
	fd = bpf_map__fd(skel->maps.xr_fwd);
	/* Collected first: deleting during the walk would restart it. */
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &e) || e.stats_idx >= XR_MAX_ENTRIES ||
		    (slot_claimed[e.stats_idx / 8] & (1u << (e.stats_idx % 8))))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct xr_fwd_key *nk = realloc(keys, ncap * sizeof(*nk));

			if (!nk)
				break;
			keys = nk;
			cap = ncap;
		}
		keys[n++] = k;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &e) || bpf_map_delete_elem(fd, &keys[i]))
			continue;
		slot_free(e.stats_idx);
		n_entries--;
		removed++;
	}
	free(keys);
	free(slot_used);
	free(slot_claimed);
	slot_used = slot_claimed = NULL;
	if (removed)
		log_info("kernel: removed %d forwarding entries no restored call owns", removed);
	log_info("kernel: %u forwarding entries after the restore", n_entries);
	return removed;
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
