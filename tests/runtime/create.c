/*
 * create.c - pool_create: its workers exist, and bad counts are refused.
 *
 *     create N      pool_create(N) (N = 0: POOL_WORKERS, else the CPUs)
 *
 * On success it prints "master PID", "size N", then one line "worker PID"
 * per worker as its tasks saw them, and checks that the workers are N
 * distinct children of this process. On failure it prints the runtime's
 * message (pool_perror) and exits 1; errno must be EINVAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static gate started, release;

/* Tell the master this worker has begun, hold until released, give the PID:
 * so every worker holds one task at the same time. */
static pool_value hold(pool_args a)
{
    pool_expect_args(a, 0);
    gate_open(&started, 1);
    gate_pass(&release);
    return pool_int(getpid());
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: create N\n");
        return 2;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    CHECK(*end == '\0', "not a number: %s", argv[1]);
    gate_make(&started);
    gate_make(&release);

    errno = 0;
    pool *p = pool_create((int)n);
    if (p == NULL) {
        int e = errno;
        pool_perror("pool_create");
        CHECK(e == EINVAL, "errno is %d (%s), not EINVAL", e, strerror(e));
        CHECK(strcmp(pool_last_error(), "no error") != 0, "no message was set");
        return 1;
    }
    int size = pool_size(p);
    printf("master %d\n", (int)getpid());
    printf("size %d\n", size);
    CHECK(size >= 1 && size <= POOL_MAX_WORKERS, "pool_size is %d", size);
    if (n > 0)
        CHECK(size == n, "pool_size is %d, asked for %ld", size, n);
    else
        CHECK(size == pool_default_size(), "pool_size %d, pool_default_size %d", size,
              pool_default_size());

    pid_t kids[POOL_MAX_WORKERS + 1];
    int nkids = workers(kids, POOL_MAX_WORKERS + 1);
    CHECK(nkids == size, "%d child processes for %d workers", nkids, size);

    /* One task per worker, all held at once: each one is in its own process. */
    future **f = calloc((size_t)size, sizeof *f);
    CHECK(f != NULL, "out of memory");
    for (int i = 0; i < size; i++)
        f[i] = pool_apply_async(p, hold);
    gate_wait(&started, size);
    gate_open(&release, size);
    pid_t seen[POOL_MAX_WORKERS];
    for (int i = 0; i < size; i++) {
        pool_value v = future_get(f[i]);
        CHECK(v.kind == POOL_INT, "task %d failed: %s: %s", i, pool_error_type(v),
              pool_error_message(v));
        seen[i] = (pid_t)v.as.i;
        CHECK(seen[i] != getpid(), "task %d ran in the master", i);
        CHECK(!pid_in(seen[i], seen, i), "PID %d ran two of the held tasks", (int)seen[i]);
        CHECK(pid_in(seen[i], kids, nkids), "PID %d is not a child of the master",
              (int)seen[i]);
        CHECK(future_pid(f[i]) == seen[i], "future_pid %d, the task saw %d",
              (int)future_pid(f[i]), (int)seen[i]);
        printf("worker %d\n", (int)seen[i]);
        future_free(f[i]);
    }
    free(f);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    CHECK(children(kids, 1) == 0, "workers left after pool_join");
    pool_destroy(p);
    return 0;
}
