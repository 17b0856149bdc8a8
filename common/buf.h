/* A growable byte buffer; every allocation checked. */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
  char *s;
  size_t len;
  size_t cap;
};
#define BUF_ZERO { 0, 0, 0 }

bool buf_ready(struct buf *b, size_t extra);
bool buf_catb(struct buf *b, const void *p, size_t n);
bool buf_cats(struct buf *b, const char *s);
bool buf_cat0(struct buf *b);
bool buf_catu(struct buf *b, unsigned long long u);
void buf_free(struct buf *b);

#endif
