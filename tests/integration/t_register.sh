#!/usr/bin/env bash
# @file t_register.sh  auth_mode register: trunkd registers at the PBX (a
# sipp registrar that challenges and checks the username and the password
# derived for the PBX), refreshes before the 4 s binding expires, shows the
# binding in GET /v1/sip, and a call the PBX sends to the registered
# Contact is answered.  A wrong password at the PBX shows as failed.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start
cd "$T_DIR" || exit 1

# registrar USER PASSWORD: the sipp registrar, in the background
registrar() {
	printf 'SEQUENTIAL\n%s;%s;\n' "$1" "$2" >creds.csv
	REG_PORT=$(free_port)
	: >reg.log
	timeout 30 sipp -sf "$SC/uas_register.xml" -i 127.0.0.1 -p "$REG_PORT" \
		-inf creds.csv -m 1 -timeout 25 -nostdin -trace_logs -log_file reg.log \
		>/dev/null 2>&1 &
	REG_PID=$!
	T_PIDS+=("$REG_PID")
	sleep 0.3
}

registrar pbxuser placeholder
# the derived password is known only after attaching: attach first, then
# restart the registrar with it (trunkd retries with back-off meanwhile)
r=$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000071"], "directions": [{"type": "inbound", "sip_endpoint": "sip:127.0.0.1:'"$REG_PORT"'", "auth_mode": "register", "register_auth": {"username": "pbxuser", "password": "pbx-secret-1"}}], "service": "sip"}')
pw=$(sed -n 's/.*"register_password_for_pbx":"\([^"]*\)".*/\1/p' <<<"$r")
expect_match "attach returns the password for the PBX" '^[A-Za-z0-9]{32}$' "$pw"
for _ in $(seq 1 50); do grep -q "REGISTER at .*403" "$TK_LOG" && break; sleep 0.1; done
check "a registrar that refuses: trunkd logs it" grep -q "REGISTER at sip:127.0.0.1:$REG_PORT;transport=udp: 403 Forbidden" "$TK_LOG"
expect_match "GET /v1/sip shows the failed binding" '"registration":\{"state":"failed".*"last_code":403,"last_error":"403 Forbidden"' \
	"$(api GET '/v1/sip?phone_number=%2B14150000071' "${A[@]}")"
wait "$REG_PID"

# the registrar with the right password, on a new port: update the endpoint
registrar pbxuser "$pw"
expect_match "the endpoint is updated" '^200 ' \
	"$(api POST /v1/sip/update "${H[@]}" -d '{"phone_number": "+14150000071", "updates": {"type": "inbound", "sip_endpoint": "sip:127.0.0.1:'"$REG_PORT"'"}}')"
for _ in $(seq 1 50); do grep -q "CONTACT" reg.log && break; sleep 0.1; done
contact=$(sed -n 's/.*CONTACT \([^ ]*\).*/\1/p' reg.log | head -1)
expect_match "the binding's Contact is the number at trunkd's SIP port" "^\+14150000071@127\.0\.0\.1:$SIP_PORT\$" "$contact"
for _ in $(seq 1 30); do api GET '/v1/sip?phone_number=%2B14150000071' "${A[@]}" | grep -q '"state":"registered"' && break; sleep 0.1; done
expect_match "GET /v1/sip shows it registered" '"registration":\{"state":"registered","registrar":"sip:127.0.0.1:'"$REG_PORT"';transport=udp","username":"pbxuser","registered_at":"[^"]+","expires_at":"[^"]+"' \
	"$(api GET '/v1/sip?phone_number=%2B14150000071' "${A[@]}")"
expect_match "so does GET /v1/sip/status (registration, no health check of a registrar)" '"direction":"inbound","sip_endpoint":"sip:127.0.0.1:'"$REG_PORT"'","state":"unchecked","endpoints":\[\],"registration":\{"state":"registered"' \
	"$(api GET '/v1/sip/status?phone_number=%2B14150000071' "${A[@]}")"
wait "$REG_PID"
expect_eq "the registrar verified both REGISTERs and saw the refresh" 0 "$?"
check "the refresh came before the 4 s binding expired, with credentials" grep -q REFRESHED reg.log

# the PBX calls the registered Contact
user=${contact%@*}; hostport=${contact#*@}
check "a call to the Contact is answered and completes" \
	timeout 60 sipp "$hostport" -s "$user" -sf "$SC/uac_echo.xml" -i 127.0.0.1 -p "$(free_port)" \
	-mp "$(free_port)" -m 1 -d 500 -timeout 50 -nostdin
expect_eq "its record: inbound to the number, completed" "inbound|completed" \
	"$(q_until "SELECT direction, status FROM calls WHERE number = '+14150000071'")"
trunkd_stop
finish
