/**
 * @file portnotify.h  Port status changes to the organisation's webhook
 *
 * Every status change of a port request is a row of port_events (written
 * by port_transition() in SQL, whoever made the change: API, carrier,
 * operator).  The rows are an outbox: this module claims pending ones
 * (NOTIFY trunkd_port_changed wakes it; a one-second tick retries), POSTs
 * each to orgs.webhook_url signed like alerts (X-Trunkd-Signature: sha256=
 * HMAC of the body with the org's webhook secret), and writes every attempt
 * back into the row.  A failed attempt is retried after retry_ms, doubled
 * each time, up to attempts; an org without a webhook URL gets the event
 * marked undeliverable with the reason.  Claims expire after 60 s, so
 * several trunkd instances share the outbox and a crash loses nothing.
 *
 * Ownership: portnotify_alloc() returns a mem object holding a ref on the
 * store and owning its libcurl client; freeing it abandons transfers in
 * flight (their rows stay claimed until the claim expires, then are
 * retried).
 */
#ifndef TRUNKD_STORE_PORTNOTIFY_H
#define TRUNKD_STORE_PORTNOTIFY_H

struct portnotify;
struct store;

int portnotify_alloc(struct portnotify **pnp, struct store *st,
		     unsigned attempts, unsigned retry_ms);

#endif
