/*
 * progress.c - a callback on every call of a map, drawing a progress bar.
 *
 * Twenty inputs, one call each. Every future gets a callback, which the
 * pool runs as soon as that call is done: it adds the result to a total
 * and prints the bar again. The master itself only waits for the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 20
#define WIDTH 20

/* Shared by the callbacks and the master; lock guards them. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int done;
static int failed;
static long total;

/* Sleep for tenths / 10 seconds, then return x * x. */
static pool_value square_later(pool_args a)
{
    pool_expect_args(a, 2);
    int tenths = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(tenths / 10.0);
    return pool_int(x * x);
}

/* Print the bar: one # for each call done. Caller holds lock. */
static void draw(void)
{
    char bar[WIDTH + 1];
    int filled = done * WIDTH / NCALLS;
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    printf("[%s] %2d/%d done\n", bar, done, NCALLS);
}

/* Run by the pool once a call has succeeded. */
static void on_ok(future *f, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    total += pool_as_int(future_get(f));
    done++;
    draw();
    pthread_mutex_unlock(&lock);
}

/* Run by the pool once a call has failed. */
static void on_error(future *f, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    printf("A call failed: %s\n", pool_error_message(future_get(f)));
    failed++;
    done++;
    draw();
    pthread_mutex_unlock(&lock);
}

int main(void)
{
    future *calls[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int x = 0; x < NCALLS; x++) {
        calls[x] = pool_apply_async(p, square_later, 2 + x % 4, x);
        if (calls[x] == NULL || future_on_done(calls[x], on_ok, on_error, NULL) != 0) {
            pool_perror("pool_apply_async");
            exit(1);
        }
    }

    /* The callbacks do the work; pool_join returns after the last one. */
    pool_close(p);
    pool_join(p);

    printf("The squares of 0 to %d add up to %ld (%d call(s) failed)\n",
           NCALLS - 1, total, failed);
    pool_destroy(p);
    return 0;
}
