#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *ptr;
};

#define ALIGN(n) (((n) + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1))

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		die("out of memory (%zu bytes)", size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void
arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->cleanups = NULL;
	a->chunk_size = chunk_size ? chunk_size : 16384;
}

static void
run_cleanups(struct arena *a)
{
	while (a->cleanups != NULL) {
		struct arena_cleanup *c = a->cleanups;

		a->cleanups = c->next;
		c->fn(c->ptr);
	}
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c, *next;

	run_cleanups(a);
	if (a->head == NULL)
		return;
	/* keep the oldest chunk (the last in the list) */
	for (c = a->head; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	c->used = 0;
	a->head = c;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	run_cleanups(a);
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	void *p;

	if (n > SIZE_MAX / 2)
		die("arena: allocation of %zu bytes", n);
	n = ALIGN(n ? n : 1);
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > a->chunk_size ? n : a->chunk_size;

		if (c != NULL && c->used == 0 && c->next == NULL && c->size < size) {
			/* first chunk too small and empty: replace it */
			free(c);
			c = NULL;
			a->head = NULL;
		}
		c = chunk_new(size);
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		die("arena: calloc overflow");
	p = arena_alloc(a, n * size);
	memset(p, 0, n * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);	/* at most n bytes, never past the string's end */
	p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		die("arena_vprintf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void *
arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	c->fn = fn;
	c->ptr = ptr;
	c->next = a->cleanups;
	a->cleanups = c;
	return ptr;
}
