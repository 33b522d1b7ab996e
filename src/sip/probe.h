/**
 * @file probe.h  One SIP OPTIONS request to an endpoint, with a deadline
 *
 * The request goes out through libre (RFC 3263 resolution for names; TLS
 * verified against --tls-ca).  The handler is called once: with the final
 * reply (code, round-trip time, the message for its headers), or with an
 * error (transport error, ETIMEDOUT when the deadline passed).  Freeing
 * the probe before that cancels it: the handler is not called.
 *
 * Ownership: probe_send() returns a mem object the caller owns; the struct
 * sip is borrowed and must outlive it.
 */
#ifndef TRUNKD_SIP_PROBE_H
#define TRUNKD_SIP_PROBE_H

#include <stdint.h>

struct probe;
struct sip;
struct sip_msg;
struct sipdest;

struct probe_result {
	int err;		   /* 0 with a reply */
	uint16_t code;		   /* 0 without a reply */
	uint32_t rtt_ms;	   /* request to reply */
	const struct sip_msg *msg; /* the reply, borrowed for the call */
};

typedef void(probe_h)(const struct probe_result *r, void *arg);

int probe_send(struct probe **pp, struct sip *sip, const struct sipdest *dest,
	       unsigned timeout_ms, probe_h *h, void *arg);

#endif
