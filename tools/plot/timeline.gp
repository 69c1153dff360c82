# timeline.gp - one row per worker process, one box per task.
#
# poolplot calls it as
#   gnuplot -e "data='DIR/data/w4'; out='DIR/timeline-w4.png'; kind='png'" timeline.gp
# with kind one of png, svg, text. tracestat wrote data.tasks (the boxes:
# centre x, row, start, end, row top and bottom, status 1-4, label, task id,
# label for text), data.rows (the row names) and data.vars (nrows, tmax, ttl).

load data.'.vars'
tasks = data.'.tasks'
rows = data.'.rows'

if (kind eq 'png') {
    set terminal pngcairo size 1100, 160 + 44 * nrows font 'Sans,10' noenhanced
} else {
    if (kind eq 'svg') {
        set terminal svg size 1100, 160 + 44 * nrows font 'Sans,12' noenhanced
    } else {
        set terminal dumb size 120, 12 + 4 * nrows noenhanced
    }
}
if (out ne '-') { set output out }

set title ttl
set xlabel 'seconds since the pool was created'
set xrange [0:tmax]
set yrange [nrows - 0.5:-0.5]
set ytics scale 0
set xtics nomirror
if (kind ne 'text') { set grid xtics }
set key outside bottom center horizontal
set bmargin 5
set datafile separator "\t"

# Colour and fill tell ok, error, crash and terminated apart; the mark after
# the task id tells them apart too where there is no colour (text).
set linetype 1 lc rgb '#9ecae1'
set linetype 2 lc rgb '#fdae6b'
set linetype 3 lc rgb '#e34a33'
set linetype 4 lc rgb '#bdbdbd'
box(s) = (column(7) == s ? column(1) : NaN)

plot rows using (NaN):1:ytic(2) notitle, \
     tasks using (box(1)):2:3:4:5:6 with boxxyerror fs solid 1.0 border lc rgb '#3182bd' lt 1 title 'ok', \
     tasks using (box(2)):2:3:4:5:6 with boxxyerror fs solid 1.0 border lc rgb '#d94801' lt 2 title 'error (!)', \
     tasks using (box(3)):2:3:4:5:6 with boxxyerror fs pattern 2 border lc rgb '#b30000' lt 3 title 'crash (X)', \
     tasks using (box(4)):2:3:4:5:6 with boxxyerror fs pattern 1 border lc rgb '#636363' lt 4 title 'terminated (T)', \
     tasks using 1:2:(stringcolumn(kind eq 'text' ? 10 : 8)) with labels tc rgb 'black' notitle
