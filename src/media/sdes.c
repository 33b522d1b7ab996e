/** @file sdes.c  SDES key lines and libsrtp2 contexts (see sdes.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <srtp2/srtp.h>
#include <re_types.h>
#include <re_base64.h>
#include <re_sys.h>
#include "media/sdes.h"

static const struct {
	const char *name;
	enum sdes_suite suite;
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", SDES_AES_CM_128_HMAC_SHA1_80},
    {"AES_CM_128_HMAC_SHA1_32", SDES_AES_CM_128_HMAC_SHA1_32},
};

const char *sdes_suite_name(enum sdes_suite s)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == s)
			return suites[i].name;
	return "none";
}

int sdes_parse(struct sdes_crypto *c, const char *value)
{
	char suite[40], key[64];
	size_t klen = SDES_KEY_LEN;
	unsigned tag;
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (sscanf(value, "%u %39s inline:%63[A-Za-z0-9+/=]%n", &tag, suite,
		   key, &n) != 3)
		return EINVAL;
	/* "|lifetime", "|MKI:len" or session parameters: not supported */
	if (value[n] && value[n] != ' ')
		return ENOTSUP;
	while (value[n] == ' ')
		n++;
	if (value[n])
		return ENOTSUP;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!strcmp(suite, suites[i].name))
			c->suite = suites[i].suite;
	if (!c->suite)
		return ENOTSUP;
	if (tag > 999999999 || base64_decode(key, strlen(key), c->key, &klen) ||
	    klen != SDES_KEY_LEN)
		return EINVAL;
	c->tag = tag;
	return 0;
}

int sdes_answer(struct sdes_crypto *ours, const struct sdes_crypto *theirs,
		char line[SDES_LINE_MAX])
{
	char b64[48];
	size_t blen = sizeof(b64) - 1;
	int err;

	ours->tag = theirs->tag;
	ours->suite = theirs->suite;
	rand_bytes(ours->key, sizeof(ours->key));
	err = base64_encode(ours->key, sizeof(ours->key), b64, &blen);
	if (err)
		return err;
	b64[blen] = '\0';
	snprintf(line, SDES_LINE_MAX, "%u %s inline:%s", ours->tag,
		 sdes_suite_name(ours->suite), b64);
	return 0;
}

int sdes_offer(struct sdes_crypto *ours, char line[SDES_LINE_MAX])
{
	const struct sdes_crypto want = {.tag = 1,
					 .suite = SDES_AES_CM_128_HMAC_SHA1_80};

	return sdes_answer(ours, &want, line);
}

int sdes_init(void)
{
	static bool done;

	if (!done && srtp_init() != srtp_err_status_ok)
		return EIO;
	done = true;
	return 0;
}

static int ctx_open(void **ctxp, const struct sdes_crypto *c, bool inbound)
{
	srtp_policy_t pol;
	srtp_t ctx;

	memset(&pol, 0, sizeof(pol));
	if (c->suite == SDES_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	/* SRTCP keeps the 80-bit tag in both suites (RFC 4568 6.2.1) */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)c->key;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	if (srtp_create(&ctx, &pol) != srtp_err_status_ok)
		return EINVAL;
	*ctxp = ctx;
	return 0;
}

int srtp_pair_open(struct srtp_pair *p, const struct sdes_crypto *ours,
		   const struct sdes_crypto *theirs)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = ctx_open(&p->tx, ours, false);
	if (!err)
		err = ctx_open(&p->rx, theirs, true);
	if (err)
		srtp_pair_close(p);
	return err;
}

void srtp_pair_close(struct srtp_pair *p)
{
	if (p->tx)
		srtp_dealloc(p->tx);
	if (p->rx)
		srtp_dealloc(p->rx);
	p->tx = p->rx = NULL;
}

int srtp_pair_protect(struct srtp_pair *p, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t s = rtcp ? srtp_protect_rtcp(p->tx, buf, &n)
				   : srtp_protect(p->tx, buf, &n);

	if (s != srtp_err_status_ok)
		return EBADMSG;
	*len = (size_t)n;
	return 0;
}

int srtp_pair_unprotect(struct srtp_pair *p, uint8_t *buf, size_t *len,
			bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t s = rtcp ? srtp_unprotect_rtcp(p->rx, buf, &n)
				   : srtp_unprotect(p->rx, buf, &n);

	if (s != srtp_err_status_ok)
		return EBADMSG;
	*len = (size_t)n;
	return 0;
}
