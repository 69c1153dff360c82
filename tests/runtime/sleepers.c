/*
 * sleepers.c - a master whose workers all sleep, for the tests that kill
 * the master and then look for its workers.
 *
 *     sleepers N
 *
 * Prints "master PID", then each of the N calls prints "sleeper PID" and
 * sleeps a minute (not scaled). The master waits for the calls.
 */
#include <stdio.h>
#include <unistd.h>

#include "check.h"

static pool_value sleeper(pool_args a)
{
    pool_expect_args(a, 0);
    printf("sleeper %d\n", (int)getpid());
    for (int i = 0; i < 60; i++)
        sleep(1);
    return pool_none();
}

int main(int argc, char **argv)
{
    int n = argc == 2 ? atoi(argv[1]) : 0;
    if (n < 1) {
        fprintf(stderr, "usage: sleepers N\n");
        return 2;
    }
    printf("master %d\n", (int)getpid());
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    for (int i = 0; i < n; i++)
        pool_apply_async(p, sleeper);
    pool_close(p);
    pool_join(p);
    pool_destroy(p);
    return 0;
}
