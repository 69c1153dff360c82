# tools/trace: the one trace reader. reader.c and check.c are the library
# (libpooltrace.a) that the plot tools link; pooltrace is it as a command,
# for the tests and the grader. It reads traces only: it does not link the
# runtime, but takes the status words from runtime/status.h.

TRACE_BIN := $(BUILD)/tools/trace
TRACE_LIB := $(BUILD)/lib/libpooltrace.a
TRACE_OBJ := $(BUILD)/obj/tools/trace/reader.o $(BUILD)/obj/tools/trace/check.o
PROGRAMS  += $(TRACE_BIN)/pooltrace $(TRACE_LIB)

$(TRACE_LIB): $(TRACE_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(TRACE_BIN)/pooltrace: $(BUILD)/obj/tools/trace/pooltrace.o $(TRACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^
