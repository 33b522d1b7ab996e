#!/usr/bin/env bash
# @file bench/http.sh  REST throughput with wrk (keep-alive), trunkd pinned to
# one core and wrk on the other.  Prints req/s and latency for each route.
#   bench/http.sh [seconds]      (default 10 s per route)
#   bench/http.sh --smoke        (1 s per route, for ctest: it runs and reports)
# Bounded: each wrk run lasts the given seconds; trunkd and PostgreSQL are
# stopped at the end.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
secs=${1:-10}
[ "$secs" = --smoke ] && secs=1
install_deps wrk
bench_prepare
port=18080
taskset -c 0 "$bin" --http-listen 127.0.0.1:$port --sip-udp "" --sip-tcp "" \
	--sip-tls "" --log-level warn --tls-cert "$TOP/var/tls/cert.pem" \
	--tls-key "$TOP/var/tls/key.pem" &
pid=$!
wait_healthz "$port" || true

run() {
	local name=$1; shift
	say "$name ($secs s, 2 threads, 64 connections, trunkd on core 0)"
	local out
	out=$(taskset -c 1 wrk -t2 -c64 -d"${secs}s" --latency "$@")
	printf '%s\n' "$out" >&2
	awk -v n="$name" '/Requests\/sec/{r=$2} / 50%/{p50=$2} / 99%/{p99=$2}
		END{print n": "r" req/s, p50 "p50", p99 "p99}' <<<"$out"
}
run "GET /healthz" "http://127.0.0.1:$port/healthz"
run "GET /v1/org (authenticated)" -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/org"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/sip/attach" -H "Authorization: Bearer $key" \
	-d '{"phone_number": "+14150000000", "directions": [{"type": "inbound"}, {"type": "outbound", "sip_endpoint": "sip.customer.com"}], "service": "sip"}'
run "GET /v1/sip?phone_number=" -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/sip?phone_number=%2B14150000000"
export TRUNKD_BENCH_KEY=$key
run "POST /v1/sip/attach (random numbers)" -s "$TOP/bench/attach.lua" "http://127.0.0.1:$port"
# after the attach run the org holds thousands of numbers: one page of 50
run "GET /v1/sip/numbers (page of 50)" -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/sip/numbers"
