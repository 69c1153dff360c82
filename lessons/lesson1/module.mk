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

# make plots: lesson 1's instructor set, drawn by tools/plot/poolplot on
# 1, 2, 4, 8 workers (PLOT_SCALE, PLOT_WORKERS and PLOT_FLAGS as in
# tools/plot/module.mk): chunks with one input per task and with four, and
# the balance exercise (as shipped: one chunk per worker) beside its
# solution (one input per task), where makespan meets its lower bound.
# LESSON1_PLOT_DIR (default plots) is where they go.
# poolplot's own programs are named by path: tools/plot/module.mk is read
# after this file.
LESSON1_PLOT_DIR ?= plots
# "as shipped" only while the exercise is the file we shipped (its sum is
# kept beside it); once a student has edited it, it is their version.
LESSON1_BALANCE_SUM ?= exercises/lesson1/balance.c.sha256
LESSON1_BALANCE_IS := $(shell sha256sum -c --status $(LESSON1_BALANCE_SUM) \
                        2>/dev/null && echo "as shipped" || echo "your version")
LESSON1_PLOTS := $(BUILD)/lessons/lesson1/chunks $(BUILD)/exercises/lesson1/balance \
                 $(BUILD)/solutions/lesson1/balance

.PHONY: plots-lesson1
plots: plots-lesson1
plots-lesson1: $(BUILD)/tools/plot/tracestat $(BUILD)/tools/plot/trace2json $(LESSON1_PLOTS)
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "chunks 1 (lesson 1)" -o $(LESSON1_PLOT_DIR)/lesson1-chunks1 $(BUILD)/lessons/lesson1/chunks 1
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "chunks 4 (lesson 1)" -o $(LESSON1_PLOT_DIR)/lesson1-chunks4 $(BUILD)/lessons/lesson1/chunks 4
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "balance (lesson 1, $(LESSON1_BALANCE_IS))" -o $(LESSON1_PLOT_DIR)/lesson1-balance $(BUILD)/exercises/lesson1/balance
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "balance (lesson 1, solution)" -o $(LESSON1_PLOT_DIR)/lesson1-balance-solution $(BUILD)/solutions/lesson1/balance
	@echo "make plots: see $(LESSON1_PLOT_DIR)/lesson1-chunks1/, lesson1-chunks4/, lesson1-balance/ and lesson1-balance-solution/"
