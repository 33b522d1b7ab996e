/** @file sip_trace.c  Per-call SIP message capture (see sip_trace.h) */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <jansson.h>
#include "core/walltime.h"
#include "sip/sip_trace.h"

#define RING_SIZE 16

struct trace_msg {
	struct le le; /* in a trace, or not linked while in the ring */
	uint64_t time_us;
	bool tx;
	enum sip_transp tp;
	struct sa src, dst;
	struct pl callid; /* into text */
	size_t len;
	char text[];
};

struct sip_tracer {
	struct hash *traces; /* struct sip_trace, by Call-ID; borrowed */
	struct trace_msg *ring[RING_SIZE]; /* refs: recent, unfollowed */
	unsigned ring_next;
};

struct sip_trace {
	struct le he; /* in tracer->traces */
	char callid[256];
	struct list msgs; /* struct trace_msg, owned */
	unsigned cut;	  /* messages not kept: over the count */
};

static bool line_is(const struct pl *line, const char *name, size_t n,
		    struct pl *value)
{
	const char *p = line->p + n, *end = line->p + line->l;

	if (line->l <= n || strncasecmp(line->p, name, n))
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != ':')
		return false;
	for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	value->p = p;
	value->l = (size_t)(end - p);
	return value->l > 0;
}

bool sip_trace_callid(const uint8_t *pkt, size_t len, struct pl *callid)
{
	const char *p = (const char *)pkt, *end = p + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct pl line = {p, (size_t)((eol ? eol : end) - p)};

		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l && p != (const char *)pkt)
			return false; /* end of headers */
		if (line_is(&line, "Call-ID", 7, callid) ||
		    line_is(&line, "i", 1, callid))
			return true;
		if (!eol)
			break;
		p = eol + 1;
	}
	return false;
}

static void trace_destructor(void *arg)
{
	struct sip_trace *t = arg;

	hash_unlink(&t->he);
	list_flush(&t->msgs);
}

static void tracer_destructor(void *arg)
{
	struct sip_tracer *tr = arg;

	hash_clear(tr->traces); /* unlinks; traces belong to their callers */
	tr->traces = mem_deref(tr->traces);
	for (unsigned i = 0; i < RING_SIZE; i++)
		tr->ring[i] = mem_deref(tr->ring[i]);
}

int sip_tracer_alloc(struct sip_tracer **trp)
{
	struct sip_tracer *tr = mem_zalloc(sizeof(*tr), tracer_destructor);
	int err;

	if (!tr)
		return ENOMEM;
	err = hash_alloc(&tr->traces, 4096);
	if (err) {
		mem_deref(tr);
		return err;
	}
	*trp = tr;
	return 0;
}

static bool callid_eq(struct le *le, void *arg)
{
	const struct sip_trace *t = le->data;

	return !pl_strcmp(arg, t->callid);
}

static void trace_add(struct sip_trace *t, struct trace_msg *m)
{
	if (list_count(&t->msgs) >= SIP_TRACE_MAX_MSGS) {
		t->cut++;
		return;
	}
	list_append(&t->msgs, &m->le, mem_ref(m));
}

void sip_tracer_msg(struct sip_tracer *tr, bool tx, int tp,
		    const struct sa *src, const struct sa *dst,
		    const uint8_t *pkt, size_t len)
{
	struct pl callid;
	struct sip_trace *t;
	struct trace_msg *m;
	size_t keep = len < SIP_TRACE_MAX_LEN ? len : SIP_TRACE_MAX_LEN;

	if (!tr || !sip_trace_callid(pkt, len, &callid))
		return; /* keep-alives (CRLF) and junk */
	m = mem_zalloc(sizeof(*m) + keep + 1, NULL);
	if (!m)
		return;
	m->time_us = walltime_us();
	m->tx = tx;
	m->tp = (enum sip_transp)tp;
	sa_cpy(&m->src, src);
	sa_cpy(&m->dst, dst);
	memcpy(m->text, pkt, keep);
	m->len = keep;
	m->callid.p = m->text + (callid.p - (const char *)pkt);
	m->callid.l = (size_t)(callid.p + callid.l - (const char *)pkt) <= keep
			  ? callid.l
			  : 0;

	t = list_ledata(hash_lookup(tr->traces, hash_joaat_pl(&callid),
				    callid_eq, &callid));
	if (t) {
		trace_add(t, m);
	} else {
		mem_deref(tr->ring[tr->ring_next]);
		tr->ring[tr->ring_next] = mem_ref(m);
		tr->ring_next = (tr->ring_next + 1) % RING_SIZE;
	}
	mem_deref(m);
}

int sip_trace_follow(struct sip_trace **tp, struct sip_tracer *tr,
		     const struct pl *callid)
{
	struct sip_trace *t = mem_zalloc(sizeof(*t), trace_destructor);

	if (!t)
		return ENOMEM;
	pl_strcpy(callid, t->callid, sizeof(t->callid));
	if (tr) {
		/* adopt what came just before, oldest first */
		for (unsigned i = 0; i < RING_SIZE; i++) {
			unsigned k = (tr->ring_next + i) % RING_SIZE;
			struct trace_msg *m = tr->ring[k];

			if (m && !pl_cmp(&m->callid, callid)) {
				trace_add(t, m);
				tr->ring[k] = mem_deref(m);
			}
		}
		hash_append(tr->traces, hash_joaat_pl(callid), &t->he, t);
	}
	*tp = t;
	return 0;
}

/* the message text as a JSON string; bytes that are not UTF-8 become '?' */
static json_t *text_json(const struct trace_msg *m)
{
	json_t *s = json_stringn(m->text, m->len);
	char *copy;

	if (s)
		return s;
	copy = mem_alloc(m->len + 1, NULL);
	if (!copy)
		return json_string("");
	for (size_t i = 0; i < m->len; i++)
		copy[i] = (unsigned char)m->text[i] < 0x80 ? m->text[i] : '?';
	s = json_stringn(copy, m->len);
	mem_deref(copy);
	return s;
}

json_t *sip_trace_json(const struct sip_trace *t)
{
	json_t *a = json_array();
	struct le *le;

	for (le = list_head(&t->msgs); le; le = le->next) {
		const struct trace_msg *m = le->data;
		char src[64], dst[64];

		re_snprintf(src, sizeof(src), "%J", &m->src);
		re_snprintf(dst, sizeof(dst), "%J", &m->dst);
		json_array_append_new(
		    a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "time_us",
				 (json_int_t)m->time_us, "direction",
				 m->tx ? "out" : "in", "transport",
				 sip_transp_name(m->tp), "src", src, "dst", dst,
				 "text", text_json(m)));
	}
	return a;
}

unsigned sip_trace_count(const struct sip_trace *t)
{
	return list_count(&t->msgs);
}
