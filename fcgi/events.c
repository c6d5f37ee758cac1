#include "events.h"

#include <stdio.h>
#include <string.h>

#include "http.h"

int
events_format(char *out, size_t cap, unsigned long long id, const char *data)
{
	int n;

	/* SSE ends a field at a newline: a payload must stay on one line */
	if (strpbrk(data, "\r\n") != NULL)
		return -1;
	n = snprintf(out, cap, "id: %llu\ndata: %s\n\n", id, data);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

unsigned long long
events_last_id(const char *s)
{
	unsigned long long v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	return v;
}

void
events_elsewhere(struct req *r)
{
	resp_error_msg(r, 503, "unavailable", NULL, "Event streams are served by posev behind nginx");
}
