#!/usr/bin/env bats
# Retries (pool_set_retries) through tests/runtime/retry: a call whose
# worker dies runs again, each try in the trace; errors, timeouts and
# cancels are not tried again; a worker that dies while a retry waits; a
# map's chunk; the same under ASan + UBSan. Order comes from gates and
# from the trace, never from the clock; every run has a timeout.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime/retry"
ASAN="$ROOT/build/asan/tests/runtime/retry"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/retry \
        build/asan/tests/runtime/retry build/tools/plot/tracestat >&2
}

setup() {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_abort=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    unset POOL_WORKERS POOL_FAULT
}

# rt [PROG] CMD...: run the retry program under a timeout; it must exit 0
# and print "CMD: ok" for each sub-command.
rt() {
    local prog=$BIN
    case $1 in /*) prog=$1; shift ;; esac
    run --separate-stderr timeout -k 5 60 "$prog" "$@"
    [ "$status" -eq 0 ] || fail "$* exited $status; stderr:
$stderr
stdout:
$output"
    assert_line "$1: ok"
}

# statuses ID: the statuses of task ID's records, in file order, on one line.
statuses() {
    "$POOLTRACE" tsv "$POOL_TRACE" >"$BATS_TEST_TMPDIR/trace.tsv" ||
        fail "the trace breaks runtime/TRACE.md"
    awk -F'\t' -v id="$1" '$1 == id { printf "%s%s", n++ ? " " : "", $8 } END { print "" }' \
        "$BATS_TEST_TMPDIR/trace.tsv"
}

# call N: the task id of the pool's Nth call (1, 2, ...), whatever the
# first id is.
call() {
    "$POOLTRACE" tsv "$POOL_TRACE" | awk -F'\t' -v n="$1" \
        'NR == 1 || $1 < min { min = $1 } END { print min + n - 1 }'
}

@test "POOL_FAULT=crash1:ID with 1 retry: the call succeeds on its second try, on another worker" {
    POOL_FAULT=crash1:3 rt fault 3 1
    assert_line "fault: result 42 tries 2"
    assert_equal "$(statuses 3)" "retried ok"
    # The retried record names the dead worker and the try; the ok one another PID.
    run awk -F'\t' '$1 == 3 { print $3 }' "$BATS_TEST_TMPDIR/trace.tsv"
    [ "${lines[0]}" != "${lines[1]}" ] || fail "both tries ran in PID ${lines[0]}"
    run awk -F'\t' '$1 == 3 && $8 == "retried" { print $9 }' "$BATS_TEST_TMPDIR/trace.tsv"
    assert_output --regexp "^WorkerDied: worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV.* while running add.* \(try 1 of 2\)$"
}

@test "0 retries (the default): POOL_FAULT=crash:ID fails the call with WorkerDied, as before" {
    POOL_FAULT=crash:3 rt fault 3 0
    assert_line --regexp "^fault: error WorkerDied: worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV"
    refute_output --partial "(try"
    assert_equal "$(statuses 3)" "crash"
    POOL_FAULT=crash1:3 rt fault 3 0
    assert_line --regexp "^fault: error WorkerDied: .* tries 1$"
    assert_equal "$(statuses 3)" "crash"
}

@test "a call that always crashes, 2 retries: three records, the last one crash (try 3 of 3)" {
    POOL_FAULT=crash:3 rt fault 3 2
    assert_line --regexp "^fault: error WorkerDied: .*while running add.* \(try 3 of 3\) tries 3$"
    assert_equal "$(statuses 3)" "retried retried crash"
    rt always
}

@test "a task's error, a time limit and a kill are not tried again; bad settings are refused" {
    rt once none bad
    rt error
    assert_equal "$(statuses $(call 1))" "error"
    rt timeout
    assert_equal "$(statuses $(call 1))" "timeout"
    rt kill
    assert_equal "$(statuses $(call 1))" "cancelled"
    assert_equal "$(statuses $(call 3))" "cancelled"        # never began: 0 tries
}

@test "a call with a time limit whose first try dies: the second try has the whole limit again" {
    rt limit
    assert_equal "$(statuses $(call 1))" "retried ok"
    assert_equal "$(statuses $(call 2))" "retried timeout"
}

# The supervisor writes a try's "retried" record once the dead worker's
# frames are named, beside its loop (runtime/namer.c). An addr2line that
# takes 2 s makes that naming outlast the second try of call 2, which is
# stopped by its 0.3 s limit: its "timeout" record must still come after
# the "retried" one (before, it came first, in every run).
@test "naming slow: a try stopped by its time limit is recorded after the try before it" {
    local fake="$BATS_TEST_TMPDIR/bin"
    mkdir -p "$fake"
    printf '#!/bin/sh\nsleep 2\n' >"$fake/addr2line"
    chmod +x "$fake/addr2line"
    PATH="$fake:$PATH" rt limit
    assert_equal "$(statuses $(call 1))" "retried ok"
    assert_equal "$(statuses $(call 2))" "retried timeout"
}

# The same from the master: the retry, queued while no worker is free
# (the dead one's replacement could not be started), is cancelled there
# while the first try's death is still being named.
@test "naming slow: a retry cancelled in the queue is recorded after the try before it" {
    local fake="$BATS_TEST_TMPDIR/bin"
    mkdir -p "$fake"
    printf '#!/bin/sh\nsleep 2\n' >"$fake/addr2line"
    chmod +x "$fake/addr2line"
    PATH="$fake:$PATH" POOL_FAULT=spawn:1 rt cancelnamed
    assert_equal "$(statuses $(call 2))" "retried cancelled"
}

@test "per-call retries beside the pool's: each call's tries in the trace" {
    rt percall
    assert_equal "$(statuses $(call 1))" "retried retried ok"
    assert_equal "$(statuses $(call 2))" "crash"
    assert_equal "$(statuses $(call 3))" "retried ok"
}

@test "a worker dies while another call waits to be tried again (no replacement at first)" {
    POOL_FAULT=spawn:1 rt queued
    assert_equal "$(statuses $(call 1))" "crash"            # held the other worker; no retries
    assert_equal "$(statuses $(call 2))" "retried ok"
}

@test "future_cancel while a try dies and its retry is queued: never 'ended already' for a call not done" {
    # 100 rounds; before the fix, the first round answered EALREADY while
    # the dead try was being failed, and the retry then ran.
    rt cancelgap
}

@test "pool_close while a call waits to be tried again: pool_join waits for its second try" {
    rt closing
    local id
    for id in 1 2 3 4; do assert_equal "$(statuses $(call $id))" "retried ok"; done
}

@test "a map's chunk is tried again whole; an input that always crashes then fails alone" {
    rt chunk
    statuses 1 >/dev/null     # checks the trace, writes trace.tsv
    run awk -F'\t' '{ print $2, $8 }' "$BATS_TEST_TMPDIR/trace.tsv"
    assert_line "square_or_crash[0..3] retried"
    assert_line "square_or_crash[0..3] ok"
    assert_line "square_or_crash[4..7] retried"
    assert_line "square_or_crash[4..7] crash"
    # Then 4, 5, 6 and 7 one to a task; 5 crashes both its tries.
    assert_equal "$(grep -c '^square_or_crash ' <<<"$output")" 5
    assert_line "square_or_crash retried"
    assert_line "square_or_crash crash"
}

@test "the trace readers take tries of one id, and refuse a repeated id unless the records before say retried" {
    POOL_FAULT=crash:3 rt fault 3 2
    run "$ROOT/build/tools/plot/tracestat" -c "$POOL_TRACE"
    assert_success
    run "$ROOT/build/tools/trace/pooltrace" tsv --lenient "$POOL_TRACE"
    assert_success
    assert_equal "$(grep -c $'^3\tadd\t' <<<"$output")" 3
    local t="$BATS_TEST_TMPDIR/bad.csv"
    printf '%s\n' '# pool-trace v1' 'task,function,pid,worker,submit_s,start_s,end_s,status,error' \
        '1,f,10,0,0.000001,0.000002,0.000003,crash,WorkerDied: x' \
        '1,f,11,1,0.000001,0.000004,0.000005,ok,' >"$t"
    run "$POOLTRACE" tsv "$t"
    assert_failure
    assert_output --partial "repeated task id '1'"
    run "$ROOT/build/tools/plot/tracestat" -c "$t"
    assert_failure
    assert_output --regexp "task [01] appears twice"     # v1 ids may be shown from 0
    run "$ROOT/build/tools/trace/pooltrace" tsv --lenient "$t"
    assert_failure
    assert_output --regexp "task [01] appears twice"     # v1 ids may be shown from 0
    printf '%s\n' '# pool-trace v1' 'task,function,pid,worker,submit_s,start_s,end_s,status,error' \
        '1,f,10,0,0.000001,0.000002,0.000003,retried,WorkerDied: x (try 1 of 2)' >"$t"
    run "$POOLTRACE" tsv "$t"
    assert_failure
    assert_output --partial "its last record says retried"
}

@test "a backtrace that never finishes (POOL_FAULT=hang:ID): the alarm ends the worker, SIGSEGV is told, with a retry" {
    POOL_FAULT=hang:3 rt fault 3 0
    assert_line --regexp "^fault: error WorkerDied: worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV: Segmentation fault\) while running add: .*no backtrace beyond it \(taking it failed\) tries 1$"
    assert_equal "$(statuses 3)" "crash"
    POOL_FAULT=hang:3 rt fault 3 1
    assert_line --regexp "^fault: error WorkerDied: .*\(taking it failed\) \(try 2 of 2\) tries 2$"
    assert_equal "$(statuses 3)" "retried crash"
}

@test "retries under ASan + UBSan: no leak, no error, with POOL_FAULT and a chunk" {
    POOL_FAULT=crash1:3 rt "$ASAN" fault 3 1
    [ -z "$stderr" ] || fail "stderr: $stderr"
    rt "$ASAN" always chunk kill closing
    [ -z "$stderr" ] || fail "stderr: $stderr"
}
