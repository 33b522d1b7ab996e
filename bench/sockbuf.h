/**
 * @file bench/sockbuf.h  Large UDP socket buffers for the load tools
 *                        (bench_ceiling and loadgen share it)
 */
#ifndef BENCH_SOCKBUF_H
#define BENCH_SOCKBUF_H

#include <sys/socket.h>

#define BENCH_SOCK_BUF (8 * 1024 * 1024)

/* FORCE (as root) goes past net.core.[rw]mem_max; else the plain option,
 * which the kernel caps */
static inline void bench_sockbuf(int fd)
{
	int size = BENCH_SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				 sizeof(size));
}

#endif
