/**
 * @file srtp_fast.h  Faster AES-128-ICM and HMAC-SHA1 registered into libsrtp2
 *
 * Debian builds libsrtp2 on NSS, which sets up a PKCS#11 context for every
 * packet (about 2-4 us per protect or unprotect).  srtp_fast_install()
 * swaps in OpenSSL EVP primitives (AES-128-CTR, using AES-NI when the CPU
 * has it; SHA-1 with the HMAC inner and outer states precomputed once per
 * key, using SHA-NI when the CPU has it) through libsrtp2's
 * srtp_replace_cipher_type() / srtp_replace_auth_type().  libsrtp2 keeps the
 * protocol: key derivation, ROC, replay window, tag layout.
 *
 * Only SRTP_AES_ICM_128 (30-byte key: 16 key + 14 salt) and SRTP_HMAC_SHA1
 * are replaced, which covers AES_CM_128_HMAC_SHA1_80/_32, the suites trunkd
 * negotiates; other ids keep libsrtp2's own.
 *
 * libsrtp2's crypto kernel is process-wide: install once, after srtp_init()
 * (sdes_init()), before contexts are created.  Contexts created earlier keep
 * the primitives they were created with.  Not thread-safe (one loop).
 */
#ifndef TRUNKD_MEDIA_SRTP_FAST_H
#define TRUNKD_MEDIA_SRTP_FAST_H

struct srtp_cipher_type_t;
struct srtp_auth_type_t;

/*
 * Register both types.  libsrtp2 first runs their known-answer tests (RFC
 * 3711 B.2 AES-CM keystream, RFC 2202 HMAC-SHA1) and those of the types
 * they replace; if one fails, that type is not replaced.  Returns 0, or EIO
 * (logged) when a type was refused.
 */
int srtp_fast_install(void);

/* The type descriptions themselves, for known-answer tests */
const struct srtp_cipher_type_t *srtp_fast_cipher_type(void);
const struct srtp_auth_type_t *srtp_fast_auth_type(void);

#endif
