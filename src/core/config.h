/**
 * @file config.h  Run-time configuration: defaults, environment, flags
 *
 * struct config is plain data (no pointers to objects, no behaviour), so its
 * body is public: every module reads its own fields.  Strings point into the
 * process environment, argv or static defaults and live as long as the
 * process.  Precedence: flag > environment variable > default.
 */
#ifndef TRUNKD_CORE_CONFIG_H
#define TRUNKD_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
	const char *http_listen;    /* host:port of the REST API */
	const char *metrics_listen; /* host:port for /metrics, "" = on API */
	const char *sip_udp_listen; /* host:port, "" = off */
	const char *sip_tcp_listen; /* host:port, "" = off */
	const char *sip_tls_listen; /* host:port, "" = off */
	const char *tls_cert;	    /* PEM certificate (chain) for TLS */
	const char *tls_key;	    /* PEM private key */
	const char *tls_ca;	    /* CA bundle to verify servers we call */
	const char *database_url;   /* libpq conninfo */
	const char *migrations_dir; /* directory of NNNN_name.sql */
	const char *public_ip;	    /* address advertised in SDP/firewall-ips */
	const char *sip_fqdn;	    /* FQDN advertised to customers */
	const char *region;	    /* region name for firewall-ips */
	const char *server_secret;  /* derives PBX passwords, encrypts creds */
	const char *log_level;	    /* debug, info, warn, error */
	unsigned db_pool_size;	    /* connections in the pool */
	unsigned db_queue_max;	    /* queued queries before 503 */
	unsigned rtp_port_min;	    /* first RTP port (even) */
	unsigned rtp_port_max;	    /* last RTP port */
	unsigned http_max_header;   /* bytes of request line + headers */
	unsigned http_max_body;	    /* bytes of request body */
	unsigned http_idle_timeout; /* seconds an idle connection stays open */
	unsigned http_max_conns;    /* concurrent HTTP connections */
	unsigned shutdown_timeout;  /* seconds to drain before forcing exit */
	unsigned max_calls;	    /* concurrent calls (503 above) */
	unsigned max_call_duration; /* seconds before trunkd hangs up */
	unsigned answer_delay_ms;   /* ringing time before 200 OK */
	unsigned ring_timeout;	    /* s an outbound call may ring */
	unsigned register_expires;  /* s of our REGISTER bindings */
	const char *dns_server;	    /* resolver for SIP and discovery, "" */
	unsigned options_db_grace;  /* s without the DB before OPTIONS 503 */
	unsigned alert_interval_ms; /* between two alert evaluations */
	unsigned alert_attempts;    /* per alert delivery */
	unsigned alert_retry_ms;    /* first back-off, doubled */
	const char *smtp_url;	    /* e-mail alerts relay, "" = none */
	const char *smtp_from;
	const char *sms_url;	  /* SMS gateway (POST {to, text}), "" = none */
	unsigned health_interval; /* s between OPTIONS probes of an endpoint */
	unsigned health_timeout_ms; /* a probe without a reply fails */
	unsigned health_failures;   /* failed probes in a row → unreachable */
	unsigned health_successes;  /* alive probes in a row → healthy */
	const char *health_alive_codes; /* non-2xx replies that mean alive */
	unsigned call_record_queue;	/* records held while the DB is away */
	unsigned media_timeout;		/* s without RTP before BYE, 0 = off */
	unsigned min_se;		/* s, smallest session timer accepted */
	const char *prompts_dir;	/* WAV prompts (play, dtmf apps) */
	const char *recordings_dir;	/* WAV recordings (record app) */
	const char *documents_dir;	/* port documents (uploads) */
	const char *port_carrier_secret; /* HMAC key of carrier events */
	const char *srtp_crypto;	 /* "fast" (OpenSSL) or "libsrtp" */
};

/*
 * Fill cfg from defaults, then the environment, then argv.  argv[0] is the
 * program name.  Returns 0, or EINVAL with a message on stderr; sets *helpp
 * when --help was given (cfg is then unspecified).
 */
int config_load(struct config *cfg, int argc, char *const argv[], bool *helpp);

/* --help text: every flag with its variable and default */
void config_usage(FILE *f, const char *prog);

#endif
