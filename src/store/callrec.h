/**
 * @file callrec.h  Call records: rows of the calls table, written in the
 *                  background, queued while PostgreSQL is away
 *
 * A record is a JSON object whose keys are columns of the calls table
 * (timestamps as ISO 8601 strings).  Records are written in order, in
 * batches of up to CALLREC_BATCH rows (one INSERT ... json_populate_recordset,
 * ON CONFLICT DO NOTHING so that a retry after a lost reply is harmless).
 * When the database cannot be reached they stay queued and are retried every
 * second; when the queue is full the oldest record is dropped (counted and
 * logged).  A batch that PostgreSQL refuses is retried one row at a time, and
 * a single row it refuses is dropped with an error log, so that one bad
 * record never blocks the rest.
 *
 * Ownership: callrec_alloc() returns a mem object holding a ref to the store.
 * Records given to callrec_submit() are the writer's from then on.
 */
#ifndef TRUNKD_STORE_CALLREC_H
#define TRUNKD_STORE_CALLREC_H

#include <jansson.h>

#define CALLREC_BATCH 100

struct callrec;
struct store;

struct callrec_stats {
	unsigned queued;
	unsigned long long written, dropped, rejected, retries;
};

int callrec_alloc(struct callrec **crp, struct store *st, unsigned queue_max);
/* takes the reference to row */
void callrec_submit(struct callrec *cr, json_t *row);
/* records not yet written (queued or in flight) */
unsigned callrec_pending(const struct callrec *cr);
void callrec_stats(const struct callrec *cr, struct callrec_stats *stats);

#endif
