# completed.sh - the checks of exercises/lesson3/completed.c (sourced by grade).
# Four downloads (4, 1, 3 and 2 seconds) on 4 workers, all at once; then
# one save per result, each of one second, made one at a time with
# pool_apply. The trace gives when each download ended and each save ran;
# the shim's record says which result each save was given (save(i, value)).
# A second run on 1 worker has the downloads end in the order they were
# made: an order fixed in advance (by length) shows there.

. "$GRADE_HOME/lesson3/calls.sh"

completed_checks() {
    cat <<'LIST'
compiles 0 - completed.c compiles
runs 0 compiles ./completed runs on 4 workers and exits with status 0
order 1 runs each result is saved in the order the downloads end, on 4 workers and on 1
time 1 runs every result is saved, and the run takes about as long as the best schedule: a result is saved as soon as it is there
saved 1 order every "Saved call i: v" line gives call i's value, once
LIST
}

completed_start() {
    start_run main "POOL_WORKERS=4"
    start_run one "POOL_WORKERS=1"
}

completed_runs() { EXPECTED="exit status 0 on 4 workers and on 1"; ran_ok main && ran_ok one; }

completed_order() {
    for _r in main one; do
        rundir "$_r"
        calls "$_r" >"$R/calls"
        # Downloads by their end, and the saves in the order they were made.
        _ends=$(awk -F '\t' '$2 == "download" && $3 == "ok" { print $5 "\t" $1 }' "$R/calls" | sort -g | cut -f2 | paste -sd ' ' -)
        _saves=$(awk -F '\t' '$2 == "save" { print $6 }' "$R/calls" | paste -sd ' ' -)
        _w=$([ "$_r" = main ] && echo "4 workers" || echo "1 worker")
        EXPECTED="on $_w, the results saved in the order the downloads ended: calls $_ends"
        [ -n "$_ends" ] && [ "$_saves" = "$_ends" ] && continue
        ACTUAL="on $_w, saved in the order: calls ${_saves:-(none)}"
        HINT="a loop over calls[0], calls[1], ... waits for call 0, the slowest, before it saves anything. Take the futures from future_as_completed(calls, NCALLS) with future_iter_next, and find each one's index in calls[]."
        [ "$_r" = one ] && HINT="an order fixed in advance (say, by length) is right only when the downloads end in that order; on 1 worker they end in the order they were made. Save them in the order they end: future_as_completed hands them out so."
        [ -z "$_saves" ] && HINT="save every result with pool_apply(p, save, i, value), as the program did."
        return 1
    done
}

completed_time() {
    rundir main
    calls main >"$R/calls"
    # A result not saved is no fast schedule: a master that only sleeps
    # as long as the saves would take is not one.
    _unsaved=$(awk -F '\t' '$2 == "download" { d[$1] = 1 } $2 == "save" { s[$6] = 1 }
        END { for (i in d) if (!(i in s)) print i }' "$R/calls" | sort -n | paste -sd ' ' -)
    if [ -n "$_unsaved" ]; then
        EXPECTED="every download's result saved, with pool_apply(p, save, i, value), as soon as it is there"
        ACTUAL="no save of the result of call(s) $_unsaved"
        HINT="each result is saved by a call of save through the pool: pool_apply(p, save, i, value), as the program did."
        return 1
    fi
    # The best schedule: saves one at a time, each as soon as its download
    # and the save before it are done, in the order the downloads ended.
    set -- $(awk -F '\t' '
        $2 == "download" { e[$1] = $5; last = $5 > last ? $5 : last }
        $2 == "save" { d[$6] = $5 - $4; last = $5 > last ? $5 : last }
        END {
            n = 0; for (i in e) { n++; k[n] = i }
            for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++) if (e[k[b]] < e[k[a]]) { t = k[a]; k[a] = k[b]; k[b] = t }
            t = 0; for (a = 1; a <= n; a++) { t = (t > e[k[a]] ? t : e[k[a]]) + d[k[a]] }
            printf "%.1f %.1f\n", last, t
        }' "$R/calls")
    # Two seconds of slack: a wrong schedule (waiting for the slowest
    # download first, or for all of them) is three or more seconds late,
    # and a loaded machine must not make a right one late.
    _slack=$(slack 2)
    EXPECTED="the last save ends within $_slack s of $2 s, the best the downloads allow (the program's own seconds)"
    awk -v a="$1" -v b="$2" -v s="$_slack" 'BEGIN { exit !(a <= b + s) }' && return 0
    ACTUAL="the last save ended at $1 s"
    HINT="the master sat waiting for a slow download while finished ones waited to be saved. Save each result as soon as its download ends: future_as_completed hands out the futures in that order."
    return 1
}

completed_saved() {
    rundir main
    EXPECTED="one line \"Saved call i: v\" for each call i, with v = x * x of its download(seconds, x)"
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] { if ($2 == "download") { n++; want[$1] = $7 * $7 } next }
        /^Saved call [0-9]+: / { split($0, w, /[ :]+/); i = w[3]; got[i]++; v[i] = w[4] }
        END {
            for (i = 0; i < n; i++) {
                if (got[i] == 0) { printf "no line for call %d; ", i; continue }
                if (got[i] > 1) printf "%d lines for call %d; ", got[i], i
                if (v[i] != want[i]) printf "call %d: printed %s, but its value is %d; ", i, v[i], want[i]
            }
        }' "$R/calls" "$R/stdout" | sed 's/; $//')
    [ -z "$ACTUAL" ] && return 0
    HINT="print the index of the call whose future the iteration handed out (its place in calls[]), and the value save returned."
    return 1
}
