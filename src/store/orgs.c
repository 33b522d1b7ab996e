/** @file orgs.c  API keys: generation, hashing and lookup */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <mbedtls/sha256.h>
#include "store/orgs.h"

int apikey_generate(char key[APIKEY_LEN + 1])
{
	unsigned char rnd[24];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return EIO;
	memcpy(key, "tk_", 3);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(key + 3 + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

void apikey_hash_hex(const char *key, size_t len, char out[65])
{
	unsigned char md[32];

	mbedtls_sha256_ret((const unsigned char *)key, len, md, 0);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int store_apikey_lookup(struct store *st, const char *hash_hex,
			store_result_h *resh, void *arg)
{
	const char *params[1] = {hash_hex};

	return store_query(st,
			   "SELECT o.id, o.name, coalesce(e.enabled, false) "
			   "FROM api_keys k JOIN orgs o ON o.id = k.org_id "
			   "LEFT JOIN entitlements e ON e.org_id = o.id AND "
			   "e.name = 'sip' "
			   "WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
			   1, params, resh, arg);
}
