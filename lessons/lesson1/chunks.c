/*
 * chunks.c - pool_map sends its inputs out in chunks.
 *
 * usage: chunks [CHUNKSIZE]
 *
 * A chunk is a run of inputs that goes to one worker as one task: the
 * worker runs the function on each input of it in turn. Chunk size 1 makes
 * each input a task of its own; 0 (the default) lets the pool choose, as
 * pool_map does. The master prints which process ran each input; the
 * trace (POOL_TRACE) shows each chunk as one record, "label[first..last]".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

#define NINPUTS 12

/* Sleep a quarter of a second for input i; return the worker's PID. */
static pool_value label(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(0.25);
    return pool_int(getpid());
}

int main(int argc, char **argv)
{
    long chunksize = 0;
    if (argc > 2) {
        fprintf(stderr, "usage: chunks [CHUNKSIZE]\n");
        return 2;
    }
    if (argc == 2) {
        char *end;
        errno = 0;
        chunksize = strtol(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0' || errno != 0 || chunksize < 0 || chunksize > NINPUTS) {
            fprintf(stderr, "usage: chunks [CHUNKSIZE]  (a whole number from 0 to %d)\n", NINPUTS);
            return 2;
        }
    }

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    int failed = pool_map_chunked(p, label, in, NINPUTS, out, chunksize);
    if (failed != 0) {
        if (failed < 0)
            pool_perror("pool_map_chunked");
        else
            fprintf(stderr, "chunks: %d of %d inputs failed\n", failed, NINPUTS);
        pool_destroy(p);
        exit(1);
    }

    if (chunksize == 0)
        printf("%d inputs, chunk size 0 (the pool chooses), workers: %d\n", NINPUTS, pool_size(p));
    else
        printf("%d inputs, chunk size %ld, workers: %d, tasks: %ld\n", NINPUTS, chunksize,
               pool_size(p), (NINPUTS + chunksize - 1) / chunksize);
    pool_destroy(p);

    for (int i = 0; i < NINPUTS; i++)
        printf("Input %d ran in process %ld\n", i, pool_as_int(out[i]));
    return 0;
}
