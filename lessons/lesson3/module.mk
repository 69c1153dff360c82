# Lesson 3: beyond polling. Waiting for the first call, results as they
# come, callbacks, cancelling, time limits, crashes.
#
#   make lesson3        build the programs, then run them in lesson order,
#                       each after a banner (lessons/lesson3/run holds them).
#                       POOL_TIME_SCALE=0.1 (or any POOL_ setting) passes through.
#   make plots-lesson3  the trace of cancel, timeout and crash drawn on 1, 2
#                       and 4 workers (also part of make plots).

LESSON3_NAMES := waitany ascompleted progress cancel timeout crash
LESSON3_PROGS := $(LESSON3_NAMES:%=$(BUILD)/lessons/lesson3/%)
PROGRAMS      += $(LESSON3_PROGS)

.PHONY: lesson3 plots-lesson3
lesson3: $(LESSON3_PROGS)
	@sh lessons/lesson3/run $(BUILD)/lessons/lesson3
