# first.sh - the checks of exercises/lesson3/first.c (sourced by grade).
# Four calls of fetch(m, seconds), 4, 2, 1 and 3 seconds long. The run on
# 4 workers has them all running at once; on 1 worker they take turns, so
# when the first answer is in, the next call starts and the rest wait.
# Whether that next call has started when the program stops it is a race
# the program does not control: on 1 worker it is not judged, only the
# calls certainly still queued are, so one program gets one grade.

. "$GRADE_HOME/lesson3/calls.sh"

first_checks() {
    cat <<'LIST'
compiles 0 - first.c compiles
runs 0 compiles ./first runs on 4 and on 1 worker and exits with status 0
first 1 runs the answer printed is the one that came first
running 1 first on 4 workers the other calls, all running, are stopped (future_kill) and said so
queued 1 first on 1 worker the calls still queued behind the next one are stopped and said so
LIST
}

first_start() {
    start_run four "POOL_WORKERS=4"
    start_run one "POOL_WORKERS=1"
}

first_runs() { EXPECTED="exit status 0"; ran_ok four && ran_ok one; }

# winner RUN: "M VALUE" of the fetch that ended first with a value; empty
# if none. M is the program's argument, so only a number is taken.
winner() {
    calls "$1" | awk -F '\t' '$2 == "fetch" && $3 == "ok" && $6 ~ /^[0-9]+$/ && (best == "" || $5 < best) { best = $5; m = $6 }
        END { if (best != "") print m, 1000 + m }'
}

first_first() {
    for _r in four one; do
        rundir "$_r"
        set -- $(winner "$_r")
        EXPECTED="in $(cmdline "$_r") (POOL_WORKERS=$([ $_r = four ] && echo 4 || echo 1)), the line \"The first answer came from mirror ${1:-M}: ${2:-B} bytes\""
        if [ $# -eq 0 ]; then
            ACTUAL="no fetch ran to its end: the trace has no answer at all"
            HINT="wait for the first answer (future_wait_any) before you stop any call or destroy the pool."
            if calls "$_r" | awk -F '\t' '$2 == "fetch" && $3 == "ok" { found = 1 } END { exit !found }'; then
                ACTUAL="the calls that ended were not given a mirror number: fetch(m, seconds) takes the mirror m, 0 to 3, first"
                HINT="keep the calls as they are: pool_apply_async(p, fetch, m, delay[m])."
            fi
            return 1
        fi
        _line=$(grep -a '^The first answer came from mirror ' "$R/stdout" | head -n 1)
        [ "$_line" = "The first answer came from mirror $1: $2 bytes" ] && continue
        ACTUAL=${_line:-no line \"The first answer came from mirror ...\"}
        ACTUAL="$ACTUAL; the trace shows mirror $1 ending first"
        HINT="future_wait_any(calls, NMIRRORS, -1) returns the index of the first call to end; print that mirror and its answer. Waiting for the calls in order always names mirror 0."
        return 1
    done
    return 0
}

# stopped RUN WORKERS: every fetch but the first was cancelled, and a
# "Mirror m stopped" line names each one. On 1 worker, the call made right
# after the first one (the next in the queue) is left out: it may have
# started or not when the first answer came.
stopped() {
    rundir "$1"
    set -- "$1" "$2" $(winner "$1")
    _next=
    if [ "$2" -eq 1 ]; then
        _next=$(calls "$1" | awk -F '\t' -v win="$3" '$2 == "fetch" && after { print $6; exit } $2 == "fetch" && $6 == win { after = 1 }')
        EXPECTED="with 1 worker, every mirror queued behind mirror ${_next:-?} (which starts when mirror $3 answers) is stopped by the program (trace status \"cancelled\"), with a line \"Mirror m stopped\" for each"
    else
        EXPECTED="with $2 worker(s), every mirror but mirror $3 is stopped by the program (trace status \"cancelled\"), with a line \"Mirror m stopped\" for each"
    fi
    # The call that ended next after the first answer, if the program's
    # future_kill for it came back EALREADY (it ended while the kill was
    # on its way: a slow machine woke the master late), was stopped as
    # well as a program can: it is not held against it. Only that one: a
    # program that waits for more answers before it kills still fails.
    _late=$(calls "$1" | awk -F '\t' -v win="$3" '$2 == "fetch" && $6 != win && $3 == "ok" && (e == "" || $5 < e) { e = $5; i = $1 }
        END { print i }')
    [ -n "$_late" ] && ! grep -aq "^stop	$_late	future_kill	-1	EALREADY$" "$R/calls.tsv" && _late=
    ACTUAL=$(calls "$1" | awk -F '\t' -v win="$3" -v next_="$_next" -v late="$_late" -v out="$R/stdout" '
        BEGIN { while ((getline l < out) > 0) if (l ~ /^Mirror [0-9]+ stopped$/) { split(l, w, " "); said[w[2]] = 1 } }
        $2 != "fetch" || $6 == win || (next_ != "" && $6 == next_) || $1 == late { next }
        $3 == "ok" { bad = bad sprintf("mirror %d ran to its end (%.1f s); ", $6, $5); ran = 1; next }
        $3 == "terminated" { bad = bad sprintf("mirror %d was still running when the pool was destroyed; ", $6); term = 1; next }
        $3 != "cancelled" { bad = bad sprintf("mirror %d ended with status %s; ", $6, $3); next }
        !($6 in said) { bad = bad sprintf("mirror %d was stopped, but no line \"Mirror %d stopped\" says so; ", $6, $6); quiet = 1 }
        END { sub(/; $/, "", bad); if (bad != "") print bad; print (ran ? "ran" : term ? "term" : quiet ? "quiet" : "") > "/dev/stderr" }' 2>"$R/why")
    [ -z "$ACTUAL" ] && return 0
    _why=$(cat "$R/why")
    [ "$_why" = ran ] && grep -aq "	future_kill	-1	EALREADY$" "$R/calls.tsv" && _why=waited
    case $_why in
    waited) HINT="the program called future_kill only after those calls had ended (it gave -1, EALREADY): stop the others right after the first answer, without waiting for more." ;;
    ran) HINT="future_cancel only removes a call that waits in the queue; for a call that runs it returns -1 (EBUSY). future_kill stops both kinds." ;;
    term) HINT="they ran on until pool_destroy ended them. future_cancel cannot stop a call that runs (it returns -1 with errno EBUSY); future_kill can: call it on each other mirror right after the first answer." ;;
    quiet) HINT="when future_kill(calls[m]) returns 0, print \"Mirror m stopped\"." ;;
    *) HINT="stop every other call with future_kill(calls[m]) once the first answer is in." ;;
    esac
    return 1
}

first_running() { stopped four 4; }
first_queued() { stopped one 1; }
