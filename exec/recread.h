/* Reading a recording (ipcrecord(5)) as untrusted bytes: every length is
 * bounded, every field checked, and anything that is not exactly the
 * format is refused with the offset where it went wrong. The same code
 * reads a file (ipcreplay) and a buffer (the fuzz target).
 *
 *   struct recread rr;
 *   struct recread_item it;
 *   int st = recread_fd(&rr, fd);   // the magic and the 'H' record
 *   while (st == RECREAD_ITEM && (st = recread_next(&rr, &it, true)) == RECREAD_ITEM)
 *     ... it.type, it.stream, it.data, it.len, it.t_us ...
 *   // st: RECREAD_END (rr.ended: the 'E' record was read), RECREAD_BAD
 *   // (rr.bad_off, rr.why), RECREAD_IO (rr.err)
 *   recread_free(&rr);
 *
 * A file that stops inside a record (a recording running or cut short) is
 * not malformed: recread_next returns RECREAD_END with rr.partial set. */
#ifndef EXEC_RECREAD_H
#define EXEC_RECREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

enum { RECREAD_ITEM = 1, RECREAD_END = 0, RECREAD_BAD = -1, RECREAD_IO = -2 };

/* Start times beyond the year 9999 are refused. */
#define RECREAD_MAX_START UINT64_C(253402300799)

struct recread_meta {
  const char *id;
  uint64_t start_sec;       /* wall clock at open, UTC */
  uint32_t start_usec;
  uint32_t caller_uid, caller_gid, target_uid, target_gid;
  const char *caller_name;  /* these four NULL when absent */
  const char *target_name;
  const char *cwd;
  const char *tty;
  unsigned rows, cols;
  size_t argc;              /* >= 1 */
  const char **argv;        /* argv[argc] == NULL */
};

struct recread_item {
  unsigned type;            /* enum rec_type, never REC_T_META */
  unsigned stream;          /* enum rec_stream for REC_T_DATA, else 0 */
  uint64_t off;             /* of the record's header in the file */
  uint64_t delta_us;        /* since the record before */
  uint64_t t_us;            /* since the file was opened */
  const unsigned char *data;/* REC_T_DATA with want_data: valid until the next call */
  size_t len;               /* REC_T_DATA: bytes of data */
  unsigned rows, cols;      /* REC_T_WINSIZE */
  uint32_t wstatus, signal; /* REC_T_END */
};

struct recread {
  struct recread_meta meta;
  bool ended;               /* the 'E' record was read */
  uint32_t wstatus, signal; /* from it */
  bool truncated;           /* the 'T' record was read */
  bool partial;             /* the file stops inside a record */
  uint64_t off;             /* of the next record */
  uint64_t t_us;
  uint64_t bad_off;         /* RECREAD_BAD: where */
  const char *why;          /* RECREAD_BAD: what */
  int err;                  /* RECREAD_IO: errno */
  /* the source: a descriptor read through buf, or memory */
  int fd;
  const unsigned char *mem;
  size_t memlen;
  unsigned char *buf;
  size_t bcap, blen;
  uint64_t boff;            /* file offset of buf[0] */
  char *metacopy;
};

/* Reads and checks the magic and the 'H' record into r->meta. Returns
 * RECREAD_ITEM, RECREAD_BAD or RECREAD_IO; call recread_free in any case. */
int recread_fd(struct recread *r, int fd);
int recread_mem(struct recread *r, const void *p, size_t n);
/* The next record after 'H'. With want_data false the data of a 'D'
 * record is skipped, not read (it.data NULL). */
int recread_next(struct recread *r, struct recread_item *it, bool want_data);
void recread_free(struct recread *r);

#endif
