# callbacks.sh - the checks of exercises/lesson3/callbacks.c (sourced by grade).
# Eight calls of slow_cube(seconds, x) on 4 workers; their ends are a
# second apart. A second run makes two calls crash their workers
# (POOL_FAULT: ids 4 and 5, so two calls in a row, whether ids count from
# 0 or from 1); the trace says which.

. "$GRADE_HOME/lesson3/calls.sh"

callbacks_checks() {
    cat <<'LIST'
compiles 0 - callbacks.c compiles
runs 0 compiles ./callbacks runs on 4 workers and exits with status 0
order 1 runs every call runs to its end, and each is reported in the order the calls end, "Call i done: v" with its value
count 1 order the count in "(k of 8)" goes up by one with each report, to 8
failed 1 order when two calls crash their workers, both are reported as failed, with their error, and the others as done (in any order); the program may exit with any status
LIST
}

callbacks_start() {
    start_run main "POOL_WORKERS=4"
    start_run crash "POOL_WORKERS=4 POOL_FAULT=crash:4,crash:5"
}

callbacks_runs() { EXPECTED="exit status 0"; ran_ok main; }

# reports RUN [ORDER]: problems with the run's report lines, at most
# three: one line per call, each with the call's value or its error; with
# ORDER, also in the order the trace has the calls end (two ends closer
# than 50 ms of real time may come either way: callbacks of calls that
# ended at once run in no fixed order). The run with crashes has
# ends closer than that (a crash ends its call at once), so it is not
# judged on order.
reports() {
    calls "$1" >"$R/calls"
    awk -F '\t' -v order="${2:-}" -v tol="$(awk -v k="$SCALE" 'BEGIN { print 0.05 / k }')" '
        FILENAME == ARGV[1] { if ($2 == "slow_cube") { n++; end[$1] = $5; st[$1] = $3; x = $7; val[$1] = x * x * x; err[$1] = $8 } next }
        function bad(s) { if (++nbad <= 3) print s }
        /^Call [0-9]+ (done|failed)/ {
            split($0, w, " ")
            i = w[2] + 0; seen[i]++; k++; who[k] = i
            if (w[3] == "done:" && st[i] != "ok") bad("call " i " is reported done, but it ended with status " st[i])
            else if (w[3] == "done:" && w[4] != val[i]) bad("call " i ": printed " w[4] ", but its value is " val[i])
            else if (w[3] == "failed:" && st[i] == "ok") bad("call " i " is reported failed, but it returned " val[i])
            else if (w[3] == "failed:" && index($0, substr(err[i], index(err[i], ": ") + 2)) == 0)
                bad("call " i ": the line does not give its error, " err[i])
        }
        END {
            for (i = 0; i < n; i++) if (seen[i] != 1) bad(seen[i] + 0 " lines report call " i)
            for (a = 1; a <= k && order && !late; a++)      # the first report out of order
                for (b = a + 1; b <= k && !late; b++)
                    if (end[who[a]] > end[who[b]] + tol) {
                        late = 1
                        bad(sprintf("call %d is reported before call %d, but it ended later (%.1f s, against %.1f s)", who[a], who[b], end[who[a]], end[who[b]]))
                    }
        }' "$R/calls" "$R/stdout"
}

callbacks_order() {
    rundir main
    EXPECTED="every call ends with its value (trace status ok), and one line per call, \"Call i done: v (k of 8)\", in the order the trace has the calls end"
    # Reports of calls that never ran (all "Terminated") are no answer.
    calls main >"$R/calls"
    ACTUAL=$(awk -F '\t' '$2 == "slow_cube" && $3 != "ok" { n++; if (n <= 3) s = s (s ? ", " : "") $1 " (" $3 ")" } $2 == "slow_cube" { k++ }
        END { if (n) printf "%d of %d calls did not run to their end: %s", n, k, s }' "$R/calls")
    if [ -n "$ACTUAL" ]; then
        case $ACTUAL in
        *terminated*) HINT="the pool was destroyed while the calls still ran: pool_destroy ends them. Wait for every call first (future_wait_many, or pool_close then pool_join), then destroy the pool." ;;
        *) HINT="every call of slow_cube should end with its value on a run with no fault: wait for all of them before the program ends." ;;
        esac
        return 1
    fi
    ACTUAL=$(reports main order)
    [ -z "$ACTUAL" ] && return 0
    report_hint main
    return 1
}

# report_hint RUN: the hint for the problems in ACTUAL, naming only a cause
# the run shows: late reports are blamed on waiting only when a report
# came out of order, never when lines are missing or wrong.
report_hint() {
    rundir "$1"
    # Report lines with something before "Call" (an escape code, a
    # prefix): they are not counted, and the hint says why.
    _hidden=$(grep -acE '.Call [0-9]+ (done|failed)' "$R/stdout")
    case $ACTUAL in
    *"lines report call"*)
        if [ "$_hidden" -gt 0 ]; then
            HINT="$_hidden line(s) say \"Call i ...\" but do not start with it (an escape code or other text comes first): print each report as a plain line that starts with \"Call\"."
        else
            HINT="print one line per call, from its callback: \"Call i done: v (k of 8)\" (printf(\"Call %d done: %d (%d of 8)\\n\", ...)), nothing before \"Call\"."
        fi ;;
    *"is reported before call"*)
        HINT="the master reports the calls only after waiting for all of them. Give each future a callback with future_on_done(calls[i], on_ok, on_error, &index[i]): the pool runs it the moment the call ends." ;;
    *)
        HINT="each line gives its own call's value: pass the call's index to its callback (the last argument of future_on_done) and print pool_as_int of the value the callback is given." ;;
    esac
}

# counted RUN: the k of each "(k of 8)" goes 1, 2, ... 8.
counted() {
    rundir "$1"
    ACTUAL=$(grep -aE '^Call [0-9]+ (done|failed)' "$R/stdout" | sed -n 's/.*(\([0-9]*\) of \([0-9]*\))$/\1 \2/p' |
        awk '!bad { k++; if ($1 != k || $2 != 8) { printf "report %d says (%s of %s)", k, $1, $2; bad = 1 } }
             END { if (!bad && k != 8 && k > 0) printf "%d reports end with (k of 8)", k }')
    [ -n "$ACTUAL" ] || [ "$(grep -acE '\([0-9]+ of 8\)$' "$R/stdout")" -eq 8 ] || ACTUAL="no line ends with \"(k of 8)\""
    [ -z "$ACTUAL" ]
}

callbacks_count() {
    EXPECTED="the reports count 1 of 8, 2 of 8, ... 8 of 8, in the order they are printed"
    counted main && return 0
    HINT="count in the callbacks: a static counter, one more in each callback, guarded by a mutex (a callback may run in the master too). The call's index i + 1 is no count."
    return 1
}

callbacks_failed() {
    _crashed=$(calls crash | awk -F '\t' '$3 == "crash" { s = s (s ? " and " : "") $1 } END { print s }')
    EXPECTED="with POOL_FAULT=crash:4,crash:5 (calls ${_crashed:-?} crash their workers), the program ends on its own (any exit status); \"Call i failed: TYPE : MESSAGE (k of 8)\" for those two, \"Call i done\" for the others"
    # Nothing in the lesson asks for status 0 when a call failed: exit 1
    # is as good. A crash, a time limit or an output flood is not.
    rundir crash
    _ok=0
    case $(cat "$R/status" 2>/dev/null) in
    "exit 0") ran_ok crash || _ok=1 ;;
    "exit "[0-9]*)
        if [ -f "$R/limit" ]; then ran_ok crash || _ok=1
        elif foreign_trace crash; then ACTUAL="$(cmdline crash) $ACTUAL"; _ok=1; fi ;;
    *) ran_ok crash || _ok=1 ;;
    esac
    [ "$_ok" -eq 0 ] || { ACTUAL="with POOL_FAULT=crash:4,crash:5, $ACTUAL"
        HINT="a call whose worker crashed holds a WorkerDied error: the error callback (on_error) prints it with pool_error_type and pool_error_message; never pool_as_int on it."; return 1; }
    ACTUAL=$(reports crash)
    [ -z "$ACTUAL" ] && return 0
    HINT="give future_on_done an error callback too: it runs for a call that failed, and prints \"Call i failed: TYPE : MESSAGE (k of 8)\"."
    return 1
}
