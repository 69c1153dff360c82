/*
 * progress.c - a progress bar over many calls, drawn by a callback.
 *
 *   progress [N]
 *
 * N calls (default 200) go out at once; each future gets a callback that
 * counts it and redraws the bar. Callbacks run on the pool's watcher
 * thread, one at a time, but a call that ended before its callback was
 * added has it run at once in the master: hence the lock. The master only
 * waits for all the futures, then prints the total. On a terminal the bar
 * redraws in place (\r); through a pipe it prints a line at every tenth.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int total, done, failed;     /* lock guards done and failed */
static bool tty;

/* Sum of squares up to n, slowly enough to watch. */
static pool_value work(pool_args a)
{
    long n = pool_arg_int(a, 0), s = 0;
    for (long i = 1; i <= n; i++)
        s += i * i;
    usleep(2000);
    return pool_int(s);
}

static void draw(void)
{
    int width = 40, filled = done * width / total;
    if (tty) {
        printf("\r[%.*s%*s] %d/%d", filled, "########################################",
               width - filled, "", done, total);
        fflush(stdout);
    } else if (done * 10 / total != (done - 1) * 10 / total) {
        printf("[%.*s%*s] %d/%d\n", filled, "########################################",
               width - filled, "", done, total);
    }
}

static void count_ok(future *f, void *arg)
{
    (void)f;
    (void)arg;
    pthread_mutex_lock(&lock);
    done++;
    draw();
    pthread_mutex_unlock(&lock);
}

static void count_error(future *f, void *arg)
{
    (void)arg;
    fprintf(stderr, "task %lu failed: %s\n", future_id(f), pool_error_message(future_get(f)));
    pthread_mutex_lock(&lock);
    failed++;
    done++;
    draw();
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
    total = argc > 1 ? atoi(argv[1]) : 200;
    if (total < 1) {
        fprintf(stderr, "usage: progress [N > 0]\n");
        return 2;
    }
    tty = isatty(STDOUT_FILENO);
    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    future **fs = malloc((size_t)total * sizeof *fs);
    if (fs == NULL)
        return 1;
    for (int i = 0; i < total; i++) {
        fs[i] = pool_apply_async(p, work, 1000 + i);
        if (fs[i] == NULL || future_on_done(fs[i], count_ok, count_error, NULL) != 0) {
            pool_perror("pool_apply_async");
            return 1;
        }
    }
    future_wait_many(fs, (size_t)total, FUTURE_ALL_COMPLETED, -1);
    /* Every call has ended; pool_join also waits for their callbacks. */
    pool_close(p);
    pool_join(p);
    if (tty)
        printf("\n");
    printf("%d calls, %d failed\n", done, failed);
    pool_destroy(p);
    free(fs);
    return failed != 0;
}
