/*
 * amdahl.c - Amdahl's law, measured: a serial part limits the speed-up.
 *
 * The program does one job on 1, 2, 4 and 8 workers: a serial part of one
 * second that only the master can do (say, reading the input), then a
 * parallel part, eight inputs of half a second each mapped over the pool.
 * From the run on one worker it measures f, the fraction of the time that
 * was serial, and compares each measured speed-up with Amdahl's
 * prediction 1 / (f + (1 - f) / n). All the work sleeps, so the CPU count
 * does not matter here (cpus.c shows when it does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pool.h"

#define NINPUTS 8
#define SERIAL 1.0              /* seconds of serial work */
#define EACH 0.5                /* seconds of work per input */

/* The program's own seconds (POOL_TIME_SCALE taken out). */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec + t.tv_nsec / 1e9) / pool_time_scale();
}

/* One input's share of the parallel part. */
static pool_value work(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(EACH);
    return pool_int(pool_arg_int(a, 0));
}

/* Do the whole job on n workers; the seconds its serial part took go to
 * *serial, and the whole job's are returned. */
static double job(int n, double *serial)
{
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    pool_value in[NINPUTS], out[NINPUTS];

    double t0 = now();
    pool_sleep(SERIAL);                 /* the serial part, in the master */
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);
    double t1 = now();
    int failed = pool_map_chunked(p, work, in, NINPUTS, out, 1);
    double t2 = now();

    pool_destroy(p);
    if (failed != 0) {
        fprintf(stderr, "amdahl: the map on %d workers failed\n", n);
        exit(1);
    }
    *serial = t1 - t0;
    return t2 - t0;
}

int main(void)
{
    printf("Serial part: %.2f s in the master. Parallel part: %d inputs of %.2f s.\n",
           SERIAL, NINPUTS, EACH);

    double serial, t1 = job(1, &serial);
    double f = serial / t1;
    printf("On 1 worker: %.2f s in all, %.2f s of it serial: f = %.2f\n", t1, serial, f);
    printf("workers     time   speed-up   Amdahl predicts\n");
    printf("%7d   %5.2f s   %8.2f   %15.2f\n", 1, t1, 1.0, 1.0);
    for (int n = 2; n <= 8; n *= 2) {
        double t = job(n, &serial);
        printf("%7d   %5.2f s   %8.2f   %15.2f\n", n, t, t1 / t, 1 / (f + (1 - f) / n));
    }
    printf("No number of workers can beat 1 / f = %.2f\n", 1 / f);
    return 0;
}
