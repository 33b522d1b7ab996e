/**
 * @file advconf.h  The advanced configuration of a direction (PATCH
 *                  /v1/sip/config): failover, codecs, alerts
 *
 * Each parser validates one object field by field (errors name the field,
 * see jsonv.h) and returns the stored form as a new reference: known keys
 * only, defaults filled in.  Pure functions over jansson values.
 *
 * Limits: at most ADVCONF_MAX_ENDPOINTS failover endpoints (a number has at
 * most 10 SIP configurations: its directions plus its failover endpoints).
 */
#ifndef TRUNKD_CORE_ADVCONF_H
#define TRUNKD_CORE_ADVCONF_H

#include <jansson.h>
#include "core/jsonv.h"

#define ADVCONF_MAX_ENDPOINTS 9

/* {enabled, endpoints by priority, triggers, failback, timeout_seconds (1-30,
 * only when given; outbound.c waits 8 s without it)} */
json_t *advconf_failover(const json_t *obj, struct jsonv *v);
json_t *advconf_codecs(const json_t *obj, struct jsonv *v);
json_t *advconf_alerts(const json_t *obj, struct jsonv *v);

#endif
