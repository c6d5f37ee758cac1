/* posd: the FastCGI server.  A supervisor holds the listening unix socket and
 * keeps N single-threaded worker processes alive (prefork, as fcgiwrap and
 * kfcgi do).  Each worker has its own PostgreSQL connection and serves one
 * request at a time in an FCGX_Accept_r loop.  SIGTERM: workers finish the
 * request in flight and exit; the supervisor waits for them. */
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
worker(int sock)
{
	FCGX_Request fr;
	struct arena a;
	struct db db;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);	/* the supervisor died before we got here */
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

static pid_t
spawn(int sock)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		worker(sock);
	return pid;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char err[1024];
	pid_t *pids;
	double *started;
	int sock, i, alive;
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
	unlink(app.cfg.socket);
	sock = FCGX_OpenSocket(app.cfg.socket, 1024);
	if (sock < 0) {
		log_error("cannot listen on %s", app.cfg.socket);
		return 1;
	}
	/* nginx (another user in production, in the socket's group) connects */
	chmod(app.cfg.socket, 0660);

	pids = calloc((size_t)app.cfg.workers, sizeof(*pids));
	started = calloc((size_t)app.cfg.workers, sizeof(*started));
	if (pids == NULL || started == NULL)
		die("out of memory");
	set_signal(SIGTERM, on_term, 0);
	set_signal(SIGINT, on_term, 0);
	set_signal(SIGPIPE, SIG_IGN, 1);
	for (i = 0; i < app.cfg.workers; i++) {
		pids[i] = spawn(sock);
		started[i] = now();
	}
	log_info("posd listening on %s with %d workers, version %s", app.cfg.socket,
	    app.cfg.workers, app.cfg.version);

	while (!stopping) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0) {
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		for (i = 0; i < app.cfg.workers; i++) {
			if (pids[i] != pid)
				continue;
			if (WIFSIGNALED(status))
				log_error("worker %d killed by signal %d; restarting", (int)pid, WTERMSIG(status));
			else
				log_warn("worker %d exited with %d; restarting", (int)pid, WEXITSTATUS(status));
			pids[i] = 0;	/* reaped: the shutdown below must not wait for it */
			if (stopping)
				break;
			/* a worker that dies at once would otherwise spin the CPU */
			if (now() - started[i] < 1.0)
				sleep(1);
			if (stopping)
				break;
			pids[i] = spawn(sock);
			started[i] = now();
		}
	}

	log_info("posd stopping: waiting for requests in flight");
	for (i = 0; i < app.cfg.workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	deadline = now() + 30;
	do {
		alive = 0;
		for (i = 0; i < app.cfg.workers; i++) {
			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
				pids[i] = 0;
			else
				alive++;
		}
		if (alive)
			usleep(20000);
	} while (alive && now() < deadline);
	for (i = 0; i < app.cfg.workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	unlink(app.cfg.socket);
	free(pids);
	free(started);
	log_info("posd stopped");
	return 0;
}
