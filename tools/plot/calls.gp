# calls.gp - one row per call, in the order the calls were made: a thin
# bar while the call waited in the queue (submit to start), then a box
# while it ran, coloured by how it ended and labelled with its worker.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/w4'; out='DIR/calls-w4.png'; kind='png'" calls.gp
# tracestat wrote data.calls (row, submit, start, end, status 1-7, middle
# of the wait, its label, middle of the run, its label, the wait in
# seconds, "never started" or " "), data.callrows (the row names; a text chart leaves the wait
# labels out, as they would run into the next row), data.master (when the
# master was blocked waiting, drawn in row -1 on top when mrow is 1, as in
# timeline.gp) and data.vars (ncalls, tmax, cttl, xlbl: shared by every
# run).

load data.'.vars'
calls = data.'.calls'
callrows = data.'.callrows'
master = data.'.master'
textrows = 12 + 2 * (ncalls + mrow)
load (ARG0[1:strstrt(ARG0, 'calls.gp') - 1]).'style.gp'

set title cttl
set xlabel xlbl
set xrange [0:tmax]
set yrange [ncalls - 0.5:-0.5 - mrow]
set ytics scale 0
set xtics nomirror
if (kind ne 'text') { set grid xtics }
set key outside bottom center horizontal @keyorder maxcols 3
# Room for the most legend rows any run's chart has (three entries a
# row), so that the axes of all runs sit at one height.
if (kind ne 'text') { set bmargin at screen 0.115 + 0.04 * ckeyrows }
set datafile separator "\t"

# The statuses' looks (linetypes 1-7, SP, SE) came with data.vars.
box(s) = (column(5) == s ? column(8) : NaN)
h = ncalls > 12 ? 0.4 : 0.3
lf = (kind eq 'text') ? '' : ',16'

plot callrows using (NaN):1:ytic(2) notitle, \
     master using 1:2:3:4:($2 - h):($2 + h) with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 8 title mtitle, \
     master using 1:2:(kind eq 'text' ? '' : stringcolumn(5)) with labels font lf tc rgb 'white' notitle, \
     calls using 6:1:2:3:($1 - h/3):($1 + h/3) with boxxyerror fs pattern 4 border lc rgb '#969696' lt 9 title 'waiting in the queue', \
     for [s = 1:7] calls using (box(s)):1:3:4:($1 - h):($1 + h) with boxxyerror fs pattern SP[s] border lc rgb SE[s] lt s title (s == 1 && st1 ne '' ? 'running: ok' : value(sprintf('st%d', s))), \
     calls using 6:($1 - h/3 - 0.12):(kind eq 'text' ? '' : stringcolumn(7)) with labels font lf tc rgb '#404040' notitle, \
     calls using 8:1:9 with labels font lf tc rgb 'black' notitle, \
     calls using 4:1:11 with labels left offset character 1, 0 font lf tc rgb 'black' notitle
