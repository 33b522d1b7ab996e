#!/usr/bin/env bash
# @file bench/cps.sh  Call-setup rate: short calls (INVITE, 100/180, 200,
# ACK, 1 s without media, BYE, 200: bench/uac_cps.xml) from sipp at stepped
# rates, over UDP (one socket, -t u1) and then TCP (one persistent
# connection, -t t1), plain RTP; trunkd (Release, --answer-delay-ms 0)
# pinned to core 0, sipp to core 1.  Per level it prints the calls/s trunkd
# actually set up (successful calls over first INVITE .. last 200 OK), the
# failed calls, sipp's retransmissions, the INVITE -> 200 setup time p50 and
# p99 (sipp's response time "setup", traced per call; 1 ms resolution),
# trunkd's CPU (% of core 0 while sipp ran, and per call including writing
# the record) and the call records that reached PostgreSQL (calls is
# truncated before each level).  A transport stops stepping at the first
# level with failed calls, retransmissions, missing records or under 90 %
# of the offered rate.  Then TLS: the certificate trunkd serves (ECDSA or
# not), full and resumed handshakes/s with openssl s_time (one client, then
# CPS_STIME_CLIENTS in parallel) and trunkd's CPU per handshake; and, only if
# bench/loadgen is built, TLS call setup with SDES-SRTP
# through it (tls_cps; skipped with a message otherwise).
#   bench/cps.sh [rates...]   (default: 200 400 600 800 1000 1200 1500 calls/s)
#   bench/cps.sh --smoke      (20 calls at 10/s over UDP, 2 s of s_time, 20
#                              loadgen calls if built: about 25 s, for ctest)
# Environment: CPS_SECONDS (calls per level = rate x this, default 10),
# CPS_TRANSPORTS (default "udp tcp"), CPS_STIME (s_time seconds, default 8),
# CPS_STIME_CLIENTS (parallel s_time clients for the second pair of runs,
# default 4; 1 = skip them), CPS_TLS_RATES (loadgen, default 100 200 400 700),
# BENCH_PGDIR (the bench cluster, default var/bench-pg).
# Bounded: every level is a fixed number of calls, and each sipp or loadgen
# run is killed after CPS_SECONDS + 40 s, each s_time after its time + 20 s;
# waiting for call records gives up after 15 s.  Exits 0 once the tables are
# printed; no figure is checked.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
if [ $smoke = 1 ]; then
	rates=10 secs=2 transports=udp stime=2 clients=1 tls_rates=10
else
	rates=${*:-200 400 600 800 1000 1200 1500}
	secs=${CPS_SECONDS:-10}
	transports=${CPS_TRANSPORTS:-udp tcp}
	stime=${CPS_STIME:-8}
	clients=${CPS_STIME_CLIENTS:-4}
	tls_rates=${CPS_TLS_RATES:-100 200 400 700}
fi
number=+14150009998
http=18082 sip=15970 sips=15971

install_deps sip-tester jq
bench_prepare
# the bench cluster outlives runs: free the number a previous run attached
psql "$DATABASE_URL" -qAtc "DELETE FROM sip_configs WHERE number = '$number'" >/dev/null 2>&1 || true
say "trunkd on core 0: SIP UDP+TCP 127.0.0.1:$sip, TLS 127.0.0.1:$sips"
taskset -c 0 "$bin" --http-listen 127.0.0.1:$http \
	--sip-udp 127.0.0.1:$sip --sip-tcp 127.0.0.1:$sip --sip-tls 127.0.0.1:$sips \
	--tls-cert "$TOP/var/tls/cert.pem" --tls-key "$TOP/var/tls/key.pem" \
	--log-level warn --max-calls 20000 --answer-delay-ms 0 --shutdown-timeout 5 \
	--rtp-port-min 20000 --rtp-port-max 31999 &
pid=$!
wait_healthz "$http" || true
curl -sf -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
	"http://127.0.0.1:$http/v1/sip/attach" \
	-d '{"phone_numbers": ["'$number'"], "directions": [{"type": "inbound"}], "service": "sip"}' ||
	die "could not attach $number"

q() { psql "$DATABASE_URL" -qAtc "$1"; }
now() { date +%s.%N; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; pg_down "$pgdir"; rm -rf "$work"' EXIT
rows=()

# records N: wait (at most 15 s) until the calls table holds N rows; prints the count
records() {
	local want=$1 have=0
	for _ in $(seq 1 75); do
		have=$(q "SELECT count(*) FROM calls")
		[ "$have" -ge "$want" ] && break
		sleep 0.2
	done
	echo "$have"
}

# cpu T0 T1 T2 S0 S1 CALLS: "% of core (µs per call)": ticks T0..T1 over the
# wall time S0..S1 (the load), T0..T2 (the load and writing the records) per call
cpu() {
	awk -v a="$1" -v b="$2" -v c="$3" -v s0="$4" -v s1="$5" -v n="$6" -v hz="$hz" 'BEGIN {
		printf "%.0f %%", (b - a) / hz / (s1 - s0) * 100
		if (n > 0) printf " (%.0f µs/call)", (c - a) / hz / n * 1e6 }'
}

ms() { case $1 in - | '') echo - ;; *) echo "$1 ms" ;; esac; }

# col FILE NAME: the last value of column NAME in sipp's ';' statistics file
col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		c { v = $c } END { print v + 0 }' "$1"
}

# level MODE RATE: one sipp run of RATE x secs calls; appends a table row and
# returns 1 when the next level is not worth running
level() {
	local mode=$1 r=$2 n=$(($2 * secs)) dir="$work/$1-$2" rc=0
	local name=UDP
	[ "$mode" = t1 ] && name=TCP
	mkdir -p "$dir"
	q "TRUNCATE calls" >/dev/null
	say "$name: $n calls at $r/s"
	local t0 s0 t1 s1 t2
	t0=$(cpu_ticks "$pid") s0=$(now)
	(cd "$dir" && timeout -k 5 $((secs + 40)) taskset -c 1 sipp 127.0.0.1:$sip \
		-sf "$TOP/bench/uac_cps.xml" -s "${number#+}" -i 127.0.0.1 -t "$mode" \
		-r "$r" -m "$n" -l $((r * 3 + 50)) -nostdin -mp 32000 \
		-recv_timeout 5000 -timeout $((secs + 30))s \
		-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1 -trace_err \
		>sipp.out 2>&1) || rc=$?
	t1=$(cpu_ticks "$pid") s1=$(now)
	[ -s "$dir/stat.csv" ] || { cat "$dir/sipp.out" >&2; die "sipp wrote no statistics (exit $rc)"; }
	local ok retr failed stats have
	ok=$(col "$dir/stat.csv" 'SuccessfulCall(C)')
	retr=$(col "$dir/stat.csv" 'Retransmissions(C)')
	failed=$((n - ok)) # failed, and unfinished when timeout stopped sipp
	# setup times: Date_ms is when the 200 came, response_time_ms its delay;
	# sustained = calls set up between the first INVITE and the last 200
	rate=$(cat "$dir"/uac_cps_*_rtt.csv 2>/dev/null | awk -F';' -v ok="$ok" '
		$3 == "setup" { d = $1 + 0; s = d - $2; if (!n++ || s < first) first = s; if (d > last) last = d }
		END { span = (last - first) / 1000
			if (n == 0) print "-"; else if (span > 0 && ok > 1) printf "%.0f\n", (ok - 1) / span; else print ok }')
	stats=$(cat "$dir"/uac_cps_*_rtt.csv 2>/dev/null | awk -F';' '$3 == "setup" { print $2 }' | sort -n |
		awk '{ t[++n] = $1 } END { if (n) print t[int((n - 1) * 0.50) + 1], t[int((n - 1) * 0.99) + 1]; else print "- -" }')
	read -r p50 p99 <<<"$stats"
	p50=$(ms "$p50") p99=$(ms "$p99")
	have=$(records "$ok")
	t2=$(cpu_ticks "$pid")
	local cpus
	cpus=$(cpu "$t0" "$t1" "$t2" "$s0" "$s1" "$ok")
	say "$name $r/s: $ok ok, $failed failed, $retr retransmissions, $rate calls/s, setup p50 $p50 p99 $p99, CPU $cpus, $have records (sipp exit $rc)"
	if [ "$failed" -gt 0 ]; then
		for f in "$dir"/uac_cps_*_errors.log; do [ -f "$f" ] && head -n 20 "$f" >&2; done
	fi
	rows+=("| $name | $r | $rate | $failed | $retr | $p50 | $p99 | $cpus | $have of $ok |")
	local why=
	[ "$failed" -eq 0 ] || why="$failed failed calls"
	[ "$retr" -eq 0 ] || why="${why:+$why, }$retr retransmissions"
	[ "$have" -ge "$ok" ] || why="${why:+$why, }$((ok - have)) records missing"
	awk -v a="$rate" -v r="$r" 'BEGIN { exit !(a + 0 >= 0.9 * r) }' ||
		why="${why:+$why, }under 90 % of the offered rate"
	if [ -n "$why" ]; then
		say "$name: no higher rate ($why at $r/s)"
		return 1
	fi
	sleep 2 # let the last calls' 1 s linger end
}

for tr in $transports; do
	case $tr in
	udp) mode=u1 ;;
	tcp) mode=t1 ;;
	*) die "unknown transport $tr (udp or tcp)" ;;
	esac
	for r in $rates; do level "$mode" "$r" || break; done
done

# TLS: the certificate trunkd serves, then handshakes with openssl s_time
brief=$(timeout 5 openssl s_client -connect 127.0.0.1:$sips -brief </dev/null 2>&1 || true)
certinfo=$(timeout 5 openssl s_client -connect 127.0.0.1:$sips </dev/null 2>/dev/null |
	openssl x509 -noout -text 2>/dev/null || true)
keyalg=$(awk -F': ' '/Public Key Algorithm/ { print $2; exit }' <<<"$certinfo")
curve=$(awk -F': ' '/ASN1 OID|NIST CURVE/ { print $2; exit }' <<<"$certinfo")
case $keyalg in
id-ecPublicKey) certdesc="ECDSA ($curve)" ;;
"") certdesc="unknown (no certificate read)" ;;
*) certdesc="$keyalg, not ECDSA" ;;
esac
proto=$(awk -F': ' '/^Protocol version/ { print $2 }' <<<"$brief")
suite=$(awk -F': ' '/^Ciphersuite/ { print $2 }' <<<"$brief")
tempkey=$(awk -F': ' '/^Server Temp Key/ { print $2 }' <<<"$brief")
say "TLS: certificate $certdesc, $proto, $suite, key exchange $tempkey"

# handshakes MODE CLIENTS: CLIENTS parallel s_time runs of stime seconds;
# appends a row to $work/trows
handshakes() {
	local mode=$1 k=$2 i t0 s0 t1 s1 pids=()
	say "TLS: s_time -$mode, $k client(s), $stime s"
	t0=$(cpu_ticks "$pid") s0=$(now)
	for i in $(seq 1 "$k"); do
		timeout -k 5 $((stime + 20)) taskset -c 1 openssl s_time -connect 127.0.0.1:$sips \
			"-$mode" -time "$stime" >"$work/stime-$mode-$k-$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || say "s_time exited $?"; done
	t1=$(cpu_ticks "$pid") s1=$(now)
	# "N connections in T real seconds" per run; progress characters: 'r'
	# a resumed session, '*' a full handshake
	cat "$work/stime-$mode-$k-"* | awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" \
		-v hz="$hz" -v mode="$mode" -v k="$k" '
		/connections in .*real seconds/ { n += $1 }
		/^[r*t3]+$/ { r += gsub(/r/, "r") }
		END {
			c = (t1 - t0) / hz; w = s1 - s0
			printf "| %s | %d | %d | %.0f | %s | %.0f %% | %s |\n", \
				(mode == "new" ? "full (-new)" : "resumed (-reuse)"), k, n, n / w, \
				(mode == "new" ? "-" : sprintf("%d of %d", r, n)), c / w * 100, \
				(n > 0 ? sprintf("%.2f ms", c / n * 1000) : "-")
		}' >>"$work/trows"
	tail -n 1 "$work/trows" >&2
}
: >"$work/trows"
handshakes new 1
handshakes reuse 1
if [ "$clients" -gt 1 ]; then
	handshakes new "$clients"
	handshakes reuse "$clients"
fi
mapfile -t trows <"$work/trows"

# TLS call setup through bench/loadgen (SDES-SRTP), only if it is built
tls_cps() {
	local lg="$bindir/bench/loadgen" r n out rc t0 s0 t1 s1 t2 have
	if [ ! -x "$lg" ]; then
		say "TLS call setup skipped: $lg is not built"
		return 0
	fi
	for r in $tls_rates; do
		n=$((r * secs))
		q "TRUNCATE calls" >/dev/null
		say "TLS (loadgen): $n calls at $r/s"
		rc=0
		t0=$(cpu_ticks "$pid") s0=$(now)
		out=$(timeout -k 5 $((secs + 40)) taskset -c 1 "$lg" --transport tls \
			--host 127.0.0.1 --port $sips --number "$number" --rate "$r" \
			--concurrency $((r * 3 + 50)) --calls "$n" --duration 1 --srtp --json \
			2>"$work/loadgen.err") || rc=$?
		t1=$(cpu_ticks "$pid") s1=$(now)
		if ! jq -e .calls >/dev/null 2>&1 <<<"$out"; then
			say "TLS call setup skipped: loadgen exited $rc without its JSON"
			tail -n 5 "$work/loadgen.err" >&2 || true
			return 0
		fi
		printf '%s\n' "$out" >&2
		# loadgen's --json: {"calls": {"started", "completed", "failed",
		# "timed_out", "per_second"}, "setup_ms": {"p50", "p99"}, ...}
		local ok failed rate p50 p99
		j() { jq -r "($1) // \"-\"" <<<"$out" 2>/dev/null || echo -; }
		ok=$(j '.calls.completed')
		failed=$(j '.calls.failed + .calls.timed_out')
		rate=$(j '.calls.per_second')
		p50=$(j '.setup_ms.p50')
		p99=$(j '.setup_ms.p99')
		case $ok in '' | *[!0-9]*) ok=$n ;; esac
		have=$(records "$ok")
		t2=$(cpu_ticks "$pid")
		local cpus
		cpus=$(cpu "$t0" "$t1" "$t2" "$s0" "$s1" "$ok")
		rows+=("| TLS (loadgen, SDES-SRTP) | $r | $rate | $failed | n/a | $(ms "$p50") | $(ms "$p99") | $cpus | $have of $ok |")
		if [ $rc -ne 0 ] || [ "$failed" != 0 ] ||
			! awk -v a="$rate" -v r="$r" 'BEGIN { exit !(a + 0 >= 0.9 * r) }'; then
			say "TLS: no higher rate (loadgen exited $rc, $failed failed, $rate calls/s at $r/s)"
			break
		fi
		sleep 2
	done
}
tls_cps

# stop trunkd before the EXIT trap stops PostgreSQL, so nothing is left unwritten
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=

printf '\n## Call setup (sipp %s calls per level; UDP -t u1, TCP -t t1)\n\n' "rate x $secs"
printf '| transport | offered rate | sustained calls/s | failed | retransmissions | setup p50 | setup p99 | trunkd CPU | records in PostgreSQL |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
[ ${#rows[@]} -gt 0 ] && printf '%s\n' "${rows[@]}"
printf '\n## TLS handshakes (openssl s_time, %s s; certificate %s; %s %s, key exchange %s)\n\n' \
	"$stime" "$certdesc" "$proto" "$suite" "$tempkey"
printf '| handshake | s_time clients | connections | per second | resumed | trunkd CPU | trunkd CPU per handshake |\n'
printf '|---|---|---|---|---|---|---|\n'
[ ${#trows[@]} -gt 0 ] && printf '%s\n' "${trows[@]}"
exit 0
