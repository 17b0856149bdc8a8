/* What the package's own programs on ipchandle may use beyond ipchandle.h.
 * Not installed, not exported from the installed library. */
#ifndef BROKER_IPCHANDLE_PRIVATE_H
#define BROKER_IPCHANDLE_PRIVATE_H

#include "ipchandle.h"
#include "server.h"

/* The options ipchandle_parse read (ids to switch to, verbosity). */
const struct server_config *ipchandle_config(const struct ipchandle *h);

/* How many workers ipchandle_serve will fork (-c). */
unsigned ipchandle_workers(const struct ipchandle *h);

/* Called in the master, once the worker in slot has been reaped (just
 * after its replacement was forked, or while stopping), with its pid and
 * wait status: whatever the worker was responsible for can be cleaned up
 * here. */
typedef void (*ipchandle_death_fn)(void *ctx, unsigned slot, pid_t pid, int wstat);
void ipchandle_on_death(struct ipchandle *h, ipchandle_death_fn fn);

/* fn(ctx) runs in each worker once, before it accepts its first
 * connection (set before ipchandle_serve). */
void ipchandle_on_worker(struct ipchandle *h, void (*fn)(void *ctx), void *ctx);

/* fn(ctx), with on_worker's ctx, runs in a worker of -1 once its one
 * connection is over, handled or refused before the handler, just before
 * it exits: what it made ready for a handler goes, whether one ran. */
void ipchandle_on_served(struct ipchandle *h, void (*fn)(void *ctx));

/* In the master, around every fork of a worker: before(ctx) just before
 * (what it sets, the child inherits), after(ctx, pid) just after, with
 * the child's pid or -1 if the fork failed. */
void ipchandle_on_spawn(struct ipchandle *h, void (*before)(void *ctx),
    void (*after)(void *ctx, pid_t pid), void *ctx);

/* In a worker of -1, while serving its connection: it will exit with
 * IPCHANDLE_EXIT_SPENT instead of 0, which the master takes as the end of
 * a connection served like 0, and passes on to the death hook: what the
 * master handed the worker must not go to another. */
#define IPCHANDLE_EXIT_SPENT 3
void ipchandle_spent(struct ipchandle *h);

/* -1 (one connection per worker, each worker a fresh fork of the master
 * that exits after it), -R (workers serve connection after connection,
 * the default), or unset: 1, 0, -1. ipchandle_set_once chooses before
 * ipchandle_serve. */
int ipchandle_once(const struct ipchandle *h);
void ipchandle_set_once(struct ipchandle *h, bool once);

#endif
