/* IPCRECORD: a request's recording, between the decision and the end
 * line. The file format and its writer are record.h; this is the
 * broker's use of them. */
#ifndef EXEC_RECORDER_H
#define EXEC_RECORDER_H

#include "audit.h"
#include "decide.h"
#include "request.h"

/* For an allowed request whose rule names a directory: opens the
 * recording (d->record). On failure the request is refused, fail closed:
 * d->verdict becomes EXEC_DENY (the directory is not one root alone may
 * write, or is missing) or EXEC_ERROR (a system error such as a full
 * disk), d->reason says why. A request with a terminal that is not on a
 * pty (ipcdo -T, IPCPTY="0") is denied: it could not be recorded. */
void exec_record_begin(struct exec_decision *d, const struct exec_caller *c,
    const struct request *req);

/* The descriptors the supervisor must tap for the recording (bit i:
 * descriptor i): those not on the pty, as pty.h and tap.h say. */
unsigned exec_record_tap_mask(const struct exec_decision *d, const struct request *req);

/* What the relays pass on, into the recording: fd 1 or 2 (the tap), or
 * EXEC_STREAM_* (the pty's hooks). ctx is the decision. Logs, once, a
 * recording that stops for the cap or an error; the command runs on. */
void exec_record_data(void *ctx, int stream, const void *buf, size_t n);
void exec_record_winsize(void *ctx, unsigned rows, unsigned cols, unsigned x, unsigned y);

/* Ends the recording with the command's wait status and names it in the
 * end line a: record=NAME record_bytes=N, and record_truncated=yes or
 * record_error=... where that happened. */
void exec_record_end(struct exec_decision *d, int wstatus, struct audit *a);

#endif
