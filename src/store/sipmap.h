/**
 * @file sipmap.h  Every number's SIP configuration and every trunk, in memory
 *
 * Call routing and GET /v1/sip never wait on PostgreSQL: they read this map.
 * It is loaded in full whenever the LISTEN connection is (re-)established,
 * and kept current two ways: the API applies the state its own write
 * returned (so a client reads its own writes at once), and every
 * NOTIFY trunkd_sip_changed / trunkd_trunks_changed ("rev key") from any
 * process reloads that key unless the map already holds that revision.
 * A state is applied only if its revision is newer than the one held
 * (migrations/0003 explains why revisions grow in commit order).
 *
 * Rows are the JSON objects of sip_state() / sip_trunk_state(); they hold the
 * sealed secret, which only sipmap_render_*() strips.
 *
 * Ownership: sipmap_alloc() returns a mem object holding a ref to the store;
 * returned rows are borrowed and valid until the loop next runs.
 */
#ifndef TRUNKD_STORE_SIPMAP_H
#define TRUNKD_STORE_SIPMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/sipconf.h"

struct sipmap;
struct store;

struct sipmap_stats {
	size_t numbers;		    /* numbers with at least one direction */
	size_t trunks;		    /* live trunks */
	unsigned long long reloads; /* single-key reloads after NOTIFY */
	unsigned long long loads;   /* full loads */
};

int sipmap_alloc(struct sipmap **mapp, struct store *st);
/* true once a full load has completed */
bool sipmap_ready(const struct sipmap *map);

/* Apply a state a write returned (text of sip_state() / sip_trunk_state()) */
void sipmap_apply_number(struct sipmap *map, const json_t *state);
void sipmap_apply_trunk(struct sipmap *map, const json_t *state);
/* A trunk the API deleted */
void sipmap_forget_trunk(struct sipmap *map, const char *id);

/* The stored row of one direction of number, or NULL */
const json_t *sipmap_row(const struct sipmap *map, const char *number,
			 enum sipconf_dir dir);
/* The number with that inbound_id (seed 000's id), or NULL; and back */
const char *sipmap_number_by_inbound_id(const struct sipmap *map,
					int64_t inbound_id);
int64_t sipmap_inbound_id(const struct sipmap *map, const char *number);
/* The stored row of a live trunk, or NULL */
const json_t *sipmap_trunk(const struct sipmap *map, const char *id);

/*
 * What the API shows: the row without its secret, trunk_id and the advanced
 * configurations only when set, and for an outbound row bound to a trunk the
 * effective sip_endpoint and options (the number's own values win).
 * Returns a new reference.
 */
json_t *sipmap_render_row(const struct sipmap *map, const json_t *row);
json_t *sipmap_render_trunk(const json_t *trunk);

/* Call h for every live trunk of org, in no particular order */
typedef void(sipmap_trunk_h)(const json_t *trunk, void *arg);
void sipmap_trunks_of(const struct sipmap *map, const char *org_id,
		      sipmap_trunk_h *h, void *arg);

/* Call h for every number with that direction attached */
typedef void(sipmap_row_h)(const char *number, const json_t *row, void *arg);
void sipmap_rows(const struct sipmap *map, enum sipconf_dir dir,
		 sipmap_row_h *h, void *arg);
/* Grows whenever the map changes (a load, a reload, a state applied) */
uint64_t sipmap_generation(const struct sipmap *map);

void sipmap_stats(const struct sipmap *map, struct sipmap_stats *stats);

#endif
