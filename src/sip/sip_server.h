/**
 * @file sip_server.h  The SIP endpoint: libre's stack, its transports, and
 *                     the answers to requests outside any dialog
 *
 * Ownership: sip_server_alloc() returns a mem object that owns libre's
 * struct sip, its listeners, its DNS client, the RTP port allocator and the
 * calls (calls.h); the struct tls passed in is
 * mem_ref'd.  mem_deref() closes every transport (force), so call it only
 * after sip_server_drain() has had its time.
 */
#ifndef TRUNKD_SIP_SIP_SERVER_H
#define TRUNKD_SIP_SIP_SERVER_H

#include <stdbool.h>

#include "sip/calls.h"
#include "sip/alerts.h"
#include "sip/health.h"

struct sip_server;
struct tls;
struct sa;
struct sipmap;
struct callrec;
struct registrations;

struct sip_server_opts {
	const char *udp_listen; /* "host:port" or "" for none */
	const char *tcp_listen;
	const char *tls_listen;
	struct tls *tls;	   /* borrowed; required when tls_listen set */
	struct sipmap *map;	   /* borrowed (calls take a ref) */
	struct callrec *callrec;   /* borrowed (calls take a ref) */
	struct store *store;	   /* borrowed: its state drives OPTIONS */
	const char *dns_server;	   /* "ip[:port]", or "" for the system's */
	unsigned options_db_grace; /* s without the database before OPTIONS
				      get 503; 0 = never */
	unsigned rtp_port_min, rtp_port_max;
	unsigned register_expires; /* s asked of PBXs we register at */
	struct calls_opts calls;
	struct health_opts health;
	struct alerts_opts alerts;
};

int sip_server_alloc(struct sip_server **srvp,
		     const struct sip_server_opts *opts);

/* From now on OPTIONS and new calls get 503 (graceful stop). */
void sip_server_drain(struct sip_server *srv);
unsigned sip_server_calls(const struct sip_server *srv);
/* The calls (calls.h), for the API to dial and hang up; borrowed */
struct calls *sip_server_callset(const struct sip_server *srv);
/* The REGISTER bindings (registrations.h); borrowed */
struct registrations *sip_server_registrations(const struct sip_server *srv);

/* The health checks (health.h) and failover state (failover.h); borrowed */
struct health *sip_server_health(const struct sip_server *srv);
struct failover *sip_server_failover(const struct sip_server *srv);
/* The discovery jobs (discover.h); borrowed */
struct discover *sip_server_discover(const struct sip_server *srv);

/* The bound address of a transport ("udp", "tcp", "tls"); for logs/tests */
int sip_server_laddr(const struct sip_server *srv, const char *transport,
		     struct sa *laddr);

#endif
