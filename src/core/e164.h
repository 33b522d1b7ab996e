/**
 * @file e164.h  Phone numbers to E.164 (+CC...), as customers type them
 *
 * Accepted: "+14150000000", "14150000000", "4150000000", "(415) 000-0000",
 * "+1 415.000.0000", "+447911123456", "447911123456".  Separators (space,
 * '-', '.', '(', ')') are dropped; ten digits are a North American national
 * number (+1 added); 11 to 15 digits without '+' are taken as E.164 already.
 * For +1 the area code must start with 2-9.
 */
#ifndef TRUNKD_CORE_E164_H
#define TRUNKD_CORE_E164_H

#include <stddef.h>

#define E164_MAX 16 /* '+' and 15 digits */

/* out gets a NUL-terminated "+digits"; returns 0 or EINVAL */
int e164_normalize(const char *in, size_t len, char out[E164_MAX + 1]);

#endif
