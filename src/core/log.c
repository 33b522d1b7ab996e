/** @file log.c  Line-oriented logging to stderr */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "core/log.h"
#include "core/walltime.h"

static enum log_level min_level = LOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error"};

void log_level_set(enum log_level level)
{
	min_level = level;
}

enum log_level log_level_get(void)
{
	return min_level;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_ERROR ? names[level] : "?";
}

int log_level_parse(enum log_level *levelp, const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i])) {
			*levelp = (enum log_level)i;
			return 0;
		}
	}
	if (!strcasecmp(name, "warning")) {
		*levelp = LOG_WARN;
		return 0;
	}
	return 22; /* EINVAL */
}

void log_write(enum log_level level, const char *module, const char *id,
	       const char *fmt, ...)
{
	char line[2048];
	size_t n;
	int r;
	va_list ap;

	if (level < min_level)
		return;

	n = walltime_iso(line, walltime_us(), 3);
	r = snprintf(line + n, sizeof(line) - n, " %-5s %-6s %s%s%s",
		     log_level_name(level), module, id ? "[" : "", id ? id : "",
		     id ? "] " : "");
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : 0;

	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r
						      : sizeof(line) - n - 2;
	line[n++] = '\n';

	/* stderr is the log; a failed write has nowhere to be reported */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
