/* ipcexec's program, callable: ipcexec's main is this function, and
 * ipcserver calls it in the child it forked for a connection, instead of
 * an exec, when the program it was given is the ipcexec installed with it
 * (see ipcserver(1)). */
#ifndef EXEC_EXEC_MAIN_H
#define EXEC_EXEC_MAIN_H

/* In ipcexec's file, and only there: ipcserver runs its own copy of
 * exec_main in place of a file only if the file carries this mark (a
 * script or another program put at ipcexec's path, or an ipcexec of
 * another version, does not). */
#define EXEC_MAIN_MARK "\n@(#)ipcexec " PACKAGE_VERSION ", whose code ipcserver may run\n"

/* ipcexec [-t seconds] rules.cdb, with fd 0 and 1 on the client and the
 * caller's ids in the environment. Never returns. */
_Noreturn void exec_main(int argc, char **argv);

#endif
