#!/usr/bin/env bash
# @file t_alerts.sh  Alerts.  The failure rate: calls that fail open an
# alert, answered ones resolve it.  Unreachable: a number's endpoint (sipp
# answering OPTIONS)
# goes down; after unreachable_minutes (1) one alert opens and is
# delivered once to each channel — a webhook receiver that answers 503
# twice before 200 (the retries are recorded), an SMTP sink, an SMS
# gateway — signed with the org's secret; the endpoint comes back and the
# alert resolves, once.  A second org without an alert e-mail address gets
# its e-mail reported undeliverable.  Takes a little over a minute.
. "$(dirname "$0")/lib.sh"

db_create
HOOK_PORT=$(free_port) SMTP_PORT=$(free_port) SMS_PORT=$(free_port) OPT_PORT=$(free_port)
sink() { "$TRUNKD_TOOLS/sink" "$@" & T_PIDS+=("$!"); }
sink http "$HOOK_PORT" "$T_DIR/hook.txt" "503,503,200"
sink smtp "$SMTP_PORT" "$T_DIR/mail.txt"
sink http "$SMS_PORT" "$T_DIR/sms.txt"
trunkd_start --health-interval 1 --health-timeout-ms 300 --alert-interval-ms 500 \
	--alert-retry-ms 300 --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
	--smtp-from alerts@trunkd.test --sms-url "http://127.0.0.1:$SMS_PORT/send"
# alerting NUMBER [CHANNELS]: attach NUMBER for outbound to the sipp
# endpoint, alerts enabled (unreachable after 1 minute)
alerting() {
	attach_outbound "$1" "sip:127.0.0.1:$OPT_PORT" >/dev/null
	api PATCH /v1/sip/config -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
		-d '{"phone_number": "'"$1"'", "direction": "outbound", "alert_config": {"enabled": true, "thresholds": {"unreachable_minutes": 1, "response_time_ms": 60000}, "channels": '"$2"'}}'
}
# alerts_until KEY QUERY REGEX: poll GET /v1/sip/alerts?QUERY (90 s at most)
alerts_until() {
	for _ in $(seq 1 450); do
		r=$(api GET "/v1/sip/alerts?$2" -H "Authorization: Bearer $1")
		grep -Eq "$3" <<<"$r" && return 0
		sleep 0.2
	done
	return 1
}

new_key --sip
expect_match "org 2: alerts by e-mail only, no address on file" '^200 ' \
	"$(alerting +14150000096 '{"email": true, "sms": false}')"
new_key --sip
admin org alerts --org "$ORG" --email ops@example.com --phone +14155550100 >/dev/null
expect_match "org 1: every channel" '^200 ' \
	"$(alerting +14150000095 '{"email": true, "sms": true, "webhook": "http://127.0.0.1:'"$HOOK_PORT"'/hook"}')"
SECRET=$(api GET /v1/sip/alerts/webhook-secret -H "Authorization: Bearer $KEY" | sed -n 's/.*"webhook_secret":"\([0-9a-f]*\)".*/\1/p')
check "the org has a webhook secret" test ${#SECRET} -eq 64

options_up 110
for _ in $(seq 1 50); do api GET '/v1/sip/status?phone_number=%2B14150000095' -H "Authorization: Bearer $KEY" | grep -q '"state":"healthy"' && break; sleep 0.1; done
options_down

# meanwhile, the failure rate: 5 calls to a closed port all fail (100 %
# over 20 %), then 20 answered calls bring it to 20 %: opens, resolves
HOOK2_PORT=$(free_port)
sink http "$HOOK2_PORT" "$T_DIR/hook2.txt"
api POST /v1/sip/attach -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
	-d '{"phone_numbers": ["+14150000098"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null
alerting +14150000097 '{"webhook": "http://127.0.0.1:'"$HOOK2_PORT"'/rate"}' >/dev/null
api PATCH /v1/sip/config -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
	-d '{"phone_number": "+14150000097", "direction": "outbound", "alert_config": {"enabled": true, "thresholds": {"unreachable_minutes": 60, "failure_rate_percent": 20, "failure_rate_window_minutes": 5}, "channels": {"webhook": "http://127.0.0.1:'"$HOOK2_PORT"'/rate"}}}' >/dev/null
api POST /v1/sip/update -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
	-d '{"phone_number": "+14150000097", "updates": {"type": "outbound", "sip_endpoint": "sip:127.0.0.1:'"$(free_port)"';transport=tcp"}}' >/dev/null
for _ in 1 2 3 4 5; do
	api POST /v1/calls -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d '{"from": "+14150000097", "to": "+14150000098"}' >/dev/null
done
check "5 failed calls of 5: a failure_rate alert opens" alerts_until "$KEY" "status=open&phone_number=%2B14150000097" '"kind":"failure_rate","status":"open","opened_at":"[^"]+","resolved_at":null,"details":\{"calls":5,"failed":5'
api POST /v1/sip/update -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
	-d '{"phone_number": "+14150000097", "updates": {"type": "outbound", "sip_endpoint": "sip:127.0.0.1:'"$SIP_PORT"'"}}' >/dev/null
for _ in $(seq 1 20); do
	api POST /v1/calls -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d '{"from": "+14150000097", "to": "+14150000098", "max_duration": 1}' >/dev/null
done
check "20 answered calls later (5 of 25 = 20 %): it resolves" alerts_until "$KEY" "status=resolved&phone_number=%2B14150000097" '"kind":"failure_rate","status":"resolved"'
check "the receiver got the opening and the resolution" bash -c "grep -q 'X-Trunkd-Event: alert.opened' '$T_DIR/hook2.txt' && grep -q 'X-Trunkd-Event: alert.resolved' '$T_DIR/hook2.txt'"

log "endpoint stopped; waiting a minute for the alert"
check "an unreachable alert opens after a minute" alerts_until "$KEY" "status=open" '"kind":"unreachable","status":"open"'
# deliv NUMBER EVENT CHANNEL: "status|results of the attempts" once final
deliv() {
	q_until "SELECT d->>'status' || '|' || coalesce((SELECT string_agg(a->>'result' || ':' || (a->>'status'), ',') FROM jsonb_array_elements(d->'attempts') a), '') || coalesce('|' || (d->>'reason'), '') FROM alerts, jsonb_array_elements(deliveries) d WHERE phone_number = '$1' AND d->>'event' = '$2' AND d->>'channel' = '$3' AND d->>'status' <> 'pending'"
}
expect_eq "the webhook: two 503s, then delivered" "delivered|failed:503,failed:503,delivered:200" "$(deliv +14150000095 opened webhook)"
expect_eq "e-mail delivered (SMTP 250)" "delivered|delivered:250" "$(deliv +14150000095 opened email)"
expect_eq "SMS delivered" "delivered|delivered:200" "$(deliv +14150000095 opened sms)"
expect_eq "org 2: the e-mail undeliverable, and why" "undeliverable||the organization has no alert_email" "$(deliv +14150000096 opened email)"
r=$(api GET '/v1/sip/alerts?status=open' -H "Authorization: Bearer $KEY")
log "alerts: $r"
expect_match "the API lists it with its deliveries" '"alerts":\[\{"id":"[^"]+","phone_number":"\+14150000095","direction":"outbound","kind":"unreachable","status":"open","opened_at":"[^"]+","resolved_at":null,"details":\{.*"deliveries":\[' "$r"
expect_eq "the webhook receiver got the same event three times (two refused)" 3 "$(grep -c '^X-Trunkd-Event: alert.opened' "$T_DIR/hook.txt")"
body=$(awk '/^POST /{n++} n==3 && p{print; exit} n==3 && /^$/{p=1}' "$T_DIR/hook.txt")
sig=$(awk '/^POST /{n++} n==3 && /^X-Trunkd-Signature:/{print $2; exit}' "$T_DIR/hook.txt")
expect_eq "the signature is HMAC-SHA256 of the body with the org's secret" \
	"sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')" "$sig"
expect_match "the webhook body" '^\{"event":"alert.opened","alert":\{"id":"[^"]+","phone_number":"\+14150000095","direction":"outbound","kind":"unreachable","opened_at":"[^"]+","resolved_at":null,"details":\{"endpoint":"127.0.0.1:'"$OPT_PORT"'","unreachable_minutes":1,"since":"[^"]+"\}\}\}$' "$body"
check "the mail went through the SMTP relay" grep -q "^Subject: \[trunkd\] alert opened: unreachable +14150000095" "$T_DIR/mail.txt"
check "from and to" grep -q "^RCPT TO:<ops@example.com>" "$T_DIR/mail.txt"
check "the SMS gateway got the number and text" grep -q '"to":"+14155550100","text":"trunkd: alert opened: unreachable on +14150000095"' "$T_DIR/sms.txt"

options_up 110
check "the endpoint is back: the alert resolves" alerts_until "$KEY" "status=resolved" '"kind":"unreachable","status":"resolved","opened_at":"[^"]+","resolved_at":"20'
expect_eq "the resolution is delivered" "delivered|delivered:200" "$(deliv +14150000095 resolved webhook)"
expect_eq "one alert for the whole outage (no storm)" 1 "$(q "SELECT count(*) FROM alerts WHERE phone_number = '+14150000095'")"
expect_eq "the receiver got one resolution" 1 "$(grep -c '^X-Trunkd-Event: alert.resolved' "$T_DIR/hook.txt")"
expect_match "a bad status filter: 400" '^400 ' "$(api GET '/v1/sip/alerts?status=maybe' -H "Authorization: Bearer $KEY")"
trunkd_stop
finish
