/* posev: the event-stream server (GET /api/events), apart from the API
 * workers so that open streams never take a worker the API needs.
 *
 * One listener thread holds a PostgreSQL connection that LISTENs on
 * pos_events (orders and kitchen changes NOTIFY there on commit) and puts
 * each event into a ring; stream threads, one per open stream, wait on a
 * condition variable and send the events of their store.  A comment line
 * every 15 s keeps nginx and phones from closing an idle stream; Last-Event-ID
 * resumes from the ring.  A folder thread, on a connection of its own, folds
 * new orders into the report rollups once a second when the database has that
 * function: a long fold (a restore, an import of a big batch) never holds up
 * the events. */
#include <errno.h>
#include <fcgiapp.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "auth.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "i18n.h"
#include "keys.h"
#include "log.h"
#include "router.h"

#define RING 4096
#define KEEPALIVE_SECONDS 15

struct event {
	unsigned long long id;
	char tenant[37];
	char store[37];
	char data[512];
};

static struct event ring[RING];
static unsigned long long last_id;
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stopping;
static int listen_sock;

/* The rules of GET /api/events (who may open a stream) are its row in the
 * one route table; posd only answers that row when nginx is bypassed. */
static const struct route *events_route;

/* ---- the listener: NOTIFY → ring ---- */

static void
push_event(const char *payload)
{
	json_t *j = json_loads(payload, 0, NULL), *out;
	const char *tenant, *store;
	char *data;

	if (j == NULL)
		return;
	tenant = json_string_value(json_object_get(j, "tenant"));
	store = json_string_value(json_object_get(j, "store"));
	if (tenant == NULL || store == NULL || !http_is_uuid(tenant) || !http_is_uuid(store)) {
		json_decref(j);
		return;
	}
	/* the stream carries what API.md names: type, id, kitchen_status */
	out = json_pack("{s:O?, s:O?, s:O?}", "type", json_object_get(j, "type"), "id",
	    json_object_get(j, "id"), "kitchen_status", json_object_get(j, "kitchen_status"));
	data = out ? json_dumps(out, JSON_COMPACT) : NULL;
	if (data != NULL && strlen(data) < sizeof(ring[0].data)) {
		struct event *e;

		pthread_mutex_lock(&ring_mu);
		e = &ring[++last_id % RING];
		e->id = last_id;
		memcpy(e->tenant, tenant, 37);
		memcpy(e->store, store, 37);
		strcpy(e->data, data);
		pthread_cond_broadcast(&ring_cv);
		pthread_mutex_unlock(&ring_mu);
	}
	free(data);
	json_decref(out);
	json_decref(j);
}

static void *
listener(void *arg)
{
	PGconn *c = NULL;

	(void)arg;
	while (!stopping) {
		struct pollfd pfd;
		PGnotify *n;

		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			PGresult *res;

			if (c != NULL)
				PQfinish(c);
			c = PQconnectdb(app.cfg.db);
			if (PQstatus(c) != CONNECTION_OK) {
				log_warn("events: database unreachable; retrying");
				PQfinish(c);
				c = NULL;
				sleep(1);
				continue;
			}
			res = PQexec(c, "LISTEN pos_events");
			PQclear(res);
			log_info("events: listening");
		}
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			continue;
		if (!PQconsumeInput(c)) {
			log_warn("events: connection lost: %s", PQerrorMessage(c));
			continue;
		}
		while ((n = PQnotifies(c)) != NULL) {
			push_event(n->extra);
			PQfreemem(n);
		}
	}
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

/* ---- the folder: new orders → report rollups, about once a second ---- */

/* The folder's connection, for cancelling a fold in flight at stop. */
static PGcancel *fold_cancel;
static pthread_mutex_t fold_mu = PTHREAD_MUTEX_INITIALIZER;

static void
folder_conn(PGconn *c)
{
	pthread_mutex_lock(&fold_mu);
	if (fold_cancel != NULL)
		PQfreeCancel(fold_cancel);
	fold_cancel = c != NULL ? PQgetCancel(c) : NULL;
	pthread_mutex_unlock(&fold_mu);
}

/* Stop: a fold waiting on a lock (or folding a huge batch) is rolled back,
 * whole; the next posev folds it again. */
static void
folder_cancel(void)
{
	char err[256];

	pthread_mutex_lock(&fold_mu);
	if (fold_cancel != NULL && !PQcancel(fold_cancel, err, sizeof(err)))
		log_warn("events: cancelling the rollup fold: %s", err);
	pthread_mutex_unlock(&fold_mu);
}

static void *
folder(void *arg)
{
	PGconn *c = NULL;
	int fold = -1;	/* unknown until asked */
	time_t asked = 0;

	(void)arg;
	while (!stopping) {
		struct timespec t0, t1;
		PGresult *res;
		double ms;

		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			folder_conn(NULL);
			if (c != NULL)
				PQfinish(c);
			c = PQconnectdb(app.cfg.db);
			if (PQstatus(c) != CONNECTION_OK) {
				PQfinish(c);
				c = NULL;
				sleep(1);
				continue;
			}
			folder_conn(c);
			fold = -1;
		}
		/* ask again now and then: the function may arrive with a migration */
		if (fold < 0 || (fold == 0 && time(NULL) - asked >= 60)) {
			res = PQexec(c, "SELECT to_regprocedure('rollup_fold_all(integer)') IS NOT NULL");
			fold = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
			PQclear(res);
			asked = time(NULL);
		}
		if (fold > 0 && !stopping) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			res = PQexec(c, "SELECT rollup_fold_all(1000)");
			if (PQresultStatus(res) != PGRES_TUPLES_OK && !stopping)
				log_warn("events: rollup fold failed: %s", PQresultErrorMessage(res));
			PQclear(res);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
			if (ms > 1000)
				log_info("events: rollup fold took %.0f ms", ms);
		}
		sleep(1);
	}
	folder_conn(NULL);
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

/* ---- streams ---- */

static int
put(FCGX_Request *fr, const char *s, size_t n)
{
	return FCGX_PutStr(s, (int)n, fr->out) == (int)n && FCGX_FFlush(fr->out) == 0 ? 0 : -1;
}

static void
send_reply(FCGX_Request *fr, struct req *r)
{
	struct buf out;

	buf_init(&out, r->a, r->resp.body.len + 512);
	resp_header(r, "Cache-Control", "no-store");
	resp_serialize(r, &out, 0);
	FCGX_PutStr(out.p, (int)out.len, fr->out);
}

/* Resolve the caller like the workers do: token (header, or access_token in
 * the query for EventSource, which cannot send headers) or page session. */
static int
authorise(FCGX_Request *fr, struct req *r)
{
	struct db db;
	const char *tok = kv_get(&r->query_params, "access_token");
	int ok;

	if (tok != NULL && r->authorization == NULL)
		r->authorization = arena_printf(r->a, "Bearer %s", tok);
	r->route = events_route;
	if (!auth_resolve(r))
		return 0;
	db_init(&db, app.cfg.db);
	r->db = &db;
	if (db_begin(r, r->who.tenant_id) < 0) {
		db_fail(r);
		db_close(&db);
		return 0;
	}
	ok = auth_verify_db(r);
	if (ok && db_commit(r) < 0) {
		db_fail(r);
		ok = 0;
	}
	db_end_request(&db);
	db_close(&db);
	r->db = NULL;
	if (ok && r->who.store_id == NULL) {
		resp_error(r, 403, "forbidden", NULL);	/* no store: nothing to follow */
		ok = 0;
	}
	(void)fr;
	return ok;
}

static void
serve_stream(FCGX_Request *fr, struct arena *a)
{
	struct req req, *r = &req;
	const char *method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	const char *q = FCGX_GetParam("QUERY_STRING", fr->envp);
	char tenant[37], store[37], *chunk;
	unsigned long long last;
	size_t cap = 64 * 1024;
	static const char head[] =
	    "Status: 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\n\r\n"
	    "retry: 2000\n: connected\n\n";

	memset(r, 0, sizeof(*r));
	r->a = a;
	r->lang = "ru";
	r->method = method ? method : "GET";
	r->path = "/api/events";
	r->request_id = FCGX_GetParam("REQUEST_ID", fr->envp);
	r->remote_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	r->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp);
	r->user_agent = FCGX_GetParam("HTTP_USER_AGENT", fr->envp);
	r->accept_language = FCGX_GetParam("HTTP_ACCEPT_LANGUAGE", fr->envp);
	buf_init(&r->resp.body, a, 512);
	r->resp.status = 200;
	if (http_parse_cookies(a, FCGX_GetParam("HTTP_COOKIE", fr->envp), &r->cookies) < 0)
		r->cookies.n = 0;
	if (q != NULL && http_parse_urlencoded(a, q, strlen(q), &r->query_params) < 0) {
		resp_error(r, 400, "bad_request", NULL);
		send_reply(fr, r);
		return;
	}
	if (strcmp(r->method, "GET") != 0) {
		resp_header(r, "Allow", "GET");
		resp_error(r, 405, "method_not_allowed", NULL);
		send_reply(fr, r);
		return;
	}
	if (!authorise(fr, r)) {
		if (r->resp.status == 303)
			resp_error(r, 401, "unauthorized", NULL);	/* a stream is no page */
		send_reply(fr, r);
		return;
	}
	snprintf(tenant, sizeof(tenant), "%s", r->who.tenant_id);
	snprintf(store, sizeof(store), "%s", r->who.store_id);
	chunk = arena_alloc(a, cap);
	pthread_mutex_lock(&ring_mu);
	last = events_last_id(FCGX_GetParam("HTTP_LAST_EVENT_ID", fr->envp));
	if (last == 0 || last > last_id)
		last = last_id;		/* new stream: from now on */
	else if (last_id - last >= RING)
		last = last_id - RING + 1;	/* too far behind: the page reloads its tickets anyway */
	pthread_mutex_unlock(&ring_mu);
	log_info("events: stream open for store %s (user %s, device %s)", store,
	    r->who.user_id ? r->who.user_id : "-", r->who.device_id ? r->who.device_id : "-");
	if (put(fr, head, sizeof(head) - 1) < 0)
		return;
	while (!stopping) {
		size_t len = 0;
		struct timespec until;
		int timed_out = 0;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += KEEPALIVE_SECONDS;
		pthread_mutex_lock(&ring_mu);
		while (last == last_id && !stopping && !timed_out)
			timed_out = pthread_cond_timedwait(&ring_cv, &ring_mu, &until) == ETIMEDOUT;
		/* copy out under the lock, write after it */
		while (last < last_id && len + 700 < cap) {
			struct event *e = &ring[++last % RING];
			int n;

			if (e->id != last || strcmp(e->tenant, tenant) != 0 || strcmp(e->store, store) != 0)
				continue;
			n = events_format(chunk + len, cap - len, e->id, e->data);
			if (n > 0)
				len += (size_t)n;
		}
		pthread_mutex_unlock(&ring_mu);
		if (len == 0 && timed_out) {
			static const char ka[] = ": keep-alive\n\n";

			if (put(fr, ka, sizeof(ka) - 1) < 0)
				break;
		} else if (len > 0 && put(fr, chunk, len) < 0) {
			break;	/* the client went away */
		}
	}
	log_info("events: stream closed for store %s", store);
}

static void *
stream_thread(void *arg)
{
	FCGX_Request fr;
	struct arena a;

	(void)arg;
	arena_init(&a, 64 * 1024);
	if (FCGX_InitRequest(&fr, listen_sock, 0) != 0)
		die("FCGX_InitRequest failed");
	while (!stopping) {
		int rc;

		pthread_mutex_lock(&accept_mu);
		rc = FCGX_Accept_r(&fr);
		pthread_mutex_unlock(&accept_mu);
		if (rc < 0)
			break;
		serve_stream(&fr, &a);
		FCGX_Finish_r(&fr);
		arena_reset(&a);
	}
	arena_free(&a);
	return NULL;
}

int
main(void)
{
	char err[1024], path[4096];
	int threads, i, sig;
	pthread_t lt, ft, *ts;
	sigset_t set;

	if (config_load(&app.cfg, err, sizeof(err)) < 0 || keys_load(app.cfg.vardir, err, sizeof(err)) < 0) {
		log_error("startup: %s", err);
		return 1;
	}
	threads = app.cfg.event_threads;
	for (i = 0; i < (int)nroutes; i++)
		if (strcmp(routes[i].pattern, "/api/events") == 0)
			events_route = &routes[i];
	if (events_route == NULL)
		die("no /api/events row in the route table");
	/* messages for error replies */
	{
		struct i18n *cat;

		snprintf(path, sizeof(path), "%s/templates/i18n", app.cfg.root);
		cat = i18n_load(path, err, sizeof(err));
		app.cat = cat;
	}
	/* event ids keep growing across restarts, so a client's Last-Event-ID
	 * from before a restart never looks like one from the future */
	last_id = (unsigned long long)time(NULL) * 1000ULL;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		die("FCGX_Init failed");
	snprintf(path, sizeof(path), "%s/run/events.sock", app.cfg.vardir);
	if (getenv("POS_EVENTS_SOCKET") != NULL)
		snprintf(path, sizeof(path), "%s", getenv("POS_EVENTS_SOCKET"));
	unlink(path);
	listen_sock = FCGX_OpenSocket(path, 256);
	if (listen_sock < 0) {
		log_error("cannot listen on %s", path);
		return 1;
	}
	chmod(path, 0660);
	if (pthread_create(&lt, NULL, listener, NULL) != 0 || pthread_create(&ft, NULL, folder, NULL) != 0)
		die("pthread_create");
	ts = calloc((size_t)threads, sizeof(*ts));
	if (ts == NULL)
		die("out of memory");
	for (i = 0; i < threads; i++)
		if (pthread_create(&ts[i], NULL, stream_thread, NULL) != 0)
			die("pthread_create");
	log_info("posev listening on %s with %d stream threads", path, threads);
	sigwait(&set, &sig);
	log_info("posev stopping");
	stopping = 1;
	pthread_mutex_lock(&ring_mu);
	pthread_cond_broadcast(&ring_cv);
	pthread_mutex_unlock(&ring_mu);
	/* wakes the threads blocked in accept() */
	shutdown(listen_sock, SHUT_RDWR);
	close(listen_sock);
	unlink(path);
	pthread_join(lt, NULL);
	folder_cancel();
	pthread_join(ft, NULL);
	usleep(200000);	/* streams see the flag and end */
	free(ts);
	return 0;
}
