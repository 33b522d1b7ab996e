#!/usr/bin/env bash
# @file t_test_call.sh  POST /v1/sip/test-call and its status, with sipp
# as the provider: success (a tone for 2 s, echoed back, the timeline
# INVITE/100/180/200/ACK/BYE), and each failure reason: busy, a SIP error
# (404), auth failure, unreachable (TCP port closed), timeout (a UDP port
# nobody answers), a host name that does not resolve.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start
cd "$T_DIR" || exit 1

# test_call NUMBER [DURATION]: start one; sets TC (its id)
test_call() {
	local r
	r=$(api POST /v1/sip/test-call "${H[@]}" -d '{"phone_number": "'"$1"'", "duration": '"${2:-2}"'}')
	TC=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$r")
	[ -n "$TC" ] || log "test-call refused: $r"
}
# finished: poll the status until it is completed (45 s at most); prints it
finished() {
	local r
	for _ in $(seq 1 450); do
		r=$(api GET "/v1/sip/test-call/status?id=$TC" "${A[@]}")
		grep -q '"status":"completed"' <<<"$r" && break
		sleep 0.1
	done
	echo "$r"
}

sed 's/@HDRCHECK@/false/' "$SC/uas_answer.xml" >uas_any.xml
uas uas_any.xml
attach_outbound +14150000061 "sip:127.0.0.1:$UAS_PORT" >/dev/null
test_call +14150000061 2
r=$(api GET "/v1/sip/test-call/status?id=$TC" "${A[@]}")
expect_match "while it runs: no result yet" '"result":null' "$r"
r=$(finished)
expect_match "success: completed, result success, ~2 s" '"status":"completed","result":"success".*"sip_code":200,"duration_seconds":(1\.9|2\.)' "$r"
events=$(grep -o '"event":"[^"]*"' <<<"$r" | cut -d'"' -f4 | tr '\n' ',')
expect_eq "the timeline: INVITE, 100, 180, 200, ACK, BYE, 200" \
	"INVITE,100 Trying,180 Ringing,200 OK,ACK,BYE,200 OK," "$events"
expect_match "timeline entries have time, direction and code" '\{"time":"[^"]+","direction":"received","event":"180 Ringing","code":180\}' "$r"
wait "$UAS_PID"
expect_eq "sipp received the tone and the BYE" 0 "$?"
expect_eq "the tone went out and came back (sipp echoes)" "t|t" \
	"$(q_until "SELECT (stats->>'tx_packets')::int > 80, (stats->>'rx_packets')::int > 80 FROM calls WHERE id = '$TC'")"
sleep 1.5
expect_match "from the call record after a while: still the same answer" '"status":"completed","result":"success"' \
	"$(api GET "/v1/sip/test-call/status?id=$TC" "${A[@]}")"

# reply CODE REASON: a provider answering CODE
reply() {
	sed "s/@CODE@/$1/; s/@REASON@/$2/" "$SC/uas_reply.xml" >"uas_$1.xml"
	uas "uas_$1.xml"
}
reply 486 "Busy Here"
attach_outbound +14150000062 "sip:127.0.0.1:$UAS_PORT" >/dev/null
test_call +14150000062
expect_match "486: busy, with the code and reason" '"result":"busy","reason":"486 Busy Here","sip_code":486' "$(finished)"
reply 404 "Not Found"
attach_outbound +14150000063 "sip:127.0.0.1:$UAS_PORT" >/dev/null
test_call +14150000063
expect_match "404: sip_error, with the code and reason" '"result":"sip_error","reason":"404 Not Found","sip_code":404' "$(finished)"
uas "$SC/uas_auth.xml"
attach_outbound +14150000064 "sip:127.0.0.1:$UAS_PORT" '{"sip_username": "bland", "sip_password": "not-the-one"}' >/dev/null
test_call +14150000064
expect_match "wrong password: auth_failure" '"result":"auth_failure","reason":"401 Unauthorized"' "$(finished)"
attach_outbound +14150000065 "sip:127.0.0.1:$(free_port);transport=tcp" >/dev/null
test_call +14150000065
expect_match "closed TCP port: unreachable, connection refused" '"result":"unreachable","reason":"Connection refused"' "$(finished)"
attach_outbound +14150000066 "sip:127.0.0.1:$(free_port)" >/dev/null
api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000066", "direction": "outbound", "failover_config": {"timeout_seconds": 2}}' >/dev/null
test_call +14150000066
expect_match "silent UDP port: timeout after 2 s" '"result":"timeout","reason":"no answer from 127.0.0.1 in 2 s"' "$(finished)"
attach_outbound +14150000067 "sip:no-such-host.invalid" >/dev/null
test_call +14150000067
expect_match "a name that does not resolve: dns_failure" '"result":"dns_failure","reason":"DNS: ' "$(finished)"

expect_match "an unknown id: 404" '^404 ' "$(api GET /v1/sip/test-call/status?id=7b0b8e3c-1111-4222-8333-944455556666 "${A[@]}")"
expect_match "no id: 400" '^400 .*id' "$(api GET /v1/sip/test-call/status "${A[@]}")"
expect_match "a number not attached for outbound: 404" '^404 .*NUMBER_NOT_FOUND' \
	"$(api POST /v1/sip/test-call "${H[@]}" -d '{"phone_number": "+14150000099"}')"
expect_match "a duration over 60 s: 400" '^400 .*duration' \
	"$(api POST /v1/sip/test-call "${H[@]}" -d '{"phone_number": "+14150000061", "duration": 61}')"
trunkd_stop
finish
