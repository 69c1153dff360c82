# Lesson 1: processes, pools and pool_map.
#
#   make lesson1    build the programs, then run them in lesson order, each
#                   after a banner (lessons/lesson1/run holds the banners).
#                   POOL_TIME_SCALE=0.1 (or any POOL_ setting) passes through.
#   make plots      also draws lesson 1's instructor plots (plots-lesson1).

LESSON1_NAMES := processes map chunks cpus amdahl
LESSON1_PROGS := $(LESSON1_NAMES:%=$(BUILD)/lessons/lesson1/%)
PROGRAMS      += $(LESSON1_PROGS)

.PHONY: lesson1
lesson1: $(LESSON1_PROGS)
	@sh lessons/lesson1/run $(BUILD)/lessons/lesson1
