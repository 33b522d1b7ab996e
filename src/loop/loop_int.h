/**
 * @file loop_int.h  Between the files of src/loop: the timer wheel
 *                   (timers.c) and the libuv backend (re_backend.c)
 */
#ifndef TRUNKD_LOOP_LOOP_INT_H
#define TRUNKD_LOOP_LOOP_INT_H

#include <stdbool.h>
#include <uv.h>

/* tmr_jiffies() reads loop's clock from now on (NULL: CLOCK_MONOTONIC) */
void loop__timers_attach(const uv_loop_t *loop);
void loop__timers_detach(void);
/* timers are due that the last tmr_poll() left for the next one */
bool loop__timers_due_now(void);

#endif
