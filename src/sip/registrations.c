/** @file registrations.c  REGISTER bindings at customers' PBXs (see
 *                         registrations.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <re_sipreg.h>
#include <jansson.h>
#include "core/log.h"
#include "core/secret.h"
#include "core/sipconf.h"
#include "core/sipdest.h"
#include "core/walltime.h"
#include "sip/registrations.h"
#include "store/sipmap.h"

#define RECONCILE_MS 1000

struct registrations {
	struct sip *sip;    /* borrowed: outlives us */
	struct sipmap *map; /* ref */
	struct list regs;   /* struct reg */
	struct tmr tmr;
	uint64_t generation; /* of the map at the last reconcile */
	unsigned expires;
	char server_secret[128];
};

struct reg {
	struct le le;
	struct registrations *regs; /* borrowed */
	struct sipreg *sipreg;	    /* owned */
	char number[SIPCONF_NUMBER_MAX + 1];
	char *signature; /* owned (malloc): the row's config */
	char user[128];
	char password[33]; /* derived for the PBX */
	char registrar[600];
	const char *state; /* registering, registered, failed */
	uint16_t last_code;
	char last_error[96];
	uint64_t registered_at_ms, expires_at_ms;
	bool seen; /* still configured at this reconcile */
};

static void reg_destructor(void *arg)
{
	struct reg *r = arg;

	list_unlink(&r->le);
	mem_deref(r->sipreg); /* un-REGISTERs when it was registered */
	free(r->signature);
}

static int auth_h(char **user, char **pass, const char *realm, void *arg)
{
	struct reg *r = arg;
	int err;

	(void)realm;
	err = str_dup(user, r->user);
	if (!err)
		err = str_dup(pass, r->password);
	if (err)
		*user = mem_deref(*user);
	return err;
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
	struct reg *r = arg;
	uint32_t expires;

	if (msg && msg->scode < 200)
		return;
	r->last_code = msg ? msg->scode : 0;
	if (!err && msg && msg->scode < 300) {
		expires = sipreg_proxy_expires(r->sipreg);
		if (strcmp(r->state, "registered"))
			log_info("sip", r->number, "registered at %s (%u s)",
				 r->registrar, expires);
		r->state = "registered";
		r->last_error[0] = '\0';
		r->registered_at_ms = walltime_us() / 1000;
		r->expires_at_ms = r->registered_at_ms + expires * 1000ULL;
		return;
	}
	r->state = "failed";
	if (msg)
		re_snprintf(r->last_error, sizeof(r->last_error), "%u %r",
			    msg->scode, &msg->reason);
	else
		re_snprintf(r->last_error, sizeof(r->last_error), "%s",
			    strerror(err));
	log_warn("sip", r->number, "REGISTER at %s: %s (libre retries)",
		 r->registrar, r->last_error);
}

static int reg_start(struct registrations *regs, struct reg *r,
		     const json_t *row)
{
	const json_t *opts = json_object_get(row, "options");
	const char *endpoint =
	    json_string_value(json_object_get(row, "sip_endpoint"));
	const char *user =
	    json_string_value(json_object_get(opts, "register_username"));
	const char *sealed = json_string_value(json_object_get(row, "secret"));
	struct sipdest d;
	const char *why;
	char aor[600], *pw = NULL;
	int err;

	if (!endpoint || !user || sipdest_parse(&d, endpoint, &why)) {
		snprintf(r->last_error, sizeof(r->last_error),
			 "no usable sip_endpoint to register at");
		return EINVAL;
	}
	err = sealed ? secret_open_member(regs->server_secret, sealed,
					  "register_password", &pw)
		     : ENOENT;
	if (err) {
		snprintf(r->last_error, sizeof(r->last_error),
			 "the register password cannot be opened");
		return err;
	}
	secret_pbx_password(regs->server_secret, user, pw, r->password);
	mem_deref(pw);
	snprintf(r->user, sizeof(r->user), "%s", user);
	sipdest_uri(&d, "", r->registrar, sizeof(r->registrar));
	re_snprintf(aor, sizeof(aor),
		    strchr(d.host, ':') ? "sip:%s@[%s]" : "sip:%s@%s", user,
		    d.host);
	r->state = "registering";
	return sipreg_register(&r->sipreg, regs->sip, r->registrar, aor, NULL,
			       aor, regs->expires, r->number, NULL, 0, 0,
			       auth_h, r, false, on_response, r, NULL, NULL);
}

static struct reg *find(struct registrations *regs, const char *number)
{
	for (struct le *le = list_head(&regs->regs); le; le = le->next)
		if (!strcmp(((struct reg *)le->data)->number, number))
			return le->data;
	return NULL;
}

/* one inbound row: keep, replace or start its binding */
static void on_row(const char *number, const json_t *row, void *arg)
{
	struct registrations *regs = arg;
	const json_t *mode =
	    json_object_get(json_object_get(row, "options"), "auth_mode");
	json_t *sig_parts;
	struct reg *r;
	char *sig;

	if (!json_is_string(mode) ||
	    strcmp(json_string_value(mode), "register") ||
	    !json_is_true(json_object_get(row, "sip_enabled")))
		return;
	sig_parts = json_pack(
	    "[O?, O?, O?]", json_object_get(row, "sip_endpoint"),
	    json_object_get(row, "options"), json_object_get(row, "secret"));
	sig = sig_parts ? json_dumps(sig_parts, JSON_COMPACT) : NULL;
	json_decref(sig_parts);
	if (!sig)
		return;
	r = find(regs, number);
	if (r && !strcmp(r->signature, sig)) {
		r->seen = true;
		free(sig);
		return;
	}
	mem_deref(r); /* its configuration changed: start over */
	r = mem_zalloc(sizeof(*r), reg_destructor);
	if (!r) {
		free(sig);
		return;
	}
	r->regs = regs;
	r->signature = sig;
	r->seen = true;
	snprintf(r->number, sizeof(r->number), "%s", number);
	list_append(&regs->regs, &r->le, r);
	if (reg_start(regs, r, row)) {
		r->state = "failed";
		log_warn("sip", number, "cannot register: %s", r->last_error);
	}
}

static void reconcile(struct registrations *regs)
{
	struct le *le;

	for (le = list_head(&regs->regs); le; le = le->next)
		((struct reg *)le->data)->seen = false;
	sipmap_rows(regs->map, SIPCONF_INBOUND, on_row, regs);
	for (le = list_head(&regs->regs); le;) {
		struct reg *r = le->data;

		le = le->next;
		if (!r->seen) {
			log_info("sip", r->number, "no longer registering");
			mem_deref(r);
		}
	}
}

static void on_tick(void *arg)
{
	struct registrations *regs = arg;
	uint64_t gen = sipmap_generation(regs->map);

	if (gen != regs->generation && sipmap_ready(regs->map)) {
		regs->generation = gen;
		reconcile(regs);
	}
	tmr_start(&regs->tmr, RECONCILE_MS, on_tick, regs);
}

static void destructor(void *arg)
{
	struct registrations *regs = arg;

	tmr_cancel(&regs->tmr);
	list_flush(&regs->regs);
	mem_deref(regs->map);
}

int registrations_alloc(struct registrations **regsp, struct sip *sip,
			struct sipmap *map, const char *server_secret,
			unsigned expires)
{
	struct registrations *regs = mem_zalloc(sizeof(*regs), destructor);

	if (!regs)
		return ENOMEM;
	regs->sip = sip;
	regs->map = mem_ref(map);
	regs->expires = expires ? expires : 600;
	snprintf(regs->server_secret, sizeof(regs->server_secret), "%s",
		 server_secret ? server_secret : "");
	tmr_init(&regs->tmr);
	tmr_start(&regs->tmr, 0, on_tick, regs);
	*regsp = regs;
	return 0;
}

json_t *registrations_state(const struct registrations *regs,
			    const char *number)
{
	char at[WALLTIME_ISO_LEN], exp[WALLTIME_ISO_LEN];
	const struct reg *r = find((struct registrations *)regs, number);

	if (!r)
		return NULL;
	walltime_iso(at, r->registered_at_ms * 1000, 0);
	walltime_iso(exp, r->expires_at_ms * 1000, 0);
	return json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "state", r->state,
	    "registrar", r->registrar, "username", r->user, "registered_at",
	    r->registered_at_ms ? json_string(at) : json_null(), "expires_at",
	    r->expires_at_ms ? json_string(exp) : json_null(), "last_code",
	    r->last_code ? json_integer(r->last_code) : json_null(),
	    "last_error",
	    r->last_error[0] ? json_string(r->last_error) : json_null());
}
