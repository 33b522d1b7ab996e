#!/usr/bin/env bash
# @file t_session.sh  Dead calls end: RFC 4028 session timers (422 under
# Min-SE; Session-Expires echoed with refresher=uac and Require: timer; a
# re-INVITE refreshes; no refresh → BYE), hold (a sendonly re-INVITE is
# answered recvonly and trunkd stops sending), and the media timeout (no
# RTP → BYE).  Lab values: --min-se 3, --media-timeout 2.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start --min-se 3 --media-timeout 2
api POST /v1/sip/attach "${A[@]}" -H "Content-Type: application/json" -d '{"phone_numbers": ["+14150000041"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null
cd "$T_DIR" || exit 1
reason_of() { q_until "SELECT reason FROM calls WHERE sip_call_id LIKE '$1%'"; }

# 422: a raw INVITE over UDP with Session-Expires under Min-SE
printf 'INVITE sip:+14150000041@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKse422;rport\r\nFrom: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:+14150000041@127.0.0.1>\r\nCall-ID: se422@t\r\nCSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.1:9>\r\nSupported: timer\r\nSession-Expires: 2\r\nContent-Length: 0\r\n\r\n' >"$T_DIR/inv422"
exec 3<>"/dev/udp/127.0.0.1/$SIP_PORT"
cat "$T_DIR/inv422" >&3   # one write: one datagram
# cat, not read: bash's read takes one byte per recv, which on UDP drops
# the rest of the datagram
resp=$(timeout 2 cat <&3 | tr -d '\r' | tr '\n' ' ')
exec 3<&-
expect_match "Session-Expires under Min-SE gets 422 with Min-SE" 'SIP/2.0 422 Session Interval Too Small .*Min-SE: 3' "$resp"

check "session timer 3 s, a hold re-INVITE, then trunkd's BYE" \
	sippr -sf "$SC/uac_timer.xml" -s 14150000041 -m 1 -key se 3 -key dir sendonly -cid_str "hold-%u-%p@%s"
expect_eq "the call ended because the session was not refreshed" "session expired" "$(reason_of hold-)"
check "the hold was logged" grep -q "on hold" "$TK_LOG"
id=$(q "SELECT id FROM calls WHERE sip_call_id LIKE 'hold-%'")
r=$(api GET "/v1/sip/calls/$id/trace" "${A[@]}")
expect_match "the 200 carried Session-Expires with refresher=uac and Require: timer" '"name":"Session-Expires","value":"3;refresher=uac"\},\{"name":"Require","value":"timer"\}' "$r"
expect_match "the hold re-INVITE was answered recvonly" '"first_line":"INVITE sip:trunkd@[^"]*","headers":.*"CSeq","value":"2 INVITE".*a=recvonly' "$r"
expect_match "the BYE came from trunkd" '"direction":"out"[^}]*"first_line":"BYE ' "$r"

check "no RTP and no hold: trunkd's BYE" \
	sippr -sf "$SC/uac_timer.xml" -s 14150000041 -m 1 -key se 1800 -key dir sendrecv -cid_str "quiet-%u-%p@%s"
expect_eq "the call ended by the media timeout" "media timeout" "$(reason_of quiet-)"
trunkd_stop
finish
