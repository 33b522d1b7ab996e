/** @file signals.c  SIGINT/SIGTERM start a graceful stop; a second forces */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include "core/log.h"
#include "loop/loop.h"

static struct {
	uv_signal_t sigint; /* embedded; closed by loop_signals_stop */
	uv_signal_t sigterm;
	loop_stop_h *stoph; /* borrowed */
	void *arg;	    /* borrowed */
	bool stopping;
	bool started;
} sig;

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	if (sig.stopping) {
		log_warn("main", NULL, "second signal %d: exiting now", signum);
		_Exit(1);
	}
	sig.stopping = true;
	log_info("main", NULL, "signal %d: stopping gracefully", signum);
	sig.stoph(signum, sig.arg);
}

int loop_signals_start(uv_loop_t *loop, loop_stop_h *stoph, void *arg)
{
	signal(SIGPIPE, SIG_IGN);
	sig.stoph = stoph;
	sig.arg = arg;
	uv_signal_init(loop, &sig.sigint);
	uv_signal_init(loop, &sig.sigterm);
	uv_signal_start(&sig.sigint, on_signal, SIGINT);
	uv_signal_start(&sig.sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&sig.sigint);
	uv_unref((uv_handle_t *)&sig.sigterm);
	sig.started = true;
	return 0;
}

void loop_signals_stop(void)
{
	if (!sig.started)
		return;
	uv_close((uv_handle_t *)&sig.sigint, NULL);
	uv_close((uv_handle_t *)&sig.sigterm, NULL);
	sig.started = false;
}
