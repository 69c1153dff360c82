# speedup.gp - the makespan of each run against its worker count, with the
# lower bound and the ideal (the run with the fewest workers, its time
# shared perfectly); the efficiency (ideal / makespan) on the right axis.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/'; out='DIR/speedup.png'; kind='png'" speedup.gp
# tracestat wrote speedup.dat (workers, makespan, lower bound, ideal,
# efficiency in %, run name) and speedup.vars (base: the ideal's
# numerator, the fewest workers times their makespan).

load data.'speedup.vars'
pts = data.'speedup.dat'
textrows = 32
load (ARG0[1:strstrt(ARG0, 'speedup.gp') - 1]).'style.gp'

set title ttl
set xlabel 'workers'
set ylabel ylbl offset -1, 0
set y2label 'efficiency (%)' offset 1, 0
if (kind eq 'text') { set ylabel 'seconds' offset 0, 0; set y2label '%' offset 0, 0; set lmargin 16; set rmargin 10 }
set xrange [nmin - 0.5:nmax + 0.5]
set yrange [0:ymax * 1.2]
set y2range [0:120]
set ytics nomirror
set y2tics 0, 20, 100
set xtics 1
if (nmax > 16) { set xtics autofreq }
if (kind ne 'text') { set grid ytics }
set key outside bottom center horizontal @keyorder maxrows 2
set datafile separator "\t"
lf = (kind eq 'text') ? '' : ',18'

set samples 200
plot [nmin - 0.5:nmax + 0.5] (x >= nmin && x <= nmax ? base / x : NaN) with lines dt 2 lw 3 lc rgb '#31a354' title idealttl, \
     pts using 1:3 with linespoints pt 6 ps 2 lw 2 lc rgb '#756bb1' title 'lower bound', \
     pts using 1:2 with linespoints pt 7 ps 2.5 lw 4 lc rgb '#3182bd' title 'makespan', \
     pts using 1:2:(sprintf('%.1f s', column(2))) with labels font lf left offset 1.2, -0.9 notitle, \
     pts using 1:5 axes x1y2 with linespoints pt 5 ps 2 lw 2 lc rgb '#d94801' title 'efficiency (right axis)', \
     pts using 1:5:(sprintf('%.0f%%', column(5))) axes x1y2 with labels font lf tc rgb '#d94801' left offset 1.2, 0.9 notitle
