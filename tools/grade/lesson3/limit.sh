# limit.sh - the checks of exercises/lesson3/limit.c (sourced by grade).
# Five lookups of 1, 2, 30, 1 and 2 seconds on 5 workers, all at once.
# With a limit of 3 seconds the stuck one (call 2) is stopped after 3; the
# others end on their own. The trace says how each ended, and when.

. "$GRADE_HOME/lesson3/calls.sh"

limit_checks() {
    cat <<'LIST'
compiles 0 - limit.c compiles
runs 0 compiles ./limit runs on 5 workers and exits with status 0
stopped 1 runs the stuck call is stopped by its limit, 3 seconds after it started
others 1 stopped the calls that answer within 3 seconds are not stopped
reported 1 others each call is reported: "Call i returned R", or "Call i timed out"
LIST
}

limit_start() { start_run main "POOL_WORKERS=5"; }

limit_runs() { EXPECTED="exit status 0"; ran_ok main; }

limit_stopped() {
    rundir main
    calls main >"$R/calls"
    _most=$(awk -v s="$(slack 0.5)" 'BEGIN { printf "%g", 3 + s }')
    EXPECTED="every call that needs more than 3 s ends with status timeout (or cancelled) by $_most s after it started (the program's own seconds)"
    ACTUAL=$(awk -F '\t' -v most="$_most" '$2 == "lookup" && $6 > 3 {
            took = $5 - $4
            if ($3 == "ok") printf "call %d ran to its end: %.1f s; ", $1, took
            else if ($3 != "timeout" && $3 != "cancelled") printf "call %d ended with status %s after %.1f s; ", $1, $3, took
            else if (took > most) printf "call %d was stopped, but only after %.1f s; ", $1, took
        }' "$R/calls" | sed 's/; $//')
    # Calls the runtime refused (NULL): the shim saw them, the trace not.
    _refused=$(awk -F '\t' '$1 == "call" && $3 == "-" && $4 == "lookup" { n++ } $1 == "limit" && $3 ~ /^[0-9.e+-]+$/ { l = $3 }
        END { if (n) printf "%d %s\n", n, l }' "$R/calls.tsv")
    if [ -n "$_refused" ]; then
        set -- $_refused
        ACTUAL="pool_apply_async_limit refused $1 call(s) of lookup (it gave NULL: errno EINVAL), as their limit was $2 s, not more than 0"
        HINT="the limit must be more than 0. 3 * pool_time_scale() is $(awk -v k="$SCALE" 'BEGIN { printf "%g", 3 * k }') when the grader runs with POOL_TIME_SCALE=$SCALE, and an int keeps only what is before the point. Keep limit a double. And check what pool_apply_async_limit returns: NULL means no call was made."
        return 1
    fi
    if [ -z "$(awk -F '\t' '$2 == "lookup"' "$R/calls")" ]; then
        ACTUAL="the program made no lookup call"
        HINT="keep the calls: pool_apply_async_limit(p, limit, lookup, seconds[i], i)."
        return 1
    fi
    [ -z "$ACTUAL" ] && return 0
    case $ACTUAL in
    *"only after"*) HINT="the limit is too long: give pool_apply_async_limit the variable limit, 3 seconds. It counts the program's seconds, as pool_sleep does, so do not scale it yourself." ;;
    *) HINT="make each call with pool_apply_async_limit(p, limit, lookup, seconds[i], i): a call past its limit is stopped, its worker replaced, and future_get gives a Timeout error. If you did, the limit is too long: use limit, 3 seconds." ;;
    esac
    return 1
}

limit_others() {
    rundir main
    calls main >"$R/calls"
    EXPECTED="every call of at most 3 s ends on its own, with status ok"
    ACTUAL=$(awk -F '\t' '$2 == "lookup" && $6 <= 3 && $3 != "ok" {
            printf "call %d, %d s long, ended with status %s after %.1f s; ", $1, $6, $3, $5 - $4 }' "$R/calls" | sed 's/; $//')
    [ -z "$ACTUAL" ] && return 0
    HINT="the limit is too short, or it counts from the wrong moment: use limit, 3 seconds, for every call. A limit counts the program's seconds, as pool_sleep does: the runtime scales it with POOL_TIME_SCALE already, so do not multiply it by pool_time_scale()."
    return 1
}

limit_reported() {
    rundir main
    EXPECTED="for each call i in order, \"Call i returned R\" (R = 10 * x) or, for a call stopped by its limit, \"Call i timed out\""
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] {
            if ($2 != "lookup") next
            want[n++] = ($3 == "ok") ? "Call " $1 " returned " $7 * 10 : "Call " $1 " timed out"; next }
        /^Call [0-9]+ / { got[k++] = $0 }
        END {
            for (i = 0; i < n; i++)
                if (got[i] != want[i]) { printf "line %d is \"%s\", but call %d gives \"%s\"", i + 1, got[i], i, want[i]; exit }
            if (k != n) printf "%d \"Call\" lines for %d calls", k, n
        }' "$R/calls" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    HINT="v = future_get(calls[i]); if pool_is_error(v) and strcmp(pool_error_type(v), \"Timeout\") == 0, print \"Call i timed out\"; else its value."
    return 1
}
