# truth.awk - what each call of a graded run really gave, one line per call:
#   index task function status value etype emsg call received early
# (tab-separated). Reads the shim's record (calls.tsv, see shim.c) and the
# run's trace as tab-separated lines (pooltrace tsv --lenient, tools/trace):
#     awk -F '\t' -f truth.awk calls.tsv trace.tsv [events.tsv]
# status is the trace's (ok, error, crash, terminated) or "missing"; of a
# call tried again after its worker died, its last record's. value
# is the result the program was given, or for the functions the exercises
# define, the one the call should give (so that a broken function shows).
# received is what the program itself was given by future_get, pool_apply
# or pool_map ("?" if it never asked; "error" for an error). early is 1
# when future_successful said -1 for the call: it had not finished yet.
# A call made inside pool_apply or pool_map (task "~B" or "~B:K") is matched
# with the first unclaimed task after task B that ran its function; a map
# chunk's record "name[first..last]" covers inputs first to last.
# Without a call record (a call the shim did not see), task i is call i:
# ids count from 0 in call order (pooltrace makes them so in every
# version).
#
# The runtime itself writes a call event for every task (runtime/TRACE.md),
# whichever public call made it and wherever that call sits in the
# library; a third file, the run's call events as `pooltrace calls
# --lenient` gives them (task input api function kind value ...), adds
# each call made with pool_apply_async (or its _retries or _limit forms)
# that the shim's record does not name. The calls are then numbered again
# in the order of their tasks, and a result the shim wrote for a future it
# did not see ("get @TASK ...") is that task's call's.

FILENAME == ARGV[1] && $1 == "get" && $2 ~ /^@/ {     # a future the shim did not see
    i = substr($2, 2)
    if ($3 == "error") { tgtype[i] = $4; tgmsg[i] = $5; tgval[i] = "error" }
    else if ($3 == "none") tgval[i] = "none"
    else tgval[i] = $4
    next
}
FILENAME == ARGV[1] && $1 == "early" && $2 ~ /^@/ { tearly[substr($2, 2)] = 1; next }
FILENAME == ARGV[1] && $1 == "call" {
    i = $2; n = (i + 1 > n) ? i + 1 : n
    task[i] = $3; fn[i] = $4; nargs[i] = 0; text = ""
    for (j = 5; j <= NF; j += 2) {
        nargs[i]++; kind[i, nargs[i]] = $j; arg[i, nargs[i]] = $(j + 1)
        if ($j == "none") j--
        text = text (nargs[i] > 1 ? ", " : "") ($j == "str" ? "\"" $(j + 1) "\"" : $(j + 1))
    }
    call[i] = $4 "(" text ")"
    next
}
FILENAME == ARGV[1] && $1 == "get" {
    i = $2
    if ($3 == "error") { gtype[i] = $4; gmsg[i] = $5; gval[i] = "error" }
    else if ($3 == "none") gval[i] = "none"
    else gval[i] = $4
    next
}
FILENAME == ARGV[1] && $1 == "early" { early[$2] = 1; next }
FILENAME == ARGV[1] { next }
FILENAME == ARGV[3] {               # the call events
    if ($2 == "-" && $1 ~ /^[0-9]+$/ && ($3 == "pool_apply_async" || $3 == "pool_apply_async_retries" ||
        $3 == "pool_apply_async_limit") && !($1 in ev)) {
        ev[$1] = ++nev; evtask[nev] = $1; evfn[nev] = $4; evline[nev] = $0
    }
    next
}
{                                   # the trace
    t = $1
    if ($8 == "retried" && (t in tstatus)) next     # a try before the last one
    tstatus[t] = $8; terr[t] = $9; tfn[t] = $2
    if (!seen++ || t + 0 > maxtask) maxtask = t + 0
}
function allint(i, k,    j) {
    if (nargs[i] != k) return 0
    for (j = 1; j <= k; j++) if (kind[i, j] != "int") return 0
    return 1
}
# The task that ran call i, made inside the runtime after task b (-1:
# before the first; k: input k of a map, or -1); "-" if none is found.
function find(i, b, k,    t, name, r) {
    for (t = b + 1; t <= maxtask; t++) {
        if (!(t in tfn) || (t in claimed)) continue
        name = tfn[t]
        if (name == fn[i]) { claimed[t] = 1; return t }
        if (k >= 0 && index(name, fn[i] "[") == 1) {
            r = substr(name, length(fn[i]) + 2); sub(/\]$/, "", r)
            split(r, lim, "\\.\\.")
            if (k >= lim[1] + 0 && k <= lim[2] + 0) { chunk[t] = 1; return t }
        }
    }
    return "-"
}
# Add call i for the call event k (its line: task - api function args).
function add_event(i, k,    f, j, text) {
    split(evline[k], f, "\t")
    task[i] = evtask[k]; fn[i] = evfn[k]; nargs[i] = 0; text = ""
    for (j = 5; j in f; j += 2) {
        nargs[i]++; kind[i, nargs[i]] = f[j]; arg[i, nargs[i]] = f[j + 1]
        if (f[j] == "none") j--
        text = text (nargs[i] > 1 ? ", " : "") (f[j] == "str" ? "\"" f[j + 1] "\"" : f[j + 1])
    }
    call[i] = fn[i] "(" text ")"
    if (evtask[k] in tgval) { gval[i] = tgval[evtask[k]]; gtype[i] = tgtype[evtask[k]]; gmsg[i] = tgmsg[evtask[k]] }
    if (evtask[k] in tearly) early[i] = 1
}
END {
    for (i = 0; i < n; i++)
        if (task[i] ~ /^[0-9]+$/) named[task[i]] = 1
    added = 0
    for (k = 1; k <= nev; k++)
        if (!(evtask[k] in named)) { add_event(n, k); n++; added++ }
    if (n == 0 && seen)             # no call record: fall back on the trace
        for (t = 0; t <= maxtask; t++) { task[t] = t; fn[t] = tfn[t]; call[t] = tfn[t] "(...)"; n = t + 1 }
    for (i = 0; i < n; i++)
        if (task[i] !~ /^~/) claimed[task[i]] = 1
    for (i = 0; i < n; i++)
        if (task[i] ~ /^~/) {
            b = substr(task[i], 2); k = -1
            if (b ~ /:/) { k = b; sub(/^[^:]*:/, "", k); sub(/:.*/, "", b) }
            task[i] = find(i, b + 0, k + 0)
        }
    # The order to print them in: as recorded; with calls added from the
    # events, in the order of their tasks (a call with no task, refused,
    # stays after the one before it).
    for (i = 0; i < n; i++) order[i] = i
    if (added) {
        last = -1
        for (i = 0; i < n; i++) {
            if (task[i] ~ /^[0-9]+$/) last = task[i] + 0
            key[i] = last
        }
        for (i = 1; i < n; i++) {      # insertion sort: stable, and n is small
            o = order[i]
            for (j = i - 1; j >= 0 && key[order[j]] > key[o]; j--) order[j + 1] = order[j]
            order[j + 1] = o
        }
    }
    for (r = 0; r < n; r++) {
        i = order[r]
        t = task[i]
        st = (t in tstatus) ? tstatus[t] : "missing"
        received = (i in gval) ? gval[i] : "?"
        if ((t in chunk) && (st == "ok" || st == "error"))   # one record for several inputs
            st = received == "error" ? "error" : "ok"
        value = received == "error" ? "?" : received
        f = fn[i]
        if (f == "slow_add" && allint(i, 3)) value = arg[i, 2] + arg[i, 3]
        if (f == "slow_diff" && allint(i, 3)) value = arg[i, 2] - arg[i, 3]
        if (f == "slow_square" && allint(i, 2)) value = arg[i, 2] * arg[i, 2]
        if (f == "safe_divide" && allint(i, 2) && arg[i, 2] != 0) value = int(arg[i, 1] / arg[i, 2])
        et = (i in gtype) ? gtype[i] : ""
        em = (i in gmsg) ? gmsg[i] : ""
        if (st != "ok" && et == "" && (t in terr) && !(t in chunk)) {
            et = terr[t]; sub(/: .*/, "", et)
            em = terr[t]; sub(/^[^:]*: /, "", em)
        }
        printf "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r, t, f, st, value, et, em, call[i], received, early[i]
    }
}
