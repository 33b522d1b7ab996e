/**
 * @file calls.h  Inbound calls: routing, dialogs (libre sipsess), media, and
 *                call records
 *
 * An INVITE whose Request-URI user is a number attached for inbound SIP (in
 * the in-memory map) is answered: 100 Trying (libre), 180 Ringing, 200 OK
 * with the SDP answer after --answer-delay-ms; the media runs the echo
 * application until either side sends BYE or --max-call-duration passes.
 * Unknown numbers get 404, a full house or no free RTP port 503 with
 * Retry-After, an offer trunkd cannot accept 488 with a Warning.  Each call
 * ends in one row of the calls table, written asynchronously.
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
struct sip;
struct sipmap;
struct callrec;
struct sip_tracer;
struct rtp_ports;

struct calls_opts {
	const char *public_ip; /* advertised in SDP; "" = the local one */
	unsigned max_calls;
	unsigned max_call_duration; /* seconds */
	unsigned answer_delay_ms;
	const char *prompts_dir;    /* play, dtmf: WAV prompts; borrowed */
	const char *recordings_dir; /* record: WAV output; borrowed */
	unsigned media_timeout;	    /* s without RTP before BYE; 0 = never */
	unsigned min_se;	    /* s, RFC 4028 Min-SE */
};

int calls_alloc(struct calls **csp, struct sip *sip, struct sipmap *map,
		struct callrec *rec, struct sip_tracer *tracer,
		struct rtp_ports *ports, const struct calls_opts *opts);
/* New INVITEs get 503; calls in progress go on */
void calls_drain(struct calls *cs);
/* End every call now (BYE, or 480 before the answer) and record it */
void calls_hangup_all(struct calls *cs);
unsigned calls_active(const struct calls *cs);

#endif
