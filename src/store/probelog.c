/** @file probelog.c  Probe results in PostgreSQL (see probelog.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "core/log.h"
#include "core/walltime.h"
#include "store/probelog.h"
#include "store/store.h"

#define FLUSH_MS (1000)
#define PURGE_MS (3600 * 1000)

struct probelog {
	struct store *st; /* ref */
	json_t *queue;	  /* owned: rows not yet written */
	bool writing;
	struct tmr flush, purge;
};

struct load {
	probelog_load_h *h;
	void *arg;
};

static void destructor(void *arg)
{
	struct probelog *pl = arg;

	tmr_cancel(&pl->flush);
	tmr_cancel(&pl->purge);
	json_decref(pl->queue);
	mem_deref(pl->st);
}

static void on_written(int err, const PGresult *res, void *arg)
{
	struct probelog *pl = arg; /* a ref */

	(void)res;
	pl->writing = false;
	if (err)
		log_warn("probelog", NULL, "probe results not written: %s",
			 strerror(err));
	mem_deref(pl);
}

static void on_flush(void *arg)
{
	struct probelog *pl = arg;
	json_t *rows = pl->queue;
	char *text;
	const char *p[1];

	tmr_start(&pl->flush, FLUSH_MS, on_flush, pl);
	if (pl->writing || !json_array_size(rows) || !store_is_up(pl->st))
		return;
	text = json_dumps(rows, JSON_COMPACT);
	p[0] = text;
	if (text && !store_query(pl->st,
				 "INSERT INTO health_probes SELECT * FROM "
				 "json_populate_recordset(NULL::health_probes, "
				 "$1::json)",
				 1, p, on_written, mem_ref(pl))) {
		pl->writing = true;
		pl->queue = json_array(); /* a failed batch is not retried */
		json_decref(rows);
	} else if (text) {
		mem_deref(pl); /* the ref the query did not take */
	}
	free(text);
}

static void on_purged(int err, const PGresult *res, void *arg)
{
	(void)err;
	(void)res;
	mem_deref(arg);
}

static void on_purge(void *arg)
{
	struct probelog *pl = arg;

	tmr_start(&pl->purge, PURGE_MS, on_purge, pl);
	if (store_query(pl->st,
			"DELETE FROM health_probes WHERE at < now() - "
			"interval '8 days'",
			0, NULL, on_purged, mem_ref(pl)))
		mem_deref(pl);
}

int probelog_alloc(struct probelog **plp, struct store *st)
{
	struct probelog *pl = mem_zalloc(sizeof(*pl), destructor);

	if (!pl)
		return ENOMEM;
	pl->st = mem_ref(st);
	pl->queue = json_array();
	tmr_init(&pl->flush);
	tmr_init(&pl->purge);
	tmr_start(&pl->flush, FLUSH_MS, on_flush, pl);
	tmr_start(&pl->purge, 60 * 1000, on_purge, pl);
	*plp = pl;
	return 0;
}

void probelog_add(struct probelog *pl, const char *endpoint,
		  const struct probelog_sample *s)
{
	char at[WALLTIME_ISO_LEN];

	if (!pl)
		return;
	if (json_array_size(pl->queue) >= PROBELOG_QUEUE_MAX)
		json_array_remove(pl->queue, 0);
	walltime_iso(at, s->at_ms * 1000, 3);
	json_array_append_new(
	    pl->queue, json_pack("{s:s, s:s, s:b, s:i, s:i}", "endpoint",
				 endpoint, "at", at, "alive", s->alive, "code",
				 (int)s->code, "rtt_ms", (int)s->rtt_ms));
}

static void on_loaded(int err, const PGresult *res, void *arg)
{
	struct load *l = arg;
	int n = err ? 0 : PQntuples(res);
	struct probelog_sample *v = calloc(n ? (size_t)n : 1, sizeof(*v));

	for (int i = 0; v && i < n; i++) {
		/* newest first from the query: oldest first for the caller */
		struct probelog_sample *s = &v[n - 1 - i];

		s->at_ms = strtoull(PQgetvalue(res, i, 0), NULL, 10);
		s->alive = PQgetvalue(res, i, 1)[0] == 't';
		s->code = (uint16_t)atoi(PQgetvalue(res, i, 2));
		s->rtt_ms = (uint32_t)strtoul(PQgetvalue(res, i, 3), NULL, 10);
	}
	l->h(err ? err : (v ? 0 : ENOMEM), v, v ? (unsigned)n : 0, l->arg);
	free(v);
	mem_deref(l);
}

int probelog_load(struct probelog *pl, const char *endpoint, unsigned max,
		  probelog_load_h *h, void *arg)
{
	struct load *l = mem_zalloc(sizeof(*l), NULL);
	char lim[16];
	const char *p[2] = {endpoint, lim};
	int err;

	if (!l)
		return ENOMEM;
	l->h = h;
	l->arg = arg;
	snprintf(lim, sizeof(lim), "%u", max);
	err = store_query(pl->st,
			  "SELECT (extract(epoch FROM at) * 1000)::bigint, "
			  "alive, code, rtt_ms FROM health_probes WHERE "
			  "endpoint = $1 AND at > now() - interval '7 days' "
			  "ORDER BY at DESC LIMIT $2::int",
			  2, p, on_loaded, l);
	if (err)
		mem_deref(l);
	return err;
}
