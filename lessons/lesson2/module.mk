# Lesson 2: pool_apply, pool_apply_async and futures.
#
#   make lesson2    build the programs, then run them in lesson order, each
#                   after a banner (lessons/lesson2/run holds the banners).
#                   POOL_TIME_SCALE=0.1 (or any POOL_ setting) passes through.

LESSON2_NAMES := poolapply_function poolapply arity applyasync future
LESSON2_PROGS := $(LESSON2_NAMES:%=$(BUILD)/lessons/lesson2/%)
PROGRAMS      += $(LESSON2_PROGS)

lesson2: $(LESSON2_PROGS)
	@sh lessons/lesson2/run $(BUILD)/lessons/lesson2
