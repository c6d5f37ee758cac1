#include "qr.h"

#include <qrencode.h>

#include "arena.h"
#include "buf.h"

#define QUIET	4	/* modules of white around the code, as the standard asks */

static void
free_qr(void *p)
{
	QRcode_free(p);
}

char *
qr_svg(struct arena *a, const char *text)
{
	QRcode *qr;
	struct buf b;
	int x, y, size;

	if (text == NULL || *text == '\0')
		return NULL;
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return NULL;
	arena_defer(a, free_qr, qr);
	size = qr->width + 2 * QUIET;
	buf_init(&b, a, 4096);
	buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    size, size, size, size);
	/* one subpath per horizontal run of dark modules (bit 0 of each byte) */
	for (y = 0; y < qr->width; y++) {
		const unsigned char *row = qr->data + (size_t)y * (size_t)qr->width;

		for (x = 0; x < qr->width; x++) {
			int run = 0;

			while (x + run < qr->width && (row[x + run] & 1))
				run++;
			if (run == 0)
				continue;
			buf_printf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run;
		}
	}
	buf_puts(&b, "\"/></svg>");
	return b.p;
}
