/**
 * @file bench/ceiling.c  The machine's reference: a bare UDP echo
 *
 * One socket, recvmmsg in batches and sendmmsg of the same datagrams back
 * to where they came from: no SIP, no SRTP, no per-call state.  Driven by
 * the load generator (loadgen --ceiling IP:PORT) with the same packet
 * pattern as a trunkd run, it says what this machine can do at all, so
 * that trunkd's figures are given as a ratio to it.
 *   bench_ceiling [--listen IP:PORT] [--time-limit S]
 * Bounded: exits after --time-limit seconds (default 600) or on
 * SIGTERM/SIGINT, printing the datagrams it echoed.
 */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sockbuf.h"

#define BATCH	64
#define PKT_MAX 2048

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static int open_socket(const char *listen)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char ip[64];
	const char *colon = strrchr(listen, ':');
	int fd;

	if (!colon || (size_t)(colon - listen) >= sizeof(ip))
		return -1;
	memcpy(ip, listen, (size_t)(colon - listen));
	ip[colon - listen] = 0;
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	bench_sockbuf(fd);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* one readiness: echo every batch waiting; returns datagrams echoed */
static unsigned long echo_batches(int fd)
{
	static unsigned char buf[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in src[BATCH];
	unsigned long echoed = 0;
	int n, i, sent;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = PKT_MAX;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &src[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(src[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return echoed;
		for (i = 0; i < n; i++)
			iov[i].iov_len = msgs[i].msg_len;
		for (sent = 0; sent < n;) {
			int k =
			    sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
			if (k <= 0)
				break;
			sent += k;
		}
		echoed += (unsigned long)sent;
		if (n < BATCH)
			return echoed;
	}
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {{"listen", 1, 0, 'l'},
					      {"time-limit", 1, 0, 't'},
					      {"help", 0, 0, 'h'},
					      {0, 0, 0, 0}};
	const char *listen = "127.0.0.1:7000";
	double limit = 600;
	unsigned long echoed = 0;
	struct pollfd pfd;
	time_t t0 = time(NULL);
	int ch, fd;

	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (ch == 'l')
			listen = optarg;
		else if (ch == 't')
			limit = atof(optarg);
		else {
			fprintf(ch == 'h' ? stdout : stderr,
				"usage: bench_ceiling [--listen IP:PORT] "
				"[--time-limit S]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	fd = open_socket(listen);
	if (fd < 0) {
		fprintf(stderr, "bench_ceiling: cannot listen on %s: %s\n",
			listen, strerror(errno));
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "bench_ceiling: echoing on %s\n", listen);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!done && difftime(time(NULL), t0) < limit) {
		if (poll(&pfd, 1, 200) > 0)
			echoed += echo_batches(fd);
	}
	printf("bench_ceiling: echoed %lu datagrams\n", echoed);
	close(fd);
	return 0;
}
