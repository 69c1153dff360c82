# The MPI build (make MPI=1): build/lib/libpool_mpi.a, a whole libpool
# compiled again with mpicc and -DPOOL_MPI into build/obj-mpi/, plus the
# transport in runtime/mpi/. A program links it instead of libpool.a, with
# mpicc. libpool.a and every other build are not touched: without MPI=1
# nothing here is built, and nothing in libpool.a names MPI.
MPICC          ?= mpicc
LIBPOOL_MPI    := $(BUILD)/lib/libpool_mpi.a
MPI_SRC        := $(wildcard runtime/mpi/*.c)
MPI_OBJ        := $(RUNTIME_SRC:%.c=$(BUILD)/obj-mpi/%.o) $(MPI_SRC:%.c=$(BUILD)/obj-mpi/%.o)
MPI_TEST_NAMES := relay other
MPI_TEST_PROGS := $(MPI_TEST_NAMES:%=$(BUILD)/tests/mpi/%)

$(BUILD)/obj-mpi/%.o: %.c
	@mkdir -p $(@D)
	$(MPICC) $(CPPFLAGS) -DPOOL_MPI $(CFLAGS) -c -o $@ $<

$(LIBPOOL_MPI): $(MPI_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# The MPI test programs (tests/mpi.bats); "other" is relay built again with
# another build-id, for the handshake's refusal.
$(BUILD)/tests/mpi/%: tests/mpi/%.c $(LIBPOOL_MPI)
	@mkdir -p $(@D)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBPOOL_MPI) $(LDLIBS) -ldl

$(BUILD)/tests/mpi/other: tests/mpi/relay.c $(LIBPOOL_MPI)
	@mkdir -p $(@D)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -DOTHER_BUILD -o $@ $< $(LIBPOOL_MPI) $(LDLIBS) -ldl

.PHONY: mpi
mpi: $(LIBPOOL_MPI) $(MPI_TEST_PROGS)

ifeq ($(MPI),1)
all: mpi
bench: mpi      # and make bench adds the figures across machines
endif
