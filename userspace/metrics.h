/* SPDX-License-Identifier: GPL-2.0-only */
/* GET /metrics: the figures of the ng `statistics` command in the Prometheus text format. */
#ifndef XRELAY_METRICS_H
#define XRELAY_METRICS_H

#include <stddef.h>

/* The whole exposition (malloc'd, length in *len), or NULL when out of memory. */
char *metrics_render(size_t *len);

#endif
