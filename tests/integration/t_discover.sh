#!/usr/bin/env bash
# @file t_discover.sh  Auto-discovery against real servers on loopback:
#  - 127.0.0.2: sipp answering OPTIONS as "Asterisk PBX 18.0" on UDP 5060
#    and TCP 5080, a second trunkd with TLS on 5061, nothing else (closed
#    ports, silent UDP ports): Asterisk detected, TLS 5061 recommended;
#  - pbx.test, served by dnsmasq (trunkd's --dns-server): A 127.0.0.3 where
#    Kamailio listens on 5060 (UDP and TCP), and an SRV record
#    _sip._udp.pbx.test → fs.pbx.test:5090 (127.0.0.4) where sipp answers
#    as FreeSWITCH: both found, Kamailio detected, TCP 5060 recommended;
#  - a second discovery while one runs gets 409 with the running job's id.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
DNS_PORT=$(free_port)
timeout 120 dnsmasq --no-daemon --user=root --port="$DNS_PORT" \
	--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
	--pid-file="$T_DIR/dnsmasq.pid" \
	--host-record=pbx.test,127.0.0.3 --host-record=fs.pbx.test,127.0.0.4 \
	--srv-host=_sip._udp.pbx.test,fs.pbx.test,5090 >"$T_DIR/dnsmasq.log" 2>&1 &
T_PIDS+=("$!")
trunkd_start --dns-server "127.0.0.1:$DNS_PORT" --health-timeout-ms 1500 \
	--tls-ca "$TRUNKD_TEST_TLS_DIR/cert.pem"
MAIN_HTTP=$HTTP MAIN_PID=$TK_PID MAIN_LOG=$TK_LOG

# responder IP PORT TRANSPORT SERVER: sipp answering OPTIONS as SERVER
responder() {
	sed "s|Server: Asterisk PBX 18.0|Server: $4|" "$SC/uas_options.xml" >"$T_DIR/opt_$1_$2.xml"
	timeout 100 sipp -sf "$T_DIR/opt_$1_$2.xml" -i "$1" -p "$2" -t "$3" \
		-mp "$(free_port)" -m 1000 -timeout 90 -nostdin >/dev/null 2>&1 &
	T_PIDS+=("$!")
}
responder 127.0.0.2 5060 u1 "Asterisk PBX 18.0"
responder 127.0.0.2 5080 t1 "Asterisk PBX 18.0"
responder 127.0.0.4 5090 u1 "FreeSWITCH-mod_sofia/1.10.9"
sed "s/@LISTEN@/127.0.0.3:5060/" "$TRUNKD_SRC/tests/kamailio/options.cfg" >"$T_DIR/kamailio.cfg"
timeout 100 kamailio -f "$T_DIR/kamailio.cfg" -DD -E -w "$T_DIR" -Y "$T_DIR" >"$T_DIR/kamailio.log" 2>&1 &
T_PIDS+=("$!")
# a second trunkd: TLS on 127.0.0.2:5061 (the test certificate names it)
trunkd_start --sip-tls 127.0.0.2:5061 --sip-udp "" --sip-tcp "" --health-timeout-ms 1500
TLS_HTTP=$HTTP
HTTP=$MAIN_HTTP TK_PID=$MAIN_PID TK_LOG=$MAIN_LOG
sleep 1

# discover TARGET: start a job, wait for it (15 s at most); prints the job
discover() {
	local r id
	r=$(api POST /v1/sip/discover "${H[@]}" -d "{\"sip_endpoint\": \"$1\"}")
	id=$(sed -n 's/.*"discovery_id":"\([^"]*\)".*/\1/p' <<<"$r")
	for _ in $(seq 1 150); do
		r=$(api GET "/v1/sip/discover/status?id=$id" "${A[@]}")
		grep -q '"status":"completed"' <<<"$r" && break
		sleep 0.1
	done
	echo "$r"
}
r=$(discover 127.0.0.2)
log "127.0.0.2: $r"
expect_match "completed, all 9 probes done" '"status":"completed","progress":\{"done":9,"total":9\}' "$r"
expect_match "UDP 5060: Asterisk, with its headers" '\{"host":"127.0.0.2","port":5060,"transport":"udp","source":"port scan","reachable":true,"sip_code":200,"response_ms":[0-9]+,"server":"Asterisk PBX 18.0","user_agent":null,"allow":"INVITE, ACK, BYE, CANCEL, OPTIONS","accept":null,"supported":null,"codecs":\[\],"detected_system":"Asterisk"\}' "$r"
expect_match "TCP 5080: Asterisk" '"port":5080,"transport":"tcp","source":"port scan","reachable":true,"sip_code":200.*"detected_system":"Asterisk"' "$r"
expect_match "TLS 5061: the other trunkd, certificate verified" '"port":5061,"transport":"tls","source":"port scan","reachable":true,"sip_code":200,[^}]*"server":"trunkd/[^}]*"tls":\{"version":"TLSv1\.[23]","cipher":"TLS[^"]+","subject":"CN=localhost","issuer":"CN=localhost","not_before":"20[0-9-]+ [0-9:]+","not_after":"20[0-9-]+ [0-9:]+","verified":true,"problem":null\}' "$r"
expect_match "a closed TCP port" '"port":5060,"transport":"tcp","source":"port scan","reachable":false,"error":"Connection refused"' "$r"
expect_match "a silent UDP port" '"port":5061,"transport":"udp","source":"port scan","reachable":false,"error":"no reply"' "$r"
expect_match "Asterisk detected; TLS recommended" '"detected_system":"Asterisk","confidence":[0-9.]+,"recommended":\{"port":5061,"transport":"tls","host":"127.0.0.2","detected_system":"Asterisk"\}' "$r"

# the TLS trunkd has no CA for its own certificate: the probe says why
HTTP=$TLS_HTTP
r=$(discover 127.0.0.2)
HTTP=$MAIN_HTTP
expect_match "an untrusted certificate: unreachable, with the certificate and the problem" '"port":5061,"transport":"tls","source":"port scan","reachable":false,"error":"TLS: the certificate did not verify","tls":\{"version":"[^"]+","cipher":null,"subject":"CN=localhost","issuer":"CN=localhost","not_before":"[^"]+","not_after":"[^"]+","verified":false,"problem":"[^"]+"' "$r"

r=$(api POST /v1/sip/discover "${H[@]}" -d '{"sip_endpoint": "sip:pbx.test"}')
first=$(sed -n 's/.*"discovery_id":"\([^"]*\)".*/\1/p' <<<"$r")
expect_match "a discovery starts: 202" '^202 .*"status":"running"' "$r"
expect_match "a second one while it runs: 409 naming it" "^409 .*DISCOVERY_RUNNING.*$first" \
	"$(api POST /v1/sip/discover "${H[@]}" -d '{"sip_endpoint": "127.0.0.2"}')"
expect_match "progress shows while it runs" '"status":"running","progress":\{"done":[0-9]+,"total":[0-9]+\}' \
	"$(api GET "/v1/sip/discover/status?id=$first" "${A[@]}")"
for _ in $(seq 1 150); do
	r=$(api GET "/v1/sip/discover/status?id=$first" "${A[@]}")
	grep -q '"status":"completed"' <<<"$r" && break
	sleep 0.1
done
log "pbx.test: $r"
expect_match "DNS: the A record and the SRV record" '"dns":\{"srv":\{"_sip._udp":\[\{"target":"fs.pbx.test","port":5090,"priority":0,"weight":0\}\],"_sip._tcp":\[\],"_sips._tcp":\[\]\},"a":\["127.0.0.3"\],"aaaa":\[\]\}' "$r"
expect_match "Kamailio on UDP 5060" '"host":"pbx.test","port":5060,"transport":"udp","source":"port scan","reachable":true,"sip_code":200,[^}]*"server":"kamailio [^}]*"detected_system":"Kamailio"' "$r"
expect_match "the SRV target probed: FreeSWITCH" '"host":"fs.pbx.test","port":5090,"transport":"udp","source":"srv","reachable":true,[^}]*"detected_system":"FreeSWITCH"' "$r"
expect_match "Kamailio detected (2 probes against 1); TCP recommended" '"detected_system":"Kamailio","confidence":[0-9.]+,"recommended":\{"port":5060,"transport":"tcp","host":"pbx.test","detected_system":"Kamailio"\}' "$r"

expect_match "an unknown id: 404" '^404 ' "$(api GET "/v1/sip/discover/status?id=nope" "${A[@]}")"
expect_match "no target: 400" '^400 .*MISSING_FIELD' "$(api POST /v1/sip/discover "${H[@]}" -d '{}')"
new_key --sip
expect_match "another org cannot see the job" '^404 ' \
	"$(api GET "/v1/sip/discover/status?id=$first" -H "Authorization: Bearer $KEY")"
trunkd_stop
finish
