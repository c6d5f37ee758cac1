/*
 * hello — the bare libfcgi hello-world: the ceiling of the architecture.
 *
 * scripts/bench.sh runs it behind the same nginx as the real workers
 * (location /__bench/hello) and compares GET /api/version against it: what the
 * workers lose to hello is what our own code costs per request.
 *
 * Same shape as posd: one listening unix socket, N prefork processes, each
 * single-threaded in an FCGX_Accept_r loop. No supervisor: a child that dies is
 * not replaced (the benchmark would notice the drop).
 *
 *   hello SOCKET [PROCESSES]   PROCESSES defaults to $WORKERS, else 4
 *
 * Build: cc -O2 -o build/bench/hello bench/hello.c $(pkg-config --cflags --libs fcgi)
 * SIGTERM or SIGINT to the parent stops the children (each finishes its request
 * in flight), removes the socket and exits.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define HELLO_MAX_PROCS 256
#define HELLO_BACKLOG 1024

static const char hello_reply[] =
    "Content-Type: application/json\r\n"
    "Content-Length: 17\r\n"
    "\r\n"
    "{\"hello\":\"world\"}";

static volatile sig_atomic_t stop_requested;

/* Child: let the request in flight finish; make a blocked accept() return. */
static void on_child_term(int sig)
{
    (void)sig;
    stop_requested = 1;
    FCGX_ShutdownPending();
}

static void on_parent_term(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* No SA_RESTART: accept() must fail with EINTR so libfcgi sees the shutdown. */
static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static int serve(int listen_fd)
{
    FCGX_Request req;

    set_handler(SIGTERM, on_child_term);
    set_handler(SIGINT, on_child_term);
    signal(SIGPIPE, SIG_IGN);
    /* The children must not outlive the parent (e.g. after kill -9). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        return 0;

    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        return 1;
    while (!stop_requested && FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(hello_reply, (int)(sizeof hello_reply - 1), req.out);
        FCGX_Finish_r(&req);
    }
    FCGX_Free(&req, 1);
    return 0;
}

static long parse_count(const char *s)
{
    char *end;
    long n;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > HELLO_MAX_PROCS)
        return -1;
    return n;
}

int main(int argc, char **argv)
{
    pid_t kids[HELLO_MAX_PROCS];
    const char *path;
    long nprocs;
    int fd, i, status;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SOCKET [PROCESSES]\n", argv[0]);
        return 2;
    }
    path = argv[1];
    nprocs = argc == 3 ? parse_count(argv[2]) : parse_count(getenv("WORKERS"));
    if (argc == 3 && nprocs < 0) {
        fprintf(stderr, "hello: PROCESSES must be 1..%d\n", HELLO_MAX_PROCS);
        return 2;
    }
    if (nprocs < 0)
        nprocs = 4;

    if (FCGX_Init() != 0) {
        fprintf(stderr, "hello: FCGX_Init failed\n");
        return 1;
    }
    unlink(path);
    fd = FCGX_OpenSocket(path, HELLO_BACKLOG);
    if (fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s\n", path);
        return 1;
    }
    /* nginx runs as root locally; 0660 keeps other users out. */
    if (chmod(path, 0660) != 0) {
        perror("hello: chmod");
        return 1;
    }

    set_handler(SIGTERM, on_parent_term);
    set_handler(SIGINT, on_parent_term);
    for (i = 0; i < nprocs; i++) {
        kids[i] = fork();
        if (kids[i] < 0) {
            perror("hello: fork");
            nprocs = i;
            stop_requested = 1;
            break;
        }
        if (kids[i] == 0)
            _exit(serve(fd));
    }

    /* Wait for a signal, or for every child to be gone. */
    while (!stop_requested) {
        pid_t pid = wait(&status);
        if (pid < 0 && errno == ECHILD)
            break;
    }
    for (i = 0; i < nprocs; i++)
        kill(kids[i], SIGTERM);
    while (wait(&status) > 0 || errno == EINTR)
        ;
    unlink(path);
    return 0;
}
