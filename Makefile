# Parallel C: the one entry point.
#
#   make            build the runtime library, the lessons, exercises, solutions, tools
#   make lesson1    build and run lesson 1's programs, with a banner before each
#   make lesson2    the same for lesson 2
#   make lesson3    the same for lesson 3: waiting, callbacks, cancels, time limits, crashes
#   make grade      grade your exercises, every lesson (LESSON=N one lesson, EXERCISE=name one)
#   make plots      instructor plots of each lesson's tasks across 1, 2, 4, 8 workers
#   make bench      the runtime against Python's multiprocessing, side by side
#   make soak       mixed calls and crashes through one pool for two minutes, a minute of
#                   chaos (workers killed and stopped at random), 1M results kept at once
#   make test       install what the tests need (as root), build, run every suite
#   make deps       only the installing part of make test
#   make MPI=1      also libpool_mpi.a: pools across machines over Open MPI (runtime/mpi/);
#                   make deps MPI=1 and make test MPI=1 install Open MPI and run its suite
#   make deps-student  what a student needs: a C compiler, make, bubblewrap (for make grade)
#   make install    libpool (static and shared), pool.h and libpool.pc under
#                   PREFIX (default /usr/local); DESTDIR for packages
#   make uninstall  remove what make install put there (same PREFIX, DESTDIR)
#   make clean      remove build/
#
# Every directory with code has a module.mk that adds its own targets; this
# file holds the flags, the pattern rules and the targets people type.

CC       ?= cc
PREFIX   ?= /usr/local
BUILD    := build
WERROR   ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra $(WERROR)
CPPFLAGS += -Iruntime -MMD -MP
LDLIBS   += -lpthread

LIBPOOL  := $(BUILD)/lib/libpool.a
NPROC    := $(shell nproc 2>/dev/null || echo 1)
PROGRAMS :=

.PHONY: all deps deps-student test lesson1 lesson2 grade plots bench soak install install-lib uninstall uninstall-lib clean
all:

include runtime/module.mk
include $(sort $(filter-out runtime/module.mk,$(wildcard */module.mk */*/module.mk)))

all: $(LIBPOOL) $(LIBPOOL_SO) $(PROGRAMS)

# One rule for every program: build/X/prog from X/prog.c, linked with libpool.
$(BUILD)/%: %.c $(LIBPOOL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBPOOL) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Debian packages the tests, plots and benchmark need. As root they are
# installed; otherwise the exact command is printed and make stops.
deps:
	@tools/deps
ifeq ($(MPI),1)
	@tools/deps --mpi
endif

# What a student needs for the lessons and make grade, nothing more.
deps-student:
	@tools/deps --student

# The build before the tests runs one job per CPU (half the time on two).
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@tests/run

# The recipes are in runtime/module.mk.
install: install-lib
uninstall: uninstall-lib

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
