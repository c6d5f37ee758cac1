/* QR codes as SVG for TOTP enrolment pages. */
#ifndef POS_QR_H
#define POS_QR_H

struct arena;

/* text encoded with libqrencode (level M, 8-bit, case-sensitive) as a
 * standalone SVG: white background, 4-module quiet zone, the dark modules
 * in one <path>, colours in fill attributes (no style attribute, so the
 * page CSP needs no 'unsafe-inline').  Every byte is generated here, so the
 * result is trusted markup to embed raw.  In the arena; NULL for NULL or
 * empty text (nothing to encode) and for text too long for any QR version. */
char *qr_svg(struct arena *a, const char *text);

#endif
