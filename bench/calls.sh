#!/usr/bin/env bash
# @file bench/calls.sh  Concurrent echo calls over UDP with plain RTP (sipp
# cannot do SRTP): for each level N, N calls are set up at 100/s and each
# plays G.711 A-law (20 ms packets) for about 14 s (bench/uac_load.xml);
# trunkd is pinned to core 0, sipp to core 1.  Per level it prints the
# packets trunkd received and sent back, the loss trunkd saw (sequence
# gaps), and trunkd's CPU use while all N calls were up.
#   bench/calls.sh [levels...]      (default: 100 200 400)
# Bounded: each level lasts duration + N/100 s + 30 s at most.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
levels=${*:-100 200 400}
dur=14 # bench/uac_load.xml plays 3 x 4.7 s
install_deps sip-tester
bench_prepare
# the bench cluster outlives runs: free the number a previous run attached
psql "$DATABASE_URL" -qAtc "DELETE FROM sip_configs WHERE number = '+14150009999'" >/dev/null 2>&1 || true
http=18081 sip=15960
taskset -c 0 "$bin" --http-listen 127.0.0.1:$http --sip-udp 127.0.0.1:$sip \
	--sip-tcp "" --sip-tls "" --log-level warn --max-calls 5000 \
	--rtp-port-min 40000 --rtp-port-max 49999 \
	--tls-cert "$TOP/var/tls/cert.pem" --tls-key "$TOP/var/tls/key.pem" &
pid=$!
wait_healthz "$http" || true
curl -sf -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
	"http://127.0.0.1:$http/v1/sip/attach" \
	-d '{"phone_numbers": ["+14150009999"], "directions": [{"type": "inbound"}], "service": "sip"}'
q() { psql "$DATABASE_URL" -qAtc "$1"; }
work=$(mktemp -d)
printf '| concurrent calls | rx packets | tx packets | loss (trunkd saw) | trunkd CPU (core 0) |\n|---|---|---|---|---|\n'
for n in $levels; do
	q "TRUNCATE calls" >/dev/null
	say "$n calls of $dur s"
	(cd "$work" && timeout $((dur + n / 100 + 30)) taskset -c 1 sipp 127.0.0.1:$sip \
		-sf "$TOP/bench/uac_load.xml" -s 14150009999 \
		-i 127.0.0.1 -m "$n" -l "$n" -r 100 -nostdin \
		>/dev/null 2>&1) &
	sp=$!
	sleep $((n / 100 + 2))          # all calls up
	t0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
	sleep $((dur / 2))
	t1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
	wait "$sp" || say "sipp reported failed calls at $n"
	for _ in $(seq 1 50); do [ "$(q "SELECT count(*) FROM calls")" -ge "$n" ] && break; sleep 0.2; done
	row=$(q "SELECT sum((stats->>'rx_packets')::bigint), sum((stats->>'tx_packets')::bigint), sum((stats->>'lost')::bigint) FROM calls")
	IFS='|' read -r rx tx lost <<<"$row"
	cpu=$(awk -v a="$t0" -v b="$t1" -v s0="$s0" -v s1="$s1" -v hz="$hz" 'BEGIN { printf "%.0f %%", (b - a) / hz / (s1 - s0) * 100 }')
	loss=$(awk -v l="${lost:-0}" -v r="${rx:-0}" 'BEGIN { if (l + r > 0) printf "%.3f %%", l / (l + r) * 100; else print "-" }')
	printf '| %s | %s | %s | %s | %s |\n' "$n" "$rx" "$tx" "$loss" "$cpu"
done
rm -rf "$work"
