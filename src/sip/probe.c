/** @file probe.c  One OPTIONS request with a deadline (see probe.h) */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include "core/sipdest.h"
#include "core/walltime.h"
#include "sip/probe.h"

#define PROBE_FROM "sip:trunkd@trunkd.invalid"

struct probe {
	struct sip_request *req; /* in flight; deref to drop it */
	struct sip_dialog *dlg;
	struct tmr deadline;
	uint64_t sent_ms;
	probe_h *h;
	void *arg;
};

static void destructor(void *arg)
{
	struct probe *p = arg;

	tmr_cancel(&p->deadline);
	mem_deref(p->req);
	mem_deref(p->dlg);
}

static void done(struct probe *p, int err, const struct sip_msg *msg)
{
	struct probe_result r = {
	    .err = err,
	    .code = msg ? msg->scode : 0,
	    .rtt_ms = (uint32_t)(walltime_us() / 1000 - p->sent_ms),
	    .msg = msg,
	};
	probe_h *h = p->h;

	tmr_cancel(&p->deadline);
	p->h = NULL;
	if (h)
		h(&r, p->arg);
}

static void on_reply(int err, const struct sip_msg *msg, void *arg)
{
	if (msg && msg->scode < 200)
		return;
	done(arg, msg ? 0 : (err ? err : EPROTO), msg);
}

static void on_deadline(void *arg)
{
	struct probe *p = arg;

	p->req = mem_deref(p->req); /* no reply handler from here on */
	done(p, ETIMEDOUT, NULL);
}

int probe_send(struct probe **pp, struct sip *sip, const struct sipdest *dest,
	       unsigned timeout_ms, probe_h *h, void *arg)
{
	struct probe *p = mem_zalloc(sizeof(*p), destructor);
	char uri[600];
	int err;

	if (!p)
		return ENOMEM;
	tmr_init(&p->deadline);
	p->h = h;
	p->arg = arg;
	p->sent_ms = walltime_us() / 1000;
	sipdest_uri(dest, "", uri, sizeof(uri));
	err = sip_dialog_alloc(&p->dlg, uri, uri, NULL, PROBE_FROM, NULL, 0);
	if (!err)
		err = sip_drequestf(&p->req, sip, true, "OPTIONS", p->dlg, 0,
				    NULL, NULL, on_reply, p,
				    "Accept: application/sdp\r\n"
				    "Content-Length: 0\r\n\r\n");
	if (err) {
		mem_deref(p);
		return err;
	}
	tmr_start(&p->deadline, timeout_ms, on_deadline, p);
	*pp = p;
	return 0;
}
