#!/usr/bin/env bash
# @file t_calls.sh  Inbound calls with sipp over UDP (plain RTP is allowed on
# the lab listeners): answer, echo, call records, 200 calls, 404, 481, 487,
# 488 (no common codec; plain RTP over TLS), 503 when the ports run out.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start --answer-delay-ms 200
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000001", "+14150000002"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null
cd "$T_DIR" || exit 1

check "one call with G.711 A-law from a pcap is answered and hung up" \
	sippr -sf "$SC/uac_echo.xml" -s 14150000001 -m 1 -d 3000
for _ in $(seq 1 30); do [ "$(q "SELECT count(*) FROM calls")" = 1 ] && break; sleep 0.1; done
row=$(q "SELECT status, sip_code, codec, srtp, number, (stats->>'rx_packets')::int > 100, (stats->>'tx_packets')::int = (stats->>'rx_packets')::int, duration_ms >= 2500 FROM calls")
expect_eq "the call record: completed, 200, PCMA, plain RTP, echoed every packet" 'completed|200|PCMA|f|+14150000001|t|t|t' "$row"

check "200 calls (50/s, up to 100 at once) all complete" \
	sippr -sf "$SC/uac_echo.xml" -s 14150000002 -m 200 -r 50 -l 100 -d 1000
for _ in $(seq 1 50); do [ "$(q "SELECT count(*) FROM calls WHERE number = '+14150000002'")" = 200 ] && break; sleep 0.1; done
expect_eq "200 call records, all completed with media" 200 "$(q "SELECT count(*) FROM calls WHERE number = '+14150000002' AND status = 'completed' AND (stats->>'rx_packets')::int > 0")"

check "an unknown number gets 404" sippr -sf "$(reject 404 0)" -s 14159999999 -m 1
check "no common codec gets 488" sippr -sf "$(reject 488 18)" -s 14150000001 -m 1
check "a BYE outside any dialog gets 481" sippr -sf "$SC/bye_stray.xml" -s 14150000001 -m 1

# REFER from the caller: trunkd calls the target (a sipp provider), reports
# progress in NOTIFYs, and hangs up the caller once the target answers
sed 's/@HDRCHECK@/false/' "$SC/uas_answer.xml" >"$T_DIR/uas_any.xml"
uas "$T_DIR/uas_any.xml"
sed "s/@TARGET@/sip:target@127.0.0.1:$UAS_PORT/" "$SC/uac_refer.xml" >"$T_DIR/uac_refer.xml"
check "REFER: the caller sees 202, NOTIFY 100 and 200, then trunkd's BYE" sippr -sf "$T_DIR/uac_refer.xml" -s 14150000001 -m 1
old=$(q_until "SELECT id FROM calls WHERE reason = 'transferred'")
new=$(api GET "/v1/calls/$old" "${H[@]}" | sed -n 's/.*"transfer":{[^}]*"detail":"\([^"]*\)".*/\1/p')
expect_match "REFER: the new call is up, and the API hangs it up" '^200 .*"status":"completed"' \
	"$(api POST "/v1/calls/$new/hangup" "${H[@]}")"
wait "$UAS_PID"
expect_eq "REFER: the target answered trunkd's new call and got its BYE" 0 "$?"
expect_eq "REFER: the caller's call ended transferred; the new call is recorded" "completed|transferred|outbound|completed" \
	"$(q_until "SELECT c.status, c.reason, n.direction, n.status FROM calls c, calls n WHERE c.reason = 'transferred' AND n.to_uri LIKE 'sip:target@%'")"

trunkd_stop

# CANCEL while ringing; and a port range of one pair: the second call gets 503
trunkd_start --answer-delay-ms 5000 --rtp-port-min 30000 --rtp-port-max 30001
check "CANCEL before the answer gets 487" sippr -sf "$SC/uac_cancel.xml" -s 14150000001 -m 1
for _ in $(seq 1 30); do [ "$(q "SELECT count(*) FROM calls WHERE status = 'canceled'")" = 1 ] && break; sleep 0.1; done
expect_eq "the canceled call is recorded as canceled, 487" 'canceled|487' "$(q "SELECT status, sip_code FROM calls WHERE status = 'canceled'")"
sippr -sf "$SC/uac_echo.xml" -s 14150000001 -m 1 -d 500 &
ringing=$!
sleep 0.5
check "no free RTP port: 503" sippr -sf "$(reject 503 0)" -s 14150000001 -m 1
wait "$ringing"
expect_eq "the call holding the only port completed" 0 $?
check "the port is given back: the next call rings again" sippr -sf "$SC/uac_cancel.xml" -s 14150000001 -m 1

# plain RTP over TLS is refused (SRTP required on TLS)
sdp=$'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n'
inv="INVITE sip:+14150000001@127.0.0.1:$SIPS_PORT;transport=tls SIP/2.0"$'\r\n'"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls488"$'\r\n'"From: <sip:x@127.0.0.1>;tag=1"$'\r\n'"To: <sip:+14150000001@127.0.0.1>"$'\r\n'"Call-ID: tls488@x"$'\r\n'"CSeq: 1 INVITE"$'\r\n'"Contact: <sip:x@127.0.0.1:5061;transport=tls>"$'\r\n'"Max-Forwards: 70"$'\r\n'"Content-Type: application/sdp"$'\r\n'"Content-Length: ${#sdp}"$'\r\n\r\n'"$sdp"
r=$( (printf '%s' "$inv"; sleep 2) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$SIPS_PORT" 2>/dev/null | tr -d '\r')
expect_match "plain RTP over TLS gets 488 with a Warning" $'SIP/2.0 488 Not Acceptable Here.*Warning: 399 trunkd "SRTP' "$r"

# header mappings, inbound: a custom header and User-to-User become the
# call's variables
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000003"], "directions": [{"type": "inbound", "headers": {"direction": "inbound", "headers": [{"type": "custom", "key": "X-Cool-Guy", "value": "First_Name"}, {"type": "uui", "target": "CustomerId", "purpose": "bland", "encoding": "hex", "content": "id"}]}}], "service": "sip"}' >/dev/null
sed '0,/Max-Forwards: 70/s//Max-Forwards: 70\n      X-Cool-Guy: Alice\n      User-to-User: 3432;encoding=hex;purpose=bland/' "$SC/uac_echo.xml" >"$T_DIR/uac_hdrs.xml"
check "a call carrying mapped headers completes" sippr -sf "$T_DIR/uac_hdrs.xml" -s 14150000003 -m 1 -d 500
expect_eq "its record holds the variables the mappings made" 'Alice|42' \
	"$(q_until "SELECT variables->>'First_Name', variables->>'CustomerId' FROM calls WHERE number = '+14150000003'")"
trunkd_stop
finish
