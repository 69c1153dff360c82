# The grader: `make grade` grades every lesson's exercises in exercises/lessonN/;
# LESSON=N grades one lesson, EXERCISE=name one exercise (of LESSON, or of
# the lesson that has it). tools/grade/README.md tells how it works.
# tools/grade/grade exits 0 when every check passes, 1 when one fails, 2
# when it cannot run. make grade keeps its score line as the last line: a
# failed check (1) is the grade, not an error of make, so make exits 0
# then; when the grader cannot run (2), make stops with its error.
GRADE_SHIM  := $(BUILD)/obj/tools/grade/shim.o
GRADE_FETCH := $(BUILD)/obj/tools/grade/fetch.o
GRADE_TALLY := $(BUILD)/obj/tools/grade/tally.o

# Built with everything else so that their warnings are seen; the grader
# itself compiles them afresh when it starts.
all: $(GRADE_SHIM) $(GRADE_FETCH) $(GRADE_TALLY)

grade: $(LIBPOOL)
	@tools/grade/grade $(if $(LESSON),--lesson $(LESSON)) $(EXERCISE) || [ $$? -eq 1 ]
