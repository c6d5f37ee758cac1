#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Compare one pattern with a path.  Literal segments must be equal; a {x}
 * segment takes one UUID segment.  A non-UUID where an id is expected does
 * not match, so the request ends as 404 rather than reaching SQL. */
static int
match(const char *pat, const char *path, const char **params, int *np,
    char *scratch, size_t *used, size_t cap)
{
	int n = 0;

	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		if (*pat == '{') {
			const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
			size_t len = se ? (size_t)(se - path) : strlen(path);

			if (pe == NULL)
				pe = pat + strlen(pat);
			if (len != 36 || n == HTTP_MAX_PATH_PARAMS || *used + 37 > cap)
				return 0;
			memcpy(scratch + *used, path, 36);
			scratch[*used + 36] = '\0';
			if (!http_is_uuid(scratch + *used))
				return 0;
			params[n++] = scratch + *used;
			*used += 37;
			pat = pe;
			path += len;
		} else {
			while (*pat && *pat != '/' && *pat == *path) {
				pat++;
				path++;
			}
			if ((*pat && *pat != '/') || (*path && *path != '/'))
				return 0;
		}
	}
	if (*pat || *path)
		return 0;
	*np = n;
	return 1;
}

enum router_result
router_match(const char *method, const char *path, const struct route **out,
    const char **params, int *nparams, char *scratch, size_t scratch_len,
    char *allow, size_t allow_len)
{
	size_t i, alen = 0;
	int path_found = 0;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	allow[0] = '\0';
	for (i = 0; i < nroutes; i++) {
		const char *tmp[HTTP_MAX_PATH_PARAMS];
		size_t used = 0;
		int n = 0;

		if (!match(routes[i].pattern, path, tmp, &n, scratch, &used, scratch_len))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			memcpy(params, tmp, sizeof(tmp));
			*nparams = n;
			*out = &routes[i];
			return ROUTER_OK;
		}
		path_found = 1;
		if (strstr(allow, routes[i].method) == NULL) {
			int w = snprintf(allow + alen, allow_len - alen, "%s%s",
			    alen ? ", " : "", routes[i].method);

			if (w > 0 && (size_t)w < allow_len - alen)
				alen += (size_t)w;
		}
	}
	return path_found ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

/* A pattern is "/" or "/seg/seg..." where a segment is lowercase letters,
 * digits, '.', '_' or '-', or a whole-segment {name}; at most
 * HTTP_MAX_PATH_PARAMS names.  *shape gets the pattern with every name
 * replaced by {}, so two rows that match the same requests compare equal. */
static int
pattern_ok(const char *p, char *shape, size_t cap)
{
	size_t o = 0;
	int params = 0;

	if (p[0] != '/')
		return 0;
	if (strlen(p) >= cap)
		return 0;
	while (*p) {
		p++;		/* past '/' */
		shape[o++] = '/';
		if (*p == '{') {
			const char *e = strchr(p, '}');

			if (e == NULL || e == p + 1 || (e[1] != '/' && e[1] != '\0'))
				return 0;
			for (p++; p < e; p++)
				if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
					return 0;
			p++;
			shape[o++] = '{';
			shape[o++] = '}';
			if (++params > HTTP_MAX_PATH_PARAMS)
				return 0;
			continue;
		}
		if (*p == '\0' && o == 1)
			break;	/* the root "/" */
		if (*p == '/' || *p == '\0')
			return 0;	/* empty segment */
		for (; *p && *p != '/'; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			    *p == '.' || *p == '_' || *p == '-'))
				return 0;
			shape[o++] = *p;
		}
	}
	shape[o] = '\0';
	return 1;
}

int
router_check(const struct route *tab, size_t n, char *err, size_t errlen)
{
	char (*shapes)[256];
	size_t i, j;
	int rc = -1;

	shapes = calloc(n ? n : 1, sizeof(*shapes));
	if (shapes == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!pattern_ok(tab[i].pattern, shapes[i], sizeof(shapes[i]))) {
			snprintf(err, errlen, "route %s %s: bad pattern or parameter", tab[i].method, tab[i].pattern);
			goto out;
		}
		if (tab[i].fn == NULL || tab[i].who == 0) {
			snprintf(err, errlen, "route %s %s: no handler or caller set", tab[i].method, tab[i].pattern);
			goto out;
		}
		if ((tab[i].who & ~WHO_ANON) && !(tab[i].flags & RF_TENANT)) {
			snprintf(err, errlen, "route %s %s: signed-in callers need RF_TENANT", tab[i].method, tab[i].pattern);
			goto out;
		}
		if ((tab[i].flags & RF_TENANT) && !(tab[i].flags & RF_DB)) {
			snprintf(err, errlen, "route %s %s: RF_TENANT without RF_DB", tab[i].method, tab[i].pattern);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(tab[i].method, tab[j].method) == 0 && strcmp(shapes[i], shapes[j]) == 0) {
				snprintf(err, errlen, "route %s %s listed twice (as %s)", tab[i].method,
				    tab[i].pattern, tab[j].pattern);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(shapes);
	return rc;
}
