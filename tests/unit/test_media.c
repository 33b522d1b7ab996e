/**
 * @file test_media.c  SDES lines, an SRTP round trip between two key pairs,
 *                     and the SDP offer/answer matrix
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "media/sdes.h"
#include "media/sdp_nego.h"

static const char key_line[] =
    "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

static void sdes_lines(void **state)
{
	struct sdes_crypto c, ours;
	char line[SDES_LINE_MAX];

	(void)state;
	assert_int_equal(sdes_parse(&c, key_line), 0);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(sdes_parse(&c,
				    "2 AES_CM_128_HMAC_SHA1_32 inline:"
				    "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"),
			 0);
	assert_int_equal(c.suite, SDES_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(sdes_parse(&c,
				    "1 AEAD_AES_256_GCM inline:"
				    "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"),
			 ENOTSUP);
	assert_int_equal(
	    sdes_parse(&c,
		       "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCk"
		       "gewkyMjA7fQp9CnVubGVz|2^20|1:4"),
	    ENOTSUP);
	assert_int_equal(sdes_parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:abc"),
			 EINVAL);
	assert_int_equal(sdes_parse(&c, "garbage"), EINVAL);

	assert_int_equal(sdes_parse(&c, key_line), 0);
	assert_int_equal(sdes_answer(&ours, &c, line), 0);
	assert_int_equal(ours.tag, 1);
	assert_memory_not_equal(ours.key, c.key, SDES_KEY_LEN);
	assert_true(!strncmp(line, "1 AES_CM_128_HMAC_SHA1_80 inline:", 33));
	assert_int_equal(sdes_parse(&c, line), 0); /* our line parses back */
	assert_memory_equal(c.key, ours.key, SDES_KEY_LEN);
}

/* A protects with its key; B, keyed with A's as "theirs", unprotects */
static void srtp_round_trip(void **state)
{
	struct sdes_crypto ka, kb;
	struct srtp_pair a, b;
	uint8_t pkt[12 + 160 + SDES_TAG_MAX] = {
	    0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78};
	uint8_t orig[12 + 160];
	size_t len = 12 + 160;

	(void)state;
	assert_int_equal(sdes_init(), 0);
	assert_int_equal(sdes_parse(&ka, key_line), 0);
	kb = ka;
	kb.key[0] ^= 0xff;
	memset(pkt + 12, 0xd5, 160);
	memcpy(orig, pkt, sizeof(orig));
	assert_int_equal(srtp_pair_open(&a, &ka, &kb), 0);
	assert_int_equal(srtp_pair_open(&b, &kb, &ka), 0);
	assert_int_equal(srtp_pair_protect(&a, pkt, &len, false), 0);
	assert_int_equal(len, 12 + 160 + 10); /* 80-bit tag */
	assert_memory_not_equal(pkt + 12, orig + 12, 160);
	assert_int_equal(srtp_pair_unprotect(&b, pkt, &len, false), 0);
	assert_int_equal(len, sizeof(orig));
	assert_memory_equal(pkt, orig, sizeof(orig));
	/* the same packet again is a replay */
	assert_int_equal(srtp_pair_protect(&a, pkt, &len, false), EBADMSG);
	srtp_pair_close(&a);
	srtp_pair_close(&b);
}

static int answer(struct sdp_nego *n, const char *media, bool srtp_required,
		  const char *c1, const char *c2, char *out, size_t outlen)
{
	struct sdp_nego_opts o = {0};
	struct mbuf *offer = mbuf_alloc(512), *ans = NULL;
	struct sa laddr;
	int err;

	sa_set_str(&laddr, "127.0.0.1", 0);
	o.laddr = &laddr;
	o.lport = 30000;
	o.srtp_required = srtp_required;
	o.codecs[0] = c1;
	o.codecs[1] = c2;
	mbuf_printf(offer,
		    "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		    "c=IN IP4 127.0.0.1\r\nt=0 0\r\n%s",
		    media);
	offer->pos = 0;
	err = sdp_nego_answer(n, &ans, offer, &o);
	out[0] = '\0';
	if (ans)
		snprintf(out, outlen, "%.*s", (int)ans->end, ans->buf);
	mem_deref(ans);
	mem_deref(offer);
	return err;
}

static void sdp_matrix(void **state)
{
	struct sdp_nego n;
	char a[1024];

	(void)state;
	/* plain offer, both codecs: our order wins (PCMU first by default) */
	assert_int_equal(answer(&n,
				"m=audio 4000 RTP/AVP 8 0 101\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n",
				false, NULL, NULL, a, sizeof(a)),
			 0);
	assert_string_equal(n.codec, "PCMU");
	assert_int_equal(n.dtmf_pt, 101);
	assert_false(n.srtp);
	assert_int_equal(sa_port(&n.remote), 4000);
	assert_non_null(strstr(a, "m=audio 30000 RTP/AVP 0"));
	assert_non_null(strstr(a, "a=ptime:20"));
	/* the number's codec_config order: PCMA first */
	assert_int_equal(answer(&n, "m=audio 4000 RTP/AVP 0 8\r\n", false,
				"PCMA", "PCMU", a, sizeof(a)),
			 0);
	assert_string_equal(n.codec, "PCMA");
	assert_int_equal(n.dtmf_pt, 0);
	/* no common codec */
	assert_int_equal(answer(&n, "m=audio 4000 RTP/AVP 18\r\n", false, NULL,
				NULL, a, sizeof(a)),
			 EPROTO);
	assert_non_null(strstr(n.refusal, "codec"));
	/* plain RTP where SRTP is required */
	assert_int_equal(answer(&n, "m=audio 4000 RTP/AVP 0\r\n", true, NULL,
				NULL, a, sizeof(a)),
			 EPROTO);
	assert_non_null(strstr(n.refusal, "SRTP"));
	/* SAVP with a supported suite after an unsupported one */
	assert_int_equal(answer(&n,
				"m=audio 4000 RTP/SAVP 0\r\n"
				"a=crypto:1 AEAD_AES_256_GCM inline:"
				"WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
				"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"
				"WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
				true, NULL, NULL, a, sizeof(a)),
			 0);
	assert_true(n.srtp);
	assert_int_equal(n.ours.tag, 2);
	assert_non_null(strstr(a, "m=audio 30000 RTP/SAVP 0"));
	assert_non_null(
	    strstr(a, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
	/* SAVP without crypto, and with only unknown suites */
	assert_int_equal(answer(&n, "m=audio 4000 RTP/SAVP 0\r\n", true, NULL,
				NULL, a, sizeof(a)),
			 EPROTO);
	assert_non_null(strstr(n.refusal, "without a=crypto"));
	assert_int_equal(answer(&n,
				"m=audio 4000 RTP/SAVP 0\r\n"
				"a=crypto:1 F8_128_HMAC_SHA1_80 inline:"
				"WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
				true, NULL, NULL, a, sizeof(a)),
			 EPROTO);
	assert_non_null(strstr(n.refusal, "suite"));
	/* garbage */
	assert_int_equal(
	    answer(&n, "not sdp at all", false, NULL, NULL, a, sizeof(a)),
	    EPROTO);
}

/* our offer answered by our own answerer, then taken back by the offerer */
static void sdp_offer_answer(void **state)
{
	struct sdp_nego caller = {0}, callee = {0};
	struct sdp_nego_opts o = {0};
	struct mbuf *offer = NULL, *ans = NULL;
	struct sa laddr;

	(void)state;
	sa_set_str(&laddr, "127.0.0.1", 0);
	o.laddr = &laddr;
	o.lport = 31000;
	o.codecs[0] = "PCMA";
	assert_int_equal(sdp_nego_offer(&caller, &offer, &o, true), 0);
	assert_non_null(strstr((char *)offer->buf, "RTP/SAVP 8 101"));
	assert_non_null(
	    strstr((char *)offer->buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80"));
	o.lport = 32000;
	o.codecs[0] = NULL;
	o.srtp_required = true;
	assert_int_equal(sdp_nego_answer(&callee, &ans, offer, &o), 0);
	assert_string_equal(callee.codec, "PCMA");
	assert_int_equal(sdp_nego_answered(&caller, ans), 0);
	assert_string_equal(caller.codec, "PCMA");
	assert_int_equal(caller.dtmf_pt, 101);
	assert_int_equal(sa_port(&caller.remote), 32000);
	assert_true(caller.srtp);
	/* each side holds the other's key */
	assert_memory_equal(caller.theirs.key, callee.ours.key, SDES_KEY_LEN);
	assert_memory_equal(callee.theirs.key, caller.ours.key, SDES_KEY_LEN);
	assert_null(caller.offer); /* closed once answered */
	mem_deref(ans);
	mem_deref(offer);
	/* an answer without crypto to an SRTP offer is refused */
	assert_int_equal(sdp_nego_offer(&caller, &offer, &o, true), 0);
	ans = mbuf_alloc(256);
	mbuf_printf(ans, "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			 "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio 4000 RTP/SAVP 0\r\n");
	assert_int_equal(sdp_nego_answered(&caller, ans), EPROTO);
	assert_non_null(strstr(caller.refusal, "crypto"));
	sdp_nego_close(&caller);
	mem_deref(ans);
	mem_deref(offer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sdes_lines),
	    cmocka_unit_test(srtp_round_trip),
	    cmocka_unit_test(sdp_matrix),
	    cmocka_unit_test(sdp_offer_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
