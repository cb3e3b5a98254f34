#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make install and make deb: the .deb's metadata and contents, an install, reinstall (conffile
# kept), remove and purge with dpkg in a private root (this machine's dpkg database and /usr are
# never touched), systemd-analyze verify on the installed unit, the installed xrelayd runs.
set -eu
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/xrelay-package.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { # MESSAGE [LOG]
	echo "package.sh: FAIL: $1" >&2
	[ -z "${2:-}" ] || sed 's/^/    /' "$2" >&2
	exit 1
}
has() { # FILE PATTERN: a line of FILE matches the extended regex PATTERN
	grep -Eq -- "$2" "$1" || fail "$1 has no line matching '$2'" "$1"
}
hasnt() {
	! grep -Eq -- "$2" "$1" || fail "$1 has a line matching '$2'"
}

# systemd-analyze verify --root ROOT UNIT: the unit as installed under ROOT, its ExecStart binary
# and its man: Documentation= pages looked up in ROOT. The targets it pulls in (sysinit.target...)
# come from this machine, copied into the root's /usr/lib (the unit itself is in /lib or
# /usr/local/lib). verify only warns about a bad setting, so any output at all fails.
verify_unit() { # ROOT UNIT_PATH_IN_ROOT MANDIR_IN_ROOT
	mkdir -p "$1/usr/lib/systemd"
	[ -d "$1/usr/lib/systemd/system" ] || cp -a /lib/systemd/system "$1/usr/lib/systemd/"
	rm -f "$1/usr/lib/systemd/system/xrelayd.service" # this machine's, if xrelay is installed
	# shellcheck disable=SC2015 # fail when verify fails or says anything
	MANPATH="$1$3" systemd-analyze verify --root="$1" "$2" >"$T/verify.log" 2>&1 &&
		[ ! -s "$T/verify.log" ] ||
		fail "systemd-analyze verify $2" "$T/verify.log"
}

[ -x build/xrelayd ] || fail "build/xrelayd is missing: make all first"
version=$(build/xrelayd --version | sed -n 's/^xrelayd //p')
[ -n "$version" ] || fail "build/xrelayd --version prints no version"
relayctl=""
if [ -e tools/relayctl.c ] || [ -d tools/relayctl ]; then relayctl=yes; fi

# --- make install into a staging root: paths, the unit, the config kept on a second install ---
I=$T/inst
make --no-print-directory -s install DESTDIR="$I" >"$T/install.log" 2>&1 ||
	fail "make install" "$T/install.log"
for f in usr/local/sbin/xrelayd usr/local/bin/ngcli usr/local/bin/rtpgen \
	usr/local/share/man/man8/xrelayd.8 usr/local/lib/systemd/system/xrelayd.service \
	etc/xrelay/xrelayd.conf ${relayctl:+usr/local/bin/relayctl usr/local/share/man/man8/relayctl.8}; do
	[ -e "$I/$f" ] || fail "make install did not install /$f"
done
has "$I/usr/local/lib/systemd/system/xrelayd.service" '^ExecStart=/usr/local/sbin/xrelayd --foreground '
cmp -s docs/xrelayd.conf "$I/etc/xrelay/xrelayd.conf" || fail "installed config differs from docs/"
echo "interface = 192.0.2.1" >>"$I/etc/xrelay/xrelayd.conf"
make --no-print-directory -s install DESTDIR="$I" >"$T/install.log" 2>&1 || fail "second make install" "$T/install.log"
has "$I/etc/xrelay/xrelayd.conf" '^interface = 192\.0\.2\.1$'
verify_unit "$I" /usr/local/lib/systemd/system/xrelayd.service /usr/local/share/man

# --- make deb: metadata and contents ---
make --no-print-directory -s deb >"$T/deb.log" 2>&1 || fail "make deb" "$T/deb.log"
deb=$(tail -n 1 "$T/deb.log")
[ -f "$deb" ] || fail "make deb printed '$deb', not a file"
case $deb in build/xrelay_"$version"_"$(dpkg --print-architecture)".deb) ;;
*) fail "the package is $deb, not build/xrelay_${version}_ARCH.deb" ;; esac
dpkg-deb --info "$deb" >"$T/info" || fail "dpkg-deb --info $deb"
has "$T/info" '^ Package: xrelay$'
has "$T/info" "^ Version: $version\$"
for lib in libbpf1 libc6 libjansson4 libnl-3-200 libnl-route-3-200; do
	has "$T/info" "^ Depends: (.*, )?$lib( \\(>= [^)]+\\))?(,|\$)"
done
for s in postinst prerm postrm conffiles; do has "$T/info" "^ +[0-9]+ bytes, +[0-9]+ lines .* $s( |\$)"; done
[ "$(dpkg-deb --info "$deb" conffiles)" = /etc/xrelay/xrelayd.conf ] ||
	fail "conffiles is not exactly /etc/xrelay/xrelayd.conf"
# The postinst reloads systemd and nothing more: it must not enable or start the service.
dpkg-deb --info "$deb" postinst | grep -v '^ *#' >"$T/postinst"
has "$T/postinst" 'daemon-reload'
hasnt "$T/postinst" 'enable|start|restart'
dpkg-deb --contents "$deb" | awk '{print $NF}' >"$T/contents"
for f in ./usr/sbin/xrelayd ./usr/bin/ngcli ./usr/bin/rtpgen ./usr/share/man/man8/xrelayd.8.gz \
	./lib/systemd/system/xrelayd.service ./etc/xrelay/xrelayd.conf \
	./usr/share/doc/xrelay/copyright ${relayctl:+./usr/bin/relayctl ./usr/share/man/man8/relayctl.8.gz}; do
	has "$T/contents" "^$f\$"
done
hasnt "$T/contents" '^\./usr/local/'

# --- dpkg in a private root ---
# Its database lists this machine's own entries for the packages the .deb depends on, so dpkg
# checks the Depends line against the versions really installed here; /bin/sh (dash) and /bin/rm
# with their libraries let dpkg run the maintainer scripts chrooted into the root.
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/bin"
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g')
# shellcheck disable=SC2086
dpkg-query -s $deps >"$R/var/lib/dpkg/status" 2>"$T/query.err" ||
	fail "a dependency is not installed here" "$T/query.err"
# shellcheck disable=SC2086
for p in $(dpkg-query -W -f '${binary:Package}\n' $deps); do : >"$R/var/lib/dpkg/info/$p.list"; done
cp /bin/dash "$R/bin/sh"
cp /bin/rm "$R/bin/rm"
for l in $(ldd /bin/dash /bin/rm | grep -o '/[^ :]*' | sort -u); do
	case $l in /bin/*) continue ;; esac
	mkdir -p "$R${l%/*}"
	cp "$l" "$R$l"
done

dpkg --root="$R" -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i" "$T/dpkg.log"
hasnt "$T/dpkg.log" 'warning|error'
dpkg-query --root="$R" -W -f '${Status} ${Version}\n' xrelay >"$T/status"
has "$T/status" "^install ok installed $version\$"
"$R/usr/sbin/xrelayd" --version >"$T/version" || fail "the installed xrelayd --version fails"
has "$T/version" "^xrelayd $version\$"
"$R/usr/bin/ngcli" -h >/dev/null 2>&1 || [ $? -eq 2 ] || fail "the installed ngcli does not run"
has "$R/lib/systemd/system/xrelayd.service" '^ExecStart=/usr/sbin/xrelayd --foreground --config-file=/etc/xrelay/xrelayd.conf$'
verify_unit "$R" /lib/systemd/system/xrelayd.service /usr/share/man

# A changed conffile survives a reinstall (dpkg keeps the admin's version without asking).
echo "interface = 192.0.2.1" >>"$R/etc/xrelay/xrelayd.conf"
dpkg --root="$R" --force-confold -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i again" "$T/dpkg.log"
has "$R/etc/xrelay/xrelayd.conf" '^interface = 192\.0\.2\.1$'

# Remove keeps the conffile, purge takes it.
dpkg --root="$R" -r xrelay >"$T/dpkg.log" 2>&1 || fail "dpkg -r" "$T/dpkg.log"
[ ! -e "$R/usr/sbin/xrelayd" ] || fail "dpkg -r left /usr/sbin/xrelayd"
[ ! -e "$R/lib/systemd/system/xrelayd.service" ] || fail "dpkg -r left the unit"
[ -e "$R/etc/xrelay/xrelayd.conf" ] || fail "dpkg -r removed the conffile"
dpkg --root="$R" -P xrelay >"$T/dpkg.log" 2>&1 || fail "dpkg -P" "$T/dpkg.log"
[ ! -e "$R/etc/xrelay/xrelayd.conf" ] || fail "dpkg -P left the conffile"
echo "package.sh: ok ($deb)"
