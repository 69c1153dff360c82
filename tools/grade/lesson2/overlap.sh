# overlap.sh - the checks of exercises/lesson2/overlap.c (sourced by grade).
# The program runs with POOL_WORKERS=4; the trace tells when each call was
# made (submit_s), began (start_s) and ended (end_s).

overlap_checks() {
    cat <<'LIST'
compiles 0 - overlap.c compiles
runs 0 compiles ./overlap runs on 4 workers and exits with status 0
nowait 1 runs every call is made before the first one ends (no call waits for another)
overlap 1 runs the calls run at the same time, on different workers
results 1 overlap the squares are printed right, in call order
LIST
}

overlap_start() { start_run main "POOL_WORKERS=4"; }

overlap_runs() { EXPECTED="exit status 0"; ran_ok main; }

overlap_nowait() {
    rundir main
    EXPECTED="every call is made (submit_s) before the first call ends (end_s)"
    # Times in the program's own seconds: the run's sleeps were scaled.
    # Calls are named by their index in the program (the shim's record,
    # truth.tsv: index, task), which is the task id when the record is missing.
    ACTUAL=$(awk -F '\t' -v scale="$SCALE" '
        FILENAME == ARGV[1] { if ($2 ~ /^[0-9]+$/) idx[$2] = $1; next }
        function call(t) { return (t in idx) ? idx[t] : t }
        { ntrace++; $5 /= scale; $7 /= scale
          if (first == "" || $7 + 0 < first) { first = $7 + 0; ft = $1 }
          if (last == "" || $5 + 0 > last) { last = $5 + 0; lt = $1 } }
        END {
            if (ntrace == 0) print "the trace holds no call"
            else if (last >= first) printf "call %d was made at %.2f s, after call %d had ended at %.2f s (the program'"'"'s own seconds)\n", call(lt), last, call(ft), first
        }' "$R/truth.tsv" "$R/trace.tsv")
    [ -z "$ACTUAL" ] && return 0
    HINT="pool_apply waits for its result; pool_apply_async does not. Make all the calls in one loop, then get the results in a second loop."
    return 1
}

overlap_overlap() {
    rundir main
    EXPECTED="at least two calls running at the same moment (start_s to end_s)"
    # Only calls that ran to their end count: a terminated call never ran.
    _most=$(awk -F '\t' '
        $8 != "ok" && $8 != "error" { next }
        { s[NR] = $6 + 0; e[NR] = $7 + 0 }
        END {
            best = 0
            for (i = 1; i <= NR; i++) {          # how many run at the moment call i begins
                k = 0
                for (j = 1; j <= NR; j++) if (s[j] <= s[i] && e[j] > s[i]) k++
                if (k > best) best = k
            }
            print best
        }' "$R/trace.tsv")
    [ "$_most" -ge 2 ] && return 0
    ACTUAL="at most $_most call(s) ran at once (worker PIDs: $(pidlist main))"
    HINT="a call made with pool_apply_async runs while the master goes on to make the next one: make them all before asking for any result."
    if [ "$_most" -eq 0 ]; then
        _term=$(awk -F '\t' '$8 == "terminated"' "$R/trace.tsv" | wc -l | tr -d ' ')
        ACTUAL="no call ran to its end: $_term of $(ntasks main) were still waiting or running when the pool was destroyed (status terminated)"
        HINT="take every result with future_get(futures[i]) before pool_destroy: pool_destroy stops the calls still running."
    fi
    return 1
}

overlap_results() {
    rundir main
    EXPECTED="one line \"Square of x is x*x\" per call, in the order the calls were made, each the value the program got from its future"
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] {           # x is the last argument of the call
            n++; c = $8; sub(/^[^(]*\(/, "", c); sub(/\)$/, "", c); na = split(c, a, ", ")
            x[$1] = (c == "..." || na == 0) ? $1 : a[na] + 0
            st[$1] = $4; got[$1] = $9; call[$1] = $8; next }
        /^Square of / { k++; line[k] = $0 }
        END {
            for (i = 0; i < n; i++) {
                if (st[i] != "ok") {
                    print "call " i ", " call[i] ", did not run to its end (" st[i] "): its square was not computed by the pool"
                    exit
                }
                if (got[i] == "?") {
                    print "the program never took the result of call " i ", " call[i] ", from its future: the squares printed were not the pool'"'"'s"
                    exit
                }
                want = "Square of " x[i] " is " x[i] * x[i]
                if (line[i + 1] != want) {
                    print "line " i + 1 " is \"" line[i + 1] "\", but call " i " gives \"" want "\""
                    exit
                }
            }
            if (k != n) print k " \"Square of\" lines for " n " calls"
        }' "$R/truth.tsv" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    HINT="get the results in a second loop, from futures[0] to futures[NCALLS - 1], and print pool_as_int(future_get(futures[i]))."
    return 1
}
