/** @file jsonv.c  Validation helpers behind every 400 the API sends */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/jsonv.h"

bool jsonv_fail(struct jsonv *v, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (v->code)
		return false;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	return false;
}

static const char *sep(const char *path)
{
	return path && path[0] ? "." : "";
}

static const char *nz(const char *path)
{
	return path ? path : "";
}

bool jsonv_object(struct jsonv *v, const json_t *obj, const char *path,
		  const char *const allowed[])
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return jsonv_fail(v, "INVALID_FIELD", "%s must be an object",
				  path && path[0] ? path : "the body");

	json_object_foreach((json_t *)obj, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; allowed[i]; i++) {
			if (!strcmp(key, allowed[i]))
				break;
		}
		if (!allowed[i])
			return jsonv_fail(v, "INVALID_FIELD",
					  "unknown field '%s%s%.64s'", nz(path),
					  sep(path), key);
	}
	return true;
}

static const json_t *member(const json_t *obj, const char *key)
{
	const json_t *m = json_object_get(obj, key);

	return json_is_null(m) ? NULL : m;
}

bool jsonv_string(struct jsonv *v, const json_t *obj, const char *path,
		  const char *key, bool required, const char **out)
{
	const json_t *m = member(obj, key);

	if (!m) {
		if (required)
			return jsonv_fail(v, "MISSING_FIELD",
					  "%s%s%s is required", nz(path),
					  sep(path), key);
		return true;
	}
	if (!json_is_string(m))
		return jsonv_fail(v, "INVALID_FIELD", "%s%s%s must be a string",
				  nz(path), sep(path), key);
	*out = json_string_value(m);
	return true;
}

bool jsonv_bool(struct jsonv *v, const json_t *obj, const char *path,
		const char *key, bool *out, bool *present)
{
	const json_t *m = member(obj, key);

	if (present)
		*present = m != NULL;
	if (!m)
		return true;
	if (!json_is_boolean(m))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s%s%s must be true or false", nz(path),
				  sep(path), key);
	*out = json_is_true(m);
	return true;
}

bool jsonv_int(struct jsonv *v, const json_t *obj, const char *path,
	       const char *key, long long min, long long max, long long *out,
	       bool *present)
{
	const json_t *m = member(obj, key);
	long long x;

	if (present)
		*present = m != NULL;
	if (!m)
		return true;
	if (!json_is_integer(m))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s%s%s must be a whole number", nz(path),
				  sep(path), key);
	x = json_integer_value(m);
	if (x < min || x > max)
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s%s%s must be between %lld and %lld",
				  nz(path), sep(path), key, min, max);
	*out = x;
	return true;
}

bool jsonv_enum(struct jsonv *v, const char *path, const char *key,
		const char *value, const char *const choices[])
{
	char list[128] = "";
	size_t n = 0;

	for (size_t i = 0; choices[i]; i++) {
		if (!strcmp(value, choices[i]))
			return true;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? ", " : "", choices[i]);
		if (n >= sizeof(list))
			n = sizeof(list) - 1;
	}
	return jsonv_fail(v, "INVALID_FIELD", "%s%s%s must be one of: %s",
			  nz(path), sep(path), key, list);
}
