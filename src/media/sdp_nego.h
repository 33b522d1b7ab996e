/**
 * @file sdp_nego.h  SDP offer/answer for one audio stream (libre's sdp)
 *
 * trunkd answers offers: G.711 (PCMU, PCMA, in the number's preference
 * order), telephone-event/8000 (RFC 4733), ptime 20, and with RTP/SAVP an
 * SDES a=crypto line for the first offered suite we support.  Policy: when
 * srtp_required, an RTP/AVP offer is refused; an RTP/SAVP offer whose crypto
 * lines are all unsupported is refused; no common codec is refused.  Refusals
 * carry the SIP answer: 488 Not Acceptable Here and a warning text.
 *
 * Ownership: the caller owns *answerp (a mem object).
 * Include libre's re_types.h and re_sa.h (or re.h) first: re_sa.h has no
 * include guard.
 */
#ifndef TRUNKD_MEDIA_SDP_NEGO_H
#define TRUNKD_MEDIA_SDP_NEGO_H

#include <stdbool.h>
#include <stdint.h>
#include "media/sdes.h"

struct mbuf;

#define SDP_NEGO_MAX_CODECS 2

struct sdp_nego_opts {
	const struct sa *laddr; /* advertised media address */
	uint16_t lport;		/* our RTP port */
	bool srtp_required;	/* plain RTP offers get 488 */
	const char *codecs[SDP_NEGO_MAX_CODECS + 1]; /* NULL-terminated,
							 PCMU/PCMA order */
};

struct sdp_nego {
	const char *codec; /* "PCMU" or "PCMA" (static string) */
	uint8_t pt;
	uint8_t dtmf_pt;  /* 0 if the offer had no telephone-event */
	struct sa remote; /* where to send RTP */
	bool srtp;
	bool held; /* sendonly/inactive or c=0.0.0.0: we must not send */
	struct sdes_crypto theirs, ours;
	const char *refusal; /* NULL, or why a 488 is due */
};

/* 0 with *answerp set, or EPROTO with nego->refusal set, or an errno */
int sdp_nego_answer(struct sdp_nego *nego, struct mbuf **answerp,
		    struct mbuf *offer, const struct sdp_nego_opts *opts);

#endif
