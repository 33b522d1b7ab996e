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

/* What the last handshake trunkd made to a server showed (discovery) */
struct tls_peer_info {
	char version[16];  /* "TLSv1.3" */
	char cipher[64];   /* ciphersuite, "" when it failed */
	char subject[256]; /* of the server's certificate, "" without */
	char issuer[256];
	char not_before[24]; /* "2026-01-31 12:00:00" (UTC) */
	char not_after[24];
	bool verified;	   /* the chain and name verified */
	char problem[128]; /* why not, "" when verified */
};

/* The record of the last client handshake with peer ("ip:port"), kept for
 * the TLS_PEERS_KEPT most recent servers: true if there is one */
#define TLS_PEERS_KEPT 64
bool tls_peer_info(const struct tls *tls, const char *peer,
		   struct tls_peer_info *out);

#endif
