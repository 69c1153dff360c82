/*
 * whoami.c - a solution: which process ran each input?
 *
 * getpid() is asked where the work runs, in the task, and the PID comes
 * back to the master as the task's result.
 */
#include <stdio.h>
#include <unistd.h>

#include "pool.h"

#define NINPUTS 8

/* Runs in a worker, once per input: sleep a second. */
static pool_value whoami(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(1);
    return pool_int(getpid());
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    pool *p = pool_create(0);           /* $POOL_WORKERS, else one per CPU */
    if (p == NULL) {
        pool_perror("whoami");
        return 1;
    }

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    /* Chunk size 1: each input is a task of its own. */
    if (pool_map_chunked(p, whoami, in, NINPUTS, out, 1) != 0) {
        fprintf(stderr, "whoami: the map failed\n");
        pool_destroy(p);
        return 1;
    }
    pool_destroy(p);

    for (int i = 0; i < NINPUTS; i++)
        printf("Input %d ran in process %ld\n", i, pool_as_int(out[i]));

    /* A PID counts the first time it shows up in out[]. */
    int nworkers = 0;
    for (int i = 0; i < NINPUTS; i++) {
        int j = 0;
        while (j < i && pool_as_int(out[j]) != pool_as_int(out[i]))
            j++;
        if (j == i)
            nworkers++;
    }
    printf("%d worker process(es) ran %d inputs\n", nworkers, NINPUTS);
    return 0;
}
