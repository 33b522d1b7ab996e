/**
 * @file alerts.h  Each number's alert_config, evaluated continuously, and
 *                 the alerts delivered to its channels
 *
 * Every --alert-interval the numbers whose alert_config is enabled (their
 * outbound direction, or a forwarding inbound one) are checked against
 * their thresholds (defaults as advconf's):
 *   unreachable     the primary endpoint has been unreachable (health
 *                   checks) for unreachable_minutes; resolves once healthy
 *   response_time   the mean of its last 5 answered probes is above
 *                   response_time_ms; resolves once at or below
 *   failure_rate    more than failure_rate_percent of its calls in the last
 *                   failure_rate_window_minutes failed (at least 5 calls,
 *                   counted in PostgreSQL's call records); resolves once
 *                   at or below
 * An alert opens once and resolves once (one row of the alerts table, at
 * most one open per number, direction and kind); open alerts are read back
 * from PostgreSQL at start, so a restart neither repeats nor forgets them.
 *
 * Each opening and resolution is delivered to every enabled channel:
 *   webhook  POST of {"event": "alert.opened"|"alert.resolved", "alert"}
 *            with X-Trunkd-Signature: sha256=HMAC-SHA256(org's webhook
 *            secret, body), retried with back-off until a 2xx or
 *            --alert-attempts attempts
 *   email    through --smtp-url from --smtp-from to the org's alert_email
 *   sms      POST {"to", "text"} to --sms-url for the org's alert_phone
 * A channel that is enabled but not configured (no --smtp-url, no address)
 * is recorded as undeliverable, never silently dropped.  Every attempt
 * (time, result, HTTP status, error) is kept in the alert's deliveries.
 *
 * Ownership: alerts_alloc() returns a mem object holding refs to the map,
 * the health checks and the store; it owns its HTTP client.
 */
#ifndef TRUNKD_SIP_ALERTS_H
#define TRUNKD_SIP_ALERTS_H

struct alerts;
struct sipmap;
struct health;
struct store;

struct alerts_opts {
	unsigned interval_ms; /* between two evaluations */
	unsigned attempts;    /* per delivery */
	unsigned retry_ms;    /* first back-off, doubled each time */
	const char *smtp_url; /* "" = e-mail not configured */
	const char *smtp_from;
	const char *sms_url; /* "" = SMS not configured */
};

int alerts_alloc(struct alerts **ap, struct sipmap *map, struct health *h,
		 struct store *st, const struct alerts_opts *o);

#endif
