/**
 * @file tls_mbed.c  struct tls and tls_start_tcp() on mbedTLS (see tls.h)
 *
 * libre's TCP helpers sit between the socket and SIP: our recv handler gets
 * ciphertext, our send handler gets plaintext.  mbedTLS talks to the socket
 * through two callbacks: bio_recv() reads from the ciphertext that recv
 * handed us (WANT_READ when it is used up), bio_send() writes straight to
 * the socket below us with tcp_send_helper().
 *
 * Handshake: a connection we opened (active) starts it when TCP is up; an
 * accepted one starts it with the first bytes.  Until it completes, the
 * recv handler swallows everything and tells libre the connection is not
 * established; then it sets *estab so SIP sees a ready connection, exactly
 * as libre's own OpenSSL helper does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_fmt.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_tcp.h>
#include <re_tls.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include "core/log.h"
#include "loop/tls.h"

struct tls {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	mbedtls_x509_crt ca;
	mbedtls_ssl_ticket_context tickets;
	mbedtls_ssl_config server;
	mbedtls_ssl_config client;
	bool has_server;
	struct {
		char peer[64];
		struct tls_peer_info info;
	} peers[TLS_PEERS_KEPT]; /* a ring of the last client handshakes */
	unsigned next_peer;
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	struct tls *tls;       /* ref */
	struct tcp_conn *tcp;  /* ref */
	struct tcp_helper *th; /* owned */
	struct mbuf *in;       /* borrowed during recv: ciphertext */
	bool active;
	bool up;
	bool started;
	char peer[64];
	struct tls_peer_info leaf; /* the server's certificate, as verified */
};

static int tls_err(int ret, const char *what, const char *peer)
{
	char buf[160];

	mbedtls_strerror(ret, buf, sizeof(buf));
	log_warn("tls", NULL, "%s%s%s: %s (-0x%04x)", what, peer ? " " : "",
		 peer ? peer : "", buf, (unsigned)-ret);
	return EPROTO;
}

static void tls_destructor(void *arg)
{
	struct tls *tls = arg;

	mbedtls_ssl_config_free(&tls->server);
	mbedtls_ssl_config_free(&tls->client);
	mbedtls_ssl_ticket_free(&tls->tickets);
	mbedtls_x509_crt_free(&tls->own_cert);
	mbedtls_pk_free(&tls->own_key);
	mbedtls_x509_crt_free(&tls->ca);
	mbedtls_ctr_drbg_free(&tls->drbg);
	mbedtls_entropy_free(&tls->entropy);
}

/*
 * mbedTLS 2.28 prefers curves largest first, so a server answering a
 * client that offers x25519 and P-256 still chose secp521r1 for ECDHE:
 * about 5 ms of CPU per full handshake.  The same curves, X25519 and P-256
 * first (every curve stays, so peer certificates on P-384/P-521 still
 * verify).
 */
static const mbedtls_ecp_group_id *curve_preference(void)
{
	static mbedtls_ecp_group_id list[MBEDTLS_ECP_DP_MAX + 1];
	static const mbedtls_ecp_group_id fast[] = {MBEDTLS_ECP_DP_CURVE25519,
						    MBEDTLS_ECP_DP_SECP256R1};
	const mbedtls_ecp_group_id *all = mbedtls_ecp_grp_id_list();
	size_t n = 0, i, k;

	if (list[0] != MBEDTLS_ECP_DP_NONE)
		return list;
	for (k = 0; k < sizeof(fast) / sizeof(fast[0]); k++)
		for (i = 0; all[i] != MBEDTLS_ECP_DP_NONE; i++)
			if (all[i] == fast[k])
				list[n++] = fast[k];
	for (i = 0; all[i] != MBEDTLS_ECP_DP_NONE && n < MBEDTLS_ECP_DP_MAX;
	     i++)
		if (all[i] != fast[0] && all[i] != fast[1])
			list[n++] = all[i];
	list[n] = MBEDTLS_ECP_DP_NONE;
	return list;
}

static int conf_common(struct tls *tls, mbedtls_ssl_config *conf, int endpoint)
{
	int ret = mbedtls_ssl_config_defaults(conf, endpoint,
					      MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT);

	if (ret)
		return tls_err(ret, "config", NULL);
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &tls->drbg);
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_curves(conf, curve_preference());
	return 0;
}

static int server_setup(struct tls *tls, const struct tls_opts *o)
{
	int ret;

	ret = mbedtls_x509_crt_parse_file(&tls->own_cert, o->cert_file);
	if (ret)
		return tls_err(ret, "certificate", o->cert_file);
	ret = mbedtls_pk_parse_keyfile(&tls->own_key, o->key_file, NULL);
	if (ret)
		return tls_err(ret, "private key", o->key_file);
	if (conf_common(tls, &tls->server, MBEDTLS_SSL_IS_SERVER))
		return EPROTO;
	ret = mbedtls_ssl_conf_own_cert(&tls->server, &tls->own_cert,
					&tls->own_key);
	if (ret)
		return tls_err(ret, "certificate and key do not match",
			       o->cert_file);
	/* resumption without server state: cheap reconnects */
	ret = mbedtls_ssl_ticket_setup(&tls->tickets, mbedtls_ctr_drbg_random,
				       &tls->drbg, MBEDTLS_CIPHER_AES_256_GCM,
				       86400);
	if (ret)
		return tls_err(ret, "session tickets", NULL);
	mbedtls_ssl_conf_session_tickets_cb(
	    &tls->server, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
	    &tls->tickets);
	tls->has_server = true;
	return 0;
}

static int client_setup(struct tls *tls, const struct tls_opts *o)
{
	int ret;

	if (conf_common(tls, &tls->client, MBEDTLS_SSL_IS_CLIENT))
		return EPROTO;
	if (o->ca_file && o->ca_file[0]) {
		/* > 0: some entries of a system bundle did not parse; fine */
		ret = mbedtls_x509_crt_parse_file(&tls->ca, o->ca_file);
		if (ret < 0)
			log_warn("tls", NULL,
				 "CA bundle %s unusable: servers "
				 "we call cannot be verified",
				 o->ca_file);
	}
	mbedtls_ssl_conf_ca_chain(&tls->client, &tls->ca, NULL);
	mbedtls_ssl_conf_authmode(&tls->client,
				  o->verify_peer ? MBEDTLS_SSL_VERIFY_REQUIRED
						 : MBEDTLS_SSL_VERIFY_NONE);
	return 0;
}

int tls_ctx_alloc(struct tls **tlsp, const struct tls_opts *opts)
{
	struct tls *tls;
	int ret, err = 0;

	tls = mem_zalloc(sizeof(*tls), tls_destructor);
	if (!tls)
		return ENOMEM;
	mbedtls_entropy_init(&tls->entropy);
	mbedtls_ctr_drbg_init(&tls->drbg);
	mbedtls_x509_crt_init(&tls->own_cert);
	mbedtls_pk_init(&tls->own_key);
	mbedtls_x509_crt_init(&tls->ca);
	mbedtls_ssl_ticket_init(&tls->tickets);
	mbedtls_ssl_config_init(&tls->server);
	mbedtls_ssl_config_init(&tls->client);

	ret = mbedtls_ctr_drbg_seed(&tls->drbg, mbedtls_entropy_func,
				    &tls->entropy,
				    (const unsigned char *)"trunkd", 6);
	if (ret) {
		err = tls_err(ret, "random seed", NULL);
		goto out;
	}
	if (opts->cert_file && opts->cert_file[0]) {
		err = server_setup(tls, opts);
		if (err)
			goto out;
	}
	err = client_setup(tls, opts);

out:
	if (err)
		mem_deref(tls);
	else
		*tlsp = tls;
	return err;
}

/* libre's own tls_alloc() must never be linked: we are struct tls. */
int tls_alloc(struct tls **tlsp, enum tls_method method, const char *keyfile,
	      const char *pwd)
{
	struct tls_opts o = {keyfile, keyfile, NULL, true};

	(void)pwd;
	if (method != TLS_METHOD_SSLV23)
		return ENOTSUP;
	return tls_ctx_alloc(tlsp, &o);
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *tc = ctx;
	struct mbuf *mb = mbuf_alloc(len);
	int err;

	if (!mb)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	mbuf_write_mem(mb, buf, len);
	mb->pos = 0;
	err = tcp_send_helper(tc->tcp, mb, tc->th);
	mem_deref(mb);
	return err ? MBEDTLS_ERR_NET_SEND_FAILED : (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *tc = ctx;
	size_t n;

	if (!tc->in || !mbuf_get_left(tc->in))
		return MBEDTLS_ERR_SSL_WANT_READ;
	n = mbuf_get_left(tc->in);
	if (n > len)
		n = len;
	mbuf_read_mem(tc->in, buf, n);
	return (int)n;
}

static void conn_destructor(void *arg)
{
	struct tls_conn *tc = arg;

	tc->th = mem_deref(tc->th);
	mbedtls_ssl_free(&tc->ssl);
	tc->tcp = mem_deref(tc->tcp);
	tc->tls = mem_deref(tc->tls);
}

static void x509_time(char *out, size_t size, const mbedtls_x509_time *t)
{
	snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->mon,
		 t->day, t->hour, t->min, t->sec);
}

static void cert_info(struct tls_peer_info *pi, const mbedtls_x509_crt *crt)
{
	mbedtls_x509_dn_gets(pi->subject, sizeof(pi->subject), &crt->subject);
	mbedtls_x509_dn_gets(pi->issuer, sizeof(pi->issuer), &crt->issuer);
	x509_time(pi->not_before, sizeof(pi->not_before), &crt->valid_from);
	x509_time(pi->not_after, sizeof(pi->not_after), &crt->valid_to);
}

/* mbedTLS shows each certificate of the chain; keep the server's own
 * (depth 0) even when the chain is then refused */
static int on_verify(void *arg, mbedtls_x509_crt *crt, int depth,
		     uint32_t *flags)
{
	struct tls_conn *tc = arg;

	(void)flags;
	if (depth == 0)
		cert_info(&tc->leaf, crt);
	return 0;
}

/* a client handshake ended (done or refused): remember what it showed */
static void remember_peer(struct tls_conn *tc, const char *problem)
{
	struct tls *tls = tc->tls;
	unsigned i = tls->next_peer++ % TLS_PEERS_KEPT;
	struct tls_peer_info *pi = &tls->peers[i].info;
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&tc->ssl);
	const char *cs = mbedtls_ssl_get_ciphersuite(&tc->ssl);

	memset(&tls->peers[i], 0, sizeof(tls->peers[i]));
	if (crt)
		cert_info(pi, crt);
	else
		*pi = tc->leaf; /* a refused chain: only the callback saw it */
	snprintf(tls->peers[i].peer, sizeof(tls->peers[i].peer), "%s",
		 tc->peer);
	snprintf(pi->version, sizeof(pi->version), "%s",
		 mbedtls_ssl_get_version(&tc->ssl));
	snprintf(pi->cipher, sizeof(pi->cipher), "%s", problem ? "" : cs);
	if (crt) {
		mbedtls_x509_dn_gets(pi->subject, sizeof(pi->subject),
				     &crt->subject);
		mbedtls_x509_dn_gets(pi->issuer, sizeof(pi->issuer),
				     &crt->issuer);
		x509_time(pi->not_before, sizeof(pi->not_before),
			  &crt->valid_from);
		x509_time(pi->not_after, sizeof(pi->not_after), &crt->valid_to);
	}
	pi->verified = !problem;
	snprintf(pi->problem, sizeof(pi->problem), "%s",
		 problem ? problem : "");
	/* mbedTLS ends each verification failure with a line break */
	for (char *p = pi->problem; *p; p++)
		if (*p == '\n')
			*p = p[1] ? ';' : '\0';
}

bool tls_peer_info(const struct tls *tls, const char *peer,
		   struct tls_peer_info *out)
{
	for (unsigned n = 1; tls && n <= TLS_PEERS_KEPT; n++) {
		unsigned i = (tls->next_peer - n) % TLS_PEERS_KEPT;

		if (n > tls->next_peer)
			break;
		if (!strcmp(tls->peers[i].peer, peer)) {
			*out = tls->peers[i].info;
			return true;
		}
	}
	return false;
}

/* Drive the handshake; 0 while it goes on or is done, else an errno */
static int handshake(struct tls_conn *tc)
{
	int ret = mbedtls_ssl_handshake(&tc->ssl);

	if (!ret) {
		tc->up = true;
		if (tc->active)
			remember_peer(tc, NULL);
		log_debug("tls", NULL, "%s %s with %s",
			  mbedtls_ssl_get_version(&tc->ssl),
			  mbedtls_ssl_get_ciphersuite(&tc->ssl), tc->peer);
		return 0;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
	    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		char info[256];

		mbedtls_x509_crt_verify_info(
		    info, sizeof(info), "",
		    mbedtls_ssl_get_verify_result(&tc->ssl));
		log_warn("tls", NULL, "certificate of %s rejected: %s",
			 tc->peer, info);
		if (tc->active)
			remember_peer(tc, info);
		return EAUTH;
	}
	return tls_err(ret, "handshake with", tc->peer);
}

/* The role is known only now: we connected (client) or accepted (server) */
static int role_setup(struct tls_conn *tc, bool active)
{
	int ret;

	if (!active && !tc->tls->has_server) {
		log_warn("tls", NULL,
			 "no certificate: cannot accept TLS "
			 "from %s",
			 tc->peer);
		return EPROTO;
	}
	tc->active = active;
	tc->started = true;
	ret = mbedtls_ssl_setup(&tc->ssl,
				active ? &tc->tls->client : &tc->tls->server);
	if (ret)
		return tls_err(ret, "setup", NULL);
	mbedtls_ssl_set_bio(&tc->ssl, tc, bio_send, bio_recv, NULL);
	if (active)
		mbedtls_ssl_set_verify(&tc->ssl, on_verify, tc);
	return 0;
}

static bool estab_handler(int *err, bool active, void *arg)
{
	struct tls_conn *tc = arg;

	if (!active)
		return true;
	*err = role_setup(tc, true);
	if (!*err)
		*err = handshake(tc);
	return true;
}

static bool recv_handler(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	struct tls_conn *tc = arg;
	struct mbuf *plain;
	int n;

	tc->in = mb;
	if (!tc->started)
		*err = role_setup(tc, false);
	if (*err) {
		tc->in = NULL;
		return true;
	}
	if (!tc->up) {
		*err = handshake(tc);
		if (*err || !tc->up) {
			tc->in = NULL;
			return true;
		}
		*estab = true;
	}

	/* decrypt everything available into a new buffer, then swap */
	plain = mbuf_alloc(mbuf_get_left(mb) + 256);
	if (!plain) {
		*err = ENOMEM;
		tc->in = NULL;
		return true;
	}
	for (;;) {
		if (mbuf_get_space(plain) < 4096 &&
		    mbuf_resize(plain, plain->size + 16384)) {
			*err = ENOMEM;
			break;
		}
		n = mbedtls_ssl_read(&tc->ssl, mbuf_buf(plain),
				     mbuf_get_space(plain));
		if (n > 0) {
			plain->pos += (size_t)n;
			plain->end = plain->pos;
			continue;
		}
		if (n == MBEDTLS_ERR_SSL_WANT_READ ||
		    n == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			*err = ECONNRESET;
		else
			*err = tls_err(n, "read from", tc->peer);
		break;
	}
	tc->in = NULL;
	if (*err) {
		mem_deref(plain);
		return true;
	}

	mbuf_reset(mb);
	mbuf_write_mem(mb, plain->buf, plain->end);
	mem_deref(plain);
	mb->pos = 0;
	return false;
}

static bool send_handler(int *err, struct mbuf *mb, void *arg)
{
	struct tls_conn *tc = arg;
	size_t left = mbuf_get_left(mb);
	const unsigned char *p = mbuf_buf(mb);

	if (!tc->up) {
		*err = ENOTCONN;
		return true;
	}
	while (left) {
		int n = mbedtls_ssl_write(&tc->ssl, p, left);

		if (n == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    n == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (n < 0) {
			*err = tls_err(n, "write to", tc->peer);
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	return true;
}

int tls_start_tcp(struct tls_conn **ptc, struct tls *tls, struct tcp_conn *tcp,
		  int layer)
{
	struct tls_conn *tc;
	struct sa peer;
	int err;

	if (!ptc || !tls || !tcp)
		return EINVAL;
	tc = mem_zalloc(sizeof(*tc), conn_destructor);
	if (!tc)
		return ENOMEM;
	mbedtls_ssl_init(&tc->ssl);
	tc->tls = mem_ref(tls);
	tc->tcp = mem_ref(tcp);
	if (!tcp_conn_peer_get(tcp, &peer))
		re_snprintf(tc->peer, sizeof(tc->peer), "%J", &peer);

	err = tcp_register_helper(&tc->th, tcp, layer, estab_handler,
				  send_handler, recv_handler, tc);
	if (err)
		mem_deref(tc);
	else
		*ptc = tc;
	return err;
}

/*
 * The rest of libre's TLS API that libre's own objects reference (its HTTP
 * client/server and STUN/TURN, which the SIP stack links in).  Defining them
 * here keeps libre's OpenSSL tls.o and tls_udp.o out of the binary; the
 * hostname ones are real and are how an outbound caller pins the name a
 * server certificate must carry.
 */
int tls_add_ca(struct tls *tls, const char *cafile)
{
	int ret;

	if (!tls || !cafile)
		return EINVAL;
	ret = mbedtls_x509_crt_parse_file(&tls->ca, cafile);
	return ret < 0 ? tls_err(ret, "CA file", cafile) : 0;
}

int tls_set_verify_purpose(struct tls *tls, const char *purpose)
{
	(void)tls;
	(void)purpose;
	return 0; /* mbedTLS checks extendedKeyUsage when present */
}

int tls_set_hostname(char *tls_hostname, const struct pl *hostname)
{
	if (!tls_hostname || !hostname)
		return EINVAL;
	return pl_strcpy(hostname, tls_hostname, 256);
}

int tls_set_servername(struct tls_conn *tc, const char *servername)
{
	if (!tc || !servername)
		return EINVAL;
	return mbedtls_ssl_set_hostname(&tc->ssl, servername) ? ENOMEM : 0;
}

int tls_peer_set_verify_host(struct tls_conn *tc, const char *hostname)
{
	return tls_set_servername(tc, hostname);
}

int tls_set_verify_server(struct tls_conn *tc, const char *host)
{
	return tls_set_servername(tc, host);
}

int dtls_send(struct tls_conn *tc, struct mbuf *mb)
{
	(void)tc;
	(void)mb;
	return ENOSYS; /* no DTLS: media keys come from SDES */
}
