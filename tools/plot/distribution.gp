# distribution.gp - calls per worker slot, each run side by side.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/'; out='DIR/distribution.png'; kind='png'" distribution.gp
# tracestat wrote distribution.dat (one line a slot: x, its calls, run,
# slot name, the y of its count and the count: "3+1" when its worker was
# replaced), distribution.seg (one line a worker process: x, from, to,
# 0 for the slot's first process and 1, 2 ... for its replacements, pid),
# groups.dat (centre, run name, first and last x, even share) and
# distribution.vars (replaced: 1 if a bar has a replacement's calls). A replaced worker's calls and its replacement's are
# stacked in one bar: together they are the slot's share. Every count
# sits just above its bar, on a white ground the dashed line passes behind.

load data.'distribution.vars'
bars = data.'distribution.dat'
segs = data.'distribution.seg'
groups = data.'groups.dat'
textrows = 32
load (ARG0[1:strstrt(ARG0, 'distribution.gp') - 1]).'style.gp'

set title ttl
set ylabel 'calls' offset -1, 0
# A text chart cannot turn the label: give it room left of the ticks.
if (kind eq 'text') { set ylabel 'calls' offset 0, 0; set lmargin 14 }
set xrange [-1:xmax + 1]
set yrange [0:ytop]
set xtics scale 0 offset 0, -1.4
set ytics nomirror
set bmargin 6
if (kind ne 'text') { set grid ytics }
if (ymax <= 10) { set ytics 1 }
set key top right @keyorder
set datafile separator "\t"
set style textbox opaque noborder margins 1, 1
lf = (kind eq 'text') ? '' : ',18'
first(k) = (column(4) == 0 ? column(1) : NaN)
later(k) = (column(4) > 0 ? column(1) : NaN)
# The run's name under its bars; each worker's slot right under its bar.

plot groups using 1:(NaN):xtic(2) notitle, \
     segs using (first(0)):($2 + $3) / 2:($1 - 0.4):($1 + 0.4):2:3 with boxxyerror fs solid 1.0 border lc rgb '#08519c' fc rgb '#6baed6' title 'calls of a slot', \
     segs using (later(0)):($2 + $3) / 2:($1 - 0.4):($1 + 0.4):2:3 with boxxyerror fs solid 1.0 border lc rgb '#08519c' fc rgb '#c6dbef' title (replaced ? 'calls of a replacement, on top' : ''), \
     groups using 3:5:($4 - $3):(0) with vectors nohead dt 2 lw 3 lc rgb '#d94801' title 'even share (calls / slots)', \
     bars using 1:5:6 with labels font lf boxed notitle, \
     bars using 1:(0):4 with labels font lf offset 0, -0.8 notitle
