/** @file sipmap.c  The in-memory SIP configuration map (see sipmap.h) */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "core/log.h"
#include "store/sipmap.h"
#include "store/store.h"

#define NUMBERS_CHANNEL "trunkd_sip_changed"
#define TRUNKS_CHANNEL	"trunkd_trunks_changed"
#define TRUNK_ID_MAX	63
/* NOTIFYs are collected this long, then reloaded in one query per kind:
 * a burst costs one round trip, and this process's own writes (whose
 * results arrive meanwhile) are not reloaded at all */
#define RELOAD_DELAY_MS 20

struct sipnum {
	struct le he;	 /* in numbers */
	struct le he_id; /* in by_inbound_id */
	char number[SIPCONF_NUMBER_MAX + 1];
	int64_t rev;
	int64_t inbound_id;
	json_t *row[2]; /* owned; NULL when that direction is not attached */
};

struct siptrunk {
	struct le he;
	char id[TRUNK_ID_MAX + 1];
	char org_id[40];
	int64_t rev;
	json_t *row; /* owned; NULL once deleted (a tombstone) */
};

struct sipmap {
	struct store *st;	    /* ref */
	struct hash *numbers;	    /* owned: number -> struct sipnum */
	struct hash *trunks;	    /* owned: id -> struct siptrunk */
	struct hash *by_inbound_id; /* owned: inbound_id -> struct sipnum */
	struct tmr reload_tmr;
	json_t *pending[2]; /* owned: key -> rev announced, numbers/trunks */
	unsigned loads_running;
	bool ready;
	size_t nlive, tlive;
	unsigned long long reloads, loads;
	unsigned long long applied; /* states applied (sipmap_generation) */
};

static void num_destructor(void *arg)
{
	struct sipnum *n = arg;

	hash_unlink(&n->he);
	hash_unlink(&n->he_id);
	json_decref(n->row[0]);
	json_decref(n->row[1]);
}

static void trunk_destructor(void *arg)
{
	struct siptrunk *t = arg;

	hash_unlink(&t->he);
	json_decref(t->row);
}

static void map_destructor(void *arg)
{
	struct sipmap *map = arg;

	tmr_cancel(&map->reload_tmr);
	json_decref(map->pending[0]);
	json_decref(map->pending[1]);
	hash_flush(map->numbers);
	hash_flush(map->trunks);
	hash_clear(map->by_inbound_id);
	mem_deref(map->by_inbound_id);
	mem_deref(map->numbers);
	mem_deref(map->trunks);
	mem_deref(map->st);
}

static bool num_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct sipnum *)le->data)->number, arg);
}

static bool trunk_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct siptrunk *)le->data)->id, arg);
}

static struct sipnum *num_find(const struct sipmap *map, const char *number)
{
	return list_ledata(hash_lookup(map->numbers, hash_joaat_str(number),
				       num_cmp, (void *)number));
}

static struct siptrunk *trunk_find(const struct sipmap *map, const char *id)
{
	return list_ledata(hash_lookup(map->trunks, hash_joaat_str(id),
				       trunk_cmp, (void *)id));
}

static int64_t json_rev(const json_t *state)
{
	return json_integer_value(json_object_get(state, "rev"));
}

void sipmap_apply_number(struct sipmap *map, const json_t *state)
{
	const char *number =
	    json_string_value(json_object_get(state, "number"));
	const json_t *rows = json_object_get(state, "rows");
	int64_t rev = json_rev(state);
	struct sipnum *n;
	bool was_live;
	size_t i;
	json_t *row;

	map->applied++;
	if (!number || strlen(number) > SIPCONF_NUMBER_MAX || !rev)
		return;
	n = num_find(map, number);
	if (n && n->rev >= rev)
		return; /* already as new or newer */
	if (!n) {
		n = mem_zalloc(sizeof(*n), num_destructor);
		if (!n)
			return;
		strcpy(n->number, number);
		n->inbound_id =
		    json_integer_value(json_object_get(state, "inbound_id"));
		hash_append(map->numbers, hash_joaat_str(number), &n->he, n);
		hash_append(map->by_inbound_id, (uint32_t)n->inbound_id,
			    &n->he_id, n);
	}
	was_live = n->row[0] || n->row[1];
	n->rev = rev;
	json_decref(n->row[0]);
	json_decref(n->row[1]);
	n->row[0] = n->row[1] = NULL;
	json_array_foreach(rows, i, row)
	{
		const char *d =
		    json_string_value(json_object_get(row, "direction"));

		if (d)
			n->row[strcmp(d, "inbound") ? SIPCONF_OUTBOUND
						    : SIPCONF_INBOUND] =
			    json_incref(row);
	}
	map->nlive += (n->row[0] || n->row[1]) - was_live;
}

static struct siptrunk *trunk_entry(struct sipmap *map, const char *id)
{
	struct siptrunk *t = trunk_find(map, id);

	if (t || strlen(id) > TRUNK_ID_MAX)
		return t;
	t = mem_zalloc(sizeof(*t), trunk_destructor);
	if (!t)
		return NULL;
	strcpy(t->id, id);
	hash_append(map->trunks, hash_joaat_str(id), &t->he, t);
	return t;
}

void sipmap_apply_trunk(struct sipmap *map, const json_t *state)
{
	const char *id = json_string_value(json_object_get(state, "id"));
	const char *org = json_string_value(json_object_get(state, "org_id"));
	int64_t rev = json_rev(state);
	struct siptrunk *t;

	map->applied++;
	if (!id || !org || !rev || !(t = trunk_entry(map, id)))
		return;
	if (t->rev >= rev || (t->rev && !t->row))
		return; /* as new or newer, or deleted for good */
	if (!t->row)
		map->tlive++;
	json_decref(t->row);
	t->row = json_deep_copy(state);
	t->rev = rev;
	snprintf(t->org_id, sizeof(t->org_id), "%s", org);
}

void sipmap_forget_trunk(struct sipmap *map, const char *id)
{
	struct siptrunk *t = trunk_entry(map, id);

	map->applied++;
	if (!t)
		return;
	if (t->row)
		map->tlive--;
	json_decref(t->row);
	t->row = NULL;
	t->rev = INT64_MAX; /* nothing older may bring it back */
}

/* ---- loading from PostgreSQL ---- */

static json_t *cell_json(const PGresult *res, int row)
{
	if (PQgetisnull(res, row, 0))
		return NULL;
	return json_loads(PQgetvalue(res, row, 0), 0, NULL);
}

static void load_done(struct sipmap *map, int err, const char *what)
{
	if (err) {
		log_warn("sipmap", NULL,
			 "loading %s failed; will retry on "
			 "reconnect",
			 what);
	}
	if (--map->loads_running == 0 && !err && !map->ready) {
		map->ready = true;
		log_info("sipmap", NULL, "loaded %zu numbers, %zu trunks",
			 map->nlive, map->tlive);
	}
	mem_deref(map);
}

static void on_numbers_loaded(int err, const PGresult *res, void *arg)
{
	struct sipmap *map = arg;

	for (int i = 0; !err && i < PQntuples(res); i++) {
		json_t *s = cell_json(res, i);

		if (s)
			sipmap_apply_number(map, s);
		json_decref(s);
	}
	load_done(map, err, "numbers");
}

/* trunks absent from a full load and older than it were deleted meanwhile */
struct sweep {
	struct sipmap *map;
	int64_t upto;
	const json_t *seen; /* id -> true */
};

static bool sweep_one(struct le *le, void *arg)
{
	struct sweep *s = arg;
	struct siptrunk *t = le->data;

	if (t->row && t->rev <= s->upto && !json_object_get(s->seen, t->id)) {
		json_decref(t->row);
		t->row = NULL;
		t->rev = 0; /* a NOTIFY may still bring it back */
		s->map->tlive--;
	}
	return false;
}

static void on_trunks_loaded(int err, const PGresult *res, void *arg)
{
	struct sipmap *map = arg;
	json_t *all = err ? NULL : cell_json(res, 0), *t;
	struct sweep s = {map, 0, NULL};
	json_t *seen = json_object();
	size_t i;

	if (!err && !all)
		err = EPROTO;
	json_array_foreach(json_object_get(all, "trunks"), i, t)
	{
		sipmap_apply_trunk(map, t);
		json_object_set_new(
		    seen, json_string_value(json_object_get(t, "id")) ?: "",
		    json_true());
	}
	if (!err) {
		s.upto = json_integer_value(json_object_get(all, "upto"));
		s.seen = seen;
		hash_apply(map->trunks, sweep_one, &s);
	}
	json_decref(seen);
	json_decref(all);
	load_done(map, err, "trunks");
}

static void load_all(struct sipmap *map)
{
	static const char numbers_sql[] =
	    "SELECT sip_state(number) FROM sip_numbers";
	static const char trunks_sql[] =
	    "SELECT json_build_object('upto', (SELECT last_value FROM "
	    "sip_rev), 'trunks', coalesce(json_agg(sip_trunk_state(id)), "
	    "'[]'::json)) FROM sip_trunks";

	map->loads++;
	if (!store_query(map->st, numbers_sql, 0, NULL, on_numbers_loaded,
			 mem_ref(map)))
		map->loads_running++;
	else
		mem_deref(map);
	if (!store_query(map->st, trunks_sql, 0, NULL, on_trunks_loaded,
			 mem_ref(map)))
		map->loads_running++;
	else
		mem_deref(map);
}

static void on_reloaded(int err, const PGresult *res, void *arg, bool trunks)
{
	struct sipmap *map = arg;

	for (int i = 0; !err && i < PQntuples(res); i++) {
		json_t *s = cell_json(res, i);

		if (s && trunks)
			sipmap_apply_trunk(map, s);
		else if (s)
			sipmap_apply_number(map, s);
		json_decref(s);
	}
	mem_deref(map);
}

static void on_numbers_reloaded(int err, const PGresult *res, void *arg)
{
	on_reloaded(err, res, arg, false);
}

static void on_trunks_reloaded(int err, const PGresult *res, void *arg)
{
	on_reloaded(err, res, arg, true);
}

static int64_t held_rev(const struct sipmap *map, bool trunks, const char *key)
{
	if (trunks) {
		const struct siptrunk *t = trunk_find(map, key);
		return t ? t->rev : 0;
	}
	const struct sipnum *n = num_find(map, key);
	return n ? n->rev : 0;
}

/* reload, in one query per kind, the keys still older than announced */
static void reload_pending(void *arg)
{
	static const char *const sql[2] = {
	    "SELECT sip_state(value) FROM json_array_elements_text($1::json)",
	    "SELECT sip_trunk_state(value) FROM "
	    "json_array_elements_text($1::json)"};
	struct sipmap *map = arg;

	for (int k = 0; k < 2; k++) {
		json_t *keys = json_array(), *rev;
		const char *key;
		char *text;

		json_object_foreach(map->pending[k], key, rev)
		{
			if (held_rev(map, k, key) < json_integer_value(rev))
				json_array_append_new(keys, json_string(key));
		}
		json_object_clear(map->pending[k]);
		text = json_array_size(keys) ? json_dumps(keys, JSON_COMPACT)
					     : NULL;
		json_decref(keys);
		if (!text)
			continue;
		map->reloads++;
		if (store_query(map->st, sql[k], 1, (const char *const[]){text},
				k ? on_trunks_reloaded : on_numbers_reloaded,
				mem_ref(map)))
			mem_deref(
			    map); /* the pool is down: reconnect reloads */
		free(text);
	}
}

/* payload "rev key"; NULL: the LISTEN was (re-)established */
static void on_changed(const char *channel, const char *payload, void *arg)
{
	struct sipmap *map = arg;
	bool trunks = !strcmp(channel, TRUNKS_CHANNEL);
	const char *key;
	char *end;
	long long rev;
	json_t *old;

	if (!payload) {
		if (!trunks) /* once per (re)connection, for both channels */
			load_all(map);
		return;
	}
	rev = strtoll(payload, &end, 10);
	if (*end != ' ')
		return;
	key = end + 1;
	if (trunks && rev == 0) {
		sipmap_forget_trunk(map, key);
		return;
	}
	if (held_rev(map, trunks, key) >= rev)
		return; /* this process wrote it, or already reloaded it */
	old = json_object_get(map->pending[trunks], key);
	if (!old || json_integer_value(old) < rev)
		json_object_set_new(map->pending[trunks], key,
				    json_integer(rev));
	if (!tmr_isrunning(&map->reload_tmr))
		tmr_start(&map->reload_tmr, RELOAD_DELAY_MS, reload_pending,
			  map);
}

int sipmap_alloc(struct sipmap **mapp, struct store *st)
{
	struct sipmap *map = mem_zalloc(sizeof(*map), map_destructor);
	int err;

	if (!map)
		return ENOMEM;
	map->st = mem_ref(st);
	tmr_init(&map->reload_tmr);
	map->pending[0] = json_object();
	map->pending[1] = json_object();
	err = hash_alloc(&map->numbers, 4096);
	if (!err)
		err = hash_alloc(&map->trunks, 256);
	if (!err)
		err = hash_alloc(&map->by_inbound_id, 4096);
	if (!err)
		err = store_listen(st, NUMBERS_CHANNEL, on_changed, map);
	if (!err)
		err = store_listen(st, TRUNKS_CHANNEL, on_changed, map);
	if (err) {
		mem_deref(map);
		return err;
	}
	*mapp = map;
	return 0;
}

bool sipmap_ready(const struct sipmap *map)
{
	return map->ready;
}

const json_t *sipmap_row(const struct sipmap *map, const char *number,
			 enum sipconf_dir dir)
{
	const struct sipnum *n = num_find(map, number);

	return n ? n->row[dir] : NULL;
}

static bool inbound_id_cmp(struct le *le, void *arg)
{
	return ((struct sipnum *)le->data)->inbound_id == *(int64_t *)arg;
}

const char *sipmap_number_by_inbound_id(const struct sipmap *map,
					int64_t inbound_id)
{
	struct sipnum *n =
	    list_ledata(hash_lookup(map->by_inbound_id, (uint32_t)inbound_id,
				    inbound_id_cmp, &inbound_id));

	return n ? n->number : NULL;
}

int64_t sipmap_inbound_id(const struct sipmap *map, const char *number)
{
	const struct sipnum *n = num_find(map, number);

	return n ? n->inbound_id : 0;
}

const json_t *sipmap_trunk(const struct sipmap *map, const char *id)
{
	const struct siptrunk *t = trunk_find(map, id);

	return t ? t->row : NULL;
}

/* ---- what the API shows ---- */

static void drop_if_null(json_t *o, const char *key)
{
	if (json_is_null(json_object_get(o, key)))
		json_object_del(o, key);
}

json_t *sipmap_render_row(const struct sipmap *map, const json_t *row)
{
	json_t *o = json_copy((json_t *)row), *opts;
	const char *tid = json_string_value(json_object_get(row, "trunk_id"));
	const json_t *trunk = tid ? sipmap_trunk(map, tid) : NULL;
	const char *dir = json_string_value(json_object_get(row, "direction"));

	json_object_del(o, "secret");
	json_object_del(o, "sip_enabled");
	drop_if_null(o, "trunk_id");
	drop_if_null(o, "failover_config");
	drop_if_null(o, "codec_config");
	drop_if_null(o, "alert_config");
	if (trunk && dir && !strcmp(dir, "outbound")) {
		if (json_is_null(json_object_get(o, "sip_endpoint")))
			json_object_set(o, "sip_endpoint",
					json_object_get(trunk, "sip_endpoint"));
		opts = json_deep_copy(json_object_get(trunk, "options"));
		json_object_update(opts, json_object_get(row, "options"));
		json_object_set_new(o, "options", opts);
	}
	return o;
}

json_t *sipmap_render_trunk(const json_t *trunk)
{
	json_t *o = json_copy((json_t *)trunk);

	json_object_del(o, "secret");
	json_object_del(o, "rev");
	return o;
}

struct trunks_of {
	const char *org_id;
	sipmap_trunk_h *h;
	void *arg;
};

static bool trunk_of_one(struct le *le, void *arg)
{
	struct trunks_of *w = arg;
	struct siptrunk *t = le->data;

	if (t->row && !strcmp(t->org_id, w->org_id))
		w->h(t->row, w->arg);
	return false;
}

void sipmap_trunks_of(const struct sipmap *map, const char *org_id,
		      sipmap_trunk_h *h, void *arg)
{
	struct trunks_of w = {org_id, h, arg};

	hash_apply(map->trunks, trunk_of_one, &w);
}

struct rows_of {
	enum sipconf_dir dir;
	sipmap_row_h *h;
	void *arg;
};

static bool row_of_one(struct le *le, void *arg)
{
	struct rows_of *w = arg;
	struct sipnum *n = le->data;

	if (n->row[w->dir])
		w->h(n->number, n->row[w->dir], w->arg);
	return false;
}

void sipmap_rows(const struct sipmap *map, enum sipconf_dir dir,
		 sipmap_row_h *h, void *arg)
{
	struct rows_of w = {dir, h, arg};

	hash_apply(map->numbers, row_of_one, &w);
}

uint64_t sipmap_generation(const struct sipmap *map)
{
	return map->loads + map->reloads + map->applied;
}

void sipmap_stats(const struct sipmap *map, struct sipmap_stats *stats)
{
	stats->numbers = map->nlive;
	stats->trunks = map->tlive;
	stats->reloads = map->reloads;
	stats->loads = map->loads;
}
