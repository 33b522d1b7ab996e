/**
 * @file sipconf.h  The SIP configuration of a number, as the API accepts it
 *
 * Validates the bodies of POST /v1/sip/attach and /v1/sip/update field by
 * field (errors name the field, see jsonv.h) and splits each direction into
 * what is stored in clear (endpoint, options, headers) and the secrets
 * (sip_password, register password) that are stored encrypted and never
 * returned.  Pure functions over jansson values: no I/O.
 *
 * Ownership: a struct sipconf_attach is mem_zalloc'd; its json_t members are
 * owned references released by its destructor; its strings point into the
 * request body json_t it holds a reference to.
 */
#ifndef TRUNKD_CORE_SIPCONF_H
#define TRUNKD_CORE_SIPCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "core/e164.h"
#include "core/jsonv.h"

#define SIPCONF_MAX_NUMBERS 100
#define SIPCONF_NUMBER_MAX  32 /* DIDs and extensions bound to a trunk */

enum sipconf_dir { SIPCONF_INBOUND = 0, SIPCONF_OUTBOUND = 1 };

#define SIPCONF_MAX_CIDRS 50

struct sipconf_direction {
	bool present;
	const char *sip_endpoint;      /* borrowed from the body, may be NULL */
	json_t *options;	       /* owned: stored options, no secrets */
	json_t *headers;	       /* owned: header mappings or NULL */
	const char *sip_password;      /* borrowed, NULL if none */
	const char *register_username; /* borrowed, inbound register mode */
	const char *register_password; /* borrowed */
};

struct sipconf_number {
	char number[SIPCONF_NUMBER_MAX + 1]; /* normalised */
	const char *input;		     /* borrowed: as given */
	const char *error_code;		     /* NULL if valid */
	const char *error_message;	     /* static text */
};

struct sipconf_attach {
	json_t *body;	      /* ref */
	const char *trunk_id; /* borrowed, may be NULL */
	size_t numberc;
	struct sipconf_number numbers[SIPCONF_MAX_NUMBERS];
	struct sipconf_direction dir[2];
};

/*
 * Parse an attach body.  Returns 0 with *attp set, or EINVAL with v filled
 * (request-level error: the whole request is refused).  Per-number problems
 * (a malformed number) do not refuse the request: they are reported in
 * numbers[i].error_code so the reply can list them in "failed".
 */
int sipconf_attach_parse(struct sipconf_attach **attp, json_t *body,
			 struct jsonv *v);

/*
 * Parse one direction object (also the "updates" object of /update);
 * bound_to_trunk relaxes "outbound needs sip_endpoint".  path names the
 * object in error messages.
 */
bool sipconf_direction_parse(struct sipconf_direction *d,
			     enum sipconf_dir *type, const json_t *obj,
			     const char *path, bool bound_to_trunk,
			     struct jsonv *v);
void sipconf_direction_reset(struct sipconf_direction *d);

/*
 * A trunk body (POST/PATCH /v1/sip/trunks): name, sip_endpoint, options as
 * an outbound direction's.  creating makes name required.  Fills t->name,
 * t->d.sip_endpoint, t->d.options (owned) and t->d.sip_password.
 */
struct sipconf_trunk {
	const char *name; /* borrowed, NULL if absent */
	struct sipconf_direction d;
};
bool sipconf_trunk_parse(struct sipconf_trunk *t, const json_t *obj,
			 bool creating, struct jsonv *v);

/* A number as stored: E.164, or (trunk-bound only) a DID/extension */
int sipconf_number_normalize(const char *in, bool bound_to_trunk,
			     char out[SIPCONF_NUMBER_MAX + 1]);

const char *sipconf_dir_name(enum sipconf_dir dir);

#endif
