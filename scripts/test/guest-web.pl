#!/usr/bin/perl
# guest-web.pl PORT NAME: the test guest's web app for scripts/test/https.sh (perl is in the
# test guest; nothing to install). GET / answers "hello from NAME"; /stream answers chunked
# lines; /big 10 MiB of a known pattern; /ws is a WebSocket that echoes one text frame.
use strict;
use warnings;
use IO::Socket::INET;

# The test guest has perl-base only (no Digest::SHA, no MIME::Base64): SHA-1 from coreutils'
# sha1sum, base64 by the uuencode idiom.
sub websocket_accept {
    my ($key) = @_;
    die "bad key" unless $key =~ m{^[A-Za-z0-9+/=]{16,64}$};
    my $hex = `printf '%s' '${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum`;
    my $raw = pack('H*', substr($hex, 0, 40));
    my $b64 = pack('u', $raw);
    $b64 =~ s/^.//mg;
    $b64 =~ s/\n//g;
    $b64 =~ tr|` -_|AA-Za-z0-9+/|;
    my $pad = (3 - length($raw) % 3) % 3;
    substr($b64, -$pad) = '=' x $pad if $pad;
    return $b64;
}

my ($port, $name) = @ARGV;
$SIG{CHLD} = 'IGNORE';
my $server = IO::Socket::INET->new(LocalPort => $port, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $server->accept) {
    next if fork;
    my $request = <$c> // '';
    my %h;
    while (my $line = <$c>) {
        $line =~ s/\r?\n$//;
        last if $line eq '';
        my ($k, $v) = split /:\s*/, $line, 2;
        $h{lc $k} = $v;
    }
    my ($path) = $request =~ m{^GET (\S+)};
    $path //= '';
    if ($path eq '/ws' && lc($h{upgrade} // '') eq 'websocket') {
        my $accept = websocket_accept($h{'sec-websocket-key'} // '');
        print $c "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            . "Sec-WebSocket-Accept: $accept\r\n\r\n";
        read($c, my $head, 2);
        my $len = ord(substr($head, 1, 1)) & 127;
        read($c, my $mask, 4);
        read($c, my $data, $len);
        my $text = join '', map { chr(ord(substr($data, $_, 1)) ^ ord(substr($mask, $_ % 4, 1))) } 0 .. $len - 1;
        my $out = "echo from $name: $text";
        print $c chr(0x81) . chr(length $out) . $out;
    } elsif ($path eq '/stream') {
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        for my $i (1 .. 5) {
            my $s = "line $i\n";
            printf $c "%x\r\n%s\r\n", length $s, $s;
        }
        print $c "0\r\n\r\n";
    } elsif ($path eq '/big') {
        my $block = join('', map { chr(65 + $_ % 26) } 0 .. 1023) x 1024;
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
            . (10 * length $block) . "\r\nConnection: close\r\n\r\n";
        print $c $block for 1 .. 10;
    } else {
        my $body = "hello from $name\n";
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body)
            . "\r\nConnection: close\r\n\r\n$body";
    }
    close $c;
    exit 0;
}
