/** @file secret.c  AES-256-GCM sealing and HMAC-derived passwords */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <jansson.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_fmt.h>
#include "core/secret.h"

#define NONCE 12
#define TAG   16

static void seal_key(const char *server_secret, unsigned char key[32])
{
	mbedtls_sha256_context c;

	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c,
				  (const unsigned char *)"trunkd-seal:", 12);
	mbedtls_sha256_update_ret(&c, (const unsigned char *)server_secret,
				  strlen(server_secret));
	mbedtls_sha256_finish_ret(&c, key);
	mbedtls_sha256_free(&c);
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static int from_hex(const char *in, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(in + 2 * i, "%2x", &v) != 1)
			return EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int secret_seal(const char *server_secret, const char *plain, char **outp)
{
	size_t len = strlen(plain), total = NONCE + len + TAG;
	unsigned char key[32], *buf;
	mbedtls_gcm_context gcm;
	char *out;
	int ret;

	buf = mem_alloc(total, NULL);
	out = mem_alloc(2 * total + 1, NULL);
	if (!buf || !out) {
		mem_deref(buf);
		mem_deref(out);
		return ENOMEM;
	}
	if (getrandom(buf, NONCE, 0) != NONCE) {
		mem_deref(buf);
		mem_deref(out);
		return EIO;
	}
	seal_key(server_secret, key);
	mbedtls_gcm_init(&gcm);
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (!ret)
		ret = mbedtls_gcm_crypt_and_tag(
		    &gcm, MBEDTLS_GCM_ENCRYPT, len, buf, NONCE, NULL, 0,
		    (const unsigned char *)plain, buf + NONCE, TAG,
		    buf + NONCE + len);
	mbedtls_gcm_free(&gcm);
	if (!ret)
		to_hex(buf, total, out);
	mem_deref(buf);
	if (ret) {
		mem_deref(out);
		return EIO;
	}
	*outp = out;
	return 0;
}

int secret_open(const char *server_secret, const char *sealed, char **outp)
{
	size_t hl = strlen(sealed), total = hl / 2, len;
	unsigned char key[32], *buf;
	mbedtls_gcm_context gcm;
	char *out;
	int ret;

	if (hl % 2 || total < NONCE + TAG)
		return EBADMSG;
	len = total - NONCE - TAG;
	buf = mem_alloc(total, NULL);
	out = mem_alloc(len + 1, NULL);
	if (!buf || !out || from_hex(sealed, total, buf)) {
		mem_deref(buf);
		mem_deref(out);
		return buf && out ? EBADMSG : ENOMEM;
	}
	seal_key(server_secret, key);
	mbedtls_gcm_init(&gcm);
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (!ret)
		ret = mbedtls_gcm_auth_decrypt(
		    &gcm, len, buf, NONCE, NULL, 0, buf + NONCE + len, TAG,
		    buf + NONCE, (unsigned char *)out);
	mbedtls_gcm_free(&gcm);
	mem_deref(buf);
	if (ret) {
		mem_deref(out);
		return EBADMSG;
	}
	out[len] = '\0';
	*outp = out;
	return 0;
}

void secret_pbx_password(const char *server_secret, const char *username,
			 const char *password, char out[33])
{
	const mbedtls_md_info_t *md =
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	unsigned char mac[32];
	mbedtls_md_context_t c;

	mbedtls_md_init(&c);
	mbedtls_md_setup(&c, md, 1);
	mbedtls_md_hmac_starts(&c, (const unsigned char *)server_secret,
			       strlen(server_secret));
	mbedtls_md_hmac_update(&c, (const unsigned char *)username,
			       strlen(username));
	mbedtls_md_hmac_update(&c, (const unsigned char *)":", 1);
	mbedtls_md_hmac_update(&c, (const unsigned char *)password,
			       strlen(password));
	mbedtls_md_hmac_finish(&c, mac);
	mbedtls_md_free(&c);
	to_hex(mac, 16, out);
	out[32] = '\0';
}

int secret_open_member(const char *server_secret, const char *sealed,
		       const char *member, char **outp)
{
	char *plain = NULL;
	json_t *secrets;
	const char *v;
	int err = secret_open(server_secret, sealed, &plain);

	if (err)
		return err;
	secrets = json_loads(plain, 0, NULL);
	mem_deref(plain);
	v = json_string_value(json_object_get(secrets, member));
	err = v ? str_dup(outp, v) : ENOENT;
	json_decref(secrets);
	return err;
}
