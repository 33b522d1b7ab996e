/**
 * @file multipart.h  A streaming multipart/form-data parser (RFC 7578 over
 *                    RFC 2046's framing)
 *
 * Bytes are pushed in chunks of any size (one at a time works); part data
 * reach the handlers as they arrive, never buffered whole, so a 10 MB file
 * costs the parser a few hundred bytes.  Limits: 8 KiB of headers per part,
 * MULTIPART_MAX_PARTS parts.
 *
 * Ownership: multipart_alloc() returns a mem object; the handlers and their
 * argument are borrowed.  A handler returning non-zero stops the parse:
 * multipart_feed() then returns that value, and so does every later call.
 */
#ifndef TRUNKD_HTTP_MULTIPART_H
#define TRUNKD_HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_MAX_PARTS    16
#define MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */

struct multipart;

/* One part's headers; strings are "" when absent (NUL-terminated, borrowed
 * for the duration of the part_begin call) */
struct multipart_part {
	const char *name;	  /* Content-Disposition: form-data; name= */
	const char *filename;	  /* ...; filename= */
	const char *content_type; /* Content-Type, as declared */
};

struct multipart_handlers {
	int (*part_begin)(void *arg, const struct multipart_part *part);
	int (*part_data)(void *arg, const uint8_t *p, size_t n);
	int (*part_end)(void *arg);
};

/* The boundary parameter of a Content-Type value ("multipart/form-data;
 * boundary=xyz"), unquoted, into out (MULTIPART_BOUNDARY_MAX + 1 bytes).
 * EINVAL when the type is not multipart/form-data or the boundary is
 * missing or malformed. */
int multipart_boundary(const char *content_type,
		       char out[MULTIPART_BOUNDARY_MAX + 1]);

int multipart_alloc(struct multipart **mpp, const char *boundary,
		    const struct multipart_handlers *h, void *arg);
/* 0, EBADMSG (malformed: see multipart_error), or a handler's value */
int multipart_feed(struct multipart *mp, const uint8_t *p, size_t n);
/* At the end of the body: 0 if the closing delimiter was seen, else
 * EBADMSG (or the error the parse stopped with) */
int multipart_finish(struct multipart *mp);
/* What was malformed, or "" */
const char *multipart_error(const struct multipart *mp);

#endif
