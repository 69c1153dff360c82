# whoami.sh - the checks of exercises/lesson1/whoami.c (sourced by grade).
# Which worker ran each input comes from the trace (its pid column),
# matched with the program's inputs by the shim's call record.

whoami_checks() {
    cat <<'LIST'
compiles 0 - whoami.c compiles
runs 0 compiles ./whoami runs and exits with status 0
pids 1 runs each "Input i ran in process P" line gives the PID of the worker that ran input i
count 1 runs the last line counts the worker processes that ran the inputs ("K worker process(es) ran 8 inputs")
pool 1 count the count follows the pool: with POOL_WORKERS=1 the last line says 1, and with 12 workers for 8 inputs it counts only the workers that ran one
LIST
}

whoami_start() {
    start_run main "POOL_WORKERS=3"
    start_run one "POOL_WORKERS=1"
    start_run many "POOL_WORKERS=12"
}

whoami_runs() { EXPECTED="exit status 0"; ran_ok main; }

whoami_pids() {
    rundir main
    EXPECTED="for each input i, one line \"Input i ran in process P\", P the PID of the worker that ran it (the trace's pid)"
    _master=$(sed -n 's/^Master process is PID \([0-9][0-9]*\).*/\1/p' "$R/stdout" | head -n 1)
    ACTUAL=$(awk -F '\t' -v master="$_master" '
        FILENAME == ARGV[1] { pid[$1] = $3; next }
        FILENAME == ARGV[2] { n++; task[$1] = $2; next }
        /^Input [0-9]+ ran in process / {
            split($0, w, " "); i = w[2]; got[i] = w[6]; seen[i]++
            if (got[i] == master) said_master++
            if (got[i] == "0") said_zero++
        }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            if (n == 0) { bad("the program made no call through the pool"); exit }
            for (i = 0; i < n; i++) {
                want = pid[task[i]]
                if (!seen[i]) bad("no \"Input " i " ran in process\" line")
                else if (got[i] != want) bad("Input " i ": printed process " got[i] ", but worker " want " ran it" (got[i] == master ? " (" master " is the master)" : ""))
            }
            if (said_master) print "#master"
            else if (said_zero) print "#zero"
        }' "$R/trace.tsv" "$R/truth.tsv" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    case $ACTUAL in
    *"#master") HINT="getpid() in main is the master's own PID. Ask for it in the task: return pool_int(getpid()) from whoami, then print pool_as_int(out[i])." ;;
    *"#zero") HINT="whoami returns 0: return pool_int(getpid()) instead, and print pool_as_int(out[i])." ;;
    *) HINT="out[i] holds what the task returned for input i: print pool_as_int(out[i]), after pool_map_chunked." ;;
    esac
    ACTUAL=$(printf '%s\n' "$ACTUAL" | grep -v '^#')
    return 1
}

# count_workers RUN: the last line counts the run's worker processes.
count_workers() {
    rundir "$1"
    _k=$(npids "$1")
    _n=$(ntasks "$1")
    EXPECTED="the last line \"$_k worker process(es) ran 8 inputs\" (with POOL_WORKERS=$2 the trace has $_k worker PIDs: $(pidlist "$1"))"
    _last=$(grep -av '^[[:space:]]*$' "$R/stdout" | tail -n 1)
    _said=$(printf '%s\n' "$_last" | sed -n 's/^\([0-9][0-9]*\) worker process\(es\|(es)\)\{0,1\} ran [0-9][0-9]* inputs[[:space:]]*$/\1/p')
    [ "$_n" -gt 0 ] && [ "$_said" = "$_k" ] && return 0
    ACTUAL="the last line is \"$(printf '%s' "$_last" | cut -c1-120)\""
    if [ -z "$_said" ]; then
        HINT="end with printf(\"%d worker process(es) ran %d inputs\\n\", nworkers, NINPUTS)."
    elif [ "$_said" = "$2" ] && [ "$_k" -lt "$2" ]; then
        HINT="$_said is the pool's size (pool_size), not how many workers ran the inputs: with more workers than inputs some run none. Count the different PIDs in out[]."
    elif [ "$_said" -gt "$_k" ]; then
        HINT="a PID that ran several inputs counts once: count out[i] only if no out[j] before it (j < i) holds the same PID."
    else
        HINT="count the different PIDs in out[] after the map: for each i, nworkers++ when no out[j] with j < i holds the same PID."
    fi
    return 1
}

whoami_count() { count_workers main 3; }
whoami_pool() {
    EXPECTED="exit status 0 with POOL_WORKERS=1"
    ran_ok one || return 1
    count_workers one 1 || return 1
    EXPECTED="exit status 0 with POOL_WORKERS=12"
    ran_ok many || return 1
    count_workers many 12
}
