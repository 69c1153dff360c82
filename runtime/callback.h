/*
 * callback.h - callbacks, run on the watcher thread (callback.c).
 * Private to runtime/.
 */
#ifndef POOL_CALLBACK_H
#define POOL_CALLBACK_H

#include "pool.h"

/* On the watcher thread, run the callbacks of the futures that
 * are done (takes p->lock). Poke the watcher. */
void pool__run_callbacks(pool *p);
void pool__poke_watcher(pool *p);

#endif
