#!/usr/bin/env bats
# Bytes values and pool_starmap (runtime/pool.h, "Values" and
# "Calls") through tests/runtime/bytes, one sub-command per case: bytes of
# every size out and back, doubles and structs, how long results live,
# errors and limits, workers that die holding bytes, maps; starmap with its
# chunks, a wrong arity and a worker dying mid-chunk. Then all of it under
# ASan + UBSan, TSan and valgrind. Every run has a timeout; nothing is timed.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0
load 'runtime/helpers'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime/bytes"
ASAN="$ROOT/build/asan/tests/runtime/bytes"
TSAN="$ROOT/build/tsan/tests/runtime/bytes"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

# Every sub-command but fsize (a file size limit says nothing more under a
# checker) and wrong_kind (it aborts on purpose).
ALL=(sizes kinds lifetime errors crash fault retry maps callback starmap starmap_errors starmap_crash nest array recycle)
# Under valgrind, all but sizes (ASan runs it; its 20 MB patterns are slow there).

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/bytes \
        build/asan/tests/runtime/bytes build/tsan/tests/runtime/bytes >&2
}

setup() {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_abort=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export TSAN_OPTIONS=halt_on_error=1:handle_segv=0:second_deadlock_stack=1
    unset POOL_WORKERS POOL_FAULT
}

# bt [PROG] CMD...: the bytes program (or PROG) runs the sub-commands clean.
bt() {
    local prog=$BIN
    case $1 in /*) prog=$1; shift ;; esac
    subcommands "$prog" "$@"
}

# trace [FILE]: check the trace and put its records, tab-separated, in $TSV.
trace() {
    TSV="$BATS_TEST_TMPDIR/trace.tsv"
    "$POOLTRACE" tsv "${1:-$POOL_TRACE}" >"$TSV" || fail "the trace breaks runtime/TRACE.md"
}

@test "bytes of 0 B to 20 MB go to a task and come back whole; large ones aligned to 16" {
    bt sizes
}

@test "bytes: an array of doubles, a struct, and bytes among other kinds of argument" {
    bt kinds
}

@test "bytes: a future's live until future_free, pool_apply's until pool_value_free (after pool_destroy too)" {
    bt lifetime
}

@test "bytes: wrong kinds give a TypeError with a place; over POOL_MAX_BYTES a PoolError" {
    bt errors
}

@test "bytes: over RLIMIT_FSIZE, an argument or a result fails with a PoolError that names it" {
    bt fsize
    # Refused before any file grew past the limit: no SIGXFSZ anywhere.
    trace
    assert_equal "$(awk -F'\t' '$8 == "error" && $9 ~ /^PoolError: .*RLIMIT_FSIZE/' "$TSV" | wc -l)" 2
    assert_equal "$(awk -F'\t' '$8 == "crash"' "$TSV" | wc -l)" 0
}

@test "bytes: workers that abort after pool_bytes_alloc, or are killed or future_kill'ed holding bytes, leak no extent and spoil nothing" {
    bt crash
    trace
    # Five rounds: two abort() and one SIGKILL each.
    assert_equal "$(awk -F'\t' '$8 == "crash" && $2 == "alloc_abort" && $9 ~ /SIGABRT/' "$TSV" | wc -l)" 10
    assert_equal "$(awk -F'\t' '$8 == "crash" && $2 == "alloc_wait" && $9 ~ /SIGKILL/' "$TSV" | wc -l)" 5
    assert_equal "$(awk -F'\t' '$8 == "cancelled" && $2 == "alloc_wait"' "$TSV" | wc -l)" 5
}

@test "bytes: a large argument whose worker dies first (POOL_FAULT=crash:ID) fails the call; its extent comes back" {
    bt fault
    trace "$BATS_TEST_TMPDIR/trace-2.csv"
    assert_equal "$(awk -F'\t' '$8 == "crash" && $2 == "check_arg"' "$TSV" | wc -l)" 4
    assert_equal "$(awk -F'\t' '$8 == "ok" && $2 == "check_arg"' "$TSV" | wc -l)" 8
}

@test "bytes with retries: a large argument reaches the second try whole; a first try that dies holding bytes leaks none" {
    bt retry
    trace "$BATS_TEST_TMPDIR/trace-2.csv"
    assert_equal "$(awk -F'\t' '$8 == "retried" && $2 == "echo"' "$TSV" | wc -l)" 2
    assert_equal "$(awk -F'\t' '$8 == "retried" && $2 == "once_abort" && $9 ~ /SIGABRT/' "$TSV" | wc -l)" 6
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 12
}

@test "bytes in pool_map, pool_imap_unordered and pool_map_async (inputs and results), and read in a callback" {
    bt maps callback
}

@test "extents passed from results to the next arguments and back carry the right bytes; the blob file stops growing" {
    bt recycle
}

@test "pool_starmap: rows of three values, in chunks as pool_map makes them; rows of bytes" {
    bt starmap
    trace
    # 100 rows on 2 workers: chunks of 13 (100 / 8, rounded up), then of 10.
    assert_equal "$(awk -F'\t' '$2 ~ /^fma3\[/' "$TSV" | wc -l)" 18
    assert_equal "$(awk -F'\t' '$2 == "fma3[0..12]" || $2 == "fma3[91..99]"' "$TSV" | wc -l)" 2
    assert_equal "$(awk -F'\t' '$2 == "fma3[0..9]" || $2 == "fma3[90..99]"' "$TSV" | wc -l)" 2
    assert_equal "$(awk -F'\t' '$8 != "ok"' "$TSV" | wc -l)" 0
}

@test "pool_starmap: a wrong arity fails each row with its TypeError; bad calls are refused" {
    bt starmap_errors
}

@test "pool_map_array: plain arrays in slices, any chunk size; one element past a slice fails the map, named" {
    bt array
    trace
    # The two maps that wrote past their slices (64 longs in slices of 7:
    # ten chunks, the pattern caught them; of 8: eight, the guard page):
    # each failed chunk is named in the trace by its slice.
    assert_equal "$(awk -F'\t' '$2 ~ /^past_slice\[/ && ($8 == "crash" || $8 == "error")' "$TSV" | wc -l)" 18
}

@test "pool_starmap: a worker dies mid-chunk; only its row fails, the others run again one to a task" {
    bt starmap_crash
    trace
    assert_equal "$(awk -F'\t' '$2 == "fma3[8..15]" && $8 == "crash"' "$TSV" | wc -l)" 1
    # The chunk's eight rows again, one a task; the one with -1 kills its worker again.
    assert_equal "$(awk -F'\t' '$2 == "fma3"' "$TSV" | wc -l)" 8
    assert_equal "$(awk -F'\t' '$2 == "fma3" && $8 == "crash" && $9 ~ /SIGABRT/' "$TSV" | wc -l)" 1
}

@test "bytes: a task sends bytes of its own to a pool it makes, and returns what comes back" {
    bt nest
}

@test "bytes: pool_as_bytes on an integer aborts with a message (a bug in the caller)" {
    run --separate-stderr timeout 60 "$BIN" wrong_kind
    [ "$status" -ne 0 ] || fail "it did not stop"
    [[ $stderr == *"pool_as_bytes: the value is an integer"* ]] || fail "stderr: $stderr"
}

@test "bytes and starmap under ASan + UBSan: clean, no leak" {
    bt "$ASAN" "${ALL[@]}"
}

@test "bytes and starmap under TSan: held bytes freed by the watcher thread and the master race clean" {
    bt "$TSAN" lifetime maps callback starmap starmap_crash
}

@test "bytes and starmap under valgrind: no memory error and no leak" {
    run --separate-stderr timeout 120 valgrind -q --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=9 "$BIN" "${ALL[@]:1}"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "status $status; valgrind says:
$stderr"
}
