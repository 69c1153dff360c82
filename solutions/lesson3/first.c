/*
 * first.c - take the first answer, and stop the others.
 *
 * Four mirrors hold the same file. The master asks all four at once, and
 * each answers after its own delay. One answer is enough.
 *
 * The master takes the answer that comes first, then stops the other
 * calls (the reference answer to exercises/lesson3/first.c).
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

    long first = future_wait_any(calls, NMIRRORS, -1);

    printf("The first answer came from mirror %ld: %ld bytes\n",
           first, pool_as_int(future_get(calls[first])));

    /* future_kill removes a call from the queue, or kills the worker
     * that runs it; EALREADY if it ended on its own meanwhile. */
    for (int m = 0; m < NMIRRORS; m++)
        if (m != first && future_kill(calls[m]) == 0)
            printf("Mirror %d stopped\n", m);

    pool_destroy(p);
    return 0;
}
