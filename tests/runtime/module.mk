# The runtime's test programs (driven by tests/runtime.bats and
# tests/core.bats) and the sanitizer builds (tests/sanitize.bats).
#
# build/asan/tests/runtime/PROG compiles runtime/*.c straight into the
# program with AddressSanitizer and UndefinedBehaviorSanitizer, and
# build/tsan/tests/runtime/PROG with ThreadSanitizer, so that the runtime
# itself is checked, not only the calls into libpool.a.

RUNTIME_TEST_NAMES := create calls callevents crash lifecycle many output sleepers workload
# The regression tests of the runtime core: the fault matrix, the
# schedule, the soak.
CORE_TEST_NAMES    := faults schedule soak tracefaults
# The futures API (tests/futures.bats); waking workers (tests/wake.bats).
FUTURES_TEST_NAMES := futures wakebench progress workers retry wake
# Bytes and pool_starmap (tests/bytes.bats), and the bytes bench.
BYTES_TEST_NAMES   := bytes bytesbench
# A task's memory bugs and descriptor games reach no other call, and idle
# workers killed at any instant (tests/walls.bats).
WALLS_TEST_NAMES   := walls
RUNTIME_TEST_PROGS := $(RUNTIME_TEST_NAMES:%=$(BUILD)/tests/runtime/%) \
                      $(CORE_TEST_NAMES:%=$(BUILD)/tests/runtime/%) \
                      $(FUTURES_TEST_NAMES:%=$(BUILD)/tests/runtime/%) \
                      $(BYTES_TEST_NAMES:%=$(BUILD)/tests/runtime/%) \
                      $(WALLS_TEST_NAMES:%=$(BUILD)/tests/runtime/%)
PROGRAMS += $(RUNTIME_TEST_PROGS)

# The workload and the fault matrix with the sanitizers, the runtime's
# sources compiled in.
RUNTIME_ASAN := $(BUILD)/asan/tests/runtime/workload $(BUILD)/asan/tests/runtime/faults \
                $(BUILD)/asan/tests/runtime/futures $(BUILD)/asan/tests/runtime/workers \
                $(BUILD)/asan/tests/runtime/retry $(BUILD)/asan/tests/runtime/bytes \
                $(BUILD)/asan/tests/runtime/wake
RUNTIME_TSAN := $(BUILD)/tsan/tests/runtime/faults $(BUILD)/tsan/tests/runtime/futures \
                $(BUILD)/tsan/tests/runtime/bytes $(BUILD)/tsan/tests/runtime/wake
SANITIZE     := -fsanitize=address,undefined -fno-omit-frame-pointer
TSANITIZE    := -fsanitize=thread -fno-omit-frame-pointer
PROGRAMS     += $(RUNTIME_ASAN) $(RUNTIME_TSAN)

$(RUNTIME_ASAN): $(BUILD)/asan/tests/runtime/%: tests/runtime/%.c tests/runtime/check.h $(RUNTIME_SRC) $(RUNTIME_HDR)
	@mkdir -p $(@D)
	$(CC) -Iruntime $(CFLAGS) $(SANITIZE) -o $@ $< $(RUNTIME_SRC) $(LDLIBS)

$(RUNTIME_TSAN): $(BUILD)/tsan/tests/runtime/%: tests/runtime/%.c tests/runtime/check.h $(RUNTIME_SRC) $(RUNTIME_HDR)
	@mkdir -p $(@D)
	$(CC) -Iruntime $(CFLAGS) $(TSANITIZE) -o $@ $< $(RUNTIME_SRC) $(LDLIBS)

# The soak: two minutes of mixed calls and crashes (SOAK_SECONDS sets the
# length; tests/core.bats runs a short one); then a minute of chaos
# (CHAOS_SECONDS), workers killed and stopped at random under every kind
# of call, whose trace must hold one final record per call
# (tests/walls.bats runs a short one); then 1,000,000 bytes results kept
# alive at once (tests/walls.bats keeps 100,000).
SOAK_SECONDS  ?= 120
CHAOS_SECONDS ?= 60
CHAOS_TRACE   := $(BUILD)/soak-chaos.csv
soak: $(BUILD)/tests/runtime/soak $(BUILD)/tests/runtime/walls $(BUILD)/tools/trace/pooltrace
	timeout $$(( $(SOAK_SECONDS) + 60 )) $(BUILD)/tests/runtime/soak $(SOAK_SECONDS)
	rm -f $(CHAOS_TRACE)
	POOL_TRACE=$(CHAOS_TRACE) timeout $$(( $(CHAOS_SECONDS) + 90 )) \
	    $(BUILD)/tests/runtime/soak $(CHAOS_SECONDS) chaos >$(CHAOS_TRACE).out; \
	    s=$$?; cat $(CHAOS_TRACE).out; exit $$s
	$(BUILD)/tools/trace/pooltrace final $(CHAOS_TRACE) \
	    "$$(sed -n 's/.* \([0-9]*\) task ids$$/\1/p' $(CHAOS_TRACE).out)"
	timeout 600 $(BUILD)/tests/runtime/walls kept 1000000

# slowfork.so: LD_PRELOAD it to make fork() slow to return in the parent
# (tests/trace.bats: a new worker's start event against its first call).
SLOWFORK := $(BUILD)/tests/runtime/slowfork.so
PROGRAMS += $(SLOWFORK)
$(SLOWFORK): tests/runtime/slowfork.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

# failwrite.so: LD_PRELOAD it to make writes to one file fail with EIO
# once it has grown to a given size (tests/trace.bats: the trace on a
# failing disk).
FAILWRITE := $(BUILD)/tests/runtime/failwrite.so
PROGRAMS += $(FAILWRITE)
$(FAILWRITE): tests/runtime/failwrite.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -fPIC -o $@ $< -ldl
