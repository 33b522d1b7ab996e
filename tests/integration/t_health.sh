#!/usr/bin/env bash
# @file t_health.sh  Health checks and failback: trunkd probes a number's
# endpoints with OPTIONS (every second here); a sipp endpoint that answers
# goes healthy, stopped it goes unreachable after two probes, and calls
# then skip it for the failover endpoint (trunkd itself); started again it
# goes healthy and `failback: auto` sends calls back to it; with `manual`
# the number stays failed over until POST /v1/sip/failback.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start --health-interval 1 --health-timeout-ms 500
call_id() { sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' <<<"$1"; }
status_of() { api GET "/v1/sip/status?phone_number=$1" "${A[@]}"; }
# until_status NUMBER REGEX: poll GET /v1/sip/status (10 s at most)
until_status() {
	for _ in $(seq 1 100); do
		status_of "$1" | grep -Eq "$2" && return 0
		sleep 0.1
	done
	return 1
}
OPT_PORT=$(free_port)

options_up
api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000092"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null
expect_match "a number with a failover endpoint (trunkd itself)" '^200 ' \
	"$(attach_outbound +14150000091 "sip:127.0.0.1:$OPT_PORT")"
expect_match "failover: timeout 2 s, failback auto" '^200 ' "$(api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000091", "direction": "outbound", "failover_config": {"enabled": true, "endpoints": [{"host": "127.0.0.1", "port": '"$SIP_PORT"', "transport": "udp", "priority": 1}], "triggers": ["unreachable", "timeout"], "failback": "auto", "timeout_seconds": 2}}')"
check "the primary goes healthy" until_status +14150000091 '"state":"healthy","endpoints":\[\{"host":"127.0.0.1","port":'"$OPT_PORT"
check "so does the failover endpoint (trunkd answers OPTIONS)" until_status +14150000091 '"port":'"$SIP_PORT"',"transport":"udp","state":"healthy"'
r=$(status_of +14150000091)
log "status: $r"
expect_match "figures: last check, 200, 100 % up, response times, primary active" \
	'"state":"healthy","last_check":"20[^"]+","last_code":200,"last_error":null,"uptime_24h":100(\.0)?,"uptime_7d":100(\.0)?,"avg_response_ms":[0-9]+,"p95_response_ms":[0-9]+,"probes_24h":[0-9]+,"role":"primary"' "$r"
expect_match "and calls start at the primary" '"failover":\{"active":"primary","failed_over_at":null,"reason":null,"failback":"auto"\}' "$r"
expect_match "an inbound-only number is unchecked" '"direction":"inbound","sip_endpoint":null,"state":"unchecked","endpoints":\[\]' \
	"$(status_of +14150000092)"

options_down
check "stopped, the primary goes unreachable" until_status +14150000091 '"state":"unreachable","endpoints"'
r=$(status_of +14150000091)
expect_match "with the reason and less than 100 % uptime" '"state":"unreachable","last_check":"[^"]+","last_code":null,"last_error":"no reply in 500 ms","uptime_24h":[0-9]{1,2}(\.[0-9]+)?,' "$r"
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000091", "to": "+14150000092"}')")
for _ in $(seq 1 50); do api GET "/v1/calls/$C" "${A[@]}" | grep -q '"status":"in_progress"' && break; sleep 0.1; done
r=$(api GET "/v1/calls/$C" "${A[@]}")
expect_match "a call skips the unreachable primary and is answered at once by the failover endpoint" \
	'"status":"in_progress".*"attempts":\[\{"host":"127.0.0.1","port":'"$OPT_PORT"',"transport":"udp","result":"skipped",.*\{"host":"127.0.0.1","port":'"$SIP_PORT"',"transport":"udp","result":"answered"' "$r"
api POST "/v1/calls/$C/hangup" "${A[@]}" >/dev/null
expect_match "the number is failed over" '"failover":\{"active":"failover","failed_over_at":"20[^"]+","reason":"health checks find the primary unreachable","failback":"auto"\}' \
	"$(status_of +14150000091)"

options_up
check "back, the primary goes healthy again" until_status +14150000091 '"state":"healthy","endpoints"'
expect_match "and failback is automatic" '"failover":\{"active":"primary"' "$(status_of +14150000091)"
C=$(call_id "$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000091", "to": "+14150000092"}')")
for _ in $(seq 1 60); do api GET "/v1/calls/$C" "${A[@]}" | grep -q '"status":"in_progress"' && break; sleep 0.1; done
expect_match "the next call tries the primary first (it answers no INVITE: timeout, then the failover endpoint)" \
	'"attempts":\[\{"host":"127.0.0.1","port":'"$OPT_PORT"',"transport":"udp","result":"timeout",.*"port":'"$SIP_PORT"',"transport":"udp","result":"answered"' \
	"$(api GET "/v1/calls/$C" "${A[@]}")"
api POST "/v1/calls/$C/hangup" "${A[@]}" >/dev/null
expect_match "that timeout failed the number over again" '"failover":\{"active":"failover","failed_over_at":"[^"]+","reason":"no answer from 127.0.0.1 in 2 s"' \
	"$(status_of +14150000091)"

# manual: healthy is not enough, the API decides
api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000091", "direction": "outbound", "failover_config": {"enabled": true, "endpoints": [{"host": "127.0.0.1", "port": '"$SIP_PORT"', "transport": "udp", "priority": 1}], "triggers": ["unreachable", "timeout"], "failback": "manual", "timeout_seconds": 2}}' >/dev/null
sleep 3
expect_match "failback manual: still failed over while the primary is healthy" '"state":"healthy","endpoints".*"failover":\{"active":"failover".*"failback":"manual"' \
	"$(status_of +14150000091)"
expect_eq "POST /v1/sip/failback" '200 {"data":{"phone_number":"+14150000091","direction":"outbound","active":"primary","was_failed_over":true},"errors":null}' \
	"$(api POST /v1/sip/failback "${H[@]}" -d '{"phone_number": "+14150000091"}')"
expect_match "back on the primary" '"failover":\{"active":"primary"' "$(status_of +14150000091)"
expect_match "failback again: nothing to do" '"was_failed_over":false' "$(api POST /v1/sip/failback "${H[@]}" -d '{"phone_number": "+14150000091"}')"
expect_match "failback of a number not ours: 404" '^404 .*NUMBER_NOT_FOUND' "$(api POST /v1/sip/failback "${H[@]}" -d '{"phone_number": "+14150000099"}')"
expect_match "a bad direction: 400" '^400 .*INVALID_FIELD' "$(api POST /v1/sip/failback "${H[@]}" -d '{"phone_number": "+14150000091", "direction": "sideways"}')"
expect_match "status of a number not attached: 404" '^404 .*NUMBER_NOT_FOUND' "$(status_of +14150000099)"
expect_match "status of every number, sorted" '"numbers":\[\{"phone_number":"\+14150000091".*\{"phone_number":"\+14150000092"' \
	"$(api GET /v1/sip/status "${A[@]}")"
trunkd_stop
stored=$(q "SELECT count(*), count(*) FILTER (WHERE NOT alive) FROM health_probes WHERE endpoint = 'udp:127.0.0.1:$OPT_PORT'")
log "probe results stored (all, failed): $stored"
check "every probe result is in PostgreSQL, failures too" test "${stored%|*}" -gt 5 -a "${stored#*|}" -ge 2

# a new trunkd reads the history back: the outage is still in the uptime
trunkd_start --health-interval 1 --health-timeout-ms 500
check "after a restart" until_status +14150000091 '"state":"healthy","endpoints"'
expect_match "the uptime still counts the outage before the restart" \
	'"port":'"$OPT_PORT"',"transport":"udp","state":"healthy",[^}]*"uptime_24h":[0-9]{1,2}(\.[0-9]+)?,' "$(status_of +14150000091)"
trunkd_stop
finish
