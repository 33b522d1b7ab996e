#!/usr/bin/env bash
# @file bench/capacity.sh  Concurrent echo calls against the machine's own
# ceiling.  The process under test is pinned to core 0, the load generator
# (bench/loadgen) to core 1.  First the ceiling: bench_ceiling, a bare UDP
# echo, gets the same packet pattern as trunkd will (N streams of 20 ms
# G.711, no SIP, no SRTP).  Then trunkd, once per mode: plain RTP over UDP
# signalling, and SDES-SRTP over TLS.  Each level N is run REPEATS times:
# N calls set up at RAMP calls/s, all N up together for HOLD seconds, then
# hung up.  Stepping stops after the first level whose median loss exceeds
# 0.1 % or whose median p99 jitter exceeds 2 ms.  Per level it prints the
# medians: CPU of the process on core 0 (while all N calls were up), loss,
# per-call jitter p50/p99 and echo round trip p50/p99 (both from the
# loadgen's steady window: all N calls up, before the first hangs up, so
# neither the ramp nor N hang-ups at once are in them), trunkd's RSS and RSS per
# call (above its idle RSS), and the ratio of the ceiling's CPU to trunkd's
# at that level.  The last lines give the largest level that passed for the
# ceiling and each mode.
#   bench/capacity.sh [levels...]     (default 250 500 1000 1500 2000 2500 3000)
#   bench/capacity.sh --smoke         one tiny level, once (ctest label bench)
#   env: REPEATS (3), HOLD (15 s), RAMP (500 calls/s), MODES ("udp tls"),
#        CEILING (1; 0 skips the ceiling, e.g. to compare two trunkd builds)
# Bounded: each loadgen run has a time limit (ramp + hold + 30 s), so the
# whole run is at most levels x repeats x (modes + 1) such runs.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

REPEATS=${REPEATS:-3} HOLD=${HOLD:-15} RAMP=${RAMP:-500} MODES=${MODES:-udp tls}
CEILING=${CEILING:-1}
levels="250 500 1000 1500 2000 2500 3000"
if [ "${1:-}" = --smoke ]; then
	levels=20 REPEATS=1 HOLD=2 RAMP=50
	shift
fi
[ $# -gt 0 ] && levels="$*"
install_deps jq
bench_prepare
lg="$bindir/bench/loadgen"
http=18091 sip=15980 tls=15981 echo_port=15990

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }
# a fixed (jq) number format so that medians sort and print alike
jqf() { jq -r "$1" <<<"$2"; }

# run_level TARGET_PID N LOADGEN_ARGS...: one run of N calls; prints
# "cpu_pct rss_kb loss jit50 jit99 rtt50 rtt99 answered failed"
run_level() {
	local target=$1 n=$2; shift 2
	local ramp_s hold_start dur out t0 t1 s0 s1 rss
	ramp_s=$(awk -v n="$n" -v r="$RAMP" 'BEGIN { printf "%.2f", n / r }')
	dur=$(awk -v a="$ramp_s" -v h="$HOLD" 'BEGIN { printf "%.2f", a + h }')
	out=$(mktemp)
	taskset -c 1 "$lg" --concurrency "$n" --calls "$n" --rate "$RAMP" \
		--duration "$dur" --json --quiet "$@" >"$out" 2>/dev/null &
	local lgpid=$!
	# the window: all N up (ramp + 1 s) until 1 s before the first ends
	hold_start=$(awk -v a="$ramp_s" 'BEGIN { printf "%.2f", a + 1 }')
	sleep "$hold_start"
	t0=$(cpu_ticks "$target"); s0=$(date +%s.%N)
	sleep "$(awk -v h="$HOLD" 'BEGIN { w = h - 2; printf "%.2f", w < 0.5 ? 0.5 : w }')"
	t1=$(cpu_ticks "$target"); s1=$(date +%s.%N)
	rss=$(rss_kb "$target")
	wait "$lgpid" || true
	local j
	j=$(cat "$out"); rm -f "$out"
	[ -n "$j" ] || { echo "0 $rss 100 0 0 0 0 0 $n"; return; }
	awk -v a="$t0" -v b="$t1" -v s0="$s0" -v s1="$s1" -v hz="$hz" -v rss="$rss" \
		-v rest="$(jqf '(.steady // .) as $w | "\(.packets.loss_percent) \($w.jitter_ms.p50) \($w.jitter_ms.p99) \($w.rtt_ms.p50) \($w.rtt_ms.p99) \(.calls.answered) \(.calls.failed)"' "$j")" \
		'BEGIN { printf "%.1f %s %s\n", (b - a) / hz / (s1 - s0) * 100, rss, rest }'
}

# step NAME TARGET_PID LOADGEN_ARGS...: every level until one fails; fills
# results[NAME:N] = "cpu rss loss j50 j99 r50 r99 answered failed" (medians)
declare -A results
passed=()
step() {
	local name=$1 target=$2; shift 2
	local n r line best=0 idle
	idle=$(rss_kb "$target")
	for n in $levels; do
		local cpus="" rsss="" losses="" j50s="" j99s="" r50s="" r99s="" ans="" fails=""
		for r in $(seq 1 "$REPEATS"); do
			say "$name: $n calls, run $r of $REPEATS"
			line=$(run_level "$target" "$n" "$@")
			read -r c rs l a b x y an f <<<"$line"
			cpus+=" $c" rsss+=" $rs" losses+=" $l" j50s+=" $a" j99s+=" $b"
			r50s+=" $x" r99s+=" $y" ans+=" $an" fails+=" $f"
			sleep 1 # let the last BYEs and records settle
		done
		local m
		m="$(median <<<"$cpus") $(median <<<"$rsss") $(median <<<"$losses") $(median <<<"$j50s") $(median <<<"$j99s") $(median <<<"$r50s") $(median <<<"$r99s") $(median <<<"$ans") $(median <<<"$fails")"
		results[$name:$n]="$m $idle"
		read -r _ _ l _ b _ _ an f <<<"$m"
		if awk -v l="$l" -v j="$b" -v a="$an" -v n="$n" 'BEGIN { exit !(l > 0.1 || j > 2 || a < n) }'; then
			say "$name: $n calls over the limit (loss $l %, p99 jitter $b ms, answered $an of $n)"
			break
		fi
		best=$n
	done
	passed+=("$name=$best")
}

# --- the ceiling -----------------------------------------------------------
if [ "$CEILING" = 1 ]; then
	taskset -c 0 "$bindir/bench/bench_ceiling" --listen 127.0.0.1:$echo_port --time-limit 7200 >/dev/null 2>&1 &
	ceiling_pid=$!
	pid="$ceiling_pid"
	sleep 0.3
	step ceiling "$ceiling_pid" --ceiling 127.0.0.1:$echo_port
	kill "$ceiling_pid"; wait "$ceiling_pid" 2>/dev/null || true
else
	passed+=("ceiling=0")
fi

# --- trunkd ----------------------------------------------------------------
# a fresh trunkd for each mode, so that its idle RSS (and so RSS per call)
# is not what the mode before it left allocated
trunkd_start() {
	taskset -c 0 "$bin" --http-listen 127.0.0.1:$http --sip-udp 127.0.0.1:$sip \
		--sip-tcp "" --sip-tls 127.0.0.1:$tls --log-level warn --max-calls 20000 \
		--rtp-port-min 30000 --rtp-port-max 49999 --health-interval 0 \
		--tls-cert "$TOP/var/tls/cert.pem" --tls-key "$TOP/var/tls/key.pem" &
	trunkd_pid=$!
	pid="$trunkd_pid"
	wait_healthz "$http" || true
	curl -sf -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
		"http://127.0.0.1:$http/v1/sip/attach" \
		-d '{"phone_numbers": ["+14150009999"], "directions": [{"type": "inbound"}], "service": "sip"}' ||
		die "attach failed"
}
trunkd_stop() {
	kill "$trunkd_pid"
	wait "$trunkd_pid" 2>/dev/null || true
	pid=
}
for mode in $MODES; do
	trunkd_start
	case $mode in
	udp) step udp "$trunkd_pid" --transport udp --port $sip --no-srtp ;;
	tls) step tls "$trunkd_pid" --transport tls --port $tls --srtp ;;
	*) die "unknown mode $mode" ;;
	esac
	trunkd_stop
done

# --- the tables ------------------------------------------------------------
machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
printf '\nMachine: %s; %s\n' "$machine" "$(date -u +%Y-%m-%d)"
printf 'Repeats %s (medians), hold %s s, ramp %s calls/s; G.711 PCMU 20 ms, echo.\n' "$REPEATS" "$HOLD" "$RAMP"
names=$MODES
[ "$CEILING" = 1 ] && names="ceiling $MODES"
for name in $names; do
	case $name in
	ceiling) title="bench_ceiling (bare UDP echo, no SIP, no SRTP)" ;;
	udp) title="trunkd, SIP over UDP, plain RTP" ;;
	tls) title="trunkd, SIP over TLS, SDES-SRTP (AES_CM_128_HMAC_SHA1_80)" ;;
	esac
	printf '\n%s\n\n' "$title"
	printf '| calls | CPU (core 0) | loss | jitter p50 / p99 | RTT p50 / p99 | RSS | RSS per call | ceiling CPU / this CPU |\n'
	printf '|---|---|---|---|---|---|---|---|\n'
	for n in $levels; do
		[ -n "${results[$name:$n]:-}" ] || continue
		read -r c rs l a b x y an f idle <<<"${results[$name:$n]}"
		ratio=-
		if [ "$name" != ceiling ] && [ -n "${results[ceiling:$n]:-}" ]; then
			read -r cc _ <<<"${results[ceiling:$n]}"
			ratio=$(awk -v a="$cc" -v b="$c" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')
		fi
		perc=$(awk -v r="$rs" -v i="$idle" -v n="$n" 'BEGIN { printf "%.1f KiB", (r - i) / n }')
		[ "$name" = ceiling ] && perc=-
		printf '| %s | %s %% | %s %% | %s / %s ms | %s / %s ms | %s MiB | %s | %s |\n' \
			"$n" "$c" "$l" "$a" "$b" "$x" "$y" \
			"$(awk -v r="$rs" 'BEGIN { printf "%.1f", r / 1024 }')" "$perc" "$ratio"
	done
done
printf '\nLargest level within 0.1 %% loss and 2 ms p99 jitter (0: none): %s\n' "${passed[*]}"
ceiling_best=${passed[0]#ceiling=}
for p in "${passed[@]:1}"; do
	name=${p%%=*} best=${p#*=}
	[ "$best" -gt 0 ] || continue
	read -r c _ <<<"${results[$name:$best]}"
	awk -v n="$name" -v b="$best" -v cb="$ceiling_best" -v c="$c" 'BEGIN {
		printf "%s: %d calls = %.2f of the ceiling'"'"'s %d; at %.1f %% of core 0, about %.0f calls per core\n",
			n, b, (cb > 0 ? b / cb : 0), cb, c, (c > 0 ? b / (c / 100) : 0) }'
done
