#!/usr/bin/env bats
# The grader against hostile submissions (tests/fixtures/hostile/), graded
# for real, as root in CI: they attack the grader, not the lesson. Each
# test proves one point: no secret leaks, no file outside changes, no
# outside process is touched, nothing is left running or lying about.
#
# What they aim at is made here, in this run's own folder: a secret and a
# target file (root's, mode 600), and a canary process. The fixtures hold
# "/nonexistent" and "CANARY 0" where the test writes those paths and PIDs.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# hostile_copy NAME DEST: the fixture, aimed at this run's secrets.
hostile_copy() {
    mkdir -p "$2"
    sed -e "s|/nonexistent/secret|$OUTSIDE/secret|; s|/nonexistent/target|$OUTSIDE/target|" \
        -e "s|#define CANARY 0|#define CANARY $(cat "$BATS_FILE_TMPDIR/canary.pid")|" \
        -e "s|#define OUTSIDE \"/nonexistent\"|#define OUTSIDE \"$OUTSIDE\"|" \
        -e "s|#define LOOK_IN \"/nonexistent\"|#define LOOK_IN \"$OUTSIDE:$PWD/solutions/lesson2:$BATS_FILE_TMPDIR/subs\"|" \
        "tests/fixtures/hostile/$1/${3:-failures}.c" >"$2/${3:-failures}.c"
}

# The batches' bands of sandbox UIDs: this run's own, so that another
# grader running meanwhile is not seen (each student k has band k + 1).
band() { echo $((1300000000 + ($(cat "$BATS_FILE_TMPDIR/pid") % 10000) * 65536)); }
# Processes of this run's sandbox UIDs still alive, zombies aside.
sandbox_procs() { ps -eo uid=,stat=,args= | awk -v lo="$(band)" '$1 >= lo && $1 < lo + 65536 && $2 !~ /^Z/'; }

setup_file() {
    [ "$(id -u)" -eq 0 ] || skip "the hostile suite runs as root (as CI does)"
    cd "$BATS_TEST_DIRNAME/.."
    [ -f build/lib/libpool.a ] || make -s build/lib/libpool.a
    echo $$ >"$BATS_FILE_TMPDIR/pid"
    export GRADE_UID_BASE
    GRADE_UID_BASE=$(band)
    export OUTSIDE=$BATS_FILE_TMPDIR/outside
    mkdir -p "$OUTSIDE"
    tok=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    echo "$tok" >"$BATS_FILE_TMPDIR/token"
    printf 'HOSTILE-SECRET-%s\n' "$tok" >"$OUTSIDE/secret"
    printf 'TARGET-%s\n' "$tok" >"$OUTSIDE/target"
    chmod 600 "$OUTSIDE/secret" "$OUTSIDE/target"
    cp -p "$OUTSIDE/target" "$BATS_FILE_TMPDIR/target.orig"
    cp -p "$OUTSIDE/secret" "$BATS_FILE_TMPDIR/secret.orig"
    # The canary: a process of root's, in a session and group of its own.
    setsid sleep 4343 </dev/null >/dev/null 2>&1 &
    echo $! >"$BATS_FILE_TMPDIR/canary.pid"
    rm -f /tmp/grade-hostile-leftover /var/tmp/grade-hostile-leftover /dev/shm/grade-hostile-leftover
    # The grader's work folders go here, to be seen gone afterwards.
    work=$(mktemp -d /tmp/grade-hostile-work.XXXXXX)
    chmod 711 "$work"
    echo "$work" >"$BATS_FILE_TMPDIR/work"

    subs=$BATS_FILE_TMPDIR/subs
    for n in spy symlinks forged_ids writes_outside daemon fork_bomb disk_fill; do
        hostile_copy "$n" "$subs/$n"
    done
    # A classmate graded in the same batch, with a secret in the source.
    mkdir -p "$subs/classmate"
    cp solutions/lesson2/failures.c "$subs/classmate/"
    printf '/* CLASSMATE-SECRET-%s */\n' "$tok" >>"$subs/classmate/failures.c"
    # Submitted files that are links: to the secret, and to the classmate's.
    mkdir -p "$subs/linked"
    ln -s "$OUTSIDE/secret" "$subs/linked/failures.c"
    ln -s ../classmate/failures.c "$subs/linked/future.c"
    # Lesson 3: programs whose call record and output aim at the grader's
    # shell and at the terminal that shows the report. The glob names a
    # folder of root's, mode 700, whose file names must not leak.
    mkdir -p "$OUTSIDE/private"
    chmod 700 "$OUTSIDE/private"
    : >"$OUTSIDE/private/LEAKED-NAME-$tok"
    subs3=$BATS_FILE_TMPDIR/subs3
    for n in glob_mirror terminal; do hostile_copy "$n" "$subs3/$n" first; done
    TMPDIR=$work GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=3 GRADE_JOBS=3 NO_COLOR=1 GRADE_UID_BASE=$((GRADE_UID_BASE + 32768)) \
        tools/grade/grade --batch --lesson 3 "$subs3" "$BATS_FILE_TMPDIR/out3" >"$BATS_FILE_TMPDIR/batch3.log" 2>&1 &
    batch3=$!
    TMPDIR=$work GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=3 GRADE_JOBS=3 NO_COLOR=1 \
        tools/grade/grade --batch "$subs" "$BATS_FILE_TMPDIR/out" >"$BATS_FILE_TMPDIR/batch.log" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/batch.status"
    wait "$batch3"      # only it: the canary runs on
}

teardown_file() {
    [ -f "$BATS_FILE_TMPDIR/canary.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/canary.pid")" 2>/dev/null
    [ -f "$BATS_FILE_TMPDIR/work" ] && rm -rf "$(cat "$BATS_FILE_TMPDIR/work")"
    return 0
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    OUT=$BATS_FILE_TMPDIR/out
    OUTSIDE=$BATS_FILE_TMPDIR/outside
    TOKEN=$(cat "$BATS_FILE_TMPDIR/token")
}

@test "hostile batch: finishes, exit 0, a row for every submission" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/batch.status")" 0
    assert_equal "$(($(wc -l <"$OUT/grades.csv") - 1))" 9
    run grep -c grader_error "$OUT/grades.csv"
    assert_output 0
}

@test "a call record naming a root-only folder's glob: no file name of it leaks, the field is refused" {
    run grep -rl "LEAKED-NAME" "$BATS_FILE_TMPDIR/out3"
    assert_output ""
    run grep -A3 ':( the answer printed is the one that came first' "$BATS_FILE_TMPDIR/out3/glob_mirror/report.txt"
    assert_output --partial "actual:   the calls that ended were not given a mirror number"
    refute_output --partial "uid="
}

@test "terminal control in quoted lines is cleaned: no escape, no carriage return, no C1, lines capped" {
    r=$BATS_FILE_TMPDIR/out3/terminal
    # The line was quoted (so the cleaning was put to work) ...
    run grep -c 'actual:   The first answer came from mirror 9' "$r/report.txt"
    assert_output 1
    # ... without a byte that moves the cursor or changes the screen.
    run python3 -c '
import re, sys
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    print(f.split("/")[-1], len(re.findall(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)))' "$r/report.txt" "$r/results.json"
    assert_output "report.txt 0
results.json 0"
    run awk '{ if (length($0) > m) m = length($0) } END { print (m <= 420) ? "capped" : m }' "$r/report.txt"
    assert_output capped
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$r/results.json"
}

@test "the spy works: run outside the sandbox, it finds the secrets it looks for" {
    # The control: without isolation the same program does leak, so the
    # next test can fail.
    cc -std=gnu11 -o "$BATS_TEST_TMPDIR/spy" "$BATS_FILE_TMPDIR/subs/spy/failures.c"
    run timeout 60 "$BATS_TEST_TMPDIR/spy"
    assert_output --partial "HOSTILE-SECRET-$TOKEN"
    assert_output --partial "CLASSMATE-SECRET-$TOKEN"
    assert_output --partial "reference answer"
}

@test "no secret leaks: not root's file, not a classmate's source, not the reference answers" {
    run grep -A2 ':( ./failures runs' "$OUT/spy/report.txt"
    assert_output --partial "It said on stderr: FOUND: "      # its channel to the report is open
    run grep -rl -e "SECRET-$TOKEN" -e "reference answer" "$OUT"
    assert_output ""
}

@test "inside the sandbox: no other process, no network but loopback, no grader file" {
    d=$(mktemp -d /tmp/grade-spy.XXXXXX)        # a folder the sandbox's UID can pass through
    mkdir "$d/o"
    cc -std=gnu11 -o "$d/spy" "$BATS_FILE_TMPDIR/subs/spy/failures.c"
    chmod 711 "$d" && chmod 755 "$d/spy"
    tools/grade/sandbox -t 5 -u 299999 -r "$d/spy:/prog/spy" "$d/o" sh -c \
        '/prog/spy; ls /proc | grep -c "^[0-9]"; tail -n +3 /proc/net/dev | cut -d: -f1; ls / /tmp'
    run cat "$d/o/stdout"
    rm -rf "$d"
    assert_line --regexp '^spy: [1-4] processes seen$'   # bwrap's init, sh, the spy
    assert_line "FOUND: "
    assert_line --regexp '^ *lo$'
    refute_output --partial "eth"
    refute_output --partial "work"
    refute_output --partial "root"
}

@test "no outside file changes: the target and the secret are as they were" {
    cmp "$OUTSIDE/target" "$BATS_FILE_TMPDIR/target.orig"
    cmp "$OUTSIDE/secret" "$BATS_FILE_TMPDIR/secret.orig"
    assert_equal "$(stat -c '%u %a' "$OUTSIDE/target" "$OUTSIDE/secret" | sort -u)" "0 600"
}

@test "links planted in the run's folder are refused, never followed" {
    run cat "$OUT/symlinks/report.txt"
    refute_output --partial "SECRET-$TOKEN"
    refute_output --partial "TARGET-$TOKEN"
    # It ran, and its own trace could not be written through the link:
    # the run gate fails with one sentence saying the trace was refused.
    assert_output --partial "./failures exited with status 0, but its trace (POOL_TRACE, /grade/trace.csv) was a symbolic link, which the grader refuses"
}

@test "a submitted file that is a link is refused with a clear line" {
    run cat "$OUT/linked/report.txt"
    assert_output --partial "failures.c is a symbolic link, which the grader does not follow"
    assert_output --partial "future.c is a symbolic link, which the grader does not follow"
    refute_output --partial "SECRET-$TOKEN"
}

@test "no outside process is touched: forged ids, kill -1, the parent, the canary" {
    kill -0 "$(cat "$BATS_FILE_TMPDIR/canary.pid")"
    run grep -A1 'forged_ids' "$OUT/forged_ids/report.txt"
    run cat "$OUT/forged_ids/report.txt"
    assert_output --partial ":) ./failures runs"
}

@test "nothing is left running: the daemon, the fork bomb, any process of a sandbox UID" {
    run sandbox_procs
    assert_output ""
    run pgrep -f "sleep 4242"
    assert_failure
    run grep -A3 ':( ./failures runs' "$OUT/fork_bomb/report.txt"
    assert_output --partial "was stopped"
}

@test "nothing is left behind: /tmp, /var/tmp, /dev/shm, the folders outside, the grader's work" {
    for f in /tmp/grade-hostile-leftover /var/tmp/grade-hostile-leftover \
        /dev/shm/grade-hostile-leftover "$OUTSIDE/grade-hostile-leftover"; do
        assert [ ! -e "$f" ]
    done
    work=$(cat "$BATS_FILE_TMPDIR/work")
    run ls -A "$work"
    assert_output ""
    run grep -c " $work" /proc/self/mounts
    assert_output 0
}

@test "a flood of files and output is cut at the limits and fails the run" {
    run grep -A3 ':( ./failures runs' "$OUT/disk_fill/report.txt"
    assert_output --partial "2 MiB"
}

@test "as another user: kill -1 and forged ids do not reach the user's other processes" {
    # A UID of its own for this run (not nobody's): RLIMIT_NPROC counts a
    # user's processes machine-wide, so another run's fork bomb as the same
    # user would make this one's forks fail.
    uid=$((150000 + RANDOM))  # below the sandbox's own UIDs (200000 and up)
    as_nobody="setpriv --reuid=$uid --regid=$uid --clear-groups"
    $as_nobody test -r "$PWD/build/lib/libpool.a" || skip "the repository is not readable by nobody"
    d=$(mktemp -d /tmp/grade-user.XXXXXX)
    $as_nobody setsid sleep 4344 </dev/null >/dev/null 2>&1 &
    canary=$!
    sleep 0.2
    sed -i "s|#define CANARY [0-9]*|#define CANARY $canary|" "$BATS_FILE_TMPDIR/subs/forged_ids/failures.c"
    cp "$BATS_FILE_TMPDIR/subs/forged_ids/failures.c" "$d/"
    chmod -R a+rX "$d"
    run $as_nobody env -u TMPDIR HOME=/tmp GRADE_TIME_SCALE=0.05 GRADE_TIMEOUT=3 NO_COLOR=1 \
        tools/grade/grade --dir "$d" failures
    alive=0
    kill -0 "$canary" 2>/dev/null && alive=1
    kill "$canary" 2>/dev/null
    rm -rf "$d"
    assert_output --partial ":) ./failures runs"
    assert_equal "$alive" 1
}

@test "fetch: a link, a FIFO, another owner and an existing destination are refused" {
    d=$BATS_TEST_TMPDIR/f
    mkdir -p "$d"
    cc -std=gnu11 -o "$d/fetch" tools/grade/fetch.c
    echo text >"$d/file"
    ln -s "$OUTSIDE/secret" "$d/link"
    mkfifo "$d/fifo"
    run "$d/fetch" "$d/link" "$d/out1"
    assert_failure 3
    assert_output --partial "a symbolic link, refused"
    assert [ ! -e "$d/out1" ]
    run timeout 5 "$d/fetch" "$d/fifo" "$d/out2"
    assert_failure 4
    run "$d/fetch" -u 12345 "$d/file" "$d/out3"
    assert_failure 5
    ln -s "$OUTSIDE/target" "$d/planted"
    run "$d/fetch" "$d/file" "$d/planted"
    assert_failure 2
    cmp "$OUTSIDE/target" "$BATS_FILE_TMPDIR/target.orig"
    run "$d/fetch" -m 2 "$d/file" "$d/out4"
    assert_failure 6
    assert_equal "$(cat "$d/out4")" "te"
    run "$d/fetch" -u 0 "$d/file" "$d/out5"
    assert_success
    assert_equal "$(cat "$d/out5")" text
}
