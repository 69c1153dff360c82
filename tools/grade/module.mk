# The grader: `make grade` grades lesson 2's exercises in exercises/lesson2/
# (EXERCISE=future picks one). tools/grade/README.md tells how it works.
# Exit status of tools/grade/grade: 0 when every check passes, 1 when one
# fails, 2 when it cannot run (make itself then exits with 2 for any failure).
GRADE_SHIM  := $(BUILD)/obj/tools/grade/shim.o
GRADE_FETCH := $(BUILD)/obj/tools/grade/fetch.o

# Built with everything else so that their warnings are seen; the grader
# itself compiles them afresh when it starts.
all: $(GRADE_SHIM) $(GRADE_FETCH)

grade: $(LIBPOOL)
	@tools/grade/grade $(EXERCISE)
