/* Structured logs on stderr, one line per event: ts=... level=... msg="..."
 * key=value.  Secrets and passwords are never passed here. */
#ifndef POS_LOG_H
#define POS_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_min_level;

void log_set_level(const char *name);
/* Request context added to every line while a request is handled. */
void log_set_request(const char *request_id);
void log_msg(enum log_level lvl, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_debug(...) do { if (log_min_level <= LOG_DEBUG) log_msg(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_info(...)  do { if (log_min_level <= LOG_INFO)  log_msg(LOG_INFO,  __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_warn(...)  do { if (log_min_level <= LOG_WARN)  log_msg(LOG_WARN,  __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_error(...) log_msg(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

/* A bug or out of memory: log file:line and end the process (the supervisor
 * starts a fresh worker).  Never used for bad input. */
#define die(...) log_die(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void log_die(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A message into a caller's error buffer (err may be NULL or errlen 0: then
 * nothing), for the loaders that report why they refused a file. */
void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
