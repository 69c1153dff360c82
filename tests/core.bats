#!/usr/bin/env bats
# The regression tests of the runtime core: the fault matrix D1-D14,
# the schedule case and a short soak, through the programs
# tests/runtime/faults.c, schedule.c and soak.c (written against pool.h
# only). Each program checks its own results (FAIL file:line, exit 1); the
# tests here add the exit status, stderr, and the trace, which
# `pooltrace check` (tools/trace) validates against runtime/TRACE.md first.
#
# Every run has a timeout, so a hang is a failure, not a stuck suite. Order
# and overlap come from the trace; the schedule test is the one place with a
# bound on time, because the issue asks for it (makespan within 10 % of the
# best schedule, 3.0 s).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/faults \
        build/tests/runtime/schedule build/tests/runtime/soak >&2
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS POOL_FAULT
}

teardown() {
    no_leftovers
}

# --- helpers ------------------------------------------------------------------

# trace [FILE]: validate FILE (default $POOL_TRACE) and put its records,
# tab-separated, in $TSV.
trace() {
    local file=${1:-$POOL_TRACE}
    [ -f "$file" ] || fail "no trace at $file"
    TSV="$BATS_TEST_TMPDIR/trace.tsv"
    "$POOLTRACE" tsv "$file" >"$TSV" || fail "the trace $file breaks runtime/TRACE.md (above)"
}

# --- D1: no master death by SIGPIPE ----------------------------------------------

@test "D1: 3000 calls from a thread, 1 in 100 segfaults, five runs: the master never dies of SIGPIPE" {
    # On the old core one run in three survives: five in a row, one in 200.
    for _ in 1 2 3 4 5; do
        rt faults d1 3000
        assert_output "d1: 3000 calls, 30 crashed with SIGSEGV, every other result right"
    done
    trace
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 2970
    assert_equal "$(count '$2 == "segv" && $8 == "crash" && $9 ~ /^WorkerDied: .*SIGSEGV/')" 30
    assert_equal "$(count 1)" 3000
}

# --- D2: submit while another thread stops the pool ------------------------------

@test "D2: calls submitted while another thread runs pool_close all complete (100 rounds)" {
    rt faults d2 close 100
    assert_output --regexp '^d2: 100 rounds of submit against pool_close: every future completed'
}

@test "D2: calls submitted while another thread runs pool_terminate all complete (100 rounds)" {
    rt faults d2 terminate 100
    assert_output --regexp '^d2: 100 rounds of submit against pool_terminate: every future completed'
}

# --- D3: isolation of pools and of the program's own children ---------------------

@test "D3: pool_join of pool A returns while pool B exists" {
    TIMEOUT=10 rt faults d3 pools
    assert_output "d3: pool_join of A returned while pool B exists"
}

@test "D3: pool_join returns while the program's own forked helper (no exec) lives" {
    TIMEOUT=10 rt faults d3 fork
    assert_output "d3: pool_join of A returned while a forked helper lives"
}

# --- D4: a pool made by a thread that exits ----------------------------------------

@test "D4: a pool made by a thread that then exits keeps its workers; calls from main succeed" {
    rt faults d4
    assert_output "d4: the pool outlived the thread that made it; its workers stayed"
    trace
    assert_equal "$(count '$8 != "ok"')" 0
    assert_equal "$(count 1)" 22
}

# --- D5: no replacement worker can be started ---------------------------------------

# Out of descriptors (the program lowers RLIMIT_NOFILE) and POOL_FAULT=spawn:N.
# The runtime may say so on stderr ("pool: ..." lines).

@test "D5: a replacement worker cannot be started: a later call fails at once (WorkerDied, start), no hang" {
    POOL_FAULT=spawn:1000 STDERR_OK='^pool: ' rt faults d5 never
    assert_output --regexp '^d5: .*start'
    trace
    assert_equal "$(count '$2 == "segv" && $8 == "crash"')" 1
    assert_equal "$(count '$2 == "add" && $8 == "crash" && $9 ~ /^WorkerDied: .*start/')" 1
}

@test "D5: after failed replacements the pool tries again: a call 3 s later succeeds" {
    POOL_FAULT=spawn:2 STDERR_OK='^pool: ' rt faults d5 later
    assert_output "d5: a call 3 s after the failed replacement ran"
    trace
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 2
}

# D6, D7, D8 and D11 are tasks that misbehave (a child left running, a call
# to their own pool, a fork that returns twice, exit()): the runtime may warn
# about them on stderr with a "pool: ..." line; nothing else may appear there.

# --- D6: a task's child outlives the crash ------------------------------------------

@test "D6: a task forks a child that lives on, then segfaults: the crash is seen at once; the child is gone after pool_destroy" {
    local pidfile="$BATS_TEST_TMPDIR/child.pid"
    STDERR_OK='^pool: ' rt faults d6 "$pidfile"
    assert_output "d6: crash seen at once; the task's child is gone after pool_destroy"
    local child
    child=$(cat "$pidfile")
    gone "$child" || { kill -9 "$child"; fail "the task's child $child still runs"; }
    trace
    assert_equal "$(count '$2 == "fork_then_crash" && $8 == "crash" && $9 ~ /SIGSEGV/')" 1
}

# --- D7: a task calls its own pool ----------------------------------------------------

@test "D7: a task that calls its own pool gets PoolError (own pool); close + join then return" {
    TIMEOUT=20 STDERR_OK='^pool: ' rt faults d7 first
    assert_output --regexp '^d7: .*own pool'
    trace
    assert_equal "$(count '$2 == "nested" && $8 == "error" && $9 ~ /^PoolError: .*own pool/')" 1
}

@test "D7: the same in a replacement worker (after a crash): PoolError, no deadlock" {
    TIMEOUT=20 STDERR_OK='^pool: ' rt faults d7 replaced
    assert_output --regexp '^d7: .*own pool'
    trace
    assert_equal "$(count '$2 == "segv" && $8 == "crash"')" 1
    assert_equal "$(count '$2 == "nested" && $8 == "error" && $9 ~ /^PoolError: .*own pool/')" 1
}

# --- D8: a task forks and both processes return -------------------------------------------

@test "D8: a task forks and both return (5 times): no abort, the parent's value, the records traced, no stray process" {
    local pidfile="$BATS_TEST_TMPDIR/children" pid
    STDERR_OK='^pool: ' rt faults d8 "$pidfile"
    assert_output "d8: 5 times the future had the parent's value; the children are gone"
    assert_equal "$(wc -l <"$pidfile")" 5
    for pid in $(cat "$pidfile"); do
        gone "$pid" || fail "the forked child $pid still runs"
    done
    trace
    assert_equal "$(count '$2 == "fork_both_return" && $8 == "ok"')" 5
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 20
    assert_equal "$(count 1)" 25
}

# --- D9: the trace survives the master ------------------------------------------------------

@test "D9: 100 finished calls, then the master dies by SIGKILL: the trace already holds 100 ok records" {
    run --separate-stderr timeout 30 "$BIN/faults" d9a
    assert_equal "$status" 137
    assert_output "d9a: 100 calls done; dying by SIGKILL"
    trace
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 100
    assert_equal "$(count 1)" 100
}

# d9b_signal SIG STATUS: the program dies by SIG with a call running and one
# queued; both are in the trace as terminated within 2 s.
d9b_signal() {
    unset POOL_TIME_SCALE   # the running call sleeps 600 real seconds
    local out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
    # A background job starts with SIGINT ignored: give the program the
    # default, as a terminal's Ctrl-C finds it.
    timeout 30 env --default-signal=INT,TERM "$BIN/faults" d9b >"$out" 2>"$err" &
    local job=$!
    wait_line "$out" '^d9b: pid [0-9]+ ready$' || {
        kill "$job" 2>/dev/null || true
        fail "the program did not get ready: $(cat "$out" "$err")"
    }
    local pid st=0
    pid=$(sed -n 's/^d9b: pid \([0-9]*\) ready$/\1/p' "$out")
    kill "-$1" "$pid"
    wait "$job" || st=$?
    [ "$st" -eq "$2" ] || fail "the program ended with status $st, not $2 (death by SIG$1); stderr: $(cat "$err")"
    local i ok=""
    for i in $(seq 20); do
        if [ -s "$POOL_TRACE" ] && "$POOLTRACE" tsv "$POOL_TRACE" >/dev/null 2>&1; then
            trace
            if [ "$(count '$8 == "terminated"')" -eq 2 ]; then ok=1; break; fi
        fi
        sleep 0.1
    done
    [ -n "$ok" ] || fail "2 s after SIG$1 the trace does not hold both calls as terminated:
$(cat "$POOL_TRACE" 2>/dev/null)"
    assert_equal "$(count '$2 == "long_sleep" && $8 == "terminated" && $3 > 0')" 1
    assert_equal "$(count '$2 == "add" && $8 == "terminated"')" 1
    assert_equal "$(count 1)" 2
}

@test "D9: SIGINT with a call running and one queued: the program dies by SIGINT; both calls traced as terminated" {
    d9b_signal INT 130
}

@test "D9: SIGTERM with a call running and one queued: the program dies by SIGTERM; both calls traced as terminated" {
    d9b_signal TERM 143
}

# --- D10: only the call a dying worker held is blamed ------------------------------------------

@test "D10: 30 calls that SIGKILL their worker among 30 healthy ones: every healthy call succeeds" {
    rt faults d10
    assert_output "d10: 30 crashes, 30 healthy calls all right"
    trace
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 30
    assert_equal "$(count '$2 == "killself" && $8 == "crash" && $9 ~ /SIGKILL/')" 30
}

# --- D11: exit() in a task --------------------------------------------------------------------

@test "D11: exit(3) in a task: WorkerDied (status 3); the master's log line and atexit handler run once" {
    local log="$BATS_TEST_TMPDIR/log"
    STDERR_OK='^pool: ' rt faults d11 "$log"
    assert_equal "$(grep -c '^ATEXIT$' <<<"$output")" 1
    assert_line "d11: exit(3) in a task failed its call"
    assert_equal "$(cat "$log")" "a line of the master's log"
    trace
    assert_equal "$(count '$2 == "exit3" && $8 == "crash" && $9 ~ /exited with status 3/')" 1
}

# --- D12: the program's own SIGCHLD handling ------------------------------------------------------

@test "D12: SIGCHLD ignored by the program: a segfault is reported as SIGSEGV (3 times)" {
    rt faults d12 ignore
    assert_output --regexp '^d12: .*SIGSEGV'
    trace
    assert_equal "$(count '$2 == "segv" && $8 == "crash" && $9 ~ /SIGSEGV/')" 3
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 20
}

@test "D12: a program thread reaping every child: an abort is reported as SIGABRT (3 times)" {
    rt faults d12 reap
    assert_output --regexp '^d12: .*SIGABRT'
    trace
    assert_equal "$(count '$2 == "aborts" && $8 == "crash" && $9 ~ /SIGABRT/')" 3
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 20
}

# --- D13: a FIFO as the trace -----------------------------------------------------------------------

@test "D13: POOL_TRACE names a FIFO with no reader: one warning, pool_create returns, exit 0" {
    local fifo="$BATS_TEST_TMPDIR/fifo"
    mkfifo "$fifo"
    POOL_TRACE=$fifo run --separate-stderr timeout 10 "$BIN/faults" d13
    [ "$status" -ne 124 ] || fail "timed out: pool_create blocks on the FIFO"
    assert_equal "$status" 0
    assert_output "d13: pool_create returned; 10 calls ran"
    [[ $stderr == "pool: warning:"* && $stderr != *$'\n'* ]] || fail "stderr is not one warning line: $stderr"
}

# --- D14: trace files ---------------------------------------------------------------------------------

@test "D14: pool_trace_open to a second file in mid-run: the first keeps the earlier records, the second gets the later" {
    unset POOL_TRACE
    local one="$BATS_TEST_TMPDIR/one.csv" two="$BATS_TEST_TMPDIR/two.csv"
    rt faults d14a "$one" "$two"
    trace "$one"
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 10
    assert_equal "$(count 1)" 10
    assert_equal "$(awk -F'\t' '{ print $1 }' "$TSV" | sort -n | tr '\n' ' ')" "$(seq 0 9 | tr '\n' ' ')"
    trace "$two"
    assert_equal "$(count '$2 == "mul" && $8 == "ok"')" 10
    assert_equal "$(count 1)" 10
    assert_equal "$(awk -F'\t' '{ print $1 }' "$TSV" | sort -n | tr '\n' ' ')" "$(seq 10 19 | tr '\n' ' ')"
}

@test "D14: two pools given one trace path: the second pool_trace_open is refused (EBUSY); the file is the first pool's, whole" {
    unset POOL_TRACE
    local path="$BATS_TEST_TMPDIR/shared.csv"
    rt faults d14b "$path"
    assert_output --regexp '^d14b: refused: .+'
    trace "$path"
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 5
    assert_equal "$(count 1)" 5
}

@test "D14: POOL_TRACE with nested pools in tasks and a second pool: six pools, six distinct whole files" {
    mkdir "$BATS_TEST_TMPDIR/t"
    export POOL_TRACE="$BATS_TEST_TMPDIR/t/x.csv"
    rt faults d14c
    assert_output "d14c: 4 nested pools and a second pool ran"
    local files f nest=0 single=0 second=0
    mapfile -t files < <(cd "$BATS_TEST_TMPDIR/t" && ls)
    for f in "${files[@]}"; do
        [[ $f =~ ^x(-[0-9]+)?\.csv$ ]] || fail "an unexpected file: $f (all: ${files[*]})"
    done
    [ "${#files[@]}" -eq 6 ] || fail "${#files[@]} trace files for 6 pools: ${files[*]}"
    # x.csv is the first pool's: its four calls that each made a pool.
    trace "$POOL_TRACE"
    assert_equal "$(count '$2 == "nest_pool" && $8 == "ok"')" 4
    assert_equal "$(count 1)" 4
    for f in "${files[@]}"; do
        trace "$BATS_TEST_TMPDIR/t/$f"
        if [ "$(count 1)" -eq 1 ] && [ "$(count '$2 == "add" && $8 == "ok"')" -eq 1 ]; then
            single=$((single + 1))
        elif [ "$(count 1)" -eq 3 ] && [ "$(count '$2 == "mul" && $8 == "ok"')" -eq 3 ]; then
            second=$((second + 1))
        elif [ "$f" = x.csv ]; then
            nest=1
        else
            fail "$f holds neither one nested pool's call nor the second pool's three: $(cat "$BATS_TEST_TMPDIR/t/$f")"
        fi
    done
    assert_equal "$nest $single $second" "1 4 1"
}

# --- the schedule -----------------------------------------------------------------------------------------

# within LOW HIGH X: LOW <= X <= HIGH.
within() {
    awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

@test "schedule: a 2 s call, a failing call, four 1 s calls on 2 workers end in 3.0 s (+-10 %), untraced" {
    unset POOL_TRACE POOL_TIME_SCALE
    rt schedule
    local elapsed
    elapsed=$(sed -n 's/^elapsed //p' <<<"$output")
    within 2.7 3.3 "$elapsed" || fail "the calls took $elapsed s; the best schedule takes 3.0 s"
}

@test "schedule: the same, traced: the trace's makespan is 3.0 s (+-10 %)" {
    unset POOL_TIME_SCALE
    rt schedule
    trace
    assert_equal "$(count 1)" 6
    assert_equal "$(count '$2 == "nap" && $8 == "ok"')" 5
    assert_equal "$(count '$2 == "one_arg" && $8 == "error" && $9 ~ /^TypeError/')" 1
    local makespan
    makespan=$(awk -F'\t' 'NR == 1 || $5 < first { first = $5 } $7 > last { last = $7 }
                          END { printf "%.6f", last - first }' "$TSV")
    within 2.7 3.3 "$makespan" || fail "the trace's makespan is $makespan s; the best schedule takes 3.0 s:
$(cat "$TSV")"
}

# --- the soak -------------------------------------------------------------------------------------------------

@test "soak (10 s): 4 workers, 2 threads, mixed calls, 1 in 1000 segfaults: every result right, memory flat" {
    unset POOL_TRACE
    TIMEOUT=60 rt soak 10
    assert_output --regexp '^soak: ok: [0-9]+ calls'
}
