/** @file main.c  trunkd: argument parsing, wiring, start and graceful stop */
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "core/config.h"
#include "core/log.h"
#include "loop/loop.h"

static void on_stop(int signum, void *arg)
{
	(void)signum;
	(void)arg;
}

int main(int argc, char *argv[])
{
	struct config cfg;
	bool help;
	uv_loop_t loop;
	int err;

	err = config_load(&cfg, argc, argv, &help);
	if (help) {
		config_usage(stdout, "trunkd");
		return 0;
	}
	if (err)
		return 2;

	uv_loop_init(&loop);
	err = loop_re_attach(&loop);
	if (err)
		return 1;
	loop_signals_start(&loop, on_stop, NULL);
	loop_signals_stop();
	loop_re_detach();
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop) ? 1 : 0;
}
