/*
 * room.h - a task's own guarded memory (room.c).
 * Private to runtime/.
 */
#ifndef POOL_ROOM_H
#define POOL_ROOM_H

#include <stdbool.h>
#include <stddef.h>

/* In a task: a room of n bytes (16-aligned) of the worker's own memory,
 * ending at a guard page; NULL with errno (EMLINK: the call has its four). */
void *pool__room_take(size_t n);
/* After the task: false, with the room's size, if it wrote past the end of
 * a room (from the from-th on) into the few bytes before the guard. */
bool pool__room_intact(int from, size_t *n);
/* How many rooms the running call has taken (they are taken in order). */
int pool__room_count(void);
/* In the fatal-signal handler: the room whose guard addr is in, as its
 * size + 1; (size_t)-1 for the guard after the arguments' copy; 0 none. */
size_t pool__room_guard_hit(const void *addr);
/* After the call: every room free again (large ones unmapped). */
void pool__room_release(void);
/* The task's own copy of small arguments (len bytes at most a page), at
 * the start of a page that a guard page follows; NULL if no memory. */
char *pool__room_args(const char *bytes, size_t len);

#endif
