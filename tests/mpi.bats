#!/usr/bin/env bats
# Pools across MPI ranks (make MPI=1: libpool_mpi.a, runtime/mpi/), on one
# machine: tools/poolrun starts the master (rank 0, running main) and its
# stations, each with an ordinary local pool; tests/mpi/relay.c is a plain
# pool.h program. Calls, maps, errors and bytes come back as locally; a
# worker, a station and the master each killed with kill -9 at a known
# moment (the pid a task wrote) end what they should and nothing more; a
# rank that runs another build is refused with a sentence.
#
# Open MPI comes only with make deps MPI=1: without mpicc every test skips.
# Every run is under timeout; each test ends with no process of the
# program left. Open MPI's PMIx noise on stderr is left out by poolrun.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'runtime/helpers'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/mpi"
POOLRUN="$ROOT/tools/poolrun"

setup_file() {
    command -v mpicc >/dev/null 2>&1 || return 0
    nice -n 10 make -C "$ROOT" -s --no-print-directory MPI=1 mpi >&2
}

setup() {
    command -v mpicc >/dev/null 2>&1 ||
        skip "Open MPI is not installed (make deps MPI=1 installs it)"
    export POOL_WORKERS=2 PIDFILE="$BATS_TEST_TMPDIR/pids"
    unset POOL_TRACE POOL_MPI_LEASE RETRIES
}

teardown() {
    command -v mpicc >/dev/null 2>&1 || return 0
    no_leftovers
}

# on CMD [ARG]: run the relay program under poolrun with 2 stations.
on() {
    run --separate-stderr timeout -k 5 60 nice -n 10 "$POOLRUN" -S 2 "$BIN/relay" "$@"
}

# in_background CMD [ARG]: the same, in the background: its stdout, stderr
# and status go to files in the test's folder (out, err, rc).
in_background() {
    { local rc=0
      timeout -k 5 60 nice -n 10 "$POOLRUN" -S 2 "$BIN/relay" "$@" \
          >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
      echo $rc >"$BATS_TEST_TMPDIR/rc"; } &
}

# ppid PID: its parent.
ppid() { awk '{ print $4 }' "/proc/$1/stat"; }

# pid_of_call I: the pid of the worker that wrote "I PID" to $PIDFILE
# (waited for, 20 s at most).
pid_of_call() {
    local i
    for i in $(seq 200); do
        grep -q "^$1 " "$PIDFILE" 2>/dev/null && break
        sleep 0.1
    done
    awk -v i="$1" '$1 == i { print $2; exit }' "$PIDFILE"
}

# The master: the process of the program whose rank is 0.
master_pid() {
    local d
    for d in /proc/[0-9]*; do
        [ "$(readlink "$d/exe" 2>/dev/null)" = "$BIN/relay" ] || continue
        tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=0 &&
            { echo "${d#/proc/}"; return; }
    done
}

@test "make MPI=1 builds libpool_mpi.a; libpool.a names no MPI symbol" {
    [ -f "$ROOT/build/lib/libpool_mpi.a" ]
    nm "$ROOT/build/lib/libpool_mpi.a" 2>/dev/null | grep -q ' U MPI_Isend'
    make -C "$ROOT" -s --no-print-directory build/lib/libpool.a
    run ! bash -c "nm '$ROOT/build/lib/libpool.a' | grep -i ' mpi_'"
}

@test "calls run in the stations' workers; pool_size counts every station's" {
    on hello
    assert_success
    assert_line "hello: ok"
    assert_line "size 4"
    [ "$(grep -c '^ran ' <<<"$output")" -eq 4 ]
}

@test "pool_apply across ranks, round trips timed" {
    on apply 100
    assert_success
    assert_line "apply: ok"
    assert_line --regexp '^apply: [0-9]+ us a call$'
}

@test "the master's pool processes only stand in for calls: none wakes for a call that runs at a station" {
    on standins
    assert_success
    assert_line "standins: ok"
}

@test "future_host and future_pid say where each call ran, across stations and on one machine" {
    on where
    assert_success
    assert_line "where: ok"
    [ "$(grep -c "^call [0-9]: $(hostname) [0-9]*$" <<<"$output")" -eq 8 ]
    # Without mpirun the same program has a local pool: this host's name.
    run --separate-stderr timeout 30 "$BIN/relay" where
    assert_success
    assert_line "where: ok"
}

@test "a trace across stations is v4: each call's host and rank, a line per station with its clock; every reader reads it" {
    export POOL_TRACE="$BATS_TEST_TMPDIR/t.csv"
    on where
    assert_success
    local said="$output"
    run head -n 1 "$POOL_TRACE"
    assert_output "# pool-trace v4"
    run grep -c '^# host name="'"$(hostname)"'" rank=[12] workers=2 cpus=[0-9]* clock_offset_us=[-+][0-9]* clock_uncertainty_us=[0-9]* build_id=[0-9a-f]*$' "$POOL_TRACE"
    assert_output 2
    run "$ROOT/build/tools/trace/pooltrace" check "$POOL_TRACE"
    assert_success
    assert_output ""
    run "$ROOT/build/tools/trace/pooltrace" tsv "$POOL_TRACE"
    assert_success
    [ "${#lines[@]}" -eq 8 ]
    # Each record's host and pid are those its call returned (call i is task
    # i), and its rank a station's.
    local recs="$output"
    run awk -F'\t' 'NR == FNR { split($0, w, "[: ]+"); host[w[2]] = w[3]; pid[w[2]] = w[4]; next }
                     $8 != "ok" || ($11 != 1 && $11 != 2) || $10 != host[$1] || $3 != pid[$1] { bad++ }
                     END { exit bad || FNR != 8 }' <(grep '^call ' <<<"$said") <(echo "$recs")
    assert_success
    make -C "$ROOT" -s --no-print-directory build/tools/plot/tracestat
    run "$ROOT/build/tools/plot/tracestat" "$POOL_TRACE"
    assert_success
    assert_output --partial "tasks        8: 8 ok"
    # The grader's reading: the nine columns of every version.
    run "$ROOT/build/tools/trace/pooltrace" tsv --lenient "$POOL_TRACE"
    assert_success
    [ "${#lines[@]}" -eq 8 ]
    run awk -F'\t' 'NF != 9 { bad++ } END { exit bad }' <<<"$output"
    assert_success
}

@test "pool_apply_async and future_as_completed across ranks" {
    on async
    assert_success
    assert_line "async: ok"
}

@test "pool_map and pool_starmap with automatic chunks, a chunk a message" {
    on map
    assert_success
    assert_line "map: ok"
}

@test "a task's error and a bad argument come back as the same errors" {
    on errors
    assert_success
    assert_line "errors: ok"
}

@test "a task at a station sees the program as it began; pool_set_initializer reaches every station" {
    on state
    assert_success
    assert_line "a task sees 1"
    assert_line "state: ok"
}

@test "1 MiB of bytes there and back, byte-exact" {
    on bytes
    assert_success
    assert_line "bytes: ok"
}

@test "a task's segfault at a station: WorkerDied with the place, the host and the rank" {
    on crash
    assert_success
    assert_line "crash: ok"
    assert_line --regexp "^error: WorkerDied: worker [0-9]+ \(pid [0-9]+\) on $(hostname) \(rank [12]\) was killed by signal 11 .* in crash_on at tests/mpi/relay.c:[0-9]+"
}

@test "a time limit stops a call at its station, and the pool goes on" {
    on limit
    assert_success
    assert_line "limit: ok"
    assert_line --regexp "^error: Timeout: sleeper ran past its limit of 0.5 s; its worker [0-9]+ on $(hostname) \(rank [12]\)"
}

@test "future_kill of a call running at a station" {
    on kill
    assert_success
    assert_line "kill: ok"
}

@test "a worker killed at a station mid-call fails only that call, naming host and rank" {
    in_background victim
    local w
    w=$(pid_of_call 0)
    [ -n "$w" ]
    kill -9 "$w"
    wait
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line "victim: ok"
    assert_line "ok 3 of 4; size 4"
    assert_line --regexp "^call 0: WorkerDied: worker [0-9]+ \(pid $w\) on $(hostname) \(rank [12]\) was killed by signal 9"
}

@test "a station killed: its calls fail with StationDied, the others end, pool_size shrinks" {
    in_background station 4
    local w station
    w=$(pid_of_call 0)
    station=$(ppid "$(ppid "$w")")      # worker -> its supervisor -> the station
    [ "$(readlink "/proc/$station/exe")" = "$BIN/relay" ]
    kill -9 "$station"
    wait
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line "station: ok"
    assert_line "ok 2 of 4; size 2"
    assert_line --regexp "^call 0: StationDied: rank [12] on $(hostname) stopped answering while running sleeper \(try 1 of 1\)"
    run cat "$BATS_TEST_TMPDIR/err"
    assert_line --regexp "^pool: rank [12] on .* has said nothing for 2 s"
}

@test "a station killed: calls with a try left run again at the other station" {
    export RETRIES=1
    in_background station 4
    local w station
    w=$(pid_of_call 0)
    station=$(ppid "$(ppid "$w")")
    kill -9 "$station"
    wait
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line "station: ok"
    assert_line "ok 4 of 4; size 2"
    # Call 0 began twice: at the dead station, then at the other.
    [ "$(grep -c '^0 ' "$PIDFILE")" -eq 2 ]
}

@test "the master killed: every station and pool process ends within the lease and a few seconds; poolrun says so" {
    in_background forever
    pid_of_call 3 >/dev/null
    local m i left
    m=$(master_pid)
    [ -n "$m" ]
    kill -9 "$m"
    # The lease is 2 s; every process of the program is gone well within 8.
    for i in $(seq 80); do
        left=$(ours)
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$left" ] || fail "left 8 s after the master's death: $left"
    wait
    [ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 137 ]
    run cat "$BATS_TEST_TMPDIR/err"
    assert_line --partial "poolrun: the master (rank 0, running $BIN/relay) died before main ended"
}

@test "a rank that runs another build is refused with a sentence, no hang" {
    run --separate-stderr timeout -k 5 20 nice -n 10 mpirun --enable-recovery --bind-to none \
        --oversubscribe --allow-run-as-root -x POOL_MPI=1 -x POOL_WORKERS \
        -n 1 "$BIN/relay" hello : -n 1 "$BIN/other" hello
    [ "$status" -ne 124 ]
    assert_line --regexp "^pool_create: rank 1 on .* runs another build of the program \(build-id [0-9a-f]+, not [0-9a-f]+\): every rank must run the same binary"
}

@test "poolrun: bad input gets a sentence and status 2" {
    run "$POOLRUN"
    [ "$status" -eq 2 ]
    assert_output --partial "usage: tools/poolrun"
    run "$POOLRUN" -S zero "$BIN/relay" hello
    [ "$status" -eq 2 ]
    assert_output --partial "-S wants a number of stations per host"
    run "$POOLRUN" "$BATS_TEST_TMPDIR/nothing-here"
    [ "$status" -eq 2 ]
    assert_output --partial "is not a program"
    run "$POOLRUN" --print -H a,b -S 2 "$BIN/relay" hello
    assert_success
    assert_output --partial "--enable-recovery --bind-to none --oversubscribe"
    assert_output --partial "-H a:3,b:2 -n 5 $BIN/relay hello"
}

# Two simulated hosts (tools/poolrun --sim-hosts 2): network namespaces,
# so root only.

need_netns() {
    [ "$(id -u)" -eq 0 ] || skip "two simulated hosts need root (network namespaces)"
    command -v ip >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 ||
        skip "two simulated hosts need ip and unshare"
    ip netns add "pcprobe$$" 2>/dev/null || skip "network namespaces cannot be made here"
    ip netns del "pcprobe$$"
}

# sim CMD [ARG]: the relay program on two simulated hosts, a station each.
sim() {
    run --separate-stderr timeout -k 5 60 nice -n 10 "$POOLRUN" --sim-hosts 2 "$BIN/relay" "$@"
}

# No namespace of a poolrun left.
no_namespaces() {
    run bash -c "ip netns list | grep -E '^pc[0-9]+h[0-9]+'"
    [ -z "$output" ] || fail "namespaces left: $output"
}

@test "two simulated hosts: each call's host, in the trace and future_host, is the host its task saw" {
    need_netns
    export POOL_TRACE="$BATS_TEST_TMPDIR/t.csv"
    sim where
    assert_success
    assert_line "where: ok"
    local said="$output"
    grep -q '^call [0-9]: hostA ' <<<"$said"
    grep -q '^call [0-9]: hostB ' <<<"$said"
    run grep -c '^# host name="host[AB]" rank=[12] workers=2 .*clock_uncertainty_us=[0-9]* ' "$POOL_TRACE"
    assert_output 2
    run "$ROOT/build/tools/trace/pooltrace" check "$POOL_TRACE"
    assert_success
    run "$ROOT/build/tools/trace/pooltrace" tsv "$POOL_TRACE"
    assert_success
    run awk -F'\t' 'NR == FNR { split($0, w, "[: ]+"); host[w[2]] = w[3]; pid[w[2]] = w[4]; next }
                     $10 != host[$1] || $3 != pid[$1] { bad++ }
                     END { exit bad || FNR != 8 }' <(grep '^call ' <<<"$said") <(echo "$output")
    assert_success
    no_namespaces
}

@test "two simulated hosts: a station killed fails its calls naming its host; no hang at the end, nothing left" {
    need_netns
    export POOL_MPI_LEASE=1     # the lease is not what this test is about: 1 s is quicker
    { local rc=0
      timeout -k 5 60 nice -n 10 "$POOLRUN" --sim-hosts 2 "$BIN/relay" station 4 \
          >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
      echo $rc >"$BATS_TEST_TMPDIR/rc"; } &
    local w station host
    w=$(pid_of_call 0)
    [ -n "$w" ]
    station=$(ppid "$(ppid "$w")")
    host=$(nsenter -t "$station" -u hostname)      # its simulated host's name
    [[ $host == host[AB] ]]
    kill -9 "$station"
    wait
    [ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 0 ]
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line "station: ok"
    assert_line "ok 2 of 4; size 2"
    assert_line --regexp "^call 0: StationDied: rank [12] on $host stopped answering"
    no_namespaces
}

@test "poolrun --sim-hosts: ended by a signal, it leaves no namespace and no process" {
    need_netns
    timeout -k 5 60 "$POOLRUN" --sim-hosts 2 "$BIN/relay" forever >/dev/null 2>&1 &
    local run=$!
    pid_of_call 3 >/dev/null
    ip netns list | grep -q "^pc[0-9]*h2"
    kill -TERM "$(pgrep -P "$run" -f poolrun || echo "$run")" 2>/dev/null || true
    kill -TERM "$run" 2>/dev/null || true
    wait || true
    no_namespaces
}

@test "poolrun --sim-hosts: bad counts and no root get a sentence and status 2" {
    run "$POOLRUN" --sim-hosts 1 "$BIN/relay" hello
    [ "$status" -eq 2 ]
    assert_output --partial "--sim-hosts wants a number of hosts (2 to 26), not '1'"
    run "$POOLRUN" --sim-hosts x "$BIN/relay" hello
    [ "$status" -eq 2 ]
    run "$POOLRUN" --sim-hosts 2 -H a,b "$BIN/relay" hello
    [ "$status" -eq 2 ]
    assert_output --partial "-H and --sim-hosts do not go together"
    if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$POOLRUN" --sim-hosts 2 "$BIN/relay" hello
        [ "$status" -eq 2 ]
        assert_output --partial "--sim-hosts needs root"
    fi
}
