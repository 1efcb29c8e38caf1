#!/bin/bash
# GET /metrics with real parts: scaleboxd and test guests in network namespaces, Debian's
# prometheus scraping the daemon every second with the read-only METRICS_TOKEN, promtool
# checking the exposition, and PromQL over the scraped data for the VMs this test made.
# Usage: metrics.sh TARGET_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"

PROM_PID=""
cleanup() {
    [ -z "$PROM_PID" ] || { kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; }
    [ "${FAILED:-0}" -gt 0 ] && [ -f "$WORK/prometheus.log" ] && { echo "--- prometheus log (last 10 lines)"; tail -10 "$WORK/prometheus.log"; }
    engine_cleanup
}
trap cleanup EXIT

METRICS_TOKEN=sb-metrics-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
ENGINE_CONFIG="METRICS_TOKEN=$METRICS_TOKEN"
echo "metrics: the endpoint"
engine_start || exit 1
scrape() { # scrape TOKEN -> body; status in $WORK/mstatus
    client curl -s -o "$WORK/metrics.txt" -w '%{http_code}' -H "Authorization: Bearer $1" "$API/metrics" >"$WORK/mstatus"
    cat "$WORK/metrics.txt"
}
check_eq "without a token: 401" 401 "$(client curl -s -o /dev/null -w '%{http_code}' "$API/metrics")"
scrape "$METRICS_TOKEN" >/dev/null
check_eq "with METRICS_TOKEN: 200" 200 "$(cat "$WORK/mstatus")"
check_eq "the Prometheus text content type" "text/plain; version=0.0.4; charset=utf-8" \
    "$(client curl -s -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $METRICS_TOKEN" "$API/metrics")"
check_eq "METRICS_TOKEN opens nothing else (GET /vms)" 401 \
    "$(client curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $METRICS_TOKEN" "$API/vms")"
check_eq "the API token reads metrics too" 200 \
    "$(client curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/metrics")"

echo "metrics: two VMs, load and an error"
make_vm() { # make_vm NAME -> PORT
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"$1\"}" >/dev/null
    [ "$(status)" = 201 ] || { echo "create $1: $(status) $(cat "$WORK/body")" >&2; return 1; }
    field .ssh_port
}
A_PORT=$(make_vm alpha)
B_PORT=$(make_vm beta)
check "alpha: SSH" wait_for 120 ssh_ready "$A_PORT"
check "beta: SSH" wait_for 120 ssh_ready "$B_PORT"
# Some CPU in alpha's guest (a busy loop, bounded by timeout).
vmssh "$A_PORT" 'timeout 3 sh -c "while :; do :; done"; true'
api POST /vms "{\"template\":\"no-such-template\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
check_eq "a create from a missing template: 404 template_not_found" "404 template_not_found" "$(status) $(field .code)"
# Fifty unknown paths: each is a 404, none may become a series of its own.
for i in $(seq 1 50); do api GET "/no/such/path/$i" >/dev/null; done

scrape "$METRICS_TOKEN" >/dev/null
check "promtool check metrics passes on the output" sh -c "promtool check metrics <'$WORK/metrics.txt'"
check "the output names both VMs with id, name and template" sh -c "grep -q 'scalebox_vm_vcpus{id=\"[a-z0-9-]*\",name=\"alpha\",template=\"debian-base\"} 1.0' '$WORK/metrics.txt' && grep -q 'name=\"beta\"' '$WORK/metrics.txt'"
check_eq "fifty unknown paths are one series (route=\"none\")" 1 \
    "$(grep -c '^scalebox_api_requests_total{method="GET",route="none",status="404"}' "$WORK/metrics.txt")"

echo "metrics: Prometheus scrapes the daemon"
mkdir -p "$WORK/prom"
printf '%s' "$METRICS_TOKEN" >"$WORK/prom/token"
cat >"$WORK/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: scalebox
    authorization:
      type: Bearer
      credentials_file: $WORK/prom/token
    static_configs:
      - targets: ['127.0.0.1:8080']
YML
check "promtool check config" promtool check config "$WORK/prom/prometheus.yml"
ip netns exec "$HOST_NS" prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
    --web.listen-address=127.0.0.1:9090 --storage.tsdb.retention.time=1h >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
# q EXPR -> the first sample's value (empty: no result).
q() { hostns curl -s --max-time 5 -G --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query | jq -r '.data.result[0].value[1] // empty'; }
# holds EXPR: the query has a result (a comparison filters the rest out).
holds() { [ -n "$(q "$1")" ]; }
check "the target is up" wait_for 60 holds 'up{job="scalebox"} == 1'
check "both VMs are running" wait_for 30 holds 'count(scalebox_vm_state{state="running"}) == 2'
check_eq "alpha: 1 vCPU, 256 MiB configured" "1 268435456" \
    "$(q 'scalebox_vm_vcpus{name="alpha"}') $(q 'scalebox_vm_memory_configured_bytes{name="alpha"}')"
check "alpha: its hypervisor has used CPU time" holds 'scalebox_vm_cpu_seconds_total{name="alpha"} > 1'
check "alpha: its hypervisor holds memory (more than 64 MiB)" holds 'scalebox_vm_memory_used_bytes{name="alpha"} > 67108864'
check "rate() of CPU seconds over the scrapes, for each VM" wait_for 30 holds 'count(rate(scalebox_vm_cpu_seconds_total[10s]) >= 0) == 2'
check "alpha: its disk occupies bytes, fewer than its nominal size" holds \
    'scalebox_vm_disk_allocated_bytes{name="alpha"} > 0 and on(id) (scalebox_vm_disk_allocated_bytes{name="alpha"} < on(id) scalebox_vm_disk_size_bytes{name="alpha"})'
check "alpha: SSH bytes went through its port both ways" holds \
    'scalebox_vm_proxy_bytes_total{name="alpha",direction="to_guest"} > 0 and on(id) scalebox_vm_proxy_bytes_total{name="alpha",direction="from_guest"} > 0'
check "alpha: its port accepted the SSH connections" holds 'scalebox_vm_proxy_connections_accepted_total{name="alpha"} >= 2'
check "host: memory and DATA_DIR figures" holds 'scalebox_host_memory_bytes{kind="total"} > 0 and on() scalebox_storage_bytes{kind="committed"} > 0'
check_eq "API: two creates answered 201" 2 "$(q 'scalebox_api_requests_total{method="POST",route="/vms",status="201"}')"
check_eq "API: the error is counted by its code" 1 "$(q 'scalebox_api_errors_total{code="template_not_found"}')"
check_eq "engine: two creates succeeded, one failed with its code" "2 1" \
    "$(q 'scalebox_operations_total{operation="create",result="ok"}') $(q 'scalebox_operation_failures_total{operation="create",code="template_not_found"}')"
check_eq "engine: every phase of both creates was timed" "2 2 2 2 2" \
    "$(for p in clone key boot record network; do printf '%s ' "$(q "scalebox_create_phase_duration_seconds_count{phase=\"$p\"}")"; done | sed 's/ $//')"
check "API: a latency quantile from the histogram" holds \
    'histogram_quantile(0.99, sum by (le) (rate(scalebox_api_request_duration_seconds_bucket[1m]))) > 0'

echo "metrics: changes show in the next scrapes"
check_eq "stop beta" 200 "$(api POST /vms/beta/stop >/dev/null; status)"
check "beta: stopped" wait_for 30 holds 'scalebox_vm_state{name="beta",state="stopped"} == 1'
check "beta: no hypervisor figures once stopped" wait_for 30 holds 'absent(scalebox_vm_memory_used_bytes{name="beta"})'
check_eq "delete beta" 204 "$(api DELETE /vms/beta >/dev/null; status)"
check "beta: gone" wait_for 30 holds 'absent(scalebox_vm_state{name="beta"})'
check "engine: stop and delete counted" holds \
    'scalebox_operations_total{operation="stop",result="ok"} == 1 and on() scalebox_operations_total{operation="delete",result="ok"} == 1'
daemon_stop
daemon_start
check "after a daemon restart: alpha re-attached (a reconcile action)" wait_for 30 holds \
    'scalebox_reconcile_actions_total{action="reattached"} == 1'
check "after a daemon restart: alpha still running with its figures" wait_for 30 holds \
    'scalebox_vm_state{name="alpha",state="running"} == 1 and on(id) scalebox_vm_memory_used_bytes{name="alpha"} > 0'

echo "metrics: a VM whose hypervisor dies"
QEMU_PID=$(jq -r .process.pid "$DATA/vms/$(api GET /vms/alpha >/dev/null; field .id)/vm.json")
kill -9 "$QEMU_PID"
alpha_stopped() { [ "$(api GET /vms/alpha >/dev/null; field .status)" = stopped ]; }
check "alpha is reported stopped (the daemon noticed by itself)" wait_for 30 alpha_stopped
check "its port is closed" sh -c "! ip netns exec $CLIENT_NS timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/$A_PORT' 2>/dev/null"
check "the event stream has vm.crashed for alpha" sh -c "ip netns exec $CLIENT_NS curl -sN --max-time 3 -H 'Authorization: Bearer $TOKEN' -H 'Last-Event-ID: 0' $API/events | sed -n 's/^data://p' | jq -r 'select(.type == \"vm.crashed\") | .vm_name' | grep -qx alpha"
check "Prometheus: one crash, alpha stopped" wait_for 30 holds \
    'scalebox_vm_crashes_total == 1 and on() scalebox_vm_state{name="alpha",state="stopped"} == 1'
check_eq "start alpha again" "200 running" "$(api POST /vms/alpha/start >/dev/null; status) $(field .status)"
check "alpha: SSH after the start" wait_for 120 ssh_ready "$A_PORT"
summary metrics
