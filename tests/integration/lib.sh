# @file tests/integration/lib.sh  Shared by every t_*.sh: a fresh database, a
# trunkd on free loopback ports, assertions, and a closing tally.
# Needs (set by scripts/test and ctest): TRUNKD_BIN, TRUNKD_SRC,
# TRUNKD_TEST_PG_RUN (socket dir of the throwaway cluster), TRUNKD_TEST_TLS_DIR.
set -uo pipefail

: "${TRUNKD_BIN:?run through ctest (scripts/test)}"
: "${TRUNKD_TEST_PG_RUN:?run through scripts/test: it starts PostgreSQL}"

T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d "/tmp/trunkd-$T_NAME.XXXXXX")
T_PASS=0
T_FAIL=0
T_PIDS=()

log() { printf '[%s] %s\n' "$T_NAME" "$*"; }

ok() { T_PASS=$((T_PASS + 1)); log "ok: $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); log "FAIL: $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# expect_match DESCRIPTION REGEX TEXT
expect_match() {
	if [[ $3 =~ $2 ]]; then ok "$1"; else fail "$1: '$3' does not match /$2/"; fi
}

# A port nobody uses (TCP or UDP, any state), below Linux's ephemeral range
# (32768+) so that no outgoing connection can take it meanwhile, and away
# from the RTP ports tests give trunkd (21000-31999).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((12000 + RANDOM % 8000))
		ss -Htuan "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
	return 1
}

# db_create: a new empty database on the test cluster; sets DATABASE_URL
db_create() {
	local name="t_${T_NAME//[^a-z0-9]/_}_$$_$RANDOM"
	psql -h "$TRUNKD_TEST_PG_RUN" -U postgres -d postgres -qc "CREATE DATABASE $name" >/dev/null ||
		{ log "cannot create database"; exit 1; }
	DATABASE_URL="host=$TRUNKD_TEST_PG_RUN user=postgres dbname=$name"
	export DATABASE_URL
}

# own_pg_init: a cluster of this test's own (so that it can be stopped while
# the shared one stays up); sets DATABASE_URL.  own_pg_start/own_pg_stop.
own_pg_init() {
	OWN_PG="$T_DIR/pg"
	mkdir -p "$OWN_PG/run"
	[ "$(id -u)" = 0 ] && chown -R postgres "$OWN_PG" && chmod 755 "$T_DIR"
	as_pg "$PGBIN/initdb" -D "$OWN_PG/data" -A trust -U postgres >/dev/null ||
		{ fail "initdb"; finish; exit 1; }
	own_pg_start || { fail "PostgreSQL start"; finish; exit 1; }
	trap own_pg_stop EXIT
	export DATABASE_URL="host=$OWN_PG/run user=postgres dbname=postgres"
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
own_pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$OWN_PG/data" -l "$OWN_PG/log" -w -t 30 \
		-o "-c listen_addresses= -k $OWN_PG/run -c fsync=off" start >/dev/null
}
own_pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$OWN_PG/data" -m fast -w stop >/dev/null 2>&1; }

# trunkd_start [flags...]: start trunkd on fresh ports, wait until it answers
# /healthz; sets HTTP, SIP_PORT, SIPS_PORT, TK_PID, TK_LOG.  Health checks
# are off (--health-interval 0: sipp scenarios take no OPTIONS) unless the
# flags turn them on (later flags win)
trunkd_start() {
	local attempt
	for attempt in 1 2 3; do
		trunkd_try_start "$@" && return 0
		grep -q 'Address already in use' "$TK_LOG" || break
		log "a port was taken meanwhile; retrying with others"
	done
	log "trunkd did not start; its log:"; cat "$TK_LOG"
	exit 1
}

trunkd_try_start() {
	HTTP=$(free_port); SIP_PORT=$(free_port); SIPS_PORT=$(free_port)
	local rtp=$(( (21000 + RANDOM % 10000) & ~1 ))
	TK_LOG="$T_DIR/trunkd.log"
	: >"$TK_LOG"
	"$TRUNKD_BIN" --http-listen "127.0.0.1:$HTTP" \
		--sip-udp "127.0.0.1:$SIP_PORT" --sip-tcp "127.0.0.1:$SIP_PORT" \
		--sip-tls "127.0.0.1:$SIPS_PORT" \
		--tls-cert "$TRUNKD_TEST_TLS_DIR/cert.pem" \
		--tls-key "$TRUNKD_TEST_TLS_DIR/key.pem" \
		--rtp-port-min $rtp --rtp-port-max $((rtp + 999)) \
		--server-secret test-secret --log-level "${TK_LOG_LEVEL:-info}" \
		--health-interval 0 \
		"$@" >>"$TK_LOG" 2>&1 &
	TK_PID=$!
	T_PIDS+=("$TK_PID")
	for _ in $(seq 1 100); do
		curl -sf --max-time 10 -o /dev/null "http://127.0.0.1:$HTTP/healthz" && return 0
		kill -0 "$TK_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# trunkd_stop: SIGTERM, and the exit status must be 0 within 15 s
trunkd_stop() {
	local rc
	kill -TERM "$TK_PID" 2>/dev/null
	for _ in $(seq 1 150); do
		kill -0 "$TK_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TK_PID" 2>/dev/null; then
		fail "trunkd still running 15 s after SIGTERM"
		kill -KILL "$TK_PID"
	fi
	wait "$TK_PID"; rc=$?
	expect_eq "trunkd exits 0 after SIGTERM" 0 "$rc"
}

# api METHOD PATH [curl args...]: prints "STATUS BODY"
api() {
	local method=$1 path=$2; shift 2
	curl -s --max-time 10 -o "$T_DIR/body" -w '%{http_code}' -X "$method" \
		"http://127.0.0.1:$HTTP$path" "$@" >"$T_DIR/status"
	printf '%s %s' "$(cat "$T_DIR/status")" "$(cat "$T_DIR/body")"
}

# q SQL: one query on this test's database, unaligned (errors hidden: some
# tests stop PostgreSQL on purpose)
q() { psql "$DATABASE_URL" -qAtc "$1" 2>/dev/null; }

# q_until SQL: poll (5 s at most) until SQL returns a row; prints it
q_until() {
	local r
	for _ in $(seq 1 50); do
		r=$(q "$1")
		[ -n "$r" ] && { echo "$r"; return 0; }
		sleep 0.1
	done
	return 1
}

# sippr [args...]: one bounded sipp run against trunkd's UDP listener; the
# scenarios are in $SC
SC="$TRUNKD_SRC/tests/integration/sipp"
sippr() {
	timeout 120 sipp 127.0.0.1:"$SIP_PORT" -i 127.0.0.1 -p "$(free_port)" \
		-mp "$(free_port)" -timeout 90 -nostdin "$@" >/dev/null 2>&1
}

# reject CODE CODEC: a copy of the uac_reject scenario expecting CODE for an
# offer of CODEC (a payload type); prints its path
reject() {
	sed "s/@CODE@/$1/; s/@CODEC@/$2/" "$SC/uac_reject.xml" >"$T_DIR/reject_$1.xml"
	echo "$T_DIR/reject_$1.xml"
}

# attach_outbound NUMBER ENDPOINT [OPTIONS]: attach NUMBER for outbound SIP
# (with $KEY)
attach_outbound() {
	api POST /v1/sip/attach -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
		-d '{"phone_numbers": ["'"$1"'"], "directions": [{"type": "outbound", "sip_endpoint": "'"$2"'", "options": '"${3:-{\}}"'}], "service": "sip"}'
}

# uas SCENARIO: a one-call sipp provider (echoing RTP) in the background;
# sets UAS_PORT and UAS_PID
uas() {
	UAS_PORT=$(free_port)
	timeout 60 sipp -sf "$1" -i 127.0.0.1 -p "$UAS_PORT" -mp "$(free_port)" \
		-rtp_echo -m 1 -timeout 50 -nostdin -trace_err \
		-error_file "$T_DIR/uas_$UAS_PORT.err" >/dev/null 2>&1 &
	UAS_PID=$!
	T_PIDS+=("$UAS_PID")
	sleep 0.3
}

# admin ARGS...: trunkd admin against this test's database
admin() { "$TRUNKD_BIN" admin "$@"; }

# new_key [--sip]: an org and a key; sets ORG, KEY and the curl headers
# H (bearer + JSON) and A (bearer)
new_key() {
	local out
	out=$(admin org create --name "org-$RANDOM" "$@") || { log "org create failed"; exit 1; }
	ORG=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$out")
	out=$(admin key create --org "$ORG") || { log "key create failed"; exit 1; }
	KEY=$(sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p' <<<"$out")
	H=(-H "Authorization: Bearer $KEY" -H "Content-Type: application/json")
	A=(-H "Authorization: Bearer $KEY")
}

# call_status_until ID STATUS: poll GET /v1/calls/ID with $A (10 s at most)
call_status_until() {
	for _ in $(seq 1 100); do
		api GET "/v1/calls/$1" "${A[@]}" | grep -q "\"status\":\"$2\"" && return 0
		sleep 0.1
	done
	return 1
}

# baresip_conf DIR SIP_PORT: a baresip configuration in DIR (config.in:
# recordings in DIR/rec, RTP ports of its own); sets BS_CONS (its console)
baresip_conf() {
	local rtp=$(( (14000 + RANDOM % 4000) & ~1 ))
	mkdir -p "$1/rec"
	BS_CONS=$(free_port)
	sed -e "s|@DIR@|$1|; s|@PORT_SIP@|$2|; s|@PORT_RTP@|$rtp|; s|@PORT_RTP_END@|$((rtp + 20))|; s|@PORT_CONS@|$BS_CONS|" \
		"$TRUNKD_SRC/tests/baresip/config.in" >"$1/config"
}

# baresip_press LOG CONS KEY: press KEY on the console (UDP port CONS) of
# the baresip logging to LOG; a datagram may arrive before the console
# listens, so press again until baresip says it sent the digit
baresip_press() {
	local n=$(grep -c "send DTMF digit: '$3'" "$1")
	for _ in 1 2 3 4 5; do
		printf '%s' "$3" >"/dev/udp/127.0.0.1/$2"
		sleep 0.4
		[ "$(grep -c "send DTMF digit: '$3'" "$1")" -gt "$n" ] && return 0
	done
	log "baresip did not take key $3"
}

# options_up [SECONDS]: a sipp endpoint on OPT_PORT answering every OPTIONS
# (uas_options.xml) for SECONDS (60); sets OPT_PID.  options_down stops it.
options_up() {
	local t=${1:-60}
	timeout "$t" sipp -sf "$SC/uas_options.xml" -i 127.0.0.1 -p "$OPT_PORT" \
		-mp "$(free_port)" -m 100000 -timeout $((t - 5)) -nostdin >/dev/null 2>&1 &
	OPT_PID=$!
	T_PIDS+=("$OPT_PID")
}
options_down() {
	pkill -KILL -P "$OPT_PID" 2>/dev/null
	kill -KILL "$OPT_PID" 2>/dev/null
	wait "$OPT_PID" 2>/dev/null
}

# expect_tone_heard DIR SECONDS [FREQ [OTHER]]: what baresip (with snd_path
# DIR/rec) recorded holds at least SECONDS of a FREQ tone (1 kHz; 100 ms
# blocks, by a Goertzel filter) and none at OTHER (1.7 kHz), so that the
# measure can fail
expect_tone_heard() {
	local dec tone other n f=${3:-1000} o=${4:-1700}
	dec=$(ls "$1"/rec/*-dec.wav 2>/dev/null | head -1)
	tone=$("$TRUNKD_TOOLS/wavtool" tone "$dec" "$f" 2>&1)
	other=$("$TRUNKD_TOOLS/wavtool" tone "$dec" "$o" 2>&1)
	log "baresip heard at $f Hz: $tone; at $o Hz: $other"
	n=$(sed -n 's/.*tone_blocks=\([0-9]*\).*/\1/p' <<<"$tone")
	check "the $f Hz tone was heard (>= $2 s of it)" test "${n:-0}" -ge $(($2 * 10))
	expect_match "and nothing at $o Hz: the measure can fail" 'tone_blocks=0\b' "$other"
}

# expect_srtp_crypto: trunkd's log names the SRTP primitives it runs, the
# fast path (OpenSSL) unless TRUNKD_SRTP_CRYPTO=libsrtp: with baresip's
# SRTP at the other end, that makes a call an interop test of them
expect_srtp_crypto() {
	if [ "${TRUNKD_SRTP_CRYPTO:-fast}" = libsrtp ]; then
		check "trunkd ran libsrtp2's own SRTP crypto" \
			grep -q "SRTP crypto: libsrtp2's own" "$TK_LOG"
	else
		check "trunkd ran the fast SRTP crypto (OpenSSL)" \
			grep -q "SRTP AES-128-ICM and HMAC-SHA1 from OpenSSL" "$TK_LOG"
	fi
}

# kill_tree PID: PID and every process below it, the deepest first (killing
# "timeout CMD" alone would orphan CMD, and CMD's own workers, as Kamailio's)
kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
	kill -KILL "$1" 2>/dev/null
}

finish() {
	local pid
	for pid in "${T_PIDS[@]}"; do
		kill_tree "$pid"
		wait "$pid" 2>/dev/null # reaped quietly: no "Killed" notice
	done
	if [ "$T_FAIL" -ne 0 ] && [ -n "${TK_LOG:-}" ] && [ -f "$TK_LOG" ]; then
		log "trunkd log (last 40 lines):"; tail -40 "$TK_LOG"
	fi
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	rm -rf "$T_DIR"
	[ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
}
