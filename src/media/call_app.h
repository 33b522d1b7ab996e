/**
 * @file call_app.h  What an answered call does with its media
 *
 *   echo    the caller's audio and DTMF go back to them (the default)
 *   play    a WAV prompt from the prompts directory, once (then hang up)
 *           or looped until the caller hangs up
 *   record  the caller's audio, decoded, into <recordings>/<call id>.wav
 *   dtmf    the prompt (if any) once, then digits are collected until '#',
 *           max_digits, or DIGIT_TIMEOUT_MS without a digit; then hang up
 *   tone    a 1 kHz tone until the call ends (test calls)
 *
 * Audio is sent in 20 ms G.711 frames paced from the start time (frames
 * that fall behind are caught up, at most 5 at once).  When the
 * application is done it calls doneh with a reason (from a timer of its
 * own); doneh may free it.
 *
 * Ownership: call_app_start() returns a mem object holding a ref to the
 * RTP session; freeing it detaches from the session (which goes back to
 * echo) and closes the recording.
 */
#ifndef TRUNKD_MEDIA_CALL_APP_H
#define TRUNKD_MEDIA_CALL_APP_H

#include <stdbool.h>
#include <stdint.h>

struct call_app;
struct rtp_session;

struct call_app_opts {
	const char *app; /* echo, play, record, dtmf */
	const char *prompts_dir;
	const char *prompt;  /* file name in prompts_dir, or NULL */
	bool loop;	     /* play: loop the prompt */
	unsigned max_digits; /* dtmf: 0 = 16 */
	const char *recordings_dir;
	const char *call_id; /* names the recording, tags logs */
	uint8_t pt;	     /* 0 PCMU or 8 PCMA */
};

typedef void(call_app_done_h)(const char *reason, void *arg);

/* EINVAL for an unknown app; a prompt that cannot be read is logged and
 * the app ends at once through doneh (from the loop, not from here) */
int call_app_start(struct call_app **ap, struct rtp_session *rs,
		   const struct call_app_opts *o, call_app_done_h *doneh,
		   void *arg);
/* the recording's path, or "" */
const char *call_app_recording(const struct call_app *a);

#endif
