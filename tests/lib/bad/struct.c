/* A struct by value, in pool_apply: the same message as for a pointer. */
#include "pool.h"

struct point { double x, y; };

static pool_value norm(pool_args a)
{
    (void)a;
    return pool_none();
}

int main(void)
{
    struct point pt = {3, 4};
    pool *p = pool_create(1);
    pool_value v = pool_apply(p, norm, pt);
    (void)v;
    return 0;
}
