/*
 * prog: a program as a user of the installed libpool writes it, built by
 * tests/lib.bats outside the project's tree, against the copy that make
 * install put in a DESTDIR (with pkg-config), once with the shared library
 * and once with the static one. It checks the version macros against the
 * library it runs with, squares four numbers in four workers, and lets one
 * task crash, so that the WorkerDied message shows where, from whichever
 * library the runtime came.
 */
#include <pool.h>
#include <stdio.h>
#include <string.h>

#if !POOL_CHECK_VERSION(2, 0)
#error "this program needs libpool 2.0 or later"
#endif

static pool_value square(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    return pool_int(x * x);
}

static pool_value crash(pool_args a)
{
    (void)a;
    volatile int *nowhere = NULL;
    return pool_int(*nowhere);
}

int main(void)
{
    printf("header %s (%d.%d), library %s\n", POOL_VERSION, POOL_VERSION_MAJOR,
           POOL_VERSION_MINOR, pool_version());
    if (strcmp(pool_version(), POOL_VERSION) != 0)
        return 1;
    printf("check 2.0 %d, %d.%d %d, %d.%d %d, 9.0 %d\n", POOL_CHECK_VERSION(2, 0),
           POOL_VERSION_MAJOR, POOL_VERSION_MINOR,
           POOL_CHECK_VERSION(POOL_VERSION_MAJOR, POOL_VERSION_MINOR),
           POOL_VERSION_MAJOR, POOL_VERSION_MINOR + 1,
           POOL_CHECK_VERSION(POOL_VERSION_MAJOR, POOL_VERSION_MINOR + 1),
           POOL_CHECK_VERSION(9, 0));

    pool *p = pool_create(4);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    future *f[4];
    for (int i = 0; i < 4; i++)
        f[i] = pool_apply_async(p, square, i + 1);
    for (int i = 0; i < 4; i++)
        printf("%d squared is %ld\n", i + 1, pool_as_int(future_get(f[i])));
    pool_value v = future_get(pool_apply_async(p, crash));
    printf("%s: %s\n", pool_error_type(v), pool_error_message(v));
    pool_close(p);
    pool_join(p);
    pool_destroy(p);
    return 0;
}
