# cubes.sh - the checks of exercises/lesson1/cubes.c (sourced by grade).
# The calls of cube and their arguments come from the shim's record, the
# workers and times from the trace, the results the program was handed
# from the shim too: a cube computed in the master is not the pool's.

cubes_checks() {
    cat <<'LIST'
compiles 0 - cubes.c compiles
runs 0 compiles ./cubes runs on 4 workers and exits with status 0
pool 1 runs the pool cubes every number: one call of cube per number, in order, each run in a worker
together 1 pool the numbers go out all at once (one map: pool_map, pool_map_chunked or pool_map_async), not one call after another
results 1 pool each line "cube(x) = y" comes in input order, y the result the pool gave for x
LIST
}

cubes_start() { start_run main "POOL_WORKERS=4"; }

cubes_runs() { EXPECTED="exit status 0"; ran_ok main; }

# The numbers of the exercise, in order.
CUBES_NUMBERS="3 1 4 1 5 9 2 6 5 3 5 8"

cubes_pool() {
    rundir main
    EXPECTED="12 calls of cube, with $CUBES_NUMBERS, each ended ok in a worker"
    ACTUAL=$(awk -F '\t' -v want="$CUBES_NUMBERS" '
        $3 == "cube" { k++; c = $8; sub(/^cube\(/, "", c); sub(/\)$/, "", c); x[k] = c; st[k] = $4 }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            nw = split(want, w, " ")
            if (k == 0) { bad("no call of cube went through the pool"); exit }
            if (k != nw) bad(k " calls of cube, for " nw " numbers")
            for (i = 1; i <= k && i <= nw; i++) {
                if (x[i] != w[i]) bad("input " i - 1 " of cube is " x[i] ", but numbers[" i - 1 "] is " w[i])
                else if (st[i] != "ok") bad("cube(" x[i] ") did not end ok (" st[i] ")")
            }
        }' "$R/truth.tsv")
    [ -z "$ACTUAL" ] && return 0
    case $ACTUAL in
    "no call of cube"*)
        ACTUAL="$ACTUAL: the for loop still cubes the numbers in the master"
        HINT="fill pool_value in[NINPUTS] with in[i] = pool_int(numbers[i]), then call pool_map(p, cube, in, NINPUTS, out) once." ;;
    *) HINT="map cube over all twelve numbers, in the order of the array numbers[], once each." ;;
    esac
    return 1
}

cubes_together() {
    rundir main
    EXPECTED="every call of cube made before the first one ends, so that several workers cube at once"
    ACTUAL=$(awk -F '\t' -v scale="$SCALE" '
        $2 !~ /^cube(\[|$)/ { next }
        { n++; sub_s[n] = $5; if (first == "" || $7 < first) first = $7 }
        END {
            late = 0
            for (i = 1; i <= n; i++) if (sub_s[i] >= first) late++
            if (late > 0) printf "%d of %d calls of cube were made only after the first had ended (at %.2f s, the program'"'"'s own seconds): the master waited for each result before the next call\n", late, n, first / scale
        }' "$R/trace.tsv")
    [ -z "$ACTUAL" ] && return 0
    HINT="pool_apply (or future_get right after each call) waits for one result at a time. One pool_map call hands all the numbers to the workers at once."
    return 1
}

cubes_results() {
    rundir main
    EXPECTED="12 lines \"cube(x) = y\", in the order of numbers[], each y the pool's result for x"
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] {
            if ($3 != "cube") next
            c = $8; sub(/^cube\(/, "", c); sub(/\)$/, "", c)
            n++; x[n] = c; got[n] = $9; next }
        /^cube\(/ { k++; line[k] = $0 }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            for (i = 1; i <= n; i++) {
                want = "cube(" x[i] ") = " x[i] * x[i] * x[i]
                if (got[i] == "?") { bad("the program never took the result of cube(" x[i] ") from the map'"'"'s output"); continue }
                if (got[i] != x[i] * x[i] * x[i]) bad("the pool gave " got[i] " for cube(" x[i] ")")
                else if (line[i] != want) bad("line " i " is \"" line[i] "\", but input " i - 1 " gives \"" want "\"")
            }
            if (k != n) bad(k " \"cube(\" lines for " n " numbers")
        }' "$R/truth.tsv" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    HINT="after pool_map, out[i] is the cube of in[i]: print numbers[i] and pool_as_int(out[i]), for i from 0 to NINPUTS - 1."
    return 1
}
