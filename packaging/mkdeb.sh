#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Builds build/xrelay_VERSION_ARCH.deb from a `make install` staging tree with dpkg-deb; no
# debhelper. Usage: packaging/mkdeb.sh STAGE OUTDIR (`make deb` calls it); prints the .deb path.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 STAGE OUTDIR" >&2; exit 2; }
stage=$1
out=$2
here=$(dirname "$0")

# The version of the binary being packaged ("xrelayd 0.1"), so the two cannot disagree.
version=$("$stage/usr/sbin/xrelayd" --version | sed -n 's/^xrelayd //p')
[ -n "$version" ] || { echo "mkdeb: no version from $stage/usr/sbin/xrelayd --version" >&2; exit 1; }
arch=$(dpkg --print-architecture)

# Depends: the shared libraries of every installed ELF file, with the minimal versions their
# symbols need. dpkg-shlibdeps wants a debian/control to sit in; a throwaway one is enough.
elfs=$(find "$stage/usr/bin" "$stage/usr/sbin" -type f)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: xrelay\n\nPackage: xrelay\nArchitecture: any\n' >"$tmp/debian/control"
abs=""
for f in $elfs; do abs="$abs $(realpath "$f")"; done
# shellcheck disable=SC2086
depends=$(cd "$tmp" && dpkg-shlibdeps -O $abs 2>"$tmp/err" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { cat "$tmp/err" >&2; echo "mkdeb: dpkg-shlibdeps computed no Depends" >&2; exit 1; }

# Debian's layout: compressed man pages, a copyright file.
gzip -9nf "$stage"/usr/share/man/man8/*.8
install -D -m 644 "$here/deb/copyright" "$stage/usr/share/doc/xrelay/copyright"

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CTRL
Package: xrelay
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-xrelay maintainers <xrelay@localhost>}
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: media relay (RTP proxy) driven by the rtpengine ng protocol
 xrelayd relays the RTP/RTCP media of SIP and WebRTC calls for a SIP proxy
 (Kamailio, OpenSIPS) that drives it over rtpengine's ng control protocol.
 Latched plain RTP and RTCP are forwarded by an XDP program in the kernel;
 everything else, and every call when XDP is off, is relayed in userspace.
 .
 This package holds xrelayd, relayctl, ngcli and rtpgen, the man pages of
 xrelayd and relayctl, a systemd unit (installed, not enabled) and
 /etc/xrelay/xrelayd.conf.
CTRL
find "$stage/etc" -type f | sed "s|^$stage||" | sort >"$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 755 "$here/deb/$s" "$stage/DEBIAN/$s"
done

mkdir -p "$out"
deb="$out/xrelay_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
