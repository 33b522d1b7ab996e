/**
 * @file sip_trace.h  SIP traces: every message of a call, as sent and as
 *                    received, for the call record and the ladder API
 *
 * sip_server.c feeds every message libre sends or receives into the tracer
 * (sip_tracer_msg, from libre's trace handler).  A call follows its Call-ID
 * (sip_trace_follow): from then on every message carrying that Call-ID is
 * appended to its trace, and the messages seen just before — the INVITE
 * that created the call — are adopted from a small ring of recent messages
 * nobody followed.  A trace holds at most SIP_TRACE_MAX_MSGS messages of at
 * most SIP_TRACE_MAX_LEN bytes each; what is cut is counted.
 *
 * Ownership: sip_tracer_alloc() returns a mem object.  A struct sip_trace is
 * a mem object owned by the one who follows; freeing it stops following.
 * Freeing the tracer first is allowed: its traces simply stop growing.
 */
#ifndef TRUNKD_SIP_SIP_TRACE_H
#define TRUNKD_SIP_SIP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIP_TRACE_MAX_MSGS 100
#define SIP_TRACE_MAX_LEN  65000

struct sip_tracer;
struct sip_trace;
struct sa;
struct pl;
struct json_t;

int sip_tracer_alloc(struct sip_tracer **trp);
/* tp: libre's enum sip_transp, as an int so that this header needs no libre */
void sip_tracer_msg(struct sip_tracer *tr, bool tx, int tp,
		    const struct sa *src, const struct sa *dst,
		    const uint8_t *pkt, size_t len);
int sip_trace_follow(struct sip_trace **tp, struct sip_tracer *tr,
		     const struct pl *callid);

/*
 * [{"time_us", "direction": "in"|"out", "transport", "src", "dst",
 * "text"}], oldest first; a new reference (jansson's json_t)
 */
struct json_t *sip_trace_json(const struct sip_trace *t);
unsigned sip_trace_count(const struct sip_trace *t);

/* The Call-ID header (or its compact form "i") of a raw message */
bool sip_trace_callid(const uint8_t *pkt, size_t len, struct pl *callid);

#endif
