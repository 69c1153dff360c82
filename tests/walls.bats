#!/usr/bin/env bats
# Walls between a task and everything else: a task's memory bugs (a write
# past its pool_bytes_alloc room, a strcat onto its argument, a scribble
# over the pool's shared memory) and its descriptor games (closing them
# all, reusing their numbers) reach no other call and never kill the
# master; results the master cannot hold fail their call instead of
# aborting it; workers killed while they wait for work, or killed and
# stopped at random under load, leave no call waiting for ever. Through
# tests/runtime/walls.c and soak.c, written against pool.h only.
#
# Every run has a timeout (and every wait inside the programs a bound of
# 10 s), so a hang is a failure with a message, not a stuck suite. Nothing
# here is timed: the trace and the results are counted.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/walls \
        build/tests/runtime/soak >&2
}

setup() {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS POOL_FAULT POOL_TIME_SCALE
}

teardown() {
    no_leftovers
}

# calls FILE [N]: FILE is a good trace with one final record per call
# (N calls, when given).
calls() {
    run "$POOLTRACE" final "$@"
    [ "$status" -eq 0 ] || fail "the trace $1: $output"
}

# bad_records FILE FUNCTION: how many of FUNCTION's records in FILE failed
# and say pool_bytes_alloc.
bad_records() {
    "$ROOT/build/tools/trace/pooltrace" tsv "$1" |
        awk -F'\t' -v fn="$2" '$2 == fn && $8 != "ok" && $9 ~ /pool_bytes_alloc/ { n++ }
                               END { print n + 0 }'
}

# overrun CMD: three pools (rooms of 504, 1016 and 1000 doubles), each
# with 8 calls that write past their room among 320 good ones.
overrun() {
    rt walls "$1"
    assert_line "$1: ok"
    local f
    for f in trace.csv trace-2.csv trace-3.csv; do
        calls "$BATS_TEST_TMPDIR/$f" 328
        assert_equal "$(bad_records "$BATS_TEST_TMPDIR/$f" fill_one_too_many)" 8
    done
}

@test "a task that writes one double of 0 past its pool_bytes_alloc room fails, saying so; 320 other calls give their exact values" {
    overrun overrun_zero
}

@test "a task that writes one non-zero byte past its pool_bytes_alloc room fails, saying so; the master does not abort" {
    overrun overrun_byte
}

@test "a map's input that writes one byte past its room fails alone; the other inputs of its chunk keep their results" {
    rt walls overrun_chunk
}

@test "a task that strcat()s onto its string argument: every other call in flight completes with its value" {
    rt walls strcat
    assert_line --regexp '^strcat: ok'
    calls "$POOL_TRACE" 205
}

@test "a task that closes every descriptor and opens a file of its own: the pool never writes into it, the master lives, later bytes calls work" {
    rt walls closefds
    assert_line --regexp '^closefds: ok'
    calls "$POOL_TRACE" 70
}

@test "calls after a task that closed every descriptor (one by one, or with close_range) are innocent: they work" {
    rt walls closer_then_innocent
}

@test "a task that puts its own file on descriptors 3-63: the pool never writes into it, the master lives, later bytes calls work" {
    rt walls dupfds
    assert_line --regexp '^dupfds: ok'
    calls "$POOL_TRACE" 70
}

@test "100,000 bytes results kept alive at once (more than vm.max_map_count mappings) all read back right" {
    unset POOL_TRACE
    rt walls kept 100000
    assert_line --regexp '^kept: ok'
}

@test "a result too big for RLIMIT_AS (set after the pool started, or before) fails its call with a PoolError naming it; later calls work" {
    rt walls rlimit_as
    assert_line 'rlimit_as: ok'
    calls "$POOL_TRACE" 23
    calls "$BATS_TEST_TMPDIR/trace-2.csv" 22
}

@test "1000 kill -9s of workers at random instants while they wait for work: every call completes with its value" {
    rt walls idle_kill 1000
    assert_line 'idle_kill: ok (1000 workers killed while idle)'
    calls "$POOL_TRACE" 1001
}

# What a scribble over the pool's shared memory must give: the master does
# not die and no call waits for ever (each completes, as a value or an
# error, within 10 s); pool_destroy returns. A task that can write
# anywhere in that memory can forge a result, so wrong values are
# reported, not failed.
@test "a task that zeroes the pool's shared memory (header, ring): the master lives and no call waits for ever" {
    STDERR_OK='^pool: (the pool.s shared memory was written over|warning: )' rt walls scribble_zero
    assert_line --regexp '^scribble_zero: ok'
}

@test "a task that fills the pool's shared memory with 0xff: the master lives and no call waits for ever" {
    STDERR_OK='^pool: (the pool.s shared memory was written over|warning: )' rt walls scribble_ones
    assert_line --regexp '^scribble_ones: ok'
}

@test "chaos (8 s): 3 workers under every kind of call from 2 threads, a worker killed or stopped every 5-50 ms: no hang, no wrong result, one record per call" {
    TIMEOUT=60 rt soak 8 chaos
    assert_line --regexp '^soak: ok: [0-9]+ calls'
    local made
    made=$(sed -n 's/^soak: .* \([0-9]*\) task ids$/\1/p' <<<"$output")
    [ -n "$made" ] || fail "the soak does not say how many task ids it made: $output"
    calls "$POOL_TRACE" "$made"
}
