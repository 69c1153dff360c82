#!/usr/bin/env bats
# The lesson-2 grader (tools/grade): unmodified exercises score zero, the
# reference answers full marks, each wrong fixture fails the check it
# should, each differently-right one passes, and batch mode's CSV and
# Gradescope JSON hold what they should. One batch over every submission
# (in setup_file) serves most tests; runs are sped up with a time scale.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    [ -f build/lib/libpool.a ] || make -s build/lib/libpool.a
    export GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=4 GRADE_JOBS=3 NO_COLOR=1
    subs=$BATS_FILE_TMPDIR/subs
    mkdir -p "$subs/unmodified" "$subs/solution"
    cp exercises/lesson2/*.c "$subs/unmodified/"
    cp solutions/lesson2/*.c "$subs/solution/"
    for d in tests/fixtures/lesson2/*/; do
        n=$(basename "$d")
        [ "$n" = fork_bomb ] && continue    # graded on its own below
        cp -r "$d" "$subs/$n"
    done
    mkdir "$subs/with, comma"               # an odd name, and no file at all
    tools/grade/grade --batch "$subs" "$BATS_FILE_TMPDIR/out" >"$BATS_FILE_TMPDIR/batch.log" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/batch.status"
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    OUT=$BATS_FILE_TMPDIR/out
    USER_DIR=
}

teardown() {
    [ -z "$USER_DIR" ] || rm -rf "$USER_DIR"
}

# row STUDENT: the student's line of grades.csv.
row() { grep "^$1," "$OUT/grades.csv"; }
# status STUDENT CHECK ("future.c: ..." names start with the exercise): passed/failed.
check_status() {
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = [t for t in r["tests"] if t["name"].startswith(sys.argv[2] + ": ")]
ids = {"future": ["compiles","runs","workers","default","usage","calls","finished","results","failures"],
       "overlap": ["compiles","runs","nowait","overlap","results"],
       "failures": ["compiles","runs","reported","noresult","results","count","faults"]}[sys.argv[2][:-2]]
print(t[ids.index(sys.argv[3])]["status"])' "$OUT/$1/results.json" "$2" "$3"
}
failed_ids() { row "$1" | cut -d, -f4; }
# A sandbox UID for this test run only (the grader's own start at 200000).
sandbox_uid() { echo $((100000 + ($$ % 10000) * 8 + $1)); }

@test "batch: finishes, exit status 0, one row per submission" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/batch.status")" 0
    run head -n 1 "$OUT/grades.csv"
    assert_output "student,score,max,failed_checks"
    assert_equal "$(($(wc -l <"$OUT/grades.csv") - 1))" "$(ls "$BATS_FILE_TMPDIR/subs" | wc -l)"
}

@test "unmodified exercises compile, run, and score zero" {
    run row unmodified
    assert_output --regexp '^unmodified,0,15,'
    refute_output --partial compiles
    refute_output --partial /runs
}

@test "the reference answers score full marks" {
    run row solution
    assert_output "solution,15,15,"
}

@test "make grade on the reference answers: every check passes, exit 0" {
    run tools/grade/grade --dir solutions/lesson2 overlap
    assert_success
    assert_output --partial ":) every call is made before the first one ends"
    assert_output --partial "Score: 3 of 3 points. Every check passed."
    refute_output --partial ":("
}

@test "make grade on the unmodified exercise: failures with expected/actual/hint, skips, exit 1" {
    EXERCISE=future run tools/grade/grade
    assert_failure 1
    assert_line ":) future.c compiles"
    assert_line --partial ":( ./future 1 and ./future 4 run their calls"
    assert_output --partial "    expected: "
    assert_output --partial "    actual:   ./future 1 ran its 5 calls on 3 worker processes"
    assert_output --partial "    hint:     "
    assert_line --partial ":| every call finishes before the pool is destroyed"
    assert_line "Score: 0 of 7 points"
    refute_output --partial "overlap.c"
}

@test "make grade on imperfect work: the grader's score line is the last line, not make's error" {
    EXERCISE=overlap run make -s grade
    assert_success
    assert_equal "${lines[${#lines[@]} - 1]}" "Score: 0 of 3 points"
    refute_output --partial "Error 1"
}

@test "an unknown exercise name: a clear message and exit 2" {
    run tools/grade/grade nosuch
    assert_failure 2
    assert_output --partial "no exercise called 'nosuch'"
}

@test "ignores argv[1]: fails the worker-count check" {
    assert_equal "$(check_status ignores_argv future.c workers)" failed
    assert_equal "$(check_status ignores_argv future.c results)" passed
    run grep -A2 'run their calls on 1 and 4' "$OUT/ignores_argv/report.txt"
    assert_output --partial "on 3 worker processes"
}

@test "hard-codes four workers: fails the worker-count check on ./future 1" {
    assert_equal "$(check_status four_workers future.c workers)" failed
    run grep -A2 'run their calls on 1 and 4' "$OUT/four_workers/report.txt"
    assert_output --partial "./future 1 ran its"
    assert_output --partial "on 4 worker processes"
}

@test "destroys the pool before waiting: fails 'every call finishes'" {
    assert_equal "$(check_status destroys_early future.c finished)" failed
    assert_equal "$(check_status destroys_early future.c workers)" passed
    run grep -A2 'every call finishes' "$OUT/destroys_early/report.txt"
    assert_output --partial "never ended: Process"
}

@test "crashes without an argument: fails the default check, naming the crash" {
    assert_equal "$(check_status crash_no_arg future.c default)" failed
    assert_equal "$(check_status crash_no_arg future.c usage)" passed
    run grep -A3 'with no argument' "$OUT/crash_no_arg/report.txt"
    assert_output --partial "SIGSEGV"
    assert_output --partial "argc > 1"
}

@test "never reports the failure: fails only the failure check" {
    run failed_ids no_failure_report
    assert_output --regexp '^future/failures;overlap/compiles'
}

@test "an endless loop: stopped at the time limit, every later check skipped" {
    run grep -A2 ':( ./future 2 runs' "$OUT/endless/report.txt"
    assert_output --partial "did not finish within 4 seconds"
    run sh -c "sed -n '/^future.c\$/,/points\$/p' '$OUT/endless/report.txt' | grep -c '^:| '"
    assert_output 7
}

@test "does not compile: the compiler's message, nothing run" {
    run grep -A4 ':( future.c compiles' "$OUT/no_compile/report.txt"
    assert_output --partial "expected ';'"
    refute_output --partial "/work"
    run sh -c "sed -n '/^future.c\$/,/points\$/p' '$OUT/no_compile/report.txt' | grep -c '^:| '"
    assert_output 8
}

@test "overlap made of pairs: fails 'made before the first ends', passes 'overlap'" {
    assert_equal "$(check_status half_async overlap.c nowait)" failed
    assert_equal "$(check_status half_async overlap.c overlap)" passed
    assert_equal "$(check_status half_async overlap.c results)" passed
}

@test "failures without the message: fails the report check only" {
    assert_equal "$(check_status failure_type_only failures.c reported)" failed
    for c in noresult results count; do
        assert_equal "$(check_status failure_type_only failures.c $c)" passed
    done
}

@test "a space before the colon: fails the report check, and the hint names the colon" {
    assert_equal "$(check_status colon_spaced failures.c reported)" failed
    for c in noresult results count; do
        assert_equal "$(check_status colon_spaced failures.c $c)" passed
    done
    run grep -A6 ':( .*failed call' "$OUT/colon_spaced/report.txt"
    assert_output --partial "only the spaces around the colon differ"
    assert_output --partial "put the colon right after the type"
}

@test "right answers written differently pass every check of their exercise" {
    for s in "table_calls future.c" "overlap_map overlap.c" "reverse_failures failures.c"; do
        set -- $s
        run python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
bad = [t["name"] for t in r["tests"] if t["name"].startswith(sys.argv[2]) and t["status"] != "passed"]
print(bad); sys.exit(1 if bad else 0)' "$OUT/$1/results.json" "$2"
        assert_success
    done
}

@test "grades.csv: fields right, odd names quoted, missing files fail at compile" {
    run python3 -c '
import csv, sys
rows = {r["student"]: r for r in csv.DictReader(open(sys.argv[1]))}
r = rows["with, comma"]
assert r["score"] == "0" and r["max"] == "15", r
assert r["failed_checks"].startswith("future/compiles;future/runs;"), r
assert rows["no_compile"]["failed_checks"].split(";")[0] == "future/compiles"
assert rows["solution"]["failed_checks"] == ""
for s, r in rows.items():
    assert 0 <= int(r["score"]) <= int(r["max"]) == 15, (s, r)
print("ok")' "$OUT/grades.csv"
    assert_success
    assert_output ok
}

@test "results.json: Gradescope's fields and values, field by field; scores adding up" {
    for s in solution unmodified endless "with, comma"; do
        run python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
# The top level, as the autograder specification names it.
assert set(r) <= {"score", "max_score", "execution_time", "output", "visibility",
                  "stdout_visibility", "extra_data", "tests", "leaderboard"}, r.keys()
assert isinstance(r["execution_time"], int) and 0 <= r["execution_time"] < 120, r["execution_time"]
assert r["visibility"] == "visible" and r["stdout_visibility"] == "hidden"
assert isinstance(r["output"], str) and r["output"].startswith("Score: ")
assert len(r["tests"]) == 21, len(r["tests"])
numbers = set()
for t in r["tests"]:
    assert set(t) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                      "output_format", "tags", "visibility", "extra_data"}, t
    assert t["status"] in ("passed", "failed") and 0 <= t["score"] <= t["max_score"] <= 1, t
    assert (t["status"] == "passed") == (t["score"] == t["max_score"]) or t["max_score"] == 0, t
    assert t["visibility"] in ("visible", "hidden"), t
    assert t["output_format"] == "text" and isinstance(t["number"], str), t
    numbers.add(t["number"])
    if t["status"] == "failed": assert t["output"], t
assert len(numbers) == len(r["tests"])
hidden = [t["name"] for t in r["tests"] if t["visibility"] == "hidden"]
assert hidden == ["failures.c: the count follows the calls: with some calls made to fail on purpose, the last line counts them too"], hidden
assert r["score"] == sum(t["score"] for t in r["tests"])
assert r["max_score"] == sum(t["max_score"] for t in r["tests"]) == 15
print(r["score"])' "$OUT/$s/results.json"
        assert_success
    done
    run python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["score"])' "$OUT/solution/results.json"
    assert_output 15
}

@test "hidden checks: in results.json, never in what the student sees; the score line says one exists" {
    run grep -c "the count follows the calls" "$OUT/solution/report.txt"
    assert_output 0
    assert_line --index 0 0
    # Gradescope shows "output" and the score, 14 of 15: the line says why.
    run python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); print(r["output"]); print(r["score"], r["max_score"])' \
        "$OUT/solution/results.json"
    assert_line --index 0 "Score: 14 of 14 points. Every check passed. Course staff also grade 1 hidden check, worth 1 point, not counted here."
    assert_line --index 1 "15 15"
    run tail -n 1 "$OUT/fixed_count/report.txt"
    assert_output "Score: 4 of 14 points. Course staff also grade 1 hidden check, worth 1 point, not counted here."
    run tools/grade/grade --dir solutions/lesson2 failures
    assert_success
    refute_output --partial "the count follows the calls"
    assert_output --partial "Score: 4 of 4 points. Every check passed."
}

@test "a right future.c making its extra calls with pool_map passes every check" {
    run failed_ids map_extra_calls
    assert_output --regexp '^overlap/compiles;'
}

# pool_apply_async_retries makes its call inside the library, where the
# shim's wrappers do not reach (it sits in the file of pool_submit): the
# grader learns those calls from the trace's call events, which the
# runtime writes for every call wherever it is made.
@test "a right future.c making calls with pool_apply_async_retries (and pool_map_async) passes every check" {
    run failed_ids retry_calls
    assert_output --regexp '^overlap/compiles;'
    refute_output --partial future/
    run failed_ids retry_map_async
    assert_output --regexp '^overlap/compiles;'
    refute_output --partial future/
}

@test "a right failures.c using pool_apply and pool_is_error passes every check" {
    run failed_ids apply_is_error
    assert_output --regexp '^future/compiles;.*overlap/results$'
}

@test "overlap printing squares it computed itself: fails overlap and results" {
    assert_equal "$(check_status master_squares overlap.c overlap)" failed
    run grep -A3 ':( the calls run at the same time' "$OUT/master_squares/report.txt"
    assert_output --partial "no call ran to its end"
    assert_output --partial "terminated"
}

@test "a count fixed in advance: fails the hidden check when calls are made to fail (POOL_FAULT)" {
    assert_equal "$(check_status fixed_count failures.c count)" passed
    # Until the runtime reads POOL_FAULT, no call fails on purpose and the
    # fixed count cannot be told from a counted one.
    grep -q InjectedError "$OUT/fixed_count/results.json" ||
        grep -q 'InjectedError' runtime/*.c || skip "the runtime does not read POOL_FAULT yet"
    assert_equal "$(check_status fixed_count failures.c faults)" failed
    assert_equal "$(check_status reverse_failures failures.c faults)" passed
}

@test "output past the limit fails the run, even when SIGXFSZ is ignored and it exits 0" {
    run grep -A3 ':( ./future 2 runs' "$OUT/flood/report.txt"
    assert_output --partial "exited with status 0, after printing more than 2 MiB, the output limit"
    assert_output --partial "prints without end"
}

@test "a crash shows the runtime's own line from stderr, not only valgrind" {
    run grep -A3 ':( ./future 2 runs' "$OUT/as_int_error/report.txt"
    assert_output --partial "SIGABRT"
    assert_output --partial "It said on stderr: pool: pool_as_int: the value is an error"
    refute_output --partial "valgrind"
}

@test "a SIGKILL that is not the CPU limit says so" {
    run grep -A3 ':( ./future 2 runs' "$OUT/kills_itself/report.txt"
    assert_output --partial "SIGKILL), not by the grader's time limits"
    refute_output --partial "10 seconds of CPU"
}

@test "a waiting loop left at 5: the cause, future_successful gave -1, is named" {
    run grep -A6 ':( every successful call is reported' "$OUT/poll_five/report.txt"
    # Which of calls 5 to 9 had not ended when it asked depends on where the
    # whole-second rounds fell against calls that end on whole seconds.
    assert_output --regexp "future_successful gave -1 \(the call had not finished yet\) for Process [5-9](, [5-9])*"
    assert_output --partial "does the waiting loop go over all n futures"
}

@test "a function called in the master, not through the pool, is named as such" {
    run grep -A3 ':( the program makes more than five calls' "$OUT/calls_in_master/report.txt"
    assert_output --partial "ran a task function itself, in the master process"
}

@test "a trace replaced by a link fails the run gate with one sentence, not a failed call per line" {
    assert_equal "$(check_status trace_link failures.c runs)" failed
    run grep -A3 ':( ./failures runs' "$OUT/trace_link/report.txt"
    assert_output --partial "exited with status 0, but its trace (POOL_TRACE, /grade/trace.csv) was a symbolic link, which the grader refuses"
    run grep -c 'failed with : ' "$OUT/trace_link/report.txt"
    assert_output 0
    run grep -c "can't check until this passes: ./failures runs" "$OUT/trace_link/report.txt"
    assert_output 3
}

@test "a trace sent elsewhere with pool_trace_open: the run gate says the trace held no task, and why" {
    assert_equal "$(check_status trace_elsewhere failures.c runs)" failed
    run grep -A3 ':( ./failures runs' "$OUT/trace_elsewhere/report.txt"
    assert_output --partial "it made 6 calls through the pool and its trace (POOL_TRACE, /grade/trace.csv) held no task"
    assert_output --partial "no pool_trace_open to a path of your own"
}

@test "a crash after future_successful said -1: the hint names that cause" {
    run grep -A3 ':( ./failures runs' "$OUT/asked_too_soon/report.txt"
    assert_output --partial "SIGABRT"
    assert_output --partial "hint:     future_successful answered -1 for call(s) "
    refute_output --partial "the line on stderr says what went wrong"
}

@test "times in feedback are the program's own seconds, not the scaled ones" {
    run grep -A2 ':( every call is made before the first one ends' "$OUT/half_async/report.txt"
    assert_output --partial "(the program's own seconds)"
    # half_async's calls sleep 1 s each: the first cannot end before 1 s of
    # the program's time (scaled seconds would say about 0.1 s). A busy
    # machine may make it later, so there is no upper bound.
    assert_output --regexp 'had ended at (0\.9[0-9]|[1-9][0-9]*\.[0-9]{2}) s'
    # Calls by their index in the program, from 0 (not the task id less one).
    assert_output --regexp 'actual:   call [0-9]+ was made at [0-9.]+ s, after call [0-9]+ had ended'
    refute_output --partial "call -1"
}

@test "a submission in a folder of its own: the missing file's message names where it is" {
    mkdir -p "$BATS_TEST_TMPDIR/sub/student/lesson2"
    cp solutions/lesson2/future.c "$BATS_TEST_TMPDIR/sub/student/lesson2/"
    NO_COLOR=1 run tools/grade/grade --dir "$BATS_TEST_TMPDIR/sub" future
    assert_failure 1
    assert_output --partial "actual:   there is no future.c at the top of the submission, but there is student/lesson2/future.c"
    assert_output --partial "hint:     hand in the files themselves, not the folder that holds them"
}

# Every unquoted expansion in the grader and its checks that becomes words
# (set --, for ... in, arguments), each read and judged: it holds only
# numbers or the grader's own words, never a program's text. A new one
# fails this test until it is judged and listed here.
@test "the grader never globs, and splits into words only what it made itself" {
    # set -f before anything runs; each set +f is undone at once.
    first_fn=$(grep -n '^[a-z_]*() {' tools/grade/grade | head -n 1 | cut -d: -f1)
    setf=$(grep -n '^set -f' tools/grade/grade | head -n 1 | cut -d: -f1)
    [ -n "$setf" ] && [ "$setf" -lt "$first_fn" ] || fail "no set -f before the first function"
    grep -q '^set -f' tools/grade/sandbox || fail "no set -f in the sandbox"
    run awk '/set \+f/ { open = FNR } /set -f/ { open = 0 } open && FNR > open + 2 { print FILENAME ":" open; open = 0 }' \
        tools/grade/grade tools/grade/lesson*/*.sh
    assert_output ""
    ! grep -n 'set +f' tools/grade/lesson*/*.sh tools/grade/sandbox || fail "a check turns globbing on"
    # The reviewed list: what each expansion holds.
    cat >"$BATS_TEST_TMPDIR/reviewed" <<'LIST'
for _l in $(lessons); do echo "       lesson $_l: $(exercises_of "$_l")" >&2; done
for _l in $(lessons); do
set -- $_found
set -- $(cat "$R/status" 2>/dev/null || echo "exit ?")
set -- $(cat "$R/pids" 2>/dev/null)
for _n in $(echo "$needs" | tr ',' ' '); do
printf '%s.c: %s of %s points\n\n' "$_ex" $(cat "$LW/$_ex/score")
score_line $(cat "$LW/total")
for _l in $_ls; do
grade_lesson "$ROOT/exercises/lesson$_l" $ALL_EXERCISES
set -- $(cat "$WORK/lesson$_l/total")
grade_folder "$_sdir" $ALL_EXERCISES | sed 's/\x1b\[[0-9;]*m//g' >"$_out/report.txt"
set -- $(cat "$@" | awk -F '\t' '{ s += $3; m += $4 } END { print s + 0, m + 0 }')
for _ex in $ALL_EXERCISES; do
for _ex in "$@"; do cat "$LW/$_ex/checks"; done | awk '$2 ~ /h$/ { n++; p += $2 + 0 } END { printf "%d\t%d\n", n, p }' >"$LW/hidden"
grade_folder "$dir" $exercises
set -- $(awk -F '\t' -v scale="$SCALE" -v w="$_nw" '
set -- $(awk -F '\t' '
set -- $(winner "$_r")
set -- "$1" "$2" $(winner "$1")
set -- $_refused
LIST
    # status: the sandbox's; pids: tally's (the kernel's numbers); score,
    # total: the grader's sums; lessons, needs, exercises: the grader's
    # names; balance's and completed's awk: printf of numbers; winner and
    # _refused: awk that passes a field only if it is a number.
    grep -nE '^\s*(set -- |for [A-Za-z_]+ in |score_line |printf .*" \$\(|grade_lesson |grade_folder )' \
        tools/grade/grade tools/grade/lesson*/*.sh | grep -E '(^|[^"])\$[({A-Za-z_]' |
        grep -vE '"\$@"\s*;?\s*(do)?$' | sed 's/^[^:]*:[0-9]*:[[:space:]]*//' | sort -u >"$BATS_TEST_TMPDIR/found"
    run comm -23 "$BATS_TEST_TMPDIR/found" <(sort -u "$BATS_TEST_TMPDIR/reviewed")
    assert_output ""
    # The one that read a program's argument now takes numbers only.
    grep -q '\$6 ~ /\^\[0-9\]+\$/' tools/grade/lesson3/first.sh
}

@test "a fork bomb: a clear failure, the grader finishes, no process left behind" {
    mkdir -p "$BATS_TEST_TMPDIR/fb"
    cp tests/fixtures/lesson2/fork_bomb/future.c "$BATS_TEST_TMPDIR/fb/"
    # This run's own band of sandbox UIDs (other graders may run meanwhile:
    # their processes are theirs to end, not this test's to see). The work
    # folder is kept, in a folder the sandbox's UIDs can pass through, to
    # read which UIDs the runs had.
    band=$((1200000000 + ($$ % 100000) * 256))
    USER_DIR=$(mktemp -d /tmp/grade-fb.XXXXXX)
    chmod 711 "$USER_DIR"
    GRADE_KEEP=1 GRADE_UID_BASE=$band GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=3 NO_COLOR=1 TMPDIR=$USER_DIR \
        run tools/grade/grade --dir "$BATS_TEST_TMPDIR/fb" future
    assert_failure 1
    assert_output --partial ":( ./future 2 runs and exits with status 0"
    assert_output --partial "and was stopped"
    assert_output --partial "fork() in a loop?"
    # No UID of the band has a live process left (zombies waiting for init do not count).
    run sh -c "ps -eo uid=,stat=,args= | awk -v lo=$band '\$1 >= lo && \$1 < lo + 256 && \$2 !~ /^Z/'"
    assert_output ""
    # As root, the runs were UIDs of that band (so the scan above can fail).
    if [ "$(id -u)" -eq 0 ]; then
        run sh -c "cat '$USER_DIR'/grade.*/lesson2/future/out.*/uid | awk -v lo=$band '\$1 < lo || \$1 >= lo + 256 { bad = 1 } END { print NR, bad + 0 }'"
        assert_output --regexp '^[1-9][0-9]* 0$'
    fi
}

@test "sandbox: a process that leaves its session is still killed (UID, or PID namespace)" {
    d=$BATS_TEST_TMPDIR/sb
    mkdir -p "$d"
    secs=$((3000 + $$ % 1000))              # a sleep no other test runs
    run tools/grade/sandbox -t 5 -u "$(sandbox_uid 1)" "$d" sh -c "setsid sleep $secs & echo started"
    assert_success
    assert_equal "$(cat "$d/status")" "exit 0"
    assert_equal "$(cat "$d/stdout")" "started"
    run sh -c "ps -eo stat=,args= | grep -v '^Z' | grep -c '[s]leep $secs'"
    assert_output 0
}

@test "sandbox: a time limit, a crash, an output flood and the exit status are told apart" {
    d=$BATS_TEST_TMPDIR/sb2
    mkdir -p "$d/a" "$d/b" "$d/c" "$d/e"
    tools/grade/sandbox -t 1 -u "$(sandbox_uid 2)" "$d/a" sh -c 'while :; do :; done'
    tools/grade/sandbox -t 5 -u "$(sandbox_uid 3)" "$d/b" sh -c 'kill -SEGV $$'
    tools/grade/sandbox -t 5 -u "$(sandbox_uid 4)" "$d/c" sh -c 'exit 7'
    tools/grade/sandbox -t 5 -u "$(sandbox_uid 5)" "$d/e" yes flood
    assert_equal "$(cat "$d/a/status")" "timeout 1"
    assert_equal "$(cat "$d/b/status")" "signal 11 SEGV"
    assert_equal "$(cat "$d/c/status")" "exit 7"
    assert_equal "$(cat "$d/e/status")" "signal 25 XFSZ"
    assert_equal "$(wc -c <"$d/e/stdout")" 2097152
}

@test "as an ordinary user: answers score full marks, a fork bomb is contained" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
    # A UID of its own for this run (not nobody's): RLIMIT_NPROC counts a
    # user's processes machine-wide, so another run's fork bomb as the same
    # user would make this one's forks fail.
    uid=$((150000 + RANDOM))  # below the sandbox's own UIDs (200000 and up)
    as_nobody="setpriv --reuid=$uid --regid=$uid --clear-groups"
    $as_nobody test -r "$PWD/build/lib/libpool.a" || skip "the repository is not readable by nobody"
    d=$(mktemp -d /tmp/grade-user.XXXXXX)    # outside bats' folders, which nobody cannot enter
    USER_DIR=$d
    mkdir "$d/sol" "$d/fb"
    cp solutions/lesson2/*.c "$d/sol/"
    cp tests/fixtures/lesson2/fork_bomb/future.c "$d/fb/"
    chmod -R a+rX "$d"
    run $as_nobody env -u TMPDIR HOME=/tmp GRADE_TIME_SCALE=0.05 NO_COLOR=1 tools/grade/grade --dir "$d/sol"
    assert_success
    assert_line "Score: 14 of 14 points. Every check passed. Course staff also grade 1 hidden check, worth 1 point, not counted here."
    run $as_nobody env -u TMPDIR HOME=/tmp GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=3 NO_COLOR=1 \
        tools/grade/grade --dir "$d/fb" future
    assert_failure 1
    assert_output --partial "did not finish within 3 seconds"
    run sh -c "ps -u $uid -o stat=,args= | grep -v '^Z' | grep -c '/future'"
    assert_output 0
}

@test "the compiler sees only the submitted file: an #include of a private file finds nothing" {
    mkdir -p "$BATS_TEST_TMPDIR/inc"
    printf '#include "/etc/shadow"\n#include "%s/tests/run"\nint main(void) { return 0; }\n' "$PWD" \
        >"$BATS_TEST_TMPDIR/inc/future.c"
    run tools/grade/grade --dir "$BATS_TEST_TMPDIR/inc" future
    assert_failure 1
    assert_output --partial "/etc/shadow: No such file or directory"
    refute_output --partial "root:"
}

# tests/plot/run-v2.csv and run-v3.csv are one run of twelve calls (call 6
# fails, call 9 kills its worker) as trace versions 2 (ids from 1) and 3
# (ids from 0) write it. The grader reads both as ids from 0, call i =
# task i, with the shim's record and without it.
@test "the grader reads a v2 and a v3 trace of one run alike: call i is task i" {
    local t=$BATS_TEST_TMPDIR v i
    for v in 2 3; do
        build/tools/trace/pooltrace tsv --lenient "tests/plot/run-v$v.csv" >"$t/v$v.tsv"
    done
    cmp "$t/v2.tsv" "$t/v3.tsv" || fail "the grader's reading (pooltrace tsv --lenient) takes the two versions differently"
    assert_equal "$(cut -f1,2,8 "$t/v3.tsv" | sort -n | tr '\t\n' ' ,')" \
        "0 nap ok,1 nap ok,2 nap ok,3 nap ok,4 nap ok,5 nap ok,6 fail error,7 nap ok,8 nap ok,9 crash crash,10 nap ok,11 nap ok,"
    # The shim's record: call i is task i (future_id counts from 0).
    for i in $(seq 0 11); do
        case $i in 6) f=fail ;; 9) f=crash ;; *) f=nap ;; esac
        printf 'call\t%d\t%d\t%s\tint\t10\n' "$i" "$i" "$f"
    done >"$t/calls.tsv"
    for v in 2 3; do
        awk -F '\t' -f tools/grade/truth.awk "$t/calls.tsv" "$t/v$v.tsv" >"$t/truth$v.tsv"
        : >"$t/none.tsv"
        awk -F '\t' -f tools/grade/truth.awk "$t/none.tsv" "$t/v$v.tsv" >"$t/bare$v.tsv"
    done
    cmp "$t/truth2.tsv" "$t/truth3.tsv" || fail "truth.awk differs between the versions"
    cmp "$t/bare2.tsv" "$t/bare3.tsv" || fail "truth.awk without calls differs between the versions"
    assert_equal "$(cut -f1,2,3,4 "$t/truth3.tsv" | sed -n '1p;7p;10p' | tr '\t\n' ' ,')" \
        "0 0 nap ok,6 6 fail error,9 9 crash crash,"
    assert_equal "$(cut -f1,2,3,4 "$t/bare3.tsv" | sed -n '1p;7p;10p' | tr '\t\n' ' ,')" \
        "0 0 nap ok,6 6 fail error,9 9 crash crash,"
    # A call made inside pool_apply before any task ("~-1") is task 0.
    printf 'call\t0\t~-1\tnap\tint\t10\n' >"$t/inner.tsv"
    assert_equal "$(awk -F '\t' -f tools/grade/truth.awk "$t/inner.tsv" "$t/v3.tsv" | cut -f1-4 | tr '\t' ' ')" "0 0 nap ok"
}

@test "make deps-student: a compiler, make and bubblewrap for make grade, nothing a student never needs" {
    run sed -n '/^student="/,/"$/p' tools/deps
    assert_output --partial "gcc:"
    assert_output --partial "make:"
    assert_output --partial "bubblewrap:/usr/bin/bwrap"
    refute_output --partial chromium
    refute_output --partial valgrind
    refute_output --partial gnuplot
    # Here all of them are there (the grader ran): nothing to install.
    run tools/deps --student
    assert_success
    assert_output ""
    run tools/deps --everything
    assert_failure 2
    assert_output "usage: tools/deps [--student | --mpi]"
    grep -q 'make deps-student' lessons/README.md
    grep -q '^deps-student:' Makefile
}
