# future.sh - the checks of exercises/lesson2/future.c (sourced by grade).
# Each check FUNCTION sets EXPECTED, ACTUAL and HINT and fails, or passes.
# Every run has POOL_WORKERS=3, so a program that ignores argv[1] shows.

# id, points, checks it needs (comma-separated, - for none), sentence.
future_checks() {
    cat <<'LIST'
compiles 0 - future.c compiles
runs 0 compiles ./future 2 runs and exits with status 0
workers 1 runs ./future 1 and ./future 4 run their calls on 1 and 4 worker processes
default 1 workers ./future with no argument has one worker per CPU (pool_create(0); here POOL_WORKERS=3)
usage 1 runs ./future abc, 3x, 0 and -1 each print a usage line on stderr and exit with status 2
calls 1 runs the program makes more than five calls
finished 1 calls every call finishes before the pool is destroyed
results 1 calls every successful call is reported with its right result
failures 1 calls every failed call is reported with its error type and message
LIST
}

future_start() {
    start_run main "POOL_WORKERS=3" 2
    start_run one "POOL_WORKERS=3" 1
    start_run four "POOL_WORKERS=3" 4
    start_run noarg "POOL_WORKERS=3"
    start_run abc "POOL_WORKERS=3" abc
    start_run 3x "POOL_WORKERS=3" 3x
    start_run zero "POOL_WORKERS=3" 0
    start_run neg "POOL_WORKERS=3" -1
}

future_runs() { EXPECTED="exit status 0"; ran_ok main; }

# pool_size RUN N: the run's calls ran on N workers.
pool_size_is() {
    EXPECTED="$(cmdline "$1") runs its calls on $2 worker process(es): $2 PID(s) in the trace"
    ran_ok "$1" || return 1
    _p=$(npids "$1") _t=$(ntasks "$1")
    [ "$_p" -eq "$2" ] && return 0
    ACTUAL="$(cmdline "$1") ran its $_t calls on $_p worker processes (PIDs $(pidlist "$1"))"
    if [ "$_p" -eq 3 ]; then
        HINT="3 is what POOL_WORKERS says, which pool_create(0) uses: pass the number from argv[1] to pool_create."
    elif [ "$_p" -lt "$2" ] && [ "$_t" -lt "$2" ]; then
        HINT="only $_t calls were made: too few to keep $2 workers busy. Keep the first five calls."
    elif [ "$_p" -lt "$2" ]; then
        HINT="only $_p workers got a call: keep the first five calls, which take a few seconds each."
    else
        HINT="pass the number from argv[1] to pool_create, and make only that one pool."
    fi
    return 1
}

future_workers() { pool_size_is one 1 && pool_size_is four 4; }

future_default() {
    pool_size_is noarg 3 && return 0
    case $(cat "$EXW/out.noarg/status") in
    signal*) HINT="without an argument argv[1] is NULL: read it only when argc > 1." ;;
    "exit 0") HINT="with no argument, call pool_create(0): it reads POOL_WORKERS, or counts the CPUs." ;;
    esac
    return 1
}

future_usage() {
    for _r in abc 3x zero neg; do
        rundir "$_r"
        _a=$(cat "$EXW/args.$_r")
        EXPECTED="$(cmdline "$_r") prints a line with \"usage\" on stderr and exits with status 2"
        _st=$(cat "$R/status")
        _said=$(grep -aic usage "$R/stderr")
        [ "$_st" = "exit 2" ] && [ "$_said" -gt 0 ] && continue
        ACTUAL="$(cmdline "$_r") $(describe "$_r")"
        if [ "$_said" -gt 0 ]; then
            ACTUAL="$ACTUAL, after printing the usage line"
            HINT="return 2 from main (or exit(2)) right after the usage line."
        else
            [ -s "$R/stderr" ] && ACTUAL="$ACTUAL, and printed on stderr: $(head -n 1 "$R/stderr" | cut -c1-120)" ||
                ACTUAL="$ACTUAL, and printed nothing on stderr"
            case $_a in
            3x) HINT="3x is not a number: after n = strtol(argv[1], &end, 10), check that *end == '\\0'." ;;
            abc) HINT="abc is not a number: after strtol(argv[1], &end, 10), end == argv[1] means no digit was read." ;;
            *) HINT="a pool needs at least one worker: check that the number is 1 or more." ;;
            esac
            HINT="$HINT Then fprintf(stderr, \"usage: future [WORKERS]\\n\") and return 2."
        fi
        return 1
    done
    return 0
}

future_calls() {
    EXPECTED="more than 5 calls (records in the trace of ./future 2)"
    rundir main
    if [ ! -s "$R/trace.csv" ]; then
        ACTUAL="no trace was written: did the program make its pool and calls?"
        HINT="keep pool_create and the calls; the grader reads POOL_TRACE's file."
        return 1
    fi
    _t=$(ntasks main)
    [ "$_t" -gt 5 ] && return 0
    ACTUAL="$_t calls"
    HINT="add calls after the first five, such as futures[n++] = pool_apply_async(p, slow_add, 2, 4, 5);"
    if in_master main; then
        ACTUAL="$_t calls through the pool; the program also ran a task function itself, in the master process"
        HINT="a call goes through the pool: futures[n++] = pool_apply_async(p, slow_add, 2, 4, 5); calling slow_add(...) directly runs it in the master, in no worker."
    fi
    return 1
}

future_finished() {
    EXPECTED="no call with status \"terminated\" in the trace (terminated: the pool was destroyed before it ended)"
    for _r in main one four; do
        rundir "$_r"
        [ "$(cat "$R/status")" = "exit 0" ] || continue
        _bad=$(awk -F '\t' '$8 == "terminated" { s = s (s ? ", " : "") "Process " $1 } END { print s }' "$R/trace.tsv")
        [ -z "$_bad" ] && continue
        ACTUAL="in $(cmdline "$_r"), these calls never ended: $_bad"
        HINT="wait for every future before pool_destroy: do the waiting loop and the results loop go over all n futures?"
        return 1
    done
    return 0
}

# The report lines of ./future 2 against what each call gave.
future_results() {
    rundir main
    EXPECTED="for each call i that worked, one line \"Process i was successful. Result is R\" with its result R"
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] { n++; st[$1] = $4; val[$1] = $5; call[$1] = $8; next }
        /^Process [0-9]+ was successful\. Result is / {
            split($0, w, " "); i = w[2]; r = $0; sub(/^.*Result is /, "", r); sub(/[ \t].*$/, "", r)
            seen[i]++; got[i] = r
            if (!(i in st)) bad("Process " i " is reported, but only " n " calls were made (0 to " n - 1 ")")
            else if (st[i] != "ok") bad("Process " i " is reported as successful, but " call[i] " failed")
        }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            for (i = 0; i < n; i++) {
                if (st[i] != "ok") continue
                if (!seen[i]) bad("Process " i " (" call[i] ") is never reported")
                else if (seen[i] > 1) bad("Process " i " is reported " seen[i] " times")
                else if (val[i] != "?" && got[i] != val[i]) bad("Process " i ": the result printed is " got[i] ", but " call[i] " gave " val[i])
            }
        }' "$R/truth.tsv" "$R/stdout")
    [ -z "$ACTUAL" ] && return 0
    HINT="each Process number is the future's index in the array, from 0; print pool_as_int(future_get(futures[i]))."
    asked_early main
    return 1
}

future_failures() {
    rundir main
    EXPECTED="for each call i that failed, \"Process i failed!\" and then \"    Error = TYPE : MESSAGE\""
    ACTUAL=$(awk -F '\t' '
        FILENAME == ARGV[1] { n++; st[$1] = $4; et[$1] = $6; em[$1] = $7; call[$1] = $8; next }
        want != "" && /Error = / {
            e = $0; sub(/^.*Error = /, "", e); sub(/[ \t]+$/, "", e)
            if (e != want) { bad("Process " idx ": the error printed is \"" e "\", but it is \"" want "\""); mm[idx] = 1 }
            else ok[idx] = 1
            want = ""; next
        }
        /^Process [0-9]+ / { want = "" }
        /^Process [0-9]+ failed!/ {
            split($0, w, " "); idx = w[2]; seen[idx]++
            if (!(idx in st)) bad("Process " idx " is reported, but only " n " calls were made")
            else if (st[idx] == "ok") bad("Process " idx " is reported as failed, but " call[idx] " worked")
            else want = et[idx] " : " em[idx]
        }
        function bad(s) { if (++nbad <= 3) print s }
        END {
            for (i = 0; i < n; i++)
                if (st[i] != "ok" && st[i] != "terminated" && !seen[i])
                    bad("Process " i " (" call[i] ") failed, but no \"Process " i " failed!\" line says so")
                else if (st[i] != "ok" && st[i] != "terminated" && !ok[i] && !mm[i])
                    bad("Process " i " failed, but no \"Error = \" line follows \"Process " i " failed!\"")
        }' "$R/truth.tsv" "$R/stdout" | awk '!s[$0]++')
    [ -z "$ACTUAL" ] && return 0
    HINT="when future_successful(f) is 0, e = future_get(f) holds the error: print pool_error_type(e) and pool_error_message(e)."
    asked_early main
    return 1
}

# asked_early RUN: if the program asked future_successful about a call that
# had not finished (it said -1), that is the cause: say so first.
asked_early() {
    rundir "$1"
    _early=$(awk -F '\t' '$10 == 1 { s = s (s ? ", " : "") $1 } END { print s }' "$R/truth.tsv")
    [ -z "$_early" ] && return 0
    ACTUAL="future_successful gave -1 (the call had not finished yet) for Process $_early
$ACTUAL"
    HINT="future_successful is -1 until the call is done: does the waiting loop go over all n futures, not only the first five?"
}

# in_master RUN: a task function ran in the master process (see shim.c).
in_master() { rundir "$1"; grep -aq '^master' "$R/calls.tsv"; }
