/* An array of ints (a pointer, once passed): the compiler must say that a
 * pointer does not reach the worker, and what to send instead. */
#include "pool.h"

static pool_value total(pool_args a)
{
    (void)a;
    return pool_none();
}

int main(void)
{
    int xs[4] = {1, 2, 3, 4};
    pool *p = pool_create(1);
    future *f = pool_apply_async(p, total, xs, 4);
    (void)f;
    return 0;
}
