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
 * the store and the port allocator; it owns its sipsess socket and every
 * call.  Freeing it hangs every call up.
 */
#ifndef TRUNKD_SIP_CALLS_H
#define TRUNKD_SIP_CALLS_H

#include <stdbool.h>

struct calls;
struct sip;
struct sipmap;
struct store;
struct rtp_ports;

struct calls_opts {
	const char *public_ip;	    /* advertised in SDP; "" = the local one */
	unsigned max_calls;
	unsigned max_call_duration; /* seconds */
	unsigned answer_delay_ms;
};

int calls_alloc(struct calls **csp, struct sip *sip, struct sipmap *map,
		struct store *store, struct rtp_ports *ports,
		const struct calls_opts *opts);
/* New INVITEs get 503; calls in progress go on */
void calls_drain(struct calls *cs);
unsigned calls_active(const struct calls *cs);

#endif
