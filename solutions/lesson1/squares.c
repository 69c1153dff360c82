/*
 * squares.c - a solution: one function over an array, with pool_map.
 *
 * One pool_map call hands every number to the workers; out[i] holds the
 * cube of numbers[i], whichever worker computed it.
 */
#include <stdio.h>

#include "pool.h"

#define NINPUTS 12

static const int numbers[NINPUTS] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8 };

/* The task: x * x * x, after half a second. */
static pool_value cube(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    pool_sleep(0.5);
    return pool_int(x * x * x);
}

int main(void)
{
    pool *p = pool_create(0);           /* $POOL_WORKERS, else one per CPU */
    if (p == NULL) {
        pool_perror("squares");
        return 1;
    }

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(numbers[i]);

    if (pool_map(p, cube, in, NINPUTS, out) != 0) {
        fprintf(stderr, "squares: the map failed\n");
        pool_destroy(p);
        return 1;
    }
    pool_destroy(p);

    for (int i = 0; i < NINPUTS; i++)
        printf("cube(%d) = %ld\n", numbers[i], pool_as_int(out[i]));
    return 0;
}
