/* ipcexec's program, callable: ipcexec's main is this function, and
 * ipcserver calls it in the child it forked for a connection, instead of
 * an exec, when the program it was given is the ipcexec installed with it
 * (see ipcserver(1)). */
#ifndef EXEC_EXEC_MAIN_H
#define EXEC_EXEC_MAIN_H

/* ipcexec [-t seconds] rules.cdb, with fd 0 and 1 on the client and the
 * caller's ids in the environment. Never returns. */
_Noreturn void exec_main(int argc, char **argv);

#endif
