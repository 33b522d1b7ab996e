#!/usr/bin/env bash
# @file t_baresip.sh  A real softphone calls over SIP/TLS with mandatory
# SDES-SRTP: baresip dials an attached number, trunkd answers with the echo
# application, the 1 kHz tone baresip sends comes back (measured in what
# baresip recorded), the DTMF keys pressed on baresip are in the call
# record with their times, and the call's SIP trace (TLS) is in the API and
# in a pcap tshark reads.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
trunkd_start
api POST /v1/sip/attach "${A[@]}" -H "Content-Type: application/json" -d '{"phone_numbers": ["+14150000031"], "directions": [{"type": "inbound"}], "service": "sip"}' >/dev/null

BS="$T_DIR/baresip"
mkdir -p "$BS/rec"
rtp=$(( (14000 + RANDOM % 4000) & ~1 ))
cons=$(free_port)
sed -e "s|@DIR@|$BS|; s|@PORT_SIP@|$(free_port)|; s|@PORT_RTP@|$rtp|; s|@PORT_RTP_END@|$((rtp + 20))|; s|@PORT_CONS@|$cons|" \
	"$TRUNKD_SRC/tests/baresip/config.in" >"$BS/config"
echo '<sip:caller@127.0.0.1>;regint=0;mediaenc=srtp-mand;answermode=auto' >"$BS/accounts"

timeout 30 baresip -f "$BS" -t 9 -e "/dial sip:+14150000031@127.0.0.1:$SIPS_PORT;transport=tls" >"$BS/log" 2>&1 &
bs=$!
T_PIDS+=("$bs")
for _ in $(seq 1 50); do grep -q "Call established" "$BS/log" && break; sleep 0.1; done
sleep 2
for key in 1 5 9 '#'; do baresip_press "$BS/log" "$cons" "$key"; done
wait "$bs"
log "baresip: $(grep -o 'Call established.*\|SRTP is Enabled.*\|send DTMF digit.*\|terminated.*' "$BS/log" | tr '\n' ' ')"

check "baresip's call is established over TLS" grep -q "Call established: sip:+14150000031@127.0.0.1:$SIPS_PORT;transport=tls" "$BS/log"
check "baresip runs SRTP (AES_CM_128_HMAC_SHA1_80)" grep -q "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" "$BS/log"
expect_srtp_crypto
expect_tone_heard "$BS" 3

q_until "SELECT 1 FROM calls" >/dev/null
expect_eq "the call record: completed, TLS, SRTP, PCMU, digits 159#" 'completed|TLS|t|PCMU|159#' \
	"$(q "SELECT status, transport, srtp, codec, dtmf FROM calls")"
expect_eq "media both ways, no SRTP failures to speak of" 't|t|t' \
	"$(q "SELECT (stats->>'rx_packets')::int > 200, (stats->>'tx_packets')::int > 200, (stats->>'rx_dropped')::int < 5 FROM calls")"
expect_eq "each digit with its time, in order" '1,5,9,#|t' \
	"$(q "SELECT string_agg(e->>'digit', ',' ORDER BY (e->>'at_ms')::int), bool_and((e->>'at_ms')::int > 1000) FROM calls, jsonb_array_elements(stats->'dtmf_events') e")"
id=$(q "SELECT id FROM calls")
r=$(api GET "/v1/sip/calls/$id/trace" "${A[@]}")
expect_match "the trace: INVITE over TLS first, crypto offered" '"messages":\[\{"seq":1,"time":"[^"]+","direction":"in","transport":"TLS".*"first_line":"INVITE sip:\+14150000031@.*a=crypto:' "$r"
curl -s -o "$T_DIR/call.pcap" "${A[@]}" "http://127.0.0.1:$HTTP/v1/sip/calls/$id/trace.pcap"
shark=$(timeout 30 tshark -r "$T_DIR/call.pcap" -d "udp.port==$SIPS_PORT,sip" -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null | tr '\t\n' ' ,')
expect_match "tshark shows the TLS call's ladder" '^INVITE *, *100 *, *180 *, *200 *,ACK *,' "$shark"
trunkd_stop
finish
