#!/usr/bin/env bats
# The trace and the supervisor under faults (tests/runtime/tracefaults):
# workers killed while they write their records, the supervisor killed,
# killed while it names a dead worker's frames, or stopped; a worker dead
# before its call began; the file-size limit, a full disk, an I/O error. Each trace is checked whole by
# pooltrace (tools/trace), and counted: one final record per call, as
# many ok records as calls that returned.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/runtime"
POOLTRACE="$ROOT/build/tools/trace/pooltrace"

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/runtime/tracefaults build/tests/runtime/callevents \
        build/tests/runtime/slowfork.so build/tests/runtime/failwrite.so build/tests/plot/tasks >&2
}

setup() {
    export POOL_TRACE="$BATS_TEST_TMPDIR/trace.csv"
    TSV="$BATS_TEST_TMPDIR/trace.tsv"
    unset POOL_WORKERS POOL_TIME_SCALE
}

teardown() {
    no_leftovers
}

# check_trace: the trace is whole (pooltrace check), each task id has one final
# record, and TSV holds the records.
check_trace() {
    "$POOLTRACE" tsv "$POOL_TRACE" >"$TSV" || fail "pooltrace refused the trace"
    local doubled
    doubled=$(awk -F'\t' '$8 != "retried" { print $1 }' "$TSV" | sort | uniq -d | head -3)
    [ -z "$doubled" ] || fail "tasks with two final records: $doubled"
}

# field NAME: the number after NAME= in the program's output line.
field() {
    sed -n "s/.*[ :]$1=\([0-9]*\).*/\1/p" <<<"$output"
}

@test "workers killed at random while they write their records: each call has one whole record" {
    run --separate-stderr timeout 120 nice "$BIN/tracefaults" killflush 150
    assert_success
    check_trace
    [ "$(count 1)" -eq "$(field calls)" ] || fail "$(count 1) records for $(field calls) calls"
    [ "$(count '$8 == "ok"')" -eq "$(field ok)" ] || fail "ok records: $(count '$8 == "ok"'), ok calls: $(field ok)"
    [ "$(count '$8 == "crash"')" -eq "$(field failed)" ]
}

@test "the supervisor killed: the records of the calls that returned are written, the calls not begun still run" {
    run --separate-stderr timeout 60 "$BIN/tracefaults" supkill 400
    assert_success
    check_trace
    [ "$(count 1)" -eq 400 ]
    [ "$(count '$8 == "ok"')" -eq "$(field ok)" ] || fail "ok records: $(count '$8 == "ok"'), ok calls: $(field ok)"
    # Only the calls running when it died fail (at most one per worker).
    [ "$(field failed)" -le 2 ] || fail "$output"
    [ "$(count '$8 == "crash" && $9 ~ /^PoolError: the pool.s supervisor process \(pid [0-9]+\) died while the task ran/')" -eq "$(field failed)" ]
    [[ $stderr == *"a new one"*"runs the calls not begun"* ]] || fail "stderr: $stderr"
}

@test "the supervisor killed while it names a dead worker's frames: the call is the dead worker's, once" {
    local fake="$BATS_TEST_TMPDIR/bin" pid
    mkdir -p "$fake"
    # An addr2line that says it runs, then waits (as under a heavy load).
    printf '#!/bin/sh\necho $$ >"%s/naming.pid"\nmv "%s/naming.pid" "%s/naming"\nexec sleep 20\n' \
        "$fake" "$fake" "$fake" >"$fake/addr2line"
    chmod +x "$fake/addr2line"
    PATH="$fake:$PATH" run --separate-stderr timeout 60 "$BIN/tracefaults" supkillfail "$fake"
    kill "$(cat "$fake/naming")" 2>/dev/null || true
    assert_success
    check_trace
    [ "$(count 1)" -eq 1 ]
    pid=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' <<<"$output")
    [ "$(count "\$3 == $pid && \$4 == 0 && \$8 == \"crash\"")" -eq 1 ] || fail "$(cat "$TSV")"
}

@test "the supervisor stopped (SIGSTOP): pool_destroy kills it after a bound and returns; the running call is terminated" {
    run --separate-stderr timeout 30 "$BIN/tracefaults" supstop
    assert_success
    assert_output "supstop: pool_destroy returned"
    [[ $stderr == *"has not answered"*"it is killed"* ]] || fail "stderr: $stderr"
    check_trace
    [ "$(count '$2 == "nap" && $8 == "terminated"')" -eq 1 ]
}

@test "a worker dies before its call begins (its initializer crashes): start_s is end_s, the message says so" {
    run --separate-stderr timeout 30 "$BIN/tracefaults" initcrash
    assert_success
    check_trace
    [ "$(count '$8 == "crash" && $6 == $7 && $5 <= $6')" -eq 3 ] || fail "$(cat "$TSV")"
    [ "$(count '$9 ~ /before it began add/')" -eq 3 ]
}

# A worker's start event is no later than the start of any call it ran,
# even when its parent is slow to get back from fork() (slowfork.so holds
# the parent 50 ms, while the new worker takes a call at once).
@test "a new worker that begins a call before its parent returns from fork: its start event comes first" {
    SLOWFORK_MS=50 LD_PRELOAD="$BIN/slowfork.so" TASKS_CRASH=1 \
        run --separate-stderr timeout 30 "$ROOT/build/tests/plot/tasks" 2
    assert_success
    check_trace
    run awk -F, 'NR == FNR { if (/^# event worker=[0-9]+ .*what=start$/) {
                                 split($0, f, /[ =]/); began[f[6]] = f[8]; n++ }
                             next }
                 /^#/ || /^task,/ { next }
                 ($3 in began) && $6 + 0 < began[$3] + 0 {
                     printf "task %s began at %s on pid %s, whose start event says %s\n",
                            $1, $6, $3, began[$3] }
                 END { if (n != 3) printf "%d start events, not 3\n", n }' \
        "$POOL_TRACE" "$POOL_TRACE"
    assert_output ""
}

# The master opens its descriptor for the trace when the trace is opened,
# not at its first record: a program that then runs out of descriptors
# still has its waits traced. (Opened late, it failed, and the range it had
# claimed stayed a run of NUL bytes between the records around it.)
@test "a master that can open no more descriptors after pool_create: its records are written, no hole" {
    run --separate-stderr timeout 30 "$BIN/tracefaults" nofile
    assert_success
    assert_equal "$stderr" ""
    check_trace
    [ "$(tr -d '\0' <"$POOL_TRACE" | wc -c)" -eq "$(wc -c <"$POOL_TRACE")" ] ||
        fail "NUL bytes in the trace"
    [ "$(count '$8 == "ok"')" -eq 20 ]
    # A wait is traced when its call has not ended yet: most of the 20.
    [ "$(grep -c '^# event worker=master .*what=wait' "$POOL_TRACE")" -ge 1 ]
}

@test "the file-size limit (ulimit -f) reached by the trace: records are lost, no process is; one warning" {
    run --separate-stderr bash -c "ulimit -f 16; exec timeout 60 '$BIN/tracefaults' many 3000"
    assert_success
    assert_output "many: 3000 calls returned"
    [ "$(grep -c 'trace records are lost' <<<"$stderr")" -eq 1 ] || fail "stderr: $stderr"
    [[ $stderr == *"file-size limit"* ]]
    check_trace
    [ "$(count 1)" -lt 3000 ]
}

# A tmpfs of 16 KiB, mounted in a mount namespace of the test's own (the
# machine's mounts are not touched), fills up after a few hundred records
# (or at a worker's first batch: it writes up to 32 KiB at once). Before,
# a write stopped part way by the full disk left the file's end inside a
# record, or a record lost between two written left NUL bytes.
@test "the disk full under the trace (ENOSPC): records are lost whole, no process is; one warning" {
    [ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root (CI runs as root)"
    local dir="$BATS_TEST_TMPDIR/small"
    mkdir -p "$dir"
    unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs '$dir'" 2>/dev/null ||
        skip "no private mount namespace with a tmpfs here (unshare -m, mount -t tmpfs)"
    run --separate-stderr unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs '$dir' &&
        POOL_TRACE='$dir/trace.csv' timeout 60 '$BIN/tracefaults' many 3000; s=\$?
        cp '$dir/trace.csv' '$POOL_TRACE'; exit \$s"
    assert_success
    assert_output "many: 3000 calls returned"
    [ "$(grep -c 'trace records are lost' <<<"$stderr")" -eq 1 ] || fail "stderr: $stderr"
    [[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
    check_trace
    [ "$(count 1)" -lt 3000 ] || fail "$(count 1) records"
}

# failwrite.so makes every write to the trace fail with EIO once the file
# holds 360,000 bytes: in the master, the supervisor and the workers alike.
# The run's trace would be 460,000: 316,000 of call events, which the
# master writes as it makes the calls, all within the first milliseconds,
# and 143,000 of records. (At 4 KiB, the master's first batch of call
# events alone filled the file, and no record got in.)
@test "an I/O error on the trace (EIO): records are lost, no process is; one warning" {
    LD_PRELOAD="$BIN/failwrite.so" FAILWRITE_PATH="$POOL_TRACE" FAILWRITE_BYTES=360000 \
        run --separate-stderr timeout 60 "$BIN/tracefaults" many 3000
    assert_success
    assert_output "many: 3000 calls returned"
    [ "$(grep -c 'trace records are lost' <<<"$stderr")" -eq 1 ] || fail "stderr: $stderr"
    [[ $stderr == *"Input/output error"* ]] || fail "stderr: $stderr"
    check_trace
    [ "$(count 1)" -gt 0 ] && [ "$(count 1)" -lt 3000 ] || fail "$(count 1) records"
}

# slow_addr2line DIR SECONDS: an addr2line in DIR that names nothing, takes
# that long, then leaves DIR/named (naming a backtrace under a heavy load).
slow_addr2line() {
    mkdir -p "$1"
    printf '#!/bin/sh\nsleep %s\ntouch "%s/named"\n' "$2" "$1" >"$1/addr2line"
    chmod +x "$1/addr2line"
}

@test "backtraces on, naming slow: a call's retry starts ahead of the six calls that wait" {
    local fake="$BATS_TEST_TMPDIR/bin"
    slow_addr2line "$fake" 1
    PATH="$fake:$PATH" run --separate-stderr timeout 60 "$BIN/tracefaults" retryahead "$fake"
    assert_success
    check_trace
    # The second try of task 0 starts before any of tasks 1-6.
    retry=$(awk -F'\t' '$1 == 0 && $8 == "ok" { print $6 }' "$TSV")
    first=$(awk -F'\t' '$1 > 0 { print $6 }' "$TSV" | sort -n | head -1)
    awk -v a="$retry" -v b="$first" 'BEGIN { exit !(a < b) }' ||
        fail "the retry started at $retry, a waiting call at $first: $(cat "$TSV")"
    [ "$(count '$1 == 0 && $8 == "retried"')" -eq 1 ]
}

@test "backtraces on, naming slow: a time limit is kept while a death beside it is named" {
    local fake="$BATS_TEST_TMPDIR/bin"
    slow_addr2line "$fake" 3
    PATH="$fake:$PATH" run --separate-stderr timeout 60 "$BIN/tracefaults" limitheld "$fake"
    assert_success
    check_trace
    [ "$(count '$2 == "spin_forever" && $8 == "timeout"')" -eq 1 ]
    [ "$(count '$2 == "crash_later" && $8 == "crash"')" -eq 1 ]
}

# The call events (runtime/TRACE.md): the runtime itself writes one for
# every call a program makes, whichever public call made it and whichever
# file of the library that call sits in, so a reader (the grader) learns
# every call from the trace.
@test "call events: one per task, naming the public call that made it, its function and arguments" {
    run --separate-stderr timeout 60 "$BIN/callevents"
    assert_success
    local want=$output
    check_trace
    run "$POOLTRACE" calls "$POOL_TRACE"
    assert_success
    # One event per task: the task, the public call, the function.
    assert_equal "$(cut -f1,3,4 <<<"$output" | sort -u -n | tr '\t' ' ')" "$want"
    # Every task id that has a record has its call event.
    assert_equal "$(cut -f1 "$TSV" | sort -n -u)" "$(cut -f1 <<<"$output" | sort -n -u)"
    # The arguments, as kind and value; a map's chunk gives one line per input.
    assert_line $'1\t-\tpool_apply_async_retries\tadd\tint\t3\tint\t4'
    assert_line $'5\t3\tpool_map\tsquare\tint\t4'
    assert_line $'6\t1\tpool_starmap\tadd\tint\t3\tint\t4'
    assert_line $'8\t1\tpool_map_async\tsquare\tint\t2'
    assert_line $'13\t-\tpool_map_array\ttwice[1..1]\tbytes\t8'
    assert_line $'14\t-\tpool_apply_async\tkinds\tstr\ta "quoted"\\tword\tdouble\t2.0\tnone'
}

# pooltrace, the one reader as a command: each broken rule is one line
# naming the line of the file, and exit status 1; the grader's lenient
# reading takes the records as written, and refuses only a repeated id.
@test "pooltrace: one line per problem and exit 1; a bad command line exits 2; --lenient takes records as written" {
    local t="$BATS_TEST_TMPDIR/bad.csv"
    printf '%s\n' '# pool-trace v3' \
        '# workers=2 program="p" args="" time_scale=1 start=2026-11-26T21:29:27.085074Z host="vm" runtime=2.1' \
        'task,function,pid,worker,submit_s,start_s,end_s,status,error' \
        '0,f,10,0,0.000001,0.000002,0.000003,ok,' \
        '1,f,0,3,0.5,0.000004,0.000001,fine,' \
        '# event worker=master pid=9 t=0.000001 what=resume in=future_wait on=0' \
        '# event worker=master pid=9 t=0.000001 what=call api=pool_apply_async fn="f" on=0 args="1, \"a\""' \
        '# event nonsense' >"$t"
    run "$POOLTRACE" check "$t"
    assert_failure 1
    assert_line --partial "line 5: pid 0 with worker 3"
    assert_line --partial "line 5: submit_s '0.5' is not seconds with six decimals"
    assert_line --partial "line 5: unknown status 'fine'"
    assert_line --partial "line 6: a resume without its wait"
    assert_line --partial "line 8: a bad event line"
    assert_equal "${#lines[@]}" 6
    run "$POOLTRACE" tsv --lenient "$t"
    assert_success
    assert_line $'1\tf\t0\t3\t0.5\t0.000004\t0.000001\tfine\t'
    run "$POOLTRACE" calls --lenient "$t"
    assert_output $'0\t-\tpool_apply_async\tf\tint\t1\tstr\ta'
    run "$POOLTRACE" tsv
    assert_failure 2
    run "$POOLTRACE" final "$t" x
    assert_failure 2
    run "$POOLTRACE" check "$BATS_TEST_TMPDIR/none.csv"
    assert_failure 1
    assert_output --partial "cannot read it"
}

# Version 4 (a pool whose calls run at MPI stations): a record's host, rank
# and slot must be a station's, as its "# host" line says; "hosts=" belongs
# to version 4 alone. tests/plot/run-v4.csv is a whole v4 trace.
@test "pooltrace check on version 4: a slot past the station's workers, a host or rank of no station, hosts= in v3: refused" {
    local good="$ROOT/tests/plot/run-v4.csv" t="$BATS_TEST_TMPDIR"
    run "$POOLTRACE" check "$good"
    assert_success
    assert_output ""
    run "$POOLTRACE" tsv "$good"
    assert_success
    assert_equal "$(awk -F'\t' '{ print NF }' <<<"$output" | sort -u)" 11
    run "$POOLTRACE" tsv --lenient "$good"
    assert_equal "$(awk -F'\t' '{ print NF }' <<<"$output" | sort -u)" 9
    sed 's/^1,add,101,1,/1,add,101,2,/' "$good" >"$t/slot.csv"
    sed 's/^\(1,add,.*\),hostB,1$/\1,hostC,1/' "$good" >"$t/host.csv"
    sed 's/^\(1,add,.*\),hostB,1$/\1,hostB,2/' "$good" >"$t/rank.csv"
    sed '1s/v4/v3/; 3d; 4s/,host,rank$//; 5,$s/,[^,]*,-\{0,1\}[0-9]*$//' "$good" >"$t/v3hosts.csv"
    run "$POOLTRACE" check "$t/slot.csv"
    assert_failure 1
    assert_output --partial "line 6: worker 2 is no slot of rank 1"
    run "$POOLTRACE" check "$t/host.csv"
    assert_failure 1
    assert_output --partial "line 6: host 'hostC' and rank '1' are no station's"
    run "$POOLTRACE" check "$t/rank.csv"
    assert_failure 1
    assert_output --partial "line 6: host 'hostB' and rank '2' are no station's"
    run "$POOLTRACE" check "$t/v3hosts.csv"
    assert_failure 1
    assert_output --partial "line 2 is not the header line"
}
