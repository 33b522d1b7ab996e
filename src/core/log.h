/**
 * @file log.h  One line per event on stderr: time, level, module, id, text
 *
 * The level is process-wide and set once at start-up (log_level_set); it is
 * the only mutable state here.  Lines are written with one write(2) so that
 * they never interleave.
 */
#ifndef TRUNKD_CORE_LOG_H
#define TRUNKD_CORE_LOG_H

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

void log_level_set(enum log_level level);
enum log_level log_level_get(void);
int log_level_parse(enum log_level *levelp, const char *name);
const char *log_level_name(enum log_level level);

/* id is a request or call id, or NULL */
void log_write(enum log_level level, const char *module, const char *id,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(mod, id, ...)                                                \
	do {                                                                   \
		if (log_level_get() <= LOG_DEBUG)                              \
			log_write(LOG_DEBUG, mod, id, __VA_ARGS__);            \
	} while (0)
#define log_info(mod, id, ...)	log_write(LOG_INFO, mod, id, __VA_ARGS__)
#define log_warn(mod, id, ...)	log_write(LOG_WARN, mod, id, __VA_ARGS__)
#define log_error(mod, id, ...) log_write(LOG_ERROR, mod, id, __VA_ARGS__)

#endif
