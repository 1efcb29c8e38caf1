#!/bin/sh
# poll.sh URL COUNT: GET URL COUNT times, 20 a second (copied into test containers), one line
# per request: the HTTP status, "refused" (nothing listens), or "failed <curl's exit status>".
# A request cut by a daemon that died under it (reset, empty reply) is retried once, as HTTP
# clients do for an idempotent GET, and shows as "retried <status>".
url=$1 count=$2 i=0
while [ "$i" -lt "$count" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url")
    rc=$?
    if [ "$rc" = 52 ] || [ "$rc" = 56 ]; then
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url")
        rc=$?
        code="retried $code"
    fi
    case $rc in
        0) echo "$code" ;;
        7) echo refused ;;
        *) echo "failed $rc" ;;
    esac
    i=$((i + 1))
    sleep 0.05
done
