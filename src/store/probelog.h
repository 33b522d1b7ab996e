/**
 * @file probelog.h  Health-check probe results in PostgreSQL
 *
 * Results are queued and written once a second in one INSERT (at most
 * PROBELOG_QUEUE_MAX wait while the database is away; the oldest go
 * first); rows older than 8 days are deleted every hour.  An endpoint's
 * last 7 days can be read back (health.c does when it starts probing an
 * endpoint, so uptime figures survive a restart).
 *
 * Ownership: probelog_alloc() returns a mem object holding a ref to the
 * store.  A load holds a ref on its arg's owner only if the caller gives
 * one: arg must stay valid until doneh.
 */
#ifndef TRUNKD_STORE_PROBELOG_H
#define TRUNKD_STORE_PROBELOG_H

#include <stdbool.h>
#include <stdint.h>

#define PROBELOG_QUEUE_MAX 10000

struct probelog;
struct store;

struct probelog_sample {
	uint64_t at_ms;
	uint32_t rtt_ms;
	uint16_t code;
	bool alive;
};

typedef void(probelog_load_h)(int err, const struct probelog_sample *v,
			      unsigned n, void *arg);

int probelog_alloc(struct probelog **plp, struct store *st);
void probelog_add(struct probelog *pl, const char *endpoint,
		  const struct probelog_sample *s);
/* the endpoint's samples of the last 7 days, oldest first (at most max);
 * h is called once; 0 or an errno (then h is not called) */
int probelog_load(struct probelog *pl, const char *endpoint, unsigned max,
		  probelog_load_h *h, void *arg);

#endif
