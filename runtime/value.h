/*
 * value.h - what value.c gives the rest of the runtime.
 * Private to runtime/.
 */
#ifndef POOL_VALUE_H
#define POOL_VALUE_H

#include "pool.h"

/* What a value of kind k is, in words ("an integer"). */
const char *pool__kind_name(pool_kind k);

#endif
