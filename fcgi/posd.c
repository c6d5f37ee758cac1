/* posd: the FastCGI server.  A supervisor holds the listening unix sockets and
 * keeps single-threaded worker processes alive on each (prefork, as fcgiwrap
 * and kfcgi do).  Each worker has its own PostgreSQL connection and serves one
 * request at a time in an FCGX_Accept_r loop.  SIGTERM: workers finish the
 * request in flight and exit; the supervisor waits for them.
 *
 * Two pools of the same workers, one socket each: nginx sends the
 * store-serialised writes (POST /api/orders, POST /api/sync/push) to the
 * order pool and everything else to the API pool.  The orders of one store
 * take the same rows (the day's order number, the stock levels) and run one
 * at a time in PostgreSQL; a burst of them waits in its own queue and never
 * holds up the reads, pages and health checks behind it.  Any worker can
 * serve any request: the split is only about who waits behind whom. */
#include <errno.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "router.h"
#include "server.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static void
set_signal(int sig, void (*fn)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART for SIGTERM: accept() must return so the loop can end */
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

static _Noreturn void
worker(int sock, const char *pool)
{
	FCGX_Request fr;
	struct arena a;
	struct db db;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);	/* the supervisor died before we got here */
	server_pool = pool;
	set_signal(SIGTERM, on_term, 0);
	set_signal(SIGINT, SIG_IGN, 1);	/* Ctrl-C reaches the supervisor, which stops us */
	set_signal(SIGPIPE, SIG_IGN, 1);
	/* A fixed mmap threshold: large blocks (a big catalogue pull, its
	 * PGresult) go back to the system when freed instead of staying in the
	 * heap after glibc raises the threshold to the largest block seen. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	arena_init(&a, 64 * 1024);
	db_init(&db, app.cfg.db);
	if (db_ensure(&db) < 0)
		log_warn("worker starting without database; will retry per request");
	if (FCGX_InitRequest(&fr, sock, 0) != 0)
		die("FCGX_InitRequest failed");
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		size_t big = server_handle(&fr, &a, &db) > 1024 * 1024;

		FCGX_Finish_r(&fr);
		arena_reset(&a);
		if (big)
			malloc_trim(256 * 1024);	/* hand back what a large request left free */
	}
	FCGX_Free(&fr, 1);
	arena_free(&a);
	db_close(&db);
	_exit(0);
}

struct pool {
	const char *name;
	const char *path;	/* its unix socket */
	int sock;
	int n;
	pid_t *pids;		/* 0: not running; -1: fork failed, to start again */
	double *started;
};

#define NPOOLS 2
static struct pool pools[NPOOLS];

static pid_t
spawn(struct pool *p)
{
	pid_t pid = fork();
	int k;

	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* a worker listens on its own pool's socket only */
		for (k = 0; k < NPOOLS; k++)
			if (&pools[k] != p && pools[k].sock >= 0)
				close(pools[k].sock);
		worker(p->sock, p->name);
	}
	return pid;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
pool_open(struct pool *p, const char *name, const char *path, int n)
{
	p->name = name;
	p->path = path;
	p->n = n;
	p->sock = -1;
	unlink(path);
	p->sock = FCGX_OpenSocket(path, 1024);
	if (p->sock < 0) {
		log_error("cannot listen on %s", path);
		return -1;
	}
	/* nginx (another user in production, in the socket's group) connects */
	chmod(path, 0660);
	p->pids = calloc((size_t)n, sizeof(*p->pids));
	p->started = calloc((size_t)n, sizeof(*p->started));
	if (p->pids == NULL || p->started == NULL)
		die("out of memory");
	return 0;
}

static void
pool_start(struct pool *p, int i)
{
	p->pids[i] = spawn(p);
	p->started[i] = now();
}

/* Start the workers of every pool that are not running because their fork
 * failed (all of them at start).  1 if some are still missing. */
static int
pools_fill(void)
{
	int i, k, missing = 0;

	for (k = 0; k < NPOOLS; k++)
		for (i = 0; i < pools[k].n; i++) {
			if (pools[k].pids[i] > 0)
				continue;
			pool_start(&pools[k], i);
			missing |= pools[k].pids[i] < 0;
		}
	return missing;
}

/* 1 if a worker of some pool is missing because its fork failed. */
static int
pools_missing(void)
{
	int i, k;

	for (k = 0; k < NPOOLS; k++)
		for (i = 0; i < pools[k].n; i++)
			if (pools[k].pids[i] < 0)
				return 1;
	return 0;
}

/* The worker pid of this pool has ended: start another.  1 if it was ours. */
static int
pool_reap(struct pool *p, pid_t pid, int status)
{
	int i;

	for (i = 0; i < p->n; i++) {
		if (p->pids[i] != pid)
			continue;
		if (WIFSIGNALED(status))
			log_error("%s worker %d killed by signal %d; restarting", p->name, (int)pid, WTERMSIG(status));
		else
			log_warn("%s worker %d exited with %d; restarting", p->name, (int)pid, WEXITSTATUS(status));
		p->pids[i] = 0;	/* reaped: the shutdown below must not wait for it */
		if (stopping)
			return 1;
		/* a worker that dies at once would otherwise spin the CPU */
		if (now() - p->started[i] < 1.0)
			sleep(1);
		if (!stopping)
			pool_start(p, i);
		return 1;
	}
	return 0;
}

/* Workers still running after a non-blocking reap. */
static int
pool_alive(struct pool *p)
{
	int i, alive = 0;

	for (i = 0; i < p->n; i++) {
		if (p->pids[i] <= 0)
			continue;
		if (waitpid(p->pids[i], NULL, WNOHANG) == p->pids[i])
			p->pids[i] = 0;
		else
			alive++;
	}
	return alive;
}

static void
pool_signal(struct pool *p, int sig)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->pids[i] > 0)
			kill(p->pids[i], sig);
}

static void
pool_close(struct pool *p)
{
	if (p->sock < 0)
		return;
	unlink(p->path);
	free(p->pids);
	free(p->started);
}

int
main(int argc, char **argv)
{
	char err[1024];
	int k, alive, missing;
	double deadline;

	(void)argc;
	(void)argv;
	if (config_load(&app.cfg, err, sizeof(err)) < 0 || app_load_assets(err, sizeof(err)) < 0 ||
	    router_check(routes, nroutes, err, sizeof(err)) < 0) {
		log_error("startup: %s", err);
		return 1;
	}
	if (keys_load(app.cfg.vardir, err, sizeof(err)) < 0) {
		log_error("startup: keys: %s", err);
		return 1;
	}
	if (migrate_verify(app.cfg.db, app.cfg.root, err, sizeof(err)) < 0) {
		log_error("startup: %s", err);
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	if (pool_open(&pools[0], "api", app.cfg.socket, app.cfg.workers) < 0 ||
	    pool_open(&pools[1], "order", app.cfg.order_socket, app.cfg.order_workers) < 0) {
		pool_close(&pools[0]);
		return 1;
	}
	set_signal(SIGTERM, on_term, 0);
	set_signal(SIGINT, on_term, 0);
	set_signal(SIGPIPE, SIG_IGN, 1);
	missing = pools_fill();
	log_info("posd listening on %s with %d workers and on %s with %d order workers, version %s",
	    app.cfg.socket, app.cfg.workers, app.cfg.order_socket, app.cfg.order_workers, app.cfg.version);

	while (!stopping) {
		int status;
		/* while a fork has failed, look again every second rather than
		 * waiting for a worker to end */
		pid_t pid = waitpid(-1, &status, missing ? WNOHANG : 0);

		if (pid <= 0) {
			if (pid < 0 && errno != EINTR && !missing)
				sleep(1);
			if (missing) {
				sleep(1);
				missing = pools_fill();
			}
			continue;
		}
		for (k = 0; k < NPOOLS && !pool_reap(&pools[k], pid, status); k++)
			;
		missing = pools_missing();	/* a restart's fork may have failed */
	}

	log_info("posd stopping: waiting for requests in flight");
	for (k = 0; k < NPOOLS; k++)
		pool_signal(&pools[k], SIGTERM);
	deadline = now() + 30;
	do {
		for (alive = 0, k = 0; k < NPOOLS; k++)
			alive += pool_alive(&pools[k]);
		if (alive)
			usleep(20000);
	} while (alive && now() < deadline);
	for (k = 0; k < NPOOLS; k++) {
		pool_signal(&pools[k], SIGKILL);
		pool_close(&pools[k]);
	}
	log_info("posd stopped");
	return 0;
}
