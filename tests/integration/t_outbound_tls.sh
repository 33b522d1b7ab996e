#!/usr/bin/env bash
# @file t_outbound_tls.sh  An outbound call over SIP/TLS with SDES-SRTP to a
# real softphone: baresip listens on TLS (the test certificate, which
# trunkd trusts through --tls-ca), auto-answers with mandatory SRTP and
# sends a 1 kHz tone; trunkd runs the echo application, so the tone comes
# back to baresip (measured in what it recorded).  Then trunkd hangs up
# through the API.  A second trunkd that does not trust the certificate
# must refuse the TLS connection (the call fails as unreachable).
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start --tls-ca "$TRUNKD_TEST_TLS_DIR/cert.pem"

BS="$T_DIR/baresip"
mkdir -p "$BS/rec"
bsport=$(free_port)
while ss -Htln "sport = :$((bsport + 1))" | grep -q .; do bsport=$(free_port); done
rtp=$(( (14000 + RANDOM % 4000) & ~1 ))
sed -e "s|@DIR@|$BS|; s|@PORT_SIP@|$bsport|; s|@PORT_RTP@|$rtp|; s|@PORT_RTP_END@|$((rtp + 20))|; s|@PORT_CONS@|$(free_port)|" \
	"$TRUNKD_SRC/tests/baresip/config.in" >"$BS/config"
cat "$TRUNKD_TEST_TLS_DIR/cert.pem" "$TRUNKD_TEST_TLS_DIR/key.pem" >"$BS/combined.pem"
echo "sip_certificate $BS/combined.pem" >>"$BS/config"
echo '<sip:+14155550200@127.0.0.1>;regint=0;mediaenc=srtp-mand;answermode=auto' >"$BS/accounts"
# baresip's TLS listener is its SIP port + 1
timeout 40 baresip -f "$BS" >"$BS/log" 2>&1 &
bs=$!
T_PIDS+=("$bs")
for _ in $(seq 1 50); do grep -q "baresip is ready" "$BS/log" && break; sleep 0.1; done

api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["+14150000051"], "directions": [{"type": "outbound", "sip_endpoint": "tls://127.0.0.1:'"$((bsport + 1))"'"}], "service": "sip"}' >/dev/null
r=$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000051", "to": "+14155550200"}')
CALL=$(sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' <<<"$r")
expect_match "POST /v1/calls: 201" '^201 ' "$r"
for _ in $(seq 1 50); do
	api GET "/v1/calls/$CALL" "${A[@]}" | grep -q '"status":"in_progress"' && break
	sleep 0.1
done
expect_match "baresip answered: in_progress over TLS with SRTP" '"transport":"tls","status":"in_progress".*"codec":"PCMU","srtp":true' \
	"$(api GET "/v1/calls/$CALL" "${A[@]}")"
sleep 4
expect_match "hang up through the API" '^200 .*"status":"completed"' "$(api POST "/v1/calls/$CALL/hangup" "${A[@]}")"
sleep 0.5
kill -TERM "$bs" 2>/dev/null; wait "$bs"
log "baresip: $(grep -o 'SRTP is Enabled.*\|Call established.*\|terminated.*' "$BS/log" | tr '\n' ' ')"
check "baresip ran SRTP (AES_CM_128_HMAC_SHA1_80)" grep -q "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" "$BS/log"
expect_srtp_crypto
expect_tone_heard "$BS" 2
log "media stats: $(q_until "SELECT stats - 'dtmf_events' FROM calls WHERE id = '$CALL'")"
expect_eq "the record: outbound, completed, TLS, SRTP, media both ways, no SRTP failures" \
	"outbound|completed|tls|t|t|t|t" \
	"$(q_until "SELECT direction, status, transport, srtp, (stats->>'rx_packets')::int > 150, (stats->>'tx_packets')::int > 150, (stats->>'rx_dropped')::int < 5 FROM calls WHERE id = '$CALL'")"
trunkd_stop

# a trunkd without the CA: the certificate does not verify → unreachable
timeout 20 baresip -f "$BS" >"$BS/log2" 2>&1 &
bs=$!
T_PIDS+=("$bs")
for _ in $(seq 1 50); do grep -q "baresip is ready" "$BS/log2" && break; sleep 0.1; done
trunkd_start
r=$(api POST /v1/calls "${H[@]}" -d '{"from": "+14150000051", "to": "+14155550201"}')
CALL=$(sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' <<<"$r")
expect_eq "an untrusted certificate: the call fails, unreachable, and says why" \
	"failed|unreachable|TLS: the certificate of 127.0.0.1 did not verify" \
	"$(q_until "SELECT status, attempts->0->>'result', reason FROM calls WHERE id = '$CALL'")"
check "baresip never rang" bash -c "! grep -q 'Incoming call' '$BS/log2'"
trunkd_stop
finish
