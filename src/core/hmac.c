/** @file hmac.c  HMAC-SHA256 with mbedTLS (see hmac.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <mbedtls/md.h>
#include "core/hmac.h"

int hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65])
{
	unsigned char mac[32];

	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
			    (const unsigned char *)key, strlen(key), data, len,
			    mac))
		return EINVAL;
	for (size_t i = 0; i < sizeof(mac); i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}
