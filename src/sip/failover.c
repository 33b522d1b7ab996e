/** @file failover.c  Where a number's calls start (see failover.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <jansson.h>
#include "core/sipconf.h"
#include "core/log.h"
#include "core/sipdest.h"
#include "core/walltime.h"
#include "sip/failover.h"
#include "sip/health.h"

struct failover {
	struct list moved; /* struct moved: numbers failed over */
	struct health *h;  /* ref, or NULL */
};

struct moved {
	struct le le;
	char number[SIPCONF_NUMBER_MAX + 1];
	bool inbound;
	uint64_t at_ms;
	char why[96];
};

static void moved_destructor(void *arg)
{
	list_unlink(&((struct moved *)arg)->le);
}

static void destructor(void *arg)
{
	struct failover *f = arg;

	list_flush(&f->moved);
	mem_deref(f->h);
}

int failover_alloc(struct failover **fp, struct health *h)
{
	struct failover *f = mem_zalloc(sizeof(*f), destructor);

	if (!f)
		return ENOMEM;
	f->h = mem_ref(h);
	*fp = f;
	return 0;
}

static struct moved *find(const struct failover *f, const char *number,
			  bool inbound)
{
	for (struct le *le = list_head(&f->moved); le; le = le->next) {
		struct moved *m = le->data;

		if (m->inbound == inbound && !strcmp(m->number, number))
			return m;
	}
	return NULL;
}

void failover_moved(struct failover *f, const char *number, bool inbound,
		    const char *why)
{
	struct moved *m;

	if (!f || find(f, number, inbound))
		return;
	m = mem_zalloc(sizeof(*m), moved_destructor);
	if (!m)
		return;
	snprintf(m->number, sizeof(m->number), "%s", number);
	m->inbound = inbound;
	m->at_ms = walltime_us() / 1000;
	snprintf(m->why, sizeof(m->why), "%s", why);
	list_append(&f->moved, &m->le, m);
	log_info("failover", number, "failed over from the primary: %s", why);
}

static bool manual(const json_t *row)
{
	const char *fb = json_string_value(json_object_get(
	    json_object_get(row, "failover_config"), "failback"));

	return fb && !strcmp(fb, "manual");
}

/* the number's failover, unless automatic failback is due (then gone) */
static struct moved *current(struct failover *f, const char *number,
			     bool inbound, const json_t *row,
			     const struct sipdest *primary)
{
	struct moved *m = find(f, number, inbound);

	if (m && !manual(row) && health_up_since(f->h, primary, m->at_ms)) {
		log_info("failover", number, "primary healthy again: failback");
		m = mem_deref(m);
	}
	return m;
}

unsigned failover_first(struct failover *f, const char *number, bool inbound,
			const json_t *row, const struct sipdest *eps,
			unsigned n)
{
	struct moved *m;
	unsigned first;

	if (!f || n < 2)
		return 0;
	m = current(f, number, inbound, row, &eps[0]);
	if (!m && strcmp(health_state(f->h, &eps[0]), "unreachable"))
		return 0;
	if (!m)
		failover_moved(f, number, inbound,
			       "health checks find the primary unreachable");
	for (first = 1; first < n; first++)
		if (strcmp(health_state(f->h, &eps[first]), "unreachable"))
			return first;
	return 1; /* every one unreachable: the first failover anyway */
}

int failover_reset(struct failover *f, const char *number, bool inbound)
{
	struct moved *m = find(f, number, inbound);

	if (!m)
		return ENOENT;
	log_info("failover", number, "failback through the API");
	mem_deref(m);
	return 0;
}

json_t *failover_json(struct failover *f, const char *number, bool inbound,
		      const json_t *row, const struct sipdest *primary)
{
	const struct moved *m = current(f, number, inbound, row, primary);
	char at[WALLTIME_ISO_LEN];

	if (!m)
		return json_pack("{s:s, s:n, s:n}", "active", "primary",
				 "failed_over_at", "reason");
	walltime_iso(at, m->at_ms * 1000, 3);
	return json_pack("{s:s, s:s, s:s}", "active", "failover",
			 "failed_over_at", at, "reason", m->why);
}
