/* Per-request memory pool: everything a request allocates is released in
 * one place, arena_reset(), which also runs the cleanup callbacks registered
 * with arena_defer() (PGresult, json_t, ...).  Handlers never call free(). */
#ifndef POS_ARENA_H
#define POS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;
struct arena_cleanup;

struct arena {
	struct arena_chunk *head;	/* newest chunk first */
	struct arena_cleanup *cleanups;	/* run in reverse order of registration */
	size_t chunk_size;
};

void arena_init(struct arena *a, size_t chunk_size);
/* Frees everything but keeps the first chunk for reuse by the next request. */
void arena_reset(struct arena *a);
/* Frees everything including the first chunk. */
void arena_free(struct arena *a);

/* Never returns NULL: out of memory is a bug-class failure and aborts. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* fn(ptr) runs at arena_reset()/arena_free().  Returns ptr for chaining. */
void *arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

#endif
