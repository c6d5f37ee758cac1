# Shared by run.sh, test.sh and bench.sh (sourced, not run): the local stack
# of a private PostgreSQL cluster, the FastCGI workers and nginx, all under
# $VARDIR.  Expects ROOT, VARDIR, PORT, WORKERS, ORDER_WORKERS (defaults below).

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VARDIR=${VARDIR:-$ROOT/var}
PORT=${PORT:-8080}
WORKERS=${WORKERS:-4}
ORDER_WORKERS=${ORDER_WORKERS:-4}
POS_SIGNUP=${POS_SIGNUP:-licence}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGDATA=$VARDIR/pg
PGSOCK=$VARDIR/pgrun
export POS_ROOT=$ROOT POS_VARDIR=$VARDIR POS_SOCKET=$VARDIR/run/pos.sock
export POS_ORDER_SOCKET=$VARDIR/run/orders.sock
export POS_DB="host=$PGSOCK dbname=pos user=pos_app"
export POS_DB_ADMIN="host=$PGSOCK dbname=pos user=pos_owner"
export POS_WORKERS=$WORKERS POS_ORDER_WORKERS=$ORDER_WORKERS POS_SIGNUP

say() { printf '%s\n' "$*" >&2; }

# initdb and postgres refuse to run as root: the cluster runs as the
# postgres user, which must be able to reach $VARDIR.
pg_make_reachable() {
	local d=$VARDIR
	while [ "$d" != / ]; do
		if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
			say "stack: granting traverse (o+x) on $d so PostgreSQL can reach its data folder"
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

pg_running() {
	[ -f "$PGDATA/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

pg_up() {
	mkdir -p "$VARDIR/log" "$VARDIR/run" "$PGSOCK"
	pg_make_reachable
	chown postgres:postgres "$PGSOCK"
	chmod 700 "$PGSOCK"
	touch "$VARDIR/log/postgres.log"
	chown postgres:postgres "$VARDIR/log/postgres.log"
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		say "stack: initdb $PGDATA"
		mkdir -p "$PGDATA"
		chown postgres:postgres "$PGDATA"
		chmod 700 "$PGDATA"
		runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 >"$VARDIR/log/initdb.log" 2>&1 || { cat "$VARDIR/log/initdb.log" >&2; return 1; }
		# no TCP at all: only the unix socket in a folder only postgres and root reach
		cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PGSOCK'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
max_parallel_workers_per_gather = 0
log_min_duration_statement = 1000
log_line_prefix = '%m [%p] %u@%d '
CONF
	fi
	# the socket folder is recorded at initdb; keep it right if VARDIR moved
	sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$PGSOCK'|" "$PGDATA/postgresql.conf"
	if [ "${POS_PG_FAST:-0}" = 1 ]; then
		# throwaway test clusters: durability is not wanted, speed is
		set -- -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	else
		set --
	fi
	if ! pg_running; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$VARDIR/log/postgres.log" \
			-w -t 60 "$@" start >/dev/null || { tail -20 "$VARDIR/log/postgres.log" >&2; return 1; }
	fi
	psql -X -q -h "$PGSOCK" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-f "$ROOT/scripts/db-roles.sql" >/dev/null
}

pg_down() {
	if pg_running; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || true
	fi
}

migrate() {
	"${POSCTL:-$ROOT/build/posctl}" migrate
}

workers_up() {
	local bin=${1:-$ROOT/build/posd} i
	mkdir -p "$VARDIR/run" "$VARDIR/log"
	rm -f "$POS_SOCKET" "$POS_ORDER_SOCKET"
	"$bin" >>"$VARDIR/log/posd.log" 2>&1 &
	echo $! >"$VARDIR/run/posd.pid"
	# the order pool's socket is opened second: both are there when it is
	for i in $(seq 1 100); do
		[ -S "$POS_ORDER_SOCKET" ] && return 0
		if ! kill -0 "$(cat "$VARDIR/run/posd.pid")" 2>/dev/null; then
			say "stack: posd exited; last log lines:"
			tail -20 "$VARDIR/log/posd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	say "stack: posd did not open $POS_SOCKET and $POS_ORDER_SOCKET"
	return 1
}

# posev: the event streams, a process of its own beside the workers
events_up() {
	local bin=${1:-$ROOT/build/posev} i
	rm -f "$VARDIR/run/events.sock"
	"$bin" >>"$VARDIR/log/posev.log" 2>&1 &
	echo $! >"$VARDIR/run/posev.pid"
	for i in $(seq 1 100); do
		[ -S "$VARDIR/run/events.sock" ] && return 0
		sleep 0.1
	done
	say "stack: posev did not open its socket"
	tail -20 "$VARDIR/log/posev.log" >&2
	return 1
}

events_down() {
	local pid i
	[ -f "$VARDIR/run/posev.pid" ] || return 0
	pid=$(cat "$VARDIR/run/posev.pid")
	if kill -TERM "$pid" 2>/dev/null; then
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$VARDIR/run/posev.pid"
}

workers_down() {
	local pid i
	[ -f "$VARDIR/run/posd.pid" ] || return 0
	pid=$(cat "$VARDIR/run/posd.pid")
	if kill -TERM "$pid" 2>/dev/null; then
		for i in $(seq 1 400); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$VARDIR/run/posd.pid"
}

nginx_conf() {
	mkdir -p "$VARDIR/nginx" "$VARDIR/log"
	local f
	for f in "$ROOT"/nginx/local.conf.in "$ROOT"/nginx/snippets/*.conf; do
		[ -f "$f" ] || continue
		local out=$VARDIR/nginx/$(basename "${f%.in}")
		[ "$(basename "$f")" = local.conf.in ] && out=$VARDIR/nginx/nginx.conf
		sed -e "s|@PORT@|$PORT|g" -e "s|@ROOT@|$ROOT|g" -e "s|@VARDIR@|$VARDIR|g" \
			-e "s|@SOCKET@|$POS_SOCKET|g" -e "s|@ORDER_SOCKET@|$POS_ORDER_SOCKET|g" "$f" >"$out"
	done
}

nginx_up() {
	nginx_conf
	nginx -p "$VARDIR/nginx" -c "$VARDIR/nginx/nginx.conf" -t -q 2>&1 | grep -v 'test is successful' >&2 || true
	nginx -p "$VARDIR/nginx" -c "$VARDIR/nginx/nginx.conf"
}

nginx_down() {
	local pidf=$VARDIR/nginx/nginx.pid i
	[ -f "$pidf" ] || return 0
	nginx -p "$VARDIR/nginx" -c "$VARDIR/nginx/nginx.conf" -s quit 2>/dev/null || kill "$(cat "$pidf")" 2>/dev/null || true
	for i in $(seq 1 100); do
		[ -f "$pidf" ] || return 0
		sleep 0.1
	done
	kill -KILL "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || true
	rm -f "$pidf"
}

wait_http() {
	local url=$1 i
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	say "stack: $url did not answer"
	return 1
}

stack_up() {
	pg_up
	migrate
	[ "${POS_DEMO:-1}" = 1 ] && "${POSCTL:-$ROOT/build/posctl}" seed-demo >&2
	workers_up "${1:-$ROOT/build/posd}"
	events_up "$(dirname "${1:-$ROOT/build/posd}")/posev"
	nginx_up
	wait_http "http://127.0.0.1:$PORT/healthz"
}

stack_down() {
	nginx_down
	events_down
	workers_down
	pg_down
}

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
