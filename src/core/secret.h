/**
 * @file secret.h  Credentials at rest and derived PBX passwords
 *
 * secret_seal() encrypts with AES-256-GCM under a key derived from
 * --server-secret (SHA-256 of a label and the secret); the output is hex of
 * nonce (12) | ciphertext | tag (16).  secret_open() reverses it and fails on
 * any tampering.  secret_pbx_password() is deterministic: the same username,
 * password and server secret always give the same 32-character password.
 */
#ifndef TRUNKD_CORE_SECRET_H
#define TRUNKD_CORE_SECRET_H

#include <stddef.h>

/* *outp is mem-allocated hex; returns 0 or an errno */
int secret_seal(const char *server_secret, const char *plain, char **outp);
/* *outp is a mem-allocated string; EBADMSG when it does not authenticate */
int secret_open(const char *server_secret, const char *sealed, char **outp);
/* One member of a sealed JSON object of strings (the stored credentials):
 * *outp a mem-allocated string; ENOENT when absent, EBADMSG when the seal
 * does not authenticate */
int secret_open_member(const char *server_secret, const char *sealed,
		       const char *member, char **outp);
void secret_pbx_password(const char *server_secret, const char *username,
			 const char *password, char out[33]);

#endif
