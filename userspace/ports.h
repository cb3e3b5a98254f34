/* SPDX-License-Identifier: GPL-2.0-only */
/* Port allocator: RTP even / RTCP odd pairs over a range, bound sockets, reuse quarantine. */
#ifndef XRELAY_PORTS_H
#define XRELAY_PORTS_H

#include "addr.h"

#include <stdint.h>
#include <time.h>

struct port_pool {
	uint16_t min, max;	 /* min rounded up to even; pairs are (p, p+1) with p + 1 <= max */
	unsigned int quarantine; /* seconds before a freed pair is handed out again */
	unsigned int n_pairs, used;
	uint8_t *in_use;	 /* per pair */
	time_t *freed_at;	 /* per pair, monotonic seconds; 0 = never used */
	unsigned long exhausted; /* allocations that failed */
};

int ports_init(struct port_pool *p, unsigned int min, unsigned int max, unsigned int quarantine);
void ports_free(struct port_pool *p);
/* Picks a random free pair outside quarantine and binds two non-blocking UDP sockets on
 * local's address: fds[0] on the even RTP port (returned in *port), fds[1] on port + 1.
 * -ENOSPC when the range is exhausted ("Ran out of ports"), other -errno (the bind's) otherwise. */
int ports_alloc(struct port_pool *p, const struct endpoint *local, int fds[2], uint16_t *port);
/* The pair at port exactly (a restored call's): binds it as ports_alloc does, quarantine or
 * not. -ERANGE (not an even port of the range), -EBUSY (the pool has it out) or the bind's
 * -errno (-EADDRINUSE: another socket on this host took it meanwhile). */
int ports_alloc_at(struct port_pool *p, const struct endpoint *local, uint16_t port, int fds[2]);
/* Returns the pair starting at port to the pool (its sockets are closed by the caller). */
void ports_release(struct port_pool *p, uint16_t port);

#endif
