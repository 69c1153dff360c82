/*
 * slowfork.so - LD_PRELOAD it to make every fork() slow to return in the
 * parent (50 ms, or $SLOWFORK_MS): the child runs on meanwhile. A fault
 * injector for what a busy machine does now and then, made certain: a new
 * worker begins its first call before its parent gets back from fork().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    if (real_fork == NULL)
        real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    pid_t pid = real_fork();
    if (pid > 0) {
        const char *s = getenv("SLOWFORK_MS");
        long ms = s != NULL ? atol(s) : 50;
        struct timespec d = { ms / 1000, ms % 1000 * 1000000L };
        while (nanosleep(&d, &d) != 0)
            ;
    }
    return pid;
}
