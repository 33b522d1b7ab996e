/**
 * @file discover.h  Auto-discovery of a customer's SIP server
 *
 * A job takes a host (or a SIP destination naming one) and, all at once on
 * the loop: looks up its SRV records (_sip._udp, _sip._tcp, _sips._tcp)
 * and A/AAAA records with libre's DNS client; probes ports 5060, 5061 and
 * 5080 over UDP, TCP and TLS with OPTIONS (each with the probe timeout),
 * plus every SRV target; records per probe whether it answered, the code,
 * the round-trip time and the Server, User-Agent, Allow, Accept and
 * Supported headers (codecs when the reply carries SDP), and for TLS the
 * version, cipher and the certificate (subject, issuer, validity, whether
 * it verified against --tls-ca and why not); fingerprints the
 * PBX from Server/User-Agent (Asterisk, FreePBX, FreeSWITCH, Kamailio,
 * OpenSIPS, 3CX, Cisco, Twilio, other) with a confidence; and recommends a
 * port and transport (TLS when it answers, then TCP, then UDP).
 * An organisation runs one job at a time; finished jobs are kept
 * DISCOVER_KEEP_S seconds.
 *
 * Ownership: discover_alloc() returns a mem object; the struct sip, the DNS
 * client (may be NULL: no DNS) and the TLS context (may be NULL) are
 * borrowed and must outlive it.
 */
#ifndef TRUNKD_SIP_DISCOVER_H
#define TRUNKD_SIP_DISCOVER_H

#define DISCOVER_KEEP_S 3600

struct discover;
struct sip;
struct dnsc;
struct tls;
struct json_t;

/* tls: the context TLS probes use (what their handshakes showed is in
 * each TLS probe's record), or NULL */
int discover_alloc(struct discover **dp, struct sip *sip, struct dnsc *dnsc,
		   const struct tls *tls, unsigned probe_timeout_ms);
/*
 * Start a job: 0 with id set; EBUSY with id set to the org's running job;
 * EINVAL with *why for a target that names no host
 */
int discover_start(struct discover *d, const char *org_id, const char *target,
		   char id[37], const char **why);
/* The job as JSON (a new reference), or NULL for another org's or none */
struct json_t *discover_json(const struct discover *d, const char *org_id,
			     const char *id);

#endif
