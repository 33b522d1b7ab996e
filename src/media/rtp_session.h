/**
 * @file rtp_session.h  One call's media: an RTP/RTCP socket pair, SRTP,
 *                      symmetric latching, statistics, DTMF, and the echo
 *                      application
 *
 * The RTP port is even and RTCP is RTP + 1 (taken from struct rtp_ports).
 * Until rtp_session_start() packets are dropped.  Media is sent to where
 * the peer's packets actually come from (latching) once the first valid
 * packet arrives, to the SDP address before that.  Echo (the default):
 * every valid RTP packet is sent back with our SSRC and our own sequence
 * numbers.  RFC 4733 events are recorded (digit, time, duration).  RTCP:
 * a sender report (with a report block on the peer's stream) every 5 s;
 * the peer's reports give the round-trip time.
 *
 * Ownership: rtp_session_alloc() returns a mem object holding a ref to the
 * port allocator; freeing it closes the sockets and returns the port.
 */
#ifndef TRUNKD_MEDIA_RTP_SESSION_H
#define TRUNKD_MEDIA_RTP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "media/sdes.h"

struct rtp_session;
struct rtp_ports;
struct sa;

#define RTP_DTMF_EVENTS_MAX 32
#define RTP_DTMF_QUEUE_MAX  32 /* digits waiting to be sent */

struct rtp_dtmf_record {
	char digit;
	uint64_t at_ms; /* since rtp_session_start() */
	uint16_t duration_ms;
};

struct rtp_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_dropped; /* SRTP authentication/replay failures, junk */
	uint64_t rx_early;   /* arrived before the media started (dropped):
				early media before the 200 OK was taken in */
	uint32_t lost;	     /* from sequence-number gaps */
	double jitter_ms;    /* RFC 3550 interarrival jitter */
	double rtt_ms;	     /* from the peer's RTCP reports; 0 if none */
	uint64_t rtcp_rx, rtcp_tx;
	char dtmf[64]; /* digits received, in order */
	struct rtp_dtmf_record dtmf_events[RTP_DTMF_EVENTS_MAX];
	unsigned dtmf_count;
};

/*
 * The application's view of the media.  recvh gets every audio payload
 * received (not DTMF), dtmfh every digit once (at its end).  With echo
 * true, received packets (audio and DTMF) are also sent back.
 */
typedef void(rtp_recv_h)(const uint8_t *payload, size_t len, uint8_t pt,
			 void *arg);
typedef void(rtp_digit_h)(char digit, void *arg);

/* ip: the address to bind (the one advertised in SDP); ENOSPC: no port */
int rtp_session_alloc(struct rtp_session **rsp, struct rtp_ports *ports,
		      const struct sa *ip);
uint16_t rtp_session_port(const struct rtp_session *rs);
/* keys NULL for plain RTP; dtmf_pt 0 if none negotiated */
int rtp_session_start(struct rtp_session *rs, const struct sa *remote,
		      const struct sdes_crypto *ours,
		      const struct sdes_crypto *theirs, uint8_t dtmf_pt);
void rtp_session_stats(const struct rtp_session *rs, struct rtp_stats *st);
/* handlers borrowed; arg must outlive the session or be unset first */
void rtp_session_app(struct rtp_session *rs, bool echo, rtp_recv_h *recvh,
		     rtp_digit_h *digith, void *arg);
/* on hold nothing is sent (RTP or RTCP); packets received still count */
void rtp_session_hold(struct rtp_session *rs, bool held);
/* milliseconds since the last valid RTP packet (or since the start) */
uint64_t rtp_session_idle_ms(const struct rtp_session *rs);
/* one frame of our own audio: timestamp advances by samples */
int rtp_session_send(struct rtp_session *rs, uint8_t pt, const uint8_t *payload,
		     size_t len, uint32_t samples);
/*
 * Queue RFC 4733 digits (0-9 * # A-D): each is sent as 100 ms of event
 * packets and three end packets, 60 ms apart.  0, ENOTCONN before
 * rtp_session_start(), ENOTSUP when the peer took no telephone-event,
 * EINVAL for another character, ENOSPC when the queue would overflow.
 */
int rtp_session_send_digits(struct rtp_session *rs, const char *digits);

#endif
