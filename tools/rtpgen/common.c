// SPDX-License-Identifier: GPL-2.0-only
/* rtpgen: UDP sockets with large buffers and a receive timeout, and the --srtp-key contexts,
 * shared by every command. */
#include "common.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sock_bufs(int fd)
{
	int v = SOCK_BUF;

	/* The FORCE variants pass the sysctl caps when we are root. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* A UDP socket of family, bound to local when set, connected to peer when set. -errno. */
int udp_open(int family, const struct endpoint *local, const struct endpoint *peer)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 20000};
	char buf[EP_STRLEN];
	int fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "rtpgen: socket: %s\n", strerror(errno));
		return err;
	}
	sock_bufs(fd);
	/* Receivers wake up this often to notice the end of the run. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (local && ep_is_set(local) && bind(fd, &local->sa, ep_len(local))) {
		err = -errno;
		fprintf(stderr, "rtpgen: can't bind %s: %s\n", ep_str(local, buf, sizeof(buf)),
			strerror(errno));
		close(fd);
		return err;
	}
	if (peer && connect(fd, &peer->sa, ep_len(peer))) {
		err = -errno;
		fprintf(stderr, "rtpgen: can't connect to %s: %s\n", ep_str(peer, buf, sizeof(buf)),
			strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int open_srtp(const struct opts *o, enum srtpx_dir dir, struct srtpx **x)
{
	*x = NULL;
	if (!o->srtp)
		return 0;
	*x = srtpx_new(&o->srtp_key, dir);
	if (!*x) {
		fprintf(stderr, "rtpgen: can't create the SRTP context: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

bool unprotect_rtp(struct srtpx *x, uint8_t *p, unsigned int *len, unsigned int cap,
		   struct srtp_fails *f)
{
	/* The receivers' test for RTP: version 2, not an RTCP packet type (RFC 5761). */
	if (!x || *len < RTP_HDR_LEN || (p[0] >> 6) != 2 || (p[1] >= 192 && p[1] <= 223))
		return true;
	switch (srtpx_rtp(x, p, len, cap)) {
	case SRTPX_OK:
		return true;
	case SRTPX_AUTH_FAIL:
		f->auth++;
		break;
	case SRTPX_REPLAY:
		f->replay++;
		break;
	default:
		f->error++;
		break;
	}
	return false;
}
