# Helpers shared by tests/runtime.bats, tests/core.bats, tests/bytes.bats and
# tests/walls.bats:
# the trace's records counted, processes gone or left behind, a line
# awaited, a test program's sub-commands run. Each suite
# sets BIN (its programs' folder) and TSV (the trace as tab-separated
# records) before using them.

# count AWK-CONDITION: how many trace records meet it ($1 task, $2 function,
# $3 pid, $4 worker, $5 submit, $6 start, $7 end, $8 status, $9 error).
count() {
    awk -F'\t' "$1 { n++ } END { print n + 0 }" "$TSV"
}

# gone PID: the process has ended (a zombie has ended too).
gone() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# Processes running one of this suite's programs (started by their full path;
# workers are forks, so they carry the same command line).
ours() {
    local d arg0
    for d in /proc/[0-9]*; do
        arg0=""
        { read -r -d '' arg0 <"$d/cmdline"; } 2>/dev/null || [ -n "$arg0" ] || continue
        case $arg0 in "$BIN"/*) echo "${d#/proc/}" ;; esac
    done
}

# After each test no process of a test program remains. Any found are
# killed (they are this suite's) and the test fails.
no_leftovers() {
    local i left
    for i in $(seq 30); do
        left=$(ours)
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -9 $left 2>/dev/null || true
    fail "processes of the test programs left behind: $left"
}

# wait_line FILE REGEX: poll (10 s at most) until a line of FILE matches.
wait_line() {
    local i
    for i in $(seq 100); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# rt PROG ARGS...: run a test program under a timeout of $TIMEOUT seconds
# (default 30); $output is its stdout, $stderr its stderr, $status its exit
# status. It must exit 0 with nothing on stderr (but lines that match
# $STDERR_OK, when set), and stdout must hold no trace line.
rt() {
    local limit=${TIMEOUT:-30} err
    run --separate-stderr timeout "$limit" "$BIN/$@"
    err=$stderr
    [ -z "${STDERR_OK:-}" ] || err=$(grep -vE -- "$STDERR_OK" <<<"$stderr" || true)
    if [ "$status" -ne 0 ] || [ -n "$err" ]; then
        if [ "$status" -eq 124 ]; then
            stderr="(timed out after $limit s: a hang) $stderr"
        elif [ "$status" -gt 128 ]; then
            stderr="(killed by SIG$(kill -l $((status - 128)) 2>/dev/null)) $stderr"
        fi
        local n
        n=$(wc -l <<<"$stderr")
        [ "$n" -le 30 ] || stderr="$(head -n 10 <<<"$stderr")
... ($n lines in all; the last ones:)
$(tail -n 5 <<<"$stderr")"
        fail "$* exited with status $status; stderr:
$stderr
stdout:
$output"
    fi
    if grep -qE '^# pool-trace|^task,function,' <<<"$output"; then
        fail "$*: a trace line is on stdout"
    fi
}

# subcommands PROG CMD...: run PROG with the sub-commands under a timeout;
# it must exit 0, print "CMD: ok" for each, and nothing on stderr.
subcommands() {
    local prog=$1
    shift
    # -k: a process under TSan may not take SIGTERM while it sleeps in a futex.
    run --separate-stderr timeout -k 5 60 "$prog" "$@"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "$* exited $status; stderr:
$stderr
stdout:
$output"
    local c
    for c in "$@"; do assert_line "$c: ok"; done
}
