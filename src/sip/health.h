/**
 * @file health.h  OPTIONS probes of every endpoint trunkd places calls to
 *
 * The endpoints are those of every outbound direction (its sip_endpoint or
 * its trunk's, and its failover endpoints) and of every inbound direction
 * that forwards calls; each distinct transport:host:port is probed once,
 * however many numbers share it.  Probes are spread evenly over the
 * interval (one every interval/n), never more than one in flight per
 * endpoint, and give up after the probe timeout (well under the 32 s of
 * SIP's Timer F).  A reply is "alive" when it is 2xx or one of the
 * configured codes (a server that refuses OPTIONS is still up); a
 * transport error, a timeout or another code is a failure.
 *
 * States, with hysteresis: "unchecked" until the first probe, "healthy"
 * after ok_threshold alive replies in a row, "unreachable" after
 * fail_threshold failures in a row.  The last results (at most
 * HEALTH_SAMPLES, i.e. 7 days at the default 60 s) are kept in memory for
 * the uptime percentages (24 h, 7 d) and the response times (average and
 * p95 over 24 h); every result is also written to PostgreSQL
 * (store/probelog.h) and read back when an endpoint is first probed, so
 * the figures survive a restart (the state starts unchecked again).
 *
 * Ownership: health_alloc() returns a mem object holding a ref to the
 * map; the struct sip is borrowed and must outlive it.
 */
#ifndef TRUNKD_SIP_HEALTH_H
#define TRUNKD_SIP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#define HEALTH_SAMPLES	   10080
#define HEALTH_ALIVE_CODES 16

struct health;
struct sip;
struct sipmap;
struct sipdest;
struct store;
struct json_t;

struct health_opts {
	unsigned interval_s;	 /* between two probes of one endpoint; 0:
				    no probes (every endpoint unchecked) */
	unsigned timeout_ms;	 /* a probe without a reply fails */
	unsigned fail_threshold; /* failures in a row → unreachable */
	unsigned ok_threshold;	 /* alive replies in a row → healthy */
	const char *alive_codes; /* "401,403,...": non-2xx codes of life */
};

/* st (or NULL): where probe results are kept (store/probelog.h); EINVAL
 * for a bad alive_codes list or a zero setting */
int health_alloc(struct health **hp, struct sip *sip, struct sipmap *map,
		 struct store *st, const struct health_opts *o);
/* "unchecked", "healthy" or "unreachable" (an endpoint not probed, e.g.
 * a SIP URI dialled directly, is unchecked) */
const char *health_state(const struct health *h, const struct sipdest *ep);
/* true when ep has been healthy since after at_ms (ok_threshold alive
 * replies in a row, all sent after at_ms) */
bool health_up_since(const struct health *h, const struct sipdest *ep,
		     uint64_t at_ms);
/* when ep entered its current state (ms since the epoch), 0 if unknown */
uint64_t health_since(const struct health *h, const struct sipdest *ep);
/* the mean response time of ep's last n alive replies (ms), 0 if none */
unsigned health_recent_rtt(const struct health *h, const struct sipdest *ep,
			   unsigned n);
/* {host, port, transport, state, last_check, last_code, last_error,
 * uptime_24h, uptime_7d, avg_response_ms, p95_response_ms, probes_24h}
 * (a new reference) */
struct json_t *health_json(const struct health *h, const struct sipdest *ep);

#endif
