# timeline.gp - one row per worker process, one box per task.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/w4'; out='DIR/timeline-w4.png'; kind='png'" timeline.gp
# with kind one of png, svg, text. tracestat wrote data.tasks (the boxes:
# centre x, row, start, end, row top and bottom, status 1-4, label, task
# id, label for text, second label line, the y of each line), data.rows
# (the row names), data.marks (where a worker died and where its
# replacement began), data.master (when the master was blocked waiting:
# centre x, row -1, from, to, label) and data.vars (nrows, tmax, ttl,
# xlbl: shared by every run, so that the charts of one run compare side
# by side; mrow: 1 if the trace says when the master was blocked, and the
# chart has a row for it on top; mtitle: its legend entry, "" when it
# never blocked, so that no empty entry takes room in the legend).

load data.'.vars'
tasks = data.'.tasks'
rows = data.'.rows'
marks = data.'.marks'
master = data.'.master'
textrows = 14 + 4 * (nrows + mrow)
load (ARG0[1:strstrt(ARG0, 'timeline.gp') - 1]).'style.gp'

set title ttl
set xlabel xlbl
set xrange [0:tmax]
set yrange [nrows - 0.5:-0.5 - mrow]
set ytics scale 0
set xtics nomirror
if (kind ne 'text') { set grid xtics }
set key outside bottom center horizontal @keyorder maxrows 1
set datafile separator "\t"

# Colour and fill tell ok, error, crash, terminated and retried apart; the mark after
# the task id tells them apart too where there is no colour (text).
set linetype 1 lc rgb '#9ecae1'
set linetype 2 lc rgb '#fdae6b'
set linetype 3 lc rgb '#e34a33'
set linetype 4 lc rgb '#bdbdbd'
set linetype 6 lc rgb '#525252'
set linetype 7 lc rgb '#9e9ac8'
box(s) = (column(7) == s ? column(1) : NaN)
mk(s) = (column(3) == s ? column(1) : NaN)
lf = (kind eq 'text') ? '' : ',16'

plot rows using (NaN):1:ytic(2) notitle, \
     tasks using (box(1)):2:3:4:5:6 with boxxyerror fs solid 1.0 border lc rgb '#3182bd' lt 1 title 'ok', \
     tasks using (box(2)):2:3:4:5:6 with boxxyerror fs solid 1.0 border lc rgb '#d94801' lt 2 title 'error (!)', \
     tasks using (box(3)):2:3:4:5:6 with boxxyerror fs pattern 2 border lc rgb '#b30000' lt 3 title 'crash (X)', \
     tasks using (box(4)):2:3:4:5:6 with boxxyerror fs pattern 1 border lc rgb '#636363' lt 4 title 'terminated (T)', \
     master using 1:2:3:4:($2 - 0.2):($2 + 0.2) with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 6 title mtitle, \
     master using 1:2:(kind eq 'text' ? '' : stringcolumn(5)) with labels font lf tc rgb 'white' notitle, \
     tasks using (box(5)):2:3:4:5:6 with boxxyerror fs pattern 2 border lc rgb '#6a51a3' lt 7 title 'retried (R)', \
     marks using (mk(1)):2 with points pt 2 ps 4 lw 4 lc rgb '#67000d' title 'worker died', \
     marks using (mk(2)):2 with points pt 9 ps 3 lc rgb '#006d2c' title 'new worker took the slot', \
     tasks using 1:(kind eq 'text' ? column(2) : column(12)):(stringcolumn(kind eq 'text' ? 10 : 8)) with labels font lf tc rgb 'black' notitle, \
     tasks using 1:13:(kind eq 'text' ? '' : stringcolumn(11)) with labels font lf tc rgb 'black' notitle
