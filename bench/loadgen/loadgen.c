/**
 * @file loadgen.c  trunkd's load generator: calls at a rate up to a
 *                  concurrency, G.711 echo media on every call, figures
 *
 *   loadgen --host 127.0.0.1 --port 5061 --transport tls --srtp \
 *           --number +14150009999 --rate 100 --concurrency 1000 \
 *           --calls 1000 --duration 30 [--json]
 *   loadgen --ceiling 127.0.0.1:7000 --concurrency 1000 ...   (no SIP)
 *
 * Bounded: it places --calls calls in all and stops by itself once they
 * have ended, or at --time-limit (default: what the run needs + 30 s),
 * whichever comes first; calls still up then are hung up and counted.
 * A progress line goes to stderr each second; the summary (text, or JSON
 * with --json) to stdout.  Exit 0 when the run completed, 1 when no call
 * was answered, 2 on bad arguments or set-up failure.  SIGINT or SIGTERM
 * ends the run early as the time limit does (calls hung up, summary
 * printed); a second one exits at once.
 *
 * A call's life: FREE -> INVITING (lg_sip_invite) -> MEDIA (answered:
 * packets every 20 ms for --duration) -> DRAINING (LG_DRAIN_MS for the
 * last echoes) -> ENDING (BYE; its figures are added up) -> FREE.  A
 * failure or a far-end hang-up ends it from any state; the slot is freed
 * from a timer, never inside libre's callback that reported it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "loop/loop.h"
#include "media/srtp_fast.h"
#include "lg.h"

uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double elapsed_s(const struct lg *lg)
{
	return (double)(lg_now_ns() - lg->t0) / 1e9;
}

static void call_release(void *arg);

/* add up a call's figures and give its slot back (from a timer) */
static void call_end(struct lg_call *c)
{
	struct lg *lg = c->lg;

	if (c->state == LG_FREE || c->state == LG_ENDING)
		return;
	lg_media_forget(lg, c);
	if (c->answered) {
		lg->t.completed++;
		lg_hist_add(&lg->jitter_ms, c->jitter_ns / 1e6);
	}
	c->state = LG_ENDING;
	tmr_start(&c->tmr, 0, call_release, c);
}

static void call_release(void *arg)
{
	struct lg_call *c = arg;
	struct lg *lg = c->lg;

	lg_sip_hangup(c);
	sdp_nego_close(&c->nego);
	if (c->srtp_on)
		srtp_pair_close(&c->srtp);
	c->srtp_on = false;
	c->state = LG_FREE;
	lg->freev[lg->freec++] = c->slot;
	lg->t.active--;
}

static void on_drained(void *arg)
{
	call_end(arg);
}

/* the first call to stop ends the steady window: every call's jitter
 * estimate then is what the steady load gave it */
static void steady_end(struct lg *lg)
{
	unsigned i;

	if (!lg->steady)
		return;
	lg->steady = false;
	lg->steady_over = true;
	lg->steady_s = (double)(lg_now_ns() - lg->steady_t0) / 1e9;
	for (i = 0; i < lg->o.concurrency; i++) {
		const struct lg_call *c = &lg->callv[i];
		if (c->state == LG_MEDIA && c->have_transit)
			lg_hist_add(&lg->steady_jitter_ms, c->jitter_ns / 1e6);
	}
}

static void on_media_done(void *arg)
{
	struct lg_call *c = arg;

	steady_end(c->lg);
	lg_media_stop(c->lg, c);
	tmr_start(&c->tmr, LG_DRAIN_MS, on_drained, c);
}

void lg_call_answered(struct lg_call *c)
{
	struct lg *lg = c->lg;

	c->answered = true;
	lg->t.answered++;
	lg->t_last_answer = lg_now_ns();
	if (!lg->o.ceiling)
		lg_hist_add(&lg->setup_ms,
			    (double)(lg->t_last_answer - c->t_invite) / 1e6);
	if (lg->o.duration <= 0 || lg->stopping) {
		call_end(c);
		return;
	}
	lg_media_start(lg, c);
	tmr_start(&c->tmr, (uint64_t)(lg->o.duration * 1000), on_media_done, c);
	if (lg->o.calls == lg->o.concurrency && lg->t.answered == lg->o.calls &&
	    !lg->steady_over) {
		lg->steady = true;
		lg->steady_t0 = lg_now_ns();
	}
}

void lg_call_failed(struct lg_call *c, int err, uint16_t scode)
{
	struct lg *lg = c->lg;

	c->sess = mem_deref(c->sess);
	steady_end(lg);
	lg->t.failed++;
	if (scode && scode < LG_SIP_CODES) {
		lg->t.codes[scode]++;
	} else {
		lg->t.errors++;
		if (!lg->t.first_error[0])
			snprintf(lg->t.first_error, sizeof(lg->t.first_error),
				 "%s", strerror(err ? err : EPROTO));
	}
	call_end(c);
}

/* the far end sent BYE: a call trunkd ended early */
void lg_call_hung_up(struct lg_call *c)
{
	c->sess = mem_deref(c->sess);
	steady_end(c->lg);
	if (c->state == LG_MEDIA)
		c->lg->t.codes[0]++; /* "hung up by the far end" */
	call_end(c);
}

static void call_start(struct lg *lg)
{
	unsigned slot = lg->freev[--lg->freec];
	struct lg_call *c = &lg->callv[slot];
	int err;

	memset(c, 0, sizeof(*c));
	tmr_init(&c->tmr);
	c->lg = lg;
	c->slot = slot;
	c->serial = ++lg->next_serial;
	c->ssrc_tx = rand_u32();
	c->seq = (uint16_t)rand_u16();
	c->ts = rand_u32();
	c->state = LG_INVITING;
	c->t_invite = lg_now_ns();
	if (!lg->t_first_invite)
		lg->t_first_invite = c->t_invite;
	lg->t.started++;
	if (++lg->t.active > lg->t.max_active)
		lg->t.max_active = lg->t.active;
	if (lg->o.ceiling) {
		sa_cpy(&c->remote, &lg->ceiling);
		c->pt = !strcmp(lg->o.codec, "PCMA") ? 8 : 0;
		lg_call_answered(c);
		return;
	}
	err = lg_sip_invite(lg, c);
	if (err)
		lg_call_failed(c, err, 0);
}

static void stop(struct lg *lg);

static void on_tick(uv_timer_t *h)
{
	struct lg *lg = h->data;
	double t = elapsed_s(lg);
	uint64_t ms = (uint64_t)(t * 1000), due;

	if (!lg->stopping) {
		due = (uint64_t)(t * lg->o.rate) + 1;
		while (lg->t.started < due && lg->t.started < lg->o.calls &&
		       lg->freec)
			call_start(lg);
	}
	/* the slots of every millisecond since the last tick, a cycle at
	   most: a late loop sends late, it does not send twice */
	if (ms - lg->last_ms > LG_FRAME_MS)
		lg->last_ms = ms - LG_FRAME_MS;
	while (lg->last_ms < ms)
		lg_media_send_due(lg, ++lg->last_ms);
	if (!lg->stopping && t >= lg->o.time_limit) {
		fprintf(stderr, "time limit (%.0f s) reached\n",
			lg->o.time_limit);
		stop(lg);
	}
	if (!lg->stopping && lg->t.started >= lg->o.calls && !lg->t.active)
		stop(lg);
}

static void on_progress(uv_timer_t *h)
{
	struct lg *lg = h->data;
	const struct lg_totals *p = &lg->last_report, *t = &lg->t;

	if (!lg->o.quiet)
		fprintf(
		    stderr,
		    "%5.0fs active %u started %llu answered %llu failed "
		    "%llu | tx %llu/s rx %llu/s | setup p50 %.1f ms | rtt "
		    "p50 %.2f ms p99 %.2f ms\n",
		    elapsed_s(lg), t->active, (unsigned long long)t->started,
		    (unsigned long long)t->answered,
		    (unsigned long long)t->failed,
		    (unsigned long long)(t->tx - p->tx),
		    (unsigned long long)(t->rx - p->rx),
		    lg_hist_pct(&lg->setup_ms, 50),
		    lg_hist_pct(&lg->rtt_ms, 50), lg_hist_pct(&lg->rtt_ms, 99));
	lg->last_report = *t;
}

static void on_last_tick(void *arg)
{
	struct lg *lg = arg;

	uv_stop(lg->loop);
}

/* end every call still up, give BYEs a moment, then leave the loop */
static void stop(struct lg *lg)
{
	unsigned i;

	steady_end(lg);
	lg->stopping = true;
	for (i = 0; i < lg->o.concurrency; i++) {
		struct lg_call *c = &lg->callv[i];
		if (c->state == LG_INVITING) {
			lg->t.timed_out++;
			call_end(c);
		} else if (c->state == LG_MEDIA || c->state == LG_DRAINING) {
			call_end(c);
		}
	}
	tmr_start(&lg->final_tmr, 500, on_last_tick, lg);
}

/* answers per second from the first INVITE to the last answer */
static double setup_rate(const struct lg *lg)
{
	double s = (double)(lg->t_last_answer - lg->t_first_invite) / 1e9;

	return s > 0 && lg->t.answered > 1 ? (double)(lg->t.answered - 1) / s
					   : 0;
}

static void on_signal(int signum, void *arg)
{
	struct lg *lg = arg;

	fprintf(stderr, "signal %d: stopping\n", signum);
	if (!lg->stopping)
		stop(lg);
}

static double loss_pct(const struct lg_totals *t)
{
	return t->tx
		   ? 100.0 * (double)(t->tx - (t->rx < t->tx ? t->rx : t->tx)) /
			 (double)t->tx
		   : 0;
}

static void print_codes(const struct lg *lg, bool json)
{
	const char *sep = "";
	unsigned k;

	for (k = 0; k < LG_SIP_CODES; k++) {
		if (!lg->t.codes[k])
			continue;
		if (json)
			printf("%s\"%u\": %llu", sep, k,
			       (unsigned long long)lg->t.codes[k]);
		else
			printf("%s%u x%llu", sep, k,
			       (unsigned long long)lg->t.codes[k]);
		sep = ", ";
	}
}

/* "name": {"p50": .., "p99": .., "max": ..} */
static void json_pcts(const char *name, const struct lg_hist *h)
{
	printf("\"%s\": {\"p50\": %.4f, \"p99\": %.4f, \"max\": %.4f}", name,
	       lg_hist_pct(h, 50), lg_hist_pct(h, 99), h->max);
}

static void text_pcts(const char *name, const struct lg_hist *h)
{
	printf("%s: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", name,
	       lg_hist_pct(h, 50), lg_hist_pct(h, 99), h->max);
}

static void summary_text(const struct lg *lg, double secs)
{
	const struct lg_totals *t = &lg->t;

	printf("mode %s, %s, %s media, codec %s\n",
	       lg->o.ceiling ? "ceiling (bare UDP echo)" : "SIP",
	       lg->o.ceiling ? "no signalling" : lg->o.transport,
	       lg->o.srtp ? "SRTP" : "plain RTP", lg->o.codec);
	printf("calls: started %llu, answered %llu, completed %llu, failed "
	       "%llu, unanswered at the limit %llu; max concurrent %u\n",
	       (unsigned long long)t->started, (unsigned long long)t->answered,
	       (unsigned long long)t->completed, (unsigned long long)t->failed,
	       (unsigned long long)t->timed_out, t->max_active);
	printf("failures by SIP code (0 = hung up by the far end): ");
	print_codes(lg, false);
	printf("%s; without an answer: %llu%s%s\n", "",
	       (unsigned long long)t->errors, t->errors ? " first: " : "",
	       t->first_error);
	printf("setup (INVITE -> 200): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
	       "answered at %.1f calls/s; run %.1f s\n",
	       lg_hist_pct(&lg->setup_ms, 50), lg_hist_pct(&lg->setup_ms, 99),
	       lg->setup_ms.max, setup_rate(lg), secs);
	printf("packets: sent %llu, received %llu, loss %.4f %%, not sent "
	       "(socket full) %llu, bad %llu, unknown %llu\n",
	       (unsigned long long)t->tx, (unsigned long long)t->rx,
	       loss_pct(t), (unsigned long long)t->tx_dropped,
	       (unsigned long long)t->rx_bad,
	       (unsigned long long)t->rx_unknown);
	text_pcts("jitter per call (at its end)", &lg->jitter_ms);
	text_pcts("echo round trip (every packet)", &lg->rtt_ms);
	if (!lg->steady_over)
		return;
	printf("steady window (all %u calls up, %.1f s):\n", lg->o.calls,
	       lg->steady_s);
	text_pcts("  jitter per call", &lg->steady_jitter_ms);
	text_pcts("  echo round trip", &lg->steady_rtt_ms);
}

static void summary_json(const struct lg *lg, double secs)
{
	const struct lg_totals *t = &lg->t;

	printf("{\"mode\": \"%s\", \"transport\": \"%s\", \"srtp\": %s, "
	       "\"codec\": \"%s\", \"seconds\": %.3f,\n",
	       lg->o.ceiling ? "ceiling" : "sip",
	       lg->o.ceiling ? "none" : lg->o.transport,
	       lg->o.srtp ? "true" : "false", lg->o.codec, secs);
	printf(" \"calls\": {\"started\": %llu, \"answered\": %llu, "
	       "\"completed\": %llu, \"failed\": %llu, \"timed_out\": %llu, "
	       "\"max_concurrent\": %u, \"per_second\": %.2f},\n",
	       (unsigned long long)t->started, (unsigned long long)t->answered,
	       (unsigned long long)t->completed, (unsigned long long)t->failed,
	       (unsigned long long)t->timed_out, t->max_active, setup_rate(lg));
	printf(" \"failures\": {\"by_code\": {");
	print_codes(lg, true);
	printf("}, \"no_answer_errors\": %llu, \"first_error\": \"%s\"},\n",
	       (unsigned long long)t->errors, t->first_error);
	printf(" ");
	json_pcts("setup_ms", &lg->setup_ms);
	printf(",\n \"packets\": {\"sent\": %llu, \"received\": %llu, "
	       "\"loss_percent\": %.5f, \"not_sent\": %llu, \"bad\": %llu, "
	       "\"unknown\": %llu},\n ",
	       (unsigned long long)t->tx, (unsigned long long)t->rx,
	       loss_pct(t), (unsigned long long)t->tx_dropped,
	       (unsigned long long)t->rx_bad,
	       (unsigned long long)t->rx_unknown);
	json_pcts("jitter_ms", &lg->jitter_ms);
	printf(",\n ");
	json_pcts("rtt_ms", &lg->rtt_ms);
	printf(",\n \"steady\": ");
	if (lg->steady_over) {
		printf("{\"seconds\": %.3f, ", lg->steady_s);
		json_pcts("jitter_ms", &lg->steady_jitter_ms);
		printf(", ");
		json_pcts("rtt_ms", &lg->steady_rtt_ms);
		printf("}}\n");
	} else {
		printf("null}\n");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen [options]\n"
		   "  --host IP            trunkd's SIP address (127.0.0.1)\n"
		   "  --port N             its SIP port (5060; 5061 for tls)\n"
		   "  --transport T        udp, tcp or tls (udp)\n"
		   "  --number N           the number dialled (+14150009999)\n"
		   "  --srtp               SDES-SRTP (default with tls)\n"
		   "  --no-srtp            plain RTP\n"
		   "  --codec C            PCMU or PCMA (PCMU)\n"
		   "  --bind IP            our address for SIP and RTP "
		   "(127.0.0.1)\n"
		   "  --rate R             calls started per second (100)\n"
		   "  --concurrency C      calls up at once, at most (100)\n"
		   "  --calls N            calls in all (= concurrency)\n"
		   "  --duration S         seconds of media per call (10; 0: "
		   "hang up at the answer)\n"
		   "  --time-limit S       stop after S seconds whatever "
		   "(what the run needs + 30)\n"
		   "  --ceiling IP:PORT    no SIP: streams to a bare UDP echo "
		   "(bench_ceiling)\n"
		   "  --json               the summary as JSON\n"
		   "  --quiet              no progress lines\n");
}

static int parse(struct lg_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"host", 1, 0, 'h'},       {"port", 1, 0, 'p'},
	    {"transport", 1, 0, 't'},  {"number", 1, 0, 'n'},
	    {"srtp", 0, 0, 's'},       {"no-srtp", 0, 0, 'S'},
	    {"codec", 1, 0, 'c'},      {"bind", 1, 0, 'b'},
	    {"rate", 1, 0, 'r'},       {"concurrency", 1, 0, 'C'},
	    {"calls", 1, 0, 'N'},      {"duration", 1, 0, 'd'},
	    {"time-limit", 1, 0, 'T'}, {"ceiling", 1, 0, 'E'},
	    {"json", 0, 0, 'j'},       {"quiet", 0, 0, 'q'},
	    {"help", 0, 0, 'H'},       {0, 0, 0, 0}};
	int ch, srtp = -1;

	*o = (struct lg_opts){"udp",  "127.0.0.1", 0,	 "+14150009999",
			      "PCMU", "127.0.0.1", NULL, 100,
			      100,    0,	   10,	 0,
			      false,  false,	   false};
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'h':
			o->host = optarg;
			break;
		case 'p':
			o->port = (unsigned)atoi(optarg);
			break;
		case 't':
			o->transport = optarg;
			break;
		case 'n':
			o->number = optarg;
			break;
		case 's':
			srtp = 1;
			break;
		case 'S':
			srtp = 0;
			break;
		case 'c':
			o->codec = optarg;
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'C':
			o->concurrency = (unsigned)atoi(optarg);
			break;
		case 'N':
			o->calls = (unsigned)atoi(optarg);
			break;
		case 'd':
			o->duration = atof(optarg);
			break;
		case 'T':
			o->time_limit = atof(optarg);
			break;
		case 'E':
			o->ceiling = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'H':
			usage(stdout);
			exit(0);
		default:
			return EINVAL;
		}
	}
	if (optind < argc || o->rate <= 0 || !o->concurrency ||
	    o->duration < 0 ||
	    (strcmp(o->transport, "udp") && strcmp(o->transport, "tcp") &&
	     strcmp(o->transport, "tls")) ||
	    (strcmp(o->codec, "PCMU") && strcmp(o->codec, "PCMA")))
		return EINVAL;
	if (!o->port)
		o->port = strcmp(o->transport, "tls") ? 5060 : 5061;
	o->srtp =
	    srtp < 0 ? !strcmp(o->transport, "tls") && !o->ceiling : srtp == 1;
	if (o->ceiling)
		o->srtp = false; /* a bare echo cannot re-key */
	if (!o->calls)
		o->calls = o->concurrency;
	if (o->time_limit <= 0)
		o->time_limit = o->calls / o->rate + o->duration + 30;
	return 0;
}

static int setup(struct lg *lg)
{
	unsigned i;
	int err;

	if (sa_set_str(&lg->laddr, lg->o.bind, 0))
		return EINVAL;
	if (lg->o.ceiling &&
	    sa_decode(&lg->ceiling, lg->o.ceiling, strlen(lg->o.ceiling)))
		return EINVAL;
	lg->callv = calloc(lg->o.concurrency, sizeof(*lg->callv));
	lg->freev = calloc(lg->o.concurrency, sizeof(*lg->freev));
	if (!lg->callv || !lg->freev)
		return ENOMEM;
	for (i = 0; i < lg->o.concurrency; i++)
		lg->freev[lg->freec++] = lg->o.concurrency - 1 - i;
	err = lg_hist_init(&lg->setup_ms, 100000, 0.1);	    /* to 10 s */
	err |= lg_hist_init(&lg->rtt_ms, 100000, 0.01);	    /* to 1 s */
	err |= lg_hist_init(&lg->jitter_ms, 100000, 0.001); /* to 100 ms */
	err |= lg_hist_init(&lg->steady_rtt_ms, 100000, 0.01);
	err |= lg_hist_init(&lg->steady_jitter_ms, 100000, 0.001);
	if (err)
		return ENOMEM;
	err = sdes_init();
	if (!err)
		(void)srtp_fast_install(); /* libsrtp2's own otherwise */
	if (!err)
		err = lg_media_open(lg);
	if (!err && !lg->o.ceiling)
		err = lg_sip_open(lg);
	return err;
}

static void teardown(struct lg *lg)
{
	lg_sip_close(lg);
	lg_media_close(lg);
	uv_close((uv_handle_t *)&lg->tick, NULL);
	uv_close((uv_handle_t *)&lg->progress, NULL);
	loop_re_detach();
	uv_run(lg->loop, UV_RUN_DEFAULT);
	lg_media_free(lg);
	lg_hist_free(&lg->setup_ms);
	lg_hist_free(&lg->rtt_ms);
	lg_hist_free(&lg->jitter_ms);
	lg_hist_free(&lg->steady_rtt_ms);
	lg_hist_free(&lg->steady_jitter_ms);
	free(lg->callv);
	free(lg->freev);
}

int main(int argc, char **argv)
{
	struct lg lg;
	double secs;
	int err;

	memset(&lg, 0, sizeof(lg));
	if (parse(&lg.o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	lg.loop = uv_default_loop();
	err = loop_re_attach(lg.loop);
	if (!err)
		err = setup(&lg);
	if (err) {
		fprintf(stderr, "loadgen: set-up failed: %s\n", strerror(err));
		return 2;
	}
	tmr_init(&lg.final_tmr);
	uv_timer_init(lg.loop, &lg.tick);
	uv_timer_init(lg.loop, &lg.progress);
	lg.tick.data = lg.progress.data = &lg;
	lg.t0 = lg_now_ns();
	uv_timer_start(&lg.tick, on_tick, 1, 1);
	uv_timer_start(&lg.progress, on_progress, 1000, 1000);
	(void)loop_signals_start(lg.loop, on_signal, &lg);
	uv_run(lg.loop, UV_RUN_DEFAULT);
	secs = elapsed_s(&lg);
	tmr_cancel(&lg.final_tmr);
	loop_signals_stop();
	if (lg.o.json)
		summary_json(&lg, secs);
	else
		summary_text(&lg, secs);
	teardown(&lg);
	return lg.t.answered ? 0 : 1;
}
