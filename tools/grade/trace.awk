# trace.awk - a pool trace (runtime/TRACE.md, version 3, 2 or 1) as
# tab-separated lines, one per task: task function pid worker submit start
# end status error. The task id counts from 0, whatever the version
# (versions 1 and 2 counted from 1: their ids come out one less), so the
# traces of one run read the same. Quoted CSV fields are unquoted; a tab or
# line break inside becomes a space. The comment lines of versions 2 and 3
# (where the trace comes from, worker and master events) are skipped. Exits
# 1, with a sentence on stderr, if the file is not a pool trace, or if a
# task id comes twice where the record before is not "retried" (a try
# whose worker died; the call ran again).

# Split line into fld[1..n]; return n, or -1 if a quoted field is still open.
function split_csv(line,    i, c, f, n, inq) {
    n = 0; f = ""; inq = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (inq) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ }
                else inq = 0
            } else f = f c
        } else if (c == "\"") inq = 1
        else if (c == ",") { fld[++n] = f; f = "" }
        else f = f c
    }
    fld[++n] = f
    return inq ? -1 : n
}

NR == 1 {
    if ($0 == "# pool-trace v3") { v2 = 1; base = 0 }
    else if ($0 == "# pool-trace v2") { v2 = 1; base = 1 }
    else if ($0 == "# pool-trace v1") base = 1
    else { print "not a pool trace (version 1, 2 or 3)" > "/dev/stderr"; bad = 1; exit 1 }
    next
}
v2 && pending == "" && /^#/ { next }
!header { header = 1; next }
{
    line = pending == "" ? $0 : pending "\n" $0
    n = split_csv(line)
    if (n < 0) { pending = line; next }
    pending = ""
    if (fld[1] ~ /^[0-9]+$/) fld[1] -= base
    if ((fld[1] in last) && last[fld[1]] != "retried") {
        print "task " fld[1] " appears twice" > "/dev/stderr"; bad = 1; exit 1
    }
    last[fld[1]] = fld[8]
    out = ""
    for (i = 1; i <= 9; i++) {
        v = fld[i]
        gsub(/[\t\n\r]/, " ", v)
        out = out (i > 1 ? "\t" : "") v
    }
    print out
}
END { if (!bad && !header) { print "the trace has no header" > "/dev/stderr"; exit 1 } }
