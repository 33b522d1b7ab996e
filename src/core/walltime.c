/** @file walltime.c  Wall-clock time (see walltime.h) */
#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include "core/walltime.h"

uint64_t walltime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

size_t walltime_iso(char out[WALLTIME_ISO_LEN], uint64_t us, unsigned digits)
{
	time_t sec = (time_t)(us / 1000000);
	unsigned frac = (unsigned)(us % 1000000);
	struct tm tm;
	size_t n;
	int r;

	gmtime_r(&sec, &tm);
	n = strftime(out, WALLTIME_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	r = digits == 6
		? snprintf(out + n, WALLTIME_ISO_LEN - n, ".%06uZ", frac)
		: snprintf(out + n, WALLTIME_ISO_LEN - n, ".%03uZ",
			   frac / 1000);
	return r > 0 ? n + (size_t)r : n;
}

json_t *walltime_json_ms(uint64_t ms)
{
	char iso[WALLTIME_ISO_LEN];

	if (!ms)
		return json_null();
	walltime_iso(iso, ms * 1000, 3);
	return json_string(iso);
}
