/** @file hmac.h  HMAC-SHA256 as lower-case hex (webhook and event signatures)
 */
#ifndef TRUNKD_CORE_HMAC_H
#define TRUNKD_CORE_HMAC_H

#include <stddef.h>

/* 0, or an errno (mbedTLS failure) */
int hmac_sha256_hex(const char *key, const void *data, size_t len,
		    char out[65]);

#endif
