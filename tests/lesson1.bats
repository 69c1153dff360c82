#!/usr/bin/env bats
# Lesson 1: its programs (the shape of their lines, their results, and
# what the trace says about who ran which input), make lesson1, make
# plots' lesson-1 set, and the grading of its exercises: unmodified ones
# score zero, the solutions full marks, each wrong submission fails the
# check it should, each differently-right one passes. Also the grader's
# lesson choice (--lesson, make grade LESSON=, every lesson at once).
#
# Sleeps are scaled down (POOL_TIME_SCALE, GRADE_TIME_SCALE); who ran what
# is read from the trace, never from the clock. Task ids are matched by
# their order in the trace, never by their first value.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/lessons/lesson1"

setup_file() {
    cd "$ROOT"
    make -s --no-print-directory build/lib/libpool.a \
        build/lessons/lesson1/processes build/lessons/lesson1/map build/lessons/lesson1/chunks \
        build/lessons/lesson1/cpus build/lessons/lesson1/amdahl >&2
    # One batch grades every lesson-1 submission: the exercises as shipped,
    # the solutions, and tests/fixtures/lesson1/.
    local subs=$BATS_FILE_TMPDIR/subs
    mkdir -p "$subs/unmodified" "$subs/solution"
    cp exercises/lesson1/*.c "$subs/unmodified/"
    cp solutions/lesson1/*.c "$subs/solution/"
    cp -r tests/fixtures/lesson1/*/ "$subs/"
    # The same batch twice, side by side (the runs mostly sleep): a grade
    # must not depend on luck, so the two must agree.
    GRADE_TIME_SCALE=0.1 GRADE_TIMEOUT=10 GRADE_JOBS=4 NO_COLOR=1 \
        tools/grade/grade --batch --lesson 1 "$subs" "$BATS_FILE_TMPDIR/again" >/dev/null 2>&1 &
    local again=$!
    GRADE_TIME_SCALE=0.1 GRADE_TIMEOUT=10 GRADE_JOBS=4 NO_COLOR=1 \
        tools/grade/grade --batch --lesson 1 "$subs" "$BATS_FILE_TMPDIR/out" >"$BATS_FILE_TMPDIR/batch.log" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/batch.status"
    wait "$again"
}

setup() {
    cd "$ROOT"
    export POOL_TIME_SCALE=0.05
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    unset POOL_WORKERS POOL_FAULT
    OUT=$BATS_FILE_TMPDIR/out
}

# prog NAME [ARG...]: run a lesson program (at most 20 s), stdout in
# $output and $lines, stderr apart in $stderr.
prog() { run --separate-stderr timeout 20 "$BIN/$@"; }

# records: the trace's records as "task function pid status", in task order.
records() { grep -v '^#' "$POOL_TRACE" | sed 1d | awk -F, '{ print $1, $2, $3, $8 }' | sort -n; }
# input_pids: for each input of a map, in order, "input pid", from the trace:
# a record "fn[a..b]" covers inputs a to b, a record "fn" the next input.
input_pids() {
    records | awk 'BEGIN { next_in = 0 } { f = $2
        if (f ~ /\[[0-9]+\.\.[0-9]+\]$/) { sub(/^[^[]*\[/, "", f); sub(/\]$/, "", f); split(f, r, "\\.\\."); a = r[1]; b = r[2] }
        else { a = next_in; b = next_in }
        if (a != next_in) { print "gap before", a; exit 1 }
        for (i = a; i <= b; i++) print i, $3
        next_in = b + 1 }'
}

# --- processes ---------------------------------------------------------------

@test "processes: each input's PID is the worker's the trace names; the master's is none of them" {
    POOL_WORKERS=3 prog processes
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 --regexp '^Master process is PID [0-9]+$'
    assert_line --index 1 "Worker processes in the pool: 3"
    master=${lines[0]##* }
    # The master's lines, in input order, agree with the trace input by input.
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Input \([0-9]*\) ran in process \([0-9]*\)$/\1 \2/p')" "$(input_pids)"
    # So do the workers' own lines, in whatever order they came.
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Input \([0-9]*\) runs in process \([0-9]*\)$/\1 \2/p' | sort -n)" "$(input_pids)"
    assert_equal "$(records | wc -l)" 6
    refute_output --regexp "process $master\$"
    k=$(records | awk '{ print $3 }' | sort -u | wc -l)
    assert_equal "${lines[-1]}" "$k worker process(es) ran 6 inputs; the master, PID $master, ran none"
}

@test "processes: on one worker every input runs in the one worker process" {
    POOL_WORKERS=1 prog processes
    assert_success
    assert_equal "$(records | awk '{ print $3 }' | sort -u | wc -l)" 1
    assert_equal "${lines[-1]}" "1 worker process(es) ran 6 inputs; the master, PID ${lines[0]##* }, ran none"
}

@test "processes: a worker that crashes mid-map: one clear line, exit 1, no worker left behind" {
    POOL_WORKERS=2 POOL_FAULT=crash:3 prog processes
    assert_failure 1
    assert_equal "$stderr" "processes: 1 of 6 inputs failed"
    run grep -c ',crash,' "$POOL_TRACE"
    assert_output 1
    for pid in $(records | awk '{ print $3 }' | sort -u); do
        run kill -0 "$pid"
        assert_failure
    done
}

@test "processes, map, chunks: a bad POOL_WORKERS stops each with one line on stderr and exit 1" {
    for p in processes map chunks; do
        POOL_WORKERS=0 prog "$p"
        assert_failure 1
        assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 1
        assert_equal "${stderr%%:*}" pool_create
        refute_output --partial 'ran in process'
    done
}

# --- map ---------------------------------------------------------------------

@test "map: square(i) = i*i in input order; every input once in the trace, squared where the trace says" {
    POOL_WORKERS=2 prog map
    assert_success
    assert_line --index 1 --regexp '^The for loop, in the master: 10 squares in [0-9]+\.[0-9] s$'
    assert_line --regexp '^pool_map: 10 squares in [0-9]+\.[0-9] s \(workers: 2\)$'
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep '^square(')" "$(for i in 0 1 2 3 4 5 6 7 8 9; do echo "square($i) = $((i * i))"; done)"
    assert_equal "$(input_pids | awk '{ print $1 }' | paste -sd ' ')" "0 1 2 3 4 5 6 7 8 9"
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Process \([0-9]*\) squares \([0-9]*\)$/\2 \1/p' | sort -n)" "$(input_pids)"
    refute_output --partial 'said otherwise'
}

# --- chunks ------------------------------------------------------------------

@test "chunks 4: three records label[0..3], label[4..7], label[8..11]; the master's lines agree with them" {
    POOL_WORKERS=2 prog chunks 4
    assert_success
    assert_line --index 0 "12 inputs, chunk size 4, workers: 2, tasks: 3"
    assert_equal "$(records | awk '{ print $2, $4 }' | paste -sd ' ')" "label[0..3] ok label[4..7] ok label[8..11] ok"
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Input \([0-9]*\) ran in process \([0-9]*\)$/\1 \2/p')" "$(input_pids)"
}

@test "chunks 4: a worker killed in mid-chunk: that chunk's inputs run again one per task, every result comes" {
    POOL_WORKERS=2 POOL_FAULT=crash:2 prog chunks 4
    assert_success
    local said=("${lines[@]}")
    run grep -c ',crash,' "$POOL_TRACE"
    assert_output 1
    crashed=$(grep ',crash,' "$POOL_TRACE" | cut -d, -f2,3)
    range=${crashed%%,*}; range=${range#label[}; range=${range%]}
    first=${range%..*} last=${range#*..}
    assert_equal "$((last - first))" 3
    # Its four inputs again, as tasks of one input each, ended ok.
    assert_equal "$(records | awk '$2 == "label" && $4 == "ok"' | wc -l)" 4
    again=$(records | awk '$2 == "label" { print $3 }' | sort -u | paste -sd ' ')
    for i in $(seq "$first" "$last"); do
        pid=$(printf '%s\n' "${said[@]}" | sed -n "s/^Input $i ran in process \([0-9]*\)$/\1/p")
        assert [ "$pid" != "${crashed#*,}" ]
        assert_regex " $again " " $pid "
    done
}

@test "chunks 1 and 5: one record per input named label; chunks of 5, 5 and 2" {
    prog chunks 1
    assert_success
    assert_line --index 0 --regexp '^12 inputs, chunk size 1, workers: [0-9]+, tasks: 12$'
    assert_equal "$(records | awk '{ print $2 }' | sort -u)" label
    assert_equal "$(records | wc -l)" 12
    prog chunks 5
    assert_success
    assert_line --index 0 --regexp '^12 inputs, chunk size 5, workers: [0-9]+, tasks: 3$'
    assert_equal "$(records | awk '{ print $2 }' | paste -sd ' ')" "label[0..4] label[5..9] label[10..11]"
}

@test "chunks 0: the pool's own chunks cover every input once, in order" {
    POOL_WORKERS=2 prog chunks
    assert_success
    assert_line --index 0 "12 inputs, chunk size 0 (the pool chooses), workers: 2"
    assert_equal "$(input_pids | awk '{ print $1 }' | paste -sd ' ')" "0 1 2 3 4 5 6 7 8 9 10 11"
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Input \([0-9]*\) ran in process \([0-9]*\)$/\1 \2/p')" "$(input_pids)"
}

@test "chunks: a chunk size that is not 0 to 12 gets a usage line and exit 2" {
    for a in abc 3x -1 13 ""; do
        prog chunks "$a"
        assert_failure 2
        assert_output ""
        assert_equal "${stderr%% *}" "usage:"
    done
    prog chunks 1 2
    assert_failure 2
    assert_equal "$stderr" "usage: chunks [CHUNKSIZE]"
}

# --- cpus and amdahl -----------------------------------------------------------

# col N: field N of the table rows (those that start with a worker count).
col() { printf '%s\n' "${lines[@]}" | awk -v n="$1" '$1 ~ /^[0-9]+$/ && $3 == "s" { print $n }'; }

@test "cpus: the CPU count, four rows for 1, 2, 4, 8 workers, each speed-up the time on 1 over its own" {
    POOL_TIME_SCALE=0.02 prog cpus
    assert_success
    assert_line --index 0 "This machine has $(getconf _NPROCESSORS_ONLN) CPU(s)."
    assert_line --index 2 "workers   sleeping work      busy work"
    assert_equal "$(col 1 | paste -sd ' ')" "1 2 4 8"
    row1=${lines[3]}
    # x = the 1-worker time / this time, to the rounding of the printed
    # times and of x (each to two decimals).
    run awk 'function off(x, t1, t,    d) { d = x - t1 / t; if (d < 0) d = -d; return d > 0.006 * (x / t + x / t1) + 0.006 }
        $1 ~ /^[0-9]+$/ && $3 == "s" {
            if ($1 == 1) { s1 = $2; b1 = $5 }
            if (off(substr($4, 2), s1, $2) || off(substr($7, 2), b1, $5)) print "row", $1, "is off:", $0 }' <<<"$output"
    assert_output ""
    assert_regex "$row1" '^      1 +[0-9.]+ s  x1\.00 +[0-9.]+ s  x1\.00$'
}

@test "amdahl: f from the 1-worker run, each prediction 1/(f+(1-f)/n), each speed-up measured" {
    POOL_TIME_SCALE=0.02 prog amdahl
    assert_success
    assert_line --index 0 "Serial part: 1.00 s in the master. Parallel part: 8 inputs of 0.50 s."
    assert_line --index 1 --regexp '^On 1 worker: [0-9.]+ s in all, [0-9.]+ s of it serial: f = 0\.[0-9]+$'
    assert_line --index 2 "workers     time   speed-up   Amdahl predicts"
    assert_equal "$(col 1 | paste -sd ' ')" "1 2 4 8"
    f=${lines[1]##* }
    last=${lines[7]}
    run awk -v f="$f" '$1 ~ /^[0-9]+$/ && $3 == "s" { n = $1; if (n == 1) t1 = $2
            p = 1 / (f + (1 - f) / n); d = $5 - p; if (d < 0) d = -d
            e = $4 - t1 / $2; if (e < 0) e = -e; e -= 0.006 * ($4 / $2 + $4 / t1)
            if (d > 0.1) print "row", n, "predicts", $5, "not", p
            if (e > 0.02) print "row", n, "speed-up", $4, "not", t1 / $2 }
        /^No number/ { if ($NF - 1 / f > 0.3 || 1 / f - $NF > 0.3) print "1/f is", $NF }' <<<"$output"
    assert_output ""
    assert_regex "$last" '^No number of workers can beat 1 / f = [0-9.]+$'
}

# --- make lesson1, make plots --------------------------------------------------

@test "make lesson1: six banners in lesson order, the trace of chunks 4, exit 0" {
    run env -u POOL_TRACE POOL_TIME_SCALE=0.02 make -s --no-print-directory lesson1
    assert_success
    assert_line --index 0 "Lesson 1: processes, pools and pool_map (read lessons/lesson1/README.md)"
    assert_equal "$(printf '%s\n' "${lines[@]}" | sed -n 's/^==== \([0-9]\/6 [a-z0-9]*\):.*/\1/p' | paste -sd ' ')" \
        "1/6 processes 2/6 map 3/6 chunks 4/6 chunks 5/6 cpus 6/6 amdahl"
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^Look for: ')" 6
    assert_line "function,pid,status"
    assert_line --regexp '^label\[4\.\.7\],[0-9]+,ok$'
    assert_line --regexp '^No number of workers can beat 1 / f = '
    assert_equal "${lines[-1]}" "End of lesson 1. Now the exercises: see exercises/lesson1/ and run: make grade LESSON=1"
}

@test "make plots-lesson1: four reports, each with its summary and page" {
    command -v gnuplot >/dev/null || skip "gnuplot is not installed (make deps)"
    local d=$BATS_TEST_TMPDIR/plots
    run make -s --no-print-directory plots-lesson1 PLOT_WORKERS=2 PLOT_SCALE=0.02 LESSON1_PLOT_DIR="$d"
    assert_success
    for p in lesson1-chunks1 lesson1-chunks4 lesson1-balance lesson1-balance-solution; do
        assert [ -s "$d/$p/index.html" ]
        assert [ -s "$d/$p/speedup.png" ]
        run grep -c '^  lower bound' "$d/$p/summary.txt"
        assert_output 1
    done
    run grep -c 'label\[0\.\.3\]' "$d/lesson1-chunks4/w2.csv"
    assert_output 1
}

# --- grading -----------------------------------------------------------------

row() { grep "^$1," "$OUT/grades.csv"; }
# failed EXERCISE STUDENT: the student's checks of EXERCISE that did not pass.
failed() { row "$2" | cut -d, -f4 | tr ';' '\n' | sed -n "s|^$1/||p" | paste -sd ' '; }

@test "batch --lesson 1: every submission graded; unmodified 0 of 8 (compiled and ran), solutions 8 of 8" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/batch.status")" 0
    assert_equal "$(($(wc -l <"$OUT/grades.csv") - 1))" "$(ls "$BATS_FILE_TMPDIR/subs" | wc -l)"
    run row unmodified
    assert_output --regexp '^unmodified,0,8,'
    refute_output --partial compiles
    refute_output --partial /runs
    refute_output --partial balance/results
    run row solution
    assert_output "solution,8,8,"
    run grep -c '"max_score": 1' "$OUT/solution/results.json"
    assert_output 8
}

@test "each wrong submission fails the check named in the fixtures' README, and only it" {
    assert_equal "$(failed whoami counts_inputs)" "count pool"
    assert_equal "$(failed whoami fixed_three)" "pool"
    assert_equal "$(failed cubes apply_loop)" "together"
    assert_equal "$(failed cubes reversed)" "results"
    assert_equal "$(failed balance chunk_three)" "four"
    assert_equal "$(failed balance less_work)" "four two"
    assert_equal "$(failed balance own_size)" "four two"
    assert_equal "$(failed balance apply_each)" "four two"
    assert_equal "$(failed whoami pool_size)" "pool"
}

@test "a grade is a function of the program: the batch graded twice gives the same grades.csv" {
    [ -s "$BATS_FILE_TMPDIR/again/grades.csv" ] || fail "the second batch wrote no grades.csv"
    run diff "$OUT/grades.csv" "$BATS_FILE_TMPDIR/again/grades.csv"
    assert_success
}

@test "whoami printing pool_size: fails on 12 workers for 8 inputs, and the hint names pool_size" {
    run grep -A3 ':( the count follows the pool' "$OUT/pool_size/report.txt"
    assert_output --regexp 'expected: the last line "[1-8] worker process\(es\) ran 8 inputs" \(with POOL_WORKERS=12'
    assert_output --partial 'actual:   the last line is "12 worker process(es) ran 8 inputs"'
    assert_output --partial "12 is the pool's size (pool_size), not how many workers ran the inputs"
}

@test "right answers written another way pass every check of their exercise" {
    assert_equal "$(failed whoami qsort_count)" ""
    assert_equal "$(failed cubes map_chunked)" ""
    assert_equal "$(failed cubes map_async)" ""
    assert_equal "$(failed balance chunk_zero)" ""
}

@test "the hints name the mistake" {
    run cat "$OUT/unmodified/report.txt"
    assert_output --regexp '\([0-9]+ is the master\)'
    assert_output --partial "getpid() in main is the master's own PID"
    assert_output --partial "the for loop still cubes the numbers in the master"
    assert_output --regexp 'the busiest worker ran tasks for [0-9.]+ s, but the [0-9.]+ s of work allow [0-9.]+ s on 4 workers \(4 tasks;'
    run cat "$OUT/counts_inputs/report.txt"
    assert_output --partial "a PID that ran several inputs counts once"
    run cat "$OUT/apply_loop/report.txt"
    assert_output --partial "11 of 12 calls of cube were made only after the first had ended"
    run cat "$OUT/less_work/report.txt"
    assert_output --regexp 'the tasks of job worked [0-9.]+ s in all, not the 14 s'
    run cat "$OUT/apply_each/report.txt"
    assert_output --partial "the tasks did not run at the same time"
    assert_output --partial "waited for each result before it handed out the next input"
    run cat "$OUT/own_size/report.txt"
    assert_output --partial "with POOL_WORKERS=4 the pool had 16 workers"
}

@test "grade: a lesson that does not exist, or an exercise not in the lesson: one line, exit 2" {
    run tools/grade/grade --lesson 9
    assert_failure 2
    assert_output --partial "no lesson 9 to grade (lessons with exercises: 1 2"
    run tools/grade/grade --lesson x
    assert_failure 2
    assert_output --partial "no lesson 'x'"
    run tools/grade/grade --lesson 1 future
    assert_failure 2
    assert_output --partial "no exercise called 'future' (lesson 1 has: whoami cubes balance)"
    run tools/grade/grade --batch --lesson 1 only-one-folder
    assert_failure 2
    assert_output --partial usage
}

@test "grade --dir solutions/lesson1: a folder named lesson1 is graded as lesson 1" {
    GRADE_TIME_SCALE=0.1 NO_COLOR=1 run tools/grade/grade --dir solutions/lesson1
    assert_success
    assert_line "balance.c: 2 of 2 points"
    assert_equal "${lines[-1]}" "Score: 8 of 8 points. Every check passed."
}

@test "make grade EXERCISE=whoami finds its lesson; with no LESSON, a score line per lesson, the total last" {
    export GRADE_TIME_SCALE=0.05 NO_COLOR=1
    run make -s --no-print-directory grade EXERCISE=whoami
    assert_success
    assert_line "whoami.c: 0 of 3 points"
    refute_output --partial "future.c"
    assert_equal "${lines[-1]}" "Score: 0 of 3 points"
    run make -s --no-print-directory grade
    assert_success
    assert_line "Lesson 1: 0 of 8 points"
    assert_line "Lesson 2: 0 of 14 points"
    assert_line "balance.c: 0 of 2 points"
    assert_line "failures.c: 0 of 4 points"
    # The lesson lines come last but one, and the total adds them up (and
    # says that lesson 2 has a hidden check).
    run awk '/^Lesson [0-9]+: [0-9]+ of [0-9]+ points$/ { s += $3; m += $5; k = NR }
        END { print (k == NR - 1) ? "" : "lesson lines not just before the last", index($0, "Score: " s " of " m " points. Course staff also grade 1 hidden check") == 1 }' <<<"$output"
    assert_output " 1"
}
