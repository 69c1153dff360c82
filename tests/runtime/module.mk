# The runtime's test programs (driven by tests/runtime.bats) and the
# sanitizer build of one of them (tests/sanitize.bats).
#
# build/asan/tests/runtime/workload compiles runtime/*.c straight into the
# program with AddressSanitizer and UndefinedBehaviorSanitizer, so that the
# runtime itself is checked, not only the calls into libpool.a.

RUNTIME_TEST_NAMES := create calls crash lifecycle many output sleepers workload
RUNTIME_TEST_PROGS := $(RUNTIME_TEST_NAMES:%=$(BUILD)/tests/runtime/%)
PROGRAMS += $(RUNTIME_TEST_PROGS)

# The same workload with the sanitizers, the runtime's sources compiled in.
RUNTIME_ASAN := $(BUILD)/asan/tests/runtime/workload
SANITIZE     := -fsanitize=address,undefined -fno-omit-frame-pointer
PROGRAMS     += $(RUNTIME_ASAN)

$(RUNTIME_ASAN): tests/runtime/workload.c tests/runtime/check.h $(RUNTIME_SRC) runtime/pool.h runtime/internal.h
	@mkdir -p $(@D)
	$(CC) -Iruntime $(CFLAGS) $(SANITIZE) -o $@ tests/runtime/workload.c $(RUNTIME_SRC) $(LDLIBS)
