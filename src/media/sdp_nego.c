/** @file sdp_nego.c  Audio offer/answer, both roles (see sdp_nego.h) */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_sdp.h>
#include "media/sdp_nego.h"

static const struct {
	const char *name;
	const char *id;
} g711[] = {{"PCMU", "0"}, {"PCMA", "8"}};

struct crypto_pick {
	struct sdes_crypto c;
	bool found, seen;
};

static bool on_crypto(const char *name, const char *value, void *arg)
{
	struct crypto_pick *pick = arg;

	(void)name;
	pick->seen = true;
	if (!sdes_parse(&pick->c, value)) {
		pick->found = true;
		return true; /* the first line we can honour */
	}
	return false;
}

static const char *const default_codecs[] = {"PCMU", "PCMA", NULL};

static const char *const *preference(const struct sdp_nego_opts *o)
{
	return o->codecs[0] ? o->codecs : default_codecs;
}

static int add_formats(struct sdp_media *m, const struct sdp_nego_opts *o)
{
	const char *const *want = preference(o);
	int err = 0;

	for (size_t i = 0; want[i] && !err; i++)
		for (size_t j = 0; j < 2 && !err; j++)
			if (!strcmp(want[i], g711[j].name))
				err = sdp_format_add(
				    NULL, m, false, g711[j].id, g711[j].name,
				    8000, 1, NULL, NULL, NULL, false, NULL);
	if (!err)
		err = sdp_format_add(NULL, m, false, "101", "telephone-event",
				     8000, 1, NULL, NULL, NULL, false, "0-16");
	return err;
}

/*
 * The first codec of our preference the offer also has; the others are
 * dropped from the answer so the caller sends that one (libre aligns our
 * format list to the offer's order, which would otherwise win)
 */
static bool pick_codec(struct sdp_nego *n, struct sdp_media *m,
		       const char *const *pref)
{
	struct sdp_format *f, *other;

	for (size_t i = 0; pref[i]; i++) {
		f = sdp_media_format(m, true, NULL, -1, pref[i], -1, -1);
		if (!f || !f->sup)
			continue;
		n->codec = !strcmp(f->name, "PCMU") ? "PCMU" : "PCMA";
		n->pt = (uint8_t)f->pt;
		for (size_t j = 0; j < 2; j++) {
			if (!strcmp(g711[j].name, n->codec))
				continue;
			other = sdp_media_format(m, true, NULL, -1,
						 g711[j].name, -1, -1);
			mem_deref(other);
		}
		return true;
	}
	return false;
}

/* our audio stream: the formats in preference order, ptime 20 */
static int local_session(struct sdp_session **sessp, struct sdp_media **mp,
			 const struct sdp_nego_opts *o, const char *proto)
{
	int err = sdp_session_alloc(sessp, o->laddr);

	if (!err)
		err = sdp_media_add(mp, *sessp, "audio", o->lport, proto);
	if (!err)
		err = add_formats(*mp, o);
	if (!err)
		err = sdp_media_set_lattr(*mp, true, "ptime", "20");
	return err;
}

/* where to send, whether to send, and the DTMF payload type */
static void take_remote(struct sdp_nego *n, const struct sdp_media *m)
{
	const struct sdp_format *te = sdp_media_rformat(m, "telephone-event");

	n->dtmf_pt = te ? (uint8_t)te->pt : 0;
	sa_cpy(&n->remote, sdp_media_raddr(m));
	/* libre mirrors the peer: their sendonly is our recvonly */
	n->held = sdp_media_rdir(m) == SDP_RECVONLY ||
		  sdp_media_rdir(m) == SDP_INACTIVE ||
		  !sa_isset(&n->remote, SA_ADDR);
}

int sdp_nego_answer(struct sdp_nego *n, struct mbuf **answerp,
		    struct mbuf *offer, const struct sdp_nego_opts *o)
{
	struct sdp_session *sess = NULL;
	struct sdp_media *m = NULL;
	struct crypto_pick pick = {0};
	char line[SDES_LINE_MAX];
	int err;

	memset(n, 0, sizeof(*n));
	err = local_session(&sess, &m, o, "RTP/AVP");
	if (!err)
		err = sdp_media_set_alt_protos(m, 2, "RTP/AVP", "RTP/SAVP");
	if (err)
		goto out;
	offer->pos = 0;
	err = sdp_decode(sess, offer, true);
	if (err) {
		n->refusal = "the SDP offer does not parse";
		err = EPROTO;
		goto out;
	}
	if (!sdp_media_rport(m)) {
		n->refusal = "no audio stream in the offer";
		err = EPROTO;
		goto out;
	}
	n->srtp = !strcmp(sdp_media_proto(m), "RTP/SAVP");
	if (!n->srtp && o->srtp_required) {
		n->refusal = "SRTP (RTP/SAVP with a=crypto) is required";
		err = EPROTO;
		goto out;
	}
	if (!pick_codec(n, m, preference(o))) {
		n->refusal = "no common codec (PCMU, PCMA)";
		err = EPROTO;
		goto out;
	}
	if (n->srtp) {
		sdp_media_rattr_apply(m, "crypto", on_crypto, &pick);
		if (!pick.found) {
			n->refusal = pick.seen ? "no supported crypto suite"
					       : "RTP/SAVP without a=crypto";
			err = EPROTO;
			goto out;
		}
		n->theirs = pick.c;
		err = sdes_answer(&n->ours, &n->theirs, line);
		if (!err)
			err =
			    sdp_media_set_lattr(m, true, "crypto", "%s", line);
		if (err)
			goto out;
	}
	take_remote(n, m);
	err = sdp_encode(answerp, sess, false);
out:
	mem_deref(sess);
	return err;
}

int sdp_nego_offer(struct sdp_nego *n, struct mbuf **offerp,
		   const struct sdp_nego_opts *o, bool srtp)
{
	struct sdp_session *sess = NULL;
	struct sdp_media *m = NULL;
	char line[SDES_LINE_MAX];
	int err;

	sdp_nego_close(n);
	memset(n, 0, sizeof(*n));
	n->srtp = srtp;
	err = local_session(&sess, &m, o, srtp ? "RTP/SAVP" : "RTP/AVP");
	if (!err && srtp)
		err = sdes_offer(&n->ours, line);
	if (!err && srtp)
		err = sdp_media_set_lattr(m, true, "crypto", "%s", line);
	if (!err)
		err = sdp_encode(offerp, sess, true);
	if (err) {
		mem_deref(sess);
		return err;
	}
	n->offer = sess;
	n->offer_media = m;
	return 0;
}

int sdp_nego_answered(struct sdp_nego *n, struct mbuf *answer)
{
	struct sdp_media *m = n->offer_media;
	struct crypto_pick pick = {0};
	const struct sdp_format *f;

	if (!n->offer)
		return EINVAL;
	answer->pos = 0;
	if (sdp_decode(n->offer, answer, false)) {
		n->refusal = "the SDP answer does not parse";
		return EPROTO;
	}
	if (!sdp_media_rport(m)) {
		n->refusal = "the answer refused the audio stream";
		return EPROTO;
	}
	/* the answerer's first format; static types may come without rtpmap */
	f = sdp_media_rformat(m, NULL);
	n->codec = !f				  ? NULL
		   : f->pt == 0			  ? "PCMU"
		   : f->pt == 8			  ? "PCMA"
		   : !f->name			  ? NULL
		   : !strcasecmp(f->name, "PCMU") ? "PCMU"
		   : !strcasecmp(f->name, "PCMA") ? "PCMA"
						  : NULL;
	if (!n->codec) {
		n->refusal = "no common codec (PCMU, PCMA) in the answer";
		return EPROTO;
	}
	n->pt = (uint8_t)f->pt;
	if (n->srtp) {
		sdp_media_rattr_apply(m, "crypto", on_crypto, &pick);
		if (!pick.found || pick.c.tag != n->ours.tag ||
		    pick.c.suite != n->ours.suite) {
			n->refusal = "the answer has no matching a=crypto";
			return EPROTO;
		}
		n->theirs = pick.c;
	}
	take_remote(n, m);
	sdp_nego_close(n); /* negotiation done: libre's session goes */
	return 0;
}

void sdp_nego_close(struct sdp_nego *n)
{
	n->offer = mem_deref(n->offer);
	n->offer_media = NULL;
}
