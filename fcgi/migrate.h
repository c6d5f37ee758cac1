/* Schema migrations: migrations/NNNN_name.sql applied in order, each in its
 * own transaction, recorded with a SHA-256 checksum.  A landed migration that
 * was edited or removed stops everything: schema drift is never silent. */
#ifndef POS_MIGRATE_H
#define POS_MIGRATE_H

#include <stddef.h>

struct mig {
	int version;
	char name[256];		/* file name, e.g. "0001_core.sql" */
	char checksum[65];	/* hex SHA-256 of the file's bytes */
	char *sql;		/* file contents (files only; malloc'd) */
};

void migrate_checksum(const char *data, size_t n, char out[65]);
/* 1 if name looks like NNNN_words.sql and sets *version. */
int migrate_parse_name(const char *name, int *version);
/* Read migrations/ (sorted by version).  Caller frees with migrate_free. */
int migrate_list(const char *dir, struct mig **out, size_t *n, char *err, size_t errlen);
void migrate_free(struct mig *m, size_t n);
/* Compare files with what the database recorded (both sorted by version).
 * Returns the index of the first file still to apply (nfiles if none), or -1
 * with err: an edited, renamed, missing or out-of-order migration. */
int migrate_plan(const struct mig *files, size_t nfiles, const struct mig *applied,
    size_t napplied, char *err, size_t errlen);
/* Apply pending migrations as the owner role.  Returns the number applied or -1. */
int migrate_run(const char *conninfo, const char *root, char *err, size_t errlen);
/* For the workers at start: refuse (-1) when a landed migration was edited or
 * some are pending; 0 when in step or when the database is unreachable (the
 * workers then answer 503 until it returns). */
int migrate_verify(const char *conninfo, const char *root, char *err, size_t errlen);

#endif
