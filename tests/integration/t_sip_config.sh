#!/usr/bin/env bash
# @file t_sip_config.sh  PATCH /v1/sip/config (seed 004), trunks and their
# inheritance, GET ?inbound_id= (seed 000), the 10-configuration limit, the
# admin metrics listener, and a second trunkd converging through NOTIFY.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
K1=$KEY
new_key --sip
K2=$KEY
METRICS=$(free_port)
trunkd_start --metrics-listen "127.0.0.1:$METRICS"
H=(-H "Authorization: Bearer $K1" -H "Content-Type: application/json")

api POST /v1/sip/attach "${H[@]}" -d '{"phone_number": "+14150000000", "directions": [{"type": "inbound"}, {"type": "outbound", "sip_endpoint": "sip.customer.com"}], "service": "sip"}' >/dev/null

# seed 004's example, verbatim
seed='{
    "phone_number": "+14150000000",
    "direction": "outbound",
    "failover_config": {
      "enabled": true,
      "endpoints": [
        { "host": "backup1.sip.provider.com", "port": 5061, "transport": "tls", "priority": 1 },
        { "host": "backup2.sip.provider.com", "port": 5061, "transport": "tls", "priority": 2 }
      ],
      "triggers": ["unreachable", "timeout"],
      "failback": "auto"
    },
    "codec_config": {
      "codecs": ["PCMU", "PCMA", "Opus"],
      "transcode": true
    },
    "alert_config": {
      "enabled": true,
      "thresholds": {
        "unreachable_minutes": 5,
        "failure_rate_percent": 20,
        "failure_rate_window_minutes": 30,
        "response_time_ms": 500
      },
      "channels": {
        "email": true,
        "sms": false,
        "webhook": "https://hooks.example.com/sip-alerts"
      }
    }
  }'
r=$(api PATCH /v1/sip/config "${H[@]}" -d "$seed")
expect_match "seed 004's PATCH succeeds" '^200 \{"data":\{"number":"\+14150000000",.*"direction":"outbound"' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "authorization: $K1")
expect_match "GET returns the failover config" '"failover_config":\{"enabled":true,"endpoints":\[\{"host":"backup1.sip.provider.com","port":5061,"transport":"tls","priority":1\},\{"host":"backup2.sip.provider.com","port":5061,"transport":"tls","priority":2\}\],"triggers":\["unreachable","timeout"\],"failback":"auto"\}' "$r"
expect_match "GET returns the codec config" '"codec_config":\{"codecs":\["PCMU","PCMA","Opus"\],"transcode":true\}' "$r"
expect_match "GET returns the alert config" '"alert_config":\{"enabled":true,"thresholds":\{"unreachable_minutes":5,"failure_rate_percent":20,"failure_rate_window_minutes":30,"response_time_ms":500\},"channels":\{"email":true,"sms":false,"webhook":"https://hooks.example.com/sip-alerts"\}\}' "$r"
expect_match "inbound is untouched by an outbound PATCH" '"inbound":\{[^}]*"options":\{"auth_mode":"ip"\}\}' "$r"

# seed 004's template with empty objects: defaults filled in
r=$(api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000000", "direction": "inbound", "failover_config": {}, "codec_config": {}, "alert_config": {}}')
expect_match "empty objects get defaults" '"codec_config":\{"codecs":\["PCMU","PCMA"\],"transcode":false\}' "$r"

# field-by-field validation
bad() { # DESCRIPTION BODY REGEX
	local r
	r=$(api PATCH /v1/sip/config "${H[@]}" -d "$2")
	expect_match "$1" "^400 .*$3" "$r"
}
bad "unknown codec" '{"phone_number": "+14150000000", "direction": "outbound", "codec_config": {"codecs": ["PCMU", "iLBC"]}}' '"INVALID_FIELD".*codec_config.codecs must be one of: PCMU, PCMA, G.729, Opus, G.722'
bad "duplicate codec" '{"phone_number": "+14150000000", "direction": "outbound", "codec_config": {"codecs": ["PCMU", "PCMU"]}}' 'listed twice'
bad "unknown trigger" '{"phone_number": "+14150000000", "direction": "outbound", "failover_config": {"triggers": ["busy"]}}' 'failover_config.triggers must be one of'
bad "failback must be auto or manual" '{"phone_number": "+14150000000", "direction": "outbound", "failover_config": {"failback": "sometimes"}}' 'failover_config.failback must be one of: auto, manual'
bad "endpoint port range" '{"phone_number": "+14150000000", "direction": "outbound", "failover_config": {"endpoints": [{"host": "a.example", "port": 70000}]}}' 'failover_config.endpoints\[0\].port'
bad "endpoint host required" '{"phone_number": "+14150000000", "direction": "outbound", "failover_config": {"endpoints": [{"port": 5060}]}}' '"MISSING_FIELD".*failover_config.endpoints\[0\].host'
bad "enabled failover needs an endpoint" '{"phone_number": "+14150000000", "direction": "outbound", "failover_config": {"enabled": true}}' 'at least one endpoint'
bad "webhook must be a URL" '{"phone_number": "+14150000000", "direction": "outbound", "alert_config": {"channels": {"webhook": "not a url"}}}' 'alert_config.channels.webhook must be an http\(s\) URL'
bad "threshold range" '{"phone_number": "+14150000000", "direction": "outbound", "alert_config": {"thresholds": {"failure_rate_percent": 150}}}' 'alert_config.thresholds.failure_rate_percent'
bad "unknown field" '{"phone_number": "+14150000000", "direction": "outbound", "codec_config": {"codecs": ["PCMU"], "vad": true}}' 'vad'
bad "direction required" '{"phone_number": "+14150000000", "codec_config": {}}' '"MISSING_FIELD".*direction'
bad "nothing to change" '{"phone_number": "+14150000000", "direction": "outbound"}' '"MISSING_FIELD".*at least one of'
r=$(api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000099", "direction": "outbound", "codec_config": {}}')
expect_match "PATCH on a number never attached is 404" '^404 .*NOT_FOUND' "$r"
r=$(api PATCH /v1/sip/config -H "Authorization: Bearer $K2" -d "$seed")
expect_match "another org cannot PATCH it" '^404 ' "$r"
r=$(api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000000", "direction": "inbound", "alert_config": null}')
check "null removes a config" bash -c "! grep -q '\"direction\":\"inbound\".*alert_config' <<<'$r'"

# at most 10 SIP configurations per number: 2 directions + 8 failover endpoints
eps() { local n=$1 i out=""; for i in $(seq 1 "$n"); do out+="${out:+,}{\"host\":\"b$i.example\",\"priority\":$i}"; done; echo "[$out]"; }
r=$(api PATCH /v1/sip/config "${H[@]}" -d "{\"phone_number\": \"+14150000000\", \"direction\": \"inbound\", \"failover_config\": {\"endpoints\": $(eps 6)}}")
expect_match "2 directions + 2 + 6 endpoints = 10 configurations is allowed" '^200 ' "$r"
r=$(api PATCH /v1/sip/config "${H[@]}" -d "{\"phone_number\": \"+14150000000\", \"direction\": \"inbound\", \"failover_config\": {\"endpoints\": $(eps 7)}}")
expect_match "an 11th configuration is refused" '^400 .*TOO_MANY_CONFIGURATIONS' "$r"
r=$(api PATCH /v1/sip/config "${H[@]}" -d "{\"phone_number\": \"+14150000000\", \"direction\": \"outbound\", \"failover_config\": {\"endpoints\": $(eps 10)}}")
expect_match "more than 9 endpoints is refused before the database" '^400 .*TOO_MANY_CONFIGURATIONS' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "authorization: $K1")
expect_match "the refused change left the stored config as it was" '"inbound":\{.*"endpoints":\[(\{[^}]*\},?){6}\]' "$r"

# GET ?inbound_id= (seed 000's older form)
r=$(api GET '/v1/sip/numbers' -H "authorization: $K1")
IID=$(sed -n 's/.*"inbound_id":\([0-9]*\).*/\1/p' <<<"$r")
r=$(api GET "/v1/sip?inbound_id=$IID" -H "authorization: $K1")
expect_eq "GET ?inbound_id= has seed 000's shape" '200 {"data":{"phone_number":"+14150000000","directions":["inbound","outbound"]},"errors":null}' "$r"
r=$(api GET "/v1/sip?inbound_id=$IID" -H "authorization: $K2")
expect_match "another org's inbound_id is 404" '^404 .*NOT_FOUND' "$r"
r=$(api GET '/v1/sip?inbound_id=12345' -H "authorization: $K1")
expect_match "seed 000's example id (unknown here) is a clean 404" '^404 .*inbound_id 12345' "$r"
r=$(api GET '/v1/sip?inbound_id=abc' -H "authorization: $K1")
expect_match "a non-numeric inbound_id is 400" '^400 .*INVALID_FIELD' "$r"

# trunks
r=$(api POST /v1/sip/trunks "${H[@]}" -d '{"name": "main", "sip_endpoint": "sip:pbx.example.com", "options": {"transport": "tls", "port": 5061, "sip_username": "acme", "sip_password": "s3cret-pass"}}')
expect_match "create a trunk: 201" '^201 \{"data":\{"id":"trk_[0-9a-f]{32}","org_id":"[^"]+","name":"main","sip_endpoint":"sip:pbx.example.com","options":\{"port":5061,"transport":"tls","sip_username":"acme"\}' "$r"
TRUNK=$(sed -n 's/.*"id":"\(trk_[0-9a-f]*\)".*/\1/p' <<<"$r")
check "the trunk password is never shown" bash -c "! grep -q 's3cret' <<<'$r'"
clear=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM sip_trunks WHERE secret LIKE '%s3cret%' OR options::text LIKE '%s3cret%'")
expect_eq "the trunk password is stored sealed" 0 "$clear"
r=$(api POST /v1/sip/trunks "${H[@]}" -d '{"sip_endpoint": "x"}')
expect_match "a trunk needs a name" '^400 .*"MISSING_FIELD".*name' "$r"
r=$(api POST /v1/sip/trunks "${H[@]}" -d '{"name": "t", "options": {"transport": "sctp"}}')
expect_match "trunk options are validated" '^400 .*trunk.options.transport must be one of' "$r"

# seed 002's trunk-bound attach, with the trunk's real id
r=$(api POST /v1/sip/attach "${H[@]}" -d "{\"phone_numbers\": [\"+14155550100\", \"2001\"], \"directions\": [{ \"type\": \"inbound\" }, { \"type\": \"outbound\" }], \"service\": \"sip\", \"trunk_id\": \"$TRUNK\"}")
expect_eq "bind an E.164 number and an extension to the trunk" '200 {"data":{"configured":["+14155550100","2001"],"failed":[]},"errors":null}' "$r"
r=$(api GET '/v1/sip?phone_number=2001' -H "authorization: $K1")
expect_match "a bound number inherits the trunk's endpoint and options" '"outbound":\{[^{]*"sip_endpoint":"sip:pbx.example.com".*"options":\{"port":5061,"transport":"tls","sip_username":"acme"\},"trunk_id":"'"$TRUNK"'"' "$r"
r=$(api PATCH "/v1/sip/trunks/$TRUNK" "${H[@]}" -d '{"sip_endpoint": "sip:pbx2.example.com", "options": {"port": 5062}}')
expect_match "update the trunk" '^200 .*"sip_endpoint":"sip:pbx2.example.com","options":\{"port":5062,"transport":"tls","sip_username":"acme"\}' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14155550100' -H "authorization: $K1")
expect_match "bound numbers follow the trunk at once" '"outbound":\{[^{]*"sip_endpoint":"sip:pbx2.example.com".*"port":5062' "$r"
r=$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_number": "2002", "directions": [{"type": "inbound"}], "service": "sip", "trunk_id": "trk_nope"}')
expect_match "trunk_id must exist" '^404 .*TRUNK_NOT_FOUND.*trunk_id' "$r"
r=$(api POST /v1/sip/attach -H "Authorization: Bearer $K2" -d "{\"phone_number\": \"2002\", \"directions\": [{\"type\": \"inbound\"}], \"service\": \"sip\", \"trunk_id\": \"$TRUNK\"}")
expect_match "another org cannot use the trunk" '^404 .*TRUNK_NOT_FOUND' "$r"
r=$(api GET "/v1/sip/trunks/$TRUNK" -H "authorization: $K2")
expect_match "another org cannot see the trunk" '^404 ' "$r"
r=$(api GET /v1/sip/trunks -H "authorization: $K1")
expect_match "list the org's trunks" '^200 \{"data":\{"trunks":\[\{"id":"'"$TRUNK"'"' "$r"
r=$(api GET /v1/sip/trunks -H "authorization: $K2")
expect_eq "another org's list is empty" '200 {"data":{"trunks":[]},"errors":null}' "$r"
r=$(api DELETE "/v1/sip/trunks/$TRUNK" -H "authorization: $K1")
expect_match "a trunk in use cannot be deleted" '^409 .*TRUNK_IN_USE' "$r"

# a second trunkd on the same database converges through LISTEN/NOTIFY
HTTP1=$HTTP PID1=$TK_PID LOG1=$TK_LOG
T_DIR2=$(mktemp -d); TK_LOG_SAVE=$T_DIR; T_DIR=$T_DIR2
trunkd_start
HTTP2=$HTTP; HTTP=$HTTP1
r=$(api POST /v1/sip/detach "${H[@]}" -d '{"phone_number": "2001", "directions": [{"type": "inbound"}, {"type": "outbound"}], "service": "sip"}')
expect_match "detach the extension (first trunkd)" '^200 ' "$r"
r=$(api DELETE "/v1/sip/trunks/$TRUNK" -H "authorization: $K1")
expect_match "still in use by +14155550100" '^409 ' "$r"
api POST /v1/sip/detach "${H[@]}" -d '{"phone_number": "+14155550100", "directions": [{"type": "inbound"}, {"type": "outbound"}], "service": "sip"}' >/dev/null
r=$(api DELETE "/v1/sip/trunks/$TRUNK" -H "authorization: $K1")
expect_match "an unused trunk is deleted" '^200 \{"data":\{"id":"'"$TRUNK"'","deleted":true\}' "$r"
api PATCH /v1/sip/config "${H[@]}" -d '{"phone_number": "+14150000000", "direction": "outbound", "codec_config": {"codecs": ["PCMA"]}}' >/dev/null
HTTP=$HTTP2
for _ in $(seq 1 50); do
	r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "authorization: $K1")
	[[ $r =~ \"codecs\":\[\"PCMA\"\] ]] && break
	sleep 0.1
done
expect_match "the other trunkd sees the PATCH" '"codec_config":\{"codecs":\["PCMA"\]' "$r"
r=$(api GET "/v1/sip/trunks/$TRUNK" -H "authorization: $K1")
expect_match "the other trunkd forgot the deleted trunk" '^404 ' "$r"
r=$(api GET '/v1/sip?phone_number=2001' -H "authorization: $K1")
expect_eq "the other trunkd saw the detach" '200 {"data":{"inbound":null,"outbound":null},"errors":null}' "$r"
trunkd_stop
T_DIR=$TK_LOG_SAVE; rm -rf "$T_DIR2"
HTTP=$HTTP1 TK_PID=$PID1 TK_LOG=$LOG1

# metrics only on the admin listener
r=$(curl -s --max-time 5 "http://127.0.0.1:$METRICS/metrics")
expect_match "metrics on the admin listener" 'trunkd_sip_numbers [0-9]+' "$r"
expect_match "HTTP request counts are the API's" 'trunkd_http_requests_total' "$r"
r=$(api GET /metrics)
expect_match "not on the public API listener" '^404 ' "$r"
trunkd_stop
finish
