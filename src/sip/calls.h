/**
 * @file calls.h  Calls, both ways: routing, dialogs (libre sipsess), media,
 *                and call records
 *
 * Inbound (inbound.c): an INVITE whose Request-URI user is a number attached
 * for inbound SIP (in the in-memory map) is answered: 100 Trying, 180
 * Ringing, 200 OK with the SDP answer after --answer-delay-ms; the media
 * runs the number's application until either side sends BYE or the
 * duration limit passes.  Unknown numbers get 404, a full house or no free
 * RTP port 503 with Retry-After, an offer trunkd cannot accept 488 with a
 * Warning.
 *
 * Outbound (outbound.c, calls_dial): trunkd places a call from a number
 * attached for outbound SIP through that number's sip_endpoint (or its
 * trunk's), answering digest challenges with its credentials and failing
 * over to the failover endpoints on the configured triggers; the
 * application runs once the callee answers.
 *
 * Forwarding (bridge.c): an inbound call to a number whose inbound
 * direction has a sip_endpoint is bridged to an outbound call placed there;
 * each leg is a call of its own (its record names the other: bridge_id).
 *
 * Each call ends in one row of the calls table, written asynchronously.
 *
 * Ownership: calls_alloc() returns a mem object holding refs to the map,
 * the call-record writer, the tracer and the port allocator; it owns its
 * sipsess socket and every call.  Freeing it hangs every call up and hands
 * every record to the writer.
 */
#ifndef TRUNKD_SIP_CALLS_H
#define TRUNKD_SIP_CALLS_H

#include <stdbool.h>

struct calls;
struct json_t;
struct sip_msg;
struct sip;
struct sipmap;
struct callrec;
struct sip_tracer;
struct rtp_ports;
struct failover;

struct calls_opts {
	const char *public_ip; /* advertised in SDP; "" = the local one */
	unsigned max_calls;
	unsigned max_call_duration; /* seconds */
	unsigned answer_delay_ms;
	const char *prompts_dir;    /* play, dtmf: WAV prompts; borrowed */
	const char *recordings_dir; /* record: WAV output; borrowed */
	unsigned media_timeout;	    /* s without RTP before BYE; 0 = never */
	unsigned min_se;	    /* s, RFC 4028 Min-SE */
	const char *server_secret;  /* opens stored credentials; copied */
	unsigned ring_timeout;	    /* s an outbound call may ring */
	struct failover *failover;  /* borrowed (outlives calls), or NULL:
				       where calls start (failover.h) */
};

/* POST /v1/calls */
struct calls_dial_req {
	const char *org_id;
	const char *from;      /* a number of the org attached for outbound */
	const char *to;	       /* E.164 or a sip:/sips: URI */
	const char *app;       /* echo (NULL), play, record, dtmf */
	unsigned max_duration; /* s; 0 = --max-call-duration */
	const struct json_t
	    *variables; /* {name: string} or NULL: header mapping */
	const struct json_t *app_opts; /* prompt, loop, max_digits; or NULL */
	const struct json_t *headers;  /* {SIP header: value} for the INVITE */
	const char *referrer_id;       /* transfer.c: the call whose REFER this
					is (the number may then be inbound only) */
};

int calls_alloc(struct calls **csp, struct sip *sip, struct sipmap *map,
		struct callrec *rec, struct sip_tracer *tracer,
		struct rtp_ports *ports, const struct calls_opts *opts);
/* New INVITEs get 503; calls in progress go on */
void calls_drain(struct calls *cs);
/* End every call now (BYE, or 480 before the answer) and record it */
void calls_hangup_all(struct calls *cs);
unsigned calls_active(const struct calls *cs);

struct calls_stats {
	unsigned active;
	unsigned long long inbound_total, outbound_total;    /* calls started */
	unsigned long long answered_total, unanswered_total; /* calls ended */
	unsigned record_queue; /* call records waiting for PostgreSQL */
	unsigned long long records_written, records_dropped;
};
void calls_stats(const struct calls *cs, struct calls_stats *st);

/*
 * Start an outbound call.  0 with id set (the call is queued: dialling
 * goes on in the loop), or an errno with *code and *why set: ENOENT
 * (NUMBER_NOT_FOUND: from is not attached for outbound in this org),
 * EINVAL (INVALID_FIELD), EBUSY (TOO_MANY_CALLS), EPERM (SIP_NOT_ENABLED).
 */
int calls_dial(struct calls *cs, const struct calls_dial_req *r, char id[37],
	       const char **code, const char **why);
/* A call of org_id still in memory (in progress or ended moments ago) as
 * JSON (a new reference; with_trace adds its SIP messages), or NULL */
struct json_t *calls_find_json(struct calls *cs, const char *org_id,
			       const char *id, bool with_trace);
/* Hang a call up (CANCEL before the answer, BYE after): 0, ENOENT, or
 * EALREADY when it has already ended */
int calls_hangup(struct calls *cs, const char *org_id, const char *id);
/* Blind transfer (REFER) of an answered call to an E.164 number or SIP
 * URI: 0 (REFER sent), ENOENT, EALREADY (ended), EAGAIN (not answered),
 * EBUSY (a transfer is under way), EINVAL (bad target) */
int calls_transfer(struct calls *cs, const char *org_id, const char *id,
		   const char *to);
/* An in-dialog NOTIFY (transfer progress): true if a call took it */
bool calls_notify(struct calls *cs, const struct sip_msg *msg);
/* Send RFC 4733 digits on an answered call: 0, ENOENT, EALREADY (ended),
 * EAGAIN (not answered yet), ENOTSUP (the peer took no telephone-event),
 * EINVAL (a digit outside 0-9*#A-D) */
int calls_send_dtmf(struct calls *cs, const char *org_id, const char *id,
		    const char *digits);

#endif
