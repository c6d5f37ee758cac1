/* Growable byte buffer whose storage comes from an arena (so it is freed with
 * the request).  Always NUL-terminated for convenience. */
#ifndef POS_BUF_H
#define POS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct buf {
	char *p;
	size_t len, cap;
	struct arena *a;
};

void buf_init(struct buf *b, struct arena *a, size_t cap);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);

/* Escaping writers: the only ways user data reaches HTML, URLs or scripts. */
void buf_html(struct buf *b, const char *s, size_t n);	/* text and quoted attributes */
void buf_url(struct buf *b, const char *s, size_t n);	/* percent-encode a URL component */
void buf_jsstr(struct buf *b, const char *s, size_t n);	/* JSON string safe inside <script> */

#endif
