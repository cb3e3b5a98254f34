// SPDX-License-Identifier: GPL-2.0-only
/* xrelayd: the media relay daemon. The control thread runs the ng server, the call table and
 * the timers in one epoll loop; media workers relay the packets. */
#include "call.h"
#include "config.h"
#include "kernel.h"
#include "log.h"
#include "ng_cmd.h"
#include "ng_server.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) ? -errno : 0;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int run(const struct config *cfg)
{
	struct itimerspec tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
	char addr[EP_STRLEN];
	sigset_t sigs;
	int ep = -1, ng = -1, tfd = -1, sfd = -1, evfd, ret;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	/* Blocked before the workers start, so that they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = workers_start(cfg->num_threads);
	if (ret)
		return ret;
	ret = calls_init(cfg);
	if (ret) {
		log_err("port range %u-%u: %s", cfg->port_min, cfg->port_max, strerror(-ret));
		workers_stop(NULL);
		return ret;
	}
	ng = ng_server_open(&cfg->listen_ng);
	if (ng < 0) {
		ret = ng;
		log_err("cannot listen for ng on %s: %s",
			ep_str(&cfg->listen_ng, addr, sizeof(addr)), strerror(-ret));
		goto out;
	}
	kernel_start(cfg);
	evfd = workers_event_fd();
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || sfd < 0 || timerfd_settime(tfd, 0, &tick, NULL) ||
	    add_fd(ep, ng) || add_fd(ep, tfd) || add_fd(ep, sfd) || add_fd(ep, evfd)) {
		ret = -errno;
		log_err("cannot set up the control loop: %s", strerror(errno));
		goto out;
	}
	ng_cmd_init();
	for (int i = 0; i < cfg->n_ifaces; i++) {
		char adv[EP_STRLEN];

		log_info("interface %s: %s (advertised %s)", cfg->ifaces[i].name,
			 ep_ip_str(&cfg->ifaces[i].local, addr, sizeof(addr)),
			 ep_ip_str(&cfg->ifaces[i].advertised, adv, sizeof(adv)));
	}
	log_info("ng listening on udp %s, ports %u-%u", ep_str(&cfg->listen_ng, addr, sizeof(addr)),
		 cfg->port_min, cfg->port_max);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			log_err("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ng) {
				ng_server_readable(ng);
			} else if (fd == evfd) {
				calls_poll();
			} else if (fd == tfd) {
				uint64_t exp;
				time_t now = time(NULL);

				if (read(tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					log_warn("timerfd: %s", strerror(errno));
				calls_tick(now);
				ng_server_tick(now);
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGHUP) {
					log_info("signal %u: shutting down", si.ssi_signo);
					ret = 0;
					goto out;
				}
			}
		}
	}
out:
	calls_shutdown();
	kernel_close(false);
	if (ng >= 0)
		ng_server_close(ng);
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return ret;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int ret;

	ret = config_load(&cfg, argc, argv, err, sizeof(err));
	if (ret > 0)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "xrelayd: %s\n", err);
		return 2;
	}
	log_init(cfg.log_level, cfg.log_stderr || cfg.foreground);
	if (!cfg.foreground && daemon(0, 0)) {
		fprintf(stderr, "xrelayd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	if (cfg.pidfile[0] && (ret = write_pidfile(cfg.pidfile))) {
		log_err("cannot write pidfile %s: %s", cfg.pidfile, strerror(-ret));
		return 1;
	}
	log_info("xrelayd starting, %d media worker%s", cfg.num_threads,
		 cfg.num_threads == 1 ? "" : "s");
	ret = run(&cfg);
	if (cfg.pidfile[0])
		unlink(cfg.pidfile);
	return ret ? 1 : 0;
}
