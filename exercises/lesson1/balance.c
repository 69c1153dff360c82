/*
 * balance.c - exercise: a chunk size that keeps every worker busy.
 *
 * Sixteen inputs, not all of the same cost: the first four take two
 * seconds each, the others half a second. The program splits them "fairly"
 * into one chunk per worker, so one worker gets all four long inputs and
 * the others sit idle long before it is done.
 *
 * What to do (README.md beside this file says more):
 *   Choose the chunk size so that the map ends close to the best time the
 *   work allows, on any number of workers. Keep the inputs, the work and
 *   pool_create(0) as they are. Run it with POOL_TRACE=trace.csv and look
 *   at which worker ran which chunk, and when.
 *
 * Build and run:  make build/exercises/lesson1/balance
 *                 POOL_WORKERS=4 ./build/exercises/lesson1/balance
 * Grade:          make grade LESSON=1 EXERCISE=balance
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

    /* TODO: a chunk size that keeps the workers busy to the end. */
    size_t chunksize = NINPUTS / pool_size(p);

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
