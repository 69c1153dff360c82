#!/usr/bin/env bats
# The pool runtime (runtime/pool.h) through the small programs in
# tests/runtime/: worker counts, calls, arguments, errors, futures, dying
# workers, the end of a pool, many calls, the trace, output, and that no
# worker outlives its master.
#
# The programs check their own results (a failed check prints "FAIL file:line"
# and exits 1); the tests here check their output lines, their exit status,
# and the trace, which `pooltrace check` (tools/trace) validates against
# runtime/TRACE.md before any test reads it. Order and overlap come from the
# trace or from gates (pipes the program holds its tasks on), never from the
# clock; every run has a timeout, so a hang fails instead of waiting forever.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    # make test has built everything; this makes a lone run of the suite work too.
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/create \
        build/tests/runtime/calls build/tests/runtime/crash build/tests/runtime/lifecycle \
        build/tests/runtime/many build/tests/runtime/output build/tests/runtime/sleepers >&2
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS
}

teardown() {
    no_leftovers
}

# --- helpers ------------------------------------------------------------------

# rt PROG ARGS... (helpers.bash) runs a test program under a timeout.

# lines EXPECTED...: stdout is exactly these lines.
lines() {
    local want
    want=$(printf '%s\n' "$@")
    [ "$output" = "$want" ] || fail "stdout differs.
expected:
$want
got:
$output"
}

# trace: validate $POOL_TRACE and put its records, tab-separated, in $TSV.
trace() {
    [ -f "$POOL_TRACE" ] || fail "no trace at $POOL_TRACE"
    TSV="$BATS_TEST_TMPDIR/trace.tsv"
    "$POOLTRACE" tsv "$POOL_TRACE" >"$TSV" || fail "the trace breaks runtime/TRACE.md (above)"
}

# distinct_pids [AWK-CONDITION]: the distinct non-zero PIDs in the trace.
distinct_pids() {
    awk -F'\t' "\$3 != 0 ${1:+&& ($1)} { print \$3 }" "$TSV" | sort -u
}

# all_gone PID...: every one ends within 5 s (polled, not slept).
all_gone() {
    local i pid left
    for i in $(seq 50); do
        left=""
        for pid in "$@"; do gone "$pid" || left="$left $pid"; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    fail "processes still alive 5 s later:$left"
}

# --- pool_create ---------------------------------------------------------------

@test "pool_create(3): three worker processes, distinct, children of the master, none the master" {
    rt create 3
    assert_line --index 1 "size 3"
    local master
    master=$(sed -n 's/^master //p' <<<"$output")
    [ -n "$master" ] || fail "no master line"
    mapfile -t workers < <(sed -n 's/^worker //p' <<<"$output" | sort -u)
    assert_equal "${#workers[@]}" 3
    trace
    assert_equal "$(count 1)" 3
    assert_equal "$(distinct_pids | tr '\n' ' ')" "$(printf '%s ' "${workers[@]}")"
    assert_equal "$(count "\$3 == $master")" 0
    assert_equal "$(awk -F'\t' '{ print $4 }' "$TSV" | sort -u | tr '\n' ' ')" "0 1 2 "
}

@test "pool_create(0) takes POOL_WORKERS=5" {
    POOL_WORKERS=5 rt create 0
    assert_line --index 1 "size 5"
    trace
    assert_equal "$(distinct_pids | wc -l)" 5
}

@test "pool_create(0) without POOL_WORKERS: one worker per online CPU" {
    rt create 0
    assert_line --index 1 "size $(nproc)"
    trace
    assert_equal "$(distinct_pids | wc -l)" "$(nproc)"
}

@test "pool_create(-1), (257), (100000): NULL, EINVAL, one clear message, exit 1" {
    local n
    for n in -1 257 100000; do
        run --separate-stderr timeout 10 "$BIN/create" "$n"
        assert_equal "$status" 1
        assert_equal "$output" ""
        # One line: the program's "pool_create: " and the runtime's sentence.
        [[ $stderr == "pool_create: $n is not a worker count"* && $stderr != *$'\n'* ]] ||
            fail "create $n: stderr is: $stderr"
    done
}

@test "bad POOL_WORKERS (abc, 0, -3, 99999, 4x): NULL, one clear message, exit 1" {
    local v
    for v in abc 0 -3 99999 4x; do
        POOL_WORKERS=$v run --separate-stderr timeout 10 "$BIN/create" 0
        assert_equal "$status" 1
        [[ $stderr == "pool_create: POOL_WORKERS=$v is not a worker count"* && $stderr != *$'\n'* ]] ||
            fail "POOL_WORKERS=$v: stderr is: $stderr"
    done
}

# --- calls ---------------------------------------------------------------------

@test "pool_apply blocks until the task is done and gives its result" {
    rt calls apply
    [[ ${lines[1]} =~ ^task:\ adding\ 6\ and\ 7\ in\ ([0-9]+)$ ]] || fail "line 2: ${lines[1]}"
    local pid=${BASH_REMATCH[1]}
    lines "master: calling" "task: adding 6 and 7 in $pid" "task: done" \
          "master: result 13" "master: HELLO!!"
    trace
    # In the order they ended (records of different workers come in batches).
    assert_equal "$(sort -s -t $'\t' -k7,7g "$TSV" | awk -F'\t' '{ print $2, $8 }' | tr '\n' ,)" \
        "add_loud ok,add ok,shout ok,"
    assert_equal "$(count "\$1 == 0 && \$3 == $pid")" 1
}

@test "pool_apply_async returns while the task is still running; the future then completes" {
    rt calls async
    [[ ${lines[2]} =~ ^master:\ result\ 5\ from\ pid\ ([0-9]+)$ ]] || fail "line 3: ${lines[2]}"
    local pid=${BASH_REMATCH[1]}
    assert_equal "${#lines[@]}" 3
    assert_line --index 0 "master: submitted task 0"
    assert_line --index 1 --regexp '^early successful: .*task 0 has not finished'
    assert_line --index 2 "master: result 5 from pid $pid"
    trace
    assert_equal "$(count "\$2 == \"held\" && \$8 == \"ok\" && \$3 == $pid")" 1
}

@test "pool_map of 5000, one input a task: results in order, never more than 1024 calls out at once" {
    rt calls bigmap
    lines "bigmap: 5000 squares in order"
    trace
    assert_equal "$(count '$2 == "square" && $8 == "ok"')" 5000
    # A call is out from its submit to its end. Sweep the times: an end
    # before a submit at the same instant (the next call waits for the end).
    local most
    most=$(awk -F'\t' '{ print $5, 1; print $7, 0 }' "$TSV" | sort -k1,1g -k2,2n |
        awk '$2 == 1 { if (++out > most) most = out } $2 == 0 { out-- } END { print most }')
    [ "$most" -le 1024 ] || fail "$most calls were out at once"
    [ "$most" -ge 2 ] || fail "only $most call out at once: the map did not overlap its calls"
}

@test "pool_map in chunks: about four tasks per worker, one record each with its inputs; a crash fails only its input" {
    rt calls chunks
    lines "chunks: 1000 squares in order" "chunks: input 250 failed alone: WorkerDied"
    trace
    # 1000 inputs on 2 workers: chunks of 125, named by the inputs they ran.
    assert_equal "$(count '$2 ~ /^square\[/')" 8
    assert_equal "$(count '$2 == "square[0..124]" && $8 == "ok"')" 1
    assert_equal "$(count '$2 == "square[875..999]" && $8 == "ok"')" 1
    # A map of 5: one input a task, plain names.
    assert_equal "$(count '$2 == "square"')" 5
    # The chunk 200..299 crashed; its inputs ran again one a task, and only
    # input 250 crashed again.
    assert_equal "$(count '$2 == "crashy[200..299]" && $8 == "crash" && $9 ~ /SIGSEGV/')" 1
    assert_equal "$(count '$2 == "crashy" && $8 == "crash"')" 1
    assert_equal "$(count '$2 == "crashy" && $8 == "ok"')" 99
    assert_equal "$(count '$2 ~ /^crashy\[/ && $8 == "ok"')" 9
}

@test "pool_map: 1000 results in input order, strings both ways, failures counted" {
    rt calls map
    lines "map: 1000 squares in order" "map: ONE!!" "map: TWO, THREE!!" "map: !!" \
          "map: QUATRE!!" "map: 3 of 6 failed"
    trace
    assert_equal "$(count 1)" 1010
    assert_equal "$(count '$2 == "square_jitter" && $8 == "ok"')" 1000
    assert_equal "$(count '$8 == "error" && $9 ~ /^TypeError: twice\(\)/')" 3
    # The calls did end out of input order: the jitter worked, so the order
    # of the results was the map's doing.
    [ "$(awk -F'\t' '$2 == "square_jitter" { print $1 }' "$TSV")" != "$(seq 1000)" ] ||
        fail "the calls ended in input order: the test proves nothing"
}

@test "arguments: int, double, string (commas, quotes, UTF-8, 300 kB) and results go through unchanged" {
    rt calls kinds
    lines "echo: héllo wörld €" "kinds: i:1 d:2.5 s:s i:4 i:5 i:6 d:7" "kinds: ok"
    trace
    assert_equal "$(count '$8 != "ok"')" 0
}

@test "sixteen arguments, and none at all" {
    rt calls args16
    lines "sum16: 136" \
          "list16: i:1 i:2 i:3 i:4 i:5 i:6 i:7 i:8 i:9 i:10 i:11 i:12 i:13 i:14 i:15 s:16" \
          "answer: 42" \
          "answer16: TypeError: answer() takes 0 arguments but 16 were given"
}

@test "pool.h in plain C11: every call macro with 0, 1 and 16 arguments, quiet under -std=c11 -pedantic -Werror" {
    local cc out="$BATS_TEST_TMPDIR/dialect"
    for cc in cc clang; do
        command -v "$cc" >/dev/null || continue
        run "$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$ROOT/runtime" -o "$out" \
            "$ROOT/tests/runtime/dialect.c" "$ROOT/build/lib/libpool.a" -lpthread
        [ "$status" -eq 0 ] || fail "$cc -std=c11 -pedantic: $output"
        run timeout -k 5 60 "$out"
        assert_success
        lines "apply0: 7" "apply1: 5" "apply16: 136" "async0: 7" "async2: 5" \
              "limit0: 7" "limit3: 6" "retries0: 7" "retries1: 9"
    done
}

@test "wrong arity: the future fails with a TypeError naming the function and both counts" {
    rt calls arity
    lines "Error = TypeError : add3() takes 3 arguments but 2 were given" \
          "Error = TypeError : add3() takes 3 arguments but 1 was given" \
          "Error = TypeError : add3() takes 3 arguments but 4 were given" \
          "ok = 6"
    trace
    assert_equal "$(count '$8 == "error" && $9 ~ /^TypeError: add3\(\) takes 3 arguments/')" 3
    assert_equal "$(count '$8 == "ok"')" 1
}

@test "wrong argument kind or a missing argument: a TypeError" {
    rt calls argkind
    lines "Error = TypeError : add(): the 2nd argument must be an integer, not a string" \
          "Error = TypeError : echo(): the 1st argument must be a string, not a double" \
          "Error = TypeError : twice() needs a 1st argument (an integer) but 0 were given" \
          "Error = TypeError : third_str() needs a 3rd argument (a string) but 2 were given" \
          "add = 42"
}

@test "pool_raise and a returned pool_error reach the master; the trace quotes an error with commas" {
    rt calls raise
    lines "Error = ValueError : Called broken function" \
          "Error = KeyError : no key 9" \
          'Error = ValueError : bad, really "bad"'
    trace
    assert_equal "$(count '$8 == "error"')" 4
    grep -qxE '2,awkward_error,[0-9]+,[01],[0-9.]+,[0-9.]+,[0-9.]+,error,"ValueError: bad, really ""bad"""' \
        "$POOL_TRACE" || fail "the error field is not quoted as RFC 4180 says:
$(cat "$POOL_TRACE")"
    grep -qx '0,broken_function,.*,error,ValueError: Called broken function' "$POOL_TRACE" ||
        fail "an error field without commas is quoted or wrong"
}

@test "futures: wait, wait_for (false while running, true after), get, ready, successful" {
    rt calls futures
    lines "futures: ok"
    trace
    assert_equal "$(count '$2 == "held" && $8 == "ok"')" 2
    assert_equal "$(count '$2 == "broken_function" && $8 == "error"')" 1
}

@test "future_pid names the worker while the call runs (0 only if it never started)" {
    rt calls pidrun
    lines "pidrun: ok"
}

@test "future_free of a pending and of a done future; the pending call still runs and is traced" {
    rt calls free
    lines "free: ok"
    trace
    assert_equal "$(awk -F'\t' '{ print $1, $2, $8 }' "$TSV" | sort -n | tr '\n' ,)" \
        "0 held ok,1 add ok,2 add ok,"
}

@test "after many short calls: short calls do not wait behind a long one, two calls on two idle workers run at once" {
    rt calls spread
    lines "spread: ok"
    trace
    assert_equal "$(distinct_pids '$2 == "held" && $1 > 220' | wc -l)" 2
}

@test "four master threads call at once; three threads wait on one future" {
    rt calls threads
    lines "threads: 2004 calls from 4 threads, 3 waiters"
    trace
    assert_equal "$(count '$8 == "ok"')" 2005
}

@test "pool_submit with 5000 arguments: run or refused, never a hang or a stream of new workers" {
    rt calls toomany
    assert_output --regexp '^toomany: (refused|failed): .+$'
}

@test "pool_as_int on a string aborts the master with a clear message; no worker is left" {
    run --separate-stderr timeout 30 "$BIN/calls" askind
    assert_equal "$status" 134
    assert_output "askind: asking a string for an integer"
    [[ $stderr == *pool_as_int*string* && $stderr != *$'\n'* ]] || fail "stderr is: $stderr"
}

@test "POOL_TIME_SCALE: pool_time_scale reads a number above 0; unset, empty or bad means 1" {
    local v want
    for v in 0.5:0.5 0:1 2:2 abc:1 -1:1 "":1 1e400:1 0.1x:1; do
        want=${v#*:}
        POOL_TIME_SCALE=${v%%:*} rt calls scale
        assert_output "scale $want"
    done
    unset POOL_TIME_SCALE
    rt calls scale
    assert_output "scale 1"
}

@test "bad POOL_TIME_SCALE (abc, 0, -1, 1e400, 0.1x, nan): pool_create gives NULL, one clear message, exit 1" {
    local v
    for v in abc 0 -1 1e400 0.1x nan; do
        POOL_TIME_SCALE=$v run --separate-stderr timeout 10 "$BIN/create" 2
        assert_equal "$status" 1
        [[ $stderr == "pool_create: POOL_TIME_SCALE=$v is not a time scale"* && $stderr != *$'\n'* ]] ||
            fail "POOL_TIME_SCALE=$v: stderr is: $stderr"
    done
    POOL_TIME_SCALE=0.5 run --separate-stderr timeout 10 "$BIN/create" 2
    assert_success
}

# --- a worker dies ---------------------------------------------------------------

# crashed MODE REASON [PLACE]: the crash program's output and trace after a
# death. PLACE: a regular expression for what the message says after
# "while running crasher" (where the worker was: its backtrace).
crashed() {
    [[ ${lines[0]} =~ ^died:\ worker\ ([0-9]+)\ \(pid\ ([0-9]+)\)\ (.*)\ while\ running\ crasher(.*)$ ]] ||
        fail "line 1: ${lines[0]}"
    local slot=${BASH_REMATCH[1]} dead=${BASH_REMATCH[2]} how=${BASH_REMATCH[3]}
    local place=${BASH_REMATCH[4]}
    [[ $how == "$2" ]] || fail "the death is told as '$how', expected '$2'"
    [[ $place =~ ^${3:-.*}$ ]] || fail "the place is told as '$place', expected /${3:-.*}/"
    assert_line --index 1 "dead $dead"
    mapfile -t workers < <(sed -n 's/^worker //p' <<<"$output")
    assert_equal "${#workers[@]}" 2
    trace
    # 100 warm-up calls, the dying one, 300 around it, 50 after, 2 that
    # need both workers at once.
    assert_equal "$(count 1)" 453
    assert_equal "$(count '$8 == "ok"')" 452
    assert_equal "$(count "\$8 == \"crash\" && \$2 == \"crasher\" && \$3 == $dead && \$4 == $slot")" 1
    assert_equal "$(awk -F'\t' '$8 == "crash" { print $9 }' "$TSV")" "WorkerDied: ${lines[0]#died: }"
    # The slot lives on under a new PID; the dead PID ran nothing after.
    local end
    end=$(awk -F'\t' '$8 == "crash" { print $7 }' "$TSV")
    [ "$(count "\$4 == $slot && \$6 > $end")" -gt 0 ] || fail "slot $slot ran nothing after the death"
    assert_equal "$(count "\$3 == $dead && \$6 > $end")" 0
    local new
    new=$(distinct_pids "\$4 == $slot && \$6 > $end")
    [[ $new =~ ^[0-9]+$ ]] || fail "slot $slot ran under these PIDs after the death: $new"
    [ "$new" != "$dead" ] || fail "slot $slot kept the dead PID"
    printf '%s\n' "${workers[@]}" | grep -qx "$new" || fail "PID $new is not a live worker"
}

@test "a worker that segfaults (raise SIGSEGV): WorkerDied with signal and PID, the pool goes on" {
    rt crash segv
    crashed segv "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in [a-z_]+ \(libc\.so\.6\), called from crasher at tests/runtime/crash\.c:[0-9]+"
}

@test "a worker that writes through a null pointer: WorkerDied, the pool goes on" {
    rt crash null
    crashed null "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in crasher at tests/runtime/crash\.c:[0-9]+"
}

@test "a worker that calls abort(): WorkerDied naming SIGABRT, the pool goes on" {
    rt crash abort
    crashed abort "was killed by signal 6 (SIGABRT: Aborted)" \
        ": in abort \(libc\.so\.6\), called from crasher at tests/runtime/crash\.c:[0-9]+"
}

@test "a worker that calls exit(3): WorkerDied naming the status, the pool goes on" {
    rt crash exit
    crashed exit "exited with status 3" \
        ": in exit \(libc\.so\.6\), called from crasher at tests/runtime/crash\.c:[0-9]+"
}

@test "a worker that gets SIGKILL from itself: WorkerDied naming SIGKILL, the pool goes on" {
    rt crash kill
    crashed kill "was killed by signal 9 (SIGKILL: Killed)" " \(no backtrace: SIGKILL cannot be caught\)"
}

@test "kill -9 of a worker from outside, by the PID its task printed: WorkerDied, the pool goes on" {
    local out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
    timeout 30 "$BIN/crash" external >"$out" 2>"$err" &
    local job=$!
    wait_line "$out" '^sleeper pid [0-9]+$' || fail "the sleeper never printed its PID"
    local victim
    victim=$(sed -n 's/^sleeper pid //p' "$out")
    kill -9 "$victim"
    local st=0
    wait "$job" || st=$?
    [ "$st" -eq 0 ] || fail "crash external exited with $st; stderr: $(cat "$err")"
    [ ! -s "$err" ] || fail "stderr: $(cat "$err")"
    output=$(grep -v '^sleeper pid' "$out")
    mapfile -t lines <<<"$output"
    crashed external "was killed by signal 9 (SIGKILL: Killed)" " \(no backtrace: SIGKILL cannot be caught\)"
    assert_line --index 1 "dead $victim"
}

# --- where a worker died (its backtrace) ------------------------------------------

# line_of TEXT: the line of tests/runtime/crash.c that holds TEXT.
line_of() {
    grep -nF -- "$1" "$ROOT/tests/runtime/crash.c" | cut -d: -f1
}

@test "a null pointer written in a helper: the message names the helper and the task, with file:line" {
    rt crash helper
    crashed helper "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in poke_null at tests/runtime/crash\.c:$(line_of '*nowhere = v;'), called from crasher at tests/runtime/crash\.c:$(line_of 'poke_null(7);')"
}

@test "a stack overflow by recursion: the backtrace is taken on a stack of its own; no hang" {
    # The faulting frame and its callers may stand on one line of the source
    # (then one entry, "N times") or on two (the entry, then its callers).
    rt crash overflow
    crashed overflow "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in recurse at tests/runtime/crash\.c:[0-9]+( \([0-9]+ times\))?(, called from recurse at tests/runtime/crash\.c:[0-9]+ \([0-9]+ times\))?, \.\.\."
}

@test "a smashed return address: the message gives the address; the unwinder's own fault ends the worker" {
    rt crash smash
    crashed smash "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": at 0x41414141, where nothing is loaded \(the stack may be smashed\)(; no backtrace beyond it \(taking it failed\))?"
}

@test "backtraces without addr2line, or of a program built without -g: function+offset" {
    mkdir "$BATS_TEST_TMPDIR/bin"
    ln -s "$(command -v timeout)" "$BATS_TEST_TMPDIR/bin/timeout"
    run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin" timeout 30 "$BIN/crash" helper
    assert_success
    assert_equal "$stderr" ""
    crashed helper "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in poke_null\+0x[0-9a-f]+, called from crasher\+0x[0-9a-f]+"
    # Plain cc, no -g (the runtime itself was built with -g).
    cc -std=gnu11 -O2 -I"$ROOT/runtime" -I"$ROOT/tests/runtime" -o "$BIN/../crash-nog" \
        "$ROOT/tests/runtime/crash.c" "$ROOT/build/lib/libpool.a" -lpthread
    BIN="$BIN/.." rt crash-nog helper
    crashed helper "was killed by signal 11 (SIGSEGV: Segmentation fault)" \
        ": in poke_null\+0x[0-9a-f]+, called from crasher\+0x[0-9a-f]+"
}

@test "POOL_BACKTRACE=2 prints the frames on stderr; POOL_BACKTRACE=0 takes none" {
    POOL_BACKTRACE=2 run --separate-stderr timeout 30 "$BIN/crash" helper
    assert_success
    local re="^pool: worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV: Segmentation fault\) while running crasher:$"
    [[ ${stderr_lines[0]} =~ $re ]] || fail "stderr line 1: ${stderr_lines[0]}"
    assert_equal "${stderr_lines[1]}" "  #0 poke_null at tests/runtime/crash.c:$(line_of '*nowhere = v;')"
    assert_equal "${stderr_lines[2]}" "  #1 crasher at tests/runtime/crash.c:$(line_of 'poke_null(7);')"
    assert_equal "${stderr_lines[3]}" "  #2 (the pool's worker: the task was called here)"
    assert_equal "${#stderr_lines[@]}" 4
    POOL_BACKTRACE=0 rt crash helper
    crashed helper "was killed by signal 11 (SIGSEGV: Segmentation fault)" ""
    POOL_BACKTRACE=x run --separate-stderr timeout 30 "$BIN/crash" helper
    assert_success
    assert_equal "$stderr" "pool: warning: POOL_BACKTRACE=x is not 0, 1 or 2; using 1"
}

# --- the end of a pool ---------------------------------------------------------

@test "pool_close + pool_join finish the queued calls; a call after pool_close fails at once" {
    rt lifecycle closejoin
    lines "closejoin: 20 calls done" \
          "late: ValueError: the pool is not running (closed or terminated)"
    trace
    assert_equal "$(count '$2 == "slow_triple" && $8 == "ok"')" 20
    assert_equal "$(count '$2 == "add" && $8 == "error" && $3 == 0 && $4 == -1')" 2
    # Two workers ran the twenty calls, at most two at a time.
    assert_equal "$(distinct_pids | wc -l)" 2
}

@test "pool_close + pool_join with more calls than the shared queue holds: every call runs" {
    rt lifecycle closebig
    lines "closebig: 20000 calls done"
    trace
    assert_equal "$(count '$2 == "add" && $8 == "ok"')" 20000
}

@test "pool_terminate: every unfinished future fails with Terminated, none waits" {
    rt lifecycle terminate
    lines "terminate: Terminated: the pool was terminated before the task finished" \
          "terminate: Terminated: the pool was terminated before the task started"
    trace
    assert_equal "$(count '$8 == "terminated"')" 12
    assert_equal "$(count '$2 == "stuck" && $8 == "terminated" && $3 > 0 && $4 >= 0')" 2
    assert_equal "$(count '$2 == "add" && $8 == "terminated" && $3 == 0 && $4 == -1')" 10
    assert_equal "$(count '$8 == "error"')" 1
}

@test "pool_destroy with calls running and queued: no hang, the trace marks them terminated" {
    rt lifecycle destroy
    lines "destroy: ok"
    trace
    assert_equal "$(count 1)" 13
    assert_equal "$(count '$8 == "terminated"')" 13
}

@test "pool_join before pool_close is refused (-1, EINVAL, a message); the pool still works" {
    rt lifecycle joinopen
    assert_output --regexp '^joinopen: [^'$'\n'']*pool_close[^'$'\n'']*$'
}

@test "100 pools made and destroyed: no descriptor and no process kept; one trace file each" {
    rt lifecycle cycles
    lines "cycles: ok"
    # trace.csv for the first pool, trace-2.csv ... trace-100.csv after it.
    local i
    for i in 1 2 57 100; do
        [ "$i" -eq 1 ] || POOL_TRACE="$BATS_TEST_TMPDIR/trace-$i.csv"
        trace
        assert_equal "$(awk -F'\t' '{ print $1, $2, $8 }' "$TSV")" "0 add ok"
    done
    assert_equal "$(find "$BATS_TEST_TMPDIR" -name 'trace*.csv' | wc -l)" 100
}

@test "main returns without pool_destroy: no worker left, the trace tells each call's end truly" {
    rt lifecycle noend
    lines "noend: leaving main"
    trace
    assert_equal "$(count 1)" 56
    assert_equal "$(count '$8 == "ok"')" 50
    assert_equal "$(count '$2 == "stuck" && $8 == "terminated" && $3 > 0 && $9 ~ /before the task finished$/')" 1
    # The five calls behind it never began: no PID, and the message says so.
    assert_equal "$(count '$2 == "add" && $8 == "terminated" && $3 == 0 && $4 == -1')" 5
    local wrong
    wrong=$(awk -F'\t' '$8 == "terminated" && $3 == 0 && $9 !~ /before the task started$/' "$TSV")
    [ -z "$wrong" ] || fail "calls that never began are said to be stopped before they finished:
$wrong"
}

# --- many calls ----------------------------------------------------------------

# The program checks every result and that its workers are its children;
# the trace must agree: every call ok, run by at most N PIDs in slots 0..N-1.
@test "10000 tiny calls through 2 workers: every result right" {
    rt many 2
    lines "many: 10000 calls on 2 workers, all right"
    trace
    assert_equal "$(count '$8 == "ok" && $3 > 0 && $4 >= 0 && $4 < 2')" 10001
    [ "$(distinct_pids | wc -l)" -le 2 ] || fail "more PIDs than workers: $(distinct_pids)"
}

@test "10000 tiny calls through 8 workers: every result right" {
    rt many 8
    lines "many: 10000 calls on 8 workers, all right"
    trace
    assert_equal "$(count '$8 == "ok" && $3 > 0 && $4 >= 0 && $4 < 8')" 10001
    [ "$(distinct_pids | wc -l)" -le 8 ] || fail "more PIDs than workers: $(distinct_pids)"
}

# --- the trace -----------------------------------------------------------------

@test "trace: one record per call, each worker's records in the order its calls ended" {
    rt many 2 500
    trace
    assert_equal "$(count 1)" 501
    assert_equal "$(awk -F'\t' '{ print $1 }' "$TSV" | sort -n | tr '\n' ' ')" "$(seq 0 500 | tr '\n' ' ')"
    # One worker's records come in the order its calls ended.
    awk -F'\t' '($3 in last) && $7 + 0 < last[$3] { bad = 1 } { last[$3] = $7 + 0 } END { exit bad }' \
        "$TSV" || fail "a worker's records are not in the order its calls ended"
    assert_equal "$(count '$2 == "affine"')" 500
}

@test "trace: the master's waits (v3): a wait and a resume for each call that blocked, none for one that had ended" {
    rt calls waits
    lines "waits: ok"
    trace
    run "$POOLTRACE" events "$POOL_TRACE"
    assert_success
    local ev=$output
    # In call order (calls.c, waits): task 1 had ended when it was waited
    # for, and the second future_wait_many found both done: no events.
    assert_equal "$(awk -F'\t' '$2 != "pool_map" { printf "%s %s %s,", $1, $2, $3 }' <<<"$ev")" \
        "wait pool_apply 0,resume pool_apply 0,wait future_get 2,resume future_get 2,wait future_wait_many 3 n=2,resume future_wait_many 3 n=2,wait future_wait_for 8,resume future_wait_for 8,wait future_wait 8,resume future_wait 8,wait pool_join all,resume pool_join all,"
    # pool_map waits for its tasks 5-7 in turn: a pair for each it waited on.
    awk -F'\t' '$2 == "pool_map" { n++
            if ($3 < 5 || $3 > 7 || $1 != (n % 2 ? "wait" : "resume") || (n % 2 == 0 && $3 != last)) bad = 1
            last = $3 }
        END { exit bad || n == 0 }' <<<"$ev" || fail "pool_map's waits: $ev"
    # A resume on one task comes once it has ended (but for the time limit).
    awk -F'\t' 'NR == FNR { end[$1] = $7; next }
        $1 == "resume" && $2 != "future_wait_for" && $3 ~ /^[0-9]+$/ && $4 + 0 < end[$3] + 0 { bad = 1; print }
        END { exit bad }' "$TSV" - <<<"$ev" || fail "a resume came before its task ended: $ev"
}

@test "trace: an unwritable POOL_TRACE gives one warning on stderr; the program runs and exits 0" {
    POOL_TRACE=/nonexistent/x.csv run --separate-stderr timeout 30 "$BIN/calls" apply
    assert_equal "$status" 0
    # One line that names the file and the reason.
    [[ $stderr == *warning*"/nonexistent/x.csv"*"No such file or directory"* && $stderr != *$'\n'* ]] ||
        fail "stderr is: $stderr"
    assert_line --index 3 "master: result 13"
    [ ! -e /nonexistent/x.csv ]
}

@test "trace: an unwritable POOL_TRACE and 100 pools: still one warning, not one per pool" {
    POOL_TRACE=/nonexistent/x.csv run --separate-stderr timeout 30 "$BIN/lifecycle" cycles
    assert_equal "$status" 0
    assert_output "cycles: ok"
    [[ $stderr == *warning*"/nonexistent/x"*"No such file or directory"* && $stderr != *$'\n'* ]] ||
        fail "stderr has $(wc -l <<<"$stderr") lines, the first: $(head -n 1 <<<"$stderr")"
}

@test "trace: pool_trace_open from the program, and its refusal of a bad path" {
    unset POOL_TRACE
    local path="$BATS_TEST_TMPDIR/opened.csv"
    rt calls trace-open "$path"
    assert_output --regexp '^trace_open: [^'$'\n'']*/nonexistent/dir/x\.csv[^'$'\n'']*No such file or directory[^'$'\n'']*$'
    POOL_TRACE=$path trace
    assert_equal "$(awk -F'\t' '{ print $1, $2, $8 }' "$TSV")" "0 add ok"
}

# --- output ----------------------------------------------------------------------

@test "output: worker lines come through a pipe at once, each once, in the order they happen" {
    local out="$BATS_TEST_TMPDIR/out" gate="$BATS_TEST_TMPDIR/gate"
    (timeout 30 "$BIN/output" "$gate" | cat >"$out") &
    local job=$!
    # The task waits for the file until this test has read its line.
    if ! wait_line "$out" "^task waits for $gate\$"; then
        touch "$gate"
        wait "$job" || true
        fail "a worker's line did not come through the pipe while its task ran:
$(cat "$out")"
    fi
    touch "$gate"
    wait "$job"
    mapfile -t got <"$out"
    local i want=(
        "master: before the pool" "master: half a line"
        "result 0 = 0" "result 1 = 10" "result 2 = 20" "result 3 = 30"
        "master: another half line" "master: waiting" "task waits for $gate"
        "task saw the file" "master: released")
    for i in 0 1 2 3; do
        want+=("task $i waking up")
        want+=("$(grep -E "^task $i in [0-9]+ going to sleep$" "$out" | head -1)")
    done
    for line in "${want[@]}"; do
        [ -n "$line" ] || fail "a task's first line is missing:
$(cat "$out")"
        [ "$(grep -cxF -- "$line" "$out")" -eq 1 ] ||
            fail "the line '$line' is there $(grep -cxF -- "$line" "$out") times, not once:
$(cat "$out")"
    done
    assert_equal "${#got[@]}" "${#want[@]}"
    # where LINE: its line number.
    where() { grep -nxF -- "$1" "$out" | cut -d: -f1; }
    assert_equal "$(where "master: before the pool")" 1
    assert_equal "$(where "master: half a line")" 2
    for i in 0 1 2 3; do
        [ "$(grep -nE "^task $i in" "$out" | cut -d: -f1)" -lt "$(where "task $i waking up")" ] ||
            fail "task $i woke before it slept"
        [ "$(where "task $i waking up")" -lt "$(where "result $i = $((10 * i))")" ] ||
            fail "result $i came before task $i's last line"
    done
    [ "$(where "task saw the file")" -lt "$(where "master: released")" ] ||
        fail "the master's line came before the task's"
}

# --- no orphans ------------------------------------------------------------------

# sleepers N [setsid]: start the sleepers program; sets MASTER and WORKERS.
sleepers() {
    SOUT="$BATS_TEST_TMPDIR/sleepers.out"
    if [ "${2:-}" = setsid ]; then
        # A background job starts with SIGINT ignored; a terminal's Ctrl-C
        # reaches a program that has it at its default.
        env --default-signal=INT setsid "$BIN/sleepers" "$1" >"$SOUT" 2>&1 &
    else
        "$BIN/sleepers" "$1" >"$SOUT" 2>&1 &
    fi
    JOB=$!
    local i
    for i in $(seq 100); do
        [ "$(grep -c '^sleeper ' "$SOUT")" -eq "$1" ] && break
        sleep 0.1
    done
    MASTER=$(sed -n 's/^master //p' "$SOUT")
    mapfile -t WORKERS < <(sed -n 's/^sleeper //p' "$SOUT")
    [ "${#WORKERS[@]}" -eq "$1" ] || fail "the sleepers did not all start: $(cat "$SOUT")"
}

@test "no orphans: the master killed with kill -9 while tasks sleep, its workers end too" {
    sleepers 3
    kill -9 "$MASTER"
    wait "$JOB" || true
    all_gone "${WORKERS[@]}"
}

@test "no orphans: SIGINT to the process group ends the master and every worker" {
    sleepers 2 setsid
    kill -INT -- "-$MASTER"
    wait "$JOB" || true
    all_gone "$MASTER" "${WORKERS[@]}"
}

@test "no orphans: SIGTERM to the master alone ends its workers too" {
    sleepers 2
    kill -TERM "$MASTER"
    wait "$JOB" || true
    all_gone "$MASTER" "${WORKERS[@]}"
}

# --- the transport seam -----------------------------------------------------------

# state_word_users DIR: the lines of DIR/*.c and DIR/*.h outside queue.c that
# name the call slot's state word or its encoding (shared.h's one line
# that declares the word is allowed).
state_word_users() {
    (cd "$1" && grep -nE 'POOL__(STATE|SEQ|ST|WORKER)\b|\bCALL_(FREE|QUEUED|HELD|FINISHING|DONE)\b|state_word' -- *.c *.h) |
        grep -vE '^queue\.c:|^shared\.h:[0-9]+: +_Atomic uint64_t state_word;' || true
}

@test "only queue.c reads or writes a call slot's state word: everything else asks its verbs (queue.h)" {
    local bad
    bad=$(state_word_users "$ROOT/runtime")
    [ -z "$bad" ] || fail "these lines decode a call slot's state word outside queue.c (use queue.h's verbs):
$bad"
    # The check sees what it looks for: queue.c itself uses the word.
    grep -q 'state_word' "$ROOT/runtime/queue.c" || fail "queue.c names no state_word: the check is stale"
}

@test "a call's options (its time limit, its retries) reach pool__submit as an argument, not through a thread-local" {
    local bad
    # Thread-locals that are no call's options: the last error's sentence
    # (base.c) and the pool a thread forks a supervisor for (fork.c).
    bad=$(cd "$ROOT/runtime" && grep -n '_Thread_local' -- *.c *.h |
          grep -vE '\blast_error\[|\bpool__forking\b' || true)
    [ -z "$bad" ] || fail "these thread-locals carry something to another function (pass it in struct pool__call_opts):
$bad"
    grep -q 'struct pool__call_opts' "$ROOT/runtime/calls.c" || fail "calls.c names no struct pool__call_opts: the check is stale"
}
