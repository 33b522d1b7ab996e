#!/usr/bin/env bash
# @file t_port.sh  Number porting, end to end: check → upload → initiate →
# LOA → sign → signed carrier events → completed → the number attaches;
# then each refusal: bad numbers, the 7-day rule, a disguised file, an
# 11 MB upload, another org's document, invalid transitions, a cancel
# after completion, forged carrier events, and the operator's set-status.
. "$(dirname "$0")/lib.sh"

db_create
CARRIER=carrier-test-secret
DOCS="$T_DIR/documents"
HOOK_PORT=$(free_port)
"$TRUNKD_TOOLS/sink" http "$HOOK_PORT" "$T_DIR/hook.txt" "503,200" & T_PIDS+=("$!")
trunkd_start --port-carrier-secret "$CARRIER" --documents-dir "$DOCS" --alert-retry-ms 200
new_key --sip
admin org alerts --org "$ORG" --webhook "http://127.0.0.1:$HOOK_PORT/port" >/dev/null
J=(-H "Content-Type: application/json")
# date_in DAYS [business]: YYYY-MM-DD that many days ahead (UTC), moved to
# the next Monday-Friday when asked
date_in() {
	local d=$1
	if [ "${2:-}" = business ]; then
		while [ "$(date -u -d "+$d days" +%u)" -gt 5 ]; do d=$((d + 1)); done
	fi
	date -u -d "+$d days" +%F
}
# carrier BODY [SECRET]: a carrier event signed with SECRET
carrier() {
	local sig
	sig=$(printf '%s' "$1" | openssl dgst -sha256 -hmac "${2:-$CARRIER}" -r | cut -d' ' -f1)
	api POST /v1/sip/port/events "${J[@]}" -H "X-Carrier-Signature: sha256=$sig" -d "$1"
}
field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' <<<"$2"; }

# ---- the happy path ----
r=$(api GET '/v1/sip/port/check?phone_numbers=%2B14155550123,+18885550123,12,%2B447911123456' "${A[@]}")
expect_match "check: a local number is portable" '"phone_number":"\+14155550123","portable":true,"number_type":"local","pin_required":false' "$r"
expect_match "check: an unencoded + works; toll-free" '"phone_number":"\+18885550123","portable":true,"number_type":"toll_free"' "$r"
expect_match "check: an invalid number is reported, not a failed request" '^200 .*"phone_number":"12","portable":false,"number_type":"unknown","pin_required":false,"not_portable_reason":"not a valid E.164 number"' "$r"
expect_match "check: no rule for +44" '"phone_number":"\+447911123456","portable":false,"number_type":"unknown","pin_required":false,"not_portable_reason":"no porting agreement' "$r"
q "INSERT INTO port_rules VALUES ('+447', true, 'mobile', true, NULL)"
expect_match "check: an operator rule makes UK mobiles portable, with a PIN" '"portable":true,"number_type":"mobile","pin_required":true' \
	"$(api GET '/v1/sip/port/check?phone_numbers=%2B447911123456' "${A[@]}")"

printf '%%PDF-1.4\n%% a utility bill\n' >"$T_DIR/bill.pdf"
head -c 20000 /dev/urandom >>"$T_DIR/bill.pdf"
r=$(api POST /v1/sip/port/document "${A[@]}" -F "file=@$T_DIR/bill.pdf;type=application/pdf")
expect_match "upload (multipart): 200 with a document_sid" '^200 .*"document_sid":"PD[0-9a-f]{32}","content_type":"application/pdf"' "$r"
DOC=$(field document_sid "$r")
expect_eq "the stored size and SHA-256 are the file's" \
	"$(stat -c %s "$T_DIR/bill.pdf")|$(sha256sum "$T_DIR/bill.pdf" | cut -d' ' -f1)" \
	"$(q "SELECT size || '|' || sha256 FROM port_documents WHERE sid = '$DOC'")"
check "the file on disk is byte-identical" cmp -s "$T_DIR/bill.pdf" "$DOCS/$DOC"
printf '\x89PNG\r\n\x1a\n0000' >"$T_DIR/bill.png"
expect_match "upload (raw body): a PNG" '^200 .*"content_type":"image/png"' \
	"$(api POST /v1/sip/port/document "${A[@]}" -H "Content-Type: image/png" --data-binary "@$T_DIR/bill.png")"

PORT_DATE=$(date_in 10 business)
initiate() {
	api POST /v1/sip/port/initiate "${H[@]}" -d '{"phone_numbers": ['"$1"'],
		"authorized_representative": {"name": "Ada <Admin>", "email": "ada@example.com"},
		"service_address": {"street": "1 Main St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"},
		"target_port_date": "'"${2:-$PORT_DATE}"'", "document_sid": "'"${3:-$DOC}"'", "account_number": "ACC-1"}'
}
r=$(initiate '"+14155550123", "(888) 555-0123"')
expect_match "initiate: 201, waiting_for_signature, with an loa_url" \
	'^201 .*"status":"waiting_for_signature","phone_numbers":\["\+14155550123","\+18885550123"\].*"loa_url":"/v1/sip/port/[0-9a-f-]{36}/loa"' "$r"
ID=$(field id "$r")
expect_match "the PIN is never shown" '"pin_provided":false' "$r"
r=$(api GET "/v1/sip/port/$ID/loa" "${A[@]}")
expect_match "the LOA names the date, the representative (escaped), the numbers, the address" \
	"^200 .*Letter of Authorization.*target port date $PORT_DATE.*Ada &lt;Admin&gt; \(ada@example.com\).*\+14155550123.*\+18885550123.*1 Main St, San Francisco, CA 94105, US.*Not signed yet" "$(tr '\n' ' ' <<<"$r")"
expect_match "check: a number in an open request is not portable" '"portable":false.*"not_portable_reason":"a port request for this number is already open"' \
	"$(api GET '/v1/sip/port/check?phone_numbers=%2B14155550123' "${A[@]}")"

r=$(api POST "/v1/sip/port/$ID/sign" "${H[@]}" -d '{"signer_name": "Ada Admin", "signature": "/s/ Ada Admin"}')
expect_match "sign: submitted, signer, time and source address recorded" \
	'^200 .*"status":"submitted".*"signature":\{"signer_name":"Ada Admin","signed_at":"20[^"]+","source_address":"127.0.0.1"\}' "$r"
expect_match "signing twice: 409" '^409 .*INVALID_TRANSITION.*submitted cannot become submitted' \
	"$(api POST "/v1/sip/port/$ID/sign" "${H[@]}" -d '{"signer_name": "Ada", "signature": "x"}')"
expect_match "the signed LOA says who signed" 'Signed by Ada Admin at 20' "$(api GET "/v1/sip/port/$ID/loa" "${A[@]}")"

expect_match "carrier: in_progress" '^200 .*"status":"in_progress"' "$(carrier '{"port_id": "'"$ID"'", "status": "in_progress"}')"
expect_match "carrier: the same event again changes nothing" '^200 .*"status":"in_progress"' "$(carrier '{"port_id": "'"$ID"'", "status": "in_progress"}')"
expect_match "carrier: completed" '^200 .*"status":"completed"' "$(carrier '{"port_id": "'"$ID"'", "status": "completed"}')"
r=$(api GET "/v1/sip/port/$ID" "${A[@]}")
expect_match "the history: every transition with time and actor" \
	'"history":\[\{"from":null,"to":"waiting_for_signature","at":"20[^"]+","actor":"api".*\{"from":"waiting_for_signature","to":"submitted","at":"[^"]+","actor":"signer: Ada Admin".*\{"from":"submitted","to":"in_progress","at":"[^"]+","actor":"carrier".*\{"from":"in_progress","to":"completed","at":"[^"]+","actor":"carrier"' "$r"
expect_eq "the numbers are the org's" "+14155550123 +18885550123" "$(q "SELECT string_agg(number, ' ' ORDER BY number) FROM org_numbers WHERE org_id = '$ORG'")"
expect_match "the ported number attaches for SIP" '^200 ' \
	"$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14155550123"], "directions": [{"type": "inbound"}], "service": "sip"}')"
# the org's webhook: one signed event per transition, retried after a 503
for _ in $(seq 1 50); do
	[ "$(q "SELECT count(*) FROM port_events WHERE port_id = '$ID' AND delivery->>'status' = 'delivered'")" = 4 ] && break
	sleep 0.1
done
expect_eq "each of the 4 transitions delivered to the webhook" \
	"port.waiting_for_signature port.submitted port.in_progress port.completed" \
	"$(grep '^X-Trunkd-Event: ' "$T_DIR/hook.txt" | awk '{print $2}' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//')"
expect_match "the first attempt got 503 and was retried; both recorded" \
	'"webhook":\{"status":"delivered","attempts":\[\{"at":"[^"]+","error":null,"result":"failed","status":503\},\{"at":"[^"]+","error":null,"result":"delivered","status":200\}\]\}' \
	"$(api GET "/v1/sip/port/$ID" "${A[@]}" | sed 's/"webhook":{"attempts"/"webhook":{"status":"delivered","attempts"/')"
SECRET=$(api GET /v1/sip/alerts/webhook-secret "${A[@]}" | sed -n 's/.*"webhook_secret":"\([0-9a-f]*\)".*/\1/p')
body=$(awk '/^POST /{n++} n==5 && p{print; exit} n==5 && /^$/{p=1}' "$T_DIR/hook.txt")
sig=$(awk '/^POST /{n++} n==5 && /^X-Trunkd-Signature:/{print $2; exit}' "$T_DIR/hook.txt")
expect_eq "the event is signed with the org's webhook secret" \
	"sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)" "$sig"
expect_match "the completed event names the request and its numbers" \
	'"event":"port.completed","port_request":\{"id":"'"$ID"'","status":"completed","previous_status":"in_progress","phone_numbers":\["\+14155550123","\+18885550123"\]' \
	"$(grep -h '"event":"port.completed"' "$T_DIR/hook.txt")"
expect_match "list, filtered by status" '^200 \{"data":\{"port_requests":\[\{"id":"'"$ID"'","status":"completed"' \
	"$(api GET '/v1/sip/port?status=completed' "${A[@]}")"

# ---- refusals ----
expect_match "cancel after completion: 409" '^409 .*INVALID_TRANSITION.*completed cannot become canceled' "$(api DELETE "/v1/sip/port/$ID" "${A[@]}")"
expect_match "completed → in_progress: 409" '^409 .*INVALID_TRANSITION' "$(carrier '{"port_id": "'"$ID"'", "status": "in_progress"}')"
expect_match "check: a ported number is active now" '"not_portable_reason":"the number is already active in trunkd"' \
	"$(api GET '/v1/sip/port/check?phone_numbers=%2B18885550123' "${A[@]}")"
expect_match "initiate: a bad number: 400" '^400 .*INVALID_NUMBER' "$(initiate '"+1415"')"
expect_match "initiate: 6 days ahead: 400" '^400 .*at least 7 days' "$(initiate '"+14155550124"' "$(date_in 6)")"
expect_match "initiate: a Saturday: 400" '^400 .*business days' "$(initiate '"+14155550124"' "$(date -u -d "+$(( (6 - $(date -u +%u) + 7) % 7 + 14 )) days" +%F)")"
expect_match "initiate: an incomplete address: 400" '^400 .*service_address.city is required' \
	"$(api POST /v1/sip/port/initiate "${H[@]}" -d '{"phone_numbers": ["+14155550124"], "authorized_representative": {"name": "A", "email": "a@example.com"}, "service_address": {"street": "1 Main St"}, "target_port_date": "'"$PORT_DATE"'", "document_sid": "'"$DOC"'"}')"
expect_match "initiate: malformed JSON: 400" '^400 .*INVALID_JSON' "$(api POST /v1/sip/port/initiate "${H[@]}" -d '{"phone_numbers": [')"
expect_match "initiate: a PIN-required number without a PIN: 400" '^400 .*pin is required' "$(initiate '"+447911123456"')"

printf 'MZ\x90\x00 not a pdf at all' >"$T_DIR/evil.pdf"
expect_match "upload: an executable declared as PDF: 415" '^415 .*UNSUPPORTED_MEDIA_TYPE' \
	"$(api POST /v1/sip/port/document "${A[@]}" -F "file=@$T_DIR/evil.pdf;type=application/pdf")"
head -c $((11 * 1024 * 1024)) /dev/zero | sed '1s/^/%PDF-1.4\n/' >"$T_DIR/big.pdf"
expect_match "upload: 11 MB: 413" '^413 .*PAYLOAD_TOO_LARGE' \
	"$(api POST /v1/sip/port/document "${A[@]}" -F "file=@$T_DIR/big.pdf;type=application/pdf")"
expect_match "upload: 11 MB chunked (no Content-Length): 413" '^413 .*PAYLOAD_TOO_LARGE' \
	"$(api POST /v1/sip/port/document "${A[@]}" -H "Transfer-Encoding: chunked" -H "Content-Type: application/pdf" --data-binary "@$T_DIR/big.pdf")"
expect_match "upload: a form without a file part: 400" '^400 .*MISSING_FIELD' \
	"$(api POST /v1/sip/port/document "${A[@]}" -F "note=hello")"
expect_match "upload: a broken form: 400" '^400 .*INVALID_MULTIPART' \
	"$(api POST /v1/sip/port/document "${A[@]}" -H "Content-Type: multipart/form-data; boundary=xyz" --data-binary $'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\n%PDF-1.4')"
expect_match "upload: no key: 401" '^401 ' "$(api POST /v1/sip/port/document -F "file=@$T_DIR/bill.pdf")"
expect_eq "no refused upload left a file behind" 2 "$(ls -A "$DOCS" | wc -l)"

K1=$KEY
new_key --sip
expect_match "initiate with another org's document: 400" '^400 .*is not a document of this organization' "$(initiate '"+14155550125"')"
expect_match "another org cannot see the request" '^404 ' "$(api GET "/v1/sip/port/$ID" "${A[@]}")"
expect_match "nor cancel it" '^404 ' "$(api DELETE "/v1/sip/port/$ID" "${A[@]}")"
expect_match "attach of a number another org ported: refused" '"failed":\[.*"\+18885550123".*NUMBER_OWNED' \
	"$(api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+18885550123"], "directions": [{"type": "inbound"}], "service": "sip"}')"
DOC2=$(field document_sid "$(api POST /v1/sip/port/document "${A[@]}" -F "file=@$T_DIR/bill.png")")
ID2=$(field id "$(initiate '"+14155550126"' "" "$DOC2")")
check "org 2 initiates its own request" test -n "$ID2"

expect_match "carrier: unsigned: 401" '^401 .*INVALID_SIGNATURE' \
	"$(api POST /v1/sip/port/events "${J[@]}" -d '{"port_id": "'"$ID2"'", "status": "completed"}')"
expect_match "carrier: signed with the wrong key: 401" '^401 .*INVALID_SIGNATURE' \
	"$(carrier '{"port_id": "'"$ID2"'", "status": "completed"}' forged-secret)"
expect_match "carrier: waiting_for_signature → completed: 409" '^409 .*INVALID_TRANSITION' \
	"$(carrier '{"port_id": "'"$ID2"'", "status": "completed"}')"
expect_match "carrier: an unknown request: 404" '^404 ' \
	"$(carrier '{"port_id": "00000000-0000-4000-8000-000000000000", "status": "completed"}')"
expect_match "cancel while waiting for signature: 200" '^200 .*"status":"canceled"' "$(api DELETE "/v1/sip/port/$ID2" "${A[@]}")"
expect_match "canceled → submitted: 409" '^409 ' "$(api POST "/v1/sip/port/$ID2/sign" "${H[@]}" -d '{"signer_name": "B", "signature": "B"}')"

# within 48 h of the port date: no cancel once submitted
ID3=$(field id "$(initiate '"+14155550127"' "" "$DOC2")")
api POST "/v1/sip/port/$ID3/sign" "${H[@]}" -d '{"signer_name": "B", "signature": "B"}' >/dev/null
q "UPDATE port_requests SET target_port_date = (now() + interval '1 day')::date WHERE id = '$ID3'"
expect_match "cancel within 48 h of the port date: 409" '^409 .*TOO_LATE_TO_CANCEL' "$(api DELETE "/v1/sip/port/$ID3" "${A[@]}")"

# the operator
out=$(admin port set-status --id "$ID3" --status failed --reason "account number mismatch")
expect_match "admin port set-status: failed, with the reason" '"status" *: *"failed".*"failure_reason" *: *"account number mismatch"' "$out"
err=$(admin port set-status --id "$ID3" --status completed 2>&1 >/dev/null); rc=$?
expect_eq "admin port set-status: an invalid move exits 1" 1 "$rc"
expect_match "and says why" 'failed cannot become completed' "$err"
expect_match "an org without a webhook URL: the event is undeliverable, and why" \
	'"webhook":\{.*"status":"undeliverable".*"reason":"the organization has no webhook_url' \
	"$(for _ in $(seq 1 30); do r=$(api GET "/v1/sip/port/$ID3" "${A[@]}"); grep -q undeliverable <<<"$r" && break; sleep 0.1; done; echo "$r")"
trunkd_stop
finish
