/**
 * @file lg.h  The load generator's shared state (bench/loadgen, internal)
 *
 * One thread, one libuv loop carrying libre (as in trunkd).  A run places
 * calls at a given rate up to a given concurrency, each carrying 20 ms
 * G.711 packets for a given time, then hangs up.  Every call's RTP leaves
 * and arrives on one UDP socket (sendmmsg/recvmmsg); what comes back is
 * told apart by SSRC.  Each packet's payload carries its call's serial
 * number and its send time, so an echo gives the round trip and the
 * transit jitter without any clock shared with the far end.
 *
 * Ownership: struct lg owns everything; each struct lg_call is a slot of
 * lg->callv, reused when its call ends (serial tells occupants apart).
 */
#ifndef LG_H
#define LG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <re.h>
#include "media/sdes.h"
#include "media/sdp_nego.h"

#define LG_FRAME_MS  20
#define LG_PAYLOAD   160 /* G.711, 20 ms at 8 kHz */
#define LG_PKT_MAX   (12 + LG_PAYLOAD + SDES_TAG_MAX)
#define LG_BATCH     64	 /* packets per sendmmsg/recvmmsg */
#define LG_DRAIN_MS  300 /* after the last packet, before BYE */
#define LG_SIP_CODES 700

/* A histogram of n buckets of width unit (values beyond: the last one) */
struct lg_hist {
	uint32_t *b; /* owned */
	unsigned n;
	double unit;
	uint64_t count;
	double max;
};
int lg_hist_init(struct lg_hist *h, unsigned n, double unit);
void lg_hist_add(struct lg_hist *h, double v);
/* The value below which p percent of the samples fall; 0 when empty */
double lg_hist_pct(const struct lg_hist *h, double p);
void lg_hist_free(struct lg_hist *h);

struct lg_opts {
	const char *transport; /* udp, tcp, tls */
	const char *host;
	unsigned port;
	const char *number;  /* the user part dialled */
	const char *codec;   /* PCMU or PCMA */
	const char *bind;    /* our address (SIP and RTP) */
	const char *ceiling; /* "ip:port" of a bare echo: no SIP */
	double rate;	     /* calls started per second */
	unsigned concurrency;
	unsigned calls;	 /* in all */
	double duration; /* seconds of media per call; 0: hang up at once */
	double time_limit;
	bool srtp;
	bool json;
	bool quiet; /* no progress lines */
};

enum lg_state { LG_FREE, LG_INVITING, LG_MEDIA, LG_DRAINING, LG_ENDING };

struct lg;

struct lg_call {
	struct lg *lg;	       /* borrowed */
	struct sipsess *sess;  /* owned, SIP mode */
	struct sdp_nego nego;  /* owned contents */
	struct srtp_pair srtp; /* owned contexts when srtp_on */
	bool srtp_on;
	enum lg_state state;
	unsigned slot;	  /* index in lg->callv */
	uint32_t serial;  /* 1, 2, ... in order of starting */
	struct sa remote; /* where RTP goes */
	uint8_t pt;
	uint32_t ssrc_tx, ssrc_rx;
	bool rx_bound; /* ssrc_rx is in the SSRC map */
	uint16_t seq;
	uint32_t ts;
	uint64_t t_invite; /* ns, monotonic */
	uint64_t tx, rx, rx_bad;
	double jitter_ns; /* RFC 3550 estimator over echo transit times */
	int64_t last_transit;
	bool have_transit;
	bool answered;
	struct lg_call *wnext, *wprev; /* in the send wheel while LG_MEDIA */
	unsigned wslot;
	struct tmr tmr; /* the call's next step */
};

struct lg_totals {
	uint64_t started, answered, completed, failed;
	uint64_t tx, rx, rx_bad, rx_unknown, tx_dropped;
	uint64_t codes[LG_SIP_CODES]; /* final failures by SIP code */
	uint64_t errors;	      /* failures without a SIP answer */
	char first_error[96];
	uint64_t timed_out; /* unanswered when the time limit came */
	unsigned active, max_active;
};

struct lg {
	struct lg_opts o;
	uv_loop_t *loop;			/* borrowed */
	struct sa laddr;			/* bind address, port 0 */
	uint64_t t0;				/* ns at start */
	uint64_t t_first_invite, t_last_answer; /* ns, for the setup rate */
	/* calls */
	struct lg_call *callv; /* owned array of o.concurrency slots */
	unsigned *freev;       /* owned stack of free slot indices */
	unsigned freec;
	uint32_t next_serial;
	struct lg_totals t;
	struct lg_hist setup_ms, rtt_ms, jitter_ms;
	/* the steady window: every call of the run up, none ended yet (a run
	   whose calls all overlap: --calls = --concurrency); figures from it
	   leave out the ramp and the hang-up of all calls at once */
	bool steady, steady_over;
	struct lg_hist steady_rtt_ms, steady_jitter_ms;
	double steady_s;
	uint64_t steady_t0;
	bool stopping;
	/* SIP */
	struct sip *sip;	   /* owned */
	struct sipsess_sock *sock; /* owned */
	struct tls *tls;	   /* owned */
	struct sa ceiling;	   /* ceiling mode target */
	/* media: state in lg_media.c */
	struct lg_media *media; /* owned */
	/* clock and progress */
	uv_timer_t tick; /* 1 ms: starts calls, sends packets */
	uv_timer_t progress;
	struct tmr final_tmr; /* after stop(): the last BYEs go out */
	uint64_t last_ms;
	struct lg_totals last_report;
};

uint64_t lg_now_ns(void);

/* lg_media.c: the shared RTP socket pair and the 20 ms send wheel */
int lg_media_open(struct lg *lg);
/* stops watching the sockets; lg_media_free() once the loop has closed
   the handles */
void lg_media_close(struct lg *lg);
void lg_media_free(struct lg *lg);
uint16_t lg_media_port(const struct lg *lg);
/* the call's media flows from now on; remote and keys are set */
int lg_media_start(struct lg *lg, struct lg_call *c);
/* leaves the wheel: nothing more is sent, echoes are still taken */
void lg_media_stop(struct lg *lg, struct lg_call *c);
/* and echoes are no longer the call's */
void lg_media_forget(struct lg *lg, struct lg_call *c);
/* send what is due for millisecond ms (since t0) of every call's cycle */
void lg_media_send_due(struct lg *lg, uint64_t ms);

/* lg_sip.c: libre's SIP UA, one INVITE dialog per call */
int lg_sip_open(struct lg *lg);
void lg_sip_close(struct lg *lg);
int lg_sip_invite(struct lg *lg, struct lg_call *c);
void lg_sip_hangup(struct lg_call *c);

/* loadgen.c: a call's life, for lg_sip.c */
void lg_call_answered(struct lg_call *c);
void lg_call_failed(struct lg_call *c, int err, uint16_t scode);
void lg_call_hung_up(struct lg_call *c);

#endif
