#!/usr/bin/env bash
# @file t_outbound.sh  Outbound calls over UDP with sipp as the provider:
# POST /v1/calls, status while it rings and talks, extra headers on the
# INVITE, media both ways, DTMF sent (sipp echoes it back, trunkd counts
# it), hang-up through the API; digest auth (right and wrong password);
# failover on unreachable (TCP port closed), timeout (a UDP port nobody
# answers) and auth_failure; a 486 that must not fail over; bad requests.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
mkdir -p "$T_DIR/prompts"
"$TRUNKD_TOOLS/wavtool" make "$T_DIR/prompts/tone.wav" 440 1000 16000 || fail "wavtool make"
trunkd_start --prompts-dir "$T_DIR/prompts"
cd "$T_DIR" || exit 1

# failover NUMBER ENDPOINTS TRIGGERS: PATCH its failover_config
failover() {
	api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "'"$1"'", "direction": "outbound", "failover_config": {"enabled": true, "endpoints": '"$2"', "triggers": '"$3"', "timeout_seconds": 2}}'
}
# dial JSON: POST /v1/calls; sets CALL (the id) and DIALED (the reply)
dial() {
	DIALED=$(api POST /v1/calls "${H[@]}" -d "$1")
	CALL=$(sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' <<<"$DIALED")
}
rec() { q_until "SELECT $1 FROM calls WHERE id = '$CALL'"; }

# --- a call that is answered, talks, sends DTMF, and is hung up ---
sed 's/@HDRCHECK@/true/' "$SC/uas_answer.xml" >uas_hdr.xml
sed 's/@HDRCHECK@/false/' "$SC/uas_answer.xml" >uas_any.xml
uas uas_hdr.xml
attach_outbound +14150000041 "sip:127.0.0.1:$UAS_PORT" >/dev/null
dial '{"from": "+14150000041", "to": "+14155550100", "app": "play", "prompt": "tone.wav", "loop": true, "headers": {"X-Account": "42"}, "variables": {"crm_id": "7"}}'
expect_match "POST /v1/calls: 201 queued" '^201 .*"status":"queued"' "$DIALED"
check "the call is answered: in_progress" call_status_until "$CALL" in_progress
sleep 1
expect_match "DTMF is accepted: 202" '^202 ' "$(api POST "/v1/calls/$CALL/dtmf" "${H[@]}" -d '{"digits": "12#"}')"
sleep 1.5
expect_match "hang up: 200 completed" '^200 .*"status":"completed"' "$(api POST "/v1/calls/$CALL/hangup" "${A[@]}")"
wait "$UAS_PID"
expect_eq "sipp saw the header, answered, and got trunkd's BYE" 0 "$?"
expect_eq "the record: outbound, completed, 200, PCMU, one attempt answered" \
	"outbound|completed|200|PCMU|1|answered|7" \
	"$(rec "direction, status, sip_code, codec, jsonb_array_length(attempts), attempts->0->>'result', variables->>'crm_id'")"
expect_eq "media both ways: the prompt went out, sipp's echo came back" "t|t" \
	"$(rec "(stats->>'tx_packets')::int > 50, (stats->>'rx_packets')::int > 50")"
expect_eq "the digits sent came back through sipp's echo" "12#" "$(rec dtmf)"
expect_match "the trace holds the INVITE with the header" 'X-Account: 42' "$(rec "trace::text")"
expect_match "after the call GET /v1/calls/:id still answers" '"status":"completed"' "$(api GET "/v1/calls/$CALL" "${A[@]}")"
expect_match "hanging up an ended call: 409" '^409 .*CALL_ENDED' "$(api POST "/v1/calls/$CALL/hangup" "${A[@]}")"

# --- header mappings, outbound: variables become headers ---
uas uas_any.xml
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000048"], "directions": [{"type": "outbound", "sip_endpoint": "sip:127.0.0.1:'"$UAS_PORT"'", "headers": {"direction": "outbound", "headers": [{"type": "custom", "key": "Favorite_Color", "value": "X-Favorite-Color"}, {"type": "uui", "target": "CustomerKV", "purpose": "bland", "content": "customerid_1234", "encoding": "hex"}]}}], "service": "sip"}' >/dev/null
dial '{"from": "+14150000048", "to": "+14155550107", "variables": {"Favorite_Color": "blue", "CustomerKV": "7"}}'
check "mapped headers: the call is answered" call_status_until "$CALL" in_progress
api POST "/v1/calls/$CALL/hangup" "${A[@]}" >/dev/null
wait "$UAS_PID"
inv=$(rec "trace->0->>'text'")
expect_match "the INVITE carries the mapped custom header" 'X-Favorite-Color: blue' "$inv"
expect_match "and User-to-User, hex, with its purpose" 'User-to-User: 37;encoding=hex;purpose=bland' "$inv"

# --- blind transfer: REFER, 202, NOTIFY with the new call's 200, BYE ---
sed 's/@TARGET@/sip:\\+14155550999@127.0.0.1:[0-9]*/' "$SC/uas_transfer.xml" >uas_transfer.xml
uas uas_transfer.xml
attach_outbound +14150000049 "sip:127.0.0.1:$UAS_PORT" >/dev/null
dial '{"from": "+14150000049", "to": "+14155550108"}'
check "transfer: the call is answered" call_status_until "$CALL" in_progress
expect_match "transfer before the answer is refused, after it accepted: 202" '^202 .*"transfer":\{"to":"sip:\+14155550999@127.0.0.1:[0-9]+","state":"requested"' \
	"$(api POST "/v1/calls/$CALL/transfer" "${H[@]}" -d '{"to": "+14155550999"}')"
check "transfer: the call ends once the new call is up" call_status_until "$CALL" completed
wait "$UAS_PID"
expect_eq "sipp saw the REFER (target, Contact), sent NOTIFY and got the BYE" 0 "$?"
expect_match "the call shows the transfer completed" '"reason":"transferred".*"transfer":\{"to":"sip:\+14155550999@[^"]*","state":"completed","detail":"200 OK"\}' \
	"$(api GET "/v1/calls/$CALL" "${A[@]}")"
expect_match "transferring an ended call: 409" '^409 .*CALL_ENDED' \
	"$(api POST "/v1/calls/$CALL/transfer" "${H[@]}" -d '{"to": "+14155550999"}')"

# --- busy: no failover, even with a failover endpoint configured ---
sed 's/@CODE@/486/; s/@REASON@/Busy Here/' "$SC/uas_reply.xml" >uas_486.xml
uas uas_486.xml
busy_port=$UAS_PORT
attach_outbound +14150000042 "sip:127.0.0.1:$busy_port" >/dev/null
failover +14150000042 '[{"host": "127.0.0.1", "port": '"$(free_port)"', "transport": "udp", "priority": 1}]' '["unreachable", "timeout", "auth_failure"]' >/dev/null
dial '{"from": "+14150000042", "to": "+14155550101"}'
check "486: the call ends busy" call_status_until "$CALL" busy
expect_eq "486: one attempt, no failover" "busy|486|1|final" \
	"$(rec "status, sip_code, jsonb_array_length(attempts), attempts->0->>'result'")"

# failover_case NUMBER PRIMARY TRIGGER WHAT: NUMBER's primary is PRIMARY,
# a sipp that answers is its failover endpoint for TRIGGER; the call must
# reach sipp after an attempt that ended with TRIGGER
failover_case() {
	uas uas_any.xml
	attach_outbound "$1" "$2" >/dev/null
	failover "$1" '[{"host": "127.0.0.1", "port": '"$UAS_PORT"', "transport": "udp", "priority": 1}]' "[\"$3\"]" >/dev/null
	dial '{"from": "'"$1"'", "to": "+14155550102"}'
	check "$4: answered by the failover endpoint" call_status_until "$CALL" in_progress
	api POST "/v1/calls/$CALL/hangup" "${A[@]}" >/dev/null
	wait "$UAS_PID"
	expect_eq "$4: sipp (the failover endpoint) completed its call" 0 "$?"
	expect_eq "$4: two attempts, $3 then answered" "completed|2|$3|answered" \
		"$(rec "status, jsonb_array_length(attempts), attempts->0->>'result', attempts->1->>'result'")"
}
failover_case +14150000043 "sip:127.0.0.1:$(free_port);transport=tcp" unreachable \
	"a closed TCP port (unreachable)"
failover_case +14150000044 "sip:127.0.0.1:$(free_port)" timeout \
	"a silent UDP port (timeout after 2 s)"

# --- digest auth: the right password is accepted ---
uas "$SC/uas_auth.xml"
attach_outbound +14150000045 "sip:127.0.0.1:$UAS_PORT" '{"sip_username": "bland", "sip_password": "s3cret-pw"}' >/dev/null
dial '{"from": "+14150000045", "to": "+14155550104"}'
check "digest: answered after the challenge" call_status_until "$CALL" in_progress
api POST "/v1/calls/$CALL/hangup" "${A[@]}" >/dev/null
wait "$UAS_PID"
expect_eq "digest: sipp verified the credentials and completed" 0 "$?"

# --- wrong password: auth_failure, failover to the next endpoint ---
uas "$SC/uas_auth.xml"
auth_port=$UAS_PORT
uas uas_any.xml
attach_outbound +14150000046 "sip:127.0.0.1:$auth_port" '{"sip_username": "bland", "sip_password": "wrong-password"}' >/dev/null
failover +14150000046 '[{"host": "127.0.0.1", "port": '"$UAS_PORT"', "transport": "udp", "priority": 1}]' '["auth_failure"]' >/dev/null
dial '{"from": "+14150000046", "to": "+14155550105"}'
check "wrong password: answered by the failover endpoint" call_status_until "$CALL" in_progress
api POST "/v1/calls/$CALL/hangup" "${A[@]}" >/dev/null
expect_eq "wrong password: auth_failure (401) then answered" "auth_failure|401|answered" \
	"$(rec "attempts->0->>'result', attempts->0->>'sip_code', attempts->1->>'result'")"

# --- a wrong password without failover: the call fails ---
uas "$SC/uas_auth.xml"
attach_outbound +14150000047 "sip:127.0.0.1:$UAS_PORT" '{"sip_username": "bland", "sip_password": "wrong-password"}' >/dev/null
dial '{"from": "+14150000047", "to": "+14155550106"}'
check "wrong password, no failover: failed" call_status_until "$CALL" failed
expect_eq "the record says auth_failure and 401" "failed|401|auth_failure" \
	"$(rec "status, sip_code, attempts->0->>'result'")"

# --- bad requests ---
expect_match "a number not attached for outbound: 404" '^404 .*NUMBER_NOT_FOUND' \
	"$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000099", "to": "+14155550100"}')"
expect_match "to that is neither E.164 nor a SIP URI: 400" '^400 .*to' \
	"$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000041", "to": "hello"}')"
expect_match "an unknown app: 400" '^400 .*app' \
	"$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000041", "to": "+14155550100", "app": "fax"}')"
expect_match "a header trunkd owns: 400" '^400 .*headers.Via' \
	"$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000041", "to": "+14155550100", "headers": {"Via": "x"}}')"
expect_match "a header value with CRLF: 400" '^400 .*headers.X-A' \
	"$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000041", "to": "+14155550100", "headers": {"X-A": "a\r\nB: c"}}')"
expect_match "malformed JSON: 400" '^400 .*INVALID_JSON' "$(api POST /v1/calls "${H[@]}" -d '{"from": ')"
expect_match "an unknown call: 404" '^404 ' "$(api GET /v1/calls/7b0b8e3c-1111-4222-8333-944455556666 "${A[@]}")"
expect_match "without a key: 401" '^401 ' "$(api POST /v1/calls -d '{}')"
m=$(api GET /metrics)
expect_match "/metrics counts the 9 outbound calls placed (refusals are not calls)" 'trunkd_calls_started_total\{direction="outbound"\} 9' "$m"
expect_match "/metrics: no call active, records written" 'trunkd_calls_active 0.*trunkd_call_records_written_total [1-9]' "$(tr '\n' ' ' <<<"$m")"
trunkd_stop
finish
