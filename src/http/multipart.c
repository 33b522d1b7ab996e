/**
 * @file multipart.c  Streaming multipart/form-data: a delimiter search
 *                    (Knuth-Morris-Pratt, so that a near-miss of the
 *                    delimiter spanning two chunks is still data) and a
 *                    small header reader
 *
 * The delimiter is CRLF "--" boundary.  The body is read as if it started
 * with CRLF, so the first boundary line needs none: the preamble state
 * begins with those two bytes already matched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_mem.h>
#include "http/multipart.h"

#define DELIM_MAX  (MULTIPART_BOUNDARY_MAX + 4)
#define HEADER_MAX 8192
#define VALUE_MAX  256

enum state {
	S_PREAMBLE,    /* before the first delimiter: ignored */
	S_AFTER_DELIM, /* "--" (the end) or padding and CRLF */
	S_AFTER_DASH,  /* one '-' seen */
	S_AFTER_CR,    /* CR seen, LF due */
	S_HEADERS,     /* a part's header lines, up to an empty one */
	S_DATA,	       /* a part's bytes, up to the next delimiter */
	S_EPILOGUE,    /* after the closing delimiter: ignored */
	S_FAILED,
};

struct multipart {
	const struct multipart_handlers *h; /* borrowed */
	void *arg;			    /* borrowed */
	enum state state;
	int err; /* the value the parse stopped with */
	char delim[DELIM_MAX + 1];
	size_t dlen;
	size_t fail[DELIM_MAX + 1]; /* KMP: border of delim[0..k) */
	size_t k;		    /* delim bytes matched (held back) */
	unsigned parts;
	char hdr[HEADER_MAX];
	size_t hlen;
	char name[VALUE_MAX], filename[VALUE_MAX], ctype[VALUE_MAX];
	char why[96];
};

static bool bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("'()+_,-./:=? ", c));
}

/* copy a parameter value (token or quoted-string) starting at p into out */
static void param_value(const char *p, char *out, size_t outsz)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < outsz; p++) {
			if (*p == '\\' && p[1])
				p++;
			out[n++] = *p;
		}
	} else {
		while (*p && *p != ';' && *p != ' ' && *p != '\t' &&
		       n + 1 < outsz)
			out[n++] = *p++;
	}
	out[n] = '\0';
}

/* the value of parameter name in a header value like "x; a=1; b="2"" */
static bool param(const char *v, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = strchr(v, ';');

	while (p) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, name, nl) && p[nl] == '=') {
			param_value(p + nl + 1, out, outsz);
			return true;
		}
		/* skip to the next ';' outside quotes */
		for (bool q = false; *p && (q || *p != ';'); p++) {
			if (*p == '"')
				q = !q;
			else if (q && *p == '\\' && p[1])
				p++;
		}
		p = *p ? p : NULL;
	}
	return false;
}

int multipart_boundary(const char *content_type,
		       char out[MULTIPART_BOUNDARY_MAX + 1])
{
	static const char mt[] = "multipart/form-data";
	char b[MULTIPART_BOUNDARY_MAX + 2];
	size_t n;

	if (!content_type || strncasecmp(content_type, mt, sizeof(mt) - 1) ||
	    (content_type[sizeof(mt) - 1] != ';' &&
	     content_type[sizeof(mt) - 1] != ' '))
		return EINVAL;
	if (!param(content_type, "boundary", b, sizeof(b)))
		return EINVAL;
	n = strlen(b);
	if (!n || n > MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!bchar(b[i]))
			return EINVAL;
	}
	memcpy(out, b, n + 1);
	return 0;
}

int multipart_alloc(struct multipart **mpp, const char *boundary,
		    const struct multipart_handlers *h, void *arg)
{
	struct multipart *mp;
	size_t blen = boundary ? strlen(boundary) : 0;

	if (!blen || blen > MULTIPART_BOUNDARY_MAX)
		return EINVAL;
	mp = mem_zalloc(sizeof(*mp), NULL);
	if (!mp)
		return ENOMEM;
	mp->h = h;
	mp->arg = arg;
	mp->dlen = (size_t)snprintf(mp->delim, sizeof(mp->delim), "\r\n--%s",
				    boundary);
	/* KMP failure function over the delimiter */
	mp->fail[0] = mp->fail[1] = 0;
	for (size_t i = 1, b = 0; i < mp->dlen; i++) {
		while (b && mp->delim[i] != mp->delim[b])
			b = mp->fail[b];
		if (mp->delim[i] == mp->delim[b])
			b++;
		mp->fail[i + 1] = b;
	}
	mp->state = S_PREAMBLE;
	mp->k = 2; /* the virtual CRLF before the first boundary line */
	*mpp = mp;
	return 0;
}

static int fail(struct multipart *mp, const char *why)
{
	snprintf(mp->why, sizeof(mp->why), "%s", why);
	mp->state = S_FAILED;
	mp->err = EBADMSG;
	return EBADMSG;
}

static int stop(struct multipart *mp, int err)
{
	mp->state = S_FAILED;
	mp->err = err;
	return err;
}

static int emit(struct multipart *mp, const uint8_t *p, size_t n)
{
	if (mp->state != S_DATA || !n || !mp->h->part_data)
		return 0;
	return mp->h->part_data(mp->arg, p, n);
}

/* the header block is complete: parse it and begin the part */
static int headers_done(struct multipart *mp)
{
	struct multipart_part part = {mp->name, mp->filename, mp->ctype};
	char *line = mp->hdr, *end;
	bool disposition = false;

	mp->name[0] = mp->filename[0] = mp->ctype[0] = '\0';
	mp->hdr[mp->hlen - 2] = '\0'; /* the empty line's CRLF */
	for (; *line; line = end + 2) {
		char *colon, *v;

		end = strstr(line, "\r\n");
		if (!end)
			return fail(mp, "a part header line without CRLF");
		*end = '\0';
		colon = strchr(line, ':');
		if (!colon || colon == line)
			return fail(mp, "a part header line without a name");
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (!strcasecmp(line, "content-disposition")) {
			if (strncasecmp(v, "form-data", 9))
				return fail(mp, "a part that is not form-data");
			disposition = true;
			param(v, "name", mp->name, sizeof(mp->name));
			param(v, "filename", mp->filename,
			      sizeof(mp->filename));
		} else if (!strcasecmp(line, "content-type")) {
			snprintf(mp->ctype, sizeof(mp->ctype), "%s", v);
		}
	}
	if (!disposition)
		return fail(mp, "a part without Content-Disposition");
	if (++mp->parts > MULTIPART_MAX_PARTS)
		return fail(mp, "too many parts");
	mp->state = S_DATA;
	mp->hlen = 0;
	return mp->h->part_begin ? mp->h->part_begin(mp->arg, &part) : 0;
}

/* S_PREAMBLE and S_DATA: look for the delimiter in p[0..n); returns the
 * bytes consumed (all, or up to the end of a delimiter) */
static size_t scan(struct multipart *mp, const uint8_t *p, size_t n, int *err)
{
	size_t i, run = SIZE_MAX; /* start of plain data in p */

	*err = 0;
	for (i = 0; i < n; i++) {
		char c = (char)p[i];

		if (!mp->k && c != mp->delim[0]) {
			if (run == SIZE_MAX)
				run = i;
			continue;
		}
		if (run != SIZE_MAX) {
			*err = emit(mp, p + run, i - run);
			run = SIZE_MAX;
			if (*err)
				return i;
		}
		/* held-back delimiter bytes that stop matching are data */
		while (mp->k && mp->delim[mp->k] != c) {
			size_t b = mp->fail[mp->k];

			*err = emit(mp, (const uint8_t *)mp->delim, mp->k - b);
			if (*err)
				return i;
			mp->k = b;
		}
		if (mp->delim[mp->k] != c) {
			run = i;
			continue;
		}
		if (++mp->k == mp->dlen) {
			mp->k = 0;
			if (mp->state == S_DATA && mp->h->part_end)
				*err = mp->h->part_end(mp->arg);
			mp->state = S_AFTER_DELIM;
			return i + 1;
		}
	}
	if (run != SIZE_MAX)
		*err = emit(mp, p + run, n - run);
	return n;
}

int multipart_feed(struct multipart *mp, const uint8_t *p, size_t n)
{
	size_t i = 0;
	int err = 0;

	while (i < n && !err) {
		char c = (char)p[i];

		switch (mp->state) {
		case S_PREAMBLE:
		case S_DATA:
			i += scan(mp, p + i, n - i, &err);
			if (err)
				return stop(mp, err);
			continue;
		case S_AFTER_DELIM:
			if (c == '-')
				mp->state = S_AFTER_DASH;
			else if (c == '\r')
				mp->state = S_AFTER_CR;
			else if (c != ' ' && c != '\t')
				return fail(mp, "garbage after a boundary");
			break;
		case S_AFTER_DASH:
			if (c != '-')
				return fail(mp, "garbage after a boundary");
			mp->state = S_EPILOGUE;
			break;
		case S_AFTER_CR:
			if (c != '\n')
				return fail(mp,
					    "CR without LF after a boundary");
			if (mp->parts == MULTIPART_MAX_PARTS)
				return fail(mp, "too many parts");
			mp->state = S_HEADERS;
			break;
		case S_HEADERS:
			if (mp->hlen == sizeof(mp->hdr) - 1)
				return fail(mp, "part headers over 8 KiB");
			mp->hdr[mp->hlen++] = c;
			if (c == '\n' && mp->hlen >= 2 &&
			    mp->hdr[mp->hlen - 2] == '\r' &&
			    (mp->hlen == 2 ||
			     (mp->hlen >= 4 && mp->hdr[mp->hlen - 3] == '\n' &&
			      mp->hdr[mp->hlen - 4] == '\r'))) {
				mp->hdr[mp->hlen] = '\0';
				err = headers_done(mp);
				if (err && mp->state != S_FAILED)
					return stop(mp, err);
			}
			break;
		case S_EPILOGUE:
			return 0;
		case S_FAILED:
			return mp->err;
		}
		i++;
	}
	return err ? mp->err : 0;
}

int multipart_finish(struct multipart *mp)
{
	if (mp->state == S_FAILED)
		return mp->err;
	if (mp->state != S_EPILOGUE)
		return fail(mp, mp->parts ? "the body ends inside a part "
					    "(no closing boundary)"
					  : "no boundary line in the body");
	return 0;
}

const char *multipart_error(const struct multipart *mp)
{
	return mp->why;
}
