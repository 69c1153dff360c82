#!/usr/bin/env bats
# The benchmark at smoke size: the table's shape and that every result is
# checked. No timing is asserted here: speed is read from `make bench`.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
    cd "$BATS_TEST_DIRNAME/.." || return 1
    make -s build/tools/bench/poolbench >&2
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

# The rows of the table (lines that start with "| " after the rule line).
rows() {
    awk '/^\|---/ { body = 1; next } body && /^\| / { print }' "$table"
}

# Field n (1-based, trimmed) of a table row.
field() {
    echo "$1" | awk -F'|' -v n="$2" '{ f = $(n + 1); gsub(/^ +| +$/, "", f); print f }'
}

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

@test "bench: ten figures, ten columns each, every one checked" {
    run rows
    assert_equal "${#lines[@]}" 10
    for row in "${lines[@]}"; do
        assert_equal "$(echo "$row" | awk -F'|' '{ print NF - 2 }')" 10
        assert_equal "$(field "$row" 10)" yes
    done
    header=$(grep -m1 '^| figure' "$table")
    assert_equal "$(field "$header" 3)" "ours: median (min-max)"
    assert_equal "$(field "$header" 4)" "Pool: median (min-max)"
    assert_equal "$(field "$header" 5)" "ours vs Pool"
    assert_equal "$(field "$header" 7)" "met"
}

@test "bench: figures against Python have numbers on both sides, a ratio and a verdict" {
    command -v python3 >/dev/null || skip "no python3 here (tools/deps installs it)"
    run rows
    for i in 0 1 3 4 5; do
        row=${lines[$i]}
        assert_regex "$(field "$row" 3)" '^[0-9.]+[kM]? \([0-9.]+[kM]?-[0-9.]+[kM]?\)$'
        assert_regex "$(field "$row" 4)" '^[0-9.]+[kM]? \([0-9.]+[kM]?-[0-9.]+[kM]?\)$'
        assert_regex "$(field "$row" 5)" '^[0-9.]+x$'
        assert_regex "$(field "$row" 7)" '^(yes|NO)$'
    done
    assert_regex "$(field "${lines[2]}" 5)" '^apply = [0-9.]+x floor$'
    assert_regex "$(field "${lines[7]}" 5)" '^[-+][0-9.]+% time vs off$'
    assert_regex "$(field "${lines[8]}" 3)" '^[0-9.]+ -> [0-9.]+$'
    assert_regex "$(field "${lines[9]}" 3)" '^[0-9.]+ -> [0-9.]+$'
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
    assert_equal "${#lines[@]}" 10
    row=${lines[1]}
    assert_regex "$(field "$row" 3)" '^[0-9.]+[kM]? \('
    assert_equal "$(field "$row" 4)" "no python3"
    assert_equal "$(field "$row" 5)" "-"
    assert_equal "$(field "$row" 8)" "no python3"
}

@test "bench: a bad size is refused with one clear line" {
    BENCH_SIZE=huge run tools/bench/bench
    assert_failure
    assert_output "bench: BENCH_SIZE must be full or smoke, not 'huge'"
}
