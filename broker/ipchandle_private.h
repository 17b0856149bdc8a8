/* What the package's own programs on ipchandle may use beyond ipchandle.h.
 * Not installed, not exported from the installed library. */
#ifndef BROKER_IPCHANDLE_PRIVATE_H
#define BROKER_IPCHANDLE_PRIVATE_H

#include "ipchandle.h"
#include "server.h"

/* The options ipchandle_parse read (ids to switch to, verbosity). */
const struct server_config *ipchandle_config(const struct ipchandle *h);

/* fn(ctx) runs in each worker once, before it accepts its first
 * connection (set before ipchandle_serve). */
void ipchandle_on_worker(struct ipchandle *h, void (*fn)(void *ctx), void *ctx);

#endif
