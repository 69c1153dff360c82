# The benchmark: our runtime against Python's multiprocessing, side by side.
#   make bench                    full size, 75-90 s on 2 quiet cores
#   make bench BENCH_SIZE=smoke   everything tiny, a few seconds
# The table goes to stdout and to bench-results.txt; BENCHMARKS.md says how
# to read it.
BENCH_PROGS := $(BUILD)/tools/bench/poolbench
PROGRAMS    += $(BENCH_PROGS)

bench: $(BENCH_PROGS) $(BUILD)/tests/runtime/wakebench $(BUILD)/tests/runtime/bytesbench
	BENCH_SIZE=$(or $(BENCH_SIZE),full) tools/bench/bench

# The OpenMP anchor of the map figure lives in poolbench (gcc's -fopenmp,
# libgomp). private: the flag is not passed on to libpool's objects.
$(BENCH_PROGS): private CFLAGS += -fopenmp
