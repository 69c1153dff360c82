# distribution.gp - calls per worker process, each run side by side.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/'; out='DIR/distribution.png'; kind='png'" distribution.gp
# tracestat wrote distribution.dat (x, calls, run, worker slot, the y of
# the count's label and whether it sits inside the bar), groups.dat
# (centre, run name, first and last x, even share) and distribution.vars.
# tracestat places each count clear of the dashed even-share line.

load data.'distribution.vars'
bars = data.'distribution.dat'
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
set style fill solid 0.8 border -1
set boxwidth 0.8
lf = (kind eq 'text') ? '' : ',18'
# The run's name under its bars; each worker's slot right under its bar.

plot groups using 1:(NaN):xtic(2) notitle, \
     bars using 1:2 with boxes lc rgb '#6baed6' title 'calls of one worker', \
     bars using 1:($6 == 0 ? $5 : NaN):(sprintf('%d', column(2))) with labels font lf notitle, \
     bars using 1:($6 == 1 ? $5 : NaN):(sprintf('%d', column(2))) with labels font lf tc rgb 'white' notitle, \
     bars using 1:(0):4 with labels font lf offset 0, -0.8 notitle, \
     groups using 3:5:($4 - $3):(0) with vectors nohead dt 2 lw 3 lc rgb '#d94801' title 'even share (calls / workers)'
