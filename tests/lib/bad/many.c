/* A call with 17 arguments: the compiler must say the limit and the way out,
 * also in a program that has macros of short names (X, MANY). */
#define X 1
#define MANY 2
#include "pool.h"

static pool_value sum(pool_args a)
{
    (void)a;
    return pool_none();
}

int main(void)
{
    pool *p = pool_create(1);
    future *f = pool_apply_async(p, sum, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                 15, 16, 17);
    (void)f;
    return 0;
}
