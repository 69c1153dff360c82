/*
 * balance.c - a solution: a chunk size that keeps every worker busy.
 *
 * With one input per task, a worker that is done takes the next input
 * waiting, so the long inputs spread over the workers and no worker is
 * idle while inputs are still waiting.
 */
#include <stdio.h>
#include <time.h>

#include "pool.h"

#define NINPUTS 16

/* The task: input i takes 2 s if i < 4, else 0.5 s; it returns i * i. */
static pool_value job(pool_args a)
{
    pool_expect_args(a, 1);
    long i = pool_arg_int(a, 0);
    pool_sleep(i < 4 ? 2.0 : 0.5);
    return pool_int(i * i);
}

/* The program's own seconds (POOL_TIME_SCALE taken out). */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec + t.tv_nsec / 1e9) / pool_time_scale();
}

int main(void)
{
    pool *p = pool_create(0);           /* $POOL_WORKERS, else one per CPU */
    if (p == NULL) {
        pool_perror("balance");
        return 1;
    }

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    /* Chunk size 1: the inputs cost different times, so hand them out
     * one at a time, to whichever worker is free. */
    size_t chunksize = 1;

    double t0 = now();
    int failed = pool_map_chunked(p, job, in, NINPUTS, out, chunksize);
    double took = now() - t0;
    if (failed != 0) {
        fprintf(stderr, "balance: the map failed\n");
        pool_destroy(p);
        return 1;
    }

    for (int i = 0; i < NINPUTS; i++)
        printf("job(%d) = %ld\n", i, pool_as_int(out[i]));
    printf("%d inputs in chunks of %zu on %d workers: %.2f s\n", NINPUTS, chunksize,
           pool_size(p), took);
    pool_destroy(p);
    return 0;
}
