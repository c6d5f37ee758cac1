#include "router.h"

#include <stdio.h>
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

int
router_check(const struct route *tab, size_t n, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *p = tab[i].pattern;

		if (p[0] != '/' || tab[i].fn == NULL || tab[i].who == 0) {
			snprintf(err, errlen, "route %s %s: bad pattern, handler or caller set", tab[i].method, p);
			return -1;
		}
		for (; *p; p++) {
			if (*p == '{' && (p[-1] != '/' || strchr(p, '}') == NULL)) {
				snprintf(err, errlen, "route %s: bad parameter", tab[i].pattern);
				return -1;
			}
		}
		if ((tab[i].who & ~WHO_ANON) && !(tab[i].flags & RF_TENANT)) {
			snprintf(err, errlen, "route %s %s: signed-in callers need RF_TENANT", tab[i].method, tab[i].pattern);
			return -1;
		}
		if ((tab[i].flags & RF_TENANT) && !(tab[i].flags & RF_DB)) {
			snprintf(err, errlen, "route %s %s: RF_TENANT without RF_DB", tab[i].method, tab[i].pattern);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(tab[i].method, tab[j].method) == 0 &&
			    strcmp(tab[i].pattern, tab[j].pattern) == 0) {
				snprintf(err, errlen, "route %s %s listed twice", tab[i].method, tab[i].pattern);
				return -1;
			}
		}
	}
	return 0;
}
