/**
 * @file config.c  Table-driven configuration, so that --help and parsing
 *                 can never disagree.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"

enum opt_type { OPT_STR, OPT_UINT };

struct opt {
	const char *flag; /* without the leading -- */
	const char *env;
	enum opt_type type;
	size_t offset;
	const char *def;
	const char *help;
};

#define STR(f)	OPT_STR, offsetof(struct config, f)
#define UINT(f) OPT_UINT, offsetof(struct config, f)

static const struct opt opts[] = {
    {"http-listen", "TRUNKD_HTTP_LISTEN", STR(http_listen), "0.0.0.0:8080",
     "REST API address"},
    {"metrics-listen", "TRUNKD_METRICS_LISTEN", STR(metrics_listen), "",
     "separate address for GET /metrics (empty: served on the API port)"},
    {"sip-udp", "TRUNKD_SIP_UDP", STR(sip_udp_listen), "0.0.0.0:5060",
     "SIP over UDP (labs, load tests; empty: off)"},
    {"sip-tcp", "TRUNKD_SIP_TCP", STR(sip_tcp_listen), "0.0.0.0:5060",
     "SIP over TCP (labs, load tests; empty: off)"},
    {"sip-tls", "TRUNKD_SIP_TLS", STR(sip_tls_listen), "0.0.0.0:5061",
     "SIP over TLS (empty: off)"},
    {"tls-cert", "TRUNKD_TLS_CERT", STR(tls_cert), "var/tls/cert.pem",
     "PEM certificate chain served on TLS"},
    {"tls-key", "TRUNKD_TLS_KEY", STR(tls_key), "var/tls/key.pem",
     "PEM private key of --tls-cert"},
    {"tls-ca", "TRUNKD_TLS_CA", STR(tls_ca),
     "/etc/ssl/certs/ca-certificates.crt",
     "CA bundle that verifies the servers trunkd connects to"},
    {"database-url", "DATABASE_URL", STR(database_url), "",
     "PostgreSQL conninfo or URL (required)"},
    {"migrations", "TRUNKD_MIGRATIONS", STR(migrations_dir),
     TRUNKD_SOURCE_DIR "/migrations", "directory of NNNN_name.sql files"},
    {"public-ip", "TRUNKD_PUBLIC_IP", STR(public_ip), "",
     "address advertised for SIP and RTP (empty: the listening address)"},
    {"sip-fqdn", "TRUNKD_SIP_FQDN", STR(sip_fqdn), "",
     "FQDN customers use for SIP signalling"},
    {"region", "TRUNKD_REGION", STR(region), "local",
     "region name reported by /v1/sip/firewall-ips"},
    {"server-secret", "TRUNKD_SERVER_SECRET", STR(server_secret), "",
     "secret that derives PBX passwords and encrypts stored credentials"},
    {"log-level", "TRUNKD_LOG_LEVEL", STR(log_level), "info",
     "debug, info, warn or error"},
    {"db-pool-size", "TRUNKD_DB_POOL_SIZE", UINT(db_pool_size), "4",
     "PostgreSQL connections"},
    {"db-queue-max", "TRUNKD_DB_QUEUE_MAX", UINT(db_queue_max), "4096",
     "queries waiting for a connection before requests get 503"},
    {"rtp-port-min", "TRUNKD_RTP_PORT_MIN", UINT(rtp_port_min), "10000",
     "first RTP port"},
    {"rtp-port-max", "TRUNKD_RTP_PORT_MAX", UINT(rtp_port_max), "20000",
     "last RTP port"},
    {"http-max-header", "TRUNKD_HTTP_MAX_HEADER", UINT(http_max_header),
     "16384", "bytes of request line and headers (431 above)"},
    {"http-max-body", "TRUNKD_HTTP_MAX_BODY", UINT(http_max_body), "1048576",
     "bytes of request body (413 above)"},
    {"http-idle-timeout", "TRUNKD_HTTP_IDLE_TIMEOUT", UINT(http_idle_timeout),
     "60",
     "seconds before an idle connection "
     "is closed"},
    {"http-max-conns", "TRUNKD_HTTP_MAX_CONNS", UINT(http_max_conns), "10000",
     "concurrent HTTP connections"},
    {"max-calls", "TRUNKD_MAX_CALLS", UINT(max_calls), "2000",
     "concurrent calls; more get 503 with Retry-After"},
    {"max-call-duration", "TRUNKD_MAX_CALL_DURATION", UINT(max_call_duration),
     "14400", "seconds after which trunkd hangs a call up"},
    {"answer-delay-ms", "TRUNKD_ANSWER_DELAY_MS", UINT(answer_delay_ms), "0",
     "milliseconds of 180 Ringing before the 200 OK"},
    {"register-expires", "TRUNKD_REGISTER_EXPIRES", UINT(register_expires),
     "600", "seconds of the REGISTER bindings trunkd keeps at PBXs"},
    {"dns-server", "TRUNKD_DNS_SERVER", STR(dns_server), "",
     "DNS server (ip or ip:port) for SIP and discovery; empty = "
     "/etc/resolv.conf's"},
    {"options-db-grace", "TRUNKD_OPTIONS_DB_GRACE", UINT(options_db_grace),
     "30",
     "seconds the database may be unreachable before OPTIONS get 503 "
     "(balancers stop sending); 0 = never"},
    {"alert-interval-ms", "TRUNKD_ALERT_INTERVAL_MS", UINT(alert_interval_ms),
     "5000", "milliseconds between two evaluations of the alert configs"},
    {"alert-attempts", "TRUNKD_ALERT_ATTEMPTS", UINT(alert_attempts), "5",
     "attempts to deliver an alert to a channel"},
    {"alert-retry-ms", "TRUNKD_ALERT_RETRY_MS", UINT(alert_retry_ms), "2000",
     "milliseconds before the first retry (doubled after each)"},
    {"smtp-url", "TRUNKD_SMTP_URL", STR(smtp_url), "",
     "smtp:// relay for e-mail alerts; empty = e-mail undeliverable"},
    {"smtp-from", "TRUNKD_SMTP_FROM", STR(smtp_from), "trunkd@localhost",
     "sender of e-mail alerts"},
    {"sms-url", "TRUNKD_SMS_URL", STR(sms_url), "",
     "SMS gateway URL (POST {to, text}); empty = SMS undeliverable"},
    {"health-interval", "TRUNKD_HEALTH_INTERVAL", UINT(health_interval), "60",
     "seconds between two OPTIONS probes of an endpoint (spread evenly); "
     "0 = no health checks"},
    {"health-timeout-ms", "TRUNKD_HEALTH_TIMEOUT_MS", UINT(health_timeout_ms),
     "5000", "milliseconds a probe waits for a reply"},
    {"health-failures", "TRUNKD_HEALTH_FAILURES", UINT(health_failures), "2",
     "failed probes in a row before an endpoint is unreachable"},
    {"health-successes", "TRUNKD_HEALTH_SUCCESSES", UINT(health_successes), "2",
     "answered probes in a row before it is healthy again"},
    {"health-alive-codes", "TRUNKD_HEALTH_ALIVE_CODES", STR(health_alive_codes),
     "401,403,404,405,407,488",
     "replies besides 2xx that show an endpoint is up"},
    {"ring-timeout", "TRUNKD_RING_TIMEOUT", UINT(ring_timeout), "60",
     "seconds an outbound call may ring before trunkd cancels it"},
    {"shutdown-timeout", "TRUNKD_SHUTDOWN_TIMEOUT", UINT(shutdown_timeout),
     "10", "seconds to drain calls and requests on SIGTERM"},
    {"media-timeout", "TRUNKD_MEDIA_TIMEOUT", UINT(media_timeout), "60",
     "seconds without RTP (not on hold) before trunkd hangs up; 0 = never"},
    {"min-se", "TRUNKD_MIN_SE", UINT(min_se), "90",
     "smallest RFC 4028 Session-Expires accepted (422 below; 90 per RFC)"},
    {"call-record-queue", "TRUNKD_CALL_RECORD_QUEUE", UINT(call_record_queue),
     "10000", "call records held while PostgreSQL is away"},
    {"prompts-dir", "TRUNKD_PROMPTS_DIR", STR(prompts_dir), "var/prompts",
     "WAV files the play and dtmf applications play"},
    {"recordings-dir", "TRUNKD_RECORDINGS_DIR", STR(recordings_dir),
     "var/recordings", "where the record application writes WAV files"},
    {"documents-dir", "TRUNKD_DOCUMENTS_DIR", STR(documents_dir),
     "var/documents", "where port documents (proof of ownership) are kept"},
    {"port-carrier-secret", "TRUNKD_PORT_CARRIER_SECRET",
     STR(port_carrier_secret), "",
     "HMAC-SHA256 key carriers sign POST /v1/sip/port/events with; empty = "
     "carrier events refused"},
    {"srtp-crypto", "TRUNKD_SRTP_CRYPTO", STR(srtp_crypto), "fast",
     "SRTP AES/HMAC: fast (OpenSSL EVP, AES-NI/SHA-NI if the CPU has them) "
     "or libsrtp (libsrtp2's own, NSS on Debian)"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int opt_set(struct config *cfg, const struct opt *o, const char *val,
		   const char *source)
{
	char *end;
	unsigned long v;

	if (o->type == OPT_STR) {
		*(const char **)((char *)cfg + o->offset) = val;
		return 0;
	}

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || end == val || *end || v > UINT_MAX || val[0] == '-') {
		fprintf(stderr, "trunkd: %s: '%s' is not a whole number\n",
			source, val);
		return EINVAL;
	}
	*(unsigned *)((char *)cfg + o->offset) = (unsigned)v;
	return 0;
}

static const struct opt *opt_find(const char *flag, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++) {
		if (strlen(opts[i].flag) == len &&
		    !strncmp(opts[i].flag, flag, len))
			return &opts[i];
	}
	return NULL;
}

static int config_check(const struct config *cfg)
{
	if (cfg->rtp_port_min < 1024 || cfg->rtp_port_max > 65535 ||
	    cfg->rtp_port_min + 1 > cfg->rtp_port_max) {
		fprintf(stderr,
			"trunkd: RTP range %u-%u is not valid "
			"(1024..65535, at least one RTP/RTCP pair)\n",
			cfg->rtp_port_min, cfg->rtp_port_max);
		return EINVAL;
	}
	if (!cfg->db_pool_size || !cfg->http_max_conns ||
	    !cfg->http_max_header) {
		fprintf(stderr, "trunkd: pool size, connection and header "
				"limits must be above zero\n");
		return EINVAL;
	}
	if (strcmp(cfg->srtp_crypto, "fast") &&
	    strcmp(cfg->srtp_crypto, "libsrtp")) {
		fprintf(stderr,
			"trunkd: --srtp-crypto '%s': use fast or libsrtp\n",
			cfg->srtp_crypto);
		return EINVAL;
	}
	return 0;
}

int config_load(struct config *cfg, int argc, char *const argv[], bool *helpp)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));
	*helpp = false;

	for (size_t i = 0; i < NOPTS; i++) {
		const char *env = getenv(opts[i].env);

		err = opt_set(cfg, &opts[i], opts[i].def, opts[i].flag);
		if (!err && env)
			err = opt_set(cfg, &opts[i], env, opts[i].env);
		if (err)
			return err;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		const struct opt *o;
		size_t len;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			*helpp = true;
			return 0;
		}
		if (strncmp(arg, "--", 2)) {
			fprintf(stderr,
				"trunkd: unexpected argument '%s' "
				"(see --help)\n",
				arg);
			return EINVAL;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		o = opt_find(arg, len);
		if (!o) {
			fprintf(stderr,
				"trunkd: unknown flag '--%.*s' "
				"(see --help)\n",
				(int)len, arg);
			return EINVAL;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "trunkd: --%s needs a value\n",
				o->flag);
			return EINVAL;
		}
		err = opt_set(cfg, o, val, o->flag);
		if (err)
			return err;
	}

	return config_check(cfg);
}

void config_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [flags]             run the server\n"
		"       %s admin COMMAND ...   manage organisations and keys "
		"(%s admin --help)\n\n"
		"Every flag can also be set by the environment variable shown;"
		" a flag wins.\n\n",
		prog, prog, prog);
	for (size_t i = 0; i < NOPTS; i++) {
		fprintf(f, "  --%-20s %-26s %s", opts[i].flag, opts[i].env,
			opts[i].help);
		if (opts[i].def[0])
			fprintf(f, " [default: %s]", opts[i].def);
		fputc('\n', f);
	}
	fprintf(f, "  --%-20s %-26s %s\n", "help", "", "this text");
}
