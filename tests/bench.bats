#!/usr/bin/env bats
# The benchmark at smoke size: the table's shape and that every result is
# checked. No timing is asserted here: speed is read from `make bench`.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
    cd "$BATS_TEST_DIRNAME/.." || return 1
    make -s build/tools/bench/poolbench build/tests/runtime/wakebench \
        build/tests/runtime/bytesbench >&2
    export BENCH_SIZE=smoke
    # One smoke run for the shape tests; they read its files.
    BENCH_OUT="$BATS_FILE_TMPDIR/table.txt" tools/bench/bench \
        > "$BATS_FILE_TMPDIR/stdout.txt" 2> "$BATS_FILE_TMPDIR/stderr.txt"
    echo $? > "$BATS_FILE_TMPDIR/status"
}

setup() {
    cd "$BATS_TEST_DIRNAME/.." || return 1
    table=$BATS_FILE_TMPDIR/table.txt
}

# The rows of the first table (lines that start with "| " after its rule
# line, up to the blank line that ends it).
rows() {
    awk '/^\|---/ { body = 1; next } body && !/^\| / { exit } body { print }' "$table"
}

# The one row of the first table whose figure (first column) starts with $1.
row_of() {
    rows | awk -F'|' -v want="$1" '{ f = $2; sub(/^ +/, "", f); if (index(f, want) == 1) print }'
}

# The rows of the redesign's table, and the one whose figure starts with $1.
rows2() {
    awk '/^The redesign.s targets/ { on = 1 } on && /^\|---/ { body = 1; next }
         body && !/^\| / { exit } body { print }' "$table"
}

row2_of() {
    rows2 | awk -F'|' -v want="$1" '{ f = $2; sub(/^ +/, "", f); if (index(f, want) == 1) print }'
}

# Whether perf can count system calls here, and whether strace can (as the
# bench decides which to use).
perf_counts() {
    command -v perf >/dev/null 2>&1 &&
        perf stat -x, -e syscalls:sys_enter_futex -o /dev/null -- true >/dev/null 2>&1
}

strace_counts() {
    command -v strace >/dev/null 2>&1 && strace -f -c -o /dev/null -- true >/dev/null 2>&1
}

# Field n (1-based, trimmed) of a table row.
field() {
    echo "$1" | awk -F'|' -v n="$2" '{ f = $(n + 1); gsub(/^ +| +$/, "", f); print f }'
}

# The figures, in table order (their labels' first words).
figures=(
    "pool start + 1st apply"
    "apply round trip"
    "shared-memory ping-pong"
    "the same, FUTEX_WAKE after every write"
    "raw pipe ping-pong"
    "apply_async 200 no-ops"
    "pool_map 200 ints, automatic chunks"
    "pool_map 1k ints, automatic chunks"
    "map 200 ints, 1 item per task"
    "5-call workload"
    "apply_async, tracing off"
    "apply_async, tracing on"
    "master peak RSS"
    "worker peak RSS"
    "idle pool of 2"
)

number='[0-9.]+[kM]?'
cell="^$number \\($number-$number\\)\$"

@test "bench: a smoke run succeeds and prints the table it writes" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
    run diff "$table" "$BATS_FILE_TMPDIR/stdout.txt"
    assert_success
}

@test "bench: the table names the machine and the size" {
    run head -n 4 "$table"
    assert_line --index 0 --regexp '^Parallel C benchmark, .* size smoke$'
    assert_line --index 1 --regexp '^machine: .*, [0-9]+ CPUs, Linux .*, (Python 3\.[0-9.]+ \(start method [a-z]+\)|no Python)$'
    assert_line --index 2 --regexp '^CPUs busy with other work: [0-9]+% just before, [0-9]+% just after'
    assert_line --index 3 --partial 'median of 2 runs after 1 warm-up'
}

@test "bench: every figure, in order, ten columns each, every one checked" {
    run rows
    assert_equal "${#lines[@]}" "${#figures[@]}"
    for i in "${!figures[@]}"; do
        row=${lines[$i]}
        label=$(field "$row" 1)
        assert_equal "${label:0:${#figures[$i]}}" "${figures[$i]}"
        assert_equal "$(echo "$row" | awk -F'|' '{ print NF - 2 }')" 10
        assert_equal "$(field "$row" 10)" yes
    done
    header=$(grep -m1 '^| figure' "$table")
    assert_equal "$(field "$header" 3)" "ours: median (min-max)"
    assert_equal "$(field "$header" 4)" "Pool: median (min-max)"
    assert_equal "$(field "$header" 5)" "ours vs Pool"
    assert_equal "$(field "$header" 6)" "target"
    assert_equal "$(field "$header" 7)" "met"
}

@test "bench: figures against Python have numbers on both sides, a ratio, a target and a verdict" {
    command -v python3 >/dev/null || skip "no python3 here (tools/deps installs it)"
    for fig in "pool start" "apply round trip" "apply_async 200" "pool_map 200 ints" \
               "pool_map 1k ints" "map 200 ints, 1 item" "5-call workload"; do
        row=$(row_of "$fig")
        assert_regex "$(field "$row" 3)" "$cell"
        assert_regex "$(field "$row" 4)" "$cell"
        assert_regex "$(field "$row" 5)" '^[0-9.]+x$'
        assert_regex "$(field "$row" 7)" '^(yes|NO)$'
    done
    assert_equal "$(field "$(row_of "apply round trip")" 6)" ">= 30x"
    assert_equal "$(field "$(row_of "apply_async 200")" 6)" ">= 100x"
    assert_equal "$(field "$(row_of "pool_map 200 ints")" 6)" ">= 5x"
    assert_equal "$(field "$(row_of "pool_map 1k ints")" 6)" ">= 5x"
    assert_equal "$(field "$(row_of "map 200 ints, 1 item")" 6)" ">= 30x"
    # concurrent.futures has no automatic chunk size: said, not left blank.
    assert_equal "$(field "$(row_of "pool_map 200 ints")" 8)" "no auto chunks"
    assert_equal "$(field "$(row_of "map 200 ints, 1 item")" 8)" "not run (slow)"
}

@test "bench: apply is set beside the shared-memory floor and the pipe" {
    row=$(row_of "shared-memory ping-pong")
    assert_regex "$(field "$row" 3)" "$cell"
    assert_regex "$(field "$row" 5)" '^apply = [0-9.]+x floor$'
    assert_equal "$(field "$row" 6)" "apply <= 3x"
    assert_regex "$(field "$row" 7)" '^(yes|NO)$'
    row=$(row_of "the same, FUTEX_WAKE after every write")
    assert_regex "$(field "$row" 3)" "$cell"
    assert_regex "$(field "$row" 5)" '^apply = [0-9.]+x this$'
    row=$(row_of "raw pipe ping-pong")
    assert_regex "$(field "$row" 3)" "$cell"
    assert_regex "$(field "$row" 5)" '^apply = [0-9.]+x pipe$'
    run grep -E '^floor: .*spin up to [0-9.]+ us then futex; futex sleeps per round trip: [0-9.]+ \([0-9.]+ waking every time\)\.$' "$table"
    assert_success
}

@test "bench: tracing, memory and the idle pool have a figure, a target and a verdict" {
    row=$(row_of "apply_async, tracing on")
    assert_regex "$(field "$row" 5)" '^[-+][0-9.]+% time vs off \([-+][0-9]+\.\.[-+][0-9]+\)$'
    assert_equal "$(field "$row" 6)" "<= +5%"
    assert_regex "$(field "$row" 7)" '^(yes|NO)$'
    assert_regex "$(field "$(row_of "master peak RSS")" 3)" '^[0-9.]+ -> [0-9.]+$'
    assert_regex "$(field "$(row_of "worker peak RSS")" 3)" '^[0-9.]+ -> [0-9.]+$'
    row=$(row_of "idle pool of 2")
    # The master and at least its two workers were found and measured.
    assert_regex "$(field "$row" 1)" '^idle pool of 2, 0\.2 s: master \+ ([2-9]|[1-9][0-9]+) processes$'
    assert_equal "$(field "$row" 2)" "% of 1 CPU"
    assert_regex "$(field "$row" 3)" '^[0-9]+\.[0-9][0-9]$'
    assert_equal "$(field "$row" 6)" "< 1%"
    assert_regex "$(field "$row" 7)" '^(yes|NO)$'
}

@test "bench: the targets of the new core are listed, each with met or NOT MET" {
    run sed -n '/^Targets of the new core/,/targets met/p' "$table"
    assert_equal "${#lines[@]}" 10
    assert_line --index 1 --regexp '^  apply round trip vs Pool\.apply +[0-9.]+x +target >= 30x +(met|NOT MET)$'
    assert_line --index 2 --regexp '^  apply round trip vs shared-memory floor +[0-9.]+x floor +target <= 3x +(met|NOT MET)$'
    assert_line --index 3 --regexp '^  apply_async vs Pool\.apply_async +[0-9.]+x +target >= 100x +(met|NOT MET)$'
    assert_line --index 4 --regexp '^  pool_map \(auto chunks\) vs Pool\.map, 200 +[0-9.]+x +target >= 5x +(met|NOT MET)$'
    assert_line --index 5 --regexp '^  pool_map \(auto chunks\) vs Pool\.map, 1k +[0-9.]+x +target >= 5x +(met|NOT MET)$'
    assert_line --index 6 --regexp '^  1 item per task vs Pool\.map chunksize=1 +[0-9.]+x +target >= 30x +(met|NOT MET)$'
    assert_line --index 7 --regexp '^  idle pool of 2 workers, CPU over 0\.2 s +[0-9.]+% of 1 CPU +target < 1% +(met|NOT MET)$'
    assert_line --index 8 --regexp '^  tracing cost \(apply_async time, paired runs\) +[-+][0-9.]+% +target <= \+5% +(met|NOT MET)$'
    assert_line --index 9 --regexp '^[0-8] of 8 targets met \(8 measured\)\.$'
}

@test "bench: the redesign's figures, each beside its anchor from the same run, with a ratio and a verdict" {
    run rows2
    assert_equal "${#lines[@]}" 11
    local labels=("pool_map 1k ints, automatic chunks" "pool_map_array 1k longs, automatic chunks"
        "pool_map_chunked 200 ints, chunks of 10"
        "apply_async 200 no-ops, then get all" "futex calls per apply_async call, busy pool"
        "mmap+munmap per 200-int map, chunks of 10" "mmap+munmap per 200-int map, automatic chunks"
        "apply round trip, no-op" "bytes, 1 MB to a task and back" "memcpy of 1 MB (floor)"
        "fork + wait for a child that exits (floor)")
    local i
    for i in "${!labels[@]}"; do
        assert_equal "$(field "${lines[$i]}" 1)" "${labels[$i]}"
        assert_equal "$(echo "${lines[$i]}" | awk -F'|' '{ print NF - 2 }')" 8
    done
    # Ours and its anchor ran in pairs: the ratio is the pairs' median
    # (min-max); the bytes come from bytesbench's medians: one ratio.
    local fig anchor target ratio
    local paired='^[0-9.]+x \([0-9.]+-[0-9.]+\)$' single='^[0-9.]+x$'
    while IFS=';' read -r fig anchor target ratio; do
        row=$(row2_of "$fig")
        assert_regex "$(field "$row" 2)" '^(ns/item|us/call|us)$'
        assert_regex "$(field "$row" 3)" "$cell"
        assert_equal "$(field "$row" 4)" "$anchor"
        assert_regex "$(field "$row" 5)" "$cell"
        assert_regex "$(field "$row" 6)" "${!ratio}"
        assert_equal "$(field "$row" 7)" "$target"
        assert_regex "$(field "$row" 8)" '^(yes|NO)$'
    done <<'END'
pool_map 1k ints;OpenMP, 2 threads, schedule(dynamic, 1024);<= 3x;paired
pool_map_array 1k;OpenMP, 2 threads, schedule(dynamic, 1024);<= 3x;paired
pool_map_chunked 200 ints;the same, chunks of 9;<= 1.5x;paired
apply_async 200;mutex+condvar pthread pool, 2 threads;<= 5x;paired
apply round trip;shared-memory spin ping-pong (floor);<= 2x;paired
bytes, 1 MB;two memcpys of 1 MB;<= 2x;single
END
    run grep -E '^[0-9]+ pairs after a warm-up pair; the ratio is the median \(min-max\) of the pairs' "$table"
    assert_success
    for fig in "memcpy of 1 MB" "fork + wait"; do
        row=$(row2_of "$fig")
        assert_regex "$(field "$row" 3)" "$cell"
        assert_equal "$(field "$row" 7)" "-"
        assert_equal "$(field "$row" 8)" "-"
    done
    run sed -n '/^The redesign.s targets/,$p' "$table"
    assert_line --regexp '^[0-9] of 9 targets met \([0-9] measured\)\.$'
}

@test "bench: system calls are counted, not timed: calls per call or per map, with a target" {
    # A count is the difference of two runs over two: it can end in .5, and
    # be below 0 when the two runs' own start-ups differ.
    local n='-?[0-9.]+[kM]?'
    local calls="^$n \\($n-$n\\)\$"
    local fig target how
    while IFS=';' read -r fig target how; do
        row=$(row2_of "$fig")
        assert_equal "$(field "$row" 2)" calls
        assert_equal "$(field "$row" 4)" "-"
        assert_equal "$(field "$row" 7)" "$target"
        if perf_counts || { [ "$how" = any ] && strace_counts; }; then
            assert_regex "$(field "$row" 3)" "$calls"
            assert_regex "$(field "$row" 8)" '^(yes|NO)$'
        else
            assert_regex "$(field "$row" 3)" '^not counted \('
            assert_equal "$(field "$row" 8)" "not measured"
        fi
    done <<'END'
futex calls per apply_async call;< 0.05;perf
mmap+munmap per 200-int map, chunks of 10;<= 10;any
mmap+munmap per 200-int map, automatic chunks;<= 10;any
END
    if perf_counts; then
        run grep -E "^calls: counted with perf's syscall tracepoints over the master and every process under it" "$table"
        assert_success
    fi
}

@test "bench: the waiter's wake-up, for one future, any of 16 and as-completed, spinning and asleep" {
    run awk '/^Waking the waiter/ { on = 1 } on && /^$/ { exit } on' "$table"
    assert_equal "${#lines[@]}" 7
    local how w
    for how in future_wait future_wait_any future_iter_next; do
        for w in 0 2000; do
            assert_line --regexp "^$how +call sleeps +$w us: median +[0-9.]+ us +p90 +[0-9.]+ us +p99 +[0-9.]+ us +\(20 calls\)$"
        done
    done
}

@test "bench: bytes of 1 MB and 100 MB to a task and back, beside a memcpy of the same size" {
    run sed -n '/^Bytes to a task and back/,$p' "$table"
    assert_equal "${#lines[@]}" 11
    local mb rate='[0-9.]+ GB/s +\([0-9.]+-[0-9.]+\) +[0-9.]+ ms'
    for mb in 1 100; do
        assert_line --regexp "^$mb MB \(2 runs of [0-9]+ round trips; GB/s = bytes moved / time\):$"
        assert_line --regexp "^  memcpy of $mb MB +$rate$"
        assert_line --regexp "^  no pool: 2 processes, 2 x $mb MB +$rate$"
        assert_line --regexp "^  round trip \(2 x $mb MB moved\) +$rate$"
    done
    assert_equal "$(grep -cE "a round trip takes [0-9.]+ times two memcpy's, [0-9.]+ times no pool" <<<"$output")" 2
}

@test "bench: with the MPI build, a round trip through a station and a map on 2 stations, each beside the local pool" {
    [ -x build/tests/mpi/relay ] && command -v mpirun >/dev/null 2>&1 ||
        skip "the MPI build is not there (make MPI=1)"
    run sed -n '/^Across machines/,/^$/p' "$table"
    assert_line --regexp "^  apply round trip, local pool of 2 workers +[0-9]+ us \([0-9.]+-[0-9.]+\)$"
    assert_line --regexp "^  apply round trip, through a station \(1 host\) +[0-9]+ us \([0-9.]+-[0-9.]+\)$"
    assert_line --regexp "^  target: local \+ 2 x MPI round trip \+ 100 us +[0-9]+ us: (met|not met)$"
    assert_line --regexp "^  stations / local: [0-9]+ % \(target: at least 50 %\)$"
}

@test "bench: a wrong answer on our side fails loudly, with no table" {
    BENCH_WRONG=c BENCH_OUT="$BATS_TEST_TMPDIR/t.txt" run tools/bench/bench
    assert_failure
    assert_output --partial 'poolbench: WRONG RESULT in create: call 1 gave 8, expected 7'
    assert_output --partial 'bench: FAILED'
    refute_output --partial '| figure'
    run cat "$BATS_TEST_TMPDIR/t.txt"
    assert_output --partial 'bench: FAILED'
}

@test "bench: a wrong answer on Python's side fails loudly, with no table" {
    command -v python3 >/dev/null || skip "no python3 here (tools/deps installs it)"
    BENCH_WRONG=py BENCH_OUT="$BATS_TEST_TMPDIR/t.txt" run tools/bench/bench
    assert_failure
    assert_output --partial 'bench_python.py: WRONG RESULT in create: call 1 gave 8, expected 7'
    assert_output --partial 'bench: FAILED'
    refute_output --partial '| figure'
}

@test "bench: without python3 our side still runs and the Python columns say so" {
    PYTHON=/nonexistent/python3 BENCH_OUT="$BATS_TEST_TMPDIR/t.txt" run tools/bench/bench
    assert_success
    assert_output --partial 'no usable /nonexistent/python3'
    table=$BATS_TEST_TMPDIR/t.txt
    run rows
    assert_equal "${#lines[@]}" "${#figures[@]}"
    row=$(row_of "apply round trip")
    assert_regex "$(field "$row" 3)" "$cell"
    assert_equal "$(field "$row" 4)" "no python3"
    assert_equal "$(field "$row" 5)" "-"
    assert_equal "$(field "$row" 8)" "no python3"
    run grep -E '^  apply_async vs Pool\.apply_async +no python3 +target >= 100x +not measured$' "$table"
    assert_success
    run grep -E '^[0-3] of 8 targets met \(3 measured\)\.$' "$table"
    assert_success
}

@test "bench: each new figure of ours checks its answers" {
    for fig in shmpong shmpong_wake map_auto map_big map_one idle map_c10 fork vs_omp vs_array vs_chunks \
               vs_threads vs_floor; do
        run build/tools/bench/poolbench --wrong --reps 1 --calls 10 --items 50 --big-items 50 \
            --tasks 50 --idle 0.1 "$fig"
        assert_failure 2
        assert_output --partial "poolbench: WRONG RESULT in $fig: call 0 gave "
    done
}

@test "bench: figures that share helpers run one after another in one process, each answer right" {
    # Both floors start a fresh page and child: the second must not go on
    # counting from where the first stopped.
    run build/tools/bench/poolbench --reps 1 --calls 10 --tasks 50 --items 50 --big-items 50 \
        shmpong vs_floor shmpong_wake vs_threads vs_threads vs_chunks vs_omp
    assert_success
    assert_equal "$(grep -c '^result figure=.* check=ok$' <<<"$output")" 17
}

@test "bench: each new figure of Python's checks its answers" {
    command -v python3 >/dev/null || skip "no python3 here (tools/deps installs it)"
    for fig in map_auto map_big map_one; do
        run python3 tools/bench/bench_python.py --wrong --reps 1 --items 50 --big-items 50 "$fig"
        assert_failure 2
        assert_output --partial "bench_python.py: WRONG RESULT in $fig: call 0 gave 1, expected 0"
    done
}

@test "bench: a bad size is refused with one clear line" {
    BENCH_SIZE=huge run tools/bench/bench
    assert_failure
    assert_output "bench: BENCH_SIZE must be full or smoke, not 'huge'"
}
