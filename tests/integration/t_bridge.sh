#!/usr/bin/env bash
# @file t_bridge.sh  Inbound forwarding (B2BUA): a number whose inbound
# direction has a sip_endpoint forwards its calls there.
#  1. baresip calls over TLS + SRTP (PCMU, a 1 kHz tone, DTMF keys); trunkd
#     forwards over UDP with plain RTP to a second baresip that only takes
#     PCMA and sends 1.7 kHz: each side must hear the other's tone and not
#     its own (relay both ways, transcoded), the callee gets the digits,
#     and the caller's BYE ends both legs.
#  2. trunkd itself calls (POST /v1/calls) a forwarding number whose
#     endpoint is a sipp UAS: a passthrough header reaches sipp, DTMF sent
#     by the API goes caller → sipp (echo) → caller through both legs, a
#     BYE from the far end ends everything, a 486 comes back as 486, an
#     unreachable endpoint as 503, a forwarding loop stops with 483, and
#     no RTP socket is left open afterwards.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start
udp_sockets() { ss -Huanp 2>/dev/null | grep -c "pid=$TK_PID,"; }
SOCKETS_BEFORE=$(udp_sockets)

# forward NUMBER ENDPOINT [HEADERS]: attach NUMBER for inbound SIP that
# forwards to ENDPOINT
forward() {
	api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["'"$1"'"], "directions": [{"type": "inbound", "sip_endpoint": "'"$2"'"'"${3:+, \"headers\": $3}"'}], "service": "sip"}'
}
# call_id: the id in a POST /v1/calls reply
call_id() { sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' <<<"$1"; }
# rec COLUMNS WHERE: one row of the calls table, once it is written
rec() { q_until "SELECT $1 FROM calls WHERE $2"; }
# leg_of NUMBER DIRECTION COLUMN: COLUMN of the leg of a call to NUMBER
leg_of() { echo "(SELECT $3 FROM calls WHERE number = '$1' AND direction = '$2')"; }
# recs EXPR...: one row of expressions (subqueries), once all are written
recs() {
	local list
	list=$(IFS=,; echo "$*")
	q_until "SELECT concat_ws('|', $list) WHERE ($list) IS NOT NULL"
}

# ---- 1. baresip → trunkd (TLS, SRTP, PCMU) → baresip (UDP, RTP, PCMA) ----
CALLEE="$T_DIR/callee" CALLER="$T_DIR/caller"
cport=$(free_port)
baresip_conf "$CALLEE" "$cport"
sed -i 's/^audio_source.*/audio_source\t\tausine,1700/' "$CALLEE/config"
echo '<sip:+14155550300@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMA' >"$CALLEE/accounts"
timeout 40 baresip -v -f "$CALLEE" >"$CALLEE/log" 2>&1 &
T_PIDS+=("$!"); callee_pid=$!
for _ in $(seq 1 50); do grep -q "baresip is ready" "$CALLEE/log" && break; sleep 0.1; done

expect_match "attach a forwarding number" '^200 ' "$(forward +14150000081 "sip:+14155550300@127.0.0.1:$cport")"
expect_match "with transcoding allowed" '^200 ' "$(api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000081", "direction": "inbound", "codec_config": {"codecs": ["PCMU", "PCMA"], "transcode": true}}')"

baresip_conf "$CALLER" "$(free_port)"
echo '<sip:+14155550111@127.0.0.1>;regint=0;mediaenc=srtp-mand' >"$CALLER/accounts"
timeout 30 baresip -f "$CALLER" -t 10 -e "/dial sip:+14150000081@127.0.0.1:$SIPS_PORT;transport=tls" >"$CALLER/log" 2>&1 &
caller_pid=$!
T_PIDS+=("$caller_pid")
for _ in $(seq 1 80); do grep -q "Call established" "$CALLER/log" && break; sleep 0.1; done
sleep 2
for key in 4 2 '#'; do baresip_press "$CALLER/log" "$BS_CONS" "$key"; done
wait "$caller_pid"
sleep 1
kill -TERM "$callee_pid" 2>/dev/null; wait "$callee_pid"
log "caller: $(grep -o 'Call established.*\|SRTP is Enabled.*\|terminated.*' "$CALLER/log" | tr '\n' ' ')"
log "callee: $(grep -io 'Incoming call.*\|Call established.*\|received DTMF.*\|terminated.*' "$CALLEE/log" | tr '\n' ' ')"
check "the caller ran SRTP" grep -q "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" "$CALLER/log"
check "the callee was called from the caller's number" grep -q "Call established: sip:+14155550111@" "$CALLEE/log"
log "the caller's recording:"
expect_tone_heard "$CALLER" 3 1700 1000
log "the callee's recording:"
expect_tone_heard "$CALLEE" 3 1000 1700

A1=$(rec id "number = '+14150000081' AND direction = 'inbound'")
expect_eq "the inbound leg: completed by the caller, TLS, SRTP, PCMU, digits, forward" \
	"completed|caller hung up|TLS|t|PCMU|42#|forward" \
	"$(rec "status, reason, transport, srtp, codec, dtmf, app" "id = '$A1'")"
expect_eq "the outbound leg: bridged with it, UDP, plain RTP, PCMA (transcoded), to the endpoint's user" \
	"completed|caller hung up|udp|f|PCMA|sip:+14155550300@127.0.0.1:$cport;transport=udp|$A1" \
	"$(rec "status, reason, transport, srtp, codec, to_uri, bridge_id" "direction = 'outbound' AND bridge_id = '$A1'")"
expect_eq "media flowed on both legs, without SRTP failures" "t|t|t|t" \
	"$(rec "bool_and((stats->>'rx_packets')::int > 150), bool_and((stats->>'tx_packets')::int > 150), bool_and((stats->>'rx_dropped')::int < 5), count(*) = 2" "number = '+14150000081'")"
expect_eq "the callee got the digits, relayed" "4,2,#" \
	"$(grep -o "received event: '.' (end=1)" "$CALLEE/log" | cut -d"'" -f2 | paste -sd,)"

# ---- 2. trunkd calls a forwarding number; sipp is the far end ----
attach_outbound +14150000082 "sip:127.0.0.1:$SIP_PORT" >/dev/null
sed "s/@HDRCHECK@/true/" "$SC/uas_answer.xml" >"$T_DIR/uas_hdr.xml"
uas "$T_DIR/uas_hdr.xml"
expect_match "a forwarding number with a passthrough header" '^200 ' \
	"$(forward +14150000083 "sip:127.0.0.1:$UAS_PORT" '{"direction": "inbound", "headers": [{"type": "custom", "key": "X-Account", "value": "account", "passthrough": true}]}')"
r=$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000082", "to": "+14150000083", "app": "dtmf", "headers": {"X-Account": "42"}}')
C=$(call_id "$r")
check "the call is answered through both legs" call_status_until "$C" in_progress
expect_match "DTMF sent by the caller" '^202 ' "$(api POST "/v1/calls/$C/dtmf" "${H[@]}" -d '{"digits": "12#"}')"
check "the digits came back through the echo; the dtmf app hung up on '#'" call_status_until "$C" completed
wait "$UAS_PID"; expect_eq "sipp saw X-Account: 42 and got the BYE (exit 0)" 0 "$?"
A2=$(rec id "number = '+14150000083' AND direction = 'inbound'")
expect_eq "each leg and the caller saw the digits" "12#|12#|12#" \
	"$(recs "(SELECT dtmf FROM calls WHERE id = '$C')" "(SELECT dtmf FROM calls WHERE id = '$A2')" "(SELECT dtmf FROM calls WHERE bridge_id = '$A2')")"
expect_eq "the inbound leg mapped the header to a variable" '{"account": "42"}' "$(rec variables "id = '$A2'")"

# the far end hangs up
uas "$SC/uas_bye.xml"
forward +14150000084 "sip:127.0.0.1:$UAS_PORT" >/dev/null
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000082", "to": "+14150000084", "app": "record"}')")
check "answered" call_status_until "$C" in_progress
check "the far end's BYE ends the caller's call too" call_status_until "$C" completed
wait "$UAS_PID"; expect_eq "sipp's BYE was answered (exit 0)" 0 "$?"
expect_eq "all three: completed, callee hung up" "completed|callee hung up|completed|callee hung up|completed|callee hung up" \
	"$(recs "(SELECT status || '|' || reason FROM calls WHERE id = '$C')" "$(leg_of +14150000084 inbound "status || '|' || reason")" "$(leg_of +14150000084 outbound "status || '|' || reason")")"

# busy: the caller is told 486
sed "s/@CODE@/486/; s/@REASON@/Busy Here/" "$SC/uas_reply.xml" >"$T_DIR/busy.xml"
uas "$T_DIR/busy.xml"
forward +14150000085 "sip:127.0.0.1:$UAS_PORT" >/dev/null
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000082", "to": "+14150000085"}')")
check "486 from the far end: the caller's call ends busy" call_status_until "$C" busy
expect_eq "the caller got 486, the inbound leg sent it" "486|busy|486" \
	"$(recs "(SELECT sip_code FROM calls WHERE id = '$C')" "$(leg_of +14150000085 inbound status)" "$(leg_of +14150000085 inbound sip_code)")"

# unreachable: a closed TCP port → 503 with the reason in a Warning
forward +14150000086 "sip:127.0.0.1:$(free_port);transport=tcp" >/dev/null
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000082", "to": "+14150000086"}')")
check "an unreachable endpoint: the caller's call fails" call_status_until "$C" failed
expect_eq "with 503 from the inbound leg" "503|503" \
	"$(recs "(SELECT sip_code FROM calls WHERE id = '$C')" "$(leg_of +14150000086 inbound sip_code)")"

# a number that forwards to itself: stopped after a few hops with 483
forward +14150000087 "sip:+14150000087@127.0.0.1:$SIP_PORT" >/dev/null
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000082", "to": "+14150000087"}')")
check "a forwarding loop ends" call_status_until "$C" failed
expect_eq "with 483 Too Many Hops, after 4 forwards (8 legs)" "483|8" \
	"$(recs "(SELECT sip_code FROM calls WHERE id = '$C')" "(SELECT CASE WHEN count(*) >= 8 THEN count(*) END FROM calls WHERE number = '+14150000087')")"

sleep 1.5
expect_match "no call left in progress" 'trunkd_calls_active 0' "$(curl -s "http://127.0.0.1:$HTTP/metrics")"
expect_eq "no RTP socket left open (UDP sockets as before the calls)" "$SOCKETS_BEFORE" "$(udp_sockets)"
trunkd_stop
finish
