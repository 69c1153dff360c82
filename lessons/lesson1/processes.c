/*
 * processes.c - the master and its workers are processes, each with a PID.
 *
 * The master is the program you start. pool_create starts the workers:
 * other processes, with PIDs of their own. pool_map runs whoami once per
 * input, in the workers, and the master prints who ran what.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

#define NINPUTS 6

/* Say which process runs input i, sleep one second, return that PID. */
static pool_value whoami(pool_args a)
{
    pool_expect_args(a, 1);
    int i = pool_arg_int(a, 0);

    printf("Input %d runs in process %d\n", i, getpid());
    pool_sleep(1);

    return pool_int(getpid());
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    printf("Worker processes in the pool: %d\n", pool_size(p));

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    /* Chunk size 1: each input is a task of its own (see chunks.c). */
    int failed = pool_map_chunked(p, whoami, in, NINPUTS, out, 1);
    if (failed != 0) {
        if (failed < 0)
            pool_perror("pool_map_chunked");
        else
            fprintf(stderr, "processes: %d of %d inputs failed\n", failed, NINPUTS);
        pool_destroy(p);
        exit(1);
    }
    pool_destroy(p);

    /* Count the different PIDs that came back. */
    int nworkers = 0;
    for (int i = 0; i < NINPUTS; i++) {
        int first = 1;
        for (int j = 0; j < i; j++)
            if (pool_as_int(out[j]) == pool_as_int(out[i]))
                first = 0;
        nworkers += first;
    }

    printf("Results, in input order:\n");
    for (int i = 0; i < NINPUTS; i++)
        printf("Input %d ran in process %ld\n", i, pool_as_int(out[i]));
    printf("%d worker process(es) ran %d inputs; the master, PID %d, ran none\n",
           nworkers, NINPUTS, getpid());
    return 0;
}
