#!/usr/bin/env bats
# Lesson 3's programs and exercises: the shape of every output line, the
# results, what the trace says about each call (ok, cancelled, timeout,
# crash), make lesson3, and the grading of lesson 3's exercises.
#
# Sleeps are scaled down (POOL_TIME_SCALE) so the suite is quick; order and
# overlap are read from the trace, never from the clock. Calls are matched
# with trace rows by their place in submission order (the rank of the task
# id), never by an assumed first id.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/lessons/lesson3"
NAMES="waitany ascompleted progress cancel timeout crash retry"

setup_file() {
    cd "$ROOT" || return 1
    local progs="" n
    for n in $NAMES; do progs="$progs build/lessons/lesson3/$n"; done
    # shellcheck disable=SC2086
    make -s --no-print-directory $progs build/lib/libpool.a >&2
    # One batch grades every submission: the unmodified exercises, the
    # reference answers and each fixture.
    local subs=$BATS_FILE_TMPDIR/subs d
    mkdir -p "$subs/unmodified" "$subs/solution"
    cp exercises/lesson3/*.c "$subs/unmodified/"
    cp solutions/lesson3/*.c "$subs/solution/"
    for d in tests/fixtures/lesson3/*/; do cp -r "$d" "$subs/$(basename "$d")"; done
    # A submission in a folder of its own: lesson3/first.c, not first.c.
    mkdir -p "$subs/in_folder/lesson3"
    cp solutions/lesson3/first.c "$subs/in_folder/lesson3/"
    # The same batch twice, side by side (the runs mostly sleep): a grade
    # must not depend on luck, so the two must agree.
    GRADE_TIME_SCALE=0.1 GRADE_TIMEOUT=10 GRADE_JOBS=6 NO_COLOR=1 \
        tools/grade/grade --batch --lesson 3 "$subs" "$BATS_FILE_TMPDIR/again" >/dev/null 2>&1 &
    local again=$!
    GRADE_TIME_SCALE=0.1 GRADE_TIMEOUT=10 GRADE_JOBS=6 NO_COLOR=1 \
        tools/grade/grade --batch --lesson 3 "$subs" "$BATS_FILE_TMPDIR/graded" \
        >"$BATS_FILE_TMPDIR/batch.log" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/batch.status"
    wait "$again"
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS POOL_FAULT
}

# prog NAME: run a lesson program (20 s at most); it must exit 0 and say
# nothing on stderr. Leaves its lines in OUT_LINES.
prog() {
    run --separate-stderr timeout -k 2 20 "$BIN/$1"
    [ "$status" -eq 0 ] || fail "$1 exited with status $status; stderr: $stderr"
    [ -z "$stderr" ] || fail "$1 wrote on stderr: $stderr"
    OUT_LINES=("${lines[@]}")
}

# shapes REGEX...: the output is exactly these lines, each matching its regex.
shapes() {
    local i=0 re
    for re in "$@"; do
        [[ ${OUT_LINES[i]-} =~ ^$re$ ]] ||
            fail "line $((i + 1)) is '${OUT_LINES[i]-}', expected /$re/; output was:
$(printf '%s\n' "${OUT_LINES[@]}")"
        i=$((i + 1))
    done
    [ "${#OUT_LINES[@]}" -eq "$i" ] || fail "expected $i lines, got ${#OUT_LINES[@]}"
}

# trace: the trace's records as tab-separated lines, in call order (task
# id), with the call's index from 0 in front: index task function pid
# worker submit start end status error. TRACE_EVENTS: its event lines.
trace() {
    [[ $(head -n 1 "$POOL_TRACE") =~ ^#\ pool-trace\ v[23]$ ]] || fail "no pool trace (v2 or v3) at $POOL_TRACE"
    TRACE=$("$ROOT/build/tools/trace/pooltrace" tsv --lenient "$POOL_TRACE" | sort -t $'\t' -k1,1n |
        awk -F '\t' '{ print NR - 1 "\t" $0 }')
    TRACE_EVENTS=$(grep '^# event ' "$POOL_TRACE" || true)
}
# field INDEX COLUMN: one field of call INDEX's record (columns as in trace).
field() { awk -F '\t' -v i="$1" -v c="$2" '$1 == i { print $c }' <<<"$TRACE"; }
status_of() { field "$1" 9; }
statuses() { cut -f9 <<<"$TRACE" | paste -sd ' ' -; }

# --- the programs ----------------------------------------------------------

@test "waitany: nothing after half a second; then the first call to end, by the trace" {
    export POOL_TIME_SCALE=0.2   # wide gaps: a busy machine may start a worker late
    export POOL_WORKERS=2
    prog waitany
    shapes 'After half a second, no call has finished yet' \
           'Call 1 finished first\. Result is 1' \
           'Call 0: result is 9' 'Call 1: result is 1' 'Call 2: result is 4'
    trace
    assert_equal "$(statuses)" "ok ok ok"
    # Call 1 ended before the others, as printed.
    awk -v a="$(field 1 8)" -v b="$(field 0 8)" -v c="$(field 2 8)" 'BEGIN { exit !(a < b && a < c) }' ||
        fail "the trace does not have call 1 ending first: $TRACE"
    # On one worker the calls take turns: call 0 ends first.
    export POOL_WORKERS=1
    prog waitany
    assert_equal "${OUT_LINES[1]}" "Call 0 finished first. Result is 9"
}

@test "ascompleted: the results come in the order the trace has the calls end" {
    export POOL_TIME_SCALE=0.2   # wide gaps: a busy machine may start a worker late
    export POOL_WORKERS=5
    prog ascompleted
    local i want=(5 1 4 2 3)
    for i in 0 1 2 3 4; do
        assert_equal "${OUT_LINES[i]}" "Call $i sleeps ${want[i]} second(s)"
    done
    trace
    local order printed
    order=$(sort -t $'\t' -k8,8g <<<"$TRACE" | cut -f1 | paste -sd ' ' -)
    assert_equal "$order" "1 3 4 2 0"
    printed=$(printf '%s\n' "${OUT_LINES[@]:5}" | sed -n 's/^Call \([0-9]\) is done: \([0-9]*\) squared is \([0-9]*\)$/\1 \2 \3/p')
    assert_equal "$(cut -d' ' -f1 <<<"$printed" | paste -sd ' ' -)" "$order"
    awk '{ if ($2 != $1 + 10 || $3 != $2 * $2) exit 1 }' <<<"$printed" || fail "wrong squares: $printed"
    assert_equal "${#OUT_LINES[@]}" 10
}

@test "progress: the callbacks draw twenty bars, one call more each time, then the total" {
    export POOL_WORKERS=3
    prog progress
    local k bar
    for k in $(seq 1 20); do
        bar=$(printf '%*s' "$k" '' | tr ' ' '#')$(printf '%*s' $((20 - k)) '' | tr ' ' '.')
        assert_equal "${OUT_LINES[k - 1]}" "[$bar] $(printf '%2d' "$k")/20 done"
    done
    assert_equal "${OUT_LINES[20]}" "The squares of 0 to 19 add up to 2470 (0 call(s) failed)"
    assert_equal "${#OUT_LINES[@]}" 21
    trace
    assert_equal "$(statuses)" "$(printf 'ok %.0s' $(seq 20) | sed 's/ $//')"
}

@test "progress: a failed call and a crashed worker go to the error callback; the bar still ends full" {
    export POOL_WORKERS=2
    trace_id() { awk -F, '/^[0-9]/ { print $1 }' "$POOL_TRACE" | sort -n | sed -n "${1}p"; }
    # Which ids the sixth and the eleventh call get: from a first run's trace.
    prog progress
    local err crash
    err=$(trace_id 6) crash=$(trace_id 11)
    POOL_FAULT=error:$err,crash:$crash prog progress
    assert_line --regexp '^A call failed: POOL_FAULT made call [0-9]+ fail$'
    assert_line --regexp '^A call failed: worker [01] \(pid [0-9]+\) was killed by signal 11 .*'
    assert_line "[####################] 20/20 done"
    # Calls 5 and 10 (25 and 100) are missing from the sum.
    assert_line "The squares of 0 to 19 add up to 2345 (2 call(s) failed)"
    trace
    assert_equal "$(status_of 5) $(status_of 10)" "error crash"
}

@test "cancel on 2 workers: four queued calls removed, two running ones killed; the pool goes on" {
    export POOL_TIME_SCALE=0.2   # wide gaps: a busy machine may start a worker late
    export POOL_WORKERS=2
    prog cancel
    shapes 'Call 2 was waiting in the queue: cancelled' \
           'Call 3 was waiting in the queue: cancelled' \
           'Call 4 was waiting in the queue: cancelled' \
           'Call 5 was waiting in the queue: cancelled' \
           'Call 0 was running in process [0-9]+: killed' \
           'Call 1 was running in process [0-9]+: killed' \
           '4 call\(s\) cancelled in the queue, 2 killed while running' \
           'Call 5 holds Cancelled : the call was cancelled before it started' \
           'A new call: 7 squared is 49'
    trace
    assert_equal "$(statuses)" "cancelled cancelled cancelled cancelled cancelled cancelled ok"
    local i pid
    for i in 2 3 4 5; do
        assert_equal "$(field "$i" 4)" 0      # never began: no worker
        assert_equal "$(field "$i" 5)" -1
    done
    for i in 0 1; do
        pid=$(sed -n "s/^Call $i was running in process \([0-9]*\): killed$/\1/p" <<<"$(printf '%s\n' "${OUT_LINES[@]}")")
        assert_equal "$(field "$i" 4)" "$pid"
        grep -q "pid=$pid .*what=end how=\"was killed by signal 9" <<<"$TRACE_EVENTS" ||
            fail "no event says worker $pid was killed: $TRACE_EVENTS"
    done
    # The last call ran on a worker started after the kills.
    grep -q "pid=$(field 6 4) .*what=start" <<<"$TRACE_EVENTS" || fail "no start event for the new call's worker"
    [ "$(grep -c 'what=start' <<<"$TRACE_EVENTS")" -ge 3 ] || fail "no worker was replaced: $TRACE_EVENTS"
}

@test "cancel on 8 workers: all six calls run, so all six are killed" {
    export POOL_TIME_SCALE=0.2   # wide gaps: a busy machine may start a worker late
    export POOL_WORKERS=8
    prog cancel
    assert_line "0 call(s) cancelled in the queue, 6 killed while running"
    refute_output --partial "waiting in the queue"
    trace
    local i
    for i in 0 1 2 3 4 5; do
        assert_equal "$(status_of "$i")" cancelled
        [ "$(field "$i" 4)" != 0 ] || fail "call $i was killed but never began"
    done
}

@test "timeout: the stuck call and the slow one fail with Timeout after their limit; the others return" {
    export POOL_WORKERS=2
    prog timeout
    shapes 'Call 0 returned 9' \
           'Call 1 failed: Timeout : wait_forever ran past its limit of 2 s; its worker [01] was killed and replaced' \
           'Call 2 failed: Timeout : slow_square ran past its limit of 2 s; its worker [01] was killed and replaced' \
           'Call 3 returned 25'
    trace
    assert_equal "$(statuses)" "ok timeout timeout ok"
    # Killed at its limit, not before: 2 s of the program's (0.1 s here),
    # which the message gives as the program wrote it.
    local i
    for i in 1 2; do
        awk -v s="$(field "$i" 7)" -v e="$(field "$i" 8)" 'BEGIN { exit !(e - s >= 0.1) }' ||
            fail "call $i was stopped before its limit"
        assert_equal "Call $i failed: $(field "$i" 10 | sed 's/: / : /')" "${OUT_LINES[i]}"
    done
}

@test "timeout on 1 worker: each limit counts from the call's own start" {
    export POOL_WORKERS=1
    prog timeout
    trace
    assert_equal "$(statuses)" "ok timeout timeout ok"
    # Call 2 waited in the queue for the others, and still ran its full limit.
    awk -v q="$(field 2 6)" -v s="$(field 2 7)" -v e="$(field 2 8)" 'BEGIN { exit !(s - q >= 0.1 && e - s >= 0.1) }' ||
        fail "call 2: $(field 2 6) submitted, $(field 2 7) started, $(field 2 8) ended"
}

@test "crash: a NULL pointer kills one worker; only its call fails, and a new worker takes calls" {
    export POOL_WORKERS=2
    prog crash
    shapes 'Call 0 \(Japan\): 124 million people' \
           'Call 1 \(Peru\): 34 million people' \
           'Call 2 \(Atlantis\) failed: WorkerDied : worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV.* while running population(: in population( at .*crash\.c:[0-9]+)?)?' \
           'Call 3 \(Kenya\): 55 million people' \
           'Call 4 \(France\): 68 million people' \
           'A new call \(Peru\): 34 million people'
    trace
    assert_equal "$(statuses)" "ok ok crash ok ok ok"
    # The message printed is the trace's; the dead worker was replaced.
    assert_equal "Call 2 (Atlantis) failed: $(field 2 10 | sed 's/: / : /')" "${OUT_LINES[2]}"
    local dead
    dead=$(field 2 4)
    grep -q "pid=$dead .*what=end how=\"was killed by signal 11" <<<"$TRACE_EVENTS" ||
        fail "no event for the death of worker $dead: $TRACE_EVENTS"
    [ "$(grep -c 'what=start' <<<"$TRACE_EVENTS")" -eq 3 ] || fail "expected 2 workers and 1 replacement: $TRACE_EVENTS"
}

@test "retry: a call killed once returns on its second try; a bug dies on all three tries" {
    export POOL_TIME_SCALE=0.2   # wide gaps: a busy machine may start a worker late
    local w
    for w in 1 2; do
        export POOL_WORKERS=$w
        prog retry
        shapes 'Killing process [0-9]+, which runs call 0' \
               'Call 0 returned 36 after 2 tries' \
               'Call 1 failed after 3 tries: WorkerDied : worker [01] \(pid [0-9]+\) was killed by signal 11 \(SIGSEGV.* while running initial.* \(try 3 of 3\)'
        # One row per try, each under its call's id: retried, then how it ended.
        local rows
        rows=$("$ROOT/build/tools/trace/pooltrace" tsv --lenient "$POOL_TRACE" | sort -t $'\t' -k1,1n -k6,6g |
            awk -F '\t' '{ if (!($1 in k)) k[$1] = n++; printf "%d %s %s\n", k[$1], $2, $8 }')
        assert_equal "$rows" "0 slow_square retried
0 slow_square ok
1 initial retried
1 initial retried
1 initial crash"
        # The try the master killed ran in the process it named.
        local pid
        pid=$(sed -n 's/^Killing process \([0-9]*\),.*/\1/p' <<<"$output")
        grep -q ",$pid,.*,retried,WorkerDied: .*(pid $pid) was killed by signal 9" "$POOL_TRACE" ||
            fail "no retried row for process $pid on $w worker(s)"
    done
}

@test "every program takes its worker count from POOL_WORKERS, checks pool_create, sleeps with pool_sleep" {
    local c
    for c in "$ROOT"/lessons/lesson3/*.c; do
        grep -q 'pool_create(0)' "$c" || fail "$c: no pool_create(0)"
        grep -q 'pool_perror("pool_create")' "$c" || fail "$c: pool_create's NULL is not reported"
        grep -q 'pool_destroy(p)' "$c" || fail "$c: the pool is never destroyed"
        ! grep -nE '(^|[^_[:alnum:]])(u|nano)?sleep[[:space:]]*\(' "$c" || fail "$c sleeps without pool_sleep"
    done
}

@test "every program stops with one clear line on a bad POOL_WORKERS" {
    local n
    for n in $NAMES; do
        run --separate-stderr timeout 10 env POOL_WORKERS=0 "$BIN/$n"
        [ "$status" -eq 1 ] || fail "$n with POOL_WORKERS=0: exit $status"
        [ "${#stderr_lines[@]}" -eq 1 ] && [[ $stderr == "pool_create: "?* ]] || fail "$n said: $stderr"
        [ -z "$output" ] || fail "$n with POOL_WORKERS=0 printed: $output"
    done
}

@test "make lesson3 runs every program after its banner, in lesson order, and exits 0" {
    unset POOL_TRACE
    run timeout -k 5 60 make -C "$ROOT" --no-print-directory lesson3 POOL_TIME_SCALE=0.02
    assert_success
    assert_output --partial "Every sleep is scaled by POOL_TIME_SCALE=0.02."
    local banners want="" k=0 c
    banners=$(printf '%s\n' "${lines[@]}" | sed -n 's/^==== \([0-9]\)\/7 \([a-z]*\): .* ====$/\1 \2/p')
    for c in $NAMES; do k=$((k + 1)); want+="$k $c"$'\n'; done
    assert_equal "$banners" "${want%$'\n'}"
    for c in "$ROOT"/lessons/lesson3/*.c; do
        [[ " $NAMES " == *" $(basename "$c" .c) "* ]] || fail "$c has no banner"
    done
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^Look for: .')" 7
    # Each program's last line comes before the next banner.
    local seq=("==== 1/7 waitany*" "Call 2: result is 4" "==== 2/7 *" "Call * is done:*"
               "==== 3/7 *" "The squares of 0 to 19 add up to 2470*" "==== 4/7 *" "A new call: 7 squared is 49"
               "==== 5/7 *" "Call 3 returned 25" "==== 6/7 *" "A new call (Peru): 34 million people"
               "==== 7/7 *" "Call 1 failed after 3 tries: *" "End of lesson 3.*")
    local i
    k=0
    for ((i = 0; i < ${#lines[@]} && k < ${#seq[@]}; i++)); do
        # shellcheck disable=SC2053
        [[ ${lines[i]} == ${seq[k]} ]] && k=$((k + 1))
    done
    [ "$k" -eq "${#seq[@]}" ] || fail "make lesson3 never printed '${seq[k]}' where expected"
}

@test "make lesson3 with a bad POOL_WORKERS: one clear message, a failure, no count announced" {
    POOL_WORKERS=abc run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson3
    assert_failure
    assert_output --partial "POOL_WORKERS=abc is not a worker count"
    refute_output --partial "Each pool has"
    refute_output --partial "==== 2/7"
}

@test "make plots-lesson3: a timeline per program, from traces that hold cancelled, timeout, crash and retried" {
    unset POOL_TRACE
    local dir=$BATS_TEST_TMPDIR/plots n want
    run timeout -k 5 60 make -C "$ROOT" -s --no-print-directory plots-lesson3 \
        LESSON3_WORKERS=2 PLOT_SCALE=0.05 LESSON3_PLOTDIR="$dir"
    assert_success
    for n in cancel:cancelled timeout:timeout crash:crash retry:retried; do
        want=${n#*:} n=${n%%:*}
        [ -s "$dir/lesson3-$n/timeline-w2.png" ] || fail "no timeline for $n"
        [ -s "$dir/lesson3-$n/index.html" ] || fail "no report page for $n"
        awk -F, -v s="$want" '!/^#/ && $8 == s { found = 1 } END { exit !found }' "$dir/lesson3-$n/w2.csv" ||
            fail "the trace of $n holds no call with status $want"
    done
}

# --- grading ---------------------------------------------------------------

# row STUDENT: the student's line of grades.csv.
row() { grep "^$1," "$BATS_FILE_TMPDIR/graded/grades.csv"; }
# failed_of STUDENT EXERCISE: the checks of EXERCISE the student did not pass.
failed_of() { row "$1" | cut -d, -f4 | tr ';' '\n' | sed -n "s|^$2/||p" | paste -sd ' ' -; }

@test "grading: the unmodified exercises run and score 0; the reference answers score 12 of 12" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/batch.status")" 0
    run row unmodified
    assert_output --regexp '^unmodified,0,12,'
    refute_output --partial compiles
    refute_output --partial /runs
    run row solution
    assert_output "solution,12,12,"
}

@test "grading: each wrong fixture fails the check it should, and no other of its exercise" {
    # On 1 worker, mirror 1 may or may not have begun when the cancel
    # comes: it is not judged there, so the grade is the same every time.
    assert_equal "$(failed_of cancel_only first)" "running"
    assert_equal "$(failed_of destroys_others first)" "running queued"
    assert_equal "$(failed_of waits_for_all completed)" "time"
    assert_equal "$(failed_of scaled_limit limit)" "others reported"
    assert_equal "$(failed_of short_limit limit)" "others reported"
    assert_equal "$(failed_of index_count callbacks)" "count"
    assert_equal "$(failed_of no_error_callback callbacks)" "failed"
    assert_equal "$(failed_of colour_reports callbacks)" "order count failed"
    local r=$BATS_FILE_TMPDIR/graded
    # The hints name the mistake.
    grep -q "future_cancel cannot stop a call that runs" "$r/cancel_only/report.txt"
    grep -q "the last save ended at" "$r/waits_for_all/report.txt"
    grep -q "call 0, 1 s long, ended with status timeout" "$r/scaled_limit/report.txt"
    grep -q "do not multiply it by pool_time_scale()" "$r/scaled_limit/report.txt"
    grep -q "call 1, 2 s long, ended with status timeout" "$r/short_limit/report.txt"
    grep -q "The call's index i + 1 is no count" "$r/index_count/report.txt"
    grep -q "give future_on_done an error callback too" "$r/no_error_callback/report.txt"
    # Reports behind a colour code are not counted; the hint says so, and
    # does not blame waiting on a program that uses callbacks.
    grep -q "do not start with it (an escape code" "$r/colour_reports/report.txt"
    ! grep -q "only after waiting for all of them" "$r/colour_reports/report.txt"
}

@test "grading: a grade is a function of the program: the batch graded twice gives the same grades.csv" {
    [ -s "$BATS_FILE_TMPDIR/again/grades.csv" ] || fail "the second batch wrote no grades.csv"
    run diff "$BATS_FILE_TMPDIR/graded/grades.csv" "$BATS_FILE_TMPDIR/again/grades.csv"
    assert_success
}

@test "grading: first that waits for every answer before it kills fails, and the hint says so" {
    assert_equal "$(failed_of waits_then_kills first)" "running queued"
    run grep -A3 ':( on 4 workers the other calls' "$BATS_FILE_TMPDIR/graded/waits_then_kills/report.txt"
    assert_output --regexp "actual:   mirror [03] ran to its end \([0-9.]+ s\); mirror [03] ran to its end"
    assert_output --partial "the program called future_kill only after those calls had ended (it gave -1, EALREADY)"
}

@test "grading: callbacks that destroys the pool at once fails: its calls never ended" {
    assert_equal "$(failed_of destroys_at_once callbacks)" "order count failed"
    run grep -A3 ':( every call runs to its end' "$BATS_FILE_TMPDIR/graded/destroys_at_once/report.txt"
    assert_output --partial "actual:   8 of 8 calls did not run to their end: 0 (terminated), 1 (terminated), 2 (terminated)"
    assert_output --partial "the pool was destroyed while the calls still ran: pool_destroy ends them"
}

@test "grading: callbacks that exits 1 when a call failed passes: the lesson asks no exit status then" {
    assert_equal "$(failed_of exit_one callbacks)" ""
    run grep -c 'the program may exit with any status' "$BATS_FILE_TMPDIR/graded/exit_one/report.txt"
    assert_output 1
}

@test "grading: completed saving in an order fixed in advance fails on 1 worker, with its hint" {
    assert_equal "$(failed_of by_length completed)" "order saved"
    run grep -A3 ':( each result is saved in the order' "$BATS_FILE_TMPDIR/graded/by_length/report.txt"
    assert_output --partial "expected: on 1 worker, the results saved in the order the downloads ended: calls 0 1 2 3"
    assert_output --partial "actual:   on 1 worker, saved in the order: calls 1 3 2 0"
    assert_output --partial "an order fixed in advance (say, by length) is right only when"
}

@test "grading: completed that never saves, only sleeps, fails the time check too" {
    assert_equal "$(failed_of sleeps_no_save completed)" "order time saved"
    run grep -A3 ':( every result is saved, and the run takes' "$BATS_FILE_TMPDIR/graded/sleeps_no_save/report.txt"
    assert_output --partial "actual:   no save of the result of call(s) 0 1 2 3"
}

@test "grading: a limit kept in an int (0) is named: the calls were refused" {
    assert_equal "$(failed_of int_limit limit)" "stopped others reported"
    run grep -A3 ':( the stuck call is stopped' "$BATS_FILE_TMPDIR/graded/int_limit/report.txt"
    assert_output --partial "actual:   pool_apply_async_limit refused 5 call(s) of lookup (it gave NULL: errno EINVAL), as their limit was 0 s, not more than 0"
    assert_output --partial "3 * pool_time_scale() is 0.3 when the grader runs with POOL_TIME_SCALE=0.1, and an int keeps only what is before the point"
}

@test "grading: a program that starts no pool and forges its trace and call record fails the run" {
    assert_equal "$(failed_of forged_trace limit)" "runs stopped others reported"
    run grep -A3 ':( ./limit runs' "$BATS_FILE_TMPDIR/graded/forged_trace/report.txt"
    assert_output --regexp "actual:   ./limit exited with status 0, but its trace says tasks ran in worker PID\(s\) 101, 102, 103, and the run had no such process: its processes and threads were PIDs [0-9]+ to [0-9]+"
    assert_output --partial "the trace must be the pool's own"
}

@test "grading: a file handed in inside a folder: the folder is named" {
    run grep -A3 ':( first.c compiles' "$BATS_FILE_TMPDIR/graded/in_folder/report.txt"
    assert_output --partial "actual:   there is no first.c at the top of the submission, but there is lesson3/first.c"
    assert_output --partial "hand in the files themselves, not the folder that holds them"
}

@test "grading: the right answers written another way pass every check of their exercise" {
    assert_equal "$(failed_of wait_many_first first)" ""
    assert_equal "$(failed_of wait_any_saves completed)" ""
    assert_equal "$(failed_of wait_many_limit limit)" ""
    assert_equal "$(failed_of as_completed_reports callbacks)" ""
    assert_equal "$(failed_of exit_one callbacks)" ""
    # Woken late, it finds the next mirror ended (future_kill: EALREADY).
    assert_equal "$(failed_of slow_master first)" ""
}

@test "grading: make grade LESSON=3 EXERCISE=limit grades one exercise; the unmodified one fails with hints" {
    GRADE_TIME_SCALE=0.05 NO_COLOR=1 run make -s -C "$ROOT" grade LESSON=3 EXERCISE=limit
    assert_success
    assert_line ":) limit.c compiles"
    assert_line --partial ":( the stuck call is stopped by its limit"
    assert_output --regexp "actual:   call 2 ran to its end: 30\.[0-9] s"
    assert_line --partial ":| the calls that answer within 3 seconds are not stopped"
    assert_equal "${lines[${#lines[@]} - 1]}" "Score: 0 of 3 points"
}

@test "grading: a run stopped at its time limit is told in the program's own seconds, and leaves no file behind" {
    # The unmodified limit.c waits 30 of its seconds (3 s here): a limit of
    # 1 s stops it. The grader works in a folder of its own choosing.
    local here=$BATS_TEST_TMPDIR/cwd
    mkdir -p "$here"
    cd "$here"
    GRADE_TIME_SCALE=0.1 GRADE_TIMEOUT=1 NO_COLOR=1 run "$ROOT/tools/grade/grade" --lesson 3 \
        --dir "$ROOT/exercises/lesson3" limit
    assert_failure 1
    assert_output --partial "did not finish within 1 seconds, and was stopped (10 of the program's own seconds"
    assert_equal "$(ls -A "$here")" ""
}
