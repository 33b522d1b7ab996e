/**
 * @file api_info.c  /v1/sip answers that come from configuration alone:
 *                   parse-destination, firewall-ips, outbound-setup
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include "core/config.h"
#include "core/sipdest.h"

/* "host:port" of a listener → host (or public IP) and port */
static void listen_parts(const struct config *cfg, const char *listen,
			 char *host, size_t hsz, unsigned *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : strlen(listen);

	*port = colon ? (unsigned)atoi(colon + 1) : 0;
	if (cfg->public_ip[0]) {
		snprintf(host, hsz, "%s", cfg->public_ip);
		return;
	}
	snprintf(host, hsz, "%.*s", (int)n, listen);
}

void api_sip_parse_destination_h(struct http_req *req, void *arg)
{
	struct sipdest d;
	json_error_t jerr;
	const char *dest = NULL, *why;
	size_t len;
	const char *b = http_req_body(req, &len);
	json_t *body;

	(void)arg;
	if (!api_sip_enabled(req))
		return;
	body = json_loadb(b, len, 0, &jerr);
	if (!body) {
		http_reply_error(req, 400, "INVALID_JSON",
				 "the body is not valid JSON: %s", jerr.text);
		return;
	}
	if (json_unpack(body, "{s:s}", "sip_endpoint", &dest) &&
	    json_unpack(body, "{s:s}", "destination", &dest)) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "sip_endpoint (a string) is required");
		goto out;
	}
	if (sipdest_parse(&d, dest, &why)) {
		http_reply_error(req, 400, "INVALID_DESTINATION", "%s", why);
		goto out;
	}
	http_reply_data(req, 200,
			json_pack("{s:s, s:i, s:s, s:s?, s:s}", "host", d.host,
				  "port", d.port, "transport", d.transport,
				  "user", d.user[0] ? d.user : NULL, "uri",
				  d.uri));
out:
	json_decref(body);
}

void api_sip_firewall_ips_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const struct config *cfg = api->cfg;
	char host[128];
	unsigned port;

	if (!api_sip_enabled(req))
		return;
	listen_parts(cfg,
		     cfg->sip_tls_listen[0] ? cfg->sip_tls_listen
					    : cfg->sip_tcp_listen,
		     host, sizeof(host), &port);
	http_reply_data(
	    req, 200,
	    json_pack("{s:s, s:{s:[s], s:s?, s:i, s:s}, "
		      "s:{s:[s], s:{s:i, s:i}, s:s}}",
		      "region", cfg->region, "signaling", "ips", host, "fqdn",
		      cfg->sip_fqdn[0] ? cfg->sip_fqdn : NULL, "port", port,
		      "transport", cfg->sip_tls_listen[0] ? "tls" : "tcp",
		      "media", "ips", host, "port_range", "start",
		      cfg->rtp_port_min, "end", cfg->rtp_port_max, "protocol",
		      "udp"));
}

void api_sip_outbound_setup_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const struct config *cfg = api->cfg;
	char host[128], uri[300];
	unsigned port;

	if (!api_sip_enabled(req))
		return;
	listen_parts(cfg, cfg->sip_tls_listen, host, sizeof(host), &port);
	if (cfg->sip_fqdn[0])
		snprintf(host, sizeof(host), "%s", cfg->sip_fqdn);
	snprintf(uri, sizeof(uri), "sip:+E164@%s:%u;transport=tls", host, port);
	http_reply_data(
	    req, 200,
	    json_pack("{s:s, s:i, s:s, s:s, s:[s,s], s:{s:s, s:s, s:s}, "
		      "s:s, s:s, s:s}",
		      "host", host, "port", port, "transport", "tls",
		      "tls_min_version", "1.2", "codecs", "PCMU", "PCMA",
		      "media_encryption", "protocol", "SRTP", "suite",
		      "AES_CM_128_HMAC_SHA1_80", "keying", "SDES", "dtmf",
		      "RFC 2833", "number_format", "+E.164 or E.164",
		      "request_uri", uri));
}
