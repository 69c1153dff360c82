/*
 * base.c - what every other file of the runtime leans on and that leans on
 * nothing: the last error's sentence, the end of a broken invariant, the
 * clock, and the time scale (POOL_TIME_SCALE, pool_sleep).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"

static _Thread_local char last_error[512];

void pool__set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

const char *pool_last_error(void)
{
    return last_error[0] ? last_error : "no error";
}

void pool_perror(const char *what)
{
    if (what && *what)
        fprintf(stderr, "%s: %s\n", what, pool_last_error());
    else
        fprintf(stderr, "%s\n", pool_last_error());
}

void pool__die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("pool: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

double pool__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Time. -------------------------------------------------------------------- */

/* $POOL_TIME_SCALE as a number: 1 when unset or empty, -1 when it is not
 * a finite number above 0. */
static double read_time_scale(void)
{
    const char *s = getenv("POOL_TIME_SCALE");
    if (s == NULL || *s == '\0')
        return 1.0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end != '\0' || !isfinite(x) || !(x > 0))
        return -1.0;
    return x;
}

double pool_time_scale(void)
{
    double x = read_time_scale();
    return x > 0 ? x : 1.0;
}

int pool__check_time_scale(void)
{
    if (read_time_scale() > 0)
        return 0;
    pool__set_error("POOL_TIME_SCALE=%s is not a time scale (a number above 0, "
                    "such as 0.1 to sleep a tenth as long)", getenv("POOL_TIME_SCALE"));
    errno = EINVAL;
    return -1;
}

void pool_sleep(double seconds)
{
    double t = seconds * pool_time_scale();
    if (!(t > 0))
        return;
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}
