# Lesson 3: beyond polling. Waiting for the first call, results as they
# come, callbacks, cancelling, time limits, crashes, retries.
#
#   make lesson3        build the programs, then run them in lesson order,
#                       each after a banner (lessons/lesson3/run holds them).
#                       POOL_TIME_SCALE=0.1 (or any POOL_ setting) passes through.
#   make plots-lesson3  the trace of cancel, timeout and crash drawn on 1, 2
#                       and 4 workers (also part of make plots).

LESSON3_NAMES := waitany ascompleted progress cancel timeout crash retry
LESSON3_PROGS := $(LESSON3_NAMES:%=$(BUILD)/lessons/lesson3/%)
PROGRAMS      += $(LESSON3_PROGS)

.PHONY: lesson3 plots-lesson3
lesson3: $(LESSON3_PROGS)
	@sh lessons/lesson3/run $(BUILD)/lessons/lesson3

# make plots draws lesson 3 too: the programs whose traces hold the
# statuses of this lesson (cancelled, timeout, crash, retried), on 1, 2 and
# 4 workers, each into plots/lesson3-NAME/ (LESSON3_PLOTDIR=dir: elsewhere).
# PLOT_SCALE and PLOT_FLAGS are tools/plot/module.mk's.
LESSON3_PLOTS   := cancel timeout crash retry
LESSON3_WORKERS ?= 1,2,4
LESSON3_PLOTDIR ?= plots

plots: plots-lesson3
plots-lesson3: $(LESSON3_PLOTS:%=$(BUILD)/lessons/lesson3/%) $(BUILD)/tools/plot/tracestat $(BUILD)/tools/plot/trace2json
	@for n in $(LESSON3_PLOTS); do \
	    tools/plot/poolplot $(PLOT_FLAGS) --html -w $(LESSON3_WORKERS) -s $(PLOT_SCALE) \
	        -p "$$n (lesson 3)" -o $(LESSON3_PLOTDIR)/lesson3-$$n $(BUILD)/lessons/lesson3/$$n || exit 1; \
	done
	@echo "make plots-lesson3: see $(LESSON3_PLOTDIR)/lesson3-cancel/, -timeout/, -crash/ and -retry/"
