/* SPDX-License-Identifier: GPL-2.0-only */
/* xrelayd's configuration: command-line options and the INI file, with rtpengine's names. */
#ifndef XRELAY_CONFIG_H
#define XRELAY_CONFIG_H

#include "addr.h"
#include "cidr.h"

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_IFACES 16
#define CONFIG_NAME_LEN	  32
#define CONFIG_PATH_LEN	  256
/* Read when --config-file is not given, if it exists. */
#define CONFIG_DEFAULT_FILE "/etc/xrelay/xrelayd.conf"
/* --control-socket: the local ng socket relayctl talks to. A unix socket path holds 107 bytes. */
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/xrelay/xrelayd.sock"
#define CONFIG_SOCKET_LEN	      108
/* --ng-allow prefixes at most. */
#define CONFIG_MAX_NG_ALLOW 64

/* --interface=[NAME/]IP[!ADVERTISED_IP] */
struct cfg_iface {
	char name[CONFIG_NAME_LEN]; /* logical name; "default" when not given */
	struct endpoint local;	    /* port 0 */
	struct endpoint advertised; /* equals local when no !ADVERTISED_IP */
};

/* --xdp: how the XDP fast path is attached to the media interfaces. */
enum xdp_mode { XDP_MODE_OFF = 0, XDP_MODE_NATIVE, XDP_MODE_GENERIC };

struct config {
	struct cfg_iface ifaces[CONFIG_MAX_IFACES];
	int n_ifaces;		     /* at least 1 after config_load: 127.0.0.1 by default */
	struct endpoint listen_ng;   /* default 127.0.0.1:2223 */
	unsigned int port_min;	     /* default 30000 */
	unsigned int port_max;	     /* default 40000 */
	unsigned int timeout;	     /* s without media before a call ends; default 60 */
	unsigned int silent_timeout; /* same, for calls on hold (sendonly/inactive); default 3600 */
	unsigned int final_timeout;  /* s after which any call ends; 0 = never (default) */
	unsigned int delete_delay;   /* s between delete and removal; default 30 */
	unsigned int port_quarantine; /* s before a freed port is reused; default 10 */
	int num_threads;	      /* media workers; default: online CPUs */
	enum xdp_mode xdp;	      /* default native, falling back to generic */
	bool rtcp_kernel; /* the kernel forwards RTCP too (no RTCP statistics); default off */
	int max_sessions; /* new calls refused from this many on; -1 = no limit (default) */
	double max_load;  /* ... while the 1-minute load average is this or more; 0 = off */
	double max_cpu;	  /* ... while CPU usage is this many percent or more; 0 = off */
	bool foreground;
	bool log_stderr;
	int log_level; /* syslog level; default LOG_INFO */
	char pidfile[CONFIG_PATH_LEN];
	/* relayctl's unix socket; "none" = none */
	char control_socket[CONFIG_SOCKET_LEN];
	char config_file[CONFIG_PATH_LEN]; /* "" or "none" = no file */
	/* Calls kept across restarts (docs/reliability.md); "none" = not kept. */
	char state_dir[CONFIG_PATH_LEN];
	char pin_root[CONFIG_PATH_LEN]; /* bpffs directory of the fast path's maps */
	char redis[CONFIG_PATH_LEN];	/* --redis HOST:PORT[/DB]; "" = none (default) */
	bool redis_standby;		/* --redis-role=standby: follow, do not write */
	bool redis_takeover_auto;	/* --redis-takeover=auto: on the active node's death too */
	bool cleanup;			/* --cleanup: undo what runs left behind, and exit */
	char config_section[CONFIG_NAME_LEN]; /* INI section; default "xrelay" */
	/* ng over TCP; HTTP (ng, WebSocket ng, /ping, /metrics). Unset (default): off. */
	struct endpoint listen_tcp_ng;
	struct endpoint listen_http;
	/* --ng-allow: sources that may send ng requests (not on the control socket); none given
	 * (default): any source. */
	struct cidr ng_allow[CONFIG_MAX_NG_ALLOW];
	int n_ng_allow;
};

/* Fills cfg from defaults, then the config file (if any), then argv (which wins).
 * On error writes one line naming the option into err and returns -EINVAL.
 * Returns 1 when --help or --version was printed (exit 0), 0 otherwise. */
int config_load(struct config *cfg, int argc, char **argv, char *err, size_t errlen);

#endif
