/**
 * @file sink.c  A receiver for the integration tests: what trunkd sends
 *               out (webhooks, SMS gateway calls, e-mails) lands in a file
 *
 *   sink http PORT FILE [CODES]  each HTTP request (request line, headers,
 *                                blank line, body) is appended to FILE,
 *                                answered with the next of CODES
 *                                ("503,200": the first 503, then 200s)
 *   sink smtp PORT FILE          each mail's DATA is appended to FILE
 *
 * Listens on 127.0.0.1, one connection at a time, until killed.  Each
 * record ends with a line "=== end".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s, 16)) {
		perror("sink");
		exit(1);
	}
	return s;
}

/* one line (CRLF stripped) into buf; false at the end of the stream */
static int read_line(int c, char *buf, size_t size)
{
	size_t n = 0;
	char ch;

	while (read(c, &ch, 1) == 1) {
		if (ch == '\n') {
			if (n && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return 1;
		}
		if (n + 1 < size)
			buf[n++] = ch;
	}
	return 0;
}

static void say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		perror("sink");
}

static void http_one(int c, FILE *out, int code)
{
	char line[8192], reply[128];
	long len = 0;

	while (read_line(c, line, sizeof(line)) && line[0]) {
		fprintf(out, "%s\n", line);
		if (!strncasecmp(line, "Content-Length:", 15))
			len = strtol(line + 15, NULL, 10);
	}
	fprintf(out, "\n");
	while (len > 0) {
		char buf[4096];
		ssize_t n =
		    read(c, buf,
			 len < (long)sizeof(buf) ? (size_t)len : sizeof(buf));

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, out);
		len -= n;
	}
	fprintf(out, "\n=== end\n");
	fflush(out);
	snprintf(reply, sizeof(reply),
		 "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: "
		 "close\r\n\r\n",
		 code);
	say(c, reply);
}

static void smtp_one(int c, FILE *out)
{
	char line[8192];

	say(c, "220 sink ESMTP\r\n");
	while (read_line(c, line, sizeof(line))) {
		if (!strncasecmp(line, "EHLO", 4) ||
		    !strncasecmp(line, "HELO", 4)) {
			say(c, "250 sink\r\n");
		} else if (!strncasecmp(line, "MAIL FROM", 9) ||
			   !strncasecmp(line, "RCPT TO", 7)) {
			fprintf(out, "%s\n", line);
			say(c, "250 OK\r\n");
		} else if (!strncasecmp(line, "DATA", 4)) {
			say(c, "354 go on\r\n");
			while (read_line(c, line, sizeof(line)) &&
			       strcmp(line, "."))
				fprintf(out, "%s\n", line);
			fprintf(out, "=== end\n");
			fflush(out);
			say(c, "250 queued\r\n");
		} else if (!strncasecmp(line, "QUIT", 4)) {
			say(c, "221 bye\r\n");
			return;
		} else {
			say(c, "250 OK\r\n");
		}
	}
}

int main(int argc, char *argv[])
{
	const char *codes = argc > 4 ? argv[4] : "200";
	int s, smtp;
	FILE *out;

	if (argc < 4 || (strcmp(argv[1], "http") && strcmp(argv[1], "smtp"))) {
		fputs("usage: sink http PORT FILE [CODES] | sink smtp PORT "
		      "FILE\n",
		      stderr);
		return 2;
	}
	smtp = !strcmp(argv[1], "smtp");
	out = fopen(argv[3], "a");
	if (!out) {
		perror(argv[3]);
		return 1;
	}
	s = listen_on(atoi(argv[2]));
	for (;;) {
		int c = accept(s, NULL, NULL);
		const char *comma;

		if (c < 0)
			continue;
		if (smtp) {
			smtp_one(c, out);
		} else {
			http_one(c, out, atoi(codes));
			comma = strchr(codes, ',');
			if (comma)
				codes = comma + 1;
		}
		close(c);
	}
}
