/**
 * @file failover.h  Which endpoint a number's calls start at: the primary,
 *                   or the failover endpoints after the primary failed
 *
 * A number (one direction) is "failed over" when a call's attempt on the
 * primary failed with one of its failover triggers, or when health checks
 * find the primary unreachable at dial time.  While failed over, calls
 * skip the primary.  failover_config.failback says how it ends: "auto"
 * (the default) when health checks see the primary healthy again (its
 * ok_threshold alive replies all after the failover), "manual" only
 * through failover_reset() (POST /v1/sip/failback).  Among the remaining
 * endpoints, those health checks find unreachable are skipped too, unless
 * all are (then the first failover endpoint is tried anyway).  The state is in
 * memory: a restart starts every number at its primary.
 *
 * A number is known by its number and direction (inbound: the inbound
 * direction, whose calls are forwarded; else the outbound one).
 *
 * Ownership: failover_alloc() returns a mem object holding a ref to the
 * health checks (or none).
 */
#ifndef TRUNKD_SIP_FAILOVER_H
#define TRUNKD_SIP_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

struct failover;
struct health;
struct sipdest;
struct json_t;

int failover_alloc(struct failover **fp, struct health *h);
/* The index in eps (primary first, n of them) the next call starts at;
 * row: the number's rendered row (failover_config) */
unsigned failover_first(struct failover *f, const char *number, bool inbound,
			const struct json_t *row, const struct sipdest *eps,
			unsigned n);
/* A call's attempt on the primary failed over */
void failover_moved(struct failover *f, const char *number, bool inbound,
		    const char *why);
/* Back to the primary: 0, or ENOENT when the number was not failed over */
int failover_reset(struct failover *f, const char *number, bool inbound);
/* {active: "primary"|"failover", failed_over_at, reason} (new ref), after
 * an automatic failback that is due */
struct json_t *failover_json(struct failover *f, const char *number,
			     bool inbound, const struct json_t *row,
			     const struct sipdest *primary);

#endif
