#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

void
migrate_checksum(const char *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		die("EVP_Digest failed");
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int
migrate_parse_name(const char *name, int *version)
{
	size_t n = strlen(name), i;

	if (n < 10 || n >= sizeof(((struct mig *)0)->name) || strcmp(name + n - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	if (name[4] != '_')
		return 0;
	for (i = 5; i < n - 4; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) && name[i] != '_')
			return 0;
	*version = (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 + (name[3] - '0');
	return *version > 0;
}

static int
by_version(const void *a, const void *b)
{
	return ((const struct mig *)a)->version - ((const struct mig *)b)->version;
}

void
migrate_free(struct mig *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].sql);
	free(m);
}

int
migrate_list(const char *dir, struct mig **out, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct mig *m = NULL;
	size_t count = 0, cap = 0, i;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		FILE *f;
		long len;
		int v;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".sql") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", path);
			goto fail;
		}
		if (!migrate_parse_name(e->d_name, &v)) {
			snprintf(err, errlen, "%s/%s: name must be NNNN_lowercase_words.sql", dir, e->d_name);
			goto fail;
		}
		if (count == cap) {
			struct mig *nm;

			cap = cap ? cap * 2 : 16;
			nm = realloc(m, cap * sizeof(*m));
			if (nm == NULL)
				die("out of memory");
			m = nm;
		}
		memset(&m[count], 0, sizeof(m[count]));
		m[count].version = v;
		snprintf(m[count].name, sizeof(m[count].name), "%s", e->d_name);
		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			snprintf(err, errlen, "%s: cannot read", path);
			if (f)
				fclose(f);
			goto fail;
		}
		m[count].sql = malloc((size_t)len + 1);
		if (m[count].sql == NULL)
			die("out of memory");
		count++;
		if (fread(m[count - 1].sql, 1, (size_t)len, f) != (size_t)len) {
			fclose(f);
			snprintf(err, errlen, "%s: short read", path);
			goto fail;
		}
		fclose(f);
		m[count - 1].sql[len] = '\0';
		migrate_checksum(m[count - 1].sql, (size_t)len, m[count - 1].checksum);
	}
	closedir(d);
	d = NULL;
	if (count > 1)
		qsort(m, count, sizeof(*m), by_version);
	for (i = 1; i < count; i++) {
		if (m[i].version == m[i - 1].version) {
			snprintf(err, errlen, "%s and %s share a version number", m[i - 1].name, m[i].name);
			goto fail;
		}
	}
	*out = m;
	*n = count;
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	migrate_free(m, count);
	return -1;
}

int
migrate_plan(const struct mig *files, size_t nfiles, const struct mig *applied,
    size_t napplied, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < napplied; i++) {
		if (i >= nfiles || files[i].version != applied[i].version) {
			/* applied[i] has no file at position i: removed, or a file
			 * with a lower number was added after later ones landed */
			if (i < nfiles && files[i].version < applied[i].version)
				snprintf(err, errlen, "migration %s is new but numbered before the applied %s: renumber it",
				    files[i].name, applied[i].name);
			else
				snprintf(err, errlen, "migration %s was applied but its file is missing",
				    applied[i].name);
			return -1;
		}
		if (strcmp(files[i].name, applied[i].name) != 0) {
			snprintf(err, errlen, "migration %04d was applied as %s but the file is now %s",
			    applied[i].version, applied[i].name, files[i].name);
			return -1;
		}
		if (strcmp(files[i].checksum, applied[i].checksum) != 0) {
			snprintf(err, errlen, "migration %s was edited after it was applied "
			    "(checksum %.12s, recorded %.12s); add a new migration instead",
			    files[i].name, files[i].checksum, applied[i].checksum);
			return -1;
		}
	}
	return (int)napplied;
}

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static int
read_applied(PGconn *c, struct mig **out, size_t *n, char *err, size_t errlen)
{
	PGresult *res = PQexec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
	int i, rows;
	struct mig *m;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_migrations: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	rows = PQntuples(res);
	m = calloc((size_t)rows + 1, sizeof(*m));
	if (m == NULL)
		die("out of memory");
	for (i = 0; i < rows; i++) {
		m[i].version = atoi(PQgetvalue(res, i, 0));
		snprintf(m[i].name, sizeof(m[i].name), "%s", PQgetvalue(res, i, 1));
		snprintf(m[i].checksum, sizeof(m[i].checksum), "%s", PQgetvalue(res, i, 2));
	}
	PQclear(res);
	*out = m;
	*n = (size_t)rows;
	return 0;
}

static int
exec_ok(PGconn *c, const char *sql, char *err, size_t errlen, const char *what)
{
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

int
migrate_run(const char *conninfo, const char *root, char *err, size_t errlen)
{
	char dir[4096];
	struct mig *files = NULL, *applied = NULL;
	size_t nfiles = 0, napplied = 0, i;
	PGconn *c;
	int first, done = -1;

	snprintf(dir, sizeof(dir), "%s/migrations", root);
	if (migrate_list(dir, &files, &nfiles, err, errlen) < 0)
		return -1;
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "connect: %s", PQerrorMessage(c));
		goto out;
	}
	/* one migrator at a time, whatever host runs it */
	if (exec_ok(c, "SET client_min_messages = warning", err, errlen, "set") < 0 ||
	    exec_ok(c, "SELECT pg_advisory_lock(727001)", err, errlen, "lock") < 0 ||
	    exec_ok(c, create_table, err, errlen, "schema_migrations") < 0 ||
	    read_applied(c, &applied, &napplied, err, errlen) < 0)
		goto out;
	first = migrate_plan(files, nfiles, applied, napplied, err, errlen);
	if (first < 0)
		goto out;
	for (i = (size_t)first; i < nfiles; i++) {
		char v[16];
		const char *vals[3] = { v, files[i].name, files[i].checksum };
		PGresult *res;

		snprintf(v, sizeof(v), "%d", files[i].version);
		if (exec_ok(c, "BEGIN", err, errlen, "begin") < 0)
			goto out;
		if (exec_ok(c, files[i].sql, err, errlen, files[i].name) < 0) {
			PQclear(PQexec(c, "ROLLBACK"));
			goto out;
		}
		res = PQexecParams(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
		    3, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "recording %s: %s", files[i].name, PQresultErrorMessage(res));
			PQclear(res);
			PQclear(PQexec(c, "ROLLBACK"));
			goto out;
		}
		PQclear(res);
		if (exec_ok(c, "COMMIT", err, errlen, "commit") < 0)
			goto out;
		log_info("migration applied: %s", files[i].name);
	}
	done = (int)nfiles - first;
out:
	PQfinish(c);
	migrate_free(files, nfiles);
	free(applied);
	return done;
}

int
migrate_verify(const char *conninfo, const char *root, char *err, size_t errlen)
{
	char dir[4096];
	struct mig *files = NULL, *applied = NULL;
	size_t nfiles = 0, napplied = 0;
	PGconn *c;
	int rc = -1, first;

	snprintf(dir, sizeof(dir), "%s/migrations", root);
	if (migrate_list(dir, &files, &nfiles, err, errlen) < 0)
		return -1;
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		log_warn("cannot check migrations now (database unreachable): %s", PQerrorMessage(c));
		rc = 0;
		goto out;
	}
	if (read_applied(c, &applied, &napplied, err, errlen) < 0)
		goto out;
	first = migrate_plan(files, nfiles, applied, napplied, err, errlen);
	if (first < 0)
		goto out;
	if ((size_t)first < nfiles) {
		snprintf(err, errlen, "%zu migration(s) pending, first %s: run `posctl migrate`",
		    nfiles - (size_t)first, files[first].name);
		goto out;
	}
	rc = 0;
out:
	PQfinish(c);
	migrate_free(files, nfiles);
	free(applied);
	return rc;
}
