/* Session recording: the file format (ipcrecord(5)) and its writer.
 *
 * A recording is one file per request, <dir>/<id>, written by the broker as
 * root into a root-owned directory that only root may write:
 *
 *   "IPCREC1\n"                           magic, the version in its digit
 *   record 'H'                            the request: key=value\0 ...
 *   record 'D' | 'W' ...                  data of a stream, window sizes
 *   [ record 'T' ]                        the byte cap was reached
 *   [ record 'E' ]                        the end: wait status, signal
 *
 * Every record is a 16-byte header and its payload:
 *
 *   0  type     1 byte, 'H' 'D' 'W' 'T' or 'E'
 *   1  stream   1 byte, enum rec_stream for 'D', 0 otherwise
 *   2  zero     2 bytes
 *   4  length   4 bytes, little-endian: bytes of payload that follow
 *   8  delta    8 bytes, little-endian: microseconds since the record
 *               before (the 'H' record: since the file was opened, 0)
 *
 * The writer holds an exclusive flock(2) on the file until it has written
 * the end record, so a reader can tell a recording still running from one
 * that was cut short. The reader is recread.h. */
#ifndef EXEC_RECORD_H
#define EXEC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "IPCREC1\n"
#define REC_MAGIC_LEN 8
#define REC_HDR_LEN 16

enum rec_type {
  REC_T_META = 'H', REC_T_DATA = 'D', REC_T_WINSIZE = 'W', REC_T_TRUNC = 'T', REC_T_END = 'E',
};

enum rec_stream { REC_STDIN = 0, REC_STDOUT = 1, REC_STDERR = 2, REC_TTYIN = 3, REC_TTYOUT = 4 };
#define REC_STREAMS 5

/* Payload limits. The writer splits data into records of at most
 * REC_MAX_DATA bytes; a 'H' record holds a request of REQUEST_MAX_ARGSLEN
 * argument bytes, its "argv=" prefixes and a PATH_MAX cwd with room left. */
#define REC_MAX_DATA 65536
#define REC_MAX_META (512 * 1024)
#define REC_WINSIZE_LEN 4    /* rows, cols: 2 bytes each, little-endian */
#define REC_TRUNC_LEN 0
#define REC_END_LEN 12       /* wait status 4, signal 4, truncated 1, zero 3 */
#define REC_MAX_ID 64

#define REC_DEFAULT_CAP (64ULL * 1024 * 1024)
/* What the end of a capped file always has room for. */
#define REC_RESERVE (2 * REC_HDR_LEN + REC_TRUNC_LEN + REC_END_LEN)

struct rec_hdr {
  unsigned type, stream;
  uint32_t len;
  uint64_t delta_us;
};

static inline void rec_put32(unsigned char *p, uint32_t v)
{
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline void rec_put64(unsigned char *p, uint64_t v)
{
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t rec_get32(const unsigned char *p)
{
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static inline uint64_t rec_get64(const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static inline void rec_pack_hdr(unsigned char p[REC_HDR_LEN], const struct rec_hdr *h)
{
  p[0] = (unsigned char)h->type;
  p[1] = (unsigned char)h->stream;
  p[2] = p[3] = 0;
  rec_put32(p + 4, h->len);
  rec_put64(p + 8, h->delta_us);
}

/* The request, as the audit line names it. */
struct record_meta {
  const char *id;                     /* request id as in the audit line */
  unsigned long caller_uid, caller_gid;
  const char *caller_name;            /* may be NULL */
  const char *target_name;
  unsigned long target_uid, target_gid;
  const char *const *argv;            /* NULL-terminated, at least argv[0] */
  const char *cwd;
  const char *tty;                    /* the caller's tty name or NULL */
  unsigned rows, cols;                /* 0 if no tty */
};

struct record;   /* one per request */

/* Creates <dir>/<id> and writes the magic and the 'H' record.
 *
 * dir must be absolute, every component a directory and none a symlink
 * (each is opened with O_NOFOLLOW from the one before), and the last owned
 * by root with no group or other write bit: nobody but root can then
 * create, replace or rename a file in it. id is a file name of 1 to 64
 * bytes of [A-Za-z0-9._-] not starting with '.'. The file is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. cap bounds the file's size in bytes
 * (0: REC_DEFAULT_CAP); it must leave room for the header and the end.
 *
 * Returns NULL on failure with *why a short reason for an audit line
 * ("record dir not owned by root", "record file exists", ...) and errno
 * set (0 for a refusal that no system call reported). */
struct record *record_open(const char *dir, const struct record_meta *m,
    unsigned long long cap, const char **why);

/* Appends n bytes of stream s, timed by the monotonic clock. Never fails
 * the caller: at the cap, the bytes that fit are written, then a 'T'
 * record once, and further data and window sizes are dropped; on a write
 * error (ENOSPC, EIO) recording stops, the file is cut back to its last
 * whole record and the errno is kept for record_close. Returns 0 while
 * still recording, -1 once stopped for either reason (and for r NULL). */
int record_data(struct record *r, enum rec_stream s, const void *buf, size_t n);
/* A window size change, as a 'W' record. Same return as record_data. */
int record_winsize(struct record *r, unsigned rows, unsigned cols);

/* Writes the 'E' record (wstatus as wait(2) gives it; the signal is taken
 * from it), fsyncs the file and its directory, releases the lock, closes
 * and frees r. Sets *size to the file's final size, *truncated to 1 if
 * the cap was reached, *err to the errno that stopped recording or made
 * the end fail (0 if none). Returns 0 if the end record is written and
 * synced, -1 otherwise. Any of the out pointers may be NULL. */
int record_close(struct record *r, int wstatus, unsigned long long *size,
    int *truncated, int *err);

/* The file's name relative to dir (== the id), for the audit line. */
const char *record_name(const struct record *r);
/* The errno that stopped recording, or 0. */
int record_error(const struct record *r);
/* Whether the cap was reached. */
bool record_truncated(const struct record *r);

/* Whether id may name a recording file (the rule record_open applies,
 * and the reader's): 1 to REC_MAX_ID bytes of [A-Za-z0-9._-], not
 * starting with '.'. */
static inline bool record_id_ok(const char *id)
{
  size_t n = 0;
  if (!id || !id[0] || id[0] == '.') return false;
  for (; id[n]; n++) {
    unsigned char c = (unsigned char)id[n];
    if (n == REC_MAX_ID) return false;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

#endif
