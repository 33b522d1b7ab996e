/** @file callrec.c  Background writer of call records (see callrec.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "core/log.h"
#include "store/callrec.h"
#include "store/store.h"

#define RETRY_MS 1000

struct callrec {
	struct store *store; /* ref */
	struct list queue;   /* struct rec, oldest first */
	unsigned queue_max;
	unsigned inflight; /* the first n of queue are being written */
	unsigned singly;   /* rows of a refused batch still to write alone */
	struct tmr retry_tmr;
	struct callrec_stats st;
};

struct rec {
	struct le le;
	json_t *row; /* owned */
};

static void rec_destructor(void *arg)
{
	struct rec *r = arg;

	list_unlink(&r->le);
	json_decref(r->row);
}

static void destructor(void *arg)
{
	struct callrec *cr = arg;

	tmr_cancel(&cr->retry_tmr);
	if (!list_isempty(&cr->queue))
		log_warn("callrec", NULL, "%u call records not written",
			 list_count(&cr->queue));
	list_flush(&cr->queue);
	mem_deref(cr->store);
}

static void flush(struct callrec *cr);

static void on_retry(void *arg)
{
	flush(arg);
}

static void drop_done(struct callrec *cr, unsigned n)
{
	while (n-- && !list_isempty(&cr->queue))
		mem_deref(list_ledata(list_head(&cr->queue)));
}

static void on_written(int err, const PGresult *res, void *arg)
{
	struct callrec *cr = arg;
	unsigned n = cr->inflight;

	cr->inflight = 0;
	if (cr->singly && (!err || err == EPROTO))
		cr->singly--;
	if (!err) {
		cr->st.written += n;
		drop_done(cr, n);
		flush(cr);
	} else if (err == EPROTO && n > 1) {
		log_warn("callrec", NULL,
			 "a batch of %u records was refused "
			 "(%s); writing them one by one",
			 n, PQresultErrorMessage(res));
		cr->singly = n;
		flush(cr);
	} else if (err == EPROTO) {
		log_error("callrec", NULL, "call record refused, dropped: %s",
			  PQresultErrorMessage(res));
		cr->st.rejected++;
		drop_done(cr, 1);
		flush(cr);
	} else if (err != ECANCELED) {
		cr->st.retries++;
		tmr_start(&cr->retry_tmr, RETRY_MS, on_retry, cr);
	}
	mem_deref(cr);
}

/* write the next batch, unless one is in flight or a retry is pending */
static void flush(struct callrec *cr)
{
	json_t *rows;
	struct le *le;
	char *text;
	unsigned n = 0;
	int err;

	if (cr->inflight || tmr_isrunning(&cr->retry_tmr) ||
	    list_isempty(&cr->queue))
		return;
	rows = json_array();
	for (le = list_head(&cr->queue);
	     le && n < (cr->singly ? 1u : CALLREC_BATCH); le = le->next) {
		json_array_append(rows, ((struct rec *)le->data)->row);
		n++;
	}
	text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (!text) {
		tmr_start(&cr->retry_tmr, RETRY_MS, on_retry, cr);
		return;
	}
	cr->inflight = n;
	err = store_query(cr->store,
			  "INSERT INTO calls SELECT * FROM "
			  "json_populate_recordset(NULL::calls, $1::json) "
			  "ON CONFLICT (id) DO NOTHING",
			  1, (const char *const[]){text}, on_written,
			  mem_ref(cr));
	free(text);
	if (err) {
		cr->inflight = 0;
		mem_deref(cr);
		cr->st.retries++;
		tmr_start(&cr->retry_tmr, RETRY_MS, on_retry, cr);
	}
}

int callrec_alloc(struct callrec **crp, struct store *st, unsigned queue_max)
{
	struct callrec *cr = mem_zalloc(sizeof(*cr), destructor);

	if (!cr)
		return ENOMEM;
	cr->store = mem_ref(st);
	cr->queue_max = queue_max ? queue_max : 1;
	tmr_init(&cr->retry_tmr);
	*crp = cr;
	return 0;
}

void callrec_submit(struct callrec *cr, json_t *row)
{
	struct rec *r;

	if (list_count(&cr->queue) >= cr->queue_max + cr->inflight) {
		struct le *oldest = list_head(&cr->queue);

		for (unsigned i = 0; i < cr->inflight && oldest; i++)
			oldest = oldest->next;
		if (oldest) {
			log_warn("callrec", NULL,
				 "queue full (%u): oldest "
				 "call record dropped",
				 cr->queue_max);
			mem_deref(oldest->data);
			cr->st.dropped++;
		}
	}
	r = mem_zalloc(sizeof(*r), rec_destructor);
	if (!r) {
		json_decref(row);
		cr->st.dropped++;
		return;
	}
	r->row = row;
	list_append(&cr->queue, &r->le, r);
	flush(cr);
}

unsigned callrec_pending(const struct callrec *cr)
{
	return list_count(&cr->queue);
}

void callrec_stats(const struct callrec *cr, struct callrec_stats *stats)
{
	*stats = cr->st;
	stats->queued = list_count(&cr->queue);
}
