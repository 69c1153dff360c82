# distribution.gp - tasks per worker process, each run side by side.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/'; out='DIR/distribution.png'; kind='png'" distribution.gp
# tracestat wrote distribution.dat (x, tasks, run, worker slot), groups.dat
# (centre, run name, first and last x, even share) and distribution.vars.

load data.'distribution.vars'
bars = data.'distribution.dat'
groups = data.'groups.dat'

if (kind eq 'png') {
    set terminal pngcairo size 1100, 560 font 'Sans,10' noenhanced
} else {
    if (kind eq 'svg') {
        set terminal svg size 1100, 560 font 'Sans,12' noenhanced
    } else {
        set terminal dumb size 120, 32 noenhanced
    }
}
if (out ne '-') { set output out }

set title ttl
set ylabel 'tasks'
set xrange [-1:xmax]
set yrange [0:ymax * 1.2 + 0.5]
set xtics scale 0
set ytics nomirror
if (kind ne 'text') { set grid ytics }
if (ymax <= 10) { set ytics 1 }
set key top right
set datafile separator "\t"
set style fill solid 0.8 border -1
set boxwidth 0.8
# A count sits on its bar; an idle worker's 0 sits above its name.

plot groups using 1:(NaN):xtic(2) notitle, \
     bars using 1:2 with boxes lc rgb '#6baed6' title 'tasks of one worker', \
     bars using 1:($2 > 0 ? $2 : ymax * 0.12):(sprintf('%d', column(2))) with labels offset 0, 0.7 notitle, \
     bars using 1:(0):4 with labels offset 0, 0.7 notitle, \
     groups using 3:5:($4 - $3):(0) with vectors nohead dt 2 lw 2 lc rgb '#d94801' title 'even share (tasks / workers)'
