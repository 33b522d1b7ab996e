/**
 * @file sdes.h  SDES-SRTP (RFC 4568): a=crypto lines and libsrtp2 contexts
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 (preferred) and AES_CM_128_HMAC_SHA1_32;
 * master key 16 bytes + salt 14 bytes, "inline:" base64, no lifetime or MKI
 * (lines carrying them are refused, so a peer falls back to a line we can
 * honour).
 *
 * Ownership: struct srtp_pair is embedded by its user; srtp_pair_close()
 * frees the libsrtp2 contexts.  Not thread-safe (one loop).
 */
#ifndef TRUNKD_MEDIA_SDES_H
#define TRUNKD_MEDIA_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDES_KEY_LEN  30 /* master key + salt */
#define SDES_TAG_MAX  16 /* bytes SRTP adds to an RTP packet, at most */
#define SDES_LINE_MAX 128

enum sdes_suite {
	SDES_NONE = 0,
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
};

struct sdes_crypto {
	unsigned tag;
	enum sdes_suite suite;
	uint8_t key[SDES_KEY_LEN];
};

/* Parse one a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:..."): 0, or
 * ENOTSUP for a suite or parameter we do not support, EINVAL if malformed */
int sdes_parse(struct sdes_crypto *c, const char *value);
/* Our answer to c: same tag and suite, a fresh random key; the line text */
int sdes_answer(struct sdes_crypto *ours, const struct sdes_crypto *theirs,
		char line[SDES_LINE_MAX]);
/* Our offer: tag 1, AES_CM_128_HMAC_SHA1_80, a fresh random key */
int sdes_offer(struct sdes_crypto *ours, char line[SDES_LINE_MAX]);
const char *sdes_suite_name(enum sdes_suite s);

struct srtp_pair {
	void *tx; /* srtp_t: protects what we send, with our key */
	void *rx; /* srtp_t: unprotects what we receive, with theirs */
};

/* Once per process (srtp_init); returns 0 or EIO */
int sdes_init(void);
int srtp_pair_open(struct srtp_pair *p, const struct sdes_crypto *ours,
		   const struct sdes_crypto *theirs);
void srtp_pair_close(struct srtp_pair *p);
/* In place; buf has room for len + SDES_TAG_MAX; *len updated.  0 or EBADMSG
 * (authentication, replay) */
int srtp_pair_protect(struct srtp_pair *p, uint8_t *buf, size_t *len,
		      bool rtcp);
int srtp_pair_unprotect(struct srtp_pair *p, uint8_t *buf, size_t *len,
			bool rtcp);

#endif
