/*
 * transport.c - how the master reaches a worker: fork() and two pipes.
 *
 * The rest of the runtime sees a worker only through pool__link (internal.h):
 * start it, send it bytes, read the bytes it sends back, end it, and learn
 * how it ended. Futures, the queue and the trace never touch a descriptor
 * or a PID here, so another transport (MPI ranks on other machines, say)
 * can take this file's place without changing them.
 *
 * The fork rule (see pool.c's DESIGN comment) is carried out here: the
 * child drops what it must not touch, then runs pool__worker_main.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define REAP_GRACE_MS 500   /* how long a worker whose pipe ended may take to die */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* In a new worker: drop the master's unwritten stdout bytes that fork
 * copied (the master writes them itself), and buffer by line. */
static void worker_stdout(void)
{
    static char buf[BUFSIZ];
    __fpurge(stdout);
    setvbuf(stdout, buf, _IOLBF, sizeof buf);
}

void pool__link_init(pool__link *l)
{
    l->pid = 0;
    l->send_fd = l->recv_fd = -1;
}

int pool__link_start(pool__link *l, pool__slot *slot, const sigset_t *mask,
                     const int *others, int nothers)
{
    int task[2], result[2];
    if (pipe2(task, O_CLOEXEC) == -1)
        return -1;
    if (pipe2(result, O_CLOEXEC) == -1) {
        int e = errno;
        close(task[0]);
        close(task[1]);
        errno = e;
        return -1;
    }
    pid_t master = getpid();

    /* No thread may hold stdout's or stderr's lock across the fork: the
     * child would inherit it locked by a thread it does not have. */
    flockfile(stdout);
    flockfile(stderr);
    pid_t pid = fork();
    int fork_errno = errno;
    funlockfile(stderr);
    funlockfile(stdout);

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no worker outlives its master */
        if (getppid() != master)
            _exit(0);   /* the master died before prctl took hold */
        pthread_sigmask(SIG_SETMASK, mask, NULL);
        worker_stdout();
        close(task[1]);
        close(result[0]);
        for (int i = 0; i < nothers; i++)
            if (others[i] >= 0)
                close(others[i]);
        pool__worker_main(task[0], result[1], slot);
    }
    close(task[0]);
    close(result[1]);
    if (pid < 0) {
        close(task[1]);
        close(result[0]);
        errno = fork_errno;
        return -1;
    }
    l->pid = pid;
    l->send_fd = task[1];
    l->recv_fd = result[0];
    fcntl(l->send_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

ssize_t pool__link_send(pool__link *l, const void *p, size_t n)
{
    ssize_t w;
    while ((w = write(l->send_fd, p, n)) == -1 && errno == EINTR)
        ;
    return w;
}

ssize_t pool__link_recv(pool__link *l, void *p, size_t n)
{
    ssize_t r;
    while ((r = read(l->recv_fd, p, n)) == -1 && errno == EINTR)
        ;
    return r;
}

void pool__link_end_tasks(pool__link *l)
{
    close_fd(&l->send_fd);
}

void pool__link_kill(pool__link *l)
{
    if (l->pid > 0)
        kill(l->pid, SIGKILL);
}

int pool__link_reap(pool__link *l, bool force)
{
    int status = 0;
    pid_t got = 0;
    if (l->pid <= 0)
        return 0;
    if (force) {
        /* Its pipe has ended. A dying process closes its files a moment
         * before it can be waited for: give it REAP_GRACE_MS to finish
         * dying, so that the status tells how it died, not that we
         * killed it. */
        for (int ms = 0; ms < REAP_GRACE_MS && got == 0; ms++) {
            got = waitpid(l->pid, &status, WNOHANG);
            if (got == 0)
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
            else if (got == -1 && errno == EINTR)
                got = 0;
        }
        if (got == 0)       /* alive, but it cannot go on: end it */
            kill(l->pid, SIGKILL);
    }
    if (got == 0)
        while (waitpid(l->pid, &status, 0) == -1 && errno == EINTR)
            ;
    return status;
}

void pool__link_describe(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        snprintf(buf, size, "was killed by signal %d (SIG%s: %s)", sig,
                 abbrev ? abbrev : "?", strsignal(sig));
    } else if (WIFEXITED(status)) {
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, size, "stopped (wait status %#x)", status);
    }
}

void pool__link_close(pool__link *l)
{
    l->pid = 0;
    close_fd(&l->send_fd);
    close_fd(&l->recv_fd);
}
