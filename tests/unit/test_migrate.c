/* Unit tests for the database-free parts of fcgi/migrate.c: checksums, file
 * names, reading a migrations folder (fixtures in tests/unit/fixtures/) and
 * the plan that compares files with what the database recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "migrate.h"

#define FIX "tests/unit/fixtures/"

/* ---- migrate_checksum --------------------------------------------------- */

static void
test_checksum_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} cases[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char out[65];

		memset(out, 'X', sizeof(out));
		migrate_checksum(cases[i].in, strlen(cases[i].in), out);
		assert_string_equal(out, cases[i].hex);
	}
}

static void
test_checksum_bytes(void **state)
{
	char a[65], b[65];

	/* every byte counts: NUL, line endings, trailing newline */
	migrate_checksum("a\0b", 3, a);
	migrate_checksum("a", 1, b);
	assert_string_not_equal(a, b);
	migrate_checksum("SELECT 1;\n", 10, a);
	migrate_checksum("SELECT 1;\r\n", 11, b);
	assert_string_not_equal(a, b);
	migrate_checksum("SELECT 1;", 9, b);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);	/* lower-case hex */
}

/* ---- migrate_parse_name ------------------------------------------------- */

static void
test_parse_name(void **state)
{
	static const struct {
		const char *name;
		int ok, version;
	} cases[] = {
		{ "0001_core.sql", 1, 1 },
		{ "0002_orders_and_lines.sql", 1, 2 },
		{ "0010_v2.sql", 1, 10 },
		{ "0123_a.sql", 1, 123 },
		{ "9999_last.sql", 1, 9999 },
		{ "0001_a.sql", 1, 1 },			/* shortest: 10 characters */
		{ "0001__.sql", 1, 1 },			/* accepted: '_' is a word character */
		{ "0001_.sql", 0, 0 },			/* no name */
		{ "0001.sql", 0, 0 },
		{ "1_core.sql", 0, 0 },
		{ "001_core.sql", 0, 0 },
		{ "00001_core.sql", 0, 0 },
		{ "0001-core.sql", 0, 0 },
		{ "0001 core.sql", 0, 0 },
		{ "0001_Core.sql", 0, 0 },
		{ "0001_core-x.sql", 0, 0 },
		{ "0001_core.x.sql", 0, 0 },
		{ "0001_core.SQL", 0, 0 },
		{ "0001_core.sql~", 0, 0 },
		{ "0001_core.sql.bak", 0, 0 },
		{ "0001_core", 0, 0 },
		{ "0000_x.sql", 0, 0 },			/* versions start at 1 */
		{ "abcd_core.sql", 0, 0 },
		{ "-001_core.sql", 0, 0 },
		{ "+001_core.sql", 0, 0 },
		{ " 001_core.sql", 0, 0 },
		{ "0001_\xd0\xb6.sql", 0, 0 },
		{ "0001_a/b.sql", 0, 0 },
		{ "0001_../x.sql", 0, 0 },
		{ ".sql", 0, 0 },
		{ "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		int v = -7, ok = migrate_parse_name(cases[i].name, &v);

		if (ok != cases[i].ok)
			fail_msg("parse_name \"%s\": %d, want %d", cases[i].name, ok, cases[i].ok);
		if (ok && v != cases[i].version)
			fail_msg("parse_name \"%s\": version %d, want %d", cases[i].name, v, cases[i].version);
	}
}

static void
test_parse_name_length(void **state)
{
	char name[400];
	int v = 0;
	size_t len;

	/* struct mig.name holds 255 characters: longest accepted is 255 */
	for (len = 250; len <= 260; len++) {
		memset(name, 'a', sizeof(name));
		memcpy(name, "0042_", 5);
		memcpy(name + len - 4, ".sql", 5);
		assert_int_equal(strlen(name), len);
		assert_int_equal(migrate_parse_name(name, &v), len <= 255);
		if (len <= 255)
			assert_int_equal(v, 42);
	}
}

/* ---- migrate_plan ------------------------------------------------------- */

static struct mig
mk(int version, const char *name, const char *body)
{
	struct mig m;

	memset(&m, 0, sizeof(m));
	m.version = version;
	snprintf(m.name, sizeof(m.name), "%s", name);
	migrate_checksum(body, strlen(body), m.checksum);
	return m;
}

struct plan_case {
	const char *why;
	struct mig files[4];
	size_t nfiles;
	struct mig applied[4];
	size_t napplied;
	int want;
	const char *err_has;	/* for -1 */
};

static void
test_plan(void **state)
{
	const struct mig f1 = mk(1, "0001_core.sql", "create a"),
	    f2 = mk(2, "0002_more.sql", "create b"),
	    f3 = mk(3, "0003_last.sql", "create c"),
	    f2_edited = mk(2, "0002_more.sql", "create b -- edited"),
	    f2_renamed = mk(2, "0002_other.sql", "create b"),
	    f2_new = mk(2, "0002_late.sql", "create late");
	const struct plan_case cases[] = {
		{ "nothing at all", { { 0 } }, 0, { { 0 } }, 0, 0, NULL },
		{ "nothing applied", { f1, f2, f3 }, 3, { { 0 } }, 0, 0, NULL },
		{ "all applied", { f1, f2, f3 }, 3, { f1, f2, f3 }, 3, 3, NULL },
		{ "one pending", { f1, f2, f3 }, 3, { f1, f2 }, 2, 2, NULL },
		{ "two pending", { f1, f2, f3 }, 3, { f1 }, 1, 1, NULL },
		{ "edited", { f1, f2_edited, f3 }, 3, { f1, f2, f3 }, 3, -1, "edited" },
		{ "edited, later pending", { f1, f2_edited, f3 }, 3, { f1, f2 }, 2, -1, "edited" },
		{ "renamed", { f1, f2_renamed, f3 }, 3, { f1, f2, f3 }, 3, -1, "0002_other.sql" },
		{ "applied file missing (middle)", { f1, f3 }, 2, { f1, f2, f3 }, 3, -1, "missing" },
		{ "applied file missing (last)", { f1, f2 }, 2, { f1, f2, f3 }, 3, -1, "0003_last.sql" },
		{ "no files, some applied", { { 0 } }, 0, { f1 }, 1, -1, "missing" },
		{ "new file numbered before an applied one", { f1, f2_new, f3 }, 3, { f1, f3 }, 2, -1, "renumber" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char err[512] = "";
		int got = migrate_plan(cases[i].files, cases[i].nfiles, cases[i].applied,
		    cases[i].napplied, err, sizeof(err));

		if (got != cases[i].want)
			fail_msg("plan \"%s\": %d, want %d (%s)", cases[i].why, got, cases[i].want, err);
		if (got < 0 && strstr(err, cases[i].err_has) == NULL)
			fail_msg("plan \"%s\": message \"%s\" lacks \"%s\"", cases[i].why, err, cases[i].err_has);
	}
}

/* ---- migrate_list ------------------------------------------------------- */

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void
test_list_ok(void **state)
{
	static const struct {
		int version;
		const char *name;
	} want[] = {
		{ 1, "0001_core.sql" },
		{ 2, "0002_more_tables.sql" },
		{ 10, "0010_c2.sql" },
	};
	struct mig *m = NULL;
	size_t n = 99, i;
	char err[512] = "";

	if (migrate_list(FIX "migrations_ok", &m, &n, err, sizeof(err)) != 0)
		fail_msg("migrate_list: %s", err);
	assert_int_equal(n, N(want));	/* README.md ignored */
	for (i = 0; i < n; i++) {
		char path[512], sum[65];
		size_t len;
		char *bytes;

		assert_int_equal(m[i].version, want[i].version);
		assert_string_equal(m[i].name, want[i].name);
		snprintf(path, sizeof(path), FIX "migrations_ok/%s", m[i].name);
		bytes = slurp(path, &len);
		migrate_checksum(bytes, len, sum);
		assert_string_equal(m[i].checksum, sum);
		assert_non_null(m[i].sql);
		assert_int_equal(strlen(m[i].sql), len);
		assert_memory_equal(m[i].sql, bytes, len);
		free(bytes);
	}
	/* sha256sum of the fixture file, computed outside the code under test */
	assert_string_equal(m[0].checksum, "1bd040d6d7471a873871bd71426f4b431cb97f4f823431c019028f940d52e3c8");

	/* the folder as it is: plan against a database that has the first two */
	{
		struct mig applied[2];

		memcpy(applied, m, sizeof(applied));
		applied[0].sql = applied[1].sql = NULL;
		assert_int_equal(migrate_plan(m, n, applied, 2, err, sizeof(err)), 2);
		assert_int_equal(migrate_plan(m, n, m, n, err, sizeof(err)), (int)n);
	}
	migrate_free(m, n);
}

static void
test_list_bad(void **state)
{
	static const struct {
		const char *dir, *err_has;
	} cases[] = {
		{ FIX "migrations_dup", "share a version" },
		{ FIX "migrations_badname", "2_b.sql" },
		{ FIX "no_such_folder", "no_such_folder" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct mig *m = (struct mig *)1;
		size_t n = 99;
		char err[512] = "";

		if (migrate_list(cases[i].dir, &m, &n, err, sizeof(err)) != -1)
			fail_msg("migrate_list %s: accepted", cases[i].dir);
		if (strstr(err, cases[i].err_has) == NULL)
			fail_msg("migrate_list %s: message \"%s\" lacks \"%s\"", cases[i].dir, err, cases[i].err_has);
		assert_null(m);
		assert_int_equal(n, 0);
	}
}

/* Folders made at run time: empty (git keeps no empty folder), and one
 * with a stray editor backup. */
static void
test_list_tmp(void **state)
{
	char dir[] = "/tmp/test_migrate.XXXXXX", path[600], err[512] = "";
	struct mig *m = NULL;
	size_t n = 99;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(migrate_list(dir, &m, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	migrate_free(m, n);
	assert_int_equal(migrate_plan(NULL, 0, NULL, 0, err, sizeof(err)), 0);

	/* an empty migration file is read (and checksummed) fine */
	snprintf(path, sizeof(path), "%s/0001_empty.sql", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(migrate_list(dir, &m, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].sql, "");
	assert_string_equal(m[0].checksum, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	migrate_free(m, n);

	/* a stray "*.sql.orig" stops everything rather than being skipped */
	snprintf(path, sizeof(path), "%s/0001_empty.sql.orig", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	m = NULL;
	assert_int_equal(migrate_list(dir, &m, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0001_empty.sql.orig"));
	unlink(path);

	/* hidden files are ignored */
	snprintf(path, sizeof(path), "%s/.0002_x.sql", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(migrate_list(dir, &m, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	migrate_free(m, n);
	unlink(path);

	/* many files: the array grows past its first 16 slots, still sorted */
	{
		int v;

		for (v = 40; v >= 2; v--) {
			snprintf(path, sizeof(path), "%s/%04d_m%d.sql", dir, v, v);
			f = fopen(path, "w");
			assert_non_null(f);
			fprintf(f, "SELECT %d;\n", v);
			fclose(f);
		}
		assert_int_equal(migrate_list(dir, &m, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 40);
		for (v = 0; v < 40; v++)
			assert_int_equal(m[v].version, v + 1);
		migrate_free(m, n);
		for (v = 2; v <= 40; v++) {
			snprintf(path, sizeof(path), "%s/%04d_m%d.sql", dir, v, v);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/0001_empty.sql", dir);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* A folder named like a migration is an error with a message, not a
 * crash: on ext4 ftell() of a directory gives LLONG_MAX, malloc(LLONG_MAX+1)
 * fails and migrate_list dies with "out of memory".  Run in a child so the
 * test survives. */
static void
test_list_dir_named_sql(void **state)
{
	char dir[] = "/tmp/test_migrate.XXXXXX", sub[600];
	pid_t pid;
	int st = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/0001_dir.sql", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mig *m = NULL;
		size_t n = 0;
		char err[512];
		int rc;

		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		rc = migrate_list(dir, &m, &n, err, sizeof(err));
		_exit(rc == -1 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	rmdir(sub);
	rmdir(dir);
	KNOWN_BUG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "migrate_list on a folder holding a directory \"0001_dir.sql\": %s %d (want -1 with a message)",
	    WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/* The repository's own migrations folder must always be readable. */
static void
test_list_repo(void **state)
{
	struct mig *m = NULL;
	size_t n = 0, i;
	char err[512] = "";

	if (migrate_list("migrations", &m, &n, err, sizeof(err)) != 0)
		fail_msg("migrations/: %s", err);
	assert_true(n >= 1);
	assert_int_equal(m[0].version, 1);
	for (i = 1; i < n; i++)
		assert_true(m[i].version > m[i - 1].version);
	migrate_free(m, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_checksum_bytes),
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_parse_name_length),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_list_ok),
		cmocka_unit_test(test_list_bad),
		cmocka_unit_test(test_list_tmp),
		cmocka_unit_test(test_list_dir_named_sql),
		cmocka_unit_test(test_list_repo),
	};

	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
