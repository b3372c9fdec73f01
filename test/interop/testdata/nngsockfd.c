/*
 * nngsockfd: an nng 1.12 req0 or rep0 socket on a descriptor it inherited,
 * through nng's socket:// transport (nng 1.7 and later): nng_listen on
 * "socket://", then NNG_OPT_SOCKET_FD on the listener makes a pipe of the
 * descriptor, speaking the tcp mapping (the 8-byte handshake, then frames
 * with a 64-bit big-endian length, no type byte) whatever the descriptor
 * is, Unix socketpairs included.
 *
 *   nngsockfd rep FD N    answers N requests with "echo:" + the request,
 *                         then keeps the socket open (nng_close could drop
 *                         the last reply unwritten) for up to 10 s, unless
 *                         another request comes: the test kills it
 *   nngsockfd req FD N    sends N requests "req-I", prints each reply on a
 *                         line of its own, exits
 *
 * Build: cc -o nngsockfd nngsockfd.c -I$NNG112/include \
 *        $NNG112/lib/libnng.a $NNG_LIBS
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fatal(const char *what, int rv)
{
	fprintf(stderr, "nngsockfd: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

int
main(int argc, char **argv)
{
	nng_socket   s;
	nng_listener l;
	int          rv, fd, n, i;

	if (argc != 4) {
		fprintf(stderr, "usage: nngsockfd rep|req FD N\n");
		return 2;
	}
	fd = atoi(argv[2]);
	n  = atoi(argv[3]);
	if (strcmp(argv[1], "rep") == 0) {
		rv = nng_rep0_open(&s);
	} else if (strcmp(argv[1], "req") == 0) {
		rv = nng_req0_open(&s);
	} else {
		fprintf(stderr, "nngsockfd: role %s: want rep or req\n", argv[1]);
		return 2;
	}
	if (rv != 0) {
		fatal("open", rv);
	}
	if ((rv = nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000)) != 0) {
		fatal("set timeouts", rv);
	}
	if ((rv = nng_listen(s, "socket://", &l, 0)) != 0) {
		fatal("listen socket://", rv);
	}
	if ((rv = nng_listener_set_int(l, NNG_OPT_SOCKET_FD, fd)) != 0) {
		fatal("set " NNG_OPT_SOCKET_FD, rv);
	}
	for (i = 0; i < n; i++) {
		char   *buf;
		size_t  sz;
		if (strcmp(argv[1], "rep") == 0) {
			char *reply;
			if ((rv = nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC)) != 0) {
				fatal("recv", rv);
			}
			if ((reply = malloc(sz + 5)) == NULL) {
				fatal("malloc", NNG_ENOMEM);
			}
			memcpy(reply, "echo:", 5);
			memcpy(reply + 5, buf, sz);
			nng_free(buf, sz);
			if ((rv = nng_send(s, reply, sz + 5, 0)) != 0) {
				fatal("send", rv);
			}
			free(reply);
		} else {
			char req[32];
			snprintf(req, sizeof(req), "req-%d", i);
			if ((rv = nng_send(s, req, strlen(req), 0)) != 0) {
				fatal("send", rv);
			}
			if ((rv = nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC)) != 0) {
				fatal("recv", rv);
			}
			printf("%.*s\n", (int) sz, buf);
			fflush(stdout);
			nng_free(buf, sz);
		}
	}
	if (strcmp(argv[1], "rep") == 0) {
		char   *buf;
		size_t  sz;
		if (nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC) == 0) {
			nng_free(buf, sz);
		}
	}
	nng_close(s);
	return 0;
}
