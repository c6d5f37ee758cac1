/* Server-Sent Events of order and kitchen changes (GET /api/events).
 * Served by posev, a process apart from the API workers: a thread per open
 * stream, and one listener thread on PostgreSQL LISTEN/NOTIFY that fans each
 * change out to the streams of its store. */
#ifndef POS_EVENTS_H
#define POS_EVENTS_H

#include <stddef.h>

struct req;

/* The route table's handler for /api/events in posd: streams are served by
 * posev (nginx sends them there), so reaching posd means a bypassed nginx. */
void events_elsewhere(struct req *r);

/* Format one event for the wire ("id: N\ndata: JSON\n\n") into out; returns
 * the length, or -1 if it does not fit.  data must be one line of JSON. */
int events_format(char *out, size_t cap, unsigned long long id, const char *data);
/* Parse a Last-Event-ID header value; 0 when absent or malformed. */
unsigned long long events_last_id(const char *s);

#endif
