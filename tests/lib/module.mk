# libpool as an installed library (tests/lib.bats): misuse after
# pool_destroy, built against build/lib/libpool.a and, with the runtime's
# sources compiled in, with AddressSanitizer. The out-of-tree programs of
# the suite are built by the tests themselves, against an installed copy.
LIB_TESTS := $(BUILD)/tests/lib/misuse $(BUILD)/asan/tests/lib/misuse
PROGRAMS  += $(LIB_TESTS)

$(BUILD)/asan/tests/lib/misuse: tests/lib/misuse.c $(RUNTIME_SRC) runtime/pool.h runtime/internal.h runtime/master.h
	@mkdir -p $(@D)
	$(CC) -Iruntime $(CFLAGS) $(SANITIZE) -o $@ $< $(RUNTIME_SRC) $(LDLIBS)
