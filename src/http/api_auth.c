/**
 * @file api_auth.c  API-key authentication with an in-memory cache
 *
 * `Authorization: Bearer KEY` or a bare `authorization: KEY`.  The key is
 * hashed (SHA-256) and looked up in the database once; the answer is cached
 * for KEY_TTL_MS so the hot path never waits on PostgreSQL.  Any change to
 * keys or entitlements NOTIFYs ORGS_CHANGED_CHANNEL, which empties the
 * cache on every trunkd sharing the database.  Wrong keys are not cached.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "http/api_int.h"
#include <re_fmt.h>
#include <re_tmr.h>
#include "core/log.h"
#include "store/orgs.h"

#define KEY_TTL_MS    60000
#define KEY_CACHE_MAX 10000

struct keyent {
	struct le he;
	char hash[65];
	struct principal *p; /* ref */
	uint64_t expires;
};

struct lookup {
	struct api *api;      /* borrowed: outlives queries (store_close) */
	struct http_req *req; /* ref */
	char hash[65];
};

static void keyent_destructor(void *arg)
{
	struct keyent *e = arg;

	hash_unlink(&e->he);
	mem_deref(e->p);
}

static bool keyent_cmp(struct le *le, void *arg)
{
	const struct keyent *e = le->data;

	return !strcmp(e->hash, arg);
}

void api_auth_flush(struct api *api)
{
	hash_flush(api->keys);
	api->nkeys = 0;
}

static void on_orgs_changed(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	api_auth_flush(arg);
}

int api_auth_init(struct api *api)
{
	int err = hash_alloc(&api->keys, 256);

	if (err)
		return err;
	return store_listen(api->store, ORGS_CHANGED_CHANNEL, on_orgs_changed,
			    api);
}

static void cache_put(struct api *api, const char *hash, struct principal *p)
{
	struct keyent *e;

	if (api->nkeys >= KEY_CACHE_MAX)
		api_auth_flush(api);
	e = mem_zalloc(sizeof(*e), keyent_destructor);
	if (!e)
		return;
	memcpy(e->hash, hash, sizeof(e->hash));
	e->p = mem_ref(p);
	e->expires = tmr_jiffies() + KEY_TTL_MS;
	hash_append(api->keys, hash_joaat_str(hash), &e->he, e);
	api->nkeys++;
}

static void lookup_destructor(void *arg)
{
	struct lookup *lk = arg;

	mem_deref(lk->req);
}

static void on_lookup(int err, const PGresult *res, void *arg)
{
	struct lookup *lk = arg;
	struct principal *p;

	if (err) {
		api_reply_store_error(lk->req, err);
		goto out;
	}
	if (PQntuples(res) != 1) {
		http_reply_error(lk->req, 401, "UNAUTHORIZED",
				 "invalid API key");
		goto out;
	}
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p) {
		http_reply_error(lk->req, 500, "INTERNAL", "out of memory");
		goto out;
	}
	snprintf(p->org_id, sizeof(p->org_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(p->org_name, sizeof(p->org_name), "%s", PQgetvalue(res, 0, 1));
	p->sip = PQgetvalue(res, 0, 2)[0] == 't';
	cache_put(lk->api, lk->hash, p);
	http_req_set_principal(lk->req, p);
	mem_deref(p);
	http_req_continue(lk->req);
out:
	mem_deref(lk);
}

/* The key from either header form; NULL if none */
static const char *request_key(struct http_req *req, size_t *len)
{
	const char *h = http_req_header(req, "authorization");

	if (!h)
		return NULL;
	while (*h == ' ')
		h++;
	if (!strncasecmp(h, "Bearer ", 7))
		h += 7;
	while (*h == ' ')
		h++;
	*len = strlen(h);
	while (*len && h[*len - 1] == ' ')
		--*len;
	return *len ? h : NULL;
}

void api_auth_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct lookup *lk;
	struct keyent *e;
	const char *key;
	size_t len;
	char hash[65];
	int err;

	key = request_key(req, &len);
	if (!key) {
		http_reply_error(req, 401, "UNAUTHORIZED",
				 "missing API key: send 'Authorization: "
				 "Bearer <key>'");
		return;
	}
	apikey_hash_hex(key, len, hash);

	e = list_ledata(
	    hash_lookup(api->keys, hash_joaat_str(hash), keyent_cmp, hash));
	if (e && e->expires > tmr_jiffies()) {
		http_req_set_principal(req, e->p);
		http_req_continue(req);
		return;
	}
	mem_deref(e);

	lk = mem_zalloc(sizeof(*lk), lookup_destructor);
	if (!lk) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	lk->api = api;
	lk->req = mem_ref(req);
	memcpy(lk->hash, hash, sizeof(hash));
	err = store_apikey_lookup(api->store, hash, on_lookup, lk);
	if (err) {
		api_reply_store_error(req, err);
		mem_deref(lk);
	}
}
