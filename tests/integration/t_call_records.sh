#!/usr/bin/env bash
# @file t_call_records.sh  What a customer sees after calls: GET /v1/sip/calls
# (filters, pages, bad parameters), one call with its stats, its SIP ladder
# and a pcap that tshark reads; admission (403 for a source outside
# allowed_cidrs and for an org without SIP, 503 over a number's
# max_concurrent_calls); call records kept while PostgreSQL is down and
# written when it returns; records of calls hung up by SIGTERM are written
# before trunkd exits.  Uses a cluster of its own so that it can stop it.
. "$(dirname "$0")/lib.sh"

own_pg_init
new_key --sip
trunkd_start --answer-delay-ms 100 --shutdown-timeout 2
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000011"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000012"], "directions": [{"type": "inbound", "options": {"max_concurrent_calls": 1}}], "service": "sip"}' >/dev/null
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000013"], "directions": [{"type": "inbound", "options": {"allowed_cidrs": ["192.0.2.0/24", "2001:db8::/32"]}}], "service": "sip"}' >/dev/null
expect_match "allowed_cidrs is accepted and shown" '^200 .*"allowed_cidrs":\["192.0.2.0/24","2001:db8::/32"\]' "$(api GET /v1/sip?phone_number=%2B14150000013 "${A[@]}")"
r=$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000019"], "directions": [{"type": "inbound", "options": {"allowed_cidrs": ["10.0.0.1/8"]}}], "service": "sip"}')
expect_match "a block with host bits set is refused, naming the field" '^400 .*allowed_cidrs\[0\]' "$r"
r=$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000019"], "directions": [{"type": "inbound", "options": {"app": "play"}}], "service": "sip"}')
expect_match "app play without a prompt is refused" '^400 .*MISSING_FIELD.*prompt' "$r"

cd "$T_DIR" || exit 1
# records_until N [WHERE]: wait (10 s at most) for N rows in calls
records_until() {
	for _ in $(seq 1 100); do
		[ "$(q "SELECT count(*) FROM calls ${2:-}")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
jget() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^,\"}]*\\).*/\\1/p" | head -1; }

# ---- one call, then what the API shows of it
check "a call is answered and hung up" sippr -sf "$SC/uac_echo.xml" -s 14150000011 -m 1 -d 1000
records_until 1
r=$(api GET /v1/sip/calls "${A[@]}")
expect_match "the list shows the call: inbound, completed, 200, PCMA" '^200 .*"calls":\[\{"id":"[0-9a-f-]{36}","number":"\+14150000011","direction":"inbound".*"status":"completed","sip_code":200.*"codec":"PCMA","srtp":false' "$r"
ID=$(jget id <<<"$r")
r=$(api GET "/v1/sip/calls/$ID" "${A[@]}")
expect_match "one call: its stats and trace size" '^200 .*"stats":\{.*"rx_packets":[1-9][0-9]+.*"trace_messages":[5-9]' "$r"
r=$(api GET "/v1/sip/calls/$ID/trace" "${A[@]}")
ladder=$(grep -o '"first_line":"[^"]*"' <<<"$r" | sed 's/"first_line":"//; s/ sip:[^ ]*//; s/"$//' | tr '\n' ',')
expect_match "the ladder: INVITE, 100, 180, 200, ACK, BYE, 200" '^INVITE SIP/2.0,SIP/2.0 100 Trying,SIP/2.0 180 Ringing,SIP/2.0 200 OK,ACK SIP/2.0,BYE SIP/2.0,SIP/2.0 200 OK,$' "$ladder"
expect_match "ladder messages carry headers, direction and addresses" '"direction":"in","transport":"UDP","src":"127.0.0.1:[0-9]+","dst":"127.0.0.1:'"$SIP_PORT"'","first_line":"INVITE [^"]*","headers":\[\{"name":"Via"' "$r"
curl -s -o "$T_DIR/call.pcap" -w '%{http_code} %{content_type}' "${A[@]}" "http://127.0.0.1:$HTTP/v1/sip/calls/$ID/trace.pcap" >"$T_DIR/pcap_status"
expect_eq "trace.pcap is served as a pcap" "200 application/vnd.tcpdump.pcap" "$(cat "$T_DIR/pcap_status")"
shark=$(timeout 30 tshark -r "$T_DIR/call.pcap" -d "udp.port==$SIP_PORT,sip" -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null | tr '\t\n' ' ,')
expect_match "tshark reads the pcap as the SIP ladder" '^INVITE *, *100 *, *180 *, *200 *,ACK *,BYE *, *200 *,$' "$shark"
expect_match "an unknown call is 404" '^404 .*NOT_FOUND' "$(api GET /v1/sip/calls/00000000-0000-4000-8000-000000000000 "${A[@]}")"
expect_match "a malformed call id is 404" '^404 ' "$(api GET "/v1/sip/calls/x'%20OR%201=1" "${A[@]}")"

# ---- admission
check "a source outside allowed_cidrs gets 403" sippr -sf "$(reject 403 8)" -s 14150000013 -m 1
sippr -sf "$SC/uac_echo.xml" -s 14150000012 -m 1 -d 2000 &
busy=$!
sleep 0.7
check "over the number's max_concurrent_calls: 503" sippr -sf "$(reject 503 8)" -s 14150000012 -m 1
kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null
records_until 2 || fail "the busy call was recorded"

# ---- list: filters, pages, bad parameters
check "three more calls" sippr -sf "$SC/uac_echo.xml" -s 14150000011 -m 3 -r 10 -d 200
records_until 5
r=$(api GET "/v1/sip/calls?number=%2B14150000011&limit=3" "${A[@]}")
cur=$(jget next_cursor <<<"$r")
p1=$(grep -o '"id":"[^"]*"' <<<"$r")
r=$(api GET "/v1/sip/calls?number=%2B14150000011&limit=3&cursor=$cur" "${A[@]}")
p2=$(grep -o '"id":"[^"]*"' <<<"$r")
expect_eq "four calls to +14150000011 in pages of 3 and 1" "3 1" "$(wc -l <<<"$p1") $(wc -l <<<"$p2")"
expect_match "the last page has no next_cursor" '"next_cursor":null' "$r"
expect_eq "no call on both pages" 4 "$(printf '%s\n%s\n' "$p1" "$p2" | sort -u | wc -l)"
all=$(api GET "/v1/sip/calls?limit=200" "${A[@]}" | grep -o '"id":"[^"]*"' | sort -u | wc -l)
expect_eq "five calls in all, no duplicates" 5 "$all"
expect_match "filter by direction" '"calls":\[\]' "$(api GET "/v1/sip/calls?direction=outbound" "${A[@]}")"
expect_match "filter by status" '"calls":\[\{.*"status":"completed"' "$(api GET "/v1/sip/calls?status=completed&limit=1" "${A[@]}")"
expect_match "filter by time: nothing from the future" '"calls":\[\]' "$(api GET "/v1/sip/calls?from=2100-01-01T00:00:00Z" "${A[@]}")"
expect_match "a bad timestamp is 400" '^400 .*INVALID_FIELD.*ISO 8601' "$(api GET "/v1/sip/calls?from=last-tuesday" "${A[@]}")"
expect_match "a bad status is 400" '^400 .*status' "$(api GET "/v1/sip/calls?status=happy" "${A[@]}")"
expect_match "a bad limit is 400" '^400 .*limit' "$(api GET "/v1/sip/calls?limit=0" "${A[@]}")"
expect_match "a forged cursor is 400" '^400 .*cursor' "$(api GET "/v1/sip/calls?cursor=1'--" "${A[@]}")"
expect_match "without a key: 401" '^401 ' "$(api GET /v1/sip/calls)"

# ---- PostgreSQL away: calls go on, records wait, then arrive
own_pg_stop
check "calls go on while PostgreSQL is down" sippr -sf "$SC/uac_echo.xml" -s 14150000011 -m 2 -r 10 -d 200
own_pg_start || fail "PostgreSQL restart"
check "the 2 records kept meanwhile are written when it returns" records_until 7

# ---- the org loses SIP: its numbers get 403
admin org entitle --org "$ORG" --sip off >/dev/null
sleep 0.5
check "a number of an org without SIP gets 403" sippr -sf "$(reject 403 8)" -s 14150000011 -m 1
admin org entitle --org "$ORG" --sip on >/dev/null
sleep 0.5

# ---- SIGTERM with a call up: hung up after --shutdown-timeout, recorded
sippr -sf "$SC/uac_echo.xml" -s 14150000011 -m 1 -d 8000 &
long=$!
sleep 1
trunkd_stop
kill "$long" 2>/dev/null; wait "$long" 2>/dev/null
expect_eq "the call ended by the stop was recorded before exit" 1 "$(q "SELECT count(*) FROM calls WHERE reason = 'server stopping' AND status = 'completed'")"
own_pg_stop
trap - EXIT
finish
