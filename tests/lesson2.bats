#!/usr/bin/env bats
# Lesson 2's programs: the exact shape of every output line, the results,
# and what the trace says about who ran what, and when.
#
# Sleeps are scaled down (POOL_TIME_SCALE) so the suite is quick; order and
# overlap are read from the trace (runtime/TRACE.md), never from the clock.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/lessons/lesson2"
NAMES="poolapply_function poolapply arity applyasync future"

setup_file() {
    # make test has built everything; this makes a lone run of the suite work too.
    local progs="" n
    for n in $NAMES; do progs="$progs build/lessons/lesson2/$n"; done
    # shellcheck disable=SC2086
    make -C "$ROOT" -s --no-print-directory $progs >&2
}

setup() {
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS
    OUT="$BATS_TEST_TMPDIR/out"
    ERR="$BATS_TEST_TMPDIR/err"
}

# prog NAME: run it in the background so that its real PID is known; a
# program that hangs is killed after 20 s and fails the test.
# Sets OUT_LINES (stdout, blank lines kept), MASTER (its PID), STATUS.
prog() {
    local dog done_pid
    "$BIN/$1" >"$OUT" 2>"$ERR" &
    MASTER=$!
    sleep 20 3>&- &
    dog=$!
    STATUS=0
    wait -n -p done_pid "$MASTER" "$dog" || STATUS=$?
    if [ "$done_pid" = "$dog" ]; then
        kill -9 "$MASTER"
        wait "$MASTER" 2>/dev/null || true
        fail "$1 did not finish within 20 s; its output so far:
$(cat "$OUT")"
    fi
    kill "$dog"
    wait "$dog" 2>/dev/null || true
    mapfile -t OUT_LINES <"$OUT"
    if [ "$STATUS" -ne 0 ]; then
        echo "$1 exited with status $STATUS; stderr:" >&2
        cat "$ERR" >&2
        return 1
    fi
    if [ -s "$ERR" ]; then
        echo "$1 wrote on stderr:" >&2
        cat "$ERR" >&2
        return 1
    fi
}

# shapes REGEX...: stdout has exactly these lines, each matching its regex
# in full, in this order.
shapes() {
    local i=0 re
    for re in "$@"; do
        if [ "$i" -ge "${#OUT_LINES[@]}" ]; then
            fail "line $((i + 1)) is missing; expected /$re/; output was:
$(cat "$OUT")"
        fi
        if ! [[ ${OUT_LINES[i]} =~ ^$re$ ]]; then
            fail "line $((i + 1)) is '${OUT_LINES[i]}'; expected /$re/; output was:
$(cat "$OUT")"
        fi
        i=$((i + 1))
    done
    if [ "${#OUT_LINES[@]}" -ne "$i" ]; then
        fail "expected $i lines, got ${#OUT_LINES[@]}; output was:
$(cat "$OUT")"
    fi
}

# Read the trace into T_* arrays indexed by task id (from 0: call i of the
# program is task i), and T_ORDER (task ids in the order the tasks ended, by
# end_s: records from different workers may be written in another order),
# and the master's wait events into M_EVENTS.
load_trace() {
    [ -f "$POOL_TRACE" ] || fail "no trace was written at $POOL_TRACE"
    [ "$(head -n 1 "$POOL_TRACE")" = "# pool-trace v3" ] ||
        fail "trace line 1 is not '# pool-trace v3'"
    # Line 2 says where the trace comes from: the lesson's program, on
    # the pool's worker count.
    [[ $(sed -n 2p "$POOL_TRACE") =~ ^#\ workers=[0-9]+\ program=\"[a-z_]+\"\  ]] ||
        fail "trace line 2 is not the line of where it comes from"
    [ "$(sed -n 3p "$POOL_TRACE")" = "task,function,pid,worker,submit_s,start_s,end_s,status,error" ] ||
        fail "trace line 3 is not the column header"
    unset T_FN T_PID T_WORKER T_SUBMIT T_START T_END T_STATUS T_ERROR
    declare -gA T_FN T_PID T_WORKER T_SUBMIT T_START T_END T_STATUS T_ERROR
    T_ORDER=()
    local task fn pid worker submit start end status error
    # The first eight fields never hold a comma; the error field may be quoted.
    while IFS=$'\t' read -r task fn pid worker submit start end status error; do
        T_ORDER+=("$task")
        T_FN[$task]=$fn T_PID[$task]=$pid T_WORKER[$task]=$worker
        T_SUBMIT[$task]=$submit T_START[$task]=$start T_END[$task]=$end
        T_STATUS[$task]=$status T_ERROR[$task]=$error
    done < <(awk 'NR > 3 && !/^#/ {
                 line = $0; out = ""
                 for (k = 1; k <= 8; k++) {
                     c = index(line, ",")
                     out = out substr(line, 1, c - 1) "\t"
                     line = substr(line, c + 1)
                 }
                 if (line ~ /^".*"$/) {
                     line = substr(line, 2, length(line) - 2)
                     gsub(/""/, "\"", line)
                 }
                 print out line
             }' "$POOL_TRACE" | sort -s -t $'\t' -k7,7g)
    # The master's waits, in order: "wait|resume CALL ON T".
    M_EVENTS=()
    local line
    while IFS= read -r line; do
        M_EVENTS+=("$line")
    done < <(sed -n 's/^# event worker=master pid=[0-9]* t=\([0-9.]*\) what=\([a-z]*\) in=\([a-z_]*\) on=\(.*\)$/\2 \3 \4 \1/p' "$POOL_TRACE")
}

# is_worker PID: PID is not the master's and ran a task in the trace.
is_worker() {
    local t
    [ "$1" != "$MASTER" ] || fail "PID $1 printed by a task is the master's PID"
    for t in "${T_ORDER[@]}"; do
        [ "${T_PID[$t]}" = "$1" ] && return 0
    done
    fail "PID $1 printed by a task is not in the trace's pid column"
}

# no_worker_left: every worker in the trace is gone once the master is.
no_worker_left() {
    local t
    for t in "${T_ORDER[@]}"; do
        if kill -0 "${T_PID[$t]}" 2>/dev/null; then
            fail "worker ${T_PID[$t]} outlived its master"
        fi
    done
}

# before A B: number A < number B (trace times).
before() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}

# master_waits: the master's events as "what call on," (load_trace first).
master_waits() {
    local e
    for e in "${M_EVENTS[@]}"; do printf '%s,' "${e% *}"; done
}

# master_t I: the time of the master's event I.
master_t() {
    echo "${M_EVENTS[$1]##* }"
}

# --- poolapply_function and poolapply: pool_apply ------------------------------

@test "poolapply_function: one blocking call in a worker gives Result is 5" {
    prog poolapply_function
    shapes 'Master process is PID ([0-9]+)' \
           'Process ([0-9]+) going to sleep for 5 second\(s\)' \
           'Process ([0-9]+) waking up' \
           'Result is 5'
    [[ ${OUT_LINES[0]} =~ ([0-9]+)$ ]] && assert_equal "${BASH_REMATCH[1]}" "$MASTER"
    [[ ${OUT_LINES[1]} =~ Process\ ([0-9]+) ]] && local pid=${BASH_REMATCH[1]}
    [[ ${OUT_LINES[2]} =~ Process\ ([0-9]+) ]] && assert_equal "${BASH_REMATCH[1]}" "$pid"
    load_trace
    assert_equal "${#T_ORDER[@]}" 1
    assert_equal "${T_FN[0]}" slow_function
    assert_equal "${T_STATUS[0]}" ok
    assert_equal "${T_PID[0]}" "$pid"
    is_worker "$pid"
    no_worker_left
}

@test "poolapply: slow_add(1, 6, 7) gives Result is 13 from a worker" {
    prog poolapply
    shapes 'Master process is PID ([0-9]+)' \
           'Process ([0-9]+) going to sleep for 1 second\(s\)' \
           'Process ([0-9]+) waking up' \
           'Result is 13'
    [[ ${OUT_LINES[0]} =~ ([0-9]+)$ ]] && assert_equal "${BASH_REMATCH[1]}" "$MASTER"
    [[ ${OUT_LINES[1]} =~ Process\ ([0-9]+) ]] && local pid=${BASH_REMATCH[1]}
    [[ ${OUT_LINES[2]} =~ Process\ ([0-9]+) ]] && assert_equal "${BASH_REMATCH[1]}" "$pid"
    load_trace
    assert_equal "${#T_ORDER[@]}" 1
    assert_equal "${T_FN[0]}" slow_add
    assert_equal "${T_STATUS[0]}" ok
    is_worker "$pid"
    # The master was blocked in pool_apply on call 0 until the call ended.
    assert_equal "$(master_waits)" "wait pool_apply 0,resume pool_apply 0,"
    before "$(master_t 0)" "${T_END[0]}" || fail "the master began to wait after the call ended"
    before "$(master_t 1)" "${T_END[0]}" && fail "the master went on before the call ended"
    no_worker_left
}

# --- arity: a wrong argument count --------------------------------------------

@test "arity: only the right count runs; 2 and 4 arguments fail with a TypeError" {
    prog arity
    shapes 'Master process is PID ([0-9]+)' \
           'Process ([0-9]+) going to sleep for 1 second\(s\)' \
           'Process ([0-9]+) waking up' \
           'slow_add\(1, 6, 7\) was successful\. Result is 13' \
           'slow_add\(1, 6\) failed!' \
           '    Error = TypeError : .+' \
           'slow_add\(1, 6, 7, 8\) failed!' \
           '    Error = TypeError : .+'
    [[ ${OUT_LINES[1]} =~ Process\ ([0-9]+) ]] && local pid=${BASH_REMATCH[1]}
    load_trace
    assert_equal "${#T_ORDER[@]}" 3
    assert_equal "${T_STATUS[0]}" ok
    assert_equal "${T_PID[0]}" "$pid"
    is_worker "$pid"
    # The message the master printed is the one the worker's task left.
    local t line
    for t in 1 2; do
        assert_equal "${T_FN[$t]}" slow_add
        assert_equal "${T_STATUS[$t]}" error
        [[ ${T_ERROR[$t]} == "TypeError: "* ]] || fail "task $t error: '${T_ERROR[$t]}'"
    done
    line=${OUT_LINES[5]#    Error = TypeError : }
    assert_equal "TypeError: $line" "${T_ERROR[1]}"
    line=${OUT_LINES[7]#    Error = TypeError : }
    assert_equal "TypeError: $line" "${T_ERROR[2]}"
    # Both messages say what was wrong: they differ (2 given, 4 given).
    [ "${T_ERROR[1]}" != "${T_ERROR[2]}" ] || fail "the two TypeErrors read the same"
}

# --- applyasync: two calls at once --------------------------------------------

# Where in OUT_LINES the line LINE is (fails if absent or twice).
index_of() {
    local i found=-1
    for i in "${!OUT_LINES[@]}"; do
        if [ "${OUT_LINES[i]}" = "$1" ]; then
            [ "$found" -eq -1 ] || fail "'$1' printed twice"
            found=$i
        fi
    done
    [ "$found" -ge 0 ] || fail "'$1' not printed; output was:
$(cat "$OUT")"
    echo "$found"
}

@test "applyasync: two workers run the two calls at the same time" {
    export POOL_WORKERS=2
    export POOL_TIME_SCALE=0.2    # calls of 0.2 s: a slow start cannot hide the overlap
    prog applyasync
    assert_equal "${#OUT_LINES[@]}" 7
    [[ ${OUT_LINES[0]} =~ ^Master\ process\ is\ PID\ ([0-9]+)$ ]] ||
        fail "line 1 is '${OUT_LINES[0]}'"
    assert_equal "${BASH_REMATCH[1]}" "$MASTER"
    local i
    for i in 1 2 3 4; do
        [[ ${OUT_LINES[i]} =~ ^Process\ [0-9]+\ (going\ to\ sleep\ for\ 1\ second\(s\)|waking\ up)$ ]] ||
        [[ ${OUT_LINES[i]} =~ ^Result\ one\ is\ 13$ ]] ||
            fail "line $((i + 1)) is '${OUT_LINES[i]}'"
    done
    assert_equal "${OUT_LINES[6]}" "Result two is 5"

    load_trace
    assert_equal "${#T_ORDER[@]}" 2
    local p1=${T_PID[0]} p2=${T_PID[1]}
    [ "$p1" != "$p2" ] || fail "both calls ran in worker $p1"
    # Each worker slept, then woke, before the master printed its result.
    local s1 w1 r1 s2 w2 r2
    s1=$(index_of "Process $p1 going to sleep for 1 second(s)")
    w1=$(index_of "Process $p1 waking up")
    r1=$(index_of "Result one is 13")
    s2=$(index_of "Process $p2 going to sleep for 1 second(s)")
    w2=$(index_of "Process $p2 waking up")
    r2=$(index_of "Result two is 5")
    [ "$s1" -lt "$w1" ] && [ "$w1" -lt "$r1" ] || fail "call 0's lines out of order"
    [ "$s2" -lt "$w2" ] && [ "$w2" -lt "$r2" ] || fail "call 1's lines out of order"
    is_worker "$p1"
    is_worker "$p2"
    # pool_apply_async did not block: call 1 was made before call 0 ended.
    before "${T_SUBMIT[1]}" "${T_END[0]}" || fail "call 1 was made only after call 0 ended"
    # Overlap: each call started before the other ended.
    before "${T_START[1]}" "${T_END[0]}" || fail "call 1 started after call 0 ended"
    before "${T_START[0]}" "${T_END[1]}" || fail "call 0 started after call 1 ended"
    # The master made both calls, then was blocked in future_wait on call
    # 0, and call 1 ran while it waited.
    [[ $(master_waits) == "wait future_wait 0,resume future_wait 0,"* ]] ||
        fail "the master's waits: $(master_waits)"
    before "$(master_t 0)" "${T_SUBMIT[1]}" && fail "the master waited before it made call 1"
    before "${T_START[1]}" "$(master_t 1)" || fail "call 1 did not run while the master waited"
}

@test "applyasync: with one worker the two calls take turns (same results)" {
    export POOL_WORKERS=1
    prog applyasync
    load_trace
    assert_equal "${T_PID[0]}" "${T_PID[1]}"
    local pid=${T_PID[0]} r1
    # The worker sleeps and wakes twice in a row; "Result one" may come
    # just before or just after the second call starts.
    r1=$(index_of "Result one is 13")
    [ "$r1" -eq 3 ] || [ "$r1" -eq 4 ] || fail "'Result one is 13' is line $((r1 + 1))"
    OUT_LINES=("${OUT_LINES[@]:0:r1}" "${OUT_LINES[@]:r1+1}")
    shapes "Master process is PID $MASTER" \
           "Process $pid going to sleep for 1 second\(s\)" \
           "Process $pid waking up" \
           "Process $pid going to sleep for 1 second\(s\)" \
           "Process $pid waking up" \
           'Result two is 5'
    if before "${T_START[1]}" "${T_END[0]}"; then
        fail "one worker ran two calls at once"
    fi
    # Still, the master did not wait for call 0 before making call 1.
    before "${T_SUBMIT[1]}" "${T_END[0]}" || fail "call 1 was made only after call 0 ended"
    is_worker "${T_PID[0]}"
    # The lesson: the calls run while the master waits, one after the
    # other: it waits on call 0, then on call 1, which runs meanwhile.
    assert_equal "$(master_waits)" "wait future_wait 0,resume future_wait 0,wait future_wait 1,resume future_wait 1,"
    before "${T_START[1]}" "$(master_t 3)" || fail "call 1 did not run while the master waited"
}

# --- future: ready, successful, get --------------------------------------------

# Split future's output into rounds of the "Have the workers finished?"
# table: ROUNDS[r] is a string of five letters, F (finished), R (running) or
# Q (waiting in the queue: no worker has taken it yet).
# Checks the shape of every line, and the results block at the end.
read_future() {
    local i=0 r=0 k states
    ROUNDS=()
    while [ "$i" -lt "${#OUT_LINES[@]}" ] &&
          [ "${OUT_LINES[i]}" = "" ] &&
          [ "${OUT_LINES[i + 1]}" = "Have the workers finished?" ]; do
        states=""
        for k in 0 1 2 3 4; do
            case ${OUT_LINES[i + 2 + k]} in
            "Process $k has finished") states+=F ;;
            "Process $k is running...") states+=R ;;
            "Process $k is waiting in the queue...") states+=Q ;;
            *) fail "round $((r + 1)), line $((i + 3 + k)) is '${OUT_LINES[i + 2 + k]}'" ;;
            esac
        done
        ROUNDS+=("$states")
        i=$((i + 7))
        r=$((r + 1))
    done
    [ "$r" -gt 0 ] || fail "no 'Have the workers finished?' table; output was:
$(cat "$OUT")"
    local rest=("${OUT_LINES[@]:i}")
    local want=("" "Here are the results."
                "Process 0 was successful. Result is 13"
                "Process 1 was successful. Result is 3"
                "Process 2 was successful. Result is 9"
                "Process 3 was successful. Result is 7"
                "Process 4 failed!"
                "    Error = ValueError : Called broken function")
    assert_equal "${#rest[@]}" "${#want[@]}"
    for k in "${!want[@]}"; do
        assert_equal "${rest[k]}" "${want[k]}"
    done
}

# The table agrees with itself and with the trace: finished stays finished,
# only the last round is all finished, and a call shown finished while
# another is shown running ended first (trace records are in end order).
check_rounds() {
    local r k j n=${#ROUNDS[@]}
    for ((r = 0; r < n; r++)); do
        if [ "$r" -lt $((n - 1)) ]; then
            [[ ${ROUNDS[r]} == *[RQ]* ]] || fail "round $((r + 1)) is all finished but the table went on"
            for ((k = 0; k < 5; k++)); do
                if [ "${ROUNDS[r]:k:1}" = F ] && [ "${ROUNDS[r + 1]:k:1}" != F ]; then
                    fail "call $k shown finished in round $((r + 1)), not in round $((r + 2))"
                fi
                if [ "${ROUNDS[r]:k:1}" = R ] && [ "${ROUNDS[r + 1]:k:1}" = Q ]; then
                    fail "call $k shown running in round $((r + 1)), queued in round $((r + 2))"
                fi
            done
        else
            assert_equal "${ROUNDS[r]}" FFFFF
        fi
    done
    local -A pos
    for k in "${!T_ORDER[@]}"; do pos[${T_ORDER[k]}]=$k; done
    for ((r = 0; r < n; r++)); do
        for ((k = 0; k < 5; k++)); do
            for ((j = 0; j < 5; j++)); do
                if [ "${ROUNDS[r]:k:1}" = F ] && [[ ${ROUNDS[r]:j:1} == [RQ] ]] &&
                   [ "${pos[$k]}" -gt "${pos[$j]}" ]; then
                    fail "round $((r + 1)) shows call $k finished and call $j running, but the trace has $j ending first"
                fi
            done
        done
    done
}

# The trace holds the five calls, and the broken one's error.
check_future_trace() {
    load_trace
    assert_equal "${#T_ORDER[@]}" 5
    # "Process i" of the output is task i of the trace.
    local t fns=(slow_add slow_diff slow_add slow_diff broken_function)
    for t in 0 1 2 3 4; do
        assert_equal "${T_FN[$t]}" "${fns[t]}"
        [ "$t" -eq 4 ] || assert_equal "${T_STATUS[$t]}" ok
        is_worker "${T_PID[$t]}"
    done
    assert_equal "${T_STATUS[4]}" error
    assert_equal "${T_ERROR[4]}" "ValueError: Called broken function"
    no_worker_left
}

@test "future: with 2 workers the table moves from running to finished, as the trace says" {
    export POOL_WORKERS=2
    prog future
    read_future
    check_future_trace
    check_rounds
    [[ ${ROUNDS[0]} == *[RQ]* ]] || fail "the first round shows no call unfinished"
    # Two workers run two calls at once, while others wait in the queue.
    local r two=0
    for r in "${ROUNDS[@]}"; do
        [[ $r =~ ^[^R]*R[^R]*R[^R]*$ && $r == *Q* ]] && two=1
        [[ $r =~ R.*R.*R ]] && fail "round '$r' shows three calls running on two workers"
    done
    [ "$two" -eq 1 ] || fail "no round shows two calls running and one queued"
    # The lesson's example round ("at two and a half seconds") is what the
    # trace says of the calls at 2.5 of the program's seconds.
    local readme="$ROOT/lessons/lesson2/README.md" want="" k at
    at=$(awk -v s="$POOL_TIME_SCALE" 'BEGIN { print 2.5 * s }')
    for k in 0 1 2 3 4; do
        want+=$(awk -v e="${T_END[$k]}" -v b="${T_START[$k]}" -v t="$at" \
                    'BEGIN { print (e < t ? "F" : b < t ? "R" : "Q") }')
    done
    local shown
    shown=$(awk '/at two and a half seconds/ { on = 1 } on && /^Process [0-4] / {
                     printf "%s", /has finished/ ? "F" : /is running/ ? "R" : /waiting in the queue/ ? "Q" : "?" }
                 on && /^```$/ && ++fences == 2 { exit }' "$readme")
    assert_equal "$shown" "$want"
    # It polls with future_ready, and gets results only once they are
    # there: the master never blocked.
    assert_equal "$(master_waits)" ""
    local t
    for t in 0 1 2 3 4; do
        [[ ${T_WORKER[$t]} =~ ^[01]$ ]] || fail "task $t ran in worker slot ${T_WORKER[$t]}"
    done
}

@test "future: with 1 worker the calls end in call order and the table shows it" {
    export POOL_WORKERS=1
    prog future
    read_future
    check_future_trace
    check_rounds
    assert_equal "${T_ORDER[*]}" "0 1 2 3 4"
    # Finished calls come first, then at most one running, then the queued
    # ones: FFRQQ, never FRFQQ; one worker runs one call at a time.
    local r
    for r in "${ROUNDS[@]}"; do
        [[ $r =~ ^F*R?Q*$ ]] || fail "round '$r' is not finished calls, one running, then queued ones"
    done
    # Call 4 waits for the other four (10 units): the table shows it queued.
    [[ ${ROUNDS[*]} == *Q* ]] || fail "no round shows a call waiting in the queue"
    # The master polls once per (scaled) second: one worker sleeping
    # 3+2+1+5+4 units in a row gives about one round per unit. Never more
    # than the trace's last end allows (each round sleeps a unit); a few
    # at the least, or the poll did not go through pool_sleep.
    [ "${#ROUNDS[@]}" -ge 5 ] || fail "only ${#ROUNDS[@]} rounds for 15 units of sleep"
    local most
    most=$(awk -v e="${T_END[4]}" -v s="$POOL_TIME_SCALE" 'BEGIN { print int(e / s) + 3 }')
    [ "${#ROUNDS[@]}" -le "$most" ] ||
        fail "${#ROUNDS[@]} rounds, but the calls ended by ${T_END[4]} s: the poll does not sleep a unit"
    # The lesson: "future never waits", on one worker too.
    assert_equal "$(master_waits)" ""
}

# The lesson: call 4 fails four units after a worker took it, at four
# units into the run with five workers or more (it never waits in the
# queue), later when it waits (on two: once calls 1 and 2 have ended,
# about three units in, so it ends about seven units in). Checked by
# order, from the trace.
@test "future: call 4 starts at once on 5 workers, after calls 1 and 2 end on 2 (as the lesson says)" {
    export POOL_WORKERS=5
    prog future
    read_future
    check_future_trace
    local t
    for t in 0 1 2 3; do
        before "${T_END[$t]}" "${T_START[4]}" && fail "on 5 workers call 4 waited for call $t"
    done
    export POOL_WORKERS=2
    prog future
    read_future
    check_future_trace
    before "${T_START[4]}" "${T_END[1]}" && fail "on 2 workers call 4 began before call 1 ended"
    before "${T_START[4]}" "${T_END[2]}" && fail "on 2 workers call 4 began before call 2 ended"
    # Its run is as long as on 5 workers: four units; its end, 3 + 4 = 7 units
    # in, comes after call 0's (3 units) and before call 3's (3 + 5).
    before "${T_END[4]}" "${T_END[0]}" && fail "call 4 ended before call 0"
    before "${T_END[4]}" "${T_END[3]}" || fail "call 4 ended after call 3"
}

# --- the rules every lesson program keeps ---------------------------------------

@test "every program takes its worker count from POOL_WORKERS, checks pool_create, destroys its pool, sleeps with pool_sleep" {
    local c
    for c in "$ROOT"/lessons/lesson2/*.c; do
        grep -q 'pool_create(0)' "$c" || fail "$c: no pool_create(0)"
        grep -q 'pool_perror("pool_create")' "$c" || fail "$c: pool_create's NULL is not reported"
        grep -q 'pool_destroy(p)' "$c" || fail "$c: the pool is never destroyed"
        if grep -nE '(^|[^_[:alnum:]])(u|nano)?sleep[[:space:]]*\(' "$c"; then
            fail "$c sleeps without pool_sleep, so POOL_TIME_SCALE cannot speed it up"
        fi
    done
}

# --- bad input, and make lesson2 ----------------------------------------------

@test "every program stops with one clear message on a bad POOL_WORKERS" {
    local n bad
    for n in $NAMES; do
        for bad in abc -1 0 100000; do
            run --separate-stderr timeout 10 env POOL_WORKERS="$bad" "$BIN/$n"
            [ "$status" -eq 1 ] || fail "$n with POOL_WORKERS=$bad: exit $status"
            [ "${#stderr_lines[@]}" -eq 1 ] && [[ $stderr == "pool_create: "?* ]] ||
                fail "$n with POOL_WORKERS=$bad said on stderr: $stderr"
            if [[ $output == *"Result"* || $output == *"Process"* ]]; then
                fail "$n with POOL_WORKERS=$bad still ran a call: $output"
            fi
        done
    done
}

@test "make lesson2 runs every program after its banner, and exits 0" {
    unset POOL_TRACE
    run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson2 POOL_TIME_SCALE=0.02
    assert_success
    assert_output --partial "Every sleep is scaled by POOL_TIME_SCALE=0.02."
    # Every program in lessons/lesson2/ has a banner, in lesson order.
    local c k=0 want
    for c in "$ROOT"/lessons/lesson2/*.c; do
        c=$(basename "$c" .c)
        [[ " $NAMES " == *" $c "* ]] || fail "$c.c has no place in the suite's lesson order"
    done
    local banners
    banners=$(printf '%s\n' "${lines[@]}" | sed -n 's/^==== \([0-9]\)\/5 \([a-z_]*\): .* ====$/\1 \2/p')
    want=""
    for c in $NAMES; do k=$((k + 1)); want+="$k $c"$'\n'; done
    assert_equal "$banners" "${want%$'\n'}"
    # Each banner says what it shows and what to look for.
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^Shows:    .')" 5
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^Look for: .')" 5
    # Each program ran right after its own banner: its last line comes
    # before the next banner.
    local -A last=([poolapply_function]="Result is 5"
                   [poolapply]="Result is 13"
                   [arity]="    Error = TypeError : *"
                   [applyasync]="Result two is 5"
                   [future]="    Error = ValueError : Called broken function")
    local seq=() i
    k=0
    for c in $NAMES; do
        k=$((k + 1))
        seq+=("==== $k/5 $c: *" "${last[$c]}")
    done
    seq+=("End of lesson 2. *")
    k=0
    for ((i = 0; i < ${#lines[@]} && k < ${#seq[@]}; i++)); do
        # shellcheck disable=SC2053
        [[ ${lines[i]} == ${seq[k]} ]] && k=$((k + 1))
    done
    [ "$k" -eq "${#seq[@]}" ] || fail "make lesson2 never printed '${seq[k]}' where expected"
}

@test "make lesson2 passes POOL_TIME_SCALE to the programs" {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    POOL_TIME_SCALE=0.02 run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson2
    assert_success
    # The last program, future, wrote the trace: 8 units of sleep on 2 or
    # more workers would take 8 s unscaled; scaled, well under 2.
    load_trace
    assert_equal "${#T_ORDER[@]}" 5
    local t
    for t in "${T_ORDER[@]}"; do
        before "${T_END[$t]}" 2 || fail "task $t ended at ${T_END[$t]} s: the scale did not reach it"
    done
}

@test "make lesson2 with a bad POOL_WORKERS: no line that takes it as a count, one clear message, a failure" {
    POOL_WORKERS=abc run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson2
    assert_failure
    refute_output --partial "Each pool has POOL_WORKERS=abc"
    assert_output --partial "POOL_WORKERS=abc is not a worker count"
    POOL_WORKERS=3 POOL_TIME_SCALE=0.01 run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson2
    assert_success
    assert_line "Each pool has POOL_WORKERS=3 workers."
}

@test "make lesson2 with a bad POOL_TIME_SCALE (abc, 0): no line that takes it as a scale, one clear message, a failure" {
    local v
    for v in abc 0; do
        POOL_TIME_SCALE=$v run timeout -k 5 30 make -C "$ROOT" --no-print-directory lesson2
        assert_failure
        refute_output --partial "Every sleep is scaled"
        assert_output --partial "POOL_TIME_SCALE=$v is not a time scale"
    done
}
