#!/usr/bin/env bats
# The runtime under the memory checkers: tests/runtime/workload (calls,
# errors, workers that die by exit() and SIGKILL, futures freed while
# pending, pool_terminate and pool_destroy with work in flight) built with
# AddressSanitizer + UndefinedBehaviorSanitizer compiled into the runtime,
# and the normal build under valgrind. Any report fails the test. A planted
# bug (WORKLOAD_BUG) shows that each checker does catch one.
#
# The fault matrix of the core (tests/runtime/faults, see tests/core.bats)
# runs under the same three, and under ThreadSanitizer: workers that segfault,
# abort, exit and SIGKILL themselves, submits racing pool_close and
# pool_terminate, a pool made by a thread that exits, tasks that fork or call
# their own pool, nested pools, trace files switched in mid-run. Crashes stay
# signals (handle_segv=0), so the sanitizers' own handlers do not turn them
# into exit statuses. A planted data race (faults race) shows that TSan sees one.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
ASAN="$ROOT/build/asan/tests/runtime/workload"
ASAN_FAULTS="$ROOT/build/asan/tests/runtime/faults"
TSAN_FAULTS="$ROOT/build/tsan/tests/runtime/faults"
BIN="$ROOT/build/tests/runtime"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/asan/tests/runtime/workload \
        build/tests/runtime/workload build/tests/runtime/calls \
        build/tests/runtime/lifecycle build/tests/runtime/crash \
        build/asan/tests/runtime/faults build/tsan/tests/runtime/faults \
        build/tests/runtime/faults >&2
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_abort=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export TSAN_OPTIONS=halt_on_error=1:handle_segv=0:second_deadlock_stack=1
    unset POOL_WORKERS WORKLOAD_BUG
}

# valgrind PROG ARGS...: run under memcheck; errors or definite/indirect
# leaks make the status 9.
vg() {
    run --separate-stderr timeout 60 valgrind -q --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=9 "$@"
}

@test "ASan + UBSan: the workload runs clean (no report, exit 0)" {
    run --separate-stderr timeout 60 "$ASAN"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "status $status; stderr:
$stderr"
    assert_output "workload: ok"
    "$ROOT/build/tools/trace/pooltrace" tsv "$POOL_TRACE" >/dev/null
}

@test "ASan + UBSan: a planted leak and a planted overflow are caught" {
    WORKLOAD_BUG=leak run --separate-stderr timeout 60 "$ASAN"
    [ "$status" -ne 0 ] || fail "a leak went unseen"
    [[ $stderr == *"ERROR: LeakSanitizer: detected memory leaks"* ]] || fail "stderr: $stderr"
    WORKLOAD_BUG=overflow run --separate-stderr timeout 60 "$ASAN"
    [ "$status" -ne 0 ] || fail "an overflow went unseen"
    [[ $stderr == *"runtime error: signed integer overflow"* ]] || fail "stderr: $stderr"
}

@test "valgrind: the workload has no memory error and no leak, in the master or a worker" {
    vg "$BIN/workload"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "status $status; valgrind says:
$stderr"
    assert_output "workload: ok"
}

@test "valgrind: a planted leak is caught" {
    WORKLOAD_BUG=leak vg "$BIN/workload"
    assert_equal "$status" 9
    [[ $stderr == *"64 bytes in 1 blocks are definitely lost"* ]] || fail "stderr: $stderr"
}

@test "valgrind: big strings, freed futures, terminate and a dying worker run clean" {
    local what
    for what in "calls kinds" "calls free" "lifecycle terminate" "lifecycle destroy" "crash exit"; do
        # shellcheck disable=SC2086
        vg "$BIN/"$what
        [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "$what: status $status; valgrind says:
$stderr"
    done
}

# --- the fault matrix of the core -------------------------------------------------

# The faults sub-commands each checker runs (d6, d9, d13 and the D5 knob are
# left to tests/core.bats: a lingering child, a master killed on purpose, a
# FIFO and a descriptor limit say nothing more under a checker). FILE is a
# path in the test's directory.
FAULT_RUNS=(
    "d1 300" "d2 close 20" "d2 terminate 20" "d3 pools" "d3 fork" "d4"
    "d7 first" "d7 replaced" "d8 FILE" "d10" "d11 FILE" "d12 ignore" "d12 reap"
    "d14a FILE FILE2" "d14b FILE" "d14c"
)

# Under valgrind every run is tens of times slower: the runs that repeat
# one thing (a racing close or terminate 20 times, 30 crashes) repeat it
# fewer times there; the paths they take are the same.
LIGHT_RUNS=("${FAULT_RUNS[@]/%close 20/close 5}")
LIGHT_RUNS=("${LIGHT_RUNS[@]/%terminate 20/terminate 5}")
LIGHT_RUNS=("${LIGHT_RUNS[@]/%d10/d10 8}")

# checked WRAPPER... : run every RUNS entry as WRAPPER... ARGS, each
# under a 60 s timeout; each must exit 0 with no report on stderr (the
# runtime's own "pool: ..." lines are tests/core.bats's business). All run;
# the failure lists every one that failed.
checked() {
    local what args report bad=""
    for what in "${RUNS[@]}"; do
        args=${what//FILE2/$BATS_TEST_TMPDIR/file2}
        args=${args//FILE/$BATS_TEST_TMPDIR/file}
        rm -f "$BATS_TEST_TMPDIR"/file*
        mkdir -p "$BATS_TEST_TMPDIR/$what" && export POOL_TRACE="$BATS_TEST_TMPDIR/$what/trace.csv"
        # shellcheck disable=SC2086
        run --separate-stderr timeout 60 "$@" $args
        report=$(grep -v '^pool: ' <<<"$stderr" || true)
        if [ "$status" -ne 0 ] || [ -n "$report" ]; then
            [ "$status" -eq 124 ] && stderr="(timed out: a hang) $stderr"
            bad="$bad
faults $what: status $status; stderr:
$(head -n 20 <<<"$stderr")"
        fi
    done
    [ -z "$bad" ] || fail "$bad"
}

@test "ASan + UBSan: the fault matrix (crashes, racing close, forks, nested pools) runs clean" {
    RUNS=("${FAULT_RUNS[@]}")
    checked "$ASAN_FAULTS"
}

@test "TSan: the fault matrix runs clean" {
    RUNS=("${FAULT_RUNS[@]}")
    checked "$TSAN_FAULTS"
}

@test "TSan: a planted data race is caught" {
    run --separate-stderr timeout 60 "$TSAN_FAULTS" race
    [ "$status" -ne 0 ] || fail "a data race went unseen"
    [[ $stderr == *"WARNING: ThreadSanitizer: data race"* ]] || fail "stderr: $stderr"
}

@test "valgrind: the fault matrix has no memory error and no leak, in the master or a worker" {
    RUNS=("${LIGHT_RUNS[@]}")
    [[ " ${RUNS[*]} " == *" d10 8 "* && " ${RUNS[*]} " == *" d2 close 5 "* ]] ||
        fail "the lighter runs are not the ones meant: ${RUNS[*]}"
    checked valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=9 "$BIN/faults"
}
