/**
 * @file walltime.h  Wall-clock time for records and logs: microseconds
 *                   since the epoch, and ISO 8601 UTC text
 */
#ifndef TRUNKD_CORE_WALLTIME_H
#define TRUNKD_CORE_WALLTIME_H

#include <stddef.h>
#include <stdint.h>

struct json_t;

#define WALLTIME_ISO_LEN 32

uint64_t walltime_us(void);
/* "2026-11-24T10:00:00.123Z" (digits 3) or ".123456Z" (digits 6);
 * returns the length written */
size_t walltime_iso(char out[WALLTIME_ISO_LEN], uint64_t us, unsigned digits);

/* ms since the epoch as an ISO 8601 JSON string (milliseconds, UTC), or
 * JSON null for 0 (a new reference) */
struct json_t *walltime_json_ms(uint64_t ms);

#endif
