// nngshapes: the service shapes of issue #17 on libnng 1.12, with the
// subcommands and output lines of `spperf` (cmd/spperf/shapes.go), written the
// way nng's demo/async writes a service: contexts and aio callbacks, no thread
// of our own per socket. The server is the one socket that listens; the client
// is the many sockets that dial, each over a connection of its own. The end
// that measures waits for its peers, lets the shape run for a warm-up of 250
// ms, measures for SECONDS, prints one line and exits; the other end runs until
// it is killed.
//
//	rpc_server    URL                               rep, 64 contexts (demo/async's server)
//	rpc_client    URL CONNS PER_CONN SECONDS SIZE   CONNS req sockets, PER_CONN contexts on each
//	                                                -> req/s N p50 X us p99 Y us
//	survey_server URL RESPONDENTS SECONDS SIZE      surveyor context; a survey ends when all answered
//	                                                -> surveys/s N
//	survey_client URL RESPONDENTS                   RESPONDENTS respondent sockets, a context each (echo)
//	fanout_server URL SUBS SIZE                     pub; waits for SUBS subscribers, then publishes at will
//	fanout_client URL SUBS SECONDS                  SUBS sub sockets -> msgs/s N (delivered, all of them)
//	fanin_server  URL PUSHERS SECONDS               pull; waits for PUSHERS and a first message -> msgs/s N
//	fanin_client  URL PUSHERS SIZE                  PUSHERS push sockets, each sending at will
//
// Build (bench/shapes.sh does): source the env.sh of the shared peers/build.sh, then
//
//	cc -O2 -o nngshapes nngshapes.c -I$NNG112/include $NNG112/lib/libnng.a $NNG_LIBS

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>
#include <nng/supplemental/util/platform.h>

#define WARMUP_NS 250000000LL
#define RPC_CONTEXTS 64

static void
fatal(const char *what, int rv)
{
	fprintf(stderr, "nngshapes: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
sleep_until(int64_t t)
{
	int64_t d;
	while ((d = t - now_ns()) > 0) {
		nng_msleep((nng_duration) (d / 1000000 + 1));
	}
}

// ---- pipes: how many peers have joined, over all sockets of the process ----

static atomic_int pipes;

static void
pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void) p;
	(void) ev;
	(void) arg;
	atomic_fetch_add(&pipes, 1);
}

static void
wait_pipes(int n)
{
	while (atomic_load(&pipes) < n) {
		nng_msleep(1);
	}
}

// open_socket opens a socket with opener and listens on url, or
// dials it in the background, reconnecting (the server may come later).
static nng_socket
open_socket(int (*opener)(nng_socket *), const char *url, int listen)
{
	nng_socket s;
	int        rv;
	if ((rv = opener(&s)) != 0) {
		fatal("open", rv);
	}
	if ((rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, pipe_added, NULL)) != 0) {
		fatal("nng_pipe_notify", rv);
	}
	if (listen) {
		rv = nng_listen(s, url, NULL, 0);
	} else {
		rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK);
	}
	if (rv != 0) {
		fatal(listen ? "nng_listen" : "nng_dial", rv);
	}
	return (s);
}

static nng_msg *
new_msg(int size)
{
	nng_msg *m;
	int      rv;
	if ((rv = nng_msg_alloc(&m, (size_t) size)) != 0) {
		fatal("nng_msg_alloc", rv);
	}
	memset(nng_msg_body(m), 'x', (size_t) size);
	return (m);
}

static void
forever(void)
{
	for (;;) {
		nng_msleep(3600000);
	}
}

// ---- rpc ----

// An echo context on a rep or respondent socket: receive, send it back.
struct echo {
	enum { E_RECV, E_SEND } state;
	nng_aio *aio;
	nng_ctx  ctx;
};

static void
echo_cb(void *arg)
{
	struct echo *e = arg;
	int          rv;
	if (e->state == E_RECV) {
		if ((rv = nng_aio_result(e->aio)) != 0) {
			fatal("nng_ctx_recv", rv);
		}
		// The request, header cleared by the send, is the reply.
		e->state = E_SEND;
		nng_ctx_send(e->ctx, e->aio);
		return;
	}
	if ((rv = nng_aio_result(e->aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(e->aio));
		fatal("nng_ctx_send", rv);
	}
	e->state = E_RECV;
	nng_ctx_recv(e->ctx, e->aio);
}

static void
start_echo(nng_socket s)
{
	struct echo *e;
	int          rv;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	if ((rv = nng_aio_alloc(&e->aio, echo_cb, e)) != 0) {
		fatal("nng_aio_alloc", rv);
	}
	if ((rv = nng_ctx_open(&e->ctx, s)) != 0) {
		fatal("nng_ctx_open", rv);
	}
	e->state = E_RECV;
	nng_ctx_recv(e->ctx, e->aio);
}

static void
rpc_server(const char *url)
{
	nng_socket s = open_socket(nng_rep0_open, url, 1);
	for (int i = 0; i < RPC_CONTEXTS; i++) {
		start_echo(s);
	}
	forever();
}

// A requester: one context with one request in flight at a time.
struct requester {
	enum { R_SEND, R_RECV } state;
	nng_aio *aio;
	nng_ctx  ctx;
	int64_t  sent;
	int64_t *lat; // ns, of the requests answered within the window
	size_t   n, cap;
};

static int64_t    win_start, win_end;
static atomic_int active;

static void
request(struct requester *r, nng_msg *m)
{
	r->state = R_SEND;
	r->sent  = now_ns();
	nng_aio_set_msg(r->aio, m);
	nng_ctx_send(r->ctx, r->aio);
}

static void
requester_cb(void *arg)
{
	struct requester *r = arg;
	int               rv;
	if (r->state == R_SEND) {
		if ((rv = nng_aio_result(r->aio)) != 0) {
			nng_msg_free(nng_aio_get_msg(r->aio));
			fatal("nng_ctx_send", rv);
		}
		r->state = R_RECV;
		nng_ctx_recv(r->ctx, r->aio);
		return;
	}
	if ((rv = nng_aio_result(r->aio)) != 0) {
		fatal("nng_ctx_recv", rv);
	}
	int64_t t = now_ns();
	if (t > win_end) {
		nng_msg_free(nng_aio_get_msg(r->aio));
		atomic_fetch_sub(&active, 1);
		return;
	}
	if (t > win_start) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 4096;
			if ((r->lat = realloc(r->lat, r->cap * sizeof(int64_t))) == NULL) {
				fatal("realloc", NNG_ENOMEM);
			}
		}
		r->lat[r->n++] = t - r->sent;
	}
	request(r, nng_aio_get_msg(r->aio)); // the echo is the next request
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

static void
rpc_client(const char *url, int conns, int per_conn, int seconds, int size)
{
	nng_socket       *ss = calloc((size_t) conns, sizeof(nng_socket));
	int               nr = conns * per_conn;
	struct requester *rs = calloc((size_t) nr, sizeof(*rs));
	int               rv;
	if (ss == NULL || rs == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	for (int i = 0; i < conns; i++) {
		ss[i] = open_socket(nng_req0_open, url, 0);
	}
	wait_pipes(conns);
	win_start = now_ns() + WARMUP_NS;
	win_end   = win_start + (int64_t) seconds * 1000000000LL;
	atomic_store(&active, nr);
	for (int i = 0; i < nr; i++) {
		struct requester *r = &rs[i];
		if ((rv = nng_aio_alloc(&r->aio, requester_cb, r)) != 0) {
			fatal("nng_aio_alloc", rv);
		}
		if ((rv = nng_ctx_open(&r->ctx, ss[i % conns])) != 0) {
			fatal("nng_ctx_open", rv);
		}
	}
	for (int i = 0; i < nr; i++) {
		request(&rs[i], new_msg(size));
	}
	sleep_until(win_end);
	while (atomic_load(&active) > 0) {
		nng_msleep(1);
	}
	size_t total = 0;
	for (int i = 0; i < nr; i++) {
		total += rs[i].n;
	}
	if (total == 0) {
		fprintf(stderr, "nngshapes: no request answered\n");
		exit(1);
	}
	int64_t *all = malloc(total * sizeof(int64_t));
	if (all == NULL) {
		fatal("malloc", NNG_ENOMEM);
	}
	size_t k = 0;
	for (int i = 0; i < nr; i++) {
		memcpy(all + k, rs[i].lat, rs[i].n * sizeof(int64_t));
		k += rs[i].n;
	}
	qsort(all, total, sizeof(int64_t), cmp64);
	printf("req/s %.0f p50 %lld us p99 %lld us\n",
	    (double) total / ((double) (win_end - win_start) / 1e9),
	    (long long) (all[(size_t) (0.5 * (double) (total - 1))] / 1000),
	    (long long) (all[(size_t) (0.99 * (double) (total - 1))] / 1000));
	fflush(stdout);
	for (int i = 0; i < conns; i++) {
		nng_close(ss[i]);
	}
}

// ---- survey ----

struct surveyor {
	enum { S_SEND, S_RECV } state;
	nng_aio   *aio;
	nng_ctx    ctx;
	int        want, got, size;
	long       surveys; // ended within the window
	atomic_int done;
};

static void
survey(struct surveyor *sv)
{
	sv->state = S_SEND;
	sv->got   = 0;
	nng_aio_set_msg(sv->aio, new_msg(sv->size));
	nng_ctx_send(sv->ctx, sv->aio);
}

static void
surveyor_cb(void *arg)
{
	struct surveyor *sv = arg;
	int              rv;
	if (sv->state == S_SEND) {
		if ((rv = nng_aio_result(sv->aio)) != 0) {
			nng_msg_free(nng_aio_get_msg(sv->aio));
			fatal("nng_ctx_send", rv);
		}
		sv->state = S_RECV;
		nng_ctx_recv(sv->ctx, sv->aio);
		return;
	}
	if ((rv = nng_aio_result(sv->aio)) != 0) {
		fprintf(stderr, "nngshapes: a survey got %d answers of %d\n", sv->got, sv->want);
		fatal("nng_ctx_recv", rv);
	}
	nng_msg_free(nng_aio_get_msg(sv->aio));
	if (++sv->got < sv->want) {
		nng_ctx_recv(sv->ctx, sv->aio);
		return;
	}
	int64_t t = now_ns();
	if (t > win_end) {
		atomic_store(&sv->done, 1);
		return;
	}
	if (t > win_start) {
		sv->surveys++;
	}
	survey(sv); // a new survey on the context ends the last one
}

static void
survey_server(const char *url, int n, int seconds, int size)
{
	static struct surveyor sv;
	nng_socket             s = open_socket(nng_surveyor0_open, url, 1);
	int                    rv;
	if ((rv = nng_aio_alloc(&sv.aio, surveyor_cb, &sv)) != 0) {
		fatal("nng_aio_alloc", rv);
	}
	if ((rv = nng_ctx_open(&sv.ctx, s)) != 0) {
		fatal("nng_ctx_open", rv);
	}
	// Each survey ends when all have answered, long before this.
	if ((rv = nng_ctx_set_ms(sv.ctx, NNG_OPT_SURVEYOR_SURVEYTIME, 10000)) != 0) {
		fatal("nng_ctx_set_ms", rv);
	}
	sv.want = n;
	sv.size = size;
	wait_pipes(n);
	win_start = now_ns() + WARMUP_NS;
	win_end   = win_start + (int64_t) seconds * 1000000000LL;
	survey(&sv);
	sleep_until(win_end);
	while (!atomic_load(&sv.done)) {
		nng_msleep(1);
	}
	printf("surveys/s %.0f\n", (double) sv.surveys / ((double) (win_end - win_start) / 1e9));
	fflush(stdout);
	nng_close(s);
}

static void
survey_client(const char *url, int n)
{
	for (int i = 0; i < n; i++) {
		start_echo(open_socket(nng_respondent0_open, url, 0));
	}
	forever();
}

// ---- fan-out and fan-in ----

// A receiver counts what its socket receives.
struct receiver {
	nng_aio      *aio;
	nng_socket    s;
	_Atomic long  n;
	char          pad[48];
};

static void
receiver_cb(void *arg)
{
	struct receiver *r = arg;
	int              rv;
	if ((rv = nng_aio_result(r->aio)) != 0) {
		if (rv == NNG_ECLOSED) {
			return;
		}
		fatal("nng_recv_aio", rv);
	}
	nng_msg_free(nng_aio_get_msg(r->aio));
	atomic_fetch_add_explicit(&r->n, 1, memory_order_relaxed);
	nng_recv_aio(r->s, r->aio);
}

static long
count(struct receiver *rs, int n)
{
	long t = 0;
	for (int i = 0; i < n; i++) {
		t += atomic_load_explicit(&rs[i].n, memory_order_relaxed);
	}
	return (t);
}

// measure_counts starts a receiver on each socket, waits for each to have
// a first message and for the warm-up, and prints what they count per
// second over the window.
static void
measure_counts(nng_socket *ss, int n, int seconds)
{
	struct receiver *rs = calloc((size_t) n, sizeof(*rs));
	int              rv;
	if (rs == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		rs[i].s = ss[i];
		if ((rv = nng_aio_alloc(&rs[i].aio, receiver_cb, &rs[i])) != 0) {
			fatal("nng_aio_alloc", rv);
		}
		nng_recv_aio(rs[i].s, rs[i].aio);
	}
	for (int i = 0; i < n; i++) {
		while (atomic_load(&rs[i].n) == 0) {
			nng_msleep(1);
		}
	}
	sleep_until(now_ns() + WARMUP_NS);
	int64_t t0 = now_ns();
	long    c0 = count(rs, n);
	sleep_until(t0 + (int64_t) seconds * 1000000000LL);
	int64_t t1 = now_ns();
	long    c1 = count(rs, n);
	printf("msgs/s %.0f\n", (double) (c1 - c0) / ((double) (t1 - t0) / 1e9));
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		nng_close(ss[i]);
	}
}

static void
fanout_server(const char *url, int n, int size)
{
	nng_socket s = open_socket(nng_pub0_open, url, 1);
	int        rv;
	wait_pipes(n);
	for (;;) {
		if ((rv = nng_sendmsg(s, new_msg(size), 0)) != 0) {
			fatal("nng_sendmsg", rv);
		}
	}
}

static void
fanout_client(const char *url, int n, int seconds)
{
	nng_socket *ss = calloc((size_t) n, sizeof(nng_socket));
	int         rv;
	if (ss == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		ss[i] = open_socket(nng_sub0_open, url, 0);
		if ((rv = nng_socket_set(ss[i], NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0) {
			fatal("subscribe", rv);
		}
	}
	measure_counts(ss, n, seconds);
}

static void
fanin_server(const char *url, int n, int seconds)
{
	nng_socket s = open_socket(nng_pull0_open, url, 1);
	wait_pipes(n);
	measure_counts(&s, 1, seconds);
}

// A pusher sends at will: the next message as soon as the last is taken.
struct pusher {
	nng_aio   *aio;
	nng_socket s;
	int        size;
};

static void
pusher_cb(void *arg)
{
	struct pusher *p = arg;
	int            rv;
	if ((rv = nng_aio_result(p->aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(p->aio));
		fatal("nng_send_aio", rv);
	}
	nng_aio_set_msg(p->aio, new_msg(p->size));
	nng_send_aio(p->s, p->aio);
}

static void
fanin_client(const char *url, int n, int size)
{
	struct pusher *ps = calloc((size_t) n, sizeof(*ps));
	int            rv;
	if (ps == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		ps[i].s    = open_socket(nng_push0_open, url, 0);
		ps[i].size = size;
		if ((rv = nng_aio_alloc(&ps[i].aio, pusher_cb, &ps[i])) != 0) {
			fatal("nng_aio_alloc", rv);
		}
		nng_aio_set_msg(ps[i].aio, new_msg(size));
		nng_send_aio(ps[i].s, ps[i].aio);
	}
	forever();
}

// ---- main ----

static int
num(const char *s, int min)
{
	char *end;
	long  v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > 1000000000L) {
		fprintf(stderr, "nngshapes: %s: want a number >= %d\n", s, min);
		exit(2);
	}
	return ((int) v);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: nngshapes rpc_server URL\n"
	    "       nngshapes rpc_client URL CONNS PER_CONN SECONDS SIZE\n"
	    "       nngshapes survey_server URL RESPONDENTS SECONDS SIZE\n"
	    "       nngshapes survey_client URL RESPONDENTS\n"
	    "       nngshapes fanout_server URL SUBS SIZE\n"
	    "       nngshapes fanout_client URL SUBS SECONDS\n"
	    "       nngshapes fanin_server URL PUSHERS SECONDS\n"
	    "       nngshapes fanin_client URL PUSHERS SIZE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		usage();
	}
	const char *mode = argv[1], *url = argv[2];
	int         n    = argc - 3;
	char      **a    = argv + 3;
	if (strcmp(mode, "rpc_server") == 0 && n == 0) {
		rpc_server(url);
	} else if (strcmp(mode, "rpc_client") == 0 && n == 4) {
		rpc_client(url, num(a[0], 1), num(a[1], 1), num(a[2], 1), num(a[3], 0));
	} else if (strcmp(mode, "survey_server") == 0 && n == 3) {
		survey_server(url, num(a[0], 1), num(a[1], 1), num(a[2], 0));
	} else if (strcmp(mode, "survey_client") == 0 && n == 1) {
		survey_client(url, num(a[0], 1));
	} else if (strcmp(mode, "fanout_server") == 0 && n == 2) {
		fanout_server(url, num(a[0], 1), num(a[1], 0));
	} else if (strcmp(mode, "fanout_client") == 0 && n == 2) {
		fanout_client(url, num(a[0], 1), num(a[1], 1));
	} else if (strcmp(mode, "fanin_server") == 0 && n == 2) {
		fanin_server(url, num(a[0], 1), num(a[1], 1));
	} else if (strcmp(mode, "fanin_client") == 0 && n == 2) {
		fanin_client(url, num(a[0], 1), num(a[1], 0));
	} else {
		usage();
	}
	return (0);
}
