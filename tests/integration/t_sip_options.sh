#!/usr/bin/env bash
# @file t_sip_options.sh  OPTIONS over UDP and TCP (sipp, 1,000 each) and
# over TLS 1.2 (openssl s_client); TLS 1.1 refused; garbage on every SIP port
# leaves trunkd answering.
. "$(dirname "$0")/lib.sh"

db_create
trunkd_start
scen="$(cd "$(dirname "$0")" && pwd)/sipp/options.xml"
cd "$T_DIR" || exit 1

for tp in u1 t1; do
	if sipp -sf "$scen" -m 1000 -r 1000 -l 200 -t $tp -timeout 30s \
		-timeout_error -i 127.0.0.1 -p "$(free_port)" \
		-trace_stat -stf "$T_DIR/stat-$tp.csv" \
		"127.0.0.1:$SIP_PORT" >"$T_DIR/sipp-$tp.log" 2>&1 </dev/null; then
		ok "sipp $tp: 1000 OPTIONS answered 200 with Allow and Supported"
	else
		fail "sipp $tp: exit $? ($(tail -3 "$T_DIR/sipp-$tp.log" | tr '\n' ' '))"
	fi
done
# the statistics file's last line counts successful calls
succ=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="SuccessfulCall(C)") c=i} END{print $c}' "$T_DIR/stat-t1.csv" 2>/dev/null)
expect_eq "sipp TCP counted 1000 successful OPTIONS" 1000 "$succ"

# OPTIONS over TLS 1.2 with openssl s_client
options_msg() {
	printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\n' "$SIPS_PORT"
	printf 'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-%s\r\n' "$RANDOM$RANDOM"
	printf 'From: <sip:probe@127.0.0.1>;tag=t%s\r\nTo: <sip:127.0.0.1>\r\n' "$RANDOM"
	printf 'Call-ID: tls-%s@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n' "$RANDOM"
	printf 'Content-Length: 0\r\n\r\n'
}
reply=$( (options_msg; sleep 2) | timeout 10 openssl s_client -quiet -tls1_2 \
	-connect "127.0.0.1:$SIPS_PORT" 2>"$T_DIR/sclient.err")
expect_match "TLS 1.2 OPTIONS gets 200 OK" '^SIP/2.0 200 OK' "$reply"
expect_match "200 OK carries Allow" 'Allow: INVITE' "$reply"
expect_match "200 OK carries Server" 'Server: trunkd/' "$reply"

# TLS 1.3 works too (mbedTLS 2.28 has no 1.3: it must negotiate 1.2)
proto=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$SIPS_PORT" 2>/dev/null | sed -n 's/^ *Protocol *: *//p')
expect_eq "a modern client negotiates TLS 1.2" "TLSv1.2" "$proto"

# the key exchange is the cheap curve the client offers first, not the
# largest trunkd knows (mbedTLS's default order picked secp521r1)
kex=$(echo | timeout 10 openssl s_client -brief -connect "127.0.0.1:$SIPS_PORT" 2>&1 | sed -n 's/^Server Temp Key: //p')
expect_match "ECDHE over X25519 when the client offers it" '^X25519' "$kex"
kex=$(echo | timeout 10 openssl s_client -brief -groups secp384r1:prime256v1 -connect "127.0.0.1:$SIPS_PORT" 2>&1 | sed -n 's/^Server Temp Key: //p')
expect_match "P-256 before P-384 (trunkd's preference)" 'prime256v1|P-256' "$kex"

if echo | timeout 10 openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
	-connect "127.0.0.1:$SIPS_PORT" >"$T_DIR/tls11.out" 2>&1; then
	fail "TLS 1.1 handshake succeeded"
else
	ok "TLS 1.1 is refused"
fi

# Garbage: random bytes on UDP, TCP and TLS ports, then OPTIONS still works
head -c 3000 /dev/urandom >"$T_DIR/junk"
timeout 3 bash -c "cat $T_DIR/junk >/dev/udp/127.0.0.1/$SIP_PORT" 2>/dev/null
timeout 3 bash -c "cat $T_DIR/junk >/dev/tcp/127.0.0.1/$SIP_PORT" 2>/dev/null
timeout 3 bash -c "cat $T_DIR/junk >/dev/tcp/127.0.0.1/$SIPS_PORT" 2>/dev/null
printf 'INVITE garbage\r\n\r\n' | timeout 3 openssl s_client -quiet \
	-connect "127.0.0.1:$SIPS_PORT" >/dev/null 2>&1
if sipp -sf "$scen" -m 10 -t u1 -timeout 10s -timeout_error -i 127.0.0.1 \
	-p "$(free_port)" "127.0.0.1:$SIP_PORT" >/dev/null 2>&1 </dev/null; then
	ok "after garbage on every SIP port, OPTIONS is still answered"
else
	fail "OPTIONS not answered after garbage"
fi
check "trunkd survived the garbage" kill -0 "$TK_PID"

trunkd_stop
finish
