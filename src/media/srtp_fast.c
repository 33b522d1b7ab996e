/** @file srtp_fast.c  OpenSSL AES-128-ICM and HMAC-SHA1 for libsrtp2 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include "core/log.h"
#include "media/srtp_fast.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define AES_KEY_LEN SRTP_AES_128_KEY_LEN	   /* 16 */
#define ICM_KEY_LEN SRTP_AES_ICM_128_KEY_LEN_WSALT /* key + salt, 30 */
#define AES_BLOCK   16
#define KS_BLOCKS   16 /* keystream blocks made per OpenSSL call */
#define SHA1_LEN    20
#define SHA1_BLOCK  64

/*
 * AES-128 in counter mode as RFC 3711 4.1.1 defines it: the 14-byte salt
 * k_s, shifted left 16 bits, is XORed with the 16-byte IV libsrtp2 computes
 * (SSRC and packet index, or the KDF label); the low 16 bits count blocks.
 * We make the counter blocks ourselves and encrypt them with AES-128-ECB,
 * KS_BLOCKS at a time: OpenSSL runs its pipelined AES-NI code on them, and a
 * new packet costs no EVP re-initialisation (which in OpenSSL 3.0 goes
 * through parameter look-ups costing about as much as the AES itself).
 * Like libsrtp2's own, the 16-bit block counter never wraps: more than the
 * blocks left is refused.
 *
 * One allocation holds libsrtp2's srtp_cipher_t and our state, and
 * dealloc frees both: libsrtp2 owns the object between alloc and dealloc.
 */
struct aes_icm {
	srtp_cipher_t cipher;	    /* handed to libsrtp2; .state is us */
	EVP_CIPHER_CTX *ecb;	    /* owned: AES-128-ECB, the key schedule */
	uint8_t offset[AES_BLOCK];  /* k_s << 16, the counter's base */
	uint8_t counter[AES_BLOCK]; /* the next counter block */
	uint8_t stream[AES_BLOCK];  /* keystream of the previous block */
	unsigned used;		    /* bytes of stream consumed (16: all) */
};

/*
 * HMAC-SHA1 (RFC 2104).  The SHA-1 states after hashing key ^ ipad and
 * key ^ opad are computed once in init; each packet copies them instead of
 * hashing two extra blocks.  libsrtp2 calls start, update (the packet),
 * then compute (the ROC, then the tag).
 */
struct hmac_sha1 {
	srtp_auth_t auth;  /* handed to libsrtp2; .state points here */
	EVP_MD_CTX *inner; /* owned: SHA-1 over key ^ ipad */
	EVP_MD_CTX *outer; /* owned: SHA-1 over key ^ opad */
	EVP_MD_CTX *work;  /* owned: the message being authenticated */
};

static const srtp_cipher_type_t aes_icm_type;
static const srtp_auth_type_t hmac_type;

static srtp_err_status_t aes_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	struct aes_icm *a;

	(void)tag_len;
	if (key_len != ICM_KEY_LEN)
		return srtp_err_status_bad_param;
	a = calloc(1, sizeof(*a));
	if (!a)
		return srtp_err_status_alloc_fail;
	a->ecb = EVP_CIPHER_CTX_new();
	if (!a->ecb) {
		free(a);
		return srtp_err_status_alloc_fail;
	}
	a->cipher.type = &aes_icm_type;
	a->cipher.state = a;
	a->cipher.key_len = key_len;
	a->cipher.algorithm = SRTP_AES_ICM_128;
	a->used = AES_BLOCK;
	*cp = &a->cipher;
	return srtp_err_status_ok;
}

static srtp_err_status_t aes_dealloc(srtp_cipher_t *c)
{
	struct aes_icm *a = c->state;

	EVP_CIPHER_CTX_free(a->ecb);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
	return srtp_err_status_ok;
}

/* key: 16 bytes of AES key, then the 14-byte salt */
static srtp_err_status_t aes_init(void *state, const uint8_t *key)
{
	struct aes_icm *a = state;

	memset(a->offset, 0, sizeof(a->offset));
	memcpy(a->offset, key + AES_KEY_LEN, SRTP_SALT_LEN);
	a->used = AES_BLOCK;
	if (!EVP_EncryptInit_ex(a->ecb, EVP_aes_128_ecb(), NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(a->ecb, 0))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* CTR is symmetric: the direction changes nothing */
static srtp_err_status_t aes_set_iv(void *state, uint8_t *iv,
				    srtp_cipher_direction_t dir)
{
	struct aes_icm *a = state;

	(void)dir;
	for (size_t i = 0; i < AES_BLOCK; i++)
		a->counter[i] = a->offset[i] ^ iv[i];
	a->used = AES_BLOCK;
	return srtp_err_status_ok;
}

static void xor_into(uint8_t *buf, const uint8_t *ks, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, buf + i, 8);
		memcpy(&y, ks + i, 8);
		x ^= y;
		memcpy(buf + i, &x, 8);
	}
	for (; i < n; i++)
		buf[i] ^= ks[i];
}

/*
 * The keystream of nb blocks from the counter on; the counter moves on.
 * The counter is handled as two 64-bit words, not bytes: byte stores
 * followed by 16-byte loads would stall store forwarding on every block.
 */
static bool keystream(struct aes_icm *a, uint8_t *ks, unsigned nb)
{
	uint8_t ctr[KS_BLOCKS * AES_BLOCK];
	uint64_t hi, lo;
	int out;

	memcpy(&hi, a->counter, 8);
	memcpy(&lo, a->counter + 8, 8);
	lo = be64toh(lo);
	for (unsigned i = 0; i < nb; i++) {
		uint64_t v = htobe64((lo & ~0xffffULL) | ((lo + i) & 0xffff));

		memcpy(ctr + i * AES_BLOCK, &hi, 8);
		memcpy(ctr + i * AES_BLOCK + 8, &v, 8);
	}
	lo = htobe64((lo & ~0xffffULL) | ((lo + nb) & 0xffff));
	memcpy(a->counter + 8, &lo, 8);
	return EVP_EncryptUpdate(a->ecb, ks, &out, ctr,
				 (int)(nb * AES_BLOCK)) &&
	       out == (int)(nb * AES_BLOCK);
}

/* In place; successive calls after one set_iv continue the keystream */
static srtp_err_status_t aes_crypt(void *state, uint8_t *buf, unsigned *len)
{
	struct aes_icm *a = state;
	uint8_t ks[KS_BLOCKS * AES_BLOCK];
	unsigned n = *len, left = AES_BLOCK - a->used;
	unsigned fresh = n > left ? n - left : 0; /* bytes of new blocks */
	unsigned blocks = fresh / AES_BLOCK + (fresh % AES_BLOCK != 0);

	if (blocks > 0xffffu - (unsigned)(a->counter[14] << 8 | a->counter[15]))
		return srtp_err_status_terminus;
	for (; n && a->used < AES_BLOCK; n--)
		*buf++ ^= a->stream[a->used++];
	while (n) {
		unsigned nb = (n + AES_BLOCK - 1) / AES_BLOCK;
		unsigned bytes;

		nb = nb < KS_BLOCKS ? nb : KS_BLOCKS;
		if (!keystream(a, ks, nb))
			return srtp_err_status_cipher_fail;
		bytes = n < nb * AES_BLOCK ? n : nb * AES_BLOCK;
		xor_into(buf, ks, bytes);
		buf += bytes;
		n -= bytes;
		if (bytes % AES_BLOCK) { /* keep the rest for the next call */
			memcpy(a->stream, ks + (nb - 1) * AES_BLOCK, AES_BLOCK);
			a->used = bytes % AES_BLOCK;
		}
	}
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *ap)
{
	struct hmac_sha1 *h = ap->state;

	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	struct hmac_sha1 *h;

	if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	h = calloc(1, sizeof(*h));
	if (!h)
		return srtp_err_status_alloc_fail;
	h->inner = EVP_MD_CTX_new();
	h->outer = EVP_MD_CTX_new();
	h->work = EVP_MD_CTX_new();
	if (!h->inner || !h->outer || !h->work) {
		h->auth.state = h;
		hmac_dealloc(&h->auth);
		return srtp_err_status_alloc_fail;
	}
	h->auth.type = &hmac_type;
	h->auth.state = h;
	h->auth.out_len = out_len;
	h->auth.key_len = key_len;
	h->auth.prefix_len = 0;
	*ap = &h->auth;
	return srtp_err_status_ok;
}

/* One SHA-1 state after hashing the block key ^ pad */
static bool pad_state(EVP_MD_CTX *md, const uint8_t k[SHA1_BLOCK], uint8_t pad)
{
	uint8_t block[SHA1_BLOCK];
	bool ok;

	for (size_t i = 0; i < SHA1_BLOCK; i++)
		block[i] = k[i] ^ pad;
	ok = EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
	     EVP_DigestUpdate(md, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
	return ok;
}

/* RFC 2104: a key longer than a block is hashed first, a shorter one is
 * zero-padded; SRTP's is 20 bytes */
static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac_sha1 *h = state;
	uint8_t k[SHA1_BLOCK] = {0};
	bool ok = true;

	if (key_len > SHA1_BLOCK)
		ok =
		    EVP_Digest(key, (size_t)key_len, k, NULL, EVP_sha1(), NULL);
	else if (key_len > 0)
		memcpy(k, key, (size_t)key_len);
	ok = ok && pad_state(h->inner, k, 0x36) && pad_state(h->outer, k, 0x5c);
	OPENSSL_cleanse(k, sizeof(k));
	return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac_sha1 *h = state;

	if (!EVP_MD_CTX_copy_ex(h->work, h->inner))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *msg, int len)
{
	struct hmac_sha1 *h = state;

	if (len < 0 || !EVP_DigestUpdate(h->work, msg, (size_t)len))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Hashes the last part of the message, then writes the first tag_len
 * bytes of the HMAC */
static srtp_err_status_t hmac_compute(void *state, const uint8_t *msg, int len,
				      int tag_len, uint8_t *tag)
{
	struct hmac_sha1 *h = state;
	uint8_t digest[SHA1_LEN];
	bool ok;

	if (tag_len < 0 || tag_len > SHA1_LEN || len < 0)
		return srtp_err_status_bad_param;
	ok = EVP_DigestUpdate(h->work, msg, (size_t)len) &&
	     EVP_DigestFinal_ex(h->work, digest, NULL) &&
	     EVP_MD_CTX_copy_ex(h->work, h->outer) &&
	     EVP_DigestUpdate(h->work, digest, sizeof(digest)) &&
	     EVP_DigestFinal_ex(h->work, digest, NULL);
	if (ok)
		memcpy(tag, digest, (size_t)tag_len);
	OPENSSL_cleanse(digest, sizeof(digest));
	return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

/*
 * Known answers that libsrtp2 checks when the types are registered.
 * RFC 3711 B.2: session key and salt, keystream for counters ...0000 to
 * ...0001, then (IV low bits FEFF) ...FEFF to ...FF01.  libsrtp2 only reads
 * through the non-const idx pointer.
 */
static const uint8_t icm_key[ICM_KEY_LEN] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
    0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_iv0[16] = {0};
static const uint8_t icm_iv1[16] = {[14] = 0xfe, [15] = 0xff};
static const uint8_t icm_zeros[48] = {0};
static const uint8_t icm_stream0[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1,
    0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02,
    0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
static const uint8_t icm_stream1[48] = {
    0xec, 0x8c, 0xdf, 0x73, 0x98, 0x60, 0x7c, 0xb0, 0xf2, 0xd2, 0x16, 0x75,
    0xea, 0x9e, 0xa1, 0xe4, 0x36, 0x2b, 0x7c, 0x3c, 0x67, 0x73, 0x51, 0x63,
    0x18, 0xa0, 0x77, 0xd7, 0xfc, 0x50, 0x73, 0xae, 0x6a, 0x2c, 0xc3, 0x78,
    0x78, 0x89, 0x37, 0x4f, 0xbe, 0xb4, 0xc8, 0x1b, 0x17, 0xba, 0x6c, 0x44};

static const srtp_cipher_test_case_t icm_case1 = {
    .key_length_octets = ICM_KEY_LEN,
    .key = icm_key,
    .idx = (uint8_t *)icm_iv1,
    .plaintext_length_octets = sizeof(icm_stream1),
    .plaintext = icm_zeros,
    .ciphertext_length_octets = sizeof(icm_stream1),
    .ciphertext = icm_stream1,
};
static const srtp_cipher_test_case_t icm_case0 = {
    .key_length_octets = ICM_KEY_LEN,
    .key = icm_key,
    .idx = (uint8_t *)icm_iv0,
    .plaintext_length_octets = sizeof(icm_stream0),
    .plaintext = icm_zeros,
    .ciphertext_length_octets = sizeof(icm_stream0),
    .ciphertext = icm_stream0,
    .next_test_case = &icm_case1,
};

/* RFC 2202 section 3, test cases 2 (short key) and 6 (key > one block) */
static const uint8_t hmac_key2[] = "Jefe";
static const uint8_t hmac_data2[] = "what do ya want for nothing?";
static const uint8_t hmac_tag2[SHA1_LEN] = {
    0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
    0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
static const uint8_t hmac_key6[80] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t hmac_data6[] =
    "Test Using Larger Than Block-Size Key - Hash Key First";
static const uint8_t hmac_tag6[SHA1_LEN] = {
    0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
    0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12};

static const srtp_auth_test_case_t hmac_case6 = {
    .key_length_octets = sizeof(hmac_key6),
    .key = hmac_key6,
    .data_length_octets = sizeof(hmac_data6) - 1,
    .data = hmac_data6,
    .tag_length_octets = SHA1_LEN,
    .tag = hmac_tag6,
};
static const srtp_auth_test_case_t hmac_case2 = {
    .key_length_octets = sizeof(hmac_key2) - 1,
    .key = hmac_key2,
    .data_length_octets = sizeof(hmac_data2) - 1,
    .data = hmac_data2,
    .tag_length_octets = SHA1_LEN,
    .tag = hmac_tag2,
    .next_test_case = &hmac_case6,
};

static const srtp_cipher_type_t aes_icm_type = {
    .alloc = aes_alloc,
    .dealloc = aes_dealloc,
    .init = aes_init,
    .encrypt = aes_crypt,
    .decrypt = aes_crypt,
    .set_iv = aes_set_iv,
    .description = "AES-128 counter mode using OpenSSL EVP (trunkd)",
    .test_data = &icm_case0,
    .id = SRTP_AES_ICM_128,
};

static const srtp_auth_type_t hmac_type = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 using OpenSSL EVP, pads precomputed (trunkd)",
    .test_data = &hmac_case2,
    .id = SRTP_HMAC_SHA1,
};

const struct srtp_cipher_type_t *srtp_fast_cipher_type(void)
{
	return &aes_icm_type;
}

const struct srtp_auth_type_t *srtp_fast_auth_type(void)
{
	return &hmac_type;
}

/* What OpenSSL can use here, for the start-up log line */
static void cpu_features(bool *aesni, bool *shani)
{
	*aesni = *shani = false;
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d))
		*aesni = c & bit_AES;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		*shani = b & bit_SHA;
#endif
}

int srtp_fast_install(void)
{
	srtp_err_status_t s;
	bool aesni, shani;

	s = srtp_replace_cipher_type(&aes_icm_type, SRTP_AES_ICM_128);
	if (s != srtp_err_status_ok) {
		log_error("srtp_fast", NULL,
			  "AES-128-ICM refused by libsrtp2 (status %d): "
			  "keeping libsrtp2's own",
			  (int)s);
		return EIO;
	}
	s = srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1);
	if (s != srtp_err_status_ok) {
		log_error("srtp_fast", NULL,
			  "HMAC-SHA1 refused by libsrtp2 (status %d): "
			  "keeping libsrtp2's own",
			  (int)s);
		return EIO;
	}
	cpu_features(&aesni, &shani);
	log_info("srtp_fast", NULL,
		 "SRTP AES-128-ICM and HMAC-SHA1 from %s (CPU: AES-NI %s, "
		 "SHA-NI %s)",
		 OpenSSL_version(OPENSSL_VERSION), aesni ? "yes" : "no",
		 shani ? "yes" : "no");
	return 0;
}
