#!/usr/bin/env bats
# The runtime under the memory checkers: tests/runtime/workload (calls,
# errors, workers that die by exit() and SIGKILL, futures freed while
# pending, pool_terminate and pool_destroy with work in flight) built with
# AddressSanitizer + UndefinedBehaviorSanitizer compiled into the runtime,
# and the normal build under valgrind. Any report fails the test. A planted
# bug (WORKLOAD_BUG) shows that each checker does catch one.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
ASAN="$ROOT/build/asan/tests/runtime/workload"
BIN="$ROOT/build/tests/runtime"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/asan/tests/runtime/workload \
        build/tests/runtime/workload build/tests/runtime/calls \
        build/tests/runtime/lifecycle build/tests/runtime/crash >&2
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
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
    "$ROOT/tests/runtime/trace_check" "$POOL_TRACE" >/dev/null
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
