# table.awk - the bench table from the "result" lines of both sides.
#
# Input lines (from poolbench and bench_python.py):
#   result figure=apply side=ours unit=us reps=5 median=21 min=20 max=24 check=ok
# Variables from tools/bench/bench: have_python, calls, tasks, items,
# big_items, idle, scale, mem_small, mem_big, window, futures_map.
# Prints a Markdown table, then one line per target of the new core (issue
# 9) with the figure, the target and met or NOT MET; exits 1 if a figure
# that must be there is not.

$1 == "result" {
    fig = ""; side = ""
    for (i = 2; i <= NF; i++) {
        eq = index($i, "=")
        kv[substr($i, 1, eq - 1)] = substr($i, eq + 1)
    }
    fig = kv["figure"]; side = kv["side"]
    for (k in kv) R[fig, side, k] = kv[k]
    delete kv
}

# A number, short: 3 significant figures, k and M for big ones.
function num(x) {
    x += 0
    if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
    if (x >= 1e4) return sprintf("%.0fk", x / 1e3)
    if (x >= 1e3) return sprintf("%.1fk", x / 1e3)
    return sprintf("%.3g", x)
}

function has(fig, side) { return ((fig, side, "median") in R) }

# A count of calls: whole numbers in full, small ones to 3 figures.
function callcount(x) {
    x += 0
    return (x >= 100 || x <= -100) ? sprintf("%.0f", x) : sprintf("%.3g", x)
}

function count_cell(fig) {
    return callcount(R[fig, "ours", "median"]) " (" callcount(R[fig, "ours", "min"]) "-" callcount(R[fig, "ours", "max"]) ")"
}

function cell(fig, side) {
    if (side != "ours" && !have_python) return "no python3"
    if (!has(fig, side)) return "-"
    return num(R[fig, side, "median"]) " (" num(R[fig, side, "min"]) "-" num(R[fig, side, "max"]) ")"
}

# How many times better ours is than side's: their time / ours, or our rate / theirs.
function times_better(fig, side, better,    a, b) {
    if (!has(fig, "ours") || !has(fig, side)) return ""
    a = R[fig, "ours", "median"] + 0; b = R[fig, side, "median"] + 0
    if (better == "low") return a > 0 ? b / a : ""
    return b > 0 ? a / b : ""
}

function fmt_ratio(r) { return r == "" ? "-" : sprintf("%.1fx", r) }

function checked(fig,    s, n, ok) {
    n = 0; ok = 1
    split("ours pool futures", s, " ")
    for (i = 1; i <= 3; i++)
        if ((fig, s[i], "check") in R) {
            n++
            if (R[fig, s[i], "check"] != "ok") ok = 0
        }
    return n == 0 ? "-" : (ok ? "yes" : "NO")
}

function need(fig, side) {
    if (!((fig, side, "check") in R)) {
        print "table.awk: no result for figure " fig " on side " side > "/dev/stderr"
        missing = 1
    }
}

function row(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10) {
    nrows++
    T[nrows, 1] = c1; T[nrows, 2] = c2; T[nrows, 3] = c3; T[nrows, 4] = c4
    T[nrows, 5] = c5; T[nrows, 6] = c6; T[nrows, 7] = c7; T[nrows, 8] = c8
    T[nrows, 9] = c9; T[nrows, 10] = c10
}

# A figure compared with Python: better is "low" (a time) or "high" (a rate);
# target is how many times better ours must be than Pool's. Returns the ratio
# ("" if a side is missing).
function versus(fig, label, unit, better, target, target_text,    r, met, fcell) {
    r = times_better(fig, "pool", better)
    met = r == "" ? "-" : (r >= target ? "yes" : "NO")
    fcell = cell(fig, "futures")
    if (have_python && !has(fig, "futures")) {
        if (fig == "map_auto" || fig == "map_big") fcell = "no auto chunks"
        else if (fig == "map_one" && !futures_map) fcell = "not run (slow)"
    }
    row(label, unit, cell(fig, "ours"), cell(fig, "pool"), fmt_ratio(r), target_text,
        met, fcell, fmt_ratio(times_better(fig, "futures", better)), checked(fig))
    return r
}

# One line of the targets list: what, the figure as text, the target, and
# whether it is met (ok: 1, 0, or "" when it could not be measured).
function goal(what, figure, target, ok) {
    ngoals++
    G[ngoals, 1] = what; G[ngoals, 2] = figure; G[ngoals, 3] = target
    if (ok == "") G[ngoals, 4] = "not measured"
    else { G[ngoals, 4] = ok ? "met" : "NOT MET"; nmeasured++; nmet += ok }
}

function goal_times(what, r, target) {
    if (r == "") goal(what, have_python ? "-" : "no python3", ">= " target "x", "")
    else goal(what, sprintf("%.1fx", r), ">= " target "x", r >= target)
}

function memory(fig, label,    small, big, grow) {
    small = R[fig, "ours", "small"] / 1024; big = R[fig, "ours", "big"] / 1024
    grow = big - small
    row(label, "MB", sprintf("%.1f -> %.1f", small, big), "-", sprintf("%+.2f MB", grow),
        "flat (<= +1 MB)", grow <= 1 ? "yes" : "NO", "-", "-", checked(fig))
}

# The redesign's table: every figure as a time (or a count) beside its
# anchor from the same run. time_of copies figure src into dst, each of its
# median, min and max times mult.
function time_of(src, dst, mult,    f) {
    if (!has(src, "ours")) return
    for (f in FIELDS) R[dst, "ours", f] = mult * R[src, "ours", f]
    R[dst, "ours", "check"] = R[src, "ours", "check"]
}

# A ratio: 3 significant figures, no exponent.
function ratio(x) {
    x += 0
    return x >= 100 ? sprintf("%.0f", x) : (x >= 0.01 ? sprintf("%.3g", x) : sprintf("%.4f", x))
}

# A row of the redesign's table: ours, its anchor (or none: ""), their ratio
# (ours / anchor): the median of the ratios pair by pair when the two ran in
# pairs (figure rfig, with its min and max), else the ratio of the medians.
# The target: ratio <= most, or for a count (no anchor) the figure itself
# < most (below: 1) or <= most (below: 0). absent says why a figure that is
# not there is missing.
function anchored(label, unit, fig, alabel, afig, rfig, most, below, absent,    v, a, r, t, ok, ours_cell, a_cell) {
    ours_cell = !has(fig, "ours") ? absent : (unit == "calls" ? count_cell(fig) : cell(fig, "ours"))
    a_cell = afig == "" ? "-" : (has(afig, "ours") ? cell(afig, "ours") : absent)
    r = "-"; ok = ""
    if (has(fig, "ours") && (afig == "" || has(afig, "ours"))) {
        v = R[fig, "ours", "median"] + 0
        if (rfig != "" && has(rfig, "ours")) {
            v = R[rfig, "ours", "median"] + 0
            r = ratio(v) "x (" ratio(R[rfig, "ours", "min"]) "-" ratio(R[rfig, "ours", "max"]) ")"
        } else if (afig != "") {
            a = R[afig, "ours", "median"] + 0
            r = a > 0 ? ratio(v / a) "x" : "-"
            v = a > 0 ? v / a : 1e300
        }
        if (most != "") ok = below ? v < most : v <= most
    }
    t = most == "" ? "-" : (afig == "" ? (below ? "< " : "<= ") most : "<= " most "x")
    nr2++
    U[nr2, 1] = label; U[nr2, 2] = unit; U[nr2, 3] = ours_cell; U[nr2, 4] = alabel == "" ? "-" : alabel
    U[nr2, 5] = a_cell; U[nr2, 6] = r; U[nr2, 7] = t
    U[nr2, 8] = most == "" ? "-" : (ok == "" ? "not measured" : (ok ? "yes" : "NO"))
    if (most != "") { ntargets++; if (ok != "") { nmeasured2++; nmet2 += ok } }
}

function print_table(A, nr, nc,    r, c, line, dash, k, w) {
    for (c = 1; c <= nc; c++) {
        w[c] = 3
        for (r = 1; r <= nr; r++)
            if (length(A[r, c]) > w[c]) w[c] = length(A[r, c])
    }
    for (r = 1; r <= nr; r++) {
        line = "|"
        for (c = 1; c <= nc; c++) line = line " " pad(A[r, c], w[c]) " |"
        print line
        if (r == 1) {
            line = "|"
            for (c = 1; c <= nc; c++) {
                dash = ""
                for (k = 0; k < w[c] + 2; k++) dash = dash "-"
                line = line dash "|"
            }
            print line
        }
    }
}

function pad(s, n) {
    while (length(s) < n) s = s " "
    return s
}

function count(n) {
    if (n >= 1e6 && n % 1e6 == 0) return (n / 1e6) "M"
    if (n >= 1e3 && n % 1e3 == 0) return (n / 1e3) "k"
    return n
}

END {
    split("create apply shmpong shmpong_wake pingpong async trace_off trace_on trace_cost map_auto map_big map_one work mem_master mem_worker idle", all, " ")
    for (i in all) need(all[i], "ours")
    if (have_python) {
        split("create apply async map_auto map_big map_one work", py, " ")
        for (i in py) {
            need(py[i], "pool")
            if (py[i] !~ /^map_/ || (py[i] == "map_one" && futures_map)) need(py[i], "futures")
        }
    }
    if (missing) exit 1

    row("figure", "unit", "ours: median (min-max)", "Pool: median (min-max)", "ours vs Pool",
        "target", "met", "futures: median (min-max)", "ours vs futures", "checked")
    versus("create", "pool start + 1st apply + close/join", "ms", "low", 10, ">= 10x")
    r_apply = versus("apply", "apply round trip, no-op", "us", "low", 30, ">= 30x")
    floor = R["apply", "ours", "median"] / R["shmpong", "ours", "median"]
    row("shared-memory ping-pong, spin then futex (floor)", "us", cell("shmpong", "ours"), "-",
        sprintf("apply = %.1fx floor", floor), "apply <= 3x", floor <= 3 ? "yes" : "NO",
        "-", "-", checked("shmpong"))
    wake = R["apply", "ours", "median"] / R["shmpong_wake", "ours", "median"]
    row("the same, FUTEX_WAKE after every write", "us", cell("shmpong_wake", "ours"), "-",
        sprintf("apply = %.1fx this", wake), "-", "-", "-", "-", checked("shmpong_wake"))
    pipe = R["apply", "ours", "median"] / R["pingpong", "ours", "median"]
    row("raw pipe ping-pong, 2 processes", "us", cell("pingpong", "ours"), "-",
        sprintf("apply = %.1fx pipe", pipe), "-", "-", "-", "-", checked("pingpong"))
    r_async = versus("async", "apply_async " count(tasks) " no-ops, then get all", "tasks/s", "high",
                     100, ">= 100x")
    r_auto = versus("map_auto", "pool_map " count(items) " ints, automatic chunks", "items/s", "high",
                    5, ">= 5x")
    r_big = versus("map_big", "pool_map " count(big_items) " ints, automatic chunks", "items/s",
                   "high", 5, ">= 5x")
    r_one = versus("map_one", "map " count(items) " ints, 1 item per task", "items/s", "high",
                   30, ">= 30x")
    versus("work", "5-call workload: wall - ideal " sprintf("%.2g", 8 * scale) " s", "ms", "low", 1,
           "< Pool's")
    slow = R["trace_cost", "ours", "median"] / 100
    row("apply_async, tracing off (" R["trace_cost", "ours", "reps"] " paired runs)", "tasks/s", cell("trace_off", "ours"), "-",
        "-", "-", "-", "-", "-", checked("trace_off"))
    row("apply_async, tracing on (" R["trace_cost", "ours", "reps"] " paired runs)", "tasks/s", cell("trace_on", "ours"), "-",
        sprintf("%+.1f%% time vs off (%+.0f..%+.0f)", 100 * slow, R["trace_cost", "ours", "min"],
                R["trace_cost", "ours", "max"]), "<= +5%", slow <= 0.05 ? "yes" : "NO",
        "-", "-", checked("trace_on"))
    memory("mem_master", "master peak RSS, " count(mem_small) " -> " count(mem_big) " tasks")
    memory("mem_worker", "worker peak RSS, " count(mem_small) " -> " count(mem_big) " tasks")
    idle_cpu = R["idle", "ours", "median"] + 0
    row("idle pool of 2, " idle " s: master + " (R["idle", "ours", "processes"] - 1) " processes",
        "% of 1 CPU", sprintf("%.2f", idle_cpu), "-", "-", "< 1%", idle_cpu < 1 ? "yes" : "NO",
        "-", "-", checked("idle"))

    goal_times("apply round trip vs Pool.apply", r_apply, 30)
    goal("apply round trip vs shared-memory floor", sprintf("%.1fx floor", floor), "<= 3x", floor <= 3)
    goal_times("apply_async vs Pool.apply_async", r_async, 100)
    goal_times("pool_map (auto chunks) vs Pool.map, " count(items), r_auto, 5)
    goal_times("pool_map (auto chunks) vs Pool.map, " count(big_items), r_big, 5)
    goal_times("1 item per task vs Pool.map chunksize=1", r_one, 30)
    goal("idle pool of 2 workers, CPU over " idle " s", sprintf("%.2f%% of 1 CPU", idle_cpu), "< 1%",
         idle_cpu < 1)
    goal("tracing cost (apply_async time, paired runs)", sprintf("%+.1f%%", 100 * slow), "<= +5%",
         slow <= 0.05)

    print_table(T, nrows, 10)
    print ""
    print "ours vs X: how many times better ours is (a time: X's / ours; a rate: ours / X's)."
    print "Pool = multiprocessing.Pool(2); futures = concurrent.futures.ProcessPoolExecutor(2)."
    print "Pool.map with automatic chunks uses Pool's default chunk size; 1 item per task: chunksize=1."
    printf "floor: a counter bounced through a shared page, spin up to %s us then futex; futex sleeps per round trip: %.4f (%.4f waking every time).\n",
        R["shmpong", "ours", "spin_us"], R["shmpong", "ours", "sleeps_per_trip"],
        R["shmpong_wake", "ours", "sleeps_per_trip"]
    printf "idle: utime + stime of the master and every process under it, read in %s ms ticks",
        R["idle", "ours", "tick_ms"]
    if (R["idle", "ours", "gone"] > 0)
        printf "; %d of them ended while the pool was idle (their last CPU time is not counted)",
            R["idle", "ours", "gone"]
    print "."
    printf "memory: %s calls streamed, %d futures in flight, each freed when done; %s tasks/s.\n",
        count(mem_big), window, num(R["mem_rate", "ours", "median"])
    print ""
    print "Targets of the new core, from this run:"
    for (c = 1; c <= 3; c++) {
        gw[c] = 0
        for (g = 1; g <= ngoals; g++)
            if (length(G[g, c]) > gw[c]) gw[c] = length(G[g, c])
    }
    for (g = 1; g <= ngoals; g++)
        print "  " pad(G[g, 1], gw[1]) "  " pad(G[g, 2], gw[2]) "  target " pad(G[g, 3], gw[3]) "  " G[g, 4]
    printf "%d of %d targets met (%d measured).\n", nmet, ngoals, nmeasured

    # The redesign: each figure beside its anchor, as times (lower is
    # better) or counts, and the ratio ours / anchor.
    split("median min max", FIELDS_LIST, " ")
    for (i in FIELDS_LIST) FIELDS[FIELDS_LIST[i]] = 1
    time_of("bytes_memcpy_1mb", "t_memcpy2", 2)
    nocount = counter == "none" ? "not counted (no perf or strace)" : ""
    nofutex = counter == "strace" ? "not counted (needs perf: strace hides futex storms)" : nocount
    U[1, 1] = "figure"; U[1, 2] = "unit"; U[1, 3] = "ours: median (min-max)"; U[1, 4] = "anchor"
    U[1, 5] = "anchor: median (min-max)"; U[1, 6] = "ours / anchor"; U[1, 7] = "target"; U[1, 8] = "met"
    nr2 = 1
    anchored("pool_map " count(big_items) " ints, automatic chunks", "ns/item", "vs_omp_ours",
             "OpenMP, 2 threads, schedule(dynamic, 1024)", "vs_omp_anchor", "vs_omp", 3, 0, "-")
    anchored("pool_map_array " count(big_items) " longs, automatic chunks", "ns/item", "vs_array_ours",
             "OpenMP, 2 threads, schedule(dynamic, 1024)", "vs_array_anchor", "vs_array", 3, 0, "-")
    anchored("pool_map_chunked " count(items) " ints, chunks of 10", "ns/item", "vs_chunks_ours",
             "the same, chunks of 9", "vs_chunks_anchor", "vs_chunks", 1.5, 0, "-")
    anchored("apply_async " count(tasks) " no-ops, then get all", "us/call", "vs_threads_ours",
             "mutex+condvar pthread pool, 2 threads", "vs_threads_anchor", "vs_threads", 5, 0, "-")
    anchored("futex calls per apply_async call, busy pool", "calls", "futex_async", "", "", "",
             0.05, 1, nofutex)
    anchored("mmap+munmap per " count(items) "-int map, chunks of 10", "calls", "mmap_c10", "", "",
             "", 10, 0, nocount)
    anchored("mmap+munmap per " count(items) "-int map, automatic chunks", "calls", "mmap_auto", "",
             "", "", 10, 0, nocount)
    anchored("apply round trip, no-op", "us", "vs_floor_ours", "shared-memory spin ping-pong (floor)",
             "vs_floor_anchor", "vs_floor", 2, 0, "-")
    anchored("bytes, 1 MB to a task and back", "us", "bytes_trip_1mb", "two memcpys of 1 MB",
             "t_memcpy2", "", 2, 0, "not run (no bytesbench)")
    anchored("memcpy of 1 MB (floor)", "us", "bytes_memcpy_1mb", "", "", "", "", 0,
             "not run (no bytesbench)")
    anchored("fork + wait for a child that exits (floor)", "us", "fork", "", "", "", "", 0, "-")
    print ""
    print "The redesign's targets (walls in shared memory), each beside its anchor from this run:"
    print ""
    print_table(U, nr2, 8)
    print ""
    print "ours / anchor: how many times the anchor's time ours takes (lower is better). Ours and its anchor run in pairs, in turn,"
    printf "%d pairs after a warm-up pair; the ratio is the median (min-max) of the pairs' ratios. Bytes: bytesbench's medians.\n", R["vs_omp", "ours", "reps"]
    if (counter != "none")
        printf "calls: counted with %s over the master and every process under it, runs of 1 and of 3 after a warm-up: the difference over 2 runs (%d pair%s).\n",
            counter == "perf" ? "perf's syscall tracepoints" : "strace -f -c", pairs, pairs == 1 ? "" : "s"
    if (counter == "strace")
        print "strace stops the process at every system call, which changes how often a map maps and unmaps: perf's counts are the reference."
    printf "%d of %d targets met (%d measured).\n", nmet2, ntargets, nmeasured2
}
