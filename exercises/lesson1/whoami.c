/*
 * whoami.c - exercise: which process ran each input?
 *
 * As shipped, the pool runs whoami on eight inputs, but the master prints
 * getpid() for each of them: its own PID, not the worker's. And the count
 * at the end is not counted.
 *
 * What to do (README.md beside this file says more):
 *   1. Make whoami return the PID of the process that runs it, and print
 *      that, from out[i], as "Input i ran in process P".
 *   2. Count how many different worker processes ran the inputs, and end
 *      with "K worker process(es) ran 8 inputs".
 *
 * Build and run:  make build/exercises/lesson1/whoami
 *                 ./build/exercises/lesson1/whoami
 * Grade:          make grade LESSON=1 EXERCISE=whoami
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
    return pool_int(0);                 /* TODO: the PID of this process */
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
        printf("Input %d ran in process %d\n", i, getpid());   /* TODO: the worker's PID */

    int nworkers = 0;                   /* TODO: count the different PIDs */
    printf("%d worker process(es) ran %d inputs\n", nworkers, NINPUTS);
    return 0;
}
