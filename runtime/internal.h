/*
 * internal.h - every header of the runtime's own, for code that has not
 * yet named the ones it uses. Private to runtime/.
 *
 * Each .c file of the runtime declares what it gives the others in a
 * header of its own name (blob.c: blob.h, ...; pool.c's, with the master's
 * two structs: master.h), and includes the headers of what it uses. Names
 * that start with pool__ (two underscores) are private to runtime/.
 */
#ifndef POOL_INTERNAL_H
#define POOL_INTERNAL_H

#include "backtrace.h"
#include "base.h"
#include "blob.h"
#include "fault.h"
#include "namer.h"
#include "queue.h"
#include "remote.h"
#include "room.h"
#include "shared.h"
#include "supervise.h"
#include "trace.h"
#include "tracefile.h"
#include "value.h"
#include "wire.h"
#include "worker.h"

#endif /* POOL_INTERNAL_H */
