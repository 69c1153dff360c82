/*
 * supervise.c - the pool's supervisor process: the workers' parent.
 *
 * pool_create forks it once; it forks the workers and is the only process
 * that waits for them. Being their parent, it learns how each one ended
 * from the kernel, whatever the program does with SIGCHLD or its own
 * children. It is single-threaded, so its forks copy no lock held by
 * another thread. It waits in poll() on three things:
 *
 *   SIGCHLD (a signalfd)  a worker ended: fail the call it held (the one
 *                         slot whose state says "held by w"), write the
 *                         records it had not written, start a new worker
 *   the master (a pipe)   the program ended, however it ended: record every
 *                         unfinished call as terminated, end the workers
 *                         and anything their tasks left running, exit
 *   ctl (an eventfd)      the master closed, resized or terminated the
 *                         pool, made a call with a time limit, or asks
 *                         for a running call to be stopped (future_kill;
 *                         see "Stopping a call on purpose")
 *
 * It is also a subreaper: a process a task forked and left behind becomes
 * its child when the worker dies, and is ended with the pool.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise.h"
#include "backtrace.h"
#include "base.h"
#include "fault.h"
#include "namer.h"
#include "queue.h"
#include "remote.h"
#include "shared.h"
#include "tracefile.h"
#include "worker.h"

#define END_GRACE_MS 100  /* how long an idle worker may take to leave at the end */
#define RETRY_S 1.0     /* after a worker could not be started, try again this much later */

static pool__shared *sh;
/* The workers this supervisor forked, by slot: its own record, not the
 * slot's pid field, which a task could overwrite. Only these are ever
 * stopped or killed. */
static pid_t worker_pid[POOL_MAX_WORKERS];
static sigset_t task_mask;      /* the signal mask a worker starts with */
static int close_fds[4];        /* the supervisor's own descriptors */
static double retry_at;         /* 0: no start to try again */

void pool__describe_end(int status, char *buf, size_t size)
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

/* Start worker i; false (errno set) if it cannot be. */
static bool spawn(int i, bool replacement)
{
    if (replacement && pool__fault_spawn(sh))
        return false;       /* POOL_FAULT=spawn:N */
    pool__wslot *ws = &pool__wslots(sh)[i];
    atomic_store(&ws->fatal, 0);
    atomic_store(&ws->wall, 0);
    atomic_store(&ws->lost_fd, 0);
    atomic_store(&ws->bt_n, 0);     /* not the backtrace of the worker before */
    atomic_store(&ws->exit_status, -1);
    atomic_store(&ws->holding, 0);
    atomic_store(&ws->start, 0);    /* no call begun yet (trace: never started) */
    atomic_store(&ws->trace_at.len, 0);     /* the worker before's: written (ended) */
    atomic_store(&ws->trace_at.claim, 0);
    atomic_store(&ws->tasks, 0);
    pid_t parent = getpid();
    double began = pool__now();     /* the start event's time: before it can begin a call */
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no worker outlives the pool */
        if (getppid() != parent)
            _exit(0);
        for (int k = 0; k < 4; k++)
            close(close_fds[k]);
        signal(SIGINT, SIG_IGN);    /* ^C ends the program; the pool ends its workers */
        prctl(PR_SET_NAME, "pool-worker");
        sigprocmask(SIG_SETMASK, &task_mask, NULL);
        atomic_store(&ws->pid, getpid());
        pool__worker_main(sh, i);
    }
    atomic_store(&ws->pid, pid);
    worker_pid[i] = pid;
    atomic_fetch_add(&sh->live, 1);
    pool__trace_event(sh, i, pid, began, "start", NULL);
    return true;
}

/* True if no call waits to be claimed (nor to be tried again). Steps the
 * head past calls that ended before they began (failed for want of a
 * worker). */
static bool queue_empty(void)
{
    if (atomic_load(&sh->nagain) > 0 && pool__queue_waiting(sh))
        return false;
    uint64_t h = atomic_load(&sh->head);
    while (h < atomic_load(&sh->tail)) {
        if (pool__call_queued(sh, h))
            return false;
        atomic_compare_exchange_strong(&sh->head, &h, h + 1);
        h = atomic_load(&sh->head);
    }
    return true;
}

/* Fail every call not yet begun, or waiting to be tried again: no worker
 * can run them now. */
static void fail_queued(const char *why)
{
    for (int k = 0; k < POOL__AGAIN; k++) {
        uint64_t seq = atomic_load(&sh->again[k]);
        if (seq == 0)
            continue;
        if (pool__call_queued(sh, seq))
            pool__fail(sh, seq, ST_CRASH, "WorkerDied", why);
        if (atomic_compare_exchange_strong(&sh->again[k], &seq, 0))
            atomic_fetch_sub(&sh->nagain, 1);
    }
    uint64_t tail = atomic_load(&sh->tail);
    for (uint64_t seq = atomic_load(&sh->head); seq < tail; seq++) {
        if (pool__call_queued(sh, seq))
            pool__fail(sh, seq, ST_CRASH, "WorkerDied", why);
    }
}

/* Start every worker that is missing (after a death, a failed start, or a
 * pool_resize that made the pool larger); slots from sh->want up stay
 * empty. */
static void fill(void)
{
    retry_at = 0;
    int want = atomic_load(&sh->want);
    if (want > atomic_load(&sh->n))
        atomic_store(&sh->n, want);
    for (int i = 0; i < want; i++) {
        if (atomic_load(&pool__wslots(sh)[i].pid) != 0)
            continue;
        if (spawn(i, true))
            continue;
        int e = errno;
        char why[300];
        snprintf(why, sizeof why, "no worker could be started (fork: %s); "
                 "the pool will try again in %g s", strerror(e), RETRY_S);
        if (atomic_load(&sh->live) == 0)
            fail_queued(why);
        retry_at = pool__now() + RETRY_S;
        static bool said;
        if (!said)
            fprintf(stderr, "pool: warning: %s\n", why);
        said = true;
    }
}

/* What the task ran into, if a wall of its memory killed it (room.c). */
static void wall_said(pool__wslot *ws, char *buf, size_t size)
{
    switch (atomic_load(&ws->wall)) {
    case POOL__WALL_ROOM:
        snprintf(buf, size, ": it wrote past the end of its pool_bytes_alloc room of %llu bytes",
                 (unsigned long long)ws->wall_n);
        break;
    case POOL__WALL_ARGS:
        snprintf(buf, size, ": it wrote past the end of its arguments");
        break;
    case POOL__WALL_READONLY:
        snprintf(buf, size, ": it wrote into its arguments, which are read-only");
        break;
    default:
        buf[0] = '\0';
    }
}

/* Stopping a call on purpose (the supervisor's half of cancel.c). ----------
 *
 * future_kill asks (pool__wslots(sh)[w].cancel = seq, then a poke on
 * ctl_fd); this process, the worker's parent, stops the worker (SIGSTOP,
 * and waits until it has stopped), and looks at the call: if worker w
 * still runs it, it notes the reason (w.killed = seq) and sends SIGKILL;
 * otherwise it lets the worker go on (SIGCONT). When the death is reaped,
 * ended() asks killed_why and fails the call Cancelled (or Timeout), not
 * WorkerDied. A task cannot block SIGSTOP or SIGKILL.
 *
 * Time limits use the same kill. While a call with a limit waits, this
 * process looks every TICK_MS, and otherwise sleeps until the earliest
 * limit of the calls that run. A limit counts from when it first sees the
 * worker hold the call (the worker's own start time may still be its
 * previous call's for a moment), so a kill comes at most TICK_MS late.
 */

#define TICK_MS 10      /* how often to look while a call with a limit waits */
#define KILL_CANCEL 1   /* pool__wslot.killed_why: future_kill */
#define KILL_TIMEOUT 2  /* its time limit */

/* The supervisor's own view of each worker: which call it saw it hold
 * first, and when. A limit counts from then (at most TICK_MS late): the
 * worker's own start time may still be its last call's for a moment. */
static uint64_t seen_seq[POOL_MAX_WORKERS];
static double seen_at[POOL_MAX_WORKERS];

/* Stop worker w if it still runs call seq: freeze it, look, then kill it
 * (noting why) or let it go on. */
static void stop_call(int w, uint64_t seq, uint32_t why)
{
    pid_t pid = worker_pid[w];
    if (pid <= 0 || pool__call_runner(sh, seq) != w ||
        kill(pid, SIGSTOP) != 0)
        return;
    /* Stopped (or dead: then the main loop reaps it as usual). */
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WEXITED | WNOWAIT) == -1 &&
           errno == EINTR)
        ;
    if (pool__call_runner(sh, seq) == w) {
        atomic_store(&pool__wslots(sh)[w].killed_why, why);
        atomic_store(&pool__wslots(sh)[w].killed, seq);
        kill(pid, SIGKILL);
    }
    kill(pid, SIGCONT);
}

/* Kill the workers whose call the master asked to stop, or whose call has
 * run past its limit, if they still run it. The milliseconds until it must
 * look again (-1: no call has a limit). */
static int stop_calls(void)
{
    double now = pool__now(), next = -1;
    for (int w = 0; w < sh->n; w++) {
        uint64_t seq = atomic_load(&pool__wslots(sh)[w].cancel);
        if (seq != 0) {
            stop_call(w, seq, KILL_CANCEL);
            uint64_t expect = seq;
            atomic_compare_exchange_strong(&pool__wslots(sh)[w].cancel, &expect, 0);
        }
        /* A call with a limit that this worker runs. */
        seq = atomic_load(&pool__wslots(sh)[w].holding);
        if (seq == 0)
            continue;
        pool__call *c = pool__slot(sh, seq);
        if (pool__call_runner(sh, seq) != w || !(c->limit > 0))
            continue;
        if (seen_seq[w] != seq) {
            seen_seq[w] = seq;
            seen_at[w] = now;
        }
        double end = seen_at[w] + c->limit;
        if (pool__is_remote(sh))
            end += 1.0;     /* stopped where it runs; here only if that is not heard of */
        if (now >= end)
            stop_call(w, seq, KILL_TIMEOUT);
        else if (next < 0 || end < next)
            next = end;
    }
    int ms = next < 0 ? -1 : (int)((next - now) * 1000) + 1;
    /* Calls with a limit not begun yet (or to be tried again): look again
     * soon, to see them start. */
    for (int k = 0; k < POOL__AGAIN && atomic_load(&sh->nagain) > 0; k++) {
        uint64_t seq = atomic_load(&sh->again[k]);
        if (seq != 0 && seq != UINT64_MAX && pool__slot(sh, seq)->limit > 0)
            return ms < 0 || ms > TICK_MS ? TICK_MS : ms;
    }
    uint64_t tail = atomic_load(&sh->tail);
    for (uint64_t seq = atomic_load(&sh->head); seq < tail; seq++) {
        if (pool__call_queued(sh, seq) && pool__slot(sh, seq)->limit > 0)
            return ms < 0 || ms > TICK_MS ? TICK_MS : ms;
    }
    return ms;
}

/* Worker w ended while holding call seq: true if it was killed on purpose,
 * with the status, error type and message to fail seq with. */
static bool killed_why(int w, uint64_t seq, int *st, const char **type, char *msg,
                       size_t size)
{
    seen_seq[w] = 0;    /* a try of seq run again (retries) gets its whole limit */
    uint64_t k = atomic_exchange(&pool__wslots(sh)[w].killed, 0);
    if (k == 0 || k != seq)
        return false;
    if (atomic_load(&pool__wslots(sh)[w].killed_why) == KILL_TIMEOUT) {
        *st = ST_TIMEOUT;
        *type = "Timeout";
        snprintf(msg, size, "%s ran past its limit of %g s; its worker %d was killed "
                 "and replaced", pool__slot(sh, seq)->name,
                 pool__slot(sh, seq)->limit / pool_time_scale(), w);
        return true;
    }
    *st = ST_CANCELLED;
    *type = "Cancelled";
    snprintf(msg, size, "the call was cancelled while it ran; its worker %d was "
             "killed and replaced", w);
    return true;
}

void pool__sup_finish_recorded(pool__shared *sh, int w)
{
    /* A call it was finishing, with its record gathered: finish it as the
     * worker would have. */
    uint64_t seq = pool__finishing_by(sh, w);
    if (seq && pool__trace_staged(sh, w, pool__slot(sh, seq)))
        pool__finish_end(sh, seq);
}

/* Worker i ended with wait status status: take the call it held, start
 * its replacement, then fail the call (so that whoever sees the failure
 * finds the pool whole again), or queue it again if it has tries left. */
static void ended(int i, int status)
{
    pool__wslot *ws = &pool__wslots(sh)[i];
    pid_t pid = atomic_load(&ws->pid);
    pool__sup_finish_recorded(sh, i);
    pool__trace_recover_later(sh, i);
    /* Its backtrace, if it took one (the replacement reuses the slot). */
    static struct pool__death d;
    memset(&d, 0, sizeof d);
    int bt_n = atomic_load(&ws->bt_n);
    d.bt_n = bt_n;
    d.bt_first = ws->bt_first;
    if (bt_n > 0 || bt_n == POOL__BT_TAKING)
        memcpy(d.bt, ws->bt, (size_t)(bt_n > 0 ? bt_n : 1) * sizeof *d.bt);
    int fatal = atomic_load(&ws->fatal);
    if (bt_n == POOL__BT_TAKING && fatal && WIFSIGNALED(status) && WTERMSIG(status) != fatal)
        status = fatal;     /* cut short while taking it (SIGALRM): the first signal */
    char how[200], wall[160];
    pool__describe_end(status, how, sizeof how);
    pool__trace_event(sh, i, pid, pool__now(), "end", how);
    wall_said(ws, wall, sizeof wall);   /* before the replacement takes the slot */

    /* The call it held, if any: the one slot that says so. */
    uint64_t held = pool__take_held(sh, i);
    bool begun = atomic_load(&ws->start) > 0;
    atomic_store(&ws->pid, 0);
    worker_pid[i] = 0;
    atomic_fetch_sub(&sh->live, 1);
    pool__worker_gone(sh, i);   /* it may have been asleep, spinning or being woken */

    /* Killed on purpose (cancel, time limit), or a death; a death may give
     * the call another try (retries), queued at once, ahead of the calls
     * not begun. A closing pool then needs a worker for it too. */
    char msg[1100];
    int st = ST_CRASH;
    const char *type = "WorkerDied";
    bool died = held && !killed_why(i, held, &st, &type, msg, sizeof msg);
    pool__call *c = held ? pool__slot(sh, held) : NULL;
    unsigned tries = c && c->tries ? c->tries : 1;
    /* A worker that found the pool's descriptor gone (a task before closed
     * it) leaves before its call begins: the call goes to another worker,
     * and counts no try. */
    bool lost = died && WIFEXITED(status) && WEXITSTATUS(status) == POOL__EXIT_LOST &&
                atomic_load(&ws->lost_fd) == held &&
                atomic_load(&sh->state) != POOL_TERMINATING;
    if (lost && pool__requeue(sh, held, "PoolError: its worker had lost the pool's "
                              "shared memory (a task before closed its descriptor); "
                              "it goes to another worker"))
        died = false, held = 0;
    bool again = died && tries <= c->retries && atomic_load(&sh->state) != POOL_TERMINATING;
    if (died) {
        d.seq = held;
        d.st = st;
        d.type = type;
        d.fn = c->fn;
        d.status = status;
        snprintf(d.head, sizeof d.head, "worker %d (pid %d) %s %s %s%s", i, (int)pid, how,
                 begun ? "while running" : "before it began", c->name, wall);
        if (c->retries)
            snprintf(d.try, sizeof d.try, " (try %u of %u)", tries, c->retries + 1);
        again = again && pool__death_retry(sh, &d);
    }
    bool closing = atomic_load(&sh->state) != POOL_RUNNING;
    if (!(closing && queue_empty() && !again && !lost))
        fill();
    /* Naming its frames takes a while: beside the loop (namer.c). */
    if (died)
        pool__death_name(sh, &d);
    else if (held)
        pool__fail_end(sh, held, st, type, msg);
}

/* The children this process has now (workers, and what tasks left). */
static int children(pid_t *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    int n = 0;
    if (f) {
        long pid;
        while (n < max && fscanf(f, "%ld", &pid) == 1)
            out[n++] = (pid_t)pid;
        fclose(f);
    }
    return n;
}

/* End everything: the pool is terminated, or the program has ended. */
/* Answer the master: this process is there (watch.c). */
static void answer(void)
{
    atomic_store(&sh->sup_pong, atomic_load(&sh->sup_ping));
}

static void __attribute__((noreturn)) finish(bool master_gone)
{
    /* Workers running a call are killed now. Idle ones are asked to leave
     * (they may be writing their records) and killed if they have not
     * within END_GRACE_MS. */
    atomic_store(&sh->state, POOL_TERMINATING);
    atomic_fetch_add(&sh->work, 1);
    pool__futex_wake(&sh->work, INT_MAX);
    pool__naming_poll(sh, true);    /* deaths being named: with what came */
    pool__trace_release(sh, true);
    for (int i = 0; i < sh->n; i++) {
        pid_t pid = atomic_load(&pool__wslots(sh)[i].pid);
        if (pid > 0 && atomic_load(&pool__wslots(sh)[i].holding) != 0)
            kill(pid, SIGKILL);
    }
    double give_up = pool__now() + END_GRACE_MS / 1000.0;
    for (int i = 0; i < sh->n; i++) {
        pid_t pid = atomic_load(&pool__wslots(sh)[i].pid);
        while (pid > 0) {
            int status;
            pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
            if (got == pid) {
                char how[200];
                pool__describe_end(status, how, sizeof how);
                pool__trace_event(sh, i, pid, pool__now(), "end", how);
            }
            if (got == pid || (got == -1 && errno != EINTR))
                break;
            if (pool__now() > give_up)
                kill(pid, SIGKILL);
            answer();
            usleep(500);
        }
    }
    /* They are dead: nothing else writes their slots now. Write out the
     * records they kept, then record each call still running or queued as
     * terminated (a call one was finishing too). */
    for (int i = 0; i < sh->n; i++)
        pool__trace_recover(sh, i);
    if (master_gone)
        pool__trace_recover(sh, POOL__TW_MASTER);
    uint64_t tail = atomic_load(&sh->tail);
    uint64_t from = tail > POOL__RING ? tail - POOL__RING : 1;
    for (uint64_t seq = from; seq < tail; seq++) {
        if (!pool__call_unfinished(sh, seq))
            continue;
        char msg[200], what[80];
        int sig = atomic_load(&sh->end_signal);
        if (sig)
            snprintf(what, sizeof what, "program was ended by SIG%s", sigabbrev_np(sig));
        else
            snprintf(what, sizeof what, "%s", master_gone ? "program ended"
                                                         : "pool was terminated");
        snprintf(msg, sizeof msg, "the %s before the task %s", what,
                 pool__call_queued(sh, seq) ? "started" : "finished");
        pool__fail(sh, seq, ST_TERMINATED, "Terminated", msg);
    }
    /* Reap the workers, then end and reap whatever tasks left running. */
    for (int round = 0; round < 100; round++) {
        pid_t kids[256];
        int n = children(kids, 256);
        for (int k = 0; k < n; k++)
            kill(kids[k], SIGKILL);
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0)
            ;
        if (pid == -1 && errno == ECHILD)
            break;
        answer();
        usleep(10000);
    }
    atomic_store(&sh->sup_done, 1);
    _exit(0);
}

void pool__supervise(pool__shared *shared, int ctl_fd, int master_fd, int sup_fd,
                     const sigset_t *mask)
{
    sh = shared;
    task_mask = *mask;
    pool__in_worker = false;    /* a pool made inside a task: this is no worker */
    pool__forked = false;
    prctl(PR_SET_NAME, "pool-supervisor");
    pool__trace_writer(POOL__TW_SUP);
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    /* Signals: none but our own SIGCHLD, taken through a descriptor. The
     * program's dispositions do not apply here (SIGCHLD may be ignored
     * there, which would hide how workers end). */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGCHLD, SIG_DFL);
    if (sh->backtrace)
        pool__bt_prepare();     /* the workers inherit it, ready */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sig_fd < 0)
        _exit(0);
    close_fds[0] = sig_fd;
    close_fds[1] = ctl_fd;
    close_fds[2] = master_fd;
    close_fds[3] = sup_fd;

    /* stdout: drop the master's unwritten bytes that fork copied (it
     * writes them itself); workers then start with an empty buffer, line
     * buffered. */
    static char buf[BUFSIZ];
    __fpurge(stdout);
    setvbuf(stdout, buf, _IOLBF, sizeof buf);

    /* The first workers; pool_create waits for this answer. A supervisor
     * started again after one died (watch.c) starts the workers anew, as
     * after deaths. */
    if (atomic_load(&sh->ready) == 1)
        fill();
    for (int i = 0; i < sh->n && atomic_load(&sh->ready) != 1; i++) {
        if (!spawn(i, false)) {
            sh->start_errno = errno;
            atomic_store(&sh->ready, 2);
            pool__futex_wake(&sh->ready, 1);
            finish(false);
        }
    }
    atomic_store(&sh->ready, 1);
    pool__futex_wake(&sh->ready, 1);
    answer();

    for (;;) {
        answer();
        int timeout = stop_calls();   /* calls to stop, and when to look again */
        if (retry_at > 0) {
            double left = retry_at - pool__now();
            int ms = left > 0 ? (int)(left * 1000) + 1 : 0;
            timeout = timeout < 0 || ms < timeout ? ms : timeout;
        }
        int naming = pool__naming_timeout();
        if (naming >= 0 && (timeout < 0 || naming < timeout))
            timeout = naming;
        struct pollfd pfd[3 + POOL__NAMING] = {
            {.fd = sig_fd, .events = POLLIN},
            {.fd = master_fd, .events = POLLIN},
            {.fd = ctl_fd, .events = POLLIN},
        };
        int nfd = 3 + pool__naming_fds(pfd + 3, POOL__NAMING);
        if (poll(pfd, (nfds_t)nfd, timeout) < 0 && errno != EINTR)
            finish(false);
        if (nfd > 3)
            pool__naming_poll(sh, false);
        if (pfd[1].revents)
            finish(true);
        if (pfd[2].revents) {
            uint64_t v;
            if (read(ctl_fd, &v, sizeof v) < 0) {
                /* nothing to read: look at the state anyway */
            }
            /* pool_resize may want more workers (a retry already set
             * for a failed start comes on its own). */
            if (retry_at == 0 && atomic_load(&sh->state) == POOL_RUNNING)
                fill();
        }
        if (atomic_load(&sh->state) == POOL_TERMINATING)
            finish(false);

        struct signalfd_siginfo si;
        while (read(sig_fd, &si, sizeof si) > 0)
            ;
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
            for (int i = 0; i < sh->n; i++) {
                if (atomic_load(&pool__wslots(sh)[i].pid) == pid) {
                    ended(i, status);
                }
            }
            /* else: a process a task left behind; reaped, nothing more */
        }
        /* A closed pool starts no worker for an empty queue: its workers
         * are leaving. */
        bool closing = atomic_load(&sh->state) != POOL_RUNNING;
        if (closing && queue_empty())
            retry_at = 0;
        else if (retry_at > 0 && pool__now() >= retry_at)
            fill();
        if (closing && atomic_load(&sh->live) == 0 && queue_empty() &&
            pool__naming_pending() == 0)
            finish(false);
    }
}
