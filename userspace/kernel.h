/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel programmer: loads the XDP fast path, pins and reuses its maps, attaches it to the
 * media interfaces, and is the only module that writes the BPF maps. */
#ifndef XRELAY_KERNEL_H
#define XRELAY_KERNEL_H

#include "addr.h"
#include "config.h"
#include "xrelay/abi.h"

#include <stdbool.h>
#include <stdint.h>

const char *xdp_mode_name(enum xdp_mode m);

/* Loads the program and its maps. The maps are pinned under pin_root (XR_PIN_ROOT normally;
 * tests give a private one); maps already pinned there are reused when their ABI version
 * matches, and replaced otherwise. 0 or -errno (logged once). */
int kernel_open(const char *pin_root);
/* How long the program reuses an entry's next hop (per CPU) before it asks bpf_fib_lookup
 * again, so how long a route or neighbour change takes to reach forwarded packets; 0 turns
 * the cache off. Takes effect at the next kernel_open; default 1000 ms. */
void kernel_set_nhop_ttl_ms(unsigned int ms);
/* Detaches from every interface, closes the program; the pinned maps stay (forwarding
 * survives a restart) unless unpin is set. With persistence on (kernel_set_persist) and unpin
 * unset, the program stays attached and loopback forwarding on: forwarding goes on while no
 * xrelayd runs, and the next one adopts it. */
void kernel_close(bool unpin);
bool kernel_is_open(void);
/* The program's fd, for bpf_prog_test_run in the tests. */
int kernel_prog_fd(void);

/* Attaches to ifindex in want mode; with XDP_MODE_NATIVE it falls back to generic mode and
 * says so. The mode it got is returned in *got. 0 or -errno. */
int kernel_attach(int ifindex, enum xdp_mode want, enum xdp_mode *got);
/* Finds the interfaces that carry the configured media addresses (libnl3); when any is not
 * loopback, loads the program (pinned under XR_PIN_ROOT) and attaches it there in cfg->xdp
 * mode. Failing that, says why: every call still works in userspace. */
void kernel_start(const struct config *cfg);
/* The mode the program is attached in on the interface that carries addr (OFF when none). */
enum xdp_mode kernel_mode_for(const struct endpoint *addr);
/* Interfaces attached: fills up to max entries, returns how many. */
struct kernel_iface {
	int ifindex;
	char name[16];
	enum xdp_mode mode;
};
int kernel_ifaces(struct kernel_iface *out, int max);

/* A forwarding entry: packets arriving at local (the relay's address:port) from peer are sent
 * from new_src to new_dst. peer unset (family 0) with XR_F_ANY_SOURCE accepts any source.
 * pt_allow NULL allows every payload type. Installing over an existing entry for local updates
 * it in place and keeps its counters; every install gives the entry a new xr_fwd_entry.gen, so
 * the program stops using the next hops it cached for the old version. 0 or -errno (-ENOSPC when
 * the table is full). */
struct kernel_fwd {
	struct endpoint local;
	struct endpoint peer;
	struct endpoint new_src;
	struct endpoint new_dst;
	uint32_t flags; /* XR_F_* */
	const uint32_t *pt_allow;
	/* XR_XLATE_* (0: none): RTP with payload type xlate_pt_in is translated in the kernel and
	 * leaves with xlate_pt_out; pt_allow must allow xlate_pt_in. */
	uint8_t xlate, xlate_pt_in, xlate_pt_out;
};
int kernel_fwd_install(const struct kernel_fwd *f);
/* Removes the entry for local; its counters are returned in *last (may be NULL) first. */
int kernel_fwd_remove(const struct endpoint *local, struct xr_entry_stats *last);
/* The entry's counters summed over the CPUs (last_ns, last_ssrc, last_seq: the latest). */
int kernel_fwd_stats(const struct endpoint *local, struct xr_entry_stats *sum);
unsigned int kernel_fwd_count(void);

/* Across restarts (state persistence). With persistence on, kernel_open keeps the entries it
 * finds in the pinned maps instead of flushing them, and kernel_attach replaces the program an
 * earlier run left attached in one step (a netlink attachment, which outlives the process,
 * SIGKILL included). Restored calls claim their entries with kernel_fwd_adopt; entries
 * installed meanwhile count as claimed; kernel_adopt_end removes the rest. Set before
 * kernel_open. */
void kernel_set_persist(bool on);
/* Claims the entry for f->local when it forwards exactly as f says (key, source, rewrite,
 * flags, payload types): it keeps its counters slot, generation and cached next hops.
 * 0, -ENOENT (none), -ESTALE (it differs: install f instead) or -EBADF (no program). */
int kernel_fwd_adopt(const struct kernel_fwd *f);
/* Removes every entry nothing claimed; returns how many. */
int kernel_adopt_end(void);

/* What a run leaves behind that the next run, or `xrelayd --cleanup`, must know: where the
 * program is attached and the loopback forwarding values found before xrelayd changed them
 * ('0'/'1'; 0 = unknown). Kept in the state directory. */
#define KERNEL_MAX_IFACES 64
struct kernel_record {
	char lo_forwarding[2];
	int n_ifaces;
	struct kernel_iface ifaces[KERNEL_MAX_IFACES];
};
/* The earlier run's record, before kernel_start: its loopback values are kept as the ones to
 * restore, and interfaces it attached that this run does not are detached. */
void kernel_record_set(const struct kernel_record *r);
void kernel_record_get(struct kernel_record *r);
/* Undoes what the record and the pins say: detaches the program (only an xrelay one) from the
 * record's interfaces, restores loopback forwarding, unpins the maps under pin_root (NULL:
 * XR_PIN_ROOT). Returns 0 or the first -errno; says what it did. */
int kernel_cleanup(const char *pin_root, const struct kernel_record *r);

/* The global counters summed over the CPUs, indexed by enum xr_counter. */
int kernel_counters(uint64_t out[XR_C_MAX]);
/* "tx", "no_entry", ... */
const char *kernel_counter_name(enum xr_counter c);

/* Converts between CLOCK_MONOTONIC nanoseconds (the program's clock) and unix seconds. */
int64_t kernel_ns_to_unix(uint64_t ns);

#endif
