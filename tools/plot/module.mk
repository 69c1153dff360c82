# tools/plot: the instructor plots. poolplot (a shell driver) runs a program
# across worker counts; tracestat and trace2json read its traces; gnuplot
# draws. `make plots` draws lesson 2's future program and its exercise's
# reference solution into plots/.

PLOT_BIN   := $(BUILD)/tools/plot
PLOT_TOOLS := $(PLOT_BIN)/tracestat $(PLOT_BIN)/trace2json
PROGRAMS   += $(PLOT_TOOLS) $(BUILD)/tests/plot/tasks

# The tools read traces only, with the one reader (tools/trace,
# libpooltrace.a; named here, as tools/trace/module.mk comes later): they do
# not link the runtime.
$(BUILD)/obj/tools/plot/%.o: CPPFLAGS += -Itools/trace
$(PLOT_BIN)/tracestat: $(BUILD)/obj/tools/plot/tracestat.o $(BUILD)/lib/libpooltrace.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^
$(PLOT_BIN)/trace2json: $(BUILD)/obj/tools/plot/trace2json.o $(BUILD)/lib/libpooltrace.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

# make plots: lesson 2's future on 1, 2, 4, 8 workers, and the solution of
# its exercise (which takes the worker count as argv[1]). pool_sleep runs
# PLOT_SCALE times as long (0.25: a 5 s task takes 1.25 s); PLOT_SCALE=1
# draws real lesson times.
PLOT_SCALE    ?= 0.25
PLOT_WORKERS  ?= 1,2,4,8
PLOT_FLAGS    ?= --timeout 120
PLOT_LESSON   := $(BUILD)/lessons/lesson2/future
PLOT_SOLUTION := $(BUILD)/solutions/lesson2/future

# A program is built when its source is there; if it is not, the recipe
# says which one is missing.
plot_buildable = $(if $(wildcard $(1:$(BUILD)/%=%).c),$(1))

plots: $(PLOT_TOOLS) $(call plot_buildable,$(PLOT_LESSON)) $(call plot_buildable,$(PLOT_SOLUTION))
	@for p in $(PLOT_LESSON) $(PLOT_SOLUTION); do \
	    [ -x $$p ] || { echo "make plots: $$p does not exist yet (its source $${p#$(BUILD)/}.c is missing)" >&2; exit 1; }; \
	done
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "future (lesson 2)" -o plots/lesson2-future $(PLOT_LESSON)
	tools/plot/poolplot $(PLOT_FLAGS) --html -w $(PLOT_WORKERS) -s $(PLOT_SCALE) -p "future (lesson 2, solution)" -a -o plots/lesson2-future-solution $(PLOT_SOLUTION)
	@echo "make plots: see plots/lesson2-future/ and plots/lesson2-future-solution/"
