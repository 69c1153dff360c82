# calls.sh - what lesson 3's checks share (sourced by each lesson3/*.sh).

# calls RUN: one line per call the program made, in the order it made them
# (tab-separated): index function status start end arg1 arg2 error, with
# start and end in the program's own seconds (the trace's, divided by the
# time scale; -1 for a call with no record). From the shim's record, the
# trace and truth.awk's match of the two, so no task numbering is assumed.
calls() {
    rundir "$1"
    awk -F '\t' -v scale="$SCALE" '
        FILENAME == ARGV[1] { task[$1] = $2; fn[$1] = $3; st[$1] = $4; n = $1 + 1 > n ? $1 + 1 : n; next }
        FILENAME == ARGV[2] { s[$1] = $6 / scale; e[$1] = $7 / scale; err[$1] = $9; next }
        $1 == "call" { a1[$2] = $6; a2[$2] = $8 }
        END {
            for (i = 0; i < n; i++) {
                t = task[i]
                printf "%d\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\n", i, fn[i], st[i],
                    (t in s) ? s[t] : -1, (t in e) ? e[t] : -1, a1[i], a2[i], err[t]
            }
        }' "$R/truth.tsv" "$R/trace.tsv" "$R/calls.tsv"
}

# slack UNITS: UNITS of the program's seconds, but never less than 0.1 s of
# real time (a kill or a wake-up can come that late on a busy machine,
# whatever the time scale), in the program's seconds.
slack() { awk -v u="$1" -v k="$SCALE" 'BEGIN { r = 0.1 / k; printf "%.2f", (u > r ? u : r) }'; }
