# Question 6: the waste of each path with 4K, 16K and 64K pages.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q6: how does the waste change with 4K, 16K and 64K pages?'
call plotdir.'common.gp' 'setup'

xlab = 'page size, KiB (log 2)'
ylab = 'waste: frames held / bytes asked - 1'
set logscale x 2
set format x '%g'
set format y '%g'
# From zero: waste differs by fractions of a point between page sizes, and
# an axis cut to the data would draw that as a cliff.
set yrange [0:*]
set offsets graph 0.05, graph 0.05, 0, 0
call plotdir.'common.gp' 'lines'
