/*
 * output.c - lines printed by workers and by the master, through a pipe.
 *
 *     output FILE
 *
 * The master prints a line and half a line before the pool exists (stdout
 * is a pipe, so both sit in its buffer when the workers are forked); four
 * calls print two lines each; a worker dies and is replaced (another fork);
 * then one call prints "task waits for FILE" and runs until FILE exists,
 * which the test creates only once it has read that line: so the line must
 * come through the pipe while the call is still running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static pool_value talk(pool_args a)
{
    pool_expect_args(a, 1);
    long i = pool_arg_int(a, 0);
    printf("task %ld in %d going to sleep\n", i, (int)getpid());
    pool_sleep(0.2);
    printf("task %ld waking up\n", i);
    return pool_int(10 * i);
}

static pool_value die(pool_args a)
{
    pool_expect_args(a, 0);
    exit(3);
}

static pool_value wait_file(pool_args a)
{
    pool_expect_args(a, 1);
    const char *path = pool_arg_str(a, 0);
    printf("task waits for %s\n", path);
    for (int i = 0; i < 2000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    if (access(path, F_OK) != 0)
        pool_raise("TimeoutError", "%s never came", path);
    printf("task saw the file\n");
    return pool_none();
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: output FILE\n");
        return 2;
    }
    printf("master: before the pool\n");
    printf("master: half ");
    pool *p = pool_create(2);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    printf("a line\n");
    future *f[4];
    for (int i = 0; i < 4; i++)
        f[i] = pool_apply_async(p, talk, i);
    for (int i = 0; i < 4; i++)
        printf("result %d = %ld\n", i, pool_as_int(future_get(f[i])));

    printf("master: another half ");
    pool_value v = pool_apply(p, die);      /* the replacement is forked now */
    CHECK_ERROR(v, "WorkerDied", "exited with status 3");
    pool_value_free(v);
    printf("line\n");

    future *w = pool_apply_async(p, wait_file, argv[1]);
    printf("master: waiting\n");
    v = future_get(w);
    CHECK(v.kind == POOL_NONE, "wait_file: %s", pool_error_message(v));
    printf("master: released\n");
    pool_destroy(p);
    return 0;
}
