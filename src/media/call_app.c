/** @file call_app.c  Call applications: echo, play, record, dtmf (see .h) */
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "core/log.h"
#include "media/call_app.h"
#include "media/g711.h"
#include "media/rtp_session.h"
#include "media/wav.h"

#define FRAME_MS	 20
#define FRAME_SAMPLES	 160
#define MAX_CATCH_UP	 5
#define DIGIT_TIMEOUT_MS 10000
#define DEFAULT_DIGITS	 16

enum app_kind { APP_ECHO, APP_PLAY, APP_RECORD, APP_DTMF, APP_TONE };

struct call_app {
	enum app_kind kind;
	struct rtp_session *rs; /* ref */
	call_app_done_h *doneh;
	void *arg;
	char call_id[40];
	enum g711_law law;
	uint8_t pt;
	struct wav_pcm prompt; /* play, dtmf */
	size_t played;	       /* samples of the prompt sent */
	bool loop, prompt_over;
	uint64_t start_ms, frames_sent;
	struct tmr frame_tmr, end_tmr, done_tmr;
	const char *reason;	/* static */
	struct wav_writer *rec; /* record */
	char recording[512];
	unsigned digits, max_digits;
};

static void destructor(void *arg)
{
	struct call_app *a = arg;

	tmr_cancel(&a->frame_tmr);
	tmr_cancel(&a->end_tmr);
	tmr_cancel(&a->done_tmr);
	rtp_session_app(a->rs, true, NULL, NULL, NULL);
	if (a->rec) {
		size_t n = wav_writer_samples(a->rec);
		int err = wav_writer_close(a->rec);

		if (err)
			log_warn("call", a->call_id, "recording %s: %s",
				 a->recording, strerror(err));
		else
			log_info("call", a->call_id, "recorded %zu ms to %s",
				 n / 8, a->recording);
	}
	wav_pcm_free(&a->prompt);
	mem_deref(a->rs);
}

static void on_done(void *arg)
{
	struct call_app *a = arg;

	a->doneh(a->reason, a->arg); /* may free a: nothing after this */
}

/* from the loop, never from inside the RTP session's receive path */
static void finish(struct call_app *a, const char *reason)
{
	tmr_cancel(&a->frame_tmr);
	tmr_cancel(&a->end_tmr);
	a->reason = reason;
	tmr_start(&a->done_tmr, 0, on_done, a);
}

static void on_end(void *arg)
{
	struct call_app *a = arg;

	finish(a, a->kind == APP_DTMF ? "digit timeout" : "prompt failed");
}

/* the next 20 ms of the prompt, or silence once it is over */
static void send_frame(struct call_app *a)
{
	int16_t pcm[FRAME_SAMPLES] = {0};
	uint8_t enc[FRAME_SAMPLES];
	size_t n = 0;

	while (!a->prompt_over && n < FRAME_SAMPLES) {
		size_t left = a->prompt.count - a->played;
		size_t take =
		    FRAME_SAMPLES - n < left ? FRAME_SAMPLES - n : left;

		memcpy(pcm + n, a->prompt.samples + a->played,
		       take * sizeof(int16_t));
		n += take;
		a->played += take;
		if (a->played >= a->prompt.count) {
			if (a->loop && a->prompt.count)
				a->played = 0;
			else
				a->prompt_over = true;
		}
	}
	g711_encode(a->law, enc, pcm, FRAME_SAMPLES);
	(void)rtp_session_send(a->rs, a->pt, enc, sizeof(enc), FRAME_SAMPLES);
	a->frames_sent++;
}

static void on_frame(void *arg)
{
	struct call_app *a = arg;
	uint64_t due = (tmr_jiffies() - a->start_ms) / FRAME_MS + 1, next, now;
	unsigned n = 0;

	while (a->frames_sent < due && n++ < MAX_CATCH_UP)
		send_frame(a);
	if (a->frames_sent < due)
		a->frames_sent = due; /* too far behind: skip, do not burst */
	if (a->prompt_over && a->kind == APP_PLAY) {
		finish(a, "prompt played");
		return;
	}
	if (a->prompt_over && a->kind == APP_DTMF &&
	    !tmr_isrunning(&a->end_tmr))
		tmr_start(&a->end_tmr, DIGIT_TIMEOUT_MS, on_end, a);
	next = a->start_ms + a->frames_sent * FRAME_MS;
	now = tmr_jiffies();
	tmr_start(&a->frame_tmr, next > now ? next - now : 0, on_frame, a);
}

static void on_audio(const uint8_t *payload, size_t len, uint8_t pt, void *arg)
{
	struct call_app *a = arg;
	int16_t pcm[FRAME_SAMPLES * 4];
	int err;

	if ((pt != 0 && pt != 8) || !a->rec)
		return;
	if (len > sizeof(pcm) / sizeof(pcm[0]))
		len = sizeof(pcm) / sizeof(pcm[0]);
	g711_decode(pt == 0 ? G711_ULAW : G711_ALAW, pcm, payload, len);
	err = wav_writer_write(a->rec, pcm, len);
	if (err) {
		log_warn("call", a->call_id, "recording stopped: %s",
			 strerror(err));
		wav_writer_close(a->rec);
		a->rec = NULL;
	}
}

static void on_digit(char digit, void *arg)
{
	struct call_app *a = arg;

	if (a->kind != APP_DTMF)
		return;
	a->digits++;
	if (digit == '#' || a->digits >= a->max_digits) {
		finish(a, "digits collected");
		return;
	}
	tmr_start(&a->end_tmr, DIGIT_TIMEOUT_MS, on_end, a);
}

static int kind_of(const char *app, enum app_kind *k)
{
	static const char *const names[] = {"echo", "play", "record", "dtmf",
					    "tone"};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (app && !strcmp(app, names[i])) {
			*k = (enum app_kind)i;
			return 0;
		}
	return EINVAL;
}

/* tone: one second of 1 kHz at -10 dBFS, looped (test calls) */
static int make_tone(struct call_app *a)
{
	a->prompt.samples = malloc(8000 * sizeof(int16_t));
	if (!a->prompt.samples)
		return ENOMEM;
	a->prompt.count = 8000;
	for (size_t i = 0; i < 8000; i++) /* 8 samples a period */
		a->prompt.samples[i] =
		    (int16_t)(10362.0 * sin(2 * M_PI * 1000.0 * i / 8000.0));
	return 0;
}

static int load_prompt(struct call_app *a, const struct call_app_opts *o)
{
	char path[512];
	const char *why = NULL;
	int err = 0;

	if (a->kind == APP_TONE)
		err = make_tone(a);
	if (a->kind == APP_TONE) {
		a->prompt_over = err != 0;
		return err;
	}
	if (!o->prompt) {
		a->prompt_over = true;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", o->prompts_dir, o->prompt);
	err = wav_read(path, 8000, &a->prompt, &why);
	if (err)
		log_warn("call", a->call_id, "prompt %s: %s", path,
			 why ? why : strerror(err));
	a->prompt_over = err || !a->prompt.count;
	return err;
}

static int open_recording(struct call_app *a, const struct call_app_opts *o)
{
	int err;

	snprintf(a->recording, sizeof(a->recording), "%s/%s.wav",
		 o->recordings_dir, o->call_id);
	err = wav_writer_open(&a->rec, a->recording, 8000);
	if (err) {
		log_warn("call", a->call_id, "cannot record to %s: %s",
			 a->recording, strerror(err));
		a->recording[0] = '\0';
	}
	return err;
}

int call_app_start(struct call_app **ap, struct rtp_session *rs,
		   const struct call_app_opts *o, call_app_done_h *doneh,
		   void *arg)
{
	struct call_app *a;
	enum app_kind kind;
	int err = kind_of(o->app, &kind);

	if (err)
		return err;
	a = mem_zalloc(sizeof(*a), destructor);
	if (!a)
		return ENOMEM;
	a->kind = kind;
	a->rs = mem_ref(rs);
	a->doneh = doneh;
	a->arg = arg;
	snprintf(a->call_id, sizeof(a->call_id), "%s", o->call_id);
	a->pt = o->pt;
	a->law = o->pt == 0 ? G711_ULAW : G711_ALAW;
	a->loop = (o->loop && kind == APP_PLAY) || kind == APP_TONE;
	a->max_digits = o->max_digits ? o->max_digits : DEFAULT_DIGITS;
	a->start_ms = tmr_jiffies();
	tmr_init(&a->frame_tmr);
	tmr_init(&a->end_tmr);
	tmr_init(&a->done_tmr);

	if (kind == APP_ECHO) {
		rtp_session_app(rs, true, NULL, on_digit, a);
	} else if (kind == APP_RECORD) {
		(void)open_recording(a, o); /* the call goes on regardless */
		rtp_session_app(rs, false, on_audio, on_digit, a);
	} else {
		err = load_prompt(a, o);
		rtp_session_app(rs, false, NULL, on_digit, a);
		if (err && kind == APP_PLAY)
			tmr_start(&a->end_tmr, 0, on_end, a);
		else
			tmr_start(&a->frame_tmr, 0, on_frame, a);
	}
	*ap = a;
	return 0;
}

const char *call_app_recording(const struct call_app *a)
{
	return a->recording;
}
