/**
 * @file orgs.h  Organisations and API keys
 *
 * A key is "tk_" + 48 hex digits (24 random bytes), shown once; the store
 * keeps only its SHA-256 (hex) and its first 11 characters as a label.
 */
#ifndef TRUNKD_STORE_ORGS_H
#define TRUNKD_STORE_ORGS_H

#include <stdbool.h>
#include <stddef.h>
#include "store/store.h"

#define APIKEY_LEN	  51 /* "tk_" + 48 */
#define APIKEY_PREFIX_LEN 11 /* "tk_" + 8 hex: a label, not a secret */

int apikey_generate(char key[APIKEY_LEN + 1]);
void apikey_hash_hex(const char *key, size_t len, char out[65]);

/*
 * Look up an unrevoked key by hash: the result has one row
 * (org_id, org_name, sip_enabled 't'/'f') or none.
 */
int store_apikey_lookup(struct store *st, const char *hash_hex,
			store_result_h *resh, void *arg);

/* NOTIFY channel telling every trunkd that keys/entitlements changed */
#define ORGS_CHANGED_CHANNEL "trunkd_orgs_changed"

#endif
