/**
 * @file call_int.h  What calls.c (one call's life), inbound.c (answering)
 *                   and outbound.c (dialling) share
 *
 * A call is one struct call from the INVITE (received or sent) to its call
 * record.  calls.c owns the life: timers, the application, the end
 * (call_end), the record.  inbound.c and outbound.c only differ in how the
 * dialog starts: inbound answers an offer, outbound makes one and, before
 * the answer, may try several endpoints (struct dial, outbound.c's).
 * bridge.c joins two calls when an inbound call is forwarded: the inbound
 * leg and the outbound leg placed for it point at each other (bridge) until
 * either ends, and the media of one is relayed to the other.
 *
 * Ownership: every struct call is owned by its struct calls: in cs->calls
 * while in progress, then in cs->lingering until recorded, then in
 * cs->recent (no media, no dialog, no trace; 15 s, at most 20,000) so that
 * GET /v1/calls/:id still finds it while the record is on its way to
 * PostgreSQL.
 *
 * Include libre's re_types.h, re_sa.h, re_list.h, re_tmr.h, re_uri.h,
 * re_msg.h and re_sip.h first.
 */
#ifndef TRUNKD_SIP_CALL_INT_H
#define TRUNKD_SIP_CALL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "core/sipconf.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/calls.h"

struct dial;

struct calls {
	struct sip *sip;	   /* borrowed: outlives calls */
	struct sipsess_sock *sock; /* owned */
	struct sipmap *map;	   /* ref */
	struct callrec *rec;	   /* ref */
	struct sip_tracer *tracer; /* ref */
	struct rtp_ports *ports;   /* ref */
	struct calls_opts opts;	   /* strings copied below */
	char public_ip[64];
	char server_secret[128];
	struct list calls;	       /* struct call, in progress */
	struct list lingering;	       /* struct call, ended, not recorded */
	struct list recent;	       /* struct call, recorded, still shown */
	unsigned nrecent;	       /* entries in recent */
	unsigned long long started[2]; /* inbound, outbound */
	unsigned long long answered, unanswered;
	bool draining;
};

struct call {
	struct le le;		    /* in one of the calls lists */
	struct calls *cs;	    /* borrowed */
	struct sipsess *sess;	    /* owned */
	struct rtp_session *rtp;    /* owned */
	struct call_app *media_app; /* owned, from the answer on */
	struct sip_trace *trace;    /* owned: the current dialog's */
	json_t *trace_before;	    /* owned: earlier attempts' messages */
	struct dial *dial;	    /* owned: outbound calls only */
	struct call *bridge;	    /* borrowed: the other leg of a forwarded
				       call while both are in progress */
	struct {
		struct tmr tmr; /* bridge.c: the other leg ended, this one
				   follows from the loop */
		const char *status;
		uint16_t code;
		char reason[128];
	} follow;
	json_t *variables; /* owned: header mapping variables */
	struct tmr answer_tmr, limit_tmr, linger_tmr, session_tmr, media_tmr;
	unsigned session_expires; /* s, 0 without RFC 4028 */
	unsigned max_duration;	  /* s, 0 = --max-call-duration */
	struct mbuf *answer;	  /* owned until sent (inbound) */
	struct sdp_nego nego;
	struct rtp_stats st;	/* taken when the media stops */
	const char *app;	/* "echo", ... */
	const json_t *app_opts; /* NULL: the inbound row's options */
	json_t *app_opts_own;	/* owned copy for outbound calls */
	char recording[256];
	char id[37];
	char callid[128];
	char org_id[40];
	char number[SIPCONF_NUMBER_MAX + 1];
	char from[256], to[600];
	bool outbound;
	const char *transport;
	uint64_t started_ms, answered_ms, ended_ms;
	uint16_t code;	     /* final answer given (inbound) or received */
	char peer_host[280]; /* host[:port] of the other side (transfer) */
	char referrer[37];   /* the call whose REFER placed this one, or "" */
	char bridge_id[37];  /* the other leg of a forwarded call, or "" */
	char caller[64];     /* the From user of an inbound call */
	struct {
		char to[320];	 /* Refer-To, "" without a transfer */
		char state[16];	 /* requested, accepted, refused, trying,
				    completed, failed */
		char detail[96]; /* the last answer or sipfrag line */
		struct sip_request *req; /* the REFER in flight; deref to drop
					    it (libre clears it when done) */
	} transfer;
	const char *status;
	char reason[128];
};

/* A new call in cs->calls, status "queued" (outbound) or "ringing" */
struct call *call_new(struct calls *cs, bool outbound, const char *org_id,
		      const char *number);
/* Follow a dialog's Call-ID in the trace (earlier attempts are kept) */
void call_follow(struct call *c, const struct pl *callid);
/* The call is answered (200 OK sent or received): duration limit runs */
void call_answered(struct call *c);
/* The dialog is established (ACK): the application, session and media
 * timers start */
void call_established(struct call *c);
/*
 * The call is over: hang up (BYE if established, CANCEL before), free the
 * media, record it after a short linger (so the trace holds the last
 * messages)
 */
void call_end(struct call *c, const char *status, const char *reason);
/* RFC 4028: the session was refreshed (re-INVITE or the first ACK) */
void call_session_refreshed(struct call *c);

/* libre sipsess handlers common to both directions (arg: struct call) */
int call_on_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg);
int call_on_answer(const struct sip_msg *msg, void *arg);
void call_on_estab(const struct sip_msg *msg, void *arg);

/* transfer.c: REFER in a call's dialog (libre's referh; arg: the call) */
void call_on_refer(struct sip *sip, const struct sip_msg *msg, void *arg);
/* transfer.c: a call placed for a REFER was answered, or ended unanswered */
void transfer_referred(struct call *nc, bool answered);

/* bridge.c: 0, or 483 when the INVITE has come through too many trunkd
 * forwards or has no Max-Forwards left */
uint16_t bridge_hops_check(const struct sip_msg *msg);
/* bridge.c: forward the accepted inbound call a (its offer answered, its
 * RTP started) through row: the second leg is dialled.  0, or an errno
 * (no leg could be placed: the caller must be answered with an error) */
int bridge_forward(struct call *a, const struct sip_msg *msg, const json_t *row,
		   const char **why);
/* bridge.c: a leg's RTP session exists: relay instead of echo */
void bridge_media(struct call *c);
/* bridge.c: the SDP codecs an outbound leg offers (the inbound leg's
 * codec, and with codec_config.transcode the other G.711 law too) */
void bridge_codecs(const struct call *c, const json_t *row,
		   struct sdp_nego_opts *o);
/* bridge.c: the outbound leg rings: the caller hears 180 Ringing */
void bridge_ringing(struct call *b);
/* bridge.c: the outbound leg was answered: so is the inbound one */
void bridge_answered(struct call *b);
/* bridge.c: one leg ended: end the other (BYE, CANCEL, or the outbound
 * leg's final answer to the caller) */
void bridge_ended(struct call *c);

/* SDP options for this configuration row and transport */
void call_nego_opts(struct sdp_nego_opts *o, const json_t *row, bool tls);
/* hdrmap_get_h over a message (arg: the struct sip_msg) */
bool call_msg_header(const char *name, char *buf, size_t size, void *arg);
/* The body of a message on its own (sdp_nego reads from its start) */
struct mbuf *call_body_of(const struct sip_msg *msg);

/* calls.c: a call of org in memory (in progress, or ended: ended_ms set) */
struct call *calls_find(struct calls *cs, const char *org_id, const char *id);

/* inbound.c: the sipsess listener's handler (arg: struct calls) */
void inbound_invite(const struct sip_msg *msg, void *arg);
/* inbound.c: send the 200 OK (with the SDP answer made from the offer);
 * on failure the call ends */
int inbound_answer(struct call *c);

/*
 * outbound.c: place a call from row (a number's outbound row, or the
 * inbound row of a number that forwards) for the request r (whose from and
 * app calls_dial() has checked); bridge: the inbound call this one
 * forwards, or NULL.  0 with *cp set (the first attempt is under way, or
 * has already failed and ended the call), or an errno with *code and *why
 */
int dial_start(struct calls *cs, const json_t *row,
	       const struct calls_dial_req *r, struct call *bridge,
	       struct call **cp, const char **code, const char **why);
/* outbound.c: the call ended before its dial finished, or is freed */
void dial_close(struct call *c);
/* outbound.c: the call's dial as JSON for the API (attempts), or NULL */
json_t *dial_attempts_json(const struct call *c);

#endif
