/** @file discover.c  Auto-discovery jobs (see discover.h) */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
#include <re_dns.h>
#include <jansson.h>
#include "core/log.h"
#include "core/sipdest.h"
#include "core/uuid.h"
#include "core/walltime.h"
#include "loop/tls.h"
#include "sip/discover.h"
#include "sip/probe.h"

#define DNS_QUERIES 5 /* three SRV, A, AAAA */

struct discover {
	struct sip *sip;       /* borrowed */
	struct dnsc *dnsc;     /* borrowed, or NULL */
	const struct tls *tls; /* borrowed, or NULL */
	unsigned timeout_ms;
	struct list jobs; /* struct job */
};

struct job {
	struct le le;
	struct discover *d; /* borrowed: our owner */
	char id[37];
	char org_id[40];
	char host[256];
	bool running;
	unsigned total, done;
	uint64_t started_ms, finished_ms;
	json_t *dns;	    /* owned: {srv: {...}, a: [], aaaa: []} */
	struct list probes; /* struct jprobe */
	struct dns_query *q[DNS_QUERIES]; /* owned while out */
	json_t *summary;		  /* owned, once finished */
	struct tmr keep;
};

struct jprobe {
	struct le le;
	struct job *job; /* borrowed */
	struct sipdest dest;
	const char *source; /* "port scan" or "srv" */
	struct probe *p;    /* owned while out */
	json_t *result;	    /* owned, once answered or failed */
};

static const struct {
	const char *name;
	const char *transport;
} srv_names[] = {
    {"_sip._udp", "udp"},
    {"_sip._tcp", "tcp"},
    {"_sips._tcp", "tls"},
};

static const struct {
	const char *needle; /* lower case, in Server or User-Agent */
	const char *system;
} fingerprints[] = {
    {"freepbx", "FreePBX"},	  {"asterisk", "Asterisk"},
    {"freeswitch", "FreeSWITCH"}, {"kamailio", "Kamailio"},
    {"opensips", "OpenSIPS"},	  {"3cx", "3CX"},
    {"cisco", "Cisco"},		  {"twilio", "Twilio"},
};

static void jprobe_destructor(void *arg)
{
	struct jprobe *jp = arg;

	list_unlink(&jp->le);
	mem_deref(jp->p);
	json_decref(jp->result);
}

static void job_destructor(void *arg)
{
	struct job *j = arg;

	tmr_cancel(&j->keep);
	list_unlink(&j->le);
	for (int i = 0; i < DNS_QUERIES; i++)
		mem_deref(j->q[i]);
	list_flush(&j->probes);
	json_decref(j->dns);
	json_decref(j->summary);
}

static const char *fingerprint(const char *server, const char *ua)
{
	char text[512];

	snprintf(text, sizeof(text), "%s %s", server ? server : "",
		 ua ? ua : "");
	for (char *p = text; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < sizeof(fingerprints) / sizeof(fingerprints[0]);
	     i++)
		if (strstr(text, fingerprints[i].needle))
			return fingerprints[i].system;
	return NULL;
}

static int transport_rank(const char *tp)
{
	return !strcmp(tp, "tls") ? 3 : !strcmp(tp, "tcp") ? 2 : 1;
}

/* detected system (most probes agreeing), recommendation */
static void summarize(struct job *j)
{
	const char *best_sys = NULL, *sys;
	unsigned reachable = 0, agree = 0, best_n = 0;
	const struct jprobe *rec = NULL;
	struct le *le, *le2;

	LIST_FOREACH(&j->probes, le)
	{
		const struct jprobe *jp = le->data;
		const json_t *r = jp->result;

		if (!json_is_true(json_object_get(r, "reachable")))
			continue;
		reachable++;
		if (!rec || transport_rank(jp->dest.transport) >
				transport_rank(rec->dest.transport))
			rec = jp;
		sys = json_string_value(json_object_get(r, "detected_system"));
		if (!sys)
			continue;
		agree = 0;
		LIST_FOREACH(&j->probes, le2)
		{
			const char *s = json_string_value(json_object_get(
			    ((struct jprobe *)le2->data)->result,
			    "detected_system"));

			agree += s && !strcmp(s, sys);
		}
		if (agree > best_n) {
			best_n = agree;
			best_sys = sys;
		}
	}
	j->summary = json_object();
	json_object_set_new(
	    j->summary, "detected_system",
	    best_sys ? json_string(best_sys)
		     : (reachable ? json_string("other") : json_null()));
	/* a name in the server's own headers, more sure as probes agree */
	json_object_set_new(j->summary, "confidence",
			    json_real(best_sys ? 0.6 + 0.4 * best_n / reachable
					       : (reachable ? 0.2 : 0.0)));
	json_object_set_new(
	    j->summary, "recommended",
	    rec ? json_pack("{s:i, s:s, s:s, s:O}", "port", (int)rec->dest.port,
			    "transport", rec->dest.transport, "host",
			    rec->dest.host, "detected_system",
			    json_object_get(j->summary, "detected_system"))
		: json_null());
}

static void on_expired(void *arg)
{
	mem_deref(arg);
}

static void step_done(struct job *j)
{
	if (++j->done < j->total || !j->running)
		return;
	j->running = false;
	j->finished_ms = walltime_us() / 1000;
	summarize(j);
	log_info("discover", j->id, "%s: %u probes done", j->host, j->total);
	tmr_start(&j->keep, DISCOVER_KEEP_S * 1000ULL, on_expired, j);
}

struct hdr_text {
	char v[256];
	size_t n;
};

/* libre splits "Allow: A, B" into one header per value: join them again */
static bool hdr_join(const struct sip_hdr *h, const struct sip_msg *msg,
		     void *arg)
{
	struct hdr_text *t = arg;
	int n;

	(void)msg;
	n = re_snprintf(t->v + t->n, sizeof(t->v) - t->n, "%s%r",
			t->n ? ", " : "", &h->val);
	if (n > 0)
		t->n += (size_t)n;
	return t->n >= sizeof(t->v) - 1;
}

static json_t *header(const struct sip_msg *msg, enum sip_hdrid id)
{
	struct hdr_text t = {.n = 0};

	sip_msg_hdr_apply(msg, true, id, hdr_join, &t);
	return t.n ? json_string(t.v) : json_null();
}

/* the codec names of a=rtpmap lines in the reply's SDP, if any */
static json_t *codecs_of(const struct sip_msg *msg)
{
	json_t *a = json_array();
	struct pl body, name;
	const char *p;

	if (!msg->mb || !mbuf_get_left(msg->mb))
		return a;
	body.p = (const char *)mbuf_buf(msg->mb);
	body.l = mbuf_get_left(msg->mb);
	for (p = body.p; p < body.p + body.l;) {
		struct pl rest = {p, (size_t)(body.p + body.l - p)};
		char n[32];

		if (re_regex(rest.p, rest.l, "a=rtpmap:[0-9]+ [^/\r\n]+", NULL,
			     &name))
			break;
		pl_strcpy(&name, n, sizeof(n));
		json_array_append_new(a, json_string(n));
		p = name.p + name.l;
	}
	return a;
}

/* a TLS probe: what its handshake showed, or null */
static json_t *tls_json(const struct jprobe *jp, const struct sip_msg *m)
{
	struct tls_peer_info pi;
	char peer[300];
	struct sa ip;

	if (m)
		re_snprintf(peer, sizeof(peer), "%J", &m->src);
	else if (!sa_set_str(&ip, jp->dest.host, jp->dest.port))
		re_snprintf(peer, sizeof(peer), "%J", &ip);
	else
		return json_null();
	if (!tls_peer_info(jp->job->d->tls, peer, &pi))
		return json_null();
	return json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:b, s:s?}",
			 "version", pi.version, "cipher",
			 pi.cipher[0] ? pi.cipher : NULL, "subject", pi.subject,
			 "issuer", pi.issuer, "not_before", pi.not_before,
			 "not_after", pi.not_after, "verified", pi.verified,
			 "problem", pi.problem[0] ? pi.problem : NULL);
}

static void on_probed(const struct probe_result *r, void *arg)
{
	struct jprobe *jp = arg;
	const struct sip_msg *m = r->msg;
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:b}", "host",
			      jp->dest.host, "port", (int)jp->dest.port,
			      "transport", jp->dest.transport, "source",
			      jp->source, "reachable", m != NULL);
	const char *sys;

	jp->p = mem_deref(jp->p);
	if (m) {
		json_object_set_new(o, "sip_code", json_integer(r->code));
		json_object_set_new(o, "response_ms", json_integer(r->rtt_ms));
		json_object_set_new(o, "server", header(m, SIP_HDR_SERVER));
		json_object_set_new(o, "user_agent",
				    header(m, SIP_HDR_USER_AGENT));
		json_object_set_new(o, "allow", header(m, SIP_HDR_ALLOW));
		json_object_set_new(o, "accept", header(m, SIP_HDR_ACCEPT));
		json_object_set_new(o, "supported",
				    header(m, SIP_HDR_SUPPORTED));
		json_object_set_new(o, "codecs", codecs_of(m));
		sys = fingerprint(
		    json_string_value(json_object_get(o, "server")),
		    json_string_value(json_object_get(o, "user_agent")));
		json_object_set_new(o, "detected_system",
				    sys ? json_string(sys) : json_null());
	} else {
		json_object_set_new(o, "error",
				    json_string(r->err == ETIMEDOUT ? "no reply"
						: r->err == EAUTH
						    ? "TLS: the certificate "
						      "did not verify"
						    : strerror(r->err)));
	}
	if (!strcmp(jp->dest.transport, "tls"))
		json_object_set_new(o, "tls", tls_json(jp, m));
	jp->result = o;
	step_done(jp->job);
}

static void add_probe(struct job *j, const char *host, uint16_t port,
		      const char *transport, const char *source)
{
	struct jprobe *jp;
	struct le *le;
	int err;

	LIST_FOREACH(&j->probes, le)
	{
		const struct sipdest *d = &((struct jprobe *)le->data)->dest;

		if (d->port == port && !strcmp(d->transport, transport) &&
		    !strcmp(d->host, host))
			return;
	}
	jp = mem_zalloc(sizeof(*jp), jprobe_destructor);
	if (!jp)
		return;
	jp->job = j;
	jp->source = source;
	snprintf(jp->dest.host, sizeof(jp->dest.host), "%s", host);
	snprintf(jp->dest.transport, sizeof(jp->dest.transport), "%s",
		 transport);
	jp->dest.port = port;
	list_append(&j->probes, &jp->le, jp);
	j->total++;
	err = probe_send(&jp->p, j->d->sip, &jp->dest, j->d->timeout_ms,
			 on_probed, jp);
	if (err) {
		struct probe_result r = {.err = err};

		on_probed(&r, jp);
	}
}

/* which query of the job answered: its index in j->q */
struct dns_ctx {
	struct job *j;
	int i;
};

static void on_dns(int err, const struct dnshdr *hdr, struct list *ansl,
		   struct list *authl, struct list *addl, void *arg)
{
	struct dns_ctx *ctx = arg;
	struct job *j = ctx->j;
	int i = ctx->i;
	json_t *list = json_array();
	struct le *le;

	(void)hdr;
	(void)authl;
	(void)addl;
	j->q[i] = mem_deref(j->q[i]);
	LIST_FOREACH(ansl, le)
	{
		const struct dnsrr *rr = le->data;
		char addr[64];
		struct sa sa;

		if (i < 3 && rr->type == DNS_TYPE_SRV) {
			json_array_append_new(
			    list, json_pack("{s:s, s:i, s:i, s:i}", "target",
					    rr->rdata.srv.target, "port",
					    rr->rdata.srv.port, "priority",
					    rr->rdata.srv.pri, "weight",
					    rr->rdata.srv.weight));
			add_probe(j, rr->rdata.srv.target, rr->rdata.srv.port,
				  srv_names[i].transport, "srv");
		} else if (rr->type == DNS_TYPE_A) {
			sa_set_in(&sa, rr->rdata.a.addr, 0);
			re_snprintf(addr, sizeof(addr), "%j", &sa);
			json_array_append_new(list, json_string(addr));
		} else if (rr->type == DNS_TYPE_AAAA) {
			sa_set_in6(&sa, rr->rdata.aaaa.addr, 0);
			re_snprintf(addr, sizeof(addr), "%j", &sa);
			json_array_append_new(list, json_string(addr));
		}
	}
	if (i < 3)
		json_object_set_new(json_object_get(j->dns, "srv"),
				    srv_names[i].name, list);
	else
		json_object_set_new(j->dns, i == 3 ? "a" : "aaaa", list);
	if (err)
		log_debug("discover", j->id, "DNS query %d: %s", i,
			  strerror(err));
	mem_deref(ctx);
	step_done(j);
}

static void dns_query(struct job *j, int i, const char *name, uint16_t type)
{
	struct dns_ctx *ctx = mem_zalloc(sizeof(*ctx), NULL);

	if (!ctx)
		return;
	ctx->j = j;
	ctx->i = i;
	j->total++;
	if (dnsc_query(&j->q[i], j->d->dnsc, name, type, DNS_CLASS_IN, true,
		       on_dns, ctx)) {
		on_dns(EINVAL, NULL, NULL, NULL, NULL, ctx);
	}
}

static struct job *running_of(const struct discover *d, const char *org_id)
{
	struct le *le;

	LIST_FOREACH(&d->jobs, le)
	{
		struct job *j = le->data;

		if (j->running && !strcmp(j->org_id, org_id))
			return j;
	}
	return NULL;
}

int discover_start(struct discover *d, const char *org_id, const char *target,
		   char id[37], const char **why)
{
	static const uint16_t ports[] = {5060, 5061, 5080};
	static const char *const tps[] = {"udp", "tcp", "tls"};
	struct job *j = running_of(d, org_id);
	struct sipdest dest;
	struct sa ip;
	char name[300];

	if (j) {
		snprintf(id, 37, "%s", j->id);
		return EBUSY;
	}
	if (sipdest_parse(&dest, target, why))
		return EINVAL;
	j = mem_zalloc(sizeof(*j), job_destructor);
	if (!j)
		return ENOMEM;
	j->d = d;
	uuid4(j->id);
	snprintf(j->org_id, sizeof(j->org_id), "%s", org_id);
	snprintf(j->host, sizeof(j->host), "%s", dest.host);
	j->running = true;
	j->started_ms = walltime_us() / 1000;
	j->dns = json_pack("{s:{}, s:[], s:[]}", "srv", "a", "aaaa");
	tmr_init(&j->keep);
	list_append(&d->jobs, &j->le, j);
	snprintf(id, 37, "%s", j->id);
	log_info("discover", j->id, "discovering %s", j->host);
	j->total = 1; /* held until everything has started */
	for (size_t p = 0; p < 3; p++)
		for (size_t t = 0; t < 3; t++)
			add_probe(j, j->host, ports[p], tps[t], "port scan");
	if (d->dnsc && sa_set_str(&ip, j->host, 0)) { /* a name */
		for (int i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "%s.%s", srv_names[i].name,
				 j->host);
			dns_query(j, i, name, DNS_TYPE_SRV);
		}
		dns_query(j, 3, j->host, DNS_TYPE_A);
		dns_query(j, 4, j->host, DNS_TYPE_AAAA);
	}
	step_done(j); /* the hold */
	return 0;
}

json_t *discover_json(const struct discover *d, const char *org_id,
		      const char *id)
{
	const struct job *j = NULL;
	json_t *probes = json_array(), *o;
	struct le *le;

	LIST_FOREACH(&d->jobs, le)
	{
		const struct job *x = le->data;

		if (!strcmp(x->id, id) && !strcmp(x->org_id, org_id))
			j = x;
	}
	if (!j) {
		json_decref(probes);
		return NULL;
	}
	LIST_FOREACH(&j->probes, le)
	{
		const struct jprobe *jp = le->data;

		if (jp->result)
			json_array_append(probes, jp->result);
	}
	o = json_pack(
	    "{s:s, s:s, s:s, s:{s:i, s:i}, s:o, s:o, s:O, s:o}", "id", j->id,
	    "host", j->host, "status", j->running ? "running" : "completed",
	    "progress", "done", (int)j->done - 1, "total", (int)j->total - 1,
	    "started_at", walltime_json_ms(j->started_ms), "finished_at",
	    walltime_json_ms(j->finished_ms), "dns", j->dns, "probes", probes);
	if (o && j->summary)
		json_object_update(o, j->summary);
	return o;
}

static void destructor(void *arg)
{
	struct discover *d = arg;

	list_flush(&d->jobs);
}

int discover_alloc(struct discover **dp, struct sip *sip, struct dnsc *dnsc,
		   const struct tls *tls, unsigned probe_timeout_ms)
{
	struct discover *d = mem_zalloc(sizeof(*d), destructor);

	if (!d)
		return ENOMEM;
	d->sip = sip;
	d->dnsc = dnsc;
	d->tls = tls;
	d->timeout_ms = probe_timeout_ms;
	*dp = d;
	return 0;
}
