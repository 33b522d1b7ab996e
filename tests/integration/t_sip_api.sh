#!/usr/bin/env bash
# @file t_sip_api.sh  /v1/sip attach, get, detach with the seeds' own curl
# bodies: shapes, errors, redaction, org isolation, per-number results.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
K1=$KEY
new_key --sip
K2=$KEY
new_key
KNOSIP=$KEY
trunkd_start
H=(-H "Authorization: Bearer $K1" -H "Content-Type: application/json")

# seed 000's example has a missing comma between the two direction objects
broken='{"phone_number": "+14150000000", "directions": [ { "type": "inbound" } { "type": "outbound", "sip_endpoint": "sip.customer.com" } ], "service": "sip"}'
r=$(api POST /v1/sip/attach "${H[@]}" -d "$broken")
expect_match "the seed's JSON with a missing comma is a clean 400" '^400 \{"data":null,"errors":\[\{"error":"INVALID_JSON"' "$r"
fixed='{"phone_number": "+14150000000", "directions": [ { "type": "inbound" }, { "type": "outbound", "sip_endpoint": "sip.customer.com" } ], "service": "sip"}'
r=$(api POST /v1/sip/attach "${H[@]}" -d "$fixed")
expect_eq "the corrected seed attach succeeds" '200 {"data":{"configured":["+14150000000"],"failed":[]},"errors":null}' "$r"

r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "authorization: $K1")
expect_match "GET shows inbound with auth_mode ip" '"inbound":\{"number":"\+14150000000","id":"[^"]+","org_id":"'"$ORG"'|"inbound":\{' "$r"
expect_match "GET inbound options" '"direction":"inbound","sip_endpoint":null,"created_at":"20[0-9-]+T[0-9:]+Z","updated_at":"[^"]+","headers":null,"options":\{"auth_mode":"ip"\}' "$r"
expect_match "GET shows the outbound endpoint" '"direction":"outbound","sip_endpoint":"sip.customer.com"' "$r"

# seed 002: outbound with credentials and header mappings
cred='{"phone_number": "+14150000000", "directions": [{"type": "outbound", "sip_endpoint": "sip:your.provider.com", "options": {"port": 5061, "transport": "tls", "secure_media": true, "sip_username": "bland", "sip_password": "password"}, "headers": {"direction": "outbound", "headers": [{ "type": "custom", "key": "x-custom-id", "value": "12345", "passthrough": true }]}}], "service": "sip"}'
r=$(api POST /v1/sip/attach "${H[@]}" -d "$cred")
expect_match "attach with credentials succeeds" '^200 .*"configured":\["\+14150000000"\]' "$r"
r=$(api GET '/v1/sip?phone_number=14150000000' -H "authorization: $K1")
expect_match "options come back without the password" '"options":\{"port":5061,"transport":"tls","secure_media":true,"sip_username":"bland"\}' "$r"
check "no credential appears in GET" bash -c "! grep -q '\"password\"' <<<'$r'"
clear=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM sip_configs WHERE secret LIKE '%password%' OR options::text LIKE '%\"password\"%'")
expect_eq "the password is not stored in clear" 0 "$clear"
sealed=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM sip_configs WHERE secret IS NOT NULL")
expect_eq "the password is stored sealed" 1 "$sealed"

batch='{"phone_numbers": ["+14150000001", "(415) 000-0002", "2001", "+14150000003"], "directions": [{"type": "outbound", "sip_endpoint": "sip:trunk.provider.com", "options": {"transport": "tls", "secure_media": true}}], "service": "sip"}'
r=$(api POST /v1/sip/attach "${H[@]}" -d "$batch")
expect_match "batch: valid numbers configured, normalised" '"configured":\["\+14150000001","\+14150000002","\+14150000003"\]' "$r"
expect_match "batch: the extension fails on its own" '"failed":\[\{"phone_number":"2001","error":"INVALID_PHONE_NUMBER"' "$r"

reg='{"phone_number": "+14150000009", "directions": [{"type": "inbound", "auth_mode": "register", "register_auth": {"username": "pbx1", "password": "longenough"}}], "service": "sip"}'
r1=$(api POST /v1/sip/attach "${H[@]}" -d "$reg")
r2=$(api POST /v1/sip/attach "${H[@]}" -d "$reg")
expect_match "register mode returns a derived PBX password" '"register_password_for_pbx":"[0-9a-f]{32}"' "$r1"
expect_eq "the derived password is deterministic" "$r1" "$r2"
check "the derived password differs from the given one" bash -c "! grep -q longenough <<<'$r1'"

# another organisation
r=$(api POST /v1/sip/attach -H "Authorization: Bearer $K2" -d "$fixed")
expect_match "another org cannot take an attached number" '"failed":\[\{"phone_number":"\+14150000000","error":"NUMBER_IN_USE"' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "Authorization: Bearer $K2")
expect_eq "another org sees nothing of it" '200 {"data":{"inbound":null,"outbound":null},"errors":null}' "$r"

r=$(api POST /v1/sip/attach -H "Authorization: Bearer $KNOSIP" -d "$fixed")
expect_eq "no SIP entitlement: the seeds' exact error" '403 {"data":null,"errors":[{"error":"SIP_NOT_ENABLED","message":"SIP is not enabled for this organization"}]}' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "Authorization: Bearer $KNOSIP")
expect_match "no SIP entitlement on GET too" '^403 .*SIP_NOT_ENABLED' "$r"

r=$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_number": "+14150000000", "service": "sip"}')
expect_match "missing directions is a 400 naming the field" '^400 .*"MISSING_FIELD","message":"directions is required"' "$r"
many=$(printf '"+1415555%04d",' $(seq 0 100)); many="[${many%,}]"
r=$(api POST /v1/sip/attach "${H[@]}" -d "{\"phone_numbers\": $many, \"directions\": [{\"type\": \"inbound\"}], \"service\": \"sip\"}")
expect_match "101 numbers is TOO_MANY_NUMBERS" '^400 .*TOO_MANY_NUMBERS' "$r"
n=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM sip_configs WHERE number LIKE '+1415555%'")
expect_eq "a refused request writes nothing" 0 "$n"

r=$(api POST /v1/sip/detach "${H[@]}" -d '{"phone_number": "+14150000000", "directions": [{"type": "inbound"}], "service": "sip"}')
expect_eq "detach inbound" '200 {"data":{"phone_number":"+14150000000","detached":["inbound"]},"errors":null}' "$r"
r=$(api GET '/v1/sip?phone_number=%2B14150000000' -H "authorization: $K1")
expect_match "after detach inbound is null, outbound stays" '"inbound":null,"outbound":\{' "$r"
r=$(api POST /v1/sip/detach "${H[@]}" -d '{"phone_number": "+14150000000", "directions": [{"type": "inbound"}], "service": "sip"}')
expect_match "detaching again is 404" '^404 .*NOT_FOUND' "$r"
r=$(api POST /v1/sip/detach -H "Authorization: Bearer $K2" -d '{"phone_number": "+14150000000", "directions": [{"type": "outbound"}], "service": "sip"}')
expect_match "another org cannot detach it" '^404 ' "$r"

# seed 000's update example
r=$(api POST /v1/sip/update "${H[@]}" -d '{"phone_number": "+14150000001", "updates": {"type": "outbound", "sip_endpoint": "sip:user@your.provider.com"}}')
expect_match "update changes the endpoint" '^200 \{"data":\{"number":"\+14150000001",.*"direction":"outbound","sip_endpoint":"sip:user@your.provider.com"' "$r"
expect_match "update keeps options it was not given" '"options":\{"transport":"tls","secure_media":true\}' "$r"
r=$(api POST /v1/sip/update "${H[@]}" -d '{"phone_number": "+14150000001", "updates": {"type": "outbound", "options": {"port": 5080}}}')
expect_match "update merges options" '"options":\{"port":5080,"transport":"tls","secure_media":true\}' "$r"
r=$(api POST /v1/sip/update "${H[@]}" -d '{"phone_number": "+14150000001", "updates": {"type": "inbound"}}')
expect_match "updating a direction never attached is 404" '^404 .*NOT_FOUND' "$r"
r=$(api POST /v1/sip/update "${H[@]}" -d '{"phone_number": "+14150000001", "updates": {"type": "outbound", "options": {"transport": "sctp"}}}')
expect_match "update validates like attach" '^400 .*updates.options.transport must be one of' "$r"
r=$(api POST /v1/sip/update -H "Authorization: Bearer $K2" -d '{"phone_number": "+14150000001", "updates": {"type": "outbound", "sip_endpoint": "evil.example"}}')
expect_match "another org cannot update it" '^404 ' "$r"

# pagination over the org's numbers (+14150000000..3 and ..9 are attached)
r=$(api GET '/v1/sip/numbers?limit=2' -H "authorization: $K1")
expect_match "numbers: first page of two with a cursor" '"numbers":\[\{"phone_number":"\+14150000000","inbound_id":[0-9]+,"directions":\["outbound"\].*\{"phone_number":"\+14150000001".*\],"next_cursor":"\+14150000001"' "$r"
all=""
cur=""
for _ in 1 2 3 4; do
	r=$(api GET "/v1/sip/numbers?limit=2&cursor=$(printf %s "$cur" | sed 's/+/%2B/')" -H "authorization: $K1")
	all="$all $(grep -o '"phone_number":"[^"]*"' <<<"$r" | cut -d'"' -f4 | tr '\n' ' ')"
	cur=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' <<<"$r")
	[ -z "$cur" ] && break
done
expect_eq "walking the cursor lists every number once, in order" "+14150000000 +14150000001 +14150000002 +14150000003 +14150000009" "$(echo $all)"
expect_match "the last page has next_cursor null" '"next_cursor":null' "$r"
r=$(api GET '/v1/sip/numbers' -H "Authorization: Bearer $K2")
expect_eq "another org's list is empty" '200 {"data":{"numbers":[],"next_cursor":null},"errors":null}' "$r"
r=$(api GET '/v1/sip/numbers?limit=500' -H "authorization: $K1")
expect_match "limit over 200 is refused" '^400 .*INVALID_FIELD.*limit' "$r"

r=$(api POST /v1/sip/parse-destination "${H[@]}" -d '{"sip_endpoint": "sip:user@host.example:5061;transport=tls"}')
expect_eq "parse-destination of a full SIP URI" '200 {"data":{"host":"host.example","port":5061,"transport":"tls","user":"user","uri":"sip:user@host.example:5061;transport=tls"},"errors":null}' "$r"
r=$(api POST /v1/sip/parse-destination "${H[@]}" -d '{"sip_endpoint": "tls://pbx.example"}')
expect_match "parse-destination defaults tls to 5061" '"host":"pbx.example","port":5061,"transport":"tls"' "$r"
r=$(api POST /v1/sip/parse-destination "${H[@]}" -d '{"sip_endpoint": "pbx.example:99999"}')
expect_match "parse-destination refuses a bad port, saying why" '^400 .*"INVALID_DESTINATION","message":"port must be between 1 and 65535"' "$r"
r=$(api GET /v1/sip/firewall-ips -H "authorization: $K1")
expect_match "firewall-ips gives signalling and the RTP range" '"signaling":\{"ips":\["127.0.0.1"\].*"port":'"$SIPS_PORT"',"transport":"tls"\},"media":\{"ips":\["127.0.0.1"\],"port_range":\{"start":[0-9]+,"end":[0-9]+\},"protocol":"udp"' "$r"
r=$(api GET /v1/sip/outbound-setup -H "authorization: $K1")
expect_match "outbound-setup gives host, port, codecs and SRTP" '"host":"127.0.0.1","port":'"$SIPS_PORT"',"transport":"tls".*"codecs":\["PCMU","PCMA"\].*"suite":"AES_CM_128_HMAC_SHA1_80"' "$r"
r=$(api GET /v1/sip/firewall-ips -H "authorization: $KNOSIP")
expect_match "firewall-ips needs the SIP entitlement" '^403 .*SIP_NOT_ENABLED' "$r"

trunkd_stop
finish
