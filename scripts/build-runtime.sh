#!/bin/sh
# Build step run by Maven (package phase): the jlinked runtime and the
# compressed documentation, into TARGET. Reproducible: same JDK, same bytes.
set -eu
TARGET=$1
BASEDIR=$(cd "$(dirname "$0")/.." && pwd)
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}

# The JDK modules Undertow + XNIO + Gson + the Log4j 2 API need (jdeps on the jars):
#   java.security.sasl (xnio), jdk.unsupported (jboss-threads, sun.misc.Unsafe),
#   java.management (xnio JMX), java.naming (undertow), java.logging (jboss-logging, xnio);
#   jdk.net: SO_PEERCRED on the VMs' control sockets (host.ControlSocket).
#   jdk.crypto.ec: Ed25519, the SSH host keys made for clones of warm templates (guest.HostKey), and
#   EC keys and TLS with etcd in fleet mode; java.net.http: the etcd gateway and the other hosts (fleet).
MODULES=java.base,java.logging,java.naming,java.net.http,java.security.sasl,jdk.crypto.ec,jdk.net,jdk.unsupported

rm -rf "$TARGET/runtime"
"$JAVA_HOME/bin/jlink" --module-path "$JAVA_HOME/jmods" --add-modules "$MODULES" \
    --strip-debug --no-header-files --no-man-pages --compress=2 \
    --output "$TARGET/runtime"
rm -f "$TARGET/runtime/bin/keytool"
find "$TARGET/runtime" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) \
    -exec strip --strip-unneeded --remove-section=.comment {} +
# Not needed on hosts with less than 32 GiB heap (we never use that much).
rm -f "$TARGET/runtime/lib/server/classes_nocoops.jsa" "$TARGET/runtime/lib/server/classes.jsa"
# Legal notices stay (lintian: copyright), the runtime "release" file too.

mkdir -p "$TARGET/doc"
gzip -9 -n -c "$BASEDIR/debian/changelog" >"$TARGET/doc/changelog.gz"
gzip -9 -n -c "$BASEDIR/README.md" >"$TARGET/doc/README.md.gz"
for page in "$BASEDIR"/debian/man/*.[0-9]; do
    gzip -9 -n -c "$page" >"$TARGET/doc/$(basename "$page").gz"
done
