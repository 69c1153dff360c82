#!/usr/bin/env bats
# The instructor plots: tools/plot (poolplot, tracestat, trace2json).
#
# Figures are checked against hand-made traces in tests/plot/ whose answers
# were worked out by hand (see the comment above each test); charts are
# checked as files (PNG header and size, SVG that parses, JSON with one
# event per task); tests/plot/tasks is a tiny pool program for end-to-end
# runs. Run alone with: TESTS=tests/plot.bats tests/run

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

setup() {
    cd "$BATS_TEST_DIRNAME/.." || exit 1
    POOLPLOT=tools/plot/poolplot
    TRACESTAT=build/tools/plot/tracestat
    TRACE2JSON=build/tools/plot/trace2json
    TASKS=build/tests/plot/tasks
    FIX=tests/plot
    OUT=$BATS_TEST_TMPDIR/out
}

# The line of the summary's table for one run, squeezed to single spaces.
table_row() {
    awk -v run="$1" '$1 == run && NF == 8 { $1 = $1; print; exit }' "$2"
}

# One worker's line in a run's detail block: slot, pid, tasks, busy_s, busy.
worker_row() {
    awk -v run="$1" -v pid="$2" '
        /^== / { inrun = ($2 == run ":") }
        inrun && $1 ~ /^w[0-9]+$/ && $3 == pid { print $2, $3, $4, $5, $6; exit }' "$3"
}

# Run a command that must refuse: non-zero status, exactly one line on
# stderr, and that line matches the pattern.
refuses() {
    local pattern=$1
    shift
    run --separate-stderr "$@"
    [ "$status" -ne 0 ] || fail "exit status 0 for: $*"
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "expected one line on stderr, got: $stderr"
    [[ $stderr =~ $pattern ]] || fail "stderr '$stderr' does not match '$pattern'"
}

# Width and height of a PNG from its IHDR chunk, or nothing if not a PNG.
png_size() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read(33)
if data[:8] == b'\x89PNG\r\n\x1a\n' and data[12:16] == b'IHDR':
    print(*struct.unpack('>II', data[16:24]))
EOF
}

# Fail unless $1 is a real PNG of a sensible size for a chart.
assert_chart_png() {
    assert_file_exists "$1"
    local size
    size=$(png_size "$1")
    [ -n "$size" ] || fail "$1 is not a PNG"
    set -- "$1" $size
    [ "$2" -ge 600 ] && [ "$2" -le 3000 ] || fail "$1: width $2"
    [ "$3" -ge 200 ] && [ "$3" -le 3000 ] || fail "$1: height $3"
    [ "$(stat -c %s "$1")" -gt 5000 ] || fail "$1: only $(stat -c %s "$1") bytes"
}

# Fail unless $1 parses as SVG and its text holds one of the |-separated
# strings in $2. Leaves $output alone.
assert_svg_with_text() {
    assert_file_exists "$1"
    python3 - "$1" "$2" <<'EOF' || fail "$1: not an SVG with text '$2'"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith('svg'), root.tag
text = ' '.join(t for t in root.itertext())
assert any(s in text for s in sys.argv[2].split('|')), 'no "%s" in the SVG text' % sys.argv[2]
EOF
}

# Fixture two-workers.csv: lesson 2's five calls on 2 workers, all times
# shifted by 0.5 s. pid 100 runs tasks 1 (3 s) and 5 (4 s, error); pid 200
# runs 2 (2 s), 3 (1 s), 4 (5 s). Makespan 8.5 - 0.5 = 8; work 15 s; longest
# 5 s; bound max(5, 15/2) = 7.5; busy 7/8 and 8/8.
@test "tracestat: makespan, lower bound, tasks and busy fraction per worker" {
    run "$TRACESTAT" -n 2 "$FIX/two-workers.csv"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row two-workers "$BATS_TEST_TMPDIR/s")" \
        "two-workers 2 5 8.000 7.500 1.07 2/3 0.88/1.00"
    assert_equal "$(worker_row two-workers 100 "$BATS_TEST_TMPDIR/s")" "0 100 2 7.000 0.875"
    assert_equal "$(worker_row two-workers 200 "$BATS_TEST_TMPDIR/s")" "1 200 3 8.000 1.000"
    assert_line --partial "makespan     8.000 s (from 0.500 to 8.500)"
    assert_line --partial "total work   15.000 s"
    assert_line --partial "longest task 5.000 s (task 4, slow_diff)"
    assert_line --partial "4 ok, 1 error, 0 crash, 0 terminated"
}

# Same trace on 3 workers: the third did nothing. Bound max(5, 15/3) = 5.
@test "tracestat: an idle worker counts in the bound and shows with 0 tasks" {
    run "$TRACESTAT" -n 3 "$FIX/two-workers.csv"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row two-workers "$BATS_TEST_TMPDIR/s")" \
        "two-workers 3 5 8.000 5.000 1.60 2/3/0 0.88/1.00/0.00"
    assert_equal "$(worker_row two-workers idle "$BATS_TEST_TMPDIR/s")" "2 idle 0 0.000 0.000"
}

# Fixture crash.csv: pid 400 (slot 1) dies in task 2 (1.0-1.5) and pid 401
# replaces it (task 3, 1.6-3.0); pid 300 runs 1 (1-2) and 4 (2-4,
# terminated); task 5 never started. Makespan 4 - 1 = 3; work
# 1 + 0.5 + 1.4 + 2 = 4.9; 2 workers (inferred); bound max(2, 2.45) = 2.45.
@test "tracestat: a replaced worker is its own row; a task never started counts apart" {
    run "$TRACESTAT" "$FIX/crash.csv"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row crash "$BATS_TEST_TMPDIR/s")" \
        "crash 2 5 3.000 2.450 1.22 2/1/1 1.00/0.17/0.47"
    assert_equal "$(worker_row crash 300 "$BATS_TEST_TMPDIR/s")" "0 300 2 3.000 1.000"
    assert_equal "$(worker_row crash 400 "$BATS_TEST_TMPDIR/s")" "1 400 1 0.500 0.167"
    assert_equal "$(worker_row crash 401 "$BATS_TEST_TMPDIR/s")" "1 401 1 1.400 0.467"
    assert_line --partial "2 ok, 0 error, 1 crash, 2 terminated (1 never started)"
    assert_line --partial "workers      2 (highest slot in the trace + 1)"
}

@test "timeline data: one box per task on its worker's row, marked by status" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/crash.csv"
    assert_success
    # Rows: w0 pid 300, w1 pid 400, w1 pid 401, never started.
    run cut -f2 "$OUT/crash.rows"
    assert_output "w0 pid 300
w1 pid 400
w1 pid 401
never started"
    # task id -> row, status code (1 ok, 2 error, 3 crash, 4 terminated)
    run awk -F'\t' '{ print $9, $2, $7 }' "$OUT/crash.tasks"
    assert_output "2 1 3
1 0 1
3 2 1
4 0 4
5 3 4"
    # Labels carry the task id, and a mark where colour may not show.
    run cut -f8 "$OUT/crash.tasks"
    assert_line "#1 work"
    assert_line --regexp '^#?2 ?(crasher )?X$'
    assert_line --regexp '^#?4 ?(work )?T$'
}

@test "trace2json: valid JSON, one complete event per task, pid = the worker's" {
    run "$TRACE2JSON" -o "$BATS_TEST_TMPDIR/t.json" "$FIX/two-workers.csv"
    assert_success
    run python3 -m json.tool "$BATS_TEST_TMPDIR/t.json"
    assert_success
    run python3 - "$BATS_TEST_TMPDIR/t.json" <<'EOF'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X']
for e in sorted(ev, key=lambda e: e['args']['task']):
    print(e['args']['task'], e['name'], e['pid'], e['tid'], round(e['ts']), round(e['dur']),
          e['args']['status'])
print(next(e['args']['error'] for e in ev if e['args']['task'] == 5))
EOF
    assert_success
    assert_output '1 slow_add 100 100 500000 3000000 ok
2 slow_diff 200 200 500000 2000000 ok
3 slow_add 200 200 2500000 1000000 ok
4 slow_diff 200 200 3500000 5000000 ok
5 broken_function 100 100 3500000 4000000 error
ValueError: Called broken function, "on purpose"'
}

@test "poolplot --trace: PNG and SVG charts from traces, without running anything" {
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    # The summary is printed and saved.
    assert_line --partial "lower bound  2.450 s"
    assert_line --partial "lower bound  7.500 s"
    run grep -c "lower bound" "$OUT/summary.txt"
    assert_output 2
    for chart in timeline-two-workers timeline-crash distribution; do
        assert_chart_png "$OUT/$chart.png"
    done
    assert_svg_with_text "$OUT/timeline-two-workers.svg" "#5 broken_function !"
    assert_svg_with_text "$OUT/timeline-crash.svg" "w1 pid 401"
    assert_svg_with_text "$OUT/distribution.svg" "Tasks per worker"
    assert_file_exists "$OUT/two-workers.json"
    assert_file_exists "$OUT/crash.json"
}

@test "poolplot end to end: a 12-task program on 1, 2 and 4 workers" {
    run "$POOLPLOT" -w 1,2,4 -o "$OUT" "$TASKS"
    assert_success
    for n in 1 2 4; do
        # As many worker processes in the trace as asked for; all 12 tasks.
        run awk -F, 'NR > 2 { pid[$3] = 1; n++ } END { print length(pid), n }' "$OUT/w$n.csv"
        assert_output "$n 12"
        row=$(table_row "w$n" "$OUT/summary.txt")
        [ "$(echo "$row" | cut -d' ' -f2,3)" = "$n 12" ] || fail "summary row: $row"
        # Tasks per worker add up to 12.
        sum=$(echo "$row" | cut -d' ' -f7 | tr / '\n' | awk '{ s += $1 } END { print s }')
        assert_equal "$sum" 12
        # The makespan is never under the lower bound.
        echo "$row" | awk '{ exit !($4 >= $5) }' || fail "makespan under bound: $row"
        assert_chart_png "$OUT/timeline-w$n.png"
        assert_svg_with_text "$OUT/timeline-w$n.svg" "#7 fail !|#7!|7!"
        run python3 - "$OUT/w$n.json" "$OUT/w$n.csv" <<'EOF'
import csv, json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X']
rows = list(csv.reader(open(sys.argv[2])))[2:]
want = {int(r[0]): int(r[2]) for r in rows}
got = {e['args']['task']: e['pid'] for e in ev}
assert len(ev) == len(rows) == 12, (len(ev), len(rows))
assert got == want, (got, want)
EOF
        assert_success
    done
    assert_chart_png "$OUT/distribution.png"
    assert_svg_with_text "$OUT/distribution.svg" "4 workers"
}

@test "poolplot --argv gives the worker count as argv[1], not POOL_WORKERS" {
    POOL_WORKERS=1 run "$POOLPLOT" -a -w 3 -o "$OUT" "$TASKS"
    assert_success
    run cat "$OUT/w3.out"
    assert_output "12 tasks on 3 workers, 1 failed"
}

@test "poolplot --terminal draws the charts as text, and --scale is noted" {
    run "$POOLPLOT" --terminal -s 0.5 -w 2 -o "$OUT" "$TASKS"
    assert_success
    assert_line --regexp '^ +w0 pid [0-9]+ \|'
    assert_line --regexp '^ +w1 pid [0-9]+ \|'
    assert_output --partial "Tasks per worker process, POOL_TIME_SCALE=0.5"
    assert_output --partial "w2: 2 workers, 12 tasks"
    assert_file_exists "$OUT/timeline-w2.txt"
    assert_file_not_exists "$OUT/timeline-w2.png"
}

@test "bad traces: missing, empty, truncated, garbled, another version" {
    T=$BATS_TEST_TMPDIR
    good=$FIX/two-workers.csv
    refuses "nope.csv: no such file" "$POOLPLOT" -o "$OUT" --trace "$T/nope.csv"
    : >"$T/empty.csv"
    refuses "empty.csv: the file is empty" "$POOLPLOT" -o "$OUT" --trace "$T/empty.csv"
    head -c 300 "$good" >"$T/cut.csv"          # cut inside task 3's record
    refuses "cut.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/cut.csv"
    head -c -9 "$good" >"$T/cut2.csv"         # cut inside task 4's end time
    refuses "cut2.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/cut2.csv"
    head -n 1 "$good" >"$T/head.csv"
    refuses "head.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/head.csv"
    sed 's/^# pool-trace v1$/# pool-trace v2/' "$good" >"$T/v2.csv"
    refuses "v2.csv: line 1 says '# pool-trace v2': this tool reads format v1 only" \
        "$POOLPLOT" -o "$OUT" --trace "$T/v2.csv"
    refuses "not a pool trace" "$POOLPLOT" -o "$OUT" --trace tests/plot/tasks.c
    head -c 2000 /bin/sh >"$T/binary.csv"
    refuses "binary.csv: (not a pool trace|the file holds binary data)" \
        "$POOLPLOT" -o "$OUT" --trace "$T/binary.csv"
    sed '5s/,200,1,/,200,/' "$good" >"$T/fields.csv"
    refuses "fields.csv: line 5: 8 fields where a record has 9" \
        "$POOLPLOT" -o "$OUT" --trace "$T/fields.csv"
    sed '3s/,ok,$/,fine,/' "$good" >"$T/status.csv"
    refuses "status.csv: line 3: status 'fine'" "$POOLPLOT" -o "$OUT" --trace "$T/status.csv"
    sed '5s/,3.500000,/,1.500000,/' "$good" >"$T/order.csv"
    refuses "order.csv: line 5: task 3 has times out of order" \
        "$POOLPLOT" -o "$OUT" --trace "$T/order.csv"
    sed '5s/^3,/2,/' "$good" >"$T/twice.csv"
    refuses "twice.csv: task 2 appears twice" "$POOLPLOT" -o "$OUT" --trace "$T/twice.csv"
    sed '6s/broken function, ""on/broken function, "on/' "$good" >"$T/quote.csv"
    refuses "quote.csv: line 6: garbled record" "$POOLPLOT" -o "$OUT" --trace "$T/quote.csv"
    sed '2s/submit_s/queued_s/' "$good" >"$T/header.csv"
    refuses "header.csv: line 2 is not the v1 header" "$POOLPLOT" -o "$OUT" --trace "$T/header.csv"
    head -n 2 "$good" >"$T/none.csv"
    refuses "none.csv: no task records" "$POOLPLOT" -o "$OUT" --trace "$T/none.csv"
    # The converter refuses the same way, and writes nothing.
    refuses "^trace2json: .*cut.csv: truncated" "$TRACE2JSON" -o "$T/cut.json" "$T/cut.csv"
    assert_file_not_exists "$T/cut.json"
}

@test "bad programs: missing, failing, not a pool program" {
    refuses "no-such-program: no such program" "$POOLPLOT" -o "$OUT" ./no-such-program
    refuses "tests/plot/tasks.c: not an executable program" "$POOLPLOT" -o "$OUT" tests/plot/tasks.c
    refuses "failed on 1 worker.* exit status 1 \(output in .*/w1.out\)" \
        "$POOLPLOT" -w 1 -o "$OUT" "$TASKS" junk
    refuses "/bin/true wrote no trace on 2 workers: is it a program that uses the pool runtime" "$POOLPLOT" -w 2 -o "$OUT" /bin/true
    # A trace that shows more workers than the run asked for.
    refuses "tasks ran in worker slot 1, but the run was for 1 worker" \
        "$POOLPLOT" -w 1 -o "$OUT" --trace "$FIX/crash.csv"
}

@test "bad worker counts: not a positive number" {
    for bad in 0 -1 abc 1.5 2,,4 "" 1,x 08; do
        refuses "worker (count|list) '[^']*'.*(not a positive number|empty)" \
            "$POOLPLOT" -w "$bad" -o "$OUT" "$TASKS"
    done
    refuses "more than the runtime allows" "$POOLPLOT" -w 1000 -o "$OUT" "$TASKS"
    refuses "-w gives 2 worker counts for 1 traces" \
        "$POOLPLOT" -w 1,2 -o "$OUT" --trace "$FIX/crash.csv"
}

@test "without gnuplot, poolplot says how to install it" {
    refuses "gnuplot is not installed: install it with 'sudo apt-get install gnuplot-nox'" \
        env PATH="$BATS_TEST_TMPDIR/empty" /bin/sh "$POOLPLOT" --trace "$FIX/crash.csv"
}

@test "without its helpers built, poolplot says to run make" {
    POOLPLOT_BIN=$BATS_TEST_TMPDIR/nothing refuses "tracestat is missing: run 'make'" \
        "$POOLPLOT" --trace "$FIX/crash.csv"
}
