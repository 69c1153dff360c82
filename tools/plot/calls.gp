# calls.gp - one row per call, in the order the calls were made: a thin
# bar while the call waited in the queue (submit to start), then a box
# while it ran, coloured by how it ended and labelled with its worker.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/w4'; out='DIR/calls-w4.png'; kind='png'" calls.gp
# tracestat wrote data.calls (row, submit, start, end, status 1-4, middle
# of the wait, its label, middle of the run, its label, the wait in
# seconds), data.callrows (the row names; a text chart leaves the wait
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
set key outside bottom center horizontal @keyorder maxrows 1
set datafile separator "\t"

set linetype 1 lc rgb '#9ecae1'
set linetype 2 lc rgb '#fdae6b'
set linetype 3 lc rgb '#e34a33'
set linetype 4 lc rgb '#bdbdbd'
set linetype 6 lc rgb '#525252'
set linetype 5 lc rgb '#969696'
set linetype 7 lc rgb '#9e9ac8'
box(s) = (column(5) == s ? column(8) : NaN)
h = ncalls > 12 ? 0.4 : 0.3
lf = (kind eq 'text') ? '' : ',16'

plot callrows using (NaN):1:ytic(2) notitle, \
     master using 1:2:3:4:($2 - h):($2 + h) with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 6 title mtitle, \
     master using 1:2:(kind eq 'text' ? '' : stringcolumn(5)) with labels font lf tc rgb 'white' notitle, \
     calls using 6:1:2:3:($1 - h/3):($1 + h/3) with boxxyerror fs pattern 4 border lc rgb '#969696' lt 5 title 'waiting in the queue', \
     calls using (box(1)):1:3:4:($1 - h):($1 + h) with boxxyerror fs solid 1.0 border lc rgb '#3182bd' lt 1 title 'running: ok', \
     calls using (box(2)):1:3:4:($1 - h):($1 + h) with boxxyerror fs solid 1.0 border lc rgb '#d94801' lt 2 title 'error (!)', \
     calls using (box(3)):1:3:4:($1 - h):($1 + h) with boxxyerror fs pattern 2 border lc rgb '#b30000' lt 3 title 'crash (X)', \
     calls using (box(4)):1:3:4:($1 - h):($1 + h) with boxxyerror fs pattern 1 border lc rgb '#636363' lt 4 title 'terminated (T)', \
     calls using (box(5)):1:3:4:($1 - h):($1 + h) with boxxyerror fs pattern 2 border lc rgb '#6a51a3' lt 7 title 'retried (R)', \
     calls using 6:($1 - h/3 - 0.12):(kind eq 'text' ? '' : stringcolumn(7)) with labels font lf tc rgb '#404040' notitle, \
     calls using 8:1:9 with labels font lf tc rgb 'black' notitle
