# timeline.gp - one row per worker process, one box per task.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/w4'; out='DIR/timeline-w4.png'; kind='png'" timeline.gp
# with kind one of png, svg, text. tracestat wrote data.tasks (the boxes:
# centre x, row, start, end, row top and bottom, status 1-4, label, task
# id, label for text, second label line, the y of each line, what the
# SVG says on hover: a box too narrow for its label has none), data.rows
# (the row names), data.marks (where a worker died (1) or was killed by
# the pool (3), and where its replacement began (2)), data.notrun (one
# label for each group of calls that never started: x, row, label, 1 if
# it ends at x), data.master (when the master was blocked waiting:
# centre x, row -1, from, to, label) and data.vars (nrows, tmax, ttl,
# xlbl: shared by every run, so that the charts of one run compare side
# by side; mrow: 1 if the trace says when the master was blocked, and the
# chart has a row for it on top; mtitle: its legend entry, "" when it
# never blocked, so that no empty entry takes room in the legend; st1..st7,
# mk1t..mk3t: the legend entries of the statuses and marks, "" for those
# the run has none of).

load data.'.vars'
tasks = data.'.tasks'
rows = data.'.rows'
marks = data.'.marks'
master = data.'.master'
textrows = 14 + 4 * (nrows + mrow)
hover = 1       # an SVG says what each box is when the mouse is over it
load (ARG0[1:strstrt(ARG0, 'timeline.gp') - 1]).'style.gp'

set title ttl
set xlabel xlbl
set xrange [0:tmax]
set yrange [nrows - 0.5:-0.5 - mrow]
set ytics scale 0
set xtics nomirror
if (kind ne 'text') { set grid xtics }
set key outside bottom center horizontal @keyorder maxcols 3
# Room for the most legend rows any run's chart has (three entries a
# row), so that the axes of all runs sit at one height.
if (kind ne 'text') { set bmargin at screen 0.115 + 0.04 * keyrows }
set datafile separator "\t"

# Colour, fill and the mark after the task id tell the statuses apart
# (linetypes 1-7, SP and SE in data.vars: runtime/status.h's table, as
# tracestat wrote it); the mark does it where there is no colour (text).
notrun = data.'.notrun'
box(s) = (column(7) == s ? column(1) : NaN)
mk(s) = (column(3) == s ? column(1) : NaN)
side(r) = (column(4) == r ? stringcolumn(3) : '')
lf = (kind eq 'text') ? '' : ',16'
# In an SVG, each box names its call on hover (an invisible point at its
# centre), the one name a box too narrow for a label has.
hoverplot = (kind eq 'svg') ? ", tasks using 1:2:14 with labels hypertext point pt 5 ps 3 lc rgb '#ff000000' notitle" : ''

plot rows using (NaN):1:ytic(2) notitle, \
     for [s = 1:7] tasks using (box(s)):2:3:4:5:6 with boxxyerror fs pattern SP[s] border lc rgb SE[s] lt s title value(sprintf('st%d', s)), \
     master using 1:2:3:4:($2 - 0.2):($2 + 0.2) with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 8 title mtitle, \
     master using 1:2:(kind eq 'text' ? '' : stringcolumn(5)) with labels font lf tc rgb 'white' notitle, \
     marks using (mk(1)):2 with points pt 2 ps 4 lw 4 lc rgb '#67000d' title mk1t, \
     marks using (mk(3)):2 with points pt 13 ps 3.5 lc rgb '#7a0177' title mk3t, \
     marks using (mk(2)):2 with points pt 9 ps 3 lc rgb '#006d2c' title mk2t, \
     tasks using 1:(kind eq 'text' ? column(2) : column(12)):(stringcolumn(kind eq 'text' ? 10 : 8)) with labels font lf tc rgb 'black' notitle, \
     tasks using 1:13:(kind eq 'text' ? '' : stringcolumn(11)) with labels font lf tc rgb 'black' notitle, \
     notrun using 1:2:(side(0)) with labels left offset character 1, 0 font lf tc rgb 'black' notitle, \
     notrun using 1:2:(side(1)) with labels right offset character -1, 0 font lf tc rgb 'black' notitle @hoverplot
