/**
 * @file hdrmap.h  The header mappings of a direction (seed 002's
 *                 "headers": {"direction", "headers": [rules]}): SIP
 *                 headers to call variables and back
 *
 * Inbound (the INVITE a provider sends):
 *   custom {key, value}       header `key` present → variable `value`
 *   uui {target, encoding?, purpose?}
 *                             User-to-User ("data;encoding=hex;purpose=x")
 *                             decoded → variable `target` (a rule with a
 *                             purpose only takes headers of that purpose)
 * Outbound (the INVITE trunkd sends):
 *   custom {key, value}       variable `key` set → header `value`
 *   uui {target, content, encoding?, purpose?}
 *                             User-to-User carrying variable `target`, else
 *                             variable `content`, else `content` itself,
 *                             encoded (hex by default; base64, ascii)
 * `passthrough` custom rules also copy their header (key) as it is from the
 * inbound leg's INVITE to the forwarded leg's (bridge.c); outbound mapping
 * skips them.  Header names that are not SIP tokens
 * or that trunkd writes itself (Via, From, Contact, ...) are never written.
 * Pure functions: no I/O.
 */
#ifndef TRUNKD_CORE_HDRMAP_H
#define TRUNKD_CORE_HDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define HDRMAP_VALUE_MAX 256

/* A header name a call may set: a SIP token of at most 64 characters that
 * trunkd does not write itself */
bool hdrmap_header_ok(const char *name);

/* The value of header name in the message, copied into buf; false if absent */
typedef bool(hdrmap_get_h)(const char *name, char *buf, size_t size, void *arg);
/* Set variables from the headers of an inbound INVITE (vars: an object) */
void hdrmap_inbound(const json_t *cfg, hdrmap_get_h *get, void *arg,
		    json_t *vars);
/* The headers a bridge copies to its second leg: {name: value} for each
 * custom passthrough rule whose header (key) the INVITE has; NULL when out
 * of memory */
json_t *hdrmap_passthrough(const json_t *cfg, hdrmap_get_h *get, void *arg);
/* "Name: value\r\n" lines for an outbound INVITE: a new string (free()),
 * "" when nothing applies, NULL when out of memory */
char *hdrmap_outbound(const json_t *cfg, const json_t *vars);

#endif
