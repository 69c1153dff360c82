/*
 * watch.h - the master's watcher thread (watch.c).
 * Private to runtime/.
 */
#ifndef POOL_WATCH_H
#define POOL_WATCH_H

/* The watcher thread's body. */
void *pool__watcher_main(void *arg);

#endif
