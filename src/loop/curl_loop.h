/**
 * @file curl_loop.h  Outgoing HTTP POSTs and SMTP mails (libcurl multi),
 *                      driven by the loop through libre's fd_listen and
 *                      timers
 *
 * Each transfer has a total timeout; its handler is called once, from the
 * loop, with 0 and the HTTP status (or 250 for a mail accepted), or an
 * errno and libcurl's error text.  Freeing the client aborts the transfers
 * still running without calling their handlers.
 *
 * Ownership: curl_loop_alloc() returns a mem object; handler arguments
 * are borrowed and must outlive their transfer (or the client).
 */
#ifndef TRUNKD_LOOP_CURL_LOOP_H
#define TRUNKD_LOOP_CURL_LOOP_H

struct curl_loop;

typedef void(curl_loop_h)(int err, long status, const char *error, void *arg);

int curl_loop_alloc(struct curl_loop **hcp);
/* POST body to url; hdrs: NULL-terminated "Name: value" lines, or NULL */
int curl_loop_post(struct curl_loop *hc, const char *url,
		   const char *const *hdrs, const char *body,
		   unsigned timeout_ms, curl_loop_h *h, void *arg);
/* Mail msg (headers, blank line, text) from from to to through an
 * smtp:// or smtps:// URL */
int curl_loop_mail(struct curl_loop *hc, const char *url, const char *from,
		   const char *to, const char *msg, unsigned timeout_ms,
		   curl_loop_h *h, void *arg);

#endif
