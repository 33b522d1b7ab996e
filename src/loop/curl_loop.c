/** @file curl_loop.c  libcurl multi on the loop (see curl_loop.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_main.h>
#include <re_tmr.h>
#include "loop/curl_loop.h"

struct curl_loop {
	CURLM *multi;
	struct tmr tmr;
	struct list xfers; /* struct xfer */
};

struct xfer {
	struct le le;
	struct curl_loop *hc; /* borrowed: our owner */
	CURL *easy;
	struct curl_slist *hdrs, *rcpt;
	char *body; /* owned copy */
	size_t body_len, body_pos;
	bool mail;
	char error[CURL_ERROR_SIZE];
	curl_loop_h *h;
	void *arg;
};

struct sock { /* one socket libcurl asked us to watch */
	struct curl_loop *hc;
	curl_socket_t fd;
};

static void xfer_destructor(void *arg)
{
	struct xfer *x = arg;

	list_unlink(&x->le);
	if (x->easy) {
		curl_multi_remove_handle(x->hc->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	curl_slist_free_all(x->rcpt);
	free(x->body);
}

/* the transfers libcurl has finished: their handlers, then away */
static void reap(struct curl_loop *hc)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(hc->multi, &left))) {
		struct xfer *x = NULL;
		long status = 0;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
				  &status);
		if (!x)
			continue;
		if (rc != CURLE_OK && !x->error[0])
			strncpy(x->error, curl_easy_strerror(rc),
				sizeof(x->error) - 1);
		if (x->h)
			x->h(rc == CURLE_OK ? 0 : EIO, status,
			     rc == CURLE_OK ? NULL : x->error, x->arg);
		mem_deref(x);
	}
}

static void on_fd(int flags, void *arg)
{
	struct sock *s = arg;
	struct curl_loop *hc = s->hc;
	int ev = (flags & FD_READ ? CURL_CSELECT_IN : 0) |
		 (flags & FD_WRITE ? CURL_CSELECT_OUT : 0) |
		 (flags & FD_EXCEPT ? CURL_CSELECT_ERR : 0);
	int running;

	curl_multi_socket_action(hc->multi, s->fd, ev, &running);
	reap(hc);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct curl_loop *hc = userp;
	struct sock *s = socketp;
	int flags;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		fd_close(fd);
		curl_multi_assign(hc->multi, fd, NULL);
		mem_deref(s);
		return 0;
	}
	if (!s) {
		s = mem_zalloc(sizeof(*s), NULL);
		if (!s)
			return -1;
		s->hc = hc;
		s->fd = fd;
		curl_multi_assign(hc->multi, fd, s);
	}
	flags = (what & CURL_POLL_IN ? FD_READ : 0) |
		(what & CURL_POLL_OUT ? FD_WRITE : 0);
	return fd_listen(fd, flags, on_fd, s) ? -1 : 0;
}

static void on_tmr(void *arg)
{
	struct curl_loop *hc = arg;
	int running;

	curl_multi_socket_action(hc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(hc);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_loop *hc = userp;

	(void)multi;
	if (timeout_ms < 0)
		tmr_cancel(&hc->tmr);
	else
		tmr_start(&hc->tmr, (uint64_t)timeout_ms, on_tmr, hc);
	return 0;
}

static void destructor(void *arg)
{
	struct curl_loop *hc = arg;

	tmr_cancel(&hc->tmr);
	list_flush(&hc->xfers); /* aborted: no handler */
	curl_multi_cleanup(hc->multi);
}

int curl_loop_alloc(struct curl_loop **hcp)
{
	static bool global;
	struct curl_loop *hc;

	if (!global && curl_global_init(CURL_GLOBAL_DEFAULT))
		return ENOMEM;
	global = true;
	hc = mem_zalloc(sizeof(*hc), destructor);
	if (!hc)
		return ENOMEM;
	tmr_init(&hc->tmr);
	hc->multi = curl_multi_init();
	if (!hc->multi) {
		mem_deref(hc);
		return ENOMEM;
	}
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETDATA, hc);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERDATA, hc);
	*hcp = hc;
	return 0;
}

static size_t read_body(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t left = x->body_len - x->body_pos, want = size * n;

	if (want > left)
		want = left;
	memcpy(buf, x->body + x->body_pos, want);
	x->body_pos += want;
	return want;
}

static size_t discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

static struct xfer *xfer_new(struct curl_loop *hc, const char *url,
			     const char *body, unsigned timeout_ms,
			     curl_loop_h *h, void *arg)
{
	struct xfer *x = mem_zalloc(sizeof(*x), xfer_destructor);

	if (!x)
		return NULL;
	x->hc = hc;
	x->h = h;
	x->arg = arg;
	x->body = strdup(body ? body : "");
	x->body_len = x->body ? strlen(x->body) : 0;
	x->easy = curl_easy_init();
	if (!x->easy || !x->body) {
		mem_deref(x);
		return NULL;
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->error);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "trunkd");
	return x;
}

static int xfer_start(struct curl_loop *hc, struct xfer *x)
{
	list_append(&hc->xfers, &x->le, x);
	if (curl_multi_add_handle(hc->multi, x->easy) != CURLM_OK) {
		mem_deref(x);
		return EIO;
	}
	return 0;
}

int curl_loop_post(struct curl_loop *hc, const char *url,
		   const char *const *hdrs, const char *body,
		   unsigned timeout_ms, curl_loop_h *h, void *arg)
{
	struct xfer *x = xfer_new(hc, url, body, timeout_ms, h, arg);

	if (!x)
		return ENOMEM;
	for (size_t i = 0; hdrs && hdrs[i]; i++)
		x->hdrs = curl_slist_append(x->hdrs, hdrs[i]);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)x->body_len);
	return xfer_start(hc, x);
}

int curl_loop_mail(struct curl_loop *hc, const char *url, const char *from,
		   const char *to, const char *msg, unsigned timeout_ms,
		   curl_loop_h *h, void *arg)
{
	struct xfer *x = xfer_new(hc, url, msg, timeout_ms, h, arg);

	if (!x)
		return ENOMEM;
	x->mail = true;
	x->rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(x->easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(x->easy, CURLOPT_MAIL_RCPT, x->rcpt);
	curl_easy_setopt(x->easy, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(x->easy, CURLOPT_READDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_UPLOAD, 1L);
	return xfer_start(hc, x);
}
