#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-only
# An RTCP endpoint for the namespace lab: from one UDP socket it sends paced compound RTCP
# (SR + SDES) and counts what arrives, then prints one JSON line. rtpgen sends RTP only.
# Uses perl-base modules only (no Time::HiRes: time is kept by select's time left, Linux).
#
# rtcp_peer.pl --local IP:PORT [--to IP:PORT --count N --pps N --wait S] --duration S
# --wait: receive only for S seconds before the first packet (the other end binds meanwhile).
# --duration counts from the start. IPv6 as [ADDR]:PORT.
# Exit 0 when it ran, 1 on a socket error, 2 on bad usage.
use strict;
use warnings;
use Socket qw(:addrinfo SOCK_DGRAM MSG_DONTWAIT);
use IO::Socket::IP;

sub usage {
	print STDERR "usage: rtcp_peer.pl --local IP:PORT [--to IP:PORT --count N --pps N "
	    . "--wait S] --duration S\n";
	exit 2;
}

sub split_ep {
	my ($s) = @_;
	return ($1, $2) if $s =~ /^\[([0-9a-fA-F:.]+)\]:(\d+)$/;
	return ($1, $2) if $s =~ /^([0-9.]+):(\d+)$/;
	print STDERR "rtcp_peer: bad address '$s'\n";
	exit 2;
}

my %o = (count => 0, pps => 50, duration => 1, wait => 0);
while (@ARGV) {
	my $k = shift @ARGV;
	usage() unless $k =~ /^--(local|to|count|pps|duration|wait)$/ && @ARGV;
	$o{$1} = shift @ARGV;
}
usage() unless $o{local} && $o{duration} =~ /^[0-9.]+$/ && $o{count} =~ /^\d+$/
    && $o{wait} =~ /^[0-9.]+$/;
usage() if $o{count} && (!$o{to} || $o{pps} !~ /^[0-9.]+$/ || $o{pps} <= 0);

my ($lip, $lport) = split_ep($o{local});
my $sock = IO::Socket::IP->new(
	LocalHost => $lip,
	LocalPort => $lport,
	Proto     => 'udp',
) or do { print STDERR "rtcp_peer: bind $o{local}: $@\n"; exit 1 };

my $dest;
if ($o{to}) {
	my ($tip, $tport) = split_ep($o{to});
	my ($err, @res) = getaddrinfo($tip, $tport,
		{ flags => AI_NUMERICHOST | AI_NUMERICSERV, socktype => SOCK_DGRAM });
	if ($err || !@res) {
		print STDERR "rtcp_peer: bad destination $o{to}: $err\n";
		exit 2;
	}
	$dest = $res[0]{addr};
}

my $ssrc = 0x52544350 ^ ($$ << 8) ^ $lport;

# SR (28 bytes, no report blocks; the packet count field carries our sequence number), then
# SDES with one CNAME item "xr" (16 bytes).
sub rtcp_packet {
	my ($seq) = @_;
	my $sr = pack('CCnN NN N N N', 0x80, 200, 6, $ssrc, 0, $seq, $seq * 160, $seq, $seq * 160);
	my $sdes = pack('CCnN CCa2 C x3', 0x81, 202, 3, $ssrc, 1, 2, 'xr', 0);
	return $sr . $sdes;
}

my ($sent, $received, $rtcp, $errors) = (0, 0, 0, 0);
my $stop = 0;
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };

my $interval = $o{count} ? 1 / $o{pps} : 0;
my $left = $o{duration};    # seconds still to run
my $next = $o{wait};        # seconds until the next packet is due
my $rin = '';
vec($rin, fileno($sock), 1) = 1;
while (!$stop && $left > 0) {
	while ($sent < $o{count} && $next <= 0) {
		if (defined send($sock, rtcp_packet($sent), 0, $dest)) {
			$sent++;
		} else {
			$errors++;
			$sent++;    # count it as due, so the schedule does not stall
		}
		$next += $interval;
	}
	my $t = $left;
	$t = $next if $sent < $o{count} && $next < $t;
	$t = 0 if $t < 0;
	my ($n, $tl) = select(my $rout = $rin, undef, undef, $t);
	$tl = 0 unless defined $tl;
	my $el = $t - $tl;
	$next -= $el;
	$left -= $el;
	next unless $n && $n > 0;
	my $buf;
	while (defined recv($sock, $buf, 2048, MSG_DONTWAIT)) {
		$received++;
		my ($b0, $b1) = unpack('CC', $buf . "\0\0");
		$rtcp++ if ($b0 >> 6) == 2 && $b1 >= 200 && $b1 <= 204;
	}
}
printf "{\"mode\":\"rtcp\",\"local\":\"%s\",\"to\":\"%s\",\"sent\":%d,\"errors\":%d,"
    . "\"received\":%d,\"rtcp\":%d}\n", $o{local}, $o{to} // '', $sent - $errors, $errors,
    $received, $rtcp;
exit 0;
