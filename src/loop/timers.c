/**
 * @file timers.c  libre's timer API (tmr_*) on a hashed timing wheel and
 *                 libuv's clock
 *
 * libre 1.1.0's own tmr.o keeps every timer in one sorted list (each
 * tmr_start walks it: O(n) with thousands of call timers) and reads the
 * wall clock with gettimeofday() on every tmr_jiffies() (a few per RTP
 * packet; slow on VMs, and a clock step moves every deadline).  Because
 * trunkd defines every symbol of tmr.o here, the linker never pulls it.
 *
 * Time: tmr_jiffies() is libuv's loop time (uv_now: CLOCK_MONOTONIC in ms,
 * read once per loop iteration) while libre is attached, CLOCK_MONOTONIC
 * otherwise; both count from the same origin.
 *
 * Wheel: WHEEL slots of 1 ms; a timer due at jfs waits in slot jfs % WHEEL
 * (appended, so timers due the same millisecond fire in the order they
 * were started), and one due later than a lap away waits there for as many
 * laps as it needs.  A bitmap of non-empty slots finds the next deadline.
 * tmr_poll() visits the slots of each millisecond since the last poll and
 * fires what is due in them.  A timer started for a time that has already
 * been polled (delay 0, or started from a handler) goes on the "now" list,
 * which the same tmr_poll() drains, as libre's own does.
 *
 * tmr_start and tmr_cancel are O(1); a poll costs the timers in the slots
 * it visits (about n / WHEEL per millisecond).
 *
 * Ownership: struct tmr is the caller's (libre's layout); its le links it
 * into one slot or the now list while it runs.  State is process-wide like
 * libre's own (one loop).
 */
#include <string.h>
#include <time.h>
#include <re.h>
#include "loop/loop_int.h"

#define WHEEL	    1024 /* ms per lap; a power of two */
#define WORDS	    (WHEEL / 64)
#define NOW_MAX_RUN 100000 /* fires of the now list per poll, at most */

static struct {
	struct list slot[WHEEL];
	uint64_t busy[WORDS];  /* bit k: slot[k] not empty */
	struct list now;       /* due, waiting for the current poll */
	uint64_t polled;       /* every slot up to this ms has been visited */
	bool started;	       /* polled is set */
	const uv_loop_t *loop; /* borrowed: the clock, while attached */
} tw;

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* polled never runs ahead of the clock: the loop's cached time may be a
 * little behind a CLOCK_MONOTONIC reading taken before it was attached,
 * and a timer for a time "already polled" would fire at once */
static void clock_settle(uint64_t now)
{
	if (!tw.started) {
		tw.polled = now;
		tw.started = true;
	} else if (now < tw.polled) {
		tw.polled = now;
	}
}

void loop__timers_attach(const uv_loop_t *loop)
{
	tw.loop = loop;
	if (tw.started)
		clock_settle(uv_now(loop));
}

void loop__timers_detach(void)
{
	tw.loop = NULL;
}

uint64_t tmr_jiffies(void)
{
	return tw.loop ? uv_now(tw.loop) : monotonic_ms();
}

/* off its list: a slot (whose bit goes when it empties), the now list,
 * or the due list of the poll firing it */
static void unlink_timer(struct tmr *tmr)
{
	struct list *l = tmr->le.list;

	list_unlink(&tmr->le);
	if (l >= tw.slot && l < tw.slot + WHEEL && list_isempty(l)) {
		unsigned k = (unsigned)(l - tw.slot);
		tw.busy[k / 64] &= ~(1ull << (k % 64));
	}
}

void tmr_init(struct tmr *tmr)
{
	if (tmr)
		memset(tmr, 0, sizeof(*tmr));
}

void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	uint64_t now;
	unsigned k;

	if (!tmr)
		return;
	if (tmr->th)
		unlink_timer(tmr);
	tmr->th = th;
	tmr->arg = arg;
	if (!th)
		return;
	now = tmr_jiffies();
	clock_settle(now);
	tmr->jfs = now + delay;
	if (tmr->jfs <= tw.polled) {
		list_append(&tw.now, &tmr->le, tmr);
		return;
	}
	k = (unsigned)(tmr->jfs % WHEEL);
	list_append(&tw.slot[k], &tmr->le, tmr);
	tw.busy[k / 64] |= 1ull << (k % 64);
}

void tmr_cancel(struct tmr *tmr)
{
	tmr_start(tmr, 0, NULL, NULL);
}

uint64_t tmr_get_expire(const struct tmr *tmr)
{
	uint64_t now;

	if (!tmr || !tmr->th)
		return 0;
	now = tmr_jiffies();
	return tmr->jfs > now ? tmr->jfs - now : 0;
}

/* unlink first: the handler may start the same timer again */
static void fire(struct tmr *tmr)
{
	tmr_h *th = tmr->th;
	void *arg = tmr->arg;

	unlink_timer(tmr);
	tmr->th = NULL;
	if (th)
		th(arg);
}

/* the timers of slot k due at or before t, in the order they were
 * started; those started meanwhile for t wait on the now list */
static void fire_slot(unsigned k, uint64_t t)
{
	struct list due = LIST_INIT;
	struct le *le = tw.slot[k].head;

	while (le) {
		struct tmr *tmr = le->data;
		le = le->next;
		if (tmr->jfs <= t) {
			unlink_timer(tmr);
			list_append(&due, &tmr->le, tmr);
		}
	}
	/* a handler may cancel a timer still in due: that unlinks it */
	while (due.head)
		fire(due.head->data);
}

/* the first busy slot at or after ms from, within one lap; false if none */
static bool next_busy(uint64_t from, uint64_t *at)
{
	uint64_t span;

	for (span = 0; span < WHEEL;) {
		unsigned k = (unsigned)((from + span) % WHEEL);
		uint64_t word = tw.busy[k / 64] >> (k % 64);
		if (word) {
			*at = from + span + (uint64_t)__builtin_ctzll(word);
			return true;
		}
		span += 64 - k % 64;
	}
	return false;
}

void tmr_poll(struct list *tmrl)
{
	uint64_t now = tmr_jiffies(), t, from;
	unsigned n = 0;

	(void)tmrl;
	clock_settle(now);
	/* after a stall longer than a lap, each slot once is enough: what is
	   due in it is due by now */
	from = now - tw.polled > WHEEL ? now - WHEEL + 1 : tw.polled + 1;
	while (from <= now && next_busy(from, &t) && t <= now) {
		tw.polled = t;
		fire_slot((unsigned)(t % WHEEL), t);
		from = t + 1;
	}
	if (now > tw.polled)
		tw.polled = now;
	while (tw.now.head && n++ < NOW_MAX_RUN)
		fire(tw.now.head->data);
}

uint64_t tmr_next_timeout(struct list *tmrl)
{
	uint64_t now = tmr_jiffies(), at;

	(void)tmrl;
	if (tw.now.head)
		return 1;
	if (!next_busy(tw.polled + 1, &at))
		return 0;
	return at > now ? at - now : 1;
}

bool loop__timers_due_now(void)
{
	return tw.now.head != NULL;
}

static uint32_t count_timers(void)
{
	uint32_t n = list_count(&tw.now);
	unsigned k;

	for (k = 0; k < WHEEL; k++)
		n += list_count(&tw.slot[k]);
	return n;
}

int tmr_status(struct re_printf *pf, void *unused)
{
	uint32_t n = count_timers(), shown = 0;
	int err;
	unsigned k;

	(void)unused;
	if (!n)
		return 0;
	err = re_hprintf(pf, "Timers (%u):\n", n);
	for (k = 0; k < WHEEL && shown < 100; k++) {
		struct le *le;
		for (le = tw.slot[k].head; le && shown < 100; le = le->next) {
			const struct tmr *tmr = le->data;
			err |= re_hprintf(
			    pf, "  %p: th=%p expire=%llums\n", tmr, tmr->th,
			    (unsigned long long)tmr_get_expire(tmr));
			shown++;
		}
	}
	if (n > shown)
		err |= re_hprintf(pf, "    (%u more)\n", n - shown);
	return err;
}

void tmr_debug(void)
{
	if (count_timers())
		(void)re_fprintf(stderr, "%H", tmr_status, NULL);
}
