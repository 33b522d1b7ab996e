/**
 * @file test_srtp_fast.c  The OpenSSL SRTP primitives: RFC 3711 and RFC 2202
 *                         known answers, and SRTP/SRTCP packets byte for
 *                         byte the same as with libsrtp2's own primitives
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <srtp2/srtp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include "media/sdes.h"
#include "media/srtp_fast.h"

/*
 * Exported by libsrtp2 but declared only in its private crypto_kernel.h:
 * which type the kernel hands out for an id, to prove ours is in use.
 */
const srtp_cipher_type_t *
srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t *
srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);

#define PKT_MAX 400

/* contexts on libsrtp2's own primitives, made before srtp_fast_install() */
struct ref {
	struct srtp_pair pair[2]; /* _80, _32 */
};

static const enum sdes_suite suites[2] = {SDES_AES_CM_128_HMAC_SHA1_80,
					  SDES_AES_CM_128_HMAC_SHA1_32};

/* Hex digits (spaces ignored) into at most max bytes; the count */
static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = 0;
	unsigned v;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static void master_key(struct sdes_crypto *k, enum sdes_suite suite)
{
	k->tag = 1;
	k->suite = suite;
	for (size_t i = 0; i < SDES_KEY_LEN; i++)
		k->key[i] = (uint8_t)(i * 29 + 3);
}

static int group_setup(void **state)
{
	static struct ref ref;
	struct sdes_crypto k;

	*state = &ref;
	if (sdes_init())
		return -1;
	for (size_t s = 0; s < 2; s++) {
		master_key(&k, suites[s]);
		if (srtp_pair_open(&ref.pair[s], &k, &k))
			return -1;
	}
	if (srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128) ==
		srtp_fast_cipher_type() ||
	    srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1) ==
		srtp_fast_auth_type())
		return -1;
	return srtp_fast_install() ? -1 : 0;
}

static int group_teardown(void **state)
{
	struct ref *ref = *state;

	for (size_t s = 0; s < 2; s++)
		srtp_pair_close(&ref->pair[s]);
	return 0;
}

static void installed(void **state)
{
	(void)state;
	assert_ptr_equal(srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128),
			 srtp_fast_cipher_type());
	assert_ptr_equal(srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1),
			 srtp_fast_auth_type());
	/* libsrtp2's own checks, on the test data our types carry */
	assert_int_equal(srtp_cipher_type_self_test(srtp_fast_cipher_type()),
			 srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_self_test(srtp_fast_auth_type()),
			 srtp_err_status_ok);
	/* installing twice is harmless */
	assert_int_equal(srtp_fast_install(), 0);
}

/* Keystream from our cipher: key (30 bytes) and IV as hex, n bytes */
static void keystream(uint8_t *out, size_t n, const char *key_hex,
		      const char *iv_hex)
{
	uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT], iv[16] = {0};
	srtp_cipher_t *c;
	unsigned len;

	assert_int_equal(unhex(key, sizeof(key), key_hex), sizeof(key));
	unhex(iv, sizeof(iv), iv_hex);
	assert_int_equal(
	    srtp_cipher_type_alloc(srtp_fast_cipher_type(), &c, sizeof(key), 0),
	    srtp_err_status_ok);
	assert_int_equal(srtp_cipher_init(c, key), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt),
			 srtp_err_status_ok);
	memset(out, 0, n);
	/* in two pieces, the first not a whole block: the keystream goes on */
	len = (unsigned)(n < 7 ? n : 7);
	assert_int_equal(srtp_cipher_encrypt(c, out, &len), srtp_err_status_ok);
	len = (unsigned)n - len;
	assert_int_equal(srtp_cipher_encrypt(c, out + n - len, &len),
			 srtp_err_status_ok);
	assert_int_equal(srtp_cipher_dealloc(c), srtp_err_status_ok);
}

/* RFC 3711 B.2: AES-CM keystream segments */
static void aes_cm_rfc3711(void **state)
{
	static const char key[] = "2B7E151628AED2A6ABF7158809CF4F3C"
				  "F0F1F2F3F4F5F6F7F8F9FAFBFCFD";
	/* counters ...0000 to ...0002, then ...FEFF to ...FF01 */
	static const struct {
		const char *iv, *stream;
	} segs[] = {
	    {"", "E03EAD0935C95E80E166B16DD92B4EB4"
		 "D23513162B02D0F72A43A2FE4A5F97AB"
		 "41E95B3BB0A2E8DD477901E4FCA894C0"},
	    {"00000000000000 00000000000000 FEFF",
	     "EC8CDF7398607CB0F2D21675EA9EA1E4"
	     "362B7C3C6773516318A077D7FC5073AE"
	     "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	uint8_t ks[48], want[48];
	srtp_cipher_t *c;
	unsigned len;

	(void)state;
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		keystream(ks, sizeof(ks), key, segs[i].iv);
		unhex(want, sizeof(want), segs[i].stream);
		assert_memory_equal(ks, want, sizeof(ks));
	}
	/* the 16-bit block counter does not wrap; as in libsrtp2's own
	 * cipher, FFFE is the last block */
	assert_int_equal(srtp_cipher_type_alloc(srtp_fast_cipher_type(), &c,
						SRTP_AES_ICM_128_KEY_LEN_WSALT,
						0),
			 srtp_err_status_ok);
	memset(want, 0xff, sizeof(want)); /* key, salt and IV all ones */
	assert_int_equal(srtp_cipher_init(c, want), 0);
	want[15] = 0xfe;
	assert_int_equal(srtp_cipher_set_iv(c, want, srtp_direction_encrypt),
			 0);
	len = 16;
	assert_int_equal(srtp_cipher_encrypt(c, ks, &len), 0);
	len = 1;
	assert_int_equal(srtp_cipher_encrypt(c, ks, &len),
			 srtp_err_status_terminus);
	assert_int_equal(srtp_cipher_dealloc(c), 0);
	/* only AES-128 with its salt: other key sizes stay libsrtp2's */
	assert_int_equal(srtp_cipher_type_alloc(srtp_fast_cipher_type(), &c,
						SRTP_AES_ICM_256_KEY_LEN_WSALT,
						0),
			 srtp_err_status_bad_param);
}

/*
 * RFC 3711 B.3: the key derivation libsrtp2 runs through the same cipher,
 * keyed with master key and salt, label in the IV's byte 7 (r = 0).
 */
static void kdf_rfc3711(void **state)
{
	static const char master[] = "E1F97A0D3E018BE0D64FA32C06DE4139"
				     "0EC675AD498AFEEBB6960B3AABE6";
	uint8_t ks[20], want[20];

	(void)state;
	keystream(ks, 16, master, "");
	unhex(want, sizeof(want), "C61E7A93744F39EE10734AFE3FF7A087");
	assert_memory_equal(ks, want, 16);
	keystream(ks, 14, master, "00000000000000 02");
	unhex(want, sizeof(want), "30CBBC08863D8C85D49DB34A9AE1");
	assert_memory_equal(ks, want, 14);
	keystream(ks, 20, master, "00000000000000 01");
	unhex(want, sizeof(want), "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
	assert_memory_equal(ks, want, 20);
}

/* RFC 2202 section 3: all seven HMAC-SHA1 cases */
static void hmac_rfc2202(void **state)
{
	static const struct {
		const char *key_hex; /* NULL: key_rep repeated key_len times */
		uint8_t key_rep;
		size_t key_len;
		const char *data; /* NULL: data_rep repeated data_len times */
		uint8_t data_rep;
		size_t data_len;
		const char *tag_hex;
	} cases[] = {
	    {NULL, 0x0b, 20, "Hi There", 0, 8,
	     "b617318655057264e28bc0b6fb378c8ef146be00"},
	    {"4a656665", 0, 4, "what do ya want for nothing?", 0, 28,
	     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	    {NULL, 0xaa, 20, NULL, 0xdd, 50,
	     "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
	    {"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 25, NULL,
	     0xcd, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
	    {NULL, 0x0c, 20, "Test With Truncation", 0, 20,
	     "4c1a03424b55e07fe7f27be1"}, /* the 96-bit truncation */
	    {NULL, 0xaa, 80,
	     "Test Using Larger Than Block-Size Key - Hash Key First", 0, 54,
	     "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
	    {NULL, 0xaa, 80,
	     "Test Using Larger Than Block-Size Key and Larger Than One "
	     "Block-Size Data",
	     0, 73, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t key[80], data[80], want[20], tag[20];
		size_t tlen = strlen(cases[i].tag_hex) / 2;
		srtp_auth_t *a;

		if (cases[i].key_hex)
			unhex(key, sizeof(key), cases[i].key_hex);
		else
			memset(key, cases[i].key_rep, cases[i].key_len);
		if (cases[i].data)
			memcpy(data, cases[i].data, cases[i].data_len);
		else
			memset(data, cases[i].data_rep, cases[i].data_len);
		unhex(want, sizeof(want), cases[i].tag_hex);
		assert_int_equal(srtp_auth_type_alloc(srtp_fast_auth_type(), &a,
						      (int)cases[i].key_len,
						      (int)tlen),
				 srtp_err_status_ok);
		assert_int_equal(srtp_auth_init(a, key), srtp_err_status_ok);
		/* whole message through compute */
		assert_int_equal(srtp_auth_start(a), srtp_err_status_ok);
		assert_int_equal(
		    srtp_auth_compute(a, data, (int)cases[i].data_len, tag),
		    srtp_err_status_ok);
		assert_memory_equal(tag, want, tlen);
		/* again, split as SRTP does (packet, then ROC): the
		 * precomputed state is reused, not consumed */
		memset(tag, 0, sizeof(tag));
		assert_int_equal(srtp_auth_start(a), srtp_err_status_ok);
		assert_int_equal(
		    srtp_auth_update(a, data, (int)cases[i].data_len - 4),
		    srtp_err_status_ok);
		assert_int_equal(
		    srtp_auth_compute(a, data + cases[i].data_len - 4, 4, tag),
		    srtp_err_status_ok);
		assert_memory_equal(tag, want, tlen);
		assert_int_equal(srtp_auth_dealloc(a), srtp_err_status_ok);
	}
}

/* RTP: seq from 65500 so the ROC rolls over; payloads of 0..319 bytes, so
 * past the 16 blocks our cipher makes per OpenSSL call */
static size_t rtp_packet(uint8_t *p, unsigned i)
{
	uint16_t seq = (uint16_t)(65500 + i);
	size_t n = (i * 37) % 320;

	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[7] = (uint8_t)i;
	p[8] = 0xca;
	p[11] = 0xfe;
	for (size_t k = 0; k < n; k++)
		p[12 + k] = (uint8_t)(k * 7 + i);
	return 12 + n;
}

/* RTCP receiver report with 0..3 report blocks */
static size_t rtcp_packet(uint8_t *p, unsigned i)
{
	unsigned blocks = i % 4;
	size_t n = 8 + blocks * 24;

	memset(p, 0, n);
	p[0] = (uint8_t)(0x80 | blocks);
	p[1] = 201;
	p[3] = (uint8_t)(n / 4 - 1);
	p[4] = 0xca;
	p[7] = 0xfe;
	for (size_t k = 8; k < n; k++)
		p[k] = (uint8_t)(k + i);
	return n;
}

/*
 * The same packets through libsrtp2's primitives (ref) and ours (fast),
 * keyed alike: the protected bytes are equal, and each side unprotects what
 * the other protected.
 */
static void exchange(struct srtp_pair *ref, struct srtp_pair *fast, bool rtcp,
		     unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		uint8_t orig[PKT_MAX], a[PKT_MAX], b[PKT_MAX];
		size_t n = rtcp ? rtcp_packet(orig, i) : rtp_packet(orig, i);
		size_t la = n, lb = n;

		memcpy(a, orig, n);
		memcpy(b, orig, n);
		assert_int_equal(srtp_pair_protect(ref, a, &la, rtcp), 0);
		assert_int_equal(srtp_pair_protect(fast, b, &lb, rtcp), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_int_equal(srtp_pair_unprotect(fast, a, &la, rtcp), 0);
		assert_int_equal(srtp_pair_unprotect(ref, b, &lb, rtcp), 0);
		assert_int_equal(la, n);
		assert_int_equal(lb, n);
		assert_memory_equal(a, orig, n);
		assert_memory_equal(b, orig, n);
	}
}

static void same_bytes_as_libsrtp(void **state)
{
	struct ref *ref = *state;

	for (size_t s = 0; s < 2; s++) {
		struct sdes_crypto k;
		struct srtp_pair fast;
		uint8_t pkt[PKT_MAX];
		size_t n = rtp_packet(pkt, 1000);

		master_key(&k, suites[s]);
		assert_int_equal(srtp_pair_open(&fast, &k, &k), 0);
		exchange(&ref->pair[s], &fast, false, 300);
		exchange(&ref->pair[s], &fast, true, 300);
		/* tag sizes: 80 bits, or 32; SRTCP keeps 80 and its index */
		assert_int_equal(srtp_pair_protect(&fast, pkt, &n, false), 0);
		assert_int_equal(n, rtp_packet(pkt, 1000) + (s ? 4 : 10));
		n = rtcp_packet(pkt, 0);
		assert_int_equal(srtp_pair_protect(&fast, pkt, &n, true), 0);
		assert_int_equal(n, 8 + 4 + 10);
		srtp_pair_close(&fast);
	}
}

/* A forged or replayed packet is refused, on our primitives too */
static void forgery_and_replay(void **state)
{
	(void)state;
	for (int rtcp = 0; rtcp < 2; rtcp++) {
		struct sdes_crypto k;
		struct srtp_pair p;
		uint8_t pkt[PKT_MAX], bad[PKT_MAX];
		size_t n, len;

		master_key(&k, SDES_AES_CM_128_HMAC_SHA1_32);
		assert_int_equal(srtp_pair_open(&p, &k, &k), 0);
		n = rtcp ? rtcp_packet(pkt, 2) : rtp_packet(pkt, 5);
		assert_int_equal(srtp_pair_protect(&p, pkt, &n, rtcp), 0);
		/* one bit flipped in the encrypted part, then in the tag */
		for (size_t f = 0; f < 2; f++) {
			memcpy(bad, pkt, n);
			bad[f ? n - 1 : 13] ^= 0x01;
			len = n;
			assert_int_equal(
			    srtp_pair_unprotect(&p, bad, &len, rtcp), EBADMSG);
		}
		memcpy(bad, pkt, n);
		len = n;
		assert_int_equal(srtp_pair_unprotect(&p, bad, &len, rtcp), 0);
		memcpy(bad, pkt, n);
		len = n;
		assert_int_equal(srtp_pair_unprotect(&p, bad, &len, rtcp),
				 EBADMSG);
		srtp_pair_close(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(installed),
	    cmocka_unit_test(aes_cm_rfc3711),
	    cmocka_unit_test(kdf_rfc3711),
	    cmocka_unit_test(hmac_rfc2202),
	    cmocka_unit_test(same_bytes_as_libsrtp),
	    cmocka_unit_test(forgery_and_replay),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
