#include "app.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "i18n.h"
#include "log.h"
#include "tmpl.h"

#ifndef POS_VERSION
#define POS_VERSION "dev"
#endif

struct app app;

/* Values from the config file, kept for the life of the process. */
static char *file_vals[32][2];
static int nfile_vals;

static const char *
lookup(const char *key, const char *def)
{
	const char *v = getenv(key);
	int i;

	if (v != NULL && *v != '\0')
		return v;
	for (i = 0; i < nfile_vals; i++)
		if (strcmp(file_vals[i][0], key) == 0)
			return file_vals[i][1];
	return def;
}

static int
read_file_config(const char *path, char *err, size_t errlen)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *eq, *end;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL || nfile_vals == 32) {
			snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		end = eq + 1 + strlen(eq + 1);
		while (end > eq + 1 && isspace((unsigned char)end[-1]))
			*--end = '\0';
		file_vals[nfile_vals][0] = strdup(p);
		file_vals[nfile_vals][1] = strdup(eq + 1);
		if (file_vals[nfile_vals][0] == NULL || file_vals[nfile_vals][1] == NULL)
			die("out of memory");
		nfile_vals++;
	}
	fclose(f);
	return 0;
}

/* An integer setting in lo..hi. */
static int
int_setting(const char *key, const char *def, long lo, long hi, int *out, char *err, size_t errlen)
{
	const char *w = lookup(key, def);
	char *end;
	long n;

	errno = 0;
	n = strtol(w, &end, 10);
	if (errno != 0 || end == w || *end != '\0' || n < lo || n > hi) {
		snprintf(err, errlen, "%s must be %ld..%ld, not '%s'", key, lo, hi, w);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
config_load(struct config *c, char *err, size_t errlen)
{
	const char *path = getenv("POS_CONFIG");
	static char socket_buf[4096], order_buf[4096];

	if (path != NULL && *path != '\0' && read_file_config(path, err, errlen) < 0)
		return -1;
	c->root = lookup("POS_ROOT", ".");
	c->vardir = lookup("POS_VARDIR", "var");
	c->socket = lookup("POS_SOCKET", NULL);
	if (c->socket == NULL) {
		snprintf(socket_buf, sizeof(socket_buf), "%s/run/pos.sock", c->vardir);
		c->socket = socket_buf;
	}
	c->order_socket = lookup("POS_ORDER_SOCKET", NULL);
	if (c->order_socket == NULL) {
		snprintf(order_buf, sizeof(order_buf), "%s/run/orders.sock", c->vardir);
		c->order_socket = order_buf;
	}
	c->db = lookup("POS_DB", "dbname=pos user=pos_app");
	c->db_admin = lookup("POS_DB_ADMIN", "dbname=pos user=pos_owner");
	c->signup = lookup("POS_SIGNUP", "licence");
	c->log_level = lookup("POS_LOG_LEVEL", "info");
	c->version = POS_VERSION;
	c->https = strcmp(lookup("POS_HTTPS", "0"), "1") == 0;
	if (int_setting("POS_WORKERS", "4", 1, 256, &c->workers, err, errlen) < 0 ||
	    int_setting("POS_ORDER_WORKERS", "4", 1, 256, &c->order_workers, err, errlen) < 0 ||
	    int_setting("POS_EVENT_THREADS", "64", 1, 1024, &c->event_threads, err, errlen) < 0)
		return -1;
	if (strlen(c->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
	    strlen(c->order_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "POS_SOCKET and POS_ORDER_SOCKET must be shorter than %zu bytes (a unix socket path)",
		    sizeof(((struct sockaddr_un *)0)->sun_path));
		return -1;
	}
	if (strcmp(c->socket, c->order_socket) == 0) {
		snprintf(err, errlen, "POS_ORDER_SOCKET must differ from POS_SOCKET (%s)", c->socket);
		return -1;
	}
	if (strcmp(c->signup, "licence") != 0 && strcmp(c->signup, "open") != 0) {
		snprintf(err, errlen, "POS_SIGNUP must be 'licence' or 'open', not '%s'", c->signup);
		return -1;
	}
	log_set_level(c->log_level);
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
			p[n] = '\0';
			*len = (size_t)n;
		} else {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

/* nginx serves /static/ as immutable for a year: the pages (the kitchen's
 * too) name their stylesheets, scripts and images with ?v= a hash of their
 * bytes (FNV-1a, 64 bits), read when the workers start, so a release (which
 * restarts them) reaches browsers at once. */
static const char *const versioned_assets[] = {
	"static/css/app.css", "static/js/dashboard.js", "static/img/logo.svg",
	"static/img/icon.svg", "static/favicon.ico",
	"static/kitchen/kitchen.js", "static/kitchen/kitchen.css",
};

static int
static_version(char *err, size_t errlen)
{
	unsigned long long h = 0xcbf29ce484222325ULL;	/* the FNV-1a 64-bit offset basis */
	size_t i, n, k;

	for (i = 0; i < sizeof(versioned_assets) / sizeof(versioned_assets[0]); i++) {
		char path[4096], *text;

		snprintf(path, sizeof(path), "%s/%s", app.cfg.root, versioned_assets[i]);
		if ((text = slurp(path, &n)) == NULL) {
			snprintf(err, errlen, "%s: cannot read", path);
			return -1;
		}
		for (k = 0; k < n; k++) {
			h ^= (unsigned char)text[k];
			h *= 0x100000001b3ULL;		/* and its prime */
		}
		free(text);
	}
	snprintf(app.static_v, sizeof(app.static_v), "%016llx", h);
	return 0;
}

int
app_load_assets(char *err, size_t errlen)
{
	char path[4096], sub[1024];
	json_error_t je;

	snprintf(path, sizeof(path), "%s/templates/i18n", app.cfg.root);
	app.cat = i18n_load(path, sub, sizeof(sub));
	if (app.cat == NULL) {
		snprintf(err, errlen, "catalogues: %s", sub);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/templates", app.cfg.root);
	app.tmpl = tmpl_set_load(path, sub, sizeof(sub));
	if (app.tmpl == NULL) {
		snprintf(err, errlen, "templates: %s", sub);
		return -1;
	}
	/* every @T key a template uses exists in every catalogue */
	if (tmpl_set_check_i18n(app.tmpl, app.cat, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "templates: %s", sub);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/static/openapi.json", app.cfg.root);
	app.openapi = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (app.openapi == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	app.openapi_text = slurp(path, &app.openapi_len);
	if (app.openapi_text == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	return static_version(err, errlen);
}
