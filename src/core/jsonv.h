/**
 * @file jsonv.h  Field-by-field JSON validation that names the field
 *
 * A struct jsonv collects the first error of a request as (code, message),
 * where message names the field by its path ("directions[1].options.port").
 * Validators return false after recording an error, so callers can chain
 * them with &&.  Messages are bounded and never contain input bytes beyond
 * field names and short quoted values.
 */
#ifndef TRUNKD_CORE_JSONV_H
#define TRUNKD_CORE_JSONV_H

#include <stdbool.h>
#include <jansson.h>

struct jsonv {
	const char *code; /* NULL while valid; static string */
	char message[256];
};

/* Record an error (keeps the first one); returns false. */
bool jsonv_fail(struct jsonv *v, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* obj must be an object whose keys are all in allowed (NULL-terminated) */
bool jsonv_object(struct jsonv *v, const json_t *obj, const char *path,
		  const char *const allowed[]);

/*
 * Optional typed members: absent or null leaves *out unchanged and returns
 * true; a present member of the wrong type records INVALID_FIELD.
 * required=true makes absence MISSING_FIELD.
 */
bool jsonv_string(struct jsonv *v, const json_t *obj, const char *path,
		  const char *key, bool required, const char **out);
bool jsonv_bool(struct jsonv *v, const json_t *obj, const char *path,
		const char *key, bool *out, bool *present);
bool jsonv_int(struct jsonv *v, const json_t *obj, const char *path,
	       const char *key, long long min, long long max, long long *out,
	       bool *present);

/* value must equal one of choices (NULL-terminated) */
bool jsonv_enum(struct jsonv *v, const char *path, const char *key,
		const char *value, const char *const choices[]);

#endif
