/**
 * @file tls.h  mbedTLS under libre's TCP: struct tls and tls_start_tcp()
 *
 * libre's SIP transport calls tls_start_tcp() for every TLS connection;
 * trunkd defines it (and struct tls) on mbedTLS, so libre's OpenSSL TLS
 * objects are never linked.  One struct tls serves both roles: accepted
 * connections are servers (our certificate, session tickets), connections
 * we open are clients (peer verified against the CA bundle).  TLS 1.2 is
 * the minimum either way.
 *
 * Ownership: tls_ctx_alloc() returns a mem object; every struct tls_conn
 * holds a ref to it, so it lives until the last connection is gone.
 */
#ifndef TRUNKD_LOOP_TLS_H
#define TRUNKD_LOOP_TLS_H

#include <stdbool.h>

struct tls;

struct tls_opts {
	const char *cert_file; /* PEM chain; NULL or "" = client only */
	const char *key_file;  /* PEM key of cert_file */
	const char *ca_file;   /* CA bundle that verifies servers we call */
	bool verify_peer;      /* client role: require a valid chain */
};

int tls_ctx_alloc(struct tls **tlsp, const struct tls_opts *opts);

#endif
