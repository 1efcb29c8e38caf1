#!/bin/sh
# qmp-open.sh SOCKET FILE: asks a running QEMU, over QMP, to open FILE as a block node
# (blockdev-add, driver "file") and prints QMP's answers: whether the hypervisor's own
# privileges let it open that file. Copied into the vm-systemd container.
set -eu
printf '%s\n' '{"execute":"qmp_capabilities"}' \
    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\",\"node-name\":\"probe$$\",\"filename\":\"$2\"}}" \
    "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"probe$$\"}}" \
    | socat -t 5 - "UNIX-CONNECT:$1"
