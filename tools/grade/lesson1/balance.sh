# balance.sh - the checks of exercises/lesson1/balance.c (sourced by grade).
# Graded on the schedule, from the trace: how long the map took against
# the least time the work allows on the pool's workers (the lower bound:
# all the work shared evenly, and never less than the longest input).

balance_checks() {
    cat <<'LIST'
compiles 0 - balance.c compiles
runs 0 compiles ./balance runs on 4 workers and exits with status 0
results 0 runs every input's result is printed, "job(i) = i*i", in input order
four 1 results on 4 workers, the work is split so that no worker is busy more than 25% past the least time it allows
two 1 results on 2 workers too, no worker is busy more than 25% past the least time the work allows
LIST
}

# The work of the 16 inputs, in the program's own seconds: 4 x 2 + 12 x 0.5.
BALANCE_WORK=14

balance_start() {
    start_run four "POOL_WORKERS=4"
    start_run two "POOL_WORKERS=2"
}

balance_runs() { EXPECTED="exit status 0"; ran_ok four; }

balance_results() {
    rundir four
    EXPECTED="16 lines \"job(i) = i*i\", for i from 0 to 15, each the result the pool gave"
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] { if ($3 == "job") { n++; got[n] = $9 }; next }
        /^job\(/ { k++; line[k] = $0 }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            if (n != 16) bad(n " inputs were mapped with job, not 16")
            for (i = 1; i <= k || i <= 16; i++) {
                want = "job(" i - 1 ") = " (i - 1) * (i - 1)
                if (line[i] != want) bad("line " i " is \"" line[i] "\", but input " i - 1 " gives \"" want "\"")
                else if (got[i] == "?") bad("the program never took the result of input " i - 1 " from the map'"'"'s output")
            }
        }' "$R/truth.tsv" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    HINT="keep the inputs 0 to 15, the task job and the loop that prints pool_as_int(out[i]); change only the chunk size."
    return 1
}

# schedule RUN W: the run's map, on W workers, splits its work within 25%
# of the lower bound. Times in the program's own seconds, from the trace.
# The split is judged by the busiest worker's time in tasks, which the
# machine's load hardly changes (a wake-up that comes late adds to the
# gaps between tasks, not to them); the whole map, first call made to last
# ended, must still be within twice the bound, so that work handed out one
# piece at a time, waiting for each, does not pass.
schedule() {
    _nw=$2
    EXPECTED="on $_nw workers, no worker busy more than 25% past the least time the work allows"
    ran_ok "$1" || return 1
    rundir "$1"
    _w=$(sed -n '2s/.* workers=\([0-9][0-9]*\).*/\1/p' "$R/trace.csv")
    if [ "$_w" != "$_nw" ]; then
        ACTUAL="with POOL_WORKERS=$_nw the pool had ${_w:-an unknown number of} workers"
        HINT="keep pool_create(0): the pool's size is POOL_WORKERS, and the chunk size must suit any size."
        return 1
    fi
    # work: the tasks' time; bound: max(work / W, the longest task that ran
    # one input); most: the busiest worker's time; span: the whole map.
    set -- $(awk -F '\t' -v scale="$SCALE" -v w="$_nw" '
        $2 !~ /^job(\[|$)/ { next }
        { s = ($7 - $6) / scale; work += s; busy[$3] += s; n++
          one_input = $2 == "job"
          if (!one_input) { r = $2; sub(/^job\[/, "", r); sub(/\]$/, "", r); split(r, lim, "\\.\\."); one_input = lim[1] == lim[2] }
          if (one_input && s > one) one = s
          if (first == "" || $5 < first) first = $5
          if ($7 > last) last = $7 }
        END {
            bound = work / w; if (one > bound) bound = one
            list = ""
            for (p in busy) { list = list (list ? ", " : "") sprintf("%.1f", busy[p]); if (busy[p] > most) most = busy[p] }
            printf "%.2f %.2f %.2f %.2f %d %s\n", (last - first) / scale, bound, work, most, n, list
        }' "$R/trace.tsv")
    _span=$1 _bound=$2 _work=$3 _most=$4 _n=$5
    shift 5
    _busy=$*
    if awk -v a="$_work" -v b="$BALANCE_WORK" 'BEGIN { exit !(a < 0.9 * b) }'; then
        ACTUAL="the tasks of job worked $_work s in all, not the $BALANCE_WORK s of the 16 inputs"
        HINT="keep the inputs and the work of job as they are (2 s for inputs 0 to 3, 0.5 s for the others); change only the chunk size."
        return 1
    fi
    if awk -v a="$_span" -v b="$_work" 'BEGIN { exit !(a >= 0.9 * b) }'; then
        ACTUAL="the map took $_span s, as long as its $_work s of work one task after another: the tasks did not run at the same time ($_n tasks; each worker was busy for: $_busy s)"
        HINT="the master waited for each result before it handed out the next input: make one pool_map_chunked call for all the inputs."
        return 1
    fi
    if ! awk -v a="$_most" -v b="$_bound" 'BEGIN { exit !(a <= 1.25 * b) }'; then
        ACTUAL="the busiest worker ran tasks for $_most s, but the $_work s of work allow $_bound s on $_nw workers ($_n tasks; each worker was busy for: $_busy s; the map took $_span s)"
        HINT="one worker still works long after the others are idle: its chunk holds too many of the long inputs. Smaller chunks let a worker that is done take the next inputs."
        return 1
    fi
    awk -v a="$_span" -v b="$_bound" 'BEGIN { exit !(a <= 2 * b) }' && return 0
    ACTUAL="the map took $_span s, from the first call made to the last ended, though its $_work s of work allow $_bound s on $_nw workers and no worker was busy more than $_most s"
    HINT="the workers waited between tasks: hand every input out at once, with one pool_map_chunked call."
    return 1
}

balance_four() { schedule four 4; }
balance_two() { schedule two 2; }
