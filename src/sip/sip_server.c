/**
 * @file sip_server.c  libre SIP stack setup and out-of-dialog requests
 *
 * Calls (INVITE, and ACK/BYE/re-INVITE in their dialogs) are calls.c's:
 * its sipsess listener is registered first.  What it does not take is
 * answered here: OPTIONS with our capabilities (the keep-alive and health
 * probe every provider sends), BYE/CANCEL with 481 (no such dialog or
 * transaction), stray ACKs silently, REGISTER/SUBSCRIBE/
 * PUBLISH/MESSAGE with 405 (trunkd is not a registrar or presence server),
 * anything else with 501.  libre adds the Server header to every reply.
 */
#include <string.h>
#include <re.h>
#include "core/log.h"
#include "core/walltime.h"
#include "media/rtp_ports.h"
#include "sip/alerts.h"
#include "sip/discover.h"
#include "sip/failover.h"
#include "sip/health.h"
#include "sip/registrations.h"
#include "sip/sip_server.h"
#include "sip/sip_trace.h"
#include "store/store.h"

#define SIP_ALLOW     "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER"
#define SIP_ACCEPT    "application/sdp"
#define SIP_SUPPORTED "replaces, timer"
#define SIP_SOFTWARE  "trunkd/" TRUNKD_VERSION
/*
 * Buckets of libre's client transaction, server transaction and TCP
 * connection tables.  Transactions linger (Timer J/K: up to 32 s after a
 * final answer over UDP), so at 1,000 calls/s tens of thousands are alive;
 * with libre's usual 32 buckets every request and response walked lists of
 * hundreds (pl_cmp and memcmp were a quarter of the CPU at 400 calls/s).
 */
#define SIP_HASH_BUCKETS 8192

struct sip_server {
	struct sip *sip;	    /* owned */
	struct sip_lsnr *lsnr;	    /* owned */
	struct dnsc *dnsc;	    /* owned, may be NULL */
	struct tls *tls;	    /* ref */
	struct rtp_ports *ports;    /* owned */
	struct calls *calls;	    /* owned */
	struct registrations *regs; /* owned */
	struct health *health;	    /* owned */
	struct failover *failover;  /* owned */
	struct discover *discover;  /* owned */
	struct alerts *alerts;	    /* owned, NULL without a store */
	struct sip_tracer *tracer;  /* owned */
	struct store *store;	    /* borrowed, or NULL */
	unsigned db_grace_s; /* OPTIONS get 503 after this long without it */
	uint64_t db_down_ms; /* since when the database is unreachable, 0 */
	struct tmr db_tmr;   /* samples the database's state each second */
	bool draining;
};

static void destructor(void *arg)
{
	struct sip_server *srv = arg;

	tmr_cancel(&srv->db_tmr);
	srv->regs = mem_deref(srv->regs);
	srv->calls = mem_deref(srv->calls);
	srv->failover = mem_deref(srv->failover);
	srv->discover = mem_deref(srv->discover);
	srv->alerts = mem_deref(srv->alerts);
	srv->health = mem_deref(srv->health);
	srv->tracer = mem_deref(srv->tracer);
	srv->lsnr = mem_deref(srv->lsnr);
	sip_close(srv->sip, true);
	srv->ports = mem_deref(srv->ports);
	srv->sip = mem_deref(srv->sip);
	srv->dnsc = mem_deref(srv->dnsc);
	srv->tls = mem_deref(srv->tls);
}

/* libre passes sip_alloc's arg: every message, both ways, to the tracer */
static void on_trace(bool tx, enum sip_transp tp, const struct sa *src,
		     const struct sa *dst, const uint8_t *pkt, size_t len,
		     void *arg)
{
	struct sip_server *srv = arg;

	sip_tracer_msg(srv->tracer, tx, (int)tp, src, dst, pkt, len);
}

static void on_db_tick(void *arg)
{
	struct sip_server *srv = arg;

	if (store_is_up(srv->store))
		srv->db_down_ms = 0;
	else if (!srv->db_down_ms)
		srv->db_down_ms = walltime_us() / 1000;
	tmr_start(&srv->db_tmr, 1000, on_db_tick, srv);
}

/* the database has been away longer than --options-db-grace */
static bool db_gone(const struct sip_server *srv)
{
	return srv->db_grace_s && srv->db_down_ms &&
	       walltime_us() / 1000 - srv->db_down_ms >=
		   srv->db_grace_s * 1000ULL;
}

static int reply_options(struct sip_server *srv, const struct sip_msg *msg)
{
	if (srv->draining || db_gone(srv))
		return sip_replyf(srv->sip, msg, 503, "Service Unavailable",
				  "Retry-After: 30\r\n"
				  "Warning: 399 trunkd \"%s\"\r\n"
				  "Content-Length: 0\r\n\r\n",
				  srv->draining ? "shutting down"
						: "database unreachable");

	return sip_replyf(srv->sip, msg, 200, "OK",
			  "Allow: " SIP_ALLOW "\r\n"
			  "Accept: " SIP_ACCEPT "\r\n"
			  "Supported: " SIP_SUPPORTED "\r\n"
			  "Content-Length: 0\r\n\r\n");
}

static bool method_is(const struct sip_msg *msg, const char *name)
{
	return 0 == pl_strcmp(&msg->met, name);
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
	struct sip_server *srv = arg;
	char callid[64];
	int err = 0;

	pl_strcpy(&msg->callid, callid, sizeof(callid));
	log_debug("sip", callid, "%.*s %.*s from %s", (int)msg->met.l,
		  msg->met.p, (int)msg->ruri.l, msg->ruri.p,
		  sip_transp_name(msg->tp));

	if (method_is(msg, "OPTIONS"))
		err = reply_options(srv, msg);
	else if (method_is(msg, "NOTIFY") && calls_notify(srv->calls, msg))
		return true;
	else if (method_is(msg, "ACK"))
		return true;
	else if (method_is(msg, "BYE") || method_is(msg, "CANCEL") ||
		 method_is(msg, "NOTIFY"))
		err = sip_reply(srv->sip, msg, 481,
				"Call/Transaction Does Not Exist");
	else if (method_is(msg, "REGISTER") || method_is(msg, "SUBSCRIBE") ||
		 method_is(msg, "PUBLISH") || method_is(msg, "MESSAGE"))
		err = sip_replyf(srv->sip, msg, 405, "Method Not Allowed",
				 "Allow: " SIP_ALLOW "\r\n"
				 "Content-Length: 0\r\n\r\n");
	else
		err = sip_replyf(srv->sip, msg, 501, "Not Implemented",
				 "Allow: " SIP_ALLOW "\r\n"
				 "Content-Length: 0\r\n\r\n");

	if (err)
		log_warn("sip", callid, "reply to %.*s failed: %s",
			 (int)msg->met.l, msg->met.p, strerror(err));
	return true;
}

static int transport_add(struct sip_server *srv, enum sip_transp tp,
			 const char *listen)
{
	struct sa laddr;
	int err;

	if (!listen || !listen[0])
		return 0;

	err = sa_decode(&laddr, listen, strlen(listen));
	if (err) {
		log_error("sip", NULL, "bad %s listen address '%s'",
			  sip_transp_name(tp), listen);
		return err;
	}

	if (tp == SIP_TRANSP_TLS)
		err = sip_transp_add(srv->sip, tp, &laddr, srv->tls);
	else
		err = sip_transp_add(srv->sip, tp, &laddr);
	if (err) {
		log_error("sip", NULL, "cannot listen on %s %s: %s",
			  sip_transp_name(tp), listen, strerror(err));
		return err;
	}

	log_info("sip", NULL, "listening on %s %s", sip_transp_name(tp),
		 listen);
	return 0;
}

/* The system resolvers, for outbound calls; none is not an error here. */
static void dns_client_alloc(struct sip_server *srv, const char *server)
{
	struct sa nsv[8];
	uint32_t nsn = 8;
	char domain[64];

	if (server && server[0]) {
		nsn = 1;
		if (sa_decode(&nsv[0], server, strlen(server)) &&
		    sa_set_str(&nsv[0], server, 53)) {
			log_warn("sip", NULL, "bad --dns-server %s", server);
			return;
		}
	} else if (dns_srv_get(domain, sizeof(domain), nsv, &nsn) || !nsn) {
		log_warn("sip", NULL,
			 "no DNS servers found: outbound SIP "
			 "to host names will fail");
		return;
	}
	if (dnsc_alloc(&srv->dnsc, NULL, nsv, nsn))
		srv->dnsc = NULL;
}

int sip_server_alloc(struct sip_server **srvp,
		     const struct sip_server_opts *opts)
{
	struct calls_opts copts;
	struct sip_server *srv;
	int err;

	srv = mem_zalloc(sizeof(*srv), destructor);
	if (!srv)
		return ENOMEM;

	srv->tls = mem_ref(opts->tls);
	srv->store = opts->store;
	srv->db_grace_s = opts->options_db_grace;
	tmr_init(&srv->db_tmr);
	if (srv->store)
		tmr_start(&srv->db_tmr, 1000, on_db_tick, srv);
	dns_client_alloc(srv, opts->dns_server);

	err =
	    sip_alloc(&srv->sip, srv->dnsc, SIP_HASH_BUCKETS, SIP_HASH_BUCKETS,
		      SIP_HASH_BUCKETS, SIP_SOFTWARE, NULL, srv);
	if (!err)
		err = sip_tracer_alloc(&srv->tracer);
	if (err)
		goto out;
	sip_set_trace_handler(srv->sip, on_trace);

	err = rtp_ports_alloc(&srv->ports, (uint16_t)opts->rtp_port_min,
			      (uint16_t)opts->rtp_port_max);
	if (err) {
		log_error("sip", NULL, "bad RTP port range %u-%u",
			  opts->rtp_port_min, opts->rtp_port_max);
		goto out;
	}
	err = health_alloc(&srv->health, srv->sip, opts->map, srv->store,
			   &opts->health);
	if (err) {
		log_error("sip", NULL, "bad health check settings");
		goto out;
	}
	err = failover_alloc(&srv->failover, srv->health);
	if (!err && srv->store)
		err = alerts_alloc(&srv->alerts, opts->map, srv->health,
				   srv->store, &opts->alerts);
	if (!err)
		err = discover_alloc(&srv->discover, srv->sip, srv->dnsc,
				     srv->tls, opts->health.timeout_ms);
	if (err)
		goto out;
	copts = opts->calls;
	copts.failover = srv->failover;
	/* first: libre offers each request to the listeners in order */
	err = calls_alloc(&srv->calls, srv->sip, opts->map, opts->callrec,
			  srv->tracer, srv->ports, &copts);
	if (err)
		goto out;
	err = sip_listen(&srv->lsnr, srv->sip, true, on_request, srv);
	if (err)
		goto out;
	err = registrations_alloc(&srv->regs, srv->sip, opts->map,
				  opts->calls.server_secret,
				  opts->register_expires);
	if (err)
		goto out;

	err = transport_add(srv, SIP_TRANSP_UDP, opts->udp_listen);
	if (!err)
		err = transport_add(srv, SIP_TRANSP_TCP, opts->tcp_listen);
	if (!err && opts->tls_listen && opts->tls_listen[0]) {
		if (!srv->tls) {
			log_error("sip", NULL,
				  "TLS listener without a "
				  "certificate");
			err = EINVAL;
		} else {
			err = transport_add(srv, SIP_TRANSP_TLS,
					    opts->tls_listen);
		}
	}

out:
	if (err)
		mem_deref(srv);
	else
		*srvp = srv;
	return err;
}

void sip_server_drain(struct sip_server *srv)
{
	srv->draining = true;
	calls_drain(srv->calls);
}

struct registrations *sip_server_registrations(const struct sip_server *srv)
{
	return srv->regs;
}

struct health *sip_server_health(const struct sip_server *srv)
{
	return srv->health;
}

struct failover *sip_server_failover(const struct sip_server *srv)
{
	return srv->failover;
}

struct discover *sip_server_discover(const struct sip_server *srv)
{
	return srv->discover;
}

struct calls *sip_server_callset(const struct sip_server *srv)
{
	return srv->calls;
}

unsigned sip_server_calls(const struct sip_server *srv)
{
	return calls_active(srv->calls);
}

int sip_server_laddr(const struct sip_server *srv, const char *transport,
		     struct sa *laddr)
{
	enum sip_transp tp;

	if (!strcmp(transport, "udp"))
		tp = SIP_TRANSP_UDP;
	else if (!strcmp(transport, "tcp"))
		tp = SIP_TRANSP_TCP;
	else if (!strcmp(transport, "tls"))
		tp = SIP_TRANSP_TLS;
	else
		return EINVAL;

	return sip_transp_laddr(srv->sip, laddr, tp, NULL);
}
