# libpool as an installed library (tests/lib.bats): misuse after
# pool_destroy, built against build/lib/libpool.a and, with the runtime's
# sources compiled in, with AddressSanitizer; a time limit under
# POOL_TIME_SCALE. The suite builds prog.c itself, outside the tree,
# against an installed copy, and compiles bad/*.c to see them refused.
LIB_TESTS := $(BUILD)/tests/lib/misuse $(BUILD)/tests/lib/scale $(BUILD)/asan/tests/lib/misuse
PROGRAMS  += $(LIB_TESTS)

$(BUILD)/asan/tests/lib/misuse: tests/lib/misuse.c $(RUNTIME_SRC) $(RUNTIME_HDR)
	@mkdir -p $(@D)
	$(CC) -Iruntime $(CFLAGS) $(SANITIZE) -o $@ $< $(RUNTIME_SRC) $(LDLIBS)
