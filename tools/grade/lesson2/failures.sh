# failures.sh - the checks of exercises/lesson2/failures.c (sourced by grade).
# Which calls failed, and with what, comes from the run itself: the trace's
# status and the errors that future_get gave the program.

failures_checks() {
    cat <<'LIST'
compiles 0 - failures.c compiles
runs 0 compiles ./failures runs and exits with status 0
reported 1 runs every failed call is reported as "Call i failed with TYPE: MESSAGE"
noresult 1 runs no failed call is printed as if it returned a value
results 1 noresult every call that worked prints "Call i returned R" with its right result
count 1 runs the last line says how many calls failed ("3 of 6 calls failed")
faults 1h count the count follows the calls: with some calls made to fail on purpose, the last line counts them too
LIST
}

# The hidden check's run: the runtime makes calls 0, 2, 4 ... (task ids,
# which count from 0 as the program's Call i does) fail with an
# InjectedError (POOL_FAULT, see runtime/README.md), so a count printed
# without counting shows.
FAULTS=error:0,error:2,error:4,error:6,error:8,error:10

failures_start() {
    start_run main "POOL_WORKERS=3"
    [ -n "${GRADE_HIDDEN:-}" ] && start_run fault "POOL_WORKERS=3 POOL_FAULT=$FAULTS"
}

failures_runs() { EXPECTED="exit status 0"; ran_ok main; }

# failures_compare MODE: problems with the report lines, one per line.
failures_compare() {
    awk -F '\t' -v mode="$1" '
        FILENAME == ARGV[1] { n++; st[$1] = $4; val[$1] = $5; et[$1] = $6; em[$1] = $7; call[$1] = $8; next }
        /^Call [0-9]+ failed/ { split($0, w, " "); i = w[2]; fl[i]++; t = $0; sub(/^Call [0-9]+ failed with /, "", t); sub(/[ \t]+$/, "", t); ftext[i] = t }
        /^Call [0-9]+ returned/ { split($0, w, " "); i = w[2]; rl[i]++; t = $0; sub(/^Call [0-9]+ returned /, "", t); sub(/[ \t]+$/, "", t); rtext[i] = t }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            if (n == 0) bad("the program made no call through the pool")
            for (i = 0; i < n; i++) {
                failed = st[i] != "ok"
                if (mode == "reported" && failed) {
                    want = et[i] ": " em[i]
                    if (!fl[i]) bad("call " i ", " call[i] ", failed with " want ", but no \"Call " i " failed with\" line says so")
                    else if (ftext[i] != want) {
                        spaced = ftext[i]; sub(/ *: */, ": ", spaced)
                        bad("Call " i ": printed \"" ftext[i] "\", but the error is \"" want "\"" \
                            (spaced == want ? " (only the spaces around the colon differ)" : ""))
                    }
                }
                if (mode == "noresult" && failed && rl[i])
                    bad("Call " i " is printed as returning \"" rtext[i] "\", but " call[i] " failed")
                if (mode == "results" && !failed) {
                    if (!rl[i]) bad("no \"Call " i " returned\" line for " call[i])
                    else if (val[i] != "?" && rtext[i] != val[i]) bad("Call " i ": printed " rtext[i] ", but " call[i] " gave " val[i])
                    if (fl[i]) bad("Call " i " is reported as failed, but " call[i] " worked")
                }
            }
        }' "$R/truth.tsv" "$R/stdout"
}

failures_reported() {
    rundir main
    EXPECTED="\"Call i failed with TYPE: MESSAGE\" for each failed call, TYPE and MESSAGE from its error"
    ACTUAL=$(failures_compare reported)
    [ -z "$ACTUAL" ] && return 0
    HINT="if future_successful(f) is 0, v = future_get(f) is the error: print pool_error_type(v) and pool_error_message(v)."
    case $ACTUAL in *"spaces around the colon"*)
        HINT="put the colon right after the type, then one space: \"Call 4 failed with TYPE: MESSAGE\", not \"TYPE : MESSAGE\"." ;;
    esac
    return 1
}

failures_noresult() {
    rundir main
    EXPECTED="no \"Call i returned\" line for a call that failed"
    ACTUAL=$(failures_compare noresult)
    [ -z "$ACTUAL" ] && return 0
    HINT="ask future_successful(f) before printing a result: 1 means it worked, 0 that it failed."
    return 1
}

failures_results() {
    rundir main
    EXPECTED="\"Call i returned R\" for each call that worked, with its result R"
    ACTUAL=$(failures_compare results)
    [ -z "$ACTUAL" ] && return 0
    HINT="print a result with pool_as_int(future_get(f)), and only when future_successful(f) is 1."
    return 1
}

# count_line RUN: the run's last line gives the count of its failed calls.
count_line() {
    rundir "$1"
    _n=$(wc -l <"$R/truth.tsv" | tr -d ' ')
    _k=$(awk -F '\t' '$4 != "ok"' "$R/truth.tsv" | wc -l | tr -d ' ')
    EXPECTED="the last line is \"$_k of $_n calls failed\""
    _last=$(grep -av '^[[:space:]]*$' "$R/stdout" | tail -n 1)
    [ "$_n" -gt 0 ] && [ "$_last" = "$_k of $_n calls failed" ] && return 0
    ACTUAL="the last line is \"$(printf '%s' "$_last" | cut -c1-120)\""
    HINT="count the failures in the loop (failed++ when future_successful is 0), then printf(\"%d of %d calls failed\\n\", failed, NCALLS)."
    return 1
}

failures_count() { count_line main; }

failures_faults() {
    EXPECTED="exit status 0 with POOL_FAULT=$FAULTS"
    ran_ok fault || { ACTUAL="with POOL_FAULT=$FAULTS, $ACTUAL"; return 1; }
    count_line fault && return 0
    _inj=$(awk -F '\t' '$6 == "InjectedError"' "$R/truth.tsv" | wc -l | tr -d ' ')
    ACTUAL="with POOL_FAULT=$FAULTS ($_inj calls made to fail on purpose, $_k failed in all), $ACTUAL"
    HINT="count the calls that failed as the program runs (failed++ when future_successful is 0); never print a number fixed in advance."
    return 1
}
