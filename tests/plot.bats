#!/usr/bin/env bats
# The instructor plots: tools/plot (poolplot, tracestat, trace2json).
#
# Figures are checked against hand-made traces in tests/plot/ whose answers
# were worked out by hand (see the comment above each test); charts are
# checked by what they show: the data gnuplot draws, the text and its
# place in the SVGs (tests/plot/figures.py reads them), the figures the
# HTML report embeds and what headless Chromium makes of it.
# tests/plot/tasks is a tiny pool program for end-to-end runs. Run alone
# with: TESTS=tests/plot.bats tests/run

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
    FIG="python3 tests/plot/figures.py"
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
    # The fixture is v1 (ids from 1): its task 4 is call 3, counted from 0.
    assert_line --partial "longest task 5.000 s (task 3, slow_diff)"
    assert_line --partial "4 ok, 1 error, 0 crash, 0 terminated"
}

# A map in chunks: four tasks of four inputs each on 4 workers; one chunk
# took 8 s, three took 2 s. Work 14 s; the trace has no single input's time,
# but the longest input of the 8 s chunk took at least 8 / 4 = 2 s; so the
# bound is max(2, 14/4) = 3.5, not the 8 s chunk: the schedule is 2.29
# times the bound, which is what a poor choice of chunk size looks like.
@test "tracestat: a chunk name[a..b] counts as b - a + 1 inputs in the lower bound" {
    local t="$BATS_TEST_TMPDIR/chunks.csv"
    printf '%s\n' '# pool-trace v3' \
        '# workers=4 program="balance" args="" time_scale=1 start=2026-11-26T23:08:49.174776Z host="vm" runtime=2.1' \
        'task,function,pid,worker,submit_s,start_s,end_s,status,error' \
        '3,job[12..15],13,3,0.000000,0.000000,2.000000,ok,' \
        '2,job[8..11],12,2,0.000000,0.000000,2.000000,ok,' \
        '1,job[4..7],11,1,0.000000,0.000000,2.000000,ok,' \
        '0,job[0..3],10,0,0.000000,0.000000,8.000000,ok,' >"$t"
    run "$TRACESTAT" "$t"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row chunks "$BATS_TEST_TMPDIR/s")" \
        "chunks 4 4 8.000 3.500 2.29 1/1/1/1 1.00/0.25/0.25/0.25"
    assert_line --partial "lower bound  3.500 s = max(longest input >= 2.000 (a chunk's average), total work 14.000 / 4 workers)"
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

# Fixture crash.csv (v1: its ids count from 1, the tools show them from 0):
# pid 400 (slot 1) dies in task 1 (1.0-1.5) and pid 401 replaces it (task
# 2, 1.6-3.0); pid 300 runs 0 (1-2) and 3 (2-4, terminated); task 4 never
# started. Makespan 4 - 1 = 3; work
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
    assert_output "1 1 3
0 0 1
2 2 1
3 0 4
4 3 4"
    # Labels carry the task id, and a mark where colour may not show.
    run cut -f8 "$OUT/crash.tasks"
    assert_line "#0 work"
    assert_line --regexp '^#?1 ?(crasher )?X$'
    assert_line --regexp '^#?3 ?(work )?T$'
}

@test "trace2json: valid JSON, one complete event per task, pid = the worker's" {
    run "$TRACE2JSON" -o "$BATS_TEST_TMPDIR/t.json" "$FIX/two-workers.csv"
    assert_success
    run python3 -m json.tool "$BATS_TEST_TMPDIR/t.json"
    assert_success
    run python3 - "$BATS_TEST_TMPDIR/t.json" <<'EOF'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X' and e['cat'] != 'master']
for e in sorted(ev, key=lambda e: e['args']['task']):
    print(e['args']['task'], e['name'], e['pid'], e['tid'], round(e['ts']), round(e['dur']),
          e['args']['status'])
print(next(e['args']['error'] for e in ev if e['args']['task'] == 4))
EOF
    assert_success
    assert_output '0 slow_add 100 100 500000 3000000 ok
1 slow_diff 200 200 500000 2000000 ok
2 slow_add 200 200 2500000 1000000 ok
3 slow_diff 200 200 3500000 5000000 ok
4 broken_function 100 100 3500000 4000000 error
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
    assert_svg_with_text "$OUT/timeline-two-workers.svg" "#4 broken_function !"
    assert_svg_with_text "$OUT/timeline-crash.svg" "w1 pid 401"
    assert_svg_with_text "$OUT/distribution.svg" "calls per worker slot"
    assert_file_exists "$OUT/two-workers.json"
    assert_file_exists "$OUT/crash.json"
}

@test "poolplot end to end: a 12-task program on 1, 2 and 4 workers" {
    run "$POOLPLOT" -w 1,2,4 -o "$OUT" "$TASKS"
    assert_success
    for n in 1 2 4; do
        # As many worker processes in the trace as asked for; all 12 tasks.
        run awk -F, 'NR > 3 && !/^#/ { pid[$3] = 1; n++ } END { print length(pid), n }' "$OUT/w$n.csv"
        assert_output "$n 12"
        row=$(table_row "w$n" "$OUT/summary.txt")
        [ "$(echo "$row" | cut -d' ' -f2,3)" = "$n 12" ] || fail "summary row: $row"
        # Tasks per worker add up to 12.
        sum=$(echo "$row" | cut -d' ' -f7 | tr / '\n' | awk '{ s += $1 } END { print s }')
        assert_equal "$sum" 12
        # The makespan is never under the lower bound.
        echo "$row" | awk '{ exit !($4 >= $5) }' || fail "makespan under bound: $row"
        assert_chart_png "$OUT/timeline-w$n.png"
        assert_svg_with_text "$OUT/timeline-w$n.svg" "#6 fail !|#6 !|#6!|6!"
        run python3 - "$OUT/w$n.json" "$OUT/w$n.csv" <<'EOF'
import csv, json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X' and e['cat'] != 'master']
rows = [r for r in list(csv.reader(open(sys.argv[2])))[3:] if not r[0].startswith('#')]
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
    assert_output --partial "tasks: calls per worker slot"
    assert_output --partial "tasks on 2 workers: makespan"
    assert_output --partial "POOL_TIME_SCALE=0.5"
    assert_file_exists "$OUT/timeline-w2.txt"
    assert_file_not_exists "$OUT/timeline-w2.png"
}

# All runs share one time axis: the longest run's end (8.5 s) plus 2%.
# Each has its own rows but no fewer than four (or the most any run has):
# two-workers has 2, crash 4 (3 workers + never started).
@test "one time axis for every run" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    for r in two-workers crash; do
        run grep -E '^(tmax|nrows|ncalls) =' "$OUT/$r.vars"
        assert_output "nrows = 4
ncalls = 5
tmax = 8.670000"
    done
    run "$TRACESTAT" -o "$OUT" "$FIX/two-workers.csv"
    run grep "^nrows" "$OUT/two-workers.vars"
    assert_output "nrows = 2"
    # The charts agree: the same numbers under the x axis of both timelines.
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    for r in two-workers crash; do
        $FIG texts "$OUT/timeline-$r.svg" |
            awk -F'\t' '$2 > 700 && $2 < 800 && $3 == 0 && $6 ~ /^ *[0-9.]+ *$/ { printf "%s ", $6 + 0 }' \
            >"$BATS_TEST_TMPDIR/ticks-$r"
    done
    assert_equal "$(cat "$BATS_TEST_TMPDIR/ticks-crash")" "0 1 2 3 4 5 6 7 8 "
    assert_equal "$(cat "$BATS_TEST_TMPDIR/ticks-two-workers")" "0 1 2 3 4 5 6 7 8 "
    # The overview: both runs on one slide, one panel each (2 rows, then 4),
    # titled, with one row of numbers under the last panel only.
    assert_equal "$(png_size "$OUT/overview.png")" "1600 900"
    run $FIG texts "$OUT/overview.svg"
    assert_line --regexp $'\ttwo-workers and crash on one time axis$'
    assert_line --regexp $'\ttwo-workers, 2 workers: makespan 8.00 s$'
    assert_line --regexp $'\tcrash, 2 workers: makespan 3.00 s$'
    assert_equal "$(printf '%s\n' "$output" | grep -c $'\tw[01] pid ')" 5
    assert_equal "$(printf '%s\n' "$output" | awk -F'\t' '$3 == 0 && $6 ~ /^ *[0-9.]+ *$/ { n++ } END { print n }')" 9
}

# The same trace as if run on 2 and on 4 workers: both take 8 s. The ideal
# is the 2-worker run shared evenly: 2 x 8 / n, so 8 s on 2, 4 s on 4;
# efficiency 100% and 50%. Bounds: max(5, 15/2) = 7.5, max(5, 15/4) = 5.
@test "speed-up: makespan, lower bound, ideal and efficiency against workers" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -n 4,2 -l four,two -o "$OUT" "$FIX/two-workers.csv" "$FIX/two-workers.csv"
    assert_success
    run cat "$OUT/speedup.dat"
    assert_output "$(printf '2\t8.000000\t7.500000\t8.000000\t100.00\ttwo\n4\t8.000000\t5.000000\t4.000000\t50.00\tfour')"
    run "$POOLPLOT" -w 4,2 -p lesson -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    assert_chart_png "$OUT/speedup.png"
    run $FIG texts "$OUT/speedup.svg"
    assert_output --partial "lesson: makespan and efficiency against workers"
    assert_output --partial "ideal: makespan on 2 workers x 2 / workers"
    assert_output --partial "lower bound"
    assert_line --regexp $'\t8.0 s$'
    assert_line --regexp $'\t100%$'
}

# Under POOL_TIME_SCALE=0.5 every time is doubled back to the program's
# own seconds, and the axis says so.
@test "scaled runs: charts and summary in the program's own seconds" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -S 0.5 -n 2 -o "$OUT" "$FIX/two-workers.csv"
    assert_success
    assert_line --partial "program seconds: measured seconds / 0.5"
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row two-workers "$BATS_TEST_TMPDIR/s")" \
        "two-workers 2 5 16.000 15.000 1.07 2/3 0.88/1.00"
    run grep -E '^(tmax|xlbl) =' "$OUT/two-workers.vars"
    assert_output 'tmax = 17.340000
xlbl = "program seconds (measured / 0.5, as the run had POOL_TIME_SCALE=0.5)"'
    # End to end: the summary's makespan is the trace's, doubled.
    run "$POOLPLOT" -s 0.5 -w 2 -o "$OUT" "$TASKS"
    assert_success
    raw=$(awk -F, 'NR > 3 && !/^#/ { if (s == "" || $6 < s) s = $6; if ($7 > e) e = $7 } END { print e - s }' "$OUT/w2.csv")
    got=$(table_row w2 "$OUT/summary.txt" | cut -d' ' -f4)
    awk -v r="$raw" -v g="$got" 'BEGIN { d = g - 2 * r; exit !(d < 0.002 && d > -0.002) }' ||
        fail "makespan $got is not twice the trace's $raw"
    assert_svg_with_text "$OUT/timeline-w2.svg" "program seconds (measured / 0.5"
    # No time scale on a chart of counts.
    run $FIG texts "$OUT/distribution.svg"
    assert_output --partial "tasks: calls per worker slot"
    refute_output --partial "POOL_TIME_SCALE"
}

# One rule for every count: just above its bar (at calls + 0.045 x the
# axis' top), whatever the even-share line does; the line passes behind
# it. Before, a count sat inside its bar when the line would cross it,
# above it otherwise. crash.csv: slot 0 (pid 300) ran 2 calls; slot 1's
# pid 400 ran 1, then died, and pid 401 ran 1 in its place: one bar of 2,
# stacked 1 + 1, as the even share (4 calls that ran / 2 slots = 2) counts
# it. Before, pids 400 and 401 were two bars of 1, each under the share.
@test "distribution: one bar per slot (a replacement's calls stacked on top), each count just above its bar" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/crash.csv"
    assert_success
    run cut -f1,2,4,6 "$OUT/distribution.dat"
    assert_output "$(printf '0\t2\tw0\t2\n1\t2\tw1\t1+1')"
    run cut -f1-5 "$OUT/distribution.seg"
    assert_output "$(printf '0\t0\t2\t0\t300\n1\t0\t1\t0\t400\n1\t1\t2\t1\t401')"
    run cut -f5 "$OUT/groups.dat"
    assert_output "2.0000"
    # The 17 calls on 4 workers (4, 4, 4 and 5; share 4.25) and the
    # fixtures: every count at the same height above its bar.
    { echo "# pool-trace v1"
      echo "task,function,pid,worker,submit_s,start_s,end_s,status,error"
      awk 'BEGIN { id = 1; for (s = 0; s < 4; s++) for (k = 0; k < (s == 3 ? 5 : 4); k++)
               printf "%d,f,%d,%d,0.000000,%d.000000,%d.500000,ok,\n", id++, 100 + s, s, k, k }'
    } >"$BATS_TEST_TMPDIR/even.csv"
    for args in "$BATS_TEST_TMPDIR/even.csv" "$FIX/two-workers.csv $FIX/crash.csv" "-n 3,5 $FIX/two-workers.csv $FIX/crash.csv"; do
        # shellcheck disable=SC2086
        "$TRACESTAT" -o "$OUT" $args >/dev/null
        top=$(awk '$1 == "ytop" { print $3 }' "$OUT/distribution.vars")
        awk -F'\t' -v top="$top" '{ d = $5 - ($2 + 0.045 * top); if (d < 0) d = -d
                if (d > 0.001) { print "bar " NR ": count at " $5 " for " $2 " calls"; bad = 1 } }
            END { exit bad }' "$OUT/distribution.dat" || fail "a count out of place ($args)"
    done
    # In the SVG: each count's baseline sits over its bar's top, within a
    # line of it (the y axis from its tick labels).
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    run python3 - "$OUT/distribution.svg" "$OUT/data/distribution.dat" <<'PYEOF'
import sys
sys.path.insert(0, 'tests/plot')
import figures
ts = figures.texts(sys.argv[1])
ticks = sorted((float(t[5]), t[1]) for t in ts if t[4] == 'end' and t[5].strip().isdigit())
(v0, y0), (v1, y1) = ticks[0], ticks[-1]
py = lambda v: y0 + (y1 - y0) * (v - v0) / (v1 - v0)
bars = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])]
# (gnuplot writes a boxed label twice: once to size its ground)
counts = sorted({t for t in ts if t[4] == 'middle' and t[5] in [b[5] for b in bars] and t[1] < py(0) - 2})
assert len(counts) == len(bars), (counts, bars)
for t, b in zip(sorted(counts, key=lambda t: t[0]), bars):
    assert t[5] == b[5], (t, b)
    gap = py(float(b[1])) - t[1]
    assert 0 < gap < 2 * t[3], 'count %s is %.0f px over its bar' % (b[5], gap)
print(len(counts), 'counts over their bars')
PYEOF
    assert_success
    assert_output "4 counts over their bars"
}

# A long name on a short box: task 2 (1 s of an 8.67 s axis, about 14
# characters at 105 across the axis) shows "#2" over the name cut to fit;
# task 0 (3 s) keeps one line.
@test "timeline: a narrow box keeps its function name on a second line, cut to fit" {
    mkdir -p "$OUT"
    sed 's/slow_add/a_rather_long_function_name/' "$FIX/two-workers.csv" >"$BATS_TEST_TMPDIR/long.csv"
    run "$TRACESTAT" -o "$OUT" "$BATS_TEST_TMPDIR/long.csv"
    assert_success
    run awk -F'\t' '{ print $9 "|" $8 "|" $11 }' "$OUT/long.tasks"
    assert_line "2|#2|a_rather_.."
    assert_line "0|#0 a_rather_long_function_name| "
    assert_line "1|#1 slow_diff| "
    run "$POOLPLOT" -o "$OUT" --trace "$BATS_TEST_TMPDIR/long.csv"
    assert_success
    assert_svg_with_text "$OUT/timeline-long.svg" "a_rather_.."
}

@test "charts are slides: 1600 x 900, no text under 16 pt, titles name the program" {
    run "$POOLPLOT" -p lesson -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    for chart in timeline-two-workers timeline-crash calls-two-workers calls-crash distribution speedup; do
        assert_equal "$(png_size "$OUT/$chart.png")" "1600 900"
        run python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(r.get("width"), r.get("height"))' "$OUT/$chart.svg"
        assert_output "1600 900"
        small=$($FIG texts "$OUT/$chart.svg" | awk -F'\t' '$4 < 16 { print $6 }')
        [ -z "$small" ] || fail "$chart.svg: text under 16 pt: $small"
    done
    assert_svg_with_text "$OUT/timeline-crash.svg" "lesson on 2 workers: makespan 3.00 s, lower bound 2.45 s"
    assert_svg_with_text "$OUT/calls-crash.svg" "lesson on 2 workers: each call waits"
    # Two runs on as many workers: the distribution names them apart.
    run cut -f2 "$OUT/data/groups.dat"
    assert_output "two-workers: 2 workers
crash: 2 workers"
}

# Waits in two-workers.csv: task 2 (the file's 3: v1 counts from 1) was
# submitted at 0.00015 and began at 2.5; task 3 at 0.0002 and 3.5. The
# calls chart has a row per call, in the order they were made.
@test "calls chart: each call's wait in the queue, then its run" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/two-workers.csv"
    assert_success
    run cut -f2 "$OUT/two-workers.callrows"
    assert_output "#0 slow_add
#1 slow_diff
#2 slow_add
#3 slow_diff
#4 broken_function !"
    # row, submit, start, the wait's label, the worker, the wait
    run awk -F'\t' '{ print $1, $2, $3, $7 "|" $9, $10 }' "$OUT/two-workers.calls"
    assert_line "2 0.000150 2.500000 waited 2.50 s|w1 2.499850"
    assert_line "3 0.000200 3.500000 waited 3.50 s|w1 3.499800"
    assert_line "4 0.000250 3.500000 waited 3.50 s|w0 3.499750"
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/two-workers.csv"
    assert_success
    assert_svg_with_text "$OUT/calls-two-workers.svg" "waited 3.50 s"
    assert_svg_with_text "$OUT/calls-two-workers.svg" "#4 broken_function !"
}

# crash.csv: pid 400 (slot 1) died at 1.5 s in task 1; pid 401 took slot 1
# and began task 2 at 1.6 s. The marks sit just over their rows (1 and 2).
@test "timeline: a mark where a worker died, one where its replacement began" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/crash.csv"
    assert_success
    run cat "$OUT/crash.marks"
    assert_output "$(printf '1.500000\t0.58\t1\tdied\n1.600000\t1.58\t2\treplaced')"
    run "$TRACESTAT" -o "$OUT" "$FIX/two-workers.csv"
    run cat "$OUT/two-workers.marks"
    assert_output ""
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/crash.csv" "$FIX/two-workers.csv"
    assert_success
    assert_svg_with_text "$OUT/timeline-crash.svg" "worker died"
    assert_svg_with_text "$OUT/timeline-crash.svg" "new worker took the slot"
    run $FIG texts "$OUT/timeline-two-workers.svg"
    refute_output --partial "worker died"
}

# A real run in which task 9 kills its worker: the mark where it died is
# the end of the crash record; the new worker in that slot gets its own row
# and a mark where it began (its start event).
@test "poolplot end to end: a worker killed mid-task is marked, and so is its replacement" {
    TASKS_CRASH=1 run "$POOLPLOT" -w 2 -o "$OUT" "$TASKS"
    assert_success
    run awk -F, '/^# event worker=[0-9]+ .*what=start$/ {
            split($0, f, /[ =]/); s[++n] = f[4]; p[n] = f[6]; t[n] = f[8]; next }
        /^#/ { next } NR > 3 && $8 == "crash" { slot = $4; pid = $3; died = $7 }
        END { for (i = 1; i <= n; i++) if (s[i] == slot && p[i] != pid) began = t[i]
              printf "died %.6f\nreplaced %.6f\n", died, began }' "$OUT/w2.csv"
    want=$output
    run awk -F'\t' '{ printf "%s %s\n", $4, $1 }' "$OUT/data/w2.marks"
    assert_output "$want"
    assert_svg_with_text "$OUT/timeline-w2.svg" "worker died"
    assert_chart_png "$OUT/timeline-w2.png"
    # Three worker rows: the two first workers and the replacement.
    run grep -c pid "$OUT/data/w2.rows"
    assert_output 3
}

@test "poolplot --trace: options may follow the traces" {
    run "$POOLPLOT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv" -o "$OUT" -w 3,0 -p lesson
    assert_success
    assert_file_exists "$OUT/summary.txt"
    assert_equal "$(table_row two-workers "$OUT/summary.txt" | cut -d' ' -f1-2)" "two-workers 3"
    assert_svg_with_text "$OUT/timeline-crash.svg" "lesson on 2 workers"
    assert_file_not_exists "$OUT/-o.csv"
    refuses "unknown option --bogus" "$POOLPLOT" --trace "$FIX/crash.csv" --bogus
    refuses "--terminal and --html do not go together" \
        "$POOLPLOT" -o "$OUT" --trace "$FIX/crash.csv" --terminal --html
    refuses "the program's name may not hold a quote" \
        "$POOLPLOT" -o "$OUT" --trace "$FIX/crash.csv" -p "it's"
}

@test "poolplot --terminal: as wide as the terminal (COLUMNS)" {
    for cols in 80 150; do
        COLUMNS=$cols run "$POOLPLOT" --terminal -o "$OUT" --trace "$FIX/two-workers.csv"
        assert_success
        for chart in timeline-two-workers calls-two-workers distribution speedup; do
            width=$(awk '{ if (length($0) > w) w = length($0) } END { print w }' "$OUT/$chart.txt")
            assert_equal "$chart $width" "$chart $cols"
        done
        # The y label stands apart from the tick numbers (it cannot turn).
        run grep -E 'calls *[0-9|+]' "$OUT/distribution.txt"
        assert_output --regexp '^ *calls +\|'
    done
}

# Without COLUMNS (a shell that does not export it), the width is the
# terminal's own: script(1) gives poolplot a terminal 97 columns wide.
@test "poolplot --terminal: without COLUMNS, as wide as the terminal it runs in" {
    env -u COLUMNS script -qec "stty cols 97 rows 40; $POOLPLOT --terminal -o '$OUT' --trace '$FIX/two-workers.csv' >/dev/null" /dev/null </dev/null
    local chart width
    for chart in timeline-two-workers calls-two-workers; do
        width=$(awk '{ if (length($0) > w) w = length($0) } END { print w }' "$OUT/$chart.txt")
        assert_equal "$chart $width" "$chart 97"
    done
}

@test "y labels stand clear of their tick labels; legend entries do not run together" {
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv"
    assert_success
    run $FIG ylabel-clear "$OUT/distribution.svg"
    assert_success
    run $FIG ylabel-clear "$OUT/speedup.svg"
    assert_success
    assert_line --partial "efficiency (%)"
    run $FIG legend-clear "$OUT/timeline-crash.svg" ok "crash (X)" "terminated (T)" \
        "worker died" "new worker took the slot"
    assert_success
    run $FIG legend-clear "$OUT/calls-crash.svg" "waiting in the queue" "running: ok" \
        "crash (X)" "terminated (T)"
    assert_success
    # crash.csv has no failed call: no legend entry for one.
    run $FIG texts "$OUT/timeline-crash.svg"
    refute_output --partial "error (!)"
    run $FIG legend-clear "$OUT/speedup.svg" makespan "lower bound" "efficiency (right axis)"
    assert_success
}

# Version 1 may carry one comment line after line 1 (room for a header that
# says where the trace came from): it is skipped, the figures are the same.
@test "trace reader: a comment line after line 1 is skipped" {
    sed '1a # program=future workers=2' "$FIX/two-workers.csv" >"$BATS_TEST_TMPDIR/two-workers.csv"
    run "$TRACESTAT" -n 2 "$BATS_TEST_TMPDIR/two-workers.csv"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/s"
    assert_equal "$(table_row two-workers "$BATS_TEST_TMPDIR/s")" \
        "two-workers 2 5 8.000 7.500 1.07 2/3 0.88/1.00"
    sed '1a # one\n# two' "$FIX/two-workers.csv" >"$BATS_TEST_TMPDIR/two.csv"
    refuses "line 3 is not the column header" "$TRACESTAT" "$BATS_TEST_TMPDIR/two.csv"
}

# The report: one page, nothing loaded from elsewhere, every call's
# function, PID, times, status and error in it; Chromium (headless, one
# start) draws it without a console message, and the screenshot has ink.
@test "poolplot --html: one self-contained page that Chromium draws without an error" {
    command -v chromium >/dev/null || fail "chromium is not installed (make deps installs it)"
    run "$POOLPLOT" --html -p lesson -o "$OUT" --trace "$FIX/two-workers.csv" "$FIX/crash.csv" \
        "$FIX/run-v3.csv" "$FIX/cancel.csv"
    assert_success
    page=$OUT/index.html
    assert_file_exists "$page"
    # Nothing from the network or another file.
    run grep -oiE '(src|href)=["'"'"'][^"'"'"']*' "$page"
    assert_output 'href="data:,'
    # (url(#...) names a pattern drawn in the page itself.)
    run grep -ciE 'https?://[^"]*\.(js|css|png|svg|woff)|@import|url\([^#]' "$page"
    assert_output 0
    # The figures in the page: every call of both traces, with what a hover shows.
    run sh -c "$FIG report '$page' | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d[\"program\"], [r[\"name\"] for r in d[\"runs\"]], [round(r[\"makespan\"], 3) for r in d[\"runs\"]])
for r in d[\"runs\"]:
    b = r[\"blocked\"]
    print(r[\"name\"], \"blocked\", None if b is None else len(b), b and b[0])
    for c in sorted(r[\"calls\"], key=lambda c: c[\"id\"]):
        print(r[\"name\"], c[\"id\"], c[\"fn\"], c[\"pid\"], c[\"submit\"], c[\"start\"], c[\"end\"], c[\"status\"], c[\"error\"])
'"
    assert_success
    assert_line "lesson ['two-workers', 'crash', 'run-v3', 'cancel'] [8.0, 3.0, 0.196, 0.502]"
    # When the master was blocked: v3 only (v1 does not say).
    assert_line "two-workers blocked None None"
    assert_line "run-v3 blocked 11 [0.006209, 0.026593, 'future_get #0']"
    assert_line 'two-workers 4 broken_function 100 0.00025 3.5 7.5 error ValueError: Called broken function, "on purpose"'
    assert_line "crash 1 crasher 400 0.0001 1.0 1.5 crash WorkerDied: worker 1 (pid 400) was killed by signal 9 (SIGKILL) while running crasher"
    assert_line "crash 4 work 0 0.00025 4.0 4.0 terminated Terminated: the pool was stopped before the task started"
    # One Chromium start: the screenshot, the page as drawn, and the console.
    # Its proxy leads nowhere: the page gets no network (the greps above
    # show it asks for none).
    profile=$BATS_TEST_TMPDIR/chromium
    run --separate-stderr timeout 60 chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0 \
        --proxy-server=127.0.0.1:9 \
        --window-size=1400,1000 --screenshot="$BATS_TEST_TMPDIR/shot.png" --dump-dom \
        "file://$(realpath "$page")"
    assert_success
    console=$(printf '%s\n' "$stderr" | grep -F ':CONSOLE' || true)
    [ -z "$console" ] || fail "the page logged to the console: $console"
    # Every call drawn twice (its worker's row and its own row): 29 calls.
    [[ $output =~ data-drawn=\"([0-9]+)\" ]] || fail "the page did not finish drawing"
    assert_equal "${BASH_REMATCH[1]}" 58
    [[ $output == *"lesson: where the calls went"* ]] || fail "no heading"
    # What hovering over call 4's box shows, as the page drew it.
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dom.html"
    run python3 - "$BATS_TEST_TMPDIR/dom.html" <<'EOF'
import html.parser, re, sys
class P(html.parser.HTMLParser):
    tips, blocked, marks, fills, text, texts = [], [], [], {}, None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get('class', '').split()
        tip = html.unescape(re.sub(r'<[^>]+>', ' | ', a.get('data-tip', '')))
        if tag == 'rect' and 'call' in cls and 'data-tip' in a:
            self.tips.append(tip)
            self.fills.setdefault(cls[1], set()).add(a['fill'])
        if tag == 'rect' and 'blocked' in cls and 'data-tip' in a:
            self.blocked.append(tip)
        if tag == 'circle' and 'mark' in cls:
            self.marks.append(cls[1] + tip)
        self.text = cls[0] if tag == 'text' and cls else None
    def handle_data(self, data):
        if self.text:
            self.texts.append(self.text + ': ' + data)
p = P()
p.feed(open(sys.argv[1]).read())
print(len(p.tips))
# Each status its own fill; the marks say how the worker ended.
for st, f in sorted(p.fills.items()):
    print('fill', st, ' '.join(sorted(f)))
for m in p.marks:
    print('mark', m)
for t in p.texts:
    print(t)
print(next(t for t in p.tips if '#4 broken_function' in t and 'PID 100' in t))
# The master's bars of run-v3, in its timeline and its calls chart.
print('blocked', len(p.blocked), p.blocked[0])
EOF
    assert_success
    assert_line 58
    assert_line "fill cancelled url(#fill-cancelled)"
    assert_line "fill crash url(#fill-crash)"
    assert_line "fill ok #9ecae1"
    assert_line "fill terminated url(#fill-terminated)"
    assert_line "fill error #fdae6b"
    assert_line "mark killed | a worker killed by the pool | worker w0 (pid 16850) was killed by signal 9 (SIGKILL: Killed): the pool killed it, as call #0 slow_square was cancelled while it ran | at 0.252 s"
    assert_line "mark died | a worker died | worker w1 (pid 400) died while running call #1 crasher | at 1.500 s"
    # Legends; one label for calls 2-5 of cancel in its timeline (and crash.csv's
    # call 4 in its), "never started" after each such call in the calls charts.
    assert_line "legend: cancelled (C)"
    assert_line "legend: worker killed by the pool"
    assert_equal "$(printf '%s\n' "$output" | grep -c '^notrun: #')" 2
    assert_equal "$(printf '%s\n' "$output" | grep -c '^notrun: never started$')" 5
    assert_line "notrun: #2-#5 slow_square C"
    assert_line "mark new | a new worker took the slot | worker w1 (pid 401) took the slot; this is where it began its first call | at 1.600 s"
    assert_line 'blocked 28  | the master was blocked | in future_get #0 | from 0.006 s to 0.027 s (0.020 s)'
    assert_line ' | #4 broken_function | worker w0, PID 100 | submitted 0.000 s, started 3.500 s, ended 7.500 s | waited in the queue 3.500 s, ran 4.000 s | status: error | error: ValueError: Called broken function, "on purpose"'
    grep -q '<table id="summary"><tr><th' "$BATS_TEST_TMPDIR/dom.html" || fail "no summary table"
    # The screenshot is not blank: many colours, and ink on part of it.
    run $FIG png-ink "$BATS_TEST_TMPDIR/shot.png"
    assert_success
    read -r colours ink <<<"$output"
    [ "$colours" -ge 50 ] || fail "screenshot has $colours colours"
    awk -v i="$ink" 'BEGIN { exit !(i > 0.03) }' || fail "screenshot is blank ($ink of it has ink)"
}

@test "bad traces: missing, empty, truncated, garbled, another version" {
    T=$BATS_TEST_TMPDIR
    good=$FIX/two-workers.csv
    refuses "nope.csv: no such file" "$POOLPLOT" -o "$OUT" --trace "$T/nope.csv"
    : >"$T/empty.csv"
    refuses "empty.csv: the file is empty" "$POOLPLOT" -o "$OUT" --trace "$T/empty.csv"
    head -c 300 "$good" >"$T/cut.csv"          # cut inside the record of the file's task 3
    refuses "cut.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/cut.csv"
    head -c -9 "$good" >"$T/cut2.csv"         # cut inside task 4's end time
    refuses "cut2.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/cut2.csv"
    head -n 1 "$good" >"$T/head.csv"
    refuses "head.csv: truncated" "$POOLPLOT" -o "$OUT" --trace "$T/head.csv"
    sed 's/^# pool-trace v1$/# pool-trace v5/' "$good" >"$T/v5.csv"
    refuses "v5.csv: line 1 says '# pool-trace v5': this tool reads formats v1 to v4" \
        "$POOLPLOT" -o "$OUT" --trace "$T/v5.csv"
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
    refuses "header.csv: line 2 is not the column header" "$POOLPLOT" -o "$OUT" --trace "$T/header.csv"
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

@test "trace v2: the pool's size comes from its header, so idle workers count in the bound" {
    # Five one-second calls on slots 0..4 of a pool of 8 (three idle).
    local t="$BATS_TEST_TMPDIR" k
    {
        echo "# pool-trace v2"
        echo '# workers=8 program="five" args="8" time_scale=1 start=2026-01-01T00:00:00.000000Z host="h" runtime=2.0'
        echo "task,function,pid,worker,submit_s,start_s,end_s,status,error"
        echo "# event worker=0 pid=100 t=0.000100 what=start"
        for k in 0 1 2 3 4; do
            echo "$((k + 1)),f,$((100 + k)),$k,0.000000,0.000000,1.000000,ok,"
        done
        echo '# event worker=4 pid=104 t=1.000100 what=end how="exited with status 0"'
    } >"$t/v2.csv"
    # The same records as v1: no header, so the size is the highest slot + 1.
    { echo "# pool-trace v1"; grep -v '^#' "$t/v2.csv"; } >"$t/v1.csv"
    run "$TRACESTAT" "$t/v2.csv" "$t/v1.csv"
    assert_success
    echo "$output" >"$t/s"
    # 5 s of work: on 8 workers the bound is the longest call, 1 s; the
    # tasks per worker list the three idle ones.
    assert_equal "$(table_row v2 "$t/s" | cut -d' ' -f2,3,6)" "8 5 1.00"
    assert_equal "$(table_row v2 "$t/s" | cut -d' ' -f7)" "1/1/1/1/1/0/0/0"
    assert_equal "$(table_row v1 "$t/s" | cut -d' ' -f2,3)" "5 5"
}

@test "trace v2: the time scale and the program's name come from the header when not given" {
    local t="$BATS_TEST_TMPDIR" k
    {
        echo "# pool-trace v2"
        echo '# workers=2 program="slowpoke" args="" time_scale=0.5 start=2026-01-01T00:00:00.000000Z host="h" runtime=2.0'
        echo "task,function,pid,worker,submit_s,start_s,end_s,status,error"
        for k in 0 1; do
            echo "$((k + 1)),f,$((100 + k)),$k,0.000000,0.000000,1.000000,ok,"
        done
    } >"$t/half.csv"
    mkdir -p "$t/out"
    run "$TRACESTAT" -o "$t/out" "$t/half.csv"
    assert_success
    assert_line --partial "measured seconds / 0.5"
    # 1 s measured is 2 s of the program's own.
    echo "$output" >"$t/s"
    assert_equal "$(table_row half "$t/s" | cut -d' ' -f4)" "2.000"
    run grep -h "slowpoke" "$t/out"/*.vars
    assert_success
}

# run-v3.csv is a real run of tests/plot/tasks on 2 workers (task 6 fails,
# task 9 kills its worker); run-v2.csv is the same run as version 2 wrote
# it: ids from 1, no master events. Every reader gives the same picture of
# the calls; only v3 has the master's row.
@test "trace v2 and v3 of one run: the same figures, calls and labels; v3 adds the master's row" {
    mkdir -p "$OUT"
    "$TRACESTAT" -o "$OUT" "$FIX/run-v2.csv" "$FIX/run-v3.csv" >"$BATS_TEST_TMPDIR/s"
    local ext
    for ext in tasks calls marks; do
        cmp "$OUT/run-v2.$ext" "$OUT/run-v3.$ext" || fail "the .$ext data differ"
    done
    for ext in rows callrows; do
        assert_equal "$(grep -v '^-1' "$OUT/run-v3.$ext")" "$(cat "$OUT/run-v2.$ext")"
    done
    # The labels count from 0, as the program's calls do.
    run cut -f2 "$OUT/run-v2.callrows"
    assert_line --index 0 "#0 nap"
    assert_line --index 6 "#6 fail !"
    assert_line --index 9 "#9 crash X"
    assert_equal "$(table_row run-v2 "$BATS_TEST_TMPDIR/s" | cut -d' ' -f2-)" \
        "$(table_row run-v3 "$BATS_TEST_TMPDIR/s" | cut -d' ' -f2-)"
    # The master's row: v3 only, one bar per wait in future_get (11: the
    # result of call 9 was there when asked for), from its wait to its resume.
    assert_equal "$(head -n 1 "$OUT/run-v3.rows")" "$(printf -- '-1\tmaster')"
    assert_equal "$(cat "$OUT/run-v2.master")" ""
    run awk -F'\t' '{ print $3, $4 }' "$OUT/run-v3.master"
    assert_equal "${#lines[@]}" 11
    assert_line --index 0 "0.006209 0.026593"
    assert_line --index 8 "0.140206 0.161827"
    assert_line --index 9 "0.161840 0.190824"
    assert_line --index 10 "0.190958 0.202509"
    grep -q '^mrow = 1$' "$OUT/run-v3.vars" && grep -q '^mrow = 0$' "$OUT/run-v2.vars" ||
        fail "mrow is not 1 for v3 and 0 for v2"
    # trace2json: the same task events; the master's only in v3.
    for v in 2 3; do
        "$TRACE2JSON" -o "$BATS_TEST_TMPDIR/v$v.json" "$FIX/run-v$v.csv"
        python3 - "$BATS_TEST_TMPDIR/v$v.json" >"$BATS_TEST_TMPDIR/v$v.ev" <<'PYEOF'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X']
for e in sorted(ev, key=lambda e: (e['cat'], e['ts'])):
    print(e['cat'], e['name'], e['pid'], e['ts'], e['dur'], e.get('args', {}).get('task'),
          e.get('args', {}).get('in'))
PYEOF
    done
    assert_equal "$(grep -v '^master' "$BATS_TEST_TMPDIR/v3.ev")" "$(cat "$BATS_TEST_TMPDIR/v2.ev")"
    run grep -c '^master blocked 11358 ' "$BATS_TEST_TMPDIR/v3.ev"
    assert_output 11
    run grep '^master' "$BATS_TEST_TMPDIR/v3.ev"
    assert_line --index 0 "master blocked 11358 6209.0 20384.0 None future_get #0"
    # The test oracle reads both alike.
    assert_equal "$(build/tools/trace/pooltrace tsv "$FIX/run-v3.csv")" \
        "$(build/tools/trace/pooltrace tsv "$FIX/run-v2.csv")"
    # The pictures: the master's row is drawn in v3's charts only. A v3
    # run whose master never blocked (it polled) says so on its row, and
    # has no legend entry for an empty row.
    grep -v 'worker=master' "$FIX/run-v3.csv" >"$BATS_TEST_TMPDIR/polled.csv"
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/run-v2.csv" "$FIX/run-v3.csv" "$BATS_TEST_TMPDIR/polled.csv"
    assert_success
    assert_svg_with_text "$OUT/timeline-run-v3.svg" "master blocked"
    assert_svg_with_text "$OUT/calls-run-v3.svg" "master blocked"
    run $FIG legend-clear "$OUT/timeline-run-v3.svg" ok "error (!)" "crash (X)" \
        "master blocked" "worker died" "new worker took the slot"
    assert_success
    run $FIG texts "$OUT/timeline-run-v2.svg"
    refute_output --partial "master"
    assert_equal "$(head -n 1 "$OUT/data/polled.rows")" "$(printf -- '-1\tmaster: never blocked')"
    run $FIG texts "$OUT/timeline-polled.svg"
    assert_output --partial "master: never blocked"
    refute_output --partial "master blocked"
    # The overview keeps room for that row's name: the PNG's left edge has no ink.
    run python3 -c '
import sys
sys.path.insert(0, "tests/plot")
import figures
w, h, bpp, rows = figures.png_pixels(sys.argv[1])
print(sum(1 for r in rows for i in range(0, 4 * bpp, bpp) if r[i:i + 3] != rows[0][:3]))' "$OUT/overview.png"
    assert_output 0
}

# Lesson 3's traces, as its programs wrote them on 2 workers (POOL_TIME_SCALE
# 0.25). cancel.csv: calls 0 and 1 cancelled while they ran (their workers,
# pids 16850 and 16851, killed at 0.2519 and 0.2523), calls 2-5 cancelled
# before they began (all at 0.2513), call 6 ok in pid 16862, which took
# slot 1. timeout.csv: calls 1 and 2 past their limit (pids 17403 and
# 17402 killed), 0 and 3 ok. retry.csv: call 0 retried once (pid 19450
# killed), call 1 retried twice and then a crash (pids 19449, 19454, 19535).
# The charts' data, unscaled (crash.csv, a v1 trace, has no scale).
@test "a retry waits in the queue from its try before's end, not from the call's submit" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" -j "$OUT/r.json" "$FIX/retry.csv"
    assert_success
    # Calls chart rows in id order, each try its own: call 0 (tries at rows
    # 0 and 1), call 1 (rows 2, 3, 4). A later try's wait bar starts where
    # the try before ended (column 4 of the row before), and is short.
    run awk -F'\t' 'NR > 1 && $2 != prev_end && $1 != 2 { print "row " $1 " waits from " $2 ", the try before ended at " prev_end }
                    $1 == 2 && $2 > 0.01 { print "row 2, a first try, waits from " $2 }
                    { prev_end = $4 }' "$OUT/retry.calls"
    assert_output ""
    run awk -F'\t' '$10 > 0.1 { print "row " $1 " waited " $10 " s" }' "$OUT/retry.calls"
    assert_output ""
    # The report's JSON says when each try was queued.
    run python3 -c 'import json, sys
calls = json.load(open(sys.argv[1]))["runs"][0]["calls"]
print(sorted((c["id"], round(c["queued"], 6), c["status"]) for c in calls if c["queued"] > c["submit"]))' "$OUT/r.json"
    assert_output --regexp "^\[\(0, [0-9.]+, 'ok'\), \(1, [0-9.]+, '(retried|crash)'\), \(1, [0-9.]+, '(retried|crash)'\)\]$"
}

@test "lesson 3's statuses: cancelled, timeout, retried and crash each drawn as itself" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/cancel.csv" "$FIX/timeout.csv" "$FIX/retry.csv" "$FIX/crash.csv"
    assert_success
    assert_line --partial "stopped      6 cancelled, 0 timeout"
    assert_line --partial "stopped      0 cancelled, 2 timeout"
    # task id, row, status code (1 ok ... 5 retried, 6 cancelled, 7 timeout).
    run awk -F'\t' '{ print $9, $2, $7 }' "$OUT/cancel.tasks"
    assert_output "2 4 6
3 4 6
4 4 6
5 4 6
0 0 6
1 2 6
6 3 1"
    run awk -F'\t' '{ print $9, $7 }' "$OUT/timeout.tasks"
    assert_output "1 7
0 1
2 7
3 1"
    run awk -F'\t' '{ print $9, $7 }' "$OUT/retry.tasks"
    assert_output "0 5
1 5
1 5
0 1
1 3"
    # The marks after the ids, in the calls chart's rows and the text chart.
    run cut -f2 "$OUT/cancel.callrows"
    assert_line --index 1 "#0 slow_square C"
    run cut -f2 "$OUT/timeout.callrows"
    assert_line --index 2 "#1 wait_forever L"
    run cut -f2 "$OUT/retry.callrows"
    assert_line --index 1 "#0 slow_square R"
    assert_line --index 5 "#1 initial X"
    run awk -F'\t' '$9 == 1 { print $10 }' "$OUT/timeout.tasks"
    assert_output "#1 L"
    # A legend entry for each status a run has, and none for the others.
    run grep -E '^st[0-9] = "[^"]' "$OUT/cancel.vars"
    assert_output 'st1 = "ok"
st6 = "cancelled (C)"'
    run grep -E '^st[0-9] = "[^"]' "$OUT/timeout.vars"
    assert_output 'st1 = "ok"
st7 = "timeout (L)"'
    run grep -E '^st[0-9] = "[^"]' "$OUT/retry.vars"
    assert_output 'st1 = "ok"
st3 = "crash (X)"
st5 = "retried (R)"'
}

# Each status looks its own way (colour, fill, edge), and the same in the
# PNG and SVG charts (the .vars tracestat writes for gnuplot) as in the
# report (its JSON): both come from runtime/status.h, the one table of the
# status words and their looks, which the runtime's writer uses too. No
# other file spells a status's colour.
@test "every status has its own colour and fill, the same in the charts and the report, from one table" {
    mkdir -p "$OUT"
    "$TRACESTAT" -o "$OUT" -j "$OUT/report.json" "$FIX/crash.csv" >/dev/null
    run python3 - "$OUT/crash.vars" "$OUT/overview.vars" "$OUT/report.json" runtime/status.h <<'EOF'
import json, re, sys
runvars, overvars, report, header = (open(p).read() for p in sys.argv[1:])
statuses = json.loads(report)["statuses"]
names = [s["word"] for s in statuses]
table = re.findall(r'X\((\w+), *"(\w+)", *"(.?)", *"([^"]*)", *"(#\w+)", *"(#\w+)", *(\d)', header)
assert [t[1] for t in table] == names, (table, names)
gpfill = {'3': 'solid', '1': 'cross', '2': 'cross', '4': 'down', '5': 'up'}
for gp in (runvars, overvars):
    lt = dict(re.findall(r"^set linetype (\d) lc rgb '(#\w+)'", gp, re.M))
    sp = re.search(r"array SP\[7\] = \[([^]]*)\]", gp).group(1).replace(' ', '').split(',')
    se = re.findall(r"'(#\w+)'", re.search(r"array SE\[7\] = \[([^]]*)\]", gp).group(1))
    for i, s in enumerate(statuses):
        g = (lt[str(i + 1)], se[i], gpfill[sp[i]])
        h = (s["fill"], s["edge"], s["pattern"])
        assert g == h, '%s: charts %s, report %s' % (s["word"], g, h)
looks = {(s["fill"], s["pattern"]) for s in statuses}
for s in statuses:
    print(s["word"], s["fill"], s["pattern"], s["legend"])
assert len(names) == 7 and len(looks) == 7, 'two statuses look alike'
assert len({s["mark"] for s in statuses[1:]}) == 6, 'two statuses share a mark'
EOF
    assert_success
    assert_line "cancelled #d9a300 up cancelled (C)"
    assert_line "timeout #dd3497 down timeout (L)"
    # The one table: no other source spells a status's colour, or the
    # status words as a list.
    run grep -rlE '#d9a300|#dd3497|"terminated", *"(cancelled|retried)"' runtime tools tests/runtime
    assert_output "runtime/status.h"
}

# A worker that did not exit normally is marked where it ended: at the end
# of the call it held (crash, retried: "died"; cancelled or past its limit:
# "killed" by the pool), and where the worker that took its slot began.
@test "every worker end that was not a normal exit is marked, with how it ended" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" -j "$OUT/r.json" "$FIX/cancel.csv" "$FIX/timeout.csv" "$FIX/retry.csv"
    assert_success
    run cat "$OUT/cancel.marks"
    # Each replacement from its start event (slot 0's ran nothing).
    assert_output "$(printf '1.007484\t-0.42\t3\tkilled\n1.007768\t0.58\t2\treplaced\n1.009120\t1.58\t3\tkilled\n1.009328\t2.58\t2\treplaced')"
    run awk -F'\t' '{ print $1, $4 }' "$OUT/timeout.marks"
    assert_output "2.050984 killed
2.051400 replaced
3.021480 killed
3.021816 replaced"
    # retry: four workers died (one in call 0, three in call 1's tries).
    run grep -c died "$OUT/retry.marks"
    assert_output 4
    # The hover's reason in the report.
    run python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["runs"]:
    for m in r["marks"]:
        print(r["name"], m["kind"], m["row"], m["why"])' "$OUT/r.json"
    assert_line "cancel killed 0 worker w0 (pid 16850) was killed by signal 9 (SIGKILL: Killed): the pool killed it, as call #0 slow_square was cancelled while it ran"
    assert_line "timeout killed 2 worker w1 (pid 17403) was killed by signal 9 (SIGKILL: Killed): the pool killed it, as call #1 wait_forever ran past its time limit"
    assert_line "retry died 2 worker w0 (pid 19535) was killed by signal 11 (SIGSEGV: Segmentation fault) while running call #1 initial"
    # trace2json: one instant event per worker end that was not an exit 0.
    for r in cancel timeout retry; do
        "$TRACE2JSON" -o "$BATS_TEST_TMPDIR/$r.json" "$FIX/$r.csv"
        want=$(grep 'what=end how="' "$FIX/$r.csv" | grep -v 'how="exited with status 0"' |
            sed 's/.* pid=\([0-9]*\) .*how="\(.*\)"$/\1 \2/')
        got=$(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["traceEvents"]:
    if e["ph"] == "i":
        print(e["pid"], e["args"]["how"])' "$BATS_TEST_TMPDIR/$r.json")
        [ -n "$want" ] || fail "$r.csv has no worker killed"
        assert_equal "$got" "$want"
    done
    # And the charts show them: no legend entry for a mark a run lacks.
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/cancel.csv" "$FIX/timeout.csv" "$FIX/retry.csv"
    assert_success
    run $FIG legend-clear "$OUT/timeline-cancel.svg" ok "cancelled (C)" "master blocked" \
        "worker killed by the pool" "new worker took the slot"
    assert_success
    run $FIG legend-clear "$OUT/timeline-retry.svg" ok "crash (X)" "retried (R)" "worker died"
    assert_success
    run $FIG legend-clear "$OUT/calls-timeout.svg" "running: ok" "timeout (L)"
    assert_success
    run $FIG texts "$OUT/timeline-cancel.svg"
    refute_output --partial "terminated (T)"
    refute_output --partial "crash (X)"
    refute_output --partial "worker died"
    # The overview's one legend holds what any of the runs has.
    run $FIG legend-clear "$OUT/overview.svg" ok "crash (X)" "retried (R)" "cancelled (C)" \
        "timeout (L)" "worker died" "worker killed by the pool"
    assert_success
}

# cancel.csv: calls 2-5 were cancelled before they began, all at 0.2513 s:
# one label for the four, not four labels on one spot.
@test "calls that never started: one label per group, no two texts on one spot" {
    mkdir -p "$OUT"
    run "$TRACESTAT" -o "$OUT" "$FIX/cancel.csv"
    assert_success
    run cat "$OUT/cancel.notrun"
    assert_output "$(printf '1.005192\t4\t#2-#5 slow_square C\t0')"
    run awk -F'\t' '$2 == 4 && $8 != " " { print }' "$OUT/cancel.tasks"
    assert_output ""
    # Calls that never started at times far apart keep a label each, at
    # its own place; ids that do not follow on are listed.
    awk -F, -v OFS=, '$1 == 5 { $6 = $7 = "0.4" } $1 == 3 { $8 = "terminated" } { print }' \
        "$FIX/cancel.csv" >"$BATS_TEST_TMPDIR/spread.csv"
    run "$TRACESTAT" -o "$OUT" "$BATS_TEST_TMPDIR/spread.csv"
    assert_success
    run cut -f1,3 "$OUT/spread.notrun"
    assert_output "$(printf '1.005192\t#2 C, #3 T, #4 C\n1.600000\t#5 slow_square C')"
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/cancel.csv" "$BATS_TEST_TMPDIR/spread.csv"
    assert_success
    for svg in timeline-cancel timeline-spread overview; do
        run $FIG texts-clear "$OUT/$svg.svg"
        assert_success
    done
    run $FIG texts "$OUT/timeline-cancel.svg"
    assert_line --regexp $'\t#2-#5 slow_square C$'
}

@test "make plots says 'as shipped' only for the balance exercise as shipped; the sum kept beside it is the shipped file's" {
    sha256sum -c --status exercises/lesson1/balance.c.sha256 ||
        fail "exercises/lesson1/balance.c.sha256 is not the sum of the shipped exercise: update it with the exercise"
    run make -n --no-print-directory plots-lesson1
    assert_output --partial '"balance (lesson 1, as shipped)"'
    # An edited exercise: its sum is not the one kept.
    sed 's/^[0-9a-f]*/0000/' exercises/lesson1/balance.c.sha256 >"$BATS_TEST_TMPDIR/edited.sha256"
    run make -n --no-print-directory plots-lesson1 LESSON1_BALANCE_SUM="$BATS_TEST_TMPDIR/edited.sha256"
    assert_output --partial '"balance (lesson 1, your version)"'
    refute_output --partial 'as shipped'
}

# Chromium lays the report out; a script added to a copy of it asks each
# text of the charts where it was drawn (getBBox), so a name cut at a
# chart's left edge is caught as the browser draws it.
@test "the report: no text cut at a chart's edge, 'master: never blocked' included" {
    command -v chromium >/dev/null || fail "chromium is not installed (make deps installs it)"
    grep -v 'worker=master' "$FIX/run-v3.csv" >"$BATS_TEST_TMPDIR/polled.csv"
    run "$POOLPLOT" --html -o "$OUT" --trace "$BATS_TEST_TMPDIR/polled.csv" "$FIX/retry.csv"
    assert_success
    python3 - "$OUT/index.html" "$OUT/probe.html" <<'EOF2'
import sys
s = open(sys.argv[1]).read()
probe = ('<script>{const bad=[];document.querySelectorAll("svg text:not([transform])")'
         '.forEach(t=>{const b=t.getBBox();const v=t.ownerSVGElement.viewBox.baseVal;const w=v&&v.width?v.width:t.ownerSVGElement.width.baseVal.value;'
         'if(b.x<-0.5||b.x+b.width>w+0.5)bad.push(t.textContent)});'
         'document.body.setAttribute("data-clipped",bad.join("|")||"none")}</script>')
i = s.rindex('</body>')
open(sys.argv[2], 'w').write(s[:i] + probe + s[i:])
EOF2
    run --separate-stderr timeout 60 chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --no-first-run --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
        --proxy-server=127.0.0.1:9 --window-size=1600,1000 --dump-dom "file://$(realpath "$OUT/probe.html")"
    assert_success
    [[ $output == *'master: never blocked'* ]] || fail "the row is not drawn"
    [[ $output =~ data-clipped=\"([^\"]*)\" ]] || fail "the probe did not run"
    assert_equal "${BASH_REMATCH[1]}" none
}

# cancel.csv: slot 0's worker 16850 was killed at 0.2519 and 16861 took
# the slot at 0.251942 (its start event), then ran nothing; slot 1's 16862
# started at 0.252332 and ran call 6 later.
@test "a replacement's row and its mark begin at its start event, with calls or without" {
    run "$POOLPLOT" -o "$OUT" --trace "$FIX/cancel.csv"
    assert_success
    run cat "$OUT/data/cancel.rows"
    assert_line "$(printf '1\tw0 pid 16861')"
    assert_line "$(printf '3\tw1 pid 16862')"
    # In program seconds, as the rest (the run's POOL_TIME_SCALE is 0.25).
    run awk -F'\t' '$4 == "replaced" { print $1, $2 }' "$OUT/data/cancel.marks"
    assert_line "1.007768 0.58"
    assert_line "1.009328 2.58"
    assert_equal "${#lines[@]}" 2
}

# Twelve calls of 0.03 s from x = 0 on one worker, beside one of 8 s: far
# too narrow for a label each. Before, each had its id without the "#"
# ("7X" read like a value), all drawn over each other. Now a label is drawn
# only where it fits inside its box; the others are named on hover.
@test "timeline labels: only inside their boxes, never an id without its #, each call named on hover" {
    { echo "# pool-trace v1"
      echo "task,function,pid,worker,submit_s,start_s,end_s,status,error"
      awk 'BEGIN { for (i = 0; i < 12; i++)
                       printf "%d,f,100,0,0.000000,%.6f,%.6f,%s,\n", i + 1, i * 0.03, i * 0.03 + 0.03, i == 7 ? "crash" : "ok"
                   print "13,long_one,101,1,0.000000,0.000000,8.000000,ok,"
                   print "14,mid,100,0,0.000000,0.400000,0.800000,cancelled,C" }'
    } >"$BATS_TEST_TMPDIR/narrow.csv"
    run "$POOLPLOT" -o "$OUT" --trace "$BATS_TEST_TMPDIR/narrow.csv"
    assert_success
    for svg in timeline-narrow overview calls-narrow; do
        run $FIG texts-clear "$OUT/$svg.svg"
        assert_success
    done
    # The boxes' labels (16 pt): each starts with "#", and lies inside its
    # box (x from the axis' ticks 0 and 8; a character 0.62 of the size).
    run $FIG box-labels "$OUT/timeline-narrow.svg" "$OUT/data/narrow.tasks"
    assert_success
    assert_output "#12 long_one
#13C"
    # Every call, labelled or not, is named when the mouse is over its box.
    for id in 0 5 7 11 12 13; do
        grep -q "showHypertext(evt,'#$id " "$OUT/timeline-narrow.svg" || fail "no hover for #$id"
    done
}

# Lesson 3's crash program, traced and plotted as make plots-lesson3 does
# (1, 2 and 4 workers, POOL_TIME_SCALE 0.25): call #2 kills its worker,
# which is replaced. What an instructor shows a class, checked where it is
# drawn: in the SVG twins of the PNGs (text and place) and in the report
# as headless Chromium lays it out. A screenshot of the report is left in
# the output folder, beside the PNGs, for a person to look at.
@test "lesson 3's crash run: labels in their boxes with their #, counts over their bars, the replacement from its start" {
    local prog=build/lessons/lesson3/crash n
    [ -x "$prog" ] || fail "$prog is missing: run make first"
    command -v chromium >/dev/null || fail "chromium is not installed (make deps installs it)"
    run "$POOLPLOT" --html -w 1,2,4 -s 0.25 -p "crash (lesson 3)" -o "$OUT" "$prog"
    assert_success
    for n in 1 2 4; do
        assert_equal "$(png_size "$OUT/timeline-w$n.png")" "1600 900"
        assert_equal "$(png_size "$OUT/calls-w$n.png")" "1600 900"
        run $FIG box-labels "$OUT/timeline-w$n.svg" "$OUT/data/w$n.tasks"
        assert_success
        assert_line --regexp '^#2( population)? X$'
        for svg in timeline-w$n calls-w$n; do
            run $FIG texts-clear "$OUT/$svg.svg"
            assert_success
        done
        # The replacement's row and mark begin at its start event.
        pid=$(awk -F, '$8 == "crash" { print $3 }' "$OUT/w$n.csv")
        slot=$(awk -F, '$8 == "crash" { print $4 }' "$OUT/w$n.csv")
        new=$(grep "what=start" "$OUT/w$n.csv" | grep "worker=$slot " | tail -1)
        t=$(sed 's/.* t=\([0-9.]*\) .*/\1/' <<<"$new")
        newpid=$(sed 's/.* pid=\([0-9]*\) .*/\1/' <<<"$new")
        [ "$newpid" != "$pid" ] || fail "w$n: no replacement for pid $pid"
        run awk -F'\t' -v t="$t" '$4 == "replaced" { d = $1 - t / 0.25; print (d < 1e-5 && d > -1e-5) }' "$OUT/data/w$n.marks"
        assert_output 1
        grep -q "w$slot pid $newpid\$" "$OUT/data/w$n.rows" || fail "w$n: no row for the replacement $newpid"
    done
    for svg in overview distribution; do
        run $FIG texts-clear "$OUT/$svg.svg"
        assert_success
    done
    # One bar per slot: each run's counts add up to its six calls, and the
    # slot whose worker died shows its two processes ("1+1", "3+3", ...).
    run awk -F'\t' '{ s[$3] += $2; if ($6 ~ /\+/) r[$3]++ } END { for (i = 1; i <= 3; i++) print s[i], r[i] }' "$OUT/data/distribution.dat"
    assert_output "6 1
6 1
6 1"
    # The report, as Chromium draws it: each box label inside its box and
    # never an id without its "#", no two labels over each other; each
    # count just over its bar.
    python3 - "$OUT/index.html" "$OUT/probe.html" <<'PYEOF'
import sys
s = open(sys.argv[1]).read()
probe = r'''<script>{
const bad = [];
const over = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
document.querySelectorAll("svg").forEach(svg => {
  const labels = [...svg.querySelectorAll("text.label")];
  labels.forEach((t, i) => {
    const r = t.previousElementSibling, b = t.getBBox();
    if (!r || r.tagName !== "rect") { bad.push("no box for " + t.textContent); return; }
    const x = +r.getAttribute("x"), w = +r.getAttribute("width");
    if (b.x < x - 0.5 || b.x + b.width > x + w + 0.5) bad.push("out of its box: " + t.textContent);
    if (/^\d/.test(t.textContent)) bad.push("an id without #: " + t.textContent);
    labels.slice(i + 1).forEach(u => { if (over(b, u.getBBox())) bad.push("overlap: " + t.textContent + " / " + u.textContent); });
  });
  svg.querySelectorAll("text.count").forEach(t => {
    const b = t.getBBox(), mid = b.x + b.width / 2;
    const bars = [...svg.querySelectorAll("rect.bar")].filter(r =>
      +r.getAttribute("x") < mid && mid < +r.getAttribute("x") + +r.getAttribute("width"));
    const top = Math.min(...bars.map(r => +r.getAttribute("y")));
    if (!(b.y + b.height <= top + 1 && b.y + b.height > top - 12)) bad.push("count not over its bar: " + t.textContent);
  });
});
document.body.setAttribute("data-bad", bad.join("|") || "none");
document.body.setAttribute("data-labels", [...document.querySelectorAll("text.label")].length);
document.body.setAttribute("data-counts", [...document.querySelectorAll("text.count")].map(t => t.textContent).join(" "));
}</script>'''
i = s.rindex('</body>')
open(sys.argv[2], 'w').write(s[:i] + probe + s[i:])
PYEOF
    run --separate-stderr timeout 60 chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --no-first-run --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
        --proxy-server=127.0.0.1:9 --window-size=1600,1000 --dump-dom "file://$(realpath "$OUT/probe.html")"
    assert_success
    [[ $output =~ data-bad=\"([^\"]*)\" ]] || fail "the probe did not run"
    assert_equal "${BASH_REMATCH[1]}" none
    [[ $output =~ data-labels=\"([0-9]+)\" ]] && [ "${BASH_REMATCH[1]}" -gt 20 ] || fail "labels: ${BASH_REMATCH[1]}"
    [[ $output =~ data-counts=\"([^\"]*)\" ]] || fail "no counts"
    [[ ${BASH_REMATCH[1]} == *+* ]] || fail "no replaced slot's count: ${BASH_REMATCH[1]}"
    run --separate-stderr timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --disable-background-networking --no-first-run --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
        --proxy-server=127.0.0.1:9 --window-size=1600,1000 --screenshot="$OUT/report.png" \
        "file://$(realpath "$OUT/index.html")"
    assert_equal "$(png_size "$OUT/report.png")" "1600 1000"
}
