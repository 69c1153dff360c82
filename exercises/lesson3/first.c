/*
 * first.c - take the first answer, and stop the others.
 *
 * Four mirrors hold the same file. The master asks all four at once, and
 * each answers after its own delay. One answer is enough.
 *
 * As shipped, the master waits for every mirror, in order, and calls
 * mirror 0's answer the first. Make it take the answer that really comes
 * first, and stop the other calls: see exercises/lesson3/README.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NMIRRORS 4

/* Mirror m answers after nsecs seconds: the file's size, as it has it. */
static pool_value fetch(pool_args a)
{
    pool_expect_args(a, 2);
    int m = pool_arg_int(a, 0), nsecs = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(1000 + m);
}

int main(void)
{
    static const int delay[NMIRRORS] = { 4, 2, 1, 3 };
    future *calls[NMIRRORS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int m = 0; m < NMIRRORS; m++)
        calls[m] = pool_apply_async(p, fetch, m, delay[m]);

    /* TODO: wait for whichever call ends first (future_wait_any), not
     * for all of them in order. */
    for (int m = 0; m < NMIRRORS; m++)
        future_wait(calls[m]);
    int first = 0;

    printf("The first answer came from mirror %d: %ld bytes\n",
           first, pool_as_int(future_get(calls[first])));

    /* TODO: stop every other call, whether it waits in the queue or
     * runs, and say so: "Mirror m stopped". */

    pool_destroy(p);
    return 0;
}
