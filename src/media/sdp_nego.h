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
 * trunkd also offers (outbound calls): the same formats, RTP/SAVP with a
 * fresh AES_CM_128_HMAC_SHA1_80 key when SRTP is wanted; the answer must
 * pick PCMU or PCMA and, with SRTP, echo our crypto tag and suite.
 *
 * Ownership: the caller owns *answerp and *offerp (mem objects).  Between
 * sdp_nego_offer() and a successful sdp_nego_answered() the nego holds
 * libre's session; sdp_nego_close() frees it (safe to call at any time, and
 * again).  sdp_nego_offer() needs a zeroed (or closed) nego; sdp_nego_answer()
 * fills any nego that holds no offer.
 * Include libre's re_types.h and re_sa.h (or re.h) first: re_sa.h has no
 * include guard.
 */
#ifndef TRUNKD_MEDIA_SDP_NEGO_H
#define TRUNKD_MEDIA_SDP_NEGO_H

#include <stdbool.h>
#include <stdint.h>
#include "media/sdes.h"

struct mbuf;
struct sdp_session;
struct sdp_media;

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
	const char *refusal;	       /* NULL, or why a 488 is due */
	struct sdp_session *offer;     /* owned: our offer, until closed */
	struct sdp_media *offer_media; /* in offer */
};

/* 0 with *answerp set, or EPROTO with nego->refusal set, or an errno */
int sdp_nego_answer(struct sdp_nego *nego, struct mbuf **answerp,
		    struct mbuf *offer, const struct sdp_nego_opts *opts);

/* Our offer (srtp: RTP/SAVP with a=crypto); 0 with *offerp set */
int sdp_nego_offer(struct sdp_nego *nego, struct mbuf **offerp,
		   const struct sdp_nego_opts *opts, bool srtp);
/* The answer to our offer: 0, or EPROTO with nego->refusal set */
int sdp_nego_answered(struct sdp_nego *nego, struct mbuf *answer);
void sdp_nego_close(struct sdp_nego *nego);

#endif
