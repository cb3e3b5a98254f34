/* SPDX-License-Identifier: GPL-2.0-only */
/* What the command-line tools share: one way to refuse a bad command line. */
#ifndef XRELAY_TOOLS_CLI_H
#define XRELAY_TOOLS_CLI_H

#include <stdarg.h>
#include <stdio.h>

static inline int cli_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "PROG: message" on stderr; returns 2, the exit code of a bad command line. */
static inline int cli_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

#endif
