/*
 * cubes.c - exercise: one function over an array, with pool_map.
 *
 * As shipped, a for loop in the master cubes twelve numbers, one after
 * another, half a second each: six seconds, with the pool's workers idle.
 *
 * What to do (README.md beside this file says more):
 *   Let the pool do the work: put the numbers in an array of pool_value,
 *   make one pool_map call with the task cube, and print each result from
 *   the map's output, in input order, with the same line as now
 *   ("cube(3) = 27"). On four workers it should take about two seconds.
 *
 * Build and run:  make build/exercises/lesson1/cubes
 *                 POOL_WORKERS=4 ./build/exercises/lesson1/cubes
 * Grade:          make grade LESSON=1 EXERCISE=cubes
 */
#include <stdio.h>

#include "pool.h"

#define NINPUTS 12

static const int numbers[NINPUTS] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8 };

/* The task: x * x * x, after half a second. (Not static, so that the
 * compiler does not warn while nothing uses it yet.) */
pool_value cube(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    pool_sleep(0.5);
    return pool_int(x * x * x);
}

/* The same work as a plain function, for the for loop. */
static long cube_here(long x)
{
    pool_sleep(0.5);
    return x * x * x;
}

int main(void)
{
    pool *p = pool_create(0);           /* $POOL_WORKERS, else one per CPU */
    if (p == NULL) {
        pool_perror("cubes");
        return 1;
    }

    /* TODO: replace this loop with one pool_map of cube over the numbers. */
    for (int i = 0; i < NINPUTS; i++)
        printf("cube(%d) = %ld\n", numbers[i], cube_here(numbers[i]));

    pool_destroy(p);
    return 0;
}
