/*
 * tally.c - runs a graded program and says how many process ids its run
 * used, a number the program cannot forge.
 *
 *     tally FD COMMAND [ARG...]
 *
 * The sandbox runs it as PID 1 of the program's new PID namespace (in
 * place of bubblewrap's own init: bwrap --as-pid-1), so the program cannot
 * kill it: the kernel drops a signal sent to a namespace's init from
 * inside unless the init handles it, and tally handles none. It forks
 * COMMAND, reaps every process that ends under it (orphans come to it),
 * and once COMMAND has ended, reads the namespace's last process id from
 * the kernel (/proc/sys/kernel/ns_last_pid) and writes one line to FD:
 *
 *     CHILD LAST
 *
 * CHILD is COMMAND's PID, LAST the last PID the namespace handed out: every
 * process and thread of the run (the pool's master, its threads, its
 * supervisor and its workers) took a PID from CHILD to LAST, in order. A
 * pool trace that names a worker PID outside that range, or more workers
 * than it holds, was not written by a pool of this run.
 *
 * FD is the grader's: it is closed in COMMAND, and tally makes itself
 * undumpable, so the program cannot reach it through /proc/1/fd. When
 * tally exits, the kernel ends every process left in the namespace. Exits
 * as COMMAND did (killed by the same signal, or with its status).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tally FD COMMAND [ARG...]\n");
        return 2;
    }
    int fd = atoi(argv[1]);
    if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr, "tally: %s is not an open descriptor above 2\n", argv[1]);
        return 2;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    pid_t child = fork();
    if (child < 0) {
        perror("tally: fork");
        return 2;
    }
    if (child == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "tally: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }

    int status;
    for (;;) {
        pid_t done = waitpid(-1, &status, 0);
        if (done == child)
            break;
        if (done < 0 && errno != EINTR) {
            perror("tally: waitpid");
            return 2;
        }
    }

    char last[32] = "";
    int f = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    if (f >= 0) {
        ssize_t n = read(f, last, sizeof last - 1);
        last[n > 0 ? n : 0] = '\0';
        last[strcspn(last, "\n")] = '\0';
        close(f);
    }
    dprintf(fd, "%ld %s\n", (long)child, last[0] ? last : "?");
    close(fd);

    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
