// SPDX-License-Identifier: GPL-2.0-only
/* xrelayd: the media relay daemon. The control thread runs the ng server, the call table and
 * the timers in one epoll loop; media workers relay the packets. */
#include "call.h"
#include "call_state.h"
#include "config.h"
#include "ctl_fd.h"
#include "http.h"
#include "kernel.h"
#include "log.h"
#include "ng_allow.h"
#include "ng_cache.h"
#include "ng_cmd.h"
#include "ng_conn.h"
#include "ng_server.h"
#include "ng_tcp.h"
#include "redis.h"
#include "state.h"
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

/* relayctl's local socket. Without it the relay still works (and relayctl can use the ng UDP
 * address), so a failure is a warning, not a reason to stop. */
static int open_control(const struct config *cfg)
{
	const char *path = cfg->control_socket;
	int fd;

	if (!strcmp(path, "none"))
		return -1;
	fd = ng_server_open_unix(path);
	if (fd == -EADDRINUSE)
		log_warn("control socket %s: another xrelayd answers there; relayctl reaches "
			 "this one only with -s and its ng address (or set --control-socket)",
			 path);
	else if (fd < 0)
		log_warn("cannot open the control socket %s: %s; relayctl cannot reach this "
			 "xrelayd through it",
			 path, strerror(-fd));
	else
		log_info("control socket %s", path);
	return fd < 0 ? -1 : fd;
}

/* --listen-tcp-ng and --listen-http, on the control loop; asked for, they must open. */
static int open_streams(const struct config *cfg)
{
	char addr[EP_STRLEN];
	int ret;

	if (ep_is_set(&cfg->listen_tcp_ng)) {
		ret = ng_tcp_open(&cfg->listen_tcp_ng);
		if (ret) {
			log_err("cannot listen for ng on tcp %s: %s",
				ep_str(&cfg->listen_tcp_ng, addr, sizeof(addr)), strerror(-ret));
			return ret;
		}
		log_info("ng listening on tcp %s", ep_str(&cfg->listen_tcp_ng, addr, sizeof(addr)));
	}
	if (ep_is_set(&cfg->listen_http)) {
		ret = http_open(&cfg->listen_http);
		if (ret) {
			log_err("cannot listen for http on %s: %s",
				ep_str(&cfg->listen_http, addr, sizeof(addr)), strerror(-ret));
			return ret;
		}
		log_info("http (ng, websocket ng, /ping, /metrics) listening on %s",
			 ep_str(&cfg->listen_http, addr, sizeof(addr)));
	}
	return 0;
}

/* With persistence the saved calls come back first, so their userspace streams resume before
 * the program's load (the slow part: the verifier); the program the earlier run left attached
 * forwards meanwhile. Then the kernel side is adopted and entries no call claims go. */
static void start_kernel_and_calls(const struct config *cfg)
{
	struct kernel_record rec;

	if (state_enabled()) {
		kernel_set_persist(true);
		kernel_record_load(&rec);
		kernel_record_set(&rec);
		call_state_restore();
	}
	kernel_start(cfg);
	if (!state_enabled())
		return;
	call_state_adopt_kernel();
	kernel_adopt_end();
	kernel_record_save();
	log_info("state: kept in %s", state_dir());
}

/* xrelayd --cleanup: removes what runs with persistence leave for the next one (the attached
 * program, loopback forwarding, the pinned maps, the saved calls). */
static int cleanup(const struct config *cfg)
{
	struct kernel_record rec;
	int holder, ret, n;

	ret = state_open(cfg->state_dir, false, &holder);
	if (ret)
		return ret; /* logged; -EBUSY: an xrelayd runs on it */
	kernel_record_load(&rec);
	ret = kernel_cleanup(cfg->pin_root, &rec);
	n = state_clear();
	if (n > 0)
		log_info("cleanup: %d saved file%s removed from %s", n, n == 1 ? "" : "s",
			 state_dir());
	state_close();
	return ret;
}

static int run(const struct config *cfg)
{
	struct itimerspec tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
	char addr[EP_STRLEN];
	sigset_t sigs;
	int ep = -1, ng = -1, ctl = -1, tfd = -1, sfd = -1, evfd, rfd, ret;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	/* Blocked before the workers start, so that they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* First: a second xrelayd on the same state directory stops here. */
	ret = state_open(cfg->state_dir, true, NULL);
	if (ret)
		return ret;
	ret = workers_start(cfg->num_threads);
	if (ret) {
		state_close();
		return ret;
	}
	ret = calls_init(cfg);
	if (ret) {
		workers_stop(NULL);
		state_close();
		return ret;
	}
	ng = ng_server_open(&cfg->listen_ng);
	if (ng < 0) {
		ret = ng;
		log_err("cannot listen for ng on %s: %s",
			ep_str(&cfg->listen_ng, addr, sizeof(addr)), strerror(-ret));
		goto out;
	}
	ctl = open_control(cfg);
	start_kernel_and_calls(cfg);
	ret = redis_open(cfg);
	if (ret)
		goto out;
	rfd = redis_event_fd();
	evfd = workers_event_fd();
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || sfd < 0 || timerfd_settime(tfd, 0, &tick, NULL) ||
	    add_fd(ep, ng) || (ctl >= 0 && add_fd(ep, ctl)) || add_fd(ep, tfd) || add_fd(ep, sfd) ||
	    add_fd(ep, evfd) || (rfd >= 0 && add_fd(ep, rfd))) {
		ret = -errno;
		log_err("cannot set up the control loop: %s", strerror(errno));
		goto out;
	}
	ng_cmd_init();
	ng_allow_set(cfg->ng_allow, cfg->n_ng_allow);
	ctl_fd_init(ep);
	ret = open_streams(cfg);
	if (ret)
		goto out;
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

			if (fd == ng || fd == ctl) {
				ng_server_readable(fd);
			} else if (fd == evfd) {
				calls_poll();
			} else if (fd == rfd && rfd >= 0) {
				redis_poll();
			} else if (fd == tfd) {
				uint64_t exp;
				time_t now = time(NULL);

				if (read(tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					log_warn("timerfd: %s", strerror(errno));
				calls_tick(now);
				ng_cache_tick(now);
				ng_conn_tick(now);
				http_tick(now);
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGHUP) {
					log_info("signal %u: shutting down", si.ssi_signo);
					ret = 0;
					goto out;
				}
			} else {
				ctl_fd_dispatch(fd, evs[i].events);
			}
		}
		/* Whatever these events changed, written as one batch. */
		call_state_flush();
	}
out:
	ng_tcp_close();
	http_close();
	ng_cache_flush();
	if (state_enabled()) {
		/* The next run carries the calls on: nothing ends, the fast path stays. */
		call_state_save_all();
		calls_detach();
	} else {
		/* With Redis the calls stay there for a standby to take over: saved, not ended. */
		call_state_save_all();
		call_state_suspend();
		calls_shutdown();
		call_state_resume();
	}
	redis_close();
	kernel_close(false);
	if (ctl >= 0)
		ng_server_close_unix(ctl, cfg->control_socket);
	if (ng >= 0)
		ng_server_close(ng);
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	state_close();
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
	log_init(cfg.log_level, cfg.log_stderr || cfg.foreground || cfg.cleanup);
	if (cfg.cleanup)
		return cleanup(&cfg) ? 1 : 0;
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
