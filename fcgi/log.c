#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum log_level log_min_level = LOG_INFO;
static char request_id[40];

static const char *const names[] = { "debug", "info", "warn", "error" };

void
log_set_level(const char *name)
{
	int i;

	if (name == NULL)
		return;
	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			log_min_level = (enum log_level)i;
}

void
log_set_request(const char *id)
{
	if (id == NULL)
		request_id[0] = '\0';
	else
		snprintf(request_id, sizeof(request_id), "%s", id);
}

static void
vlog(enum log_level lvl, const char *file, int line, const char *fmt, va_list ap)
{
	char line_buf[2048];
	struct timespec ts;
	struct tm tm;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line_buf, sizeof(line_buf),
	    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s pid=%d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, names[lvl], (int)getpid());
	if (request_id[0] != '\0' && n > 0 && (size_t)n < sizeof(line_buf))
		n += snprintf(line_buf + n, sizeof(line_buf) - (size_t)n, " req=%s", request_id);
	if (lvl >= LOG_WARN && n > 0 && (size_t)n < sizeof(line_buf))
		n += snprintf(line_buf + n, sizeof(line_buf) - (size_t)n, " src=%s:%d", file, line);
	if (n > 0 && (size_t)n < sizeof(line_buf) - 1) {
		line_buf[n++] = ' ';
		m = vsnprintf(line_buf + n, sizeof(line_buf) - (size_t)n, fmt, ap);
		if (m > 0)
			n += m;
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line_buf) - 1)
		n = (int)sizeof(line_buf) - 2;
	line_buf[n++] = '\n';
	/* one write() per line keeps lines whole when workers share stderr */
	(void)!write(STDERR_FILENO, line_buf, (size_t)n);
}

void
log_msg(enum log_level lvl, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, file, line, fmt, ap);
	va_end(ap);
}

void
log_die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, file, line, fmt, ap);
	va_end(ap);
	abort();
}

void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
