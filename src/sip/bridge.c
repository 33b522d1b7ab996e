/**
 * @file bridge.c  Inbound forwarding (B2BUA): a call to a number whose
 *                 inbound direction has a sip_endpoint is forwarded there
 *
 * The inbound leg is accepted with 183 Session Progress (no SDP) and its
 * offer answered on its own RTP port; the outbound leg is dialled through
 * the same row like any outbound call (failover, digest auth, TLS/SRTP per
 * its options), from the caller's number to the endpoint's user or else the
 * dialled number.  What one leg does the other mirrors: the first ringing
 * gives the caller 180, the answer gives it 200 OK, a final refusal gives it
 * the same code (busy stays 486), a failure to reach the endpoint gives it
 * 503 with a Warning, and a BYE or CANCEL on either side ends both.
 *
 * Media: each leg keeps its own RTP session and SRTP keys; every audio
 * packet of one leg's negotiated codec is sent on the other leg, through
 * G.711 μ-law ↔ A-law when the legs' codecs differ (the outbound leg offers
 * the inbound leg's codec, and the other law too only when
 * codec_config.transcode is set).  RFC 4733 digits are relayed as events
 * regenerated on the other leg (100 ms each) once they end.
 *
 * Loops: the outbound leg carries X-Trunkd-Hops (one more than the
 * inbound INVITE's); an INVITE with BRIDGE_HOPS_MAX of them, or with
 * Max-Forwards 0 or 1, is refused with 483 instead of forwarded.
 *
 * Ownership: the legs only borrow each other (call->bridge), cleared on
 * both sides as soon as either ends; the other leg then ends from its own
 * zero-delay timer (call->follow), never inside a libre callback of the
 * first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <re_sipsess.h>
#include <jansson.h>
#include "core/hdrmap.h"
#include "core/log.h"
#include "media/g711.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/call_int.h"

#define BRIDGE_HOPS_MAX 4
#define HOPS_HEADER	"X-Trunkd-Hops"
#define RELAY_MAX	480 /* bytes of G.711: 60 ms */

static unsigned header_uint(const struct sip_msg *msg, const char *name,
			    unsigned dflt)
{
	const struct sip_hdr *h = sip_msg_xhdr(msg, name);

	return h ? (unsigned)pl_u32(&h->val) : dflt;
}

uint16_t bridge_hops_check(const struct sip_msg *msg)
{
	if (header_uint(msg, HOPS_HEADER, 0) >= BRIDGE_HOPS_MAX ||
	    header_uint(msg, "Max-Forwards", 70) <= 1)
		return 483;
	return 0;
}

static bool is_pcmu(const struct call *c)
{
	return c->nego.codec && !strcmp(c->nego.codec, "PCMU");
}

static void relay_audio(const uint8_t *payload, size_t len, uint8_t pt,
			void *arg)
{
	struct call *c = arg, *o = c->bridge;
	uint8_t out[RELAY_MAX];
	int16_t pcm[RELAY_MAX];

	if (!o || !o->rtp || !o->nego.codec || pt != c->nego.pt ||
	    len > RELAY_MAX)
		return;
	if (o->nego.pt == pt) {
		(void)rtp_session_send(o->rtp, pt, payload, len, (uint32_t)len);
		return;
	}
	g711_decode(is_pcmu(c) ? G711_ULAW : G711_ALAW, pcm, payload, len);
	g711_encode(is_pcmu(o) ? G711_ULAW : G711_ALAW, out, pcm, len);
	(void)rtp_session_send(o->rtp, o->nego.pt, out, len, (uint32_t)len);
}

static void relay_digit(char digit, void *arg)
{
	struct call *c = arg, *o = c->bridge;
	char digits[2] = {digit, '\0'};
	int err;

	if (!o || !o->rtp)
		return;
	err = rtp_session_send_digits(o->rtp, digits);
	if (err)
		log_info("call", c->id, "DTMF '%c' not relayed: %s", digit,
			 err == ENOTSUP ? "the other leg took no "
					  "telephone-event"
					: strerror(err));
}

void bridge_media(struct call *c)
{
	if (c->bridge && c->rtp)
		rtp_session_app(c->rtp, false, relay_audio, relay_digit, c);
}

void bridge_codecs(const struct call *c, const json_t *row,
		   struct sdp_nego_opts *o)
{
	const struct call *in = c->bridge;
	bool transcode = json_is_true(
	    json_object_get(json_object_get(row, "codec_config"), "transcode"));

	if (!in || !in->nego.codec)
		return;
	o->codecs[0] = in->nego.codec;
	o->codecs[1] = transcode ? (is_pcmu(in) ? "PCMA" : "PCMU") : NULL;
	o->codecs[2] = NULL;
}

void bridge_ringing(struct call *b)
{
	struct call *a = b->bridge;

	if (a && !a->answered_ms &&
	    sipsess_progress(a->sess, 180, "Ringing", NULL, NULL))
		log_warn("call", a->id, "180 Ringing could not be sent");
}

void bridge_answered(struct call *b)
{
	struct call *a = b->bridge;

	if (!a || a->answered_ms)
		return;
	log_info("call", a->id, "forward %s answered: answering the caller",
		 b->id);
	(void)inbound_answer(a); /* on failure a ends, and b follows */
}

/* What the caller is told when the forward fails before an answer: the
 * callee's own refusal, or 503 (480 when nobody answered in time) */
static void reject_caller(struct call *a)
{
	uint16_t code = a->follow.code;
	const char *text = a->follow.reason;
	char warn[256];

	if (code >= 400 && code != 401 && code != 407) {
		/* the reason is "<code> <phrase>": keep the phrase */
		const char *phrase = strchr(text, ' ');

		(void)sipsess_reject(a->sess, code, phrase ? phrase + 1 : "",
				     NULL);
		a->code = code;
		return;
	}
	code = strcmp(a->follow.status, "no_answer") ? 503 : 480;
	snprintf(warn, sizeof(warn),
		 "Warning: 399 trunkd \"%.150s\"\r\n"
		 "Content-Length: 0\r\n\r\n",
		 text);
	(void)sipsess_reject(a->sess, code,
			     code == 503 ? "Service Unavailable"
					 : "Temporarily Unavailable",
			     "%s", warn);
	a->code = code;
}

static void on_follow(void *arg)
{
	struct call *c = arg;

	if (c->answered_ms) {
		call_end(c, "completed",
			 c->outbound ? "caller hung up" : "callee hung up");
	} else if (c->outbound) {
		c->code = 487;
		call_end(c, "canceled", "caller canceled");
	} else {
		reject_caller(c);
		call_end(c, c->follow.status, c->follow.reason);
	}
}

void bridge_ended(struct call *c)
{
	struct call *o = c->bridge;

	if (!o)
		return;
	c->bridge = o->bridge = NULL;
	o->follow.status = c->status;
	o->follow.code = c->code;
	snprintf(o->follow.reason, sizeof(o->follow.reason), "%s", c->reason);
	tmr_start(&o->follow.tmr, 0, on_follow, o);
}

int bridge_forward(struct call *a, const struct sip_msg *msg, const json_t *row,
		   const char **why)
{
	json_t *headers = hdrmap_passthrough(json_object_get(row, "headers"),
					     call_msg_header, (void *)msg);
	struct calls_dial_req r = {
	    .org_id = a->org_id,
	    .from = a->number,
	    .to = a->number,
	    .app = "forward",
	    .variables = a->variables,
	    .headers = headers,
	};
	const char *code;
	struct call *b;
	int err;

	if (!headers) {
		*why = "out of memory";
		return ENOMEM;
	}
	json_object_set_new(
	    headers, HOPS_HEADER,
	    json_sprintf("%u", header_uint(msg, HOPS_HEADER, 0) + 1));
	a->app = "forward";
	rtp_session_app(a->rtp, false, NULL, NULL, NULL); /* no echo */
	err = dial_start(a->cs, row, &r, a, &b, &code, why);
	json_decref(headers);
	if (err)
		return err;
	bridge_media(a);
	log_info("call", a->id, "forwarded as %s", b->id);
	return 0;
}
