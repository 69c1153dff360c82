#!/usr/bin/env bats
# The futures API (runtime/pool.h, "Waiting for several", ...)
# through tests/runtime/futures: wait for any, for the first failure, for
# all, as completed; with workers that die, a pool terminated and a
# supervisor killed while a thread waits. Then the same under ASan + UBSan,
# TSan and valgrind.
#
# Order comes from gates (a pipe per task that the master opens) and from
# the trace, never from the clock; every run has a timeout.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime/futures"
ASAN="$ROOT/build/asan/tests/runtime/futures"
TSAN="$ROOT/build/tsan/tests/runtime/futures"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/futures \
        build/tests/runtime/progress build/tests/runtime/workers \
        build/asan/tests/runtime/workers \
        build/asan/tests/runtime/futures build/tsan/tests/runtime/futures >&2
}

setup() {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_abort=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export TSAN_OPTIONS=halt_on_error=1:handle_segv=0:second_deadlock_stack=1
    unset POOL_WORKERS
}

# ft [PROG] CMD...: run the futures program (or PROG) under a timeout; it must
# exit 0, print "CMD: ok" for each sub-command, and nothing on stderr.
ft() {
    local prog=$BIN
    case $1 in /*) prog=$1; shift ;; esac
    subcommands "$prog" "$@"
}

# trace: check $POOL_TRACE and put its records, tab-separated, in $TSV.
trace() {
    TSV="$BATS_TEST_TMPDIR/trace.tsv"
    "$POOLTRACE" tsv "$POOL_TRACE" >"$TSV" || fail "the trace breaks runtime/TRACE.md"
}

@test "wait_any: a time limit passes with nothing done; then it gives the one call let go" {
    ft any
    trace
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 4
}

@test "as_completed gives calls in the order they end (the order the gates open), as the trace says" {
    ft order
    # The program printed the ids it got; the trace, sorted by end time, agrees.
    trace
    local got want
    got=$(grep -E '^[0-9]+$' <<<"$output" | tr '\n' ' ')
    want=$(sort -t$'\t' -k7,7n "$TSV" | awk -F'\t' '{ printf "%s ", $1 }')
    assert_equal "$got" "3 0 5 1 4 2 "
    assert_equal "$want" "$got"
}

@test "as_completed: calls that ended before anyone looked come in the order they ended" {
    ft batch
}

@test "FUTURE_ALL_COMPLETED with a time limit, then without; a future listed twice" {
    ft all
}

@test "FUTURE_FIRST_EXCEPTION returns at the first failure, else waits for all" {
    ft first_error
    trace
    assert_equal "$(awk -F'\t' '$8 == "error" && $9 ~ /^ValueError: gated call 1 failed/' "$TSV" | wc -l)" 1
}

@test "a worker segfaults in a call being iterated over: WorkerDied first, the others after, the pool whole" {
    ft crash
    trace
    assert_equal "$(awk -F'\t' '$8 == "crash" && $9 ~ /SIGSEGV/' "$TSV" | wc -l)" 1
}

@test "a worker is killed while another thread sleeps in future_wait_many: it wakes with both done" {
    ft killed
}

@test "pool_terminate while a thread waits for all without a limit: it wakes, every call Terminated" {
    ft terminate
    trace
    assert_equal "$(awk -F'\t' '$8 == "terminated"' "$TSV" | wc -l)" 4
}

@test "the supervisor is killed while a thread waits for all: it wakes; the running calls fail PoolError, the queued one runs" {
    run --separate-stderr timeout 60 "$BIN" supervisor
    assert_success
    assert_output "supervisor: ok"
    [[ $stderr == *"supervisor process"*"died"* ]] || fail "stderr: $stderr"
}

@test "a call that fails in the master (closed pool) wakes a waiter too" {
    ft closed
}

@test "6000 calls (more than the ring) through one as-completed iteration: each once" {
    ft overflow
    trace
    assert_equal "$(wc -l <"$TSV")" 6000
}

@test "six threads iterate at once, two of them over the same calls" {
    ft threads
}

@test "bad input: NULL, futures of two pools, none at all, a bad 'when': EINVAL, no crash" {
    ft errors
}

# --- cancel ---------------------------------------------------------------------

@test "future_cancel: a queued call fails Cancelled (trace: cancelled, never ran); a running one is refused" {
    ft cancel
    trace
    assert_equal "$(awk -F'\t' '$8 == "cancelled"' "$TSV" | wc -l)" 1
    # Task 1 (fs[1]) was cancelled before it started: no pid, no worker.
    assert_equal "$(awk -F'\t' '$1 == 1 { print $3, $4, $8, $9 }' "$TSV")" \
        "0 -1 cancelled Cancelled: the call was cancelled before it started"
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 2
}

@test "future_cancel with the ring full: calls in the ring and on the overflow list" {
    ft cancel_overflow
    trace
    assert_equal "$(awk -F'\t' '$8 == "cancelled" { print $1 }' "$TSV" | sort -n | tr '\n' ' ')" "10 4150 4199 "
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 4197
}

@test "future_kill stops a running call: Cancelled (not WorkerDied), its worker gone and replaced" {
    ft kill
    trace
    local pid
    pid=$(sed -n 's/^killed //p' <<<"$output")
    [ -n "$pid" ] || fail "no killed line"
    assert_equal "$(awk -F'\t' -v p="$pid" '$3 == p && $8 == "cancelled" && $9 ~ /while it ran/' "$TSV" | wc -l)" 1
    assert_equal "$(grep -c WorkerDied "$TSV")" 0
    # A new worker ran the next call, in the same slot or the other.
    assert_equal "$(awk -F'\t' -v p="$pid" '$2 == "square" && $3 != p && $8 == "ok"' "$TSV" | wc -l)" 1
    [ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ] ||
        fail "the killed worker $pid still runs"
}

@test "future_kill stops a task that blocks and ignores every signal" {
    ft kill_masked
}

@test "future_kill as the call ends, 300 times: the next call on that worker is never hit" {
    ft kill_race
    trace
    assert_equal "$(grep -c WorkerDied "$TSV")" 0
    # Each record of the long call (spin 2000) is ok.
    assert_equal "$(awk -F'\t' '$8 == "ok" || $8 == "cancelled"' "$TSV" | wc -l)" 600
}

@test "future_kill as the task segfaults: Cancelled or WorkerDied, never a hang, the pool whole" {
    ft kill_crash
    trace
    assert_equal "$(awk -F'\t' '$2 == "gated" && ($8 == "crash" || $8 == "cancelled")' "$TSV" | wc -l)" 20
}

@test "a thread cancels calls while the workers claim them: each call ran or was cancelled, never both" {
    ft cancel_race
    trace
    local n
    n=$(sed -n 's/^cancel_race: \([0-9]*\) of 1500 cancelled$/\1/p' <<<"$output")
    [ -n "$n" ] || fail "no count"
    # Only the odd calls (task id = call i) were asked to cancel.
    assert_equal "$(awk -F'\t' '$8 == "cancelled" && $3 == 0 && $1 % 2 == 1' "$TSV" | wc -l)" "$n"
    assert_equal "$(awk -F'\t' '$8 == "ok" && $3 != 0' "$TSV" | wc -l)" "$(( 3000 - n ))"
}

@test "future_kill racing pool_terminate, 10 rounds: Cancelled or Terminated, never a hang" {
    ft kill_terminate
}

@test "future_kill after the supervisor was killed: EALREADY and PoolError, no hang" {
    run --separate-stderr timeout 60 "$BIN" kill_supervisor
    assert_success
    assert_output "kill_supervisor: ok"
    [[ $stderr == *"supervisor process"*"died"* ]] || fail "stderr: $stderr"
}

# --- time limits ----------------------------------------------------------------

@test "a call past its time limit fails Timeout (trace: timeout, its worker killed); the pool goes on" {
    ft limit
    trace
    local pid
    pid=$(sed -n 's/^timed out //p' <<<"$output")
    [ -n "$pid" ] || fail "no 'timed out' line"
    # It ran at least its limit (a lower bound: the clock cannot make this flaky).
    assert_equal "$(awk -F'\t' -v p="$pid" '$3 == p && $8 == "timeout" && $7 - $6 >= 0.2 && $9 ~ /^Timeout: gated ran past its limit of 0.2 s/' "$TSV" | wc -l)" 1
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 2
}

@test "a time limit counts from the start: a call waiting in the queue is not timed" {
    ft limit_queued
}

@test "a call with a limit that segfaults is WorkerDied, not Timeout" {
    ft limit_crash
}

@test "limits that run out as calls end, 60 times: the next call on that worker is never hit" {
    ft limit_race
    trace
    assert_equal "$(grep -c WorkerDied "$TSV")" 0
    assert_equal "$(awk -F'\t' '$4 == 0 && $8 == "ok" && $2 == "spin"' "$TSV" | wc -l)" \
        "$(( 60 + $(sed -n 's/^limit_race: [0-9]* timed out, \([0-9]*\) ended first$/\1/p' <<<"$output") ))"
}

@test "pool_join_for and future_get_for give up in time (ETIMEDOUT, TimeoutError), then succeed" {
    ft join_for
}

# --- imap_unordered -------------------------------------------------------------

@test "pool_imap_unordered: 1000 inputs in chunks of 7, each once and right; one a task, in the order they end" {
    ft imap
    trace
    # 1000 / 7 = 143 chunks, then 4 single calls, then nothing else.
    assert_equal "$(awk -F'\t' '$2 ~ /^square\[/' "$TSV" | wc -l)" 143
    assert_equal "$(awk -F'\t' '$2 == "gate_by_input"' "$TSV" | wc -l)" 4
}

@test "pool_imap_unordered: an input that kills its worker fails alone; its chunk runs again one a task" {
    ft imap_crash
    trace
    assert_equal "$(awk -F'\t' '$2 == "square_or_die[10..19]" && $8 == "crash"' "$TSV" | wc -l)" 1
    assert_equal "$(awk -F'\t' '$2 == "square_or_die" && $8 == "crash"' "$TSV" | wc -l)" 1
    assert_equal "$(awk -F'\t' '$2 == "square_or_die" && $8 == "ok"' "$TSV" | wc -l)" 9
}

@test "pool_imap_free early: calls not begun are cancelled, running ones waited for, nothing leaks" {
    ft imap_free
    trace
    local ran
    ran=$(sed -n 's/^imap_free: \([0-9]*\) ran$/\1/p' <<<"$output")
    [ -n "$ran" ] || fail "no count"
    # Each call ran (ok) or was cancelled before it began; plus the one pool_apply.
    assert_equal "$(awk -F'\t' '$2 == "announce" && $8 == "ok"' "$TSV" | wc -l)" "$ran"
    assert_equal "$(awk -F'\t' '$2 == "announce" && $8 == "cancelled" && $3 == 0' "$TSV" | wc -l)" "$(( 40 - ran ))"
}

@test "pool_map_async: the master goes on; a time limit on the wait; a crash and an error; freed early" {
    ft map_async
    trace
    local ran
    ran=$(sed -n 's/^map_async: \([0-9]*\) ran, .*/\1/p' <<<"$output")
    assert_equal "$(awk -F'\t' '$2 == "announce" && $8 == "ok"' "$TSV" | wc -l)" "$ran"
    assert_equal "$(awk -F'\t' '$2 == "announce" && $8 == "cancelled"' "$TSV" | wc -l)" "$(( 40 - ran ))"
    # The chunk with input 13 crashed, then ran again one input a task.
    assert_equal "$(awk -F'\t' '$2 == "square_or_gate" && $8 == "crash" && $9 ~ /SIGSEGV/' "$TSV" | wc -l)" 1
}

# --- callbacks ------------------------------------------------------------------

@test "callbacks: on_ok and on_error each run once, all on the watcher thread; EBUSY, EINVAL" {
    ft callback
}

@test "a callback added to a future that is done runs at once, in the adding thread" {
    ft callback_done
}

@test "callbacks when a worker dies and when the pool is terminated: each runs once, as an error" {
    ft callback_end
}

@test "future_free before the callback ran, and a callback that frees its future: no leak, no crash" {
    ft callback_free
    run --separate-stderr timeout 120 valgrind -q --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=9 "$BIN" callback_free
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "valgrind: status $status; stderr:
$stderr"
}

@test "a callback makes the next call and cancels another, 20 deep" {
    ft callback_chain
}

@test "the progress bar example: ten lines through a pipe, every call counted" {
    run --separate-stderr timeout 60 "$ROOT/build/tests/runtime/progress" 200
    assert_success
    [ -z "$stderr" ] || fail "stderr: $stderr"
    assert_equal "$(grep -c '^\[#*  *\] [0-9]*/200$\|^\[#*\] 200/200$' <<<"$output")" 10
    assert_line --index 9 "[########################################] 200/200"
    assert_line --index 10 "200 calls, 0 failed"
    trace
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 200
}

@test "the progress bar with a worker that dies (POOL_FAULT=crash:7): counted as failed, exit 1" {
    POOL_FAULT=crash:7 run --separate-stderr timeout 60 "$ROOT/build/tests/runtime/progress" 50
    assert_failure 1
    assert_line "50 calls, 1 failed"
    [[ $stderr == "task 7 failed: worker "*SIGSEGV* ]] || fail "stderr: $stderr"
}

@test "ASan + UBSan: every futures sub-command runs clean" {
    ft "$ASAN" any order batch all first_error crash killed terminate closed overflow threads \
        errors cancel cancel_overflow kill kill_masked kill_race kill_crash limit limit_queued \
        limit_crash join_for callback callback_done callback_end callback_free callback_chain \
        cancel_race kill_terminate imap imap_crash imap_free map_async
}

@test "SIGINT with calls that have callbacks: the program dies of it, its calls are recorded terminated, and no callback runs meanwhile" {
    # Before the fix, the watcher ran the callbacks of the terminated calls
    # while the handler waited for the pool (0 to 20 lines, most runs).
    local i
    for i in 1 2 3; do
        run --separate-stderr timeout -k 5 30 "$BIN" callback_sigint
        assert_equal "$status" 130
        assert_output "callback_sigint: raising SIGINT"
        run grep -c ',terminated,' "$POOL_TRACE"
        assert_output 20
    done
}

@test "pool_resize: grows (three calls at once in three workers), shrinks while calls run (none stopped, one worker left), survives a death; bad sizes refused" {
    ft "$ROOT/build/tests/runtime/workers" grow shrink resizedeath resizebad
    # One trace per pool: trace.csv (grow), trace-2.csv (shrink), ...
    local t
    for t in "$BATS_TEST_TMPDIR"/trace*.csv; do
        "$POOLTRACE" tsv "$t" >/dev/null || fail "$t breaks runtime/TRACE.md"
    done
    # After the shrink, the two workers that left ended normally before the
    # pool's end, and no new worker took their slots (three starts only).
    run grep -c 'what=start' "$BATS_TEST_TMPDIR/trace-2.csv"
    assert_output 3
    run grep -c 'what=end how="exited with status 0"' "$BATS_TEST_TMPDIR/trace-2.csv"
    assert_output 3
    ft "$ROOT/build/asan/tests/runtime/workers" grow shrink resizedeath
}

@test "TSan: the waiting threads and the workers race clean" {
    ft "$TSAN" any order all first_error crash killed terminate closed threads cancel kill \
        kill_crash limit join_for callback callback_done callback_end callback_free \
        callback_chain cancel_race kill_terminate imap imap_free map_async
}

@test "valgrind: the iteration and the waits leak nothing" {
    command -v valgrind >/dev/null || skip "valgrind is not installed"
    run --separate-stderr timeout 120 valgrind -q --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=9 "$BIN" order crash errors cancel kill imap_crash imap_free
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "status $status; stderr:
$stderr"
}

# --- worker options: a limit of calls per worker, an initializer -----------------

@test "pool_set_max_calls: each worker is replaced after 3 calls; the trace shows it, results stay right" {
    ft "$ROOT/build/tests/runtime/workers" maxcalls
    trace
    # 20 calls of who on 2 workers, 3 at most each: 7 PIDs or more, none
    # with more than 3 of them.
    assert_equal "$(awk -F'\t' '$2 == "who" { n[$3]++ } END { for (p in n) if (n[p] > 3) bad++; print bad + 0 }' "$TSV")" 0
    local pids
    pids=$(awk -F'\t' '$2 == "who" { print $3 }' "$TSV" | sort -u | wc -l)
    [ "$pids" -ge 7 ] || fail "only $pids worker PIDs ran 20 calls"
    # Each replaced worker left on its own: an end event, status 0.
    local ends
    ends=$(grep -c '^# event .*what=end how="exited with status 0"' "$POOL_TRACE")
    [ "$ends" -ge 5 ] || fail "$ends workers ended by the limit"
}

@test "pool_set_initializer: every worker runs it before its next call, replacements too, and a new one reaches all" {
    ft "$ROOT/build/tests/runtime/workers" init
    trace
    assert_equal "$(awk -F'\t' '$2 == "value" && $8 == "ok"' "$TSV" | wc -l)" 40
    # The initializer is no call: no record of it.
    assert_equal "$(awk -F'\t' '$2 == "setup"' "$TSV" | wc -l)" 0
}

@test "pool_set_initializer that fails: the calls fail with InitializerError naming it, none hangs; a good one mends it" {
    ft "$ROOT/build/tests/runtime/workers" initfail
    trace
    assert_equal "$(awk -F'\t' '$8 == "error" && $9 ~ /^InitializerError: the initializer broken_setup\(\) failed/' "$TSV" | wc -l)" 6
    assert_equal "$(awk -F'\t' '$8 == "ok"' "$TSV" | wc -l)" 1
}

@test "worker options: a negative limit, no pool, no function and 2 KB of arguments are refused" {
    ft "$ROOT/build/tests/runtime/workers" bad
}

@test "worker options under ASan + UBSan: clean, no leak" {
    ft "$ROOT/build/asan/tests/runtime/workers" maxcalls init initfail bad
}
