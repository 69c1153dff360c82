# overview.gp - every run's timeline on one slide, stacked, on one time
# axis: the speed-up is the difference in the bars' length.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/'; out='DIR/overview.png'; kind='png'; names='w1 w2 w4 w8'" overview.gp
# It draws, for each name, the same data as timeline.gp (NAME.tasks,
# NAME.rows, NAME.marks, NAME.master, NAME.vars: ownrows, mrow, rttl), one
# panel per run, each as tall as its rows (and the master's, on top);
# overview.vars gives the title and the axis.

here = ARG0[1:strstrt(ARG0, 'overview.gp') - 1]
dir = data
load dir.'overview.vars'
ttl_all = ttl
xlbl_all = xlbl
tmax_all = tmax
array ST[7]
do for [s = 1:7] { ST[s] = value(sprintf('st%d', s)) }
otitle = mtitle
omk1 = mk1t
omk2 = mk2t
omk3 = mk3t
n = words(names)
total = 0
do for [i = 1:n] {
    load dir.word(names, i).'.vars'
    total = total + ownrows + mrow
}
textrows = 14 + 2 * total + 3 * n
textcols = exists('textcols') ? textcols : 120
load here.'style.gp'

set datafile separator "\t"
# The statuses' looks (linetypes 1-7, SP, SE) came with overview.vars.
side(r) = (column(4) == r ? stringcolumn(3) : '')
box(s) = (column(7) == s ? column(1) : NaN)
mk(s) = (column(3) == s ? column(1) : NaN)
lf = (kind eq 'text') ? '' : ',14'

# Screen fractions: the title on top, the axis and its label at the
# bottom, a line for each run's own title above its panel.
top = 0.91
bottom = (kind eq 'text') ? 0.12 : 0.2
head = 0.035
rowh = (top - bottom - n * head) / total
set multiplot title ttl_all
set lmargin at screen 0.2
set rmargin at screen 0.97
set xrange [0:tmax_all]
set ytics scale 0 font ',16'
set grid xtics
unset key
y = top
do for [i = 1:n] {
    name = word(names, i)
    load dir.name.'.vars'
    tasks = dir.name.'.tasks'
    rows = dir.name.'.rows'
    marks = dir.name.'.marks'
    master = dir.name.'.master'
    notrun = dir.name.'.notrun'
    set tmargin at screen y - head
    set bmargin at screen y - head - (ownrows + mrow) * rowh
    set yrange [ownrows - 0.5:-0.5 - mrow]
    set label 1 rttl at screen 0.2, screen y - head * 0.45 left font ',18'
    if (i < n) { set format x '' ; unset xlabel } else { set format x '%g'; set xlabel xlbl_all }
    plot rows using (NaN):1:ytic(2) notitle, \
         for [s = 1:7] tasks using (box(s)):2:3:4:5:6 with boxxyerror fs pattern SP[s] border lc rgb SE[s] lt s, \
         master using 1:2:3:4:($2 - 0.2):($2 + 0.2) with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 8, \
         marks using (mk(1)):2 with points pt 2 ps 3 lw 4 lc rgb '#67000d', \
         marks using (mk(3)):2 with points pt 13 ps 2.5 lc rgb '#7a0177', \
         marks using (mk(2)):2 with points pt 9 ps 2.5 lc rgb '#006d2c', \
         tasks using 1:2:(stringcolumn(kind eq 'text' ? 10 : 8)) with labels font lf tc rgb 'black', \
         notrun using 1:2:(side(0)) with labels left offset character 1, 0 font lf tc rgb 'black', \
         notrun using 1:2:(side(1)) with labels right offset character -1, 0 font lf tc rgb 'black'
    y = y - head - (ownrows + mrow) * rowh
}
# One legend for every panel (overview.vars: what any run has), under the
# axis: an empty plot that draws only its key.
if (kind ne 'text') {
    set tmargin at screen 0.06
    set bmargin at screen 0.0
    set xrange [0:1]
    set yrange [0:1]
    unset border
    unset tics
    unset grid
    unset xlabel
    unset label 1
    set key at screen 0.5, screen 0.09 center top horizontal @keyorder maxrows 3 font ',16' samplen 3 width 1 spacing 1.1
    plot for [s = 1:7] NaN with boxxyerror fs pattern SP[s] border lc rgb SE[s] lt s title ST[s], \
         NaN with boxxyerror fs solid 1.0 border lc rgb '#000000' lt 8 title otitle, \
         NaN with points pt 2 ps 3 lw 4 lc rgb '#67000d' title omk1, \
         NaN with points pt 13 ps 2.5 lc rgb '#7a0177' title omk3, \
         NaN with points pt 9 ps 2.5 lc rgb '#006d2c' title omk2
}
unset multiplot
