/*
 * nngecho: a rep socket on libnng that answers every request with
 * "echo:" + the request, on 16 contexts at once (nng's aio and contexts, as
 * in its demo/async). Used by the interop tests to check that each of many
 * concurrent sp requesters gets the reply to its own request.
 *
 *   nngecho listen|dial URL    (serves until killed)
 *
 * Builds against nng 1.x (1.5 from Debian's libnng-dev, 1.12) and 2.0: nng 2.0
 * declares the protocols in nng.h and must be initialized with nng_init.
 */
#include <nng/nng.h>
#if NNG_MAJOR_VERSION < 2
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h> /* nng_msleep, in 1.5 */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARALLEL 16

struct work {
	enum { RECV, SEND } state;
	nng_aio *aio;
	nng_ctx ctx;
};

static void
fatal(const char *what, int rv)
{
	fprintf(stderr, "nngecho: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static void
cb(void *arg)
{
	struct work *w = arg;
	int rv;
	if ((rv = nng_aio_result(w->aio)) != 0) {
		if (rv == NNG_ECLOSED) {
			return;
		}
		if (w->state == SEND) {
			nng_msg_free(nng_aio_get_msg(w->aio));
		}
		w->state = RECV;
		nng_ctx_recv(w->ctx, w->aio);
		return;
	}
	if (w->state == RECV) {
		nng_msg *m = nng_aio_get_msg(w->aio);
		if ((rv = nng_msg_insert(m, "echo:", 5)) != 0) {
			fatal("nng_msg_insert", rv);
		}
		nng_aio_set_msg(w->aio, m);
		w->state = SEND;
		nng_ctx_send(w->ctx, w->aio);
		return;
	}
	w->state = RECV;
	nng_ctx_recv(w->ctx, w->aio);
}

int
main(int argc, char **argv)
{
	nng_socket s;
	int rv;
	if (argc != 3) {
		fprintf(stderr, "usage: nngecho listen|dial URL\n");
		return 2;
	}
#if NNG_MAJOR_VERSION >= 2
	if ((rv = nng_init(NULL)) != 0) {
		fatal("nng_init", rv);
	}
#endif
	if ((rv = nng_rep0_open(&s)) != 0) {
		fatal("nng_rep0_open", rv);
	}
	static struct work w[PARALLEL];
	for (int i = 0; i < PARALLEL; i++) {
		if ((rv = nng_aio_alloc(&w[i].aio, cb, &w[i])) != 0) {
			fatal("nng_aio_alloc", rv);
		}
		if ((rv = nng_ctx_open(&w[i].ctx, s)) != 0) {
			fatal("nng_ctx_open", rv);
		}
		w[i].state = RECV;
	}
	if (strcmp(argv[1], "listen") == 0) {
		rv = nng_listen(s, argv[2], NULL, 0);
	} else {
		rv = nng_dial(s, argv[2], NULL, NNG_FLAG_NONBLOCK);
	}
	if (rv != 0) {
		fatal(argv[1], rv);
	}
	for (int i = 0; i < PARALLEL; i++) {
		nng_ctx_recv(w[i].ctx, w[i].aio);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) { /* serve until killed */
		nng_msleep(3600000);
	}
}
