/**
 * @file multipart_trace.h  What a multipart parse produced, as one string
 *                          (for tests/unit/test_multipart.c and the fuzz
 *                          harness, which compare parses of one body fed
 *                          in different chunkings)
 *
 * The trace: "<name|filename|type>" at each part's start, its bytes, "</>"
 * at its end, then " = <multipart_finish() result>".
 */
#ifndef TRUNKD_TESTS_MULTIPART_TRACE_H
#define TRUNKD_TESTS_MULTIPART_TRACE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/multipart.h"

struct mp_trace {
	char *buf; /* malloc */
	size_t len, cap;
};

static inline int mp_trace_put(void *arg, const void *p, size_t n)
{
	struct mp_trace *t = arg;

	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *b = realloc(t->buf, cap);

		if (!b)
			abort();
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

static inline int mp_trace_begin(void *arg, const struct multipart_part *pt)
{
	char s[1024];
	int n = snprintf(s, sizeof(s), "<%s|%s|%s>", pt->name, pt->filename,
			 pt->content_type);

	return mp_trace_put(arg, s, (size_t)n);
}

static inline int mp_trace_data(void *arg, const uint8_t *p, size_t n)
{
	return mp_trace_put(arg, p, n);
}

static inline int mp_trace_end(void *arg)
{
	return mp_trace_put(arg, "</>", 3);
}

static const struct multipart_handlers mp_trace_handlers = {
    mp_trace_begin, mp_trace_data, mp_trace_end};

/* Parse body with boundary, fed in chunks of the sizes cuts[] gives in
 * turn (0 or none: all at once); the trace (malloc) */
static inline char *mp_trace_parse(const char *boundary, const uint8_t *body,
				   size_t len, const size_t *cuts, size_t ncuts)
{
	struct mp_trace t = {0};
	struct multipart *mp;
	size_t off = 0, c = 0;
	int err = 0;
	char end[32];

	if (multipart_alloc(&mp, boundary, &mp_trace_handlers, &t))
		abort();
	while (off < len && !err) {
		size_t n = ncuts && cuts[c % ncuts] ? cuts[c % ncuts] : len;

		c++;
		if (n > len - off)
			n = len - off;
		err = multipart_feed(mp, body + off, n);
		off += n;
	}
	snprintf(end, sizeof(end), " = %d", err ? err : multipart_finish(mp));
	mp_trace_put(&t, end, strlen(end));
	mem_deref(mp);
	return t.buf;
}

#endif
