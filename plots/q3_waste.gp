# Question 3: how much does each path waste for odd sizes? Waste spans
# decades (a 100-byte request in a whole page wastes 40x), so y is log;
# no waste at all is drawn on the bottom line, which is labelled 0 and
# set apart from the decades by a dashed line. The dotted vertical line is
# PAGE_SIZE (the suite's Q3 runs 4K pages): xmalloc's pool ends just below
# it, whole pages and vmalloc begin there.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q3: how much does each path waste for odd sizes?'
yfloor = 0.0001   # waste below 0.01% reads as none
call plotdir.'common.gp' 'setup'

xlab = 'request size, bytes (log scale)'
ylab = 'waste: frames held / bytes asked - 1 (log)'
set logscale x 10
set offsets 0, 0, graph 0.06, 0   # x: the sizes span the axis already
set logscale y 10
set format x '%.0s%c'
set format y '%g'
set yrange [yfloor:*]
set ytics ('0' yfloor, '0.001' 0.001, '0.01' 0.01, '0.1' 0.1, '1' 1, '10' 10, '100' 100, '1000' 1000)
set arrow 1 from graph 0, first yfloor * 3 to graph 1, first yfloor * 3 nohead lc rgb '#AAAAAA' dt 2 back
set arrow 2 from first 4096, graph 0 to first 4096, graph 1 nohead lc rgb '#888888' dt 3 back
set label 3 'PAGE_SIZE' at first 4096, graph 0.97 left offset 0.5, 0 front
call plotdir.'common.gp' 'lines'
