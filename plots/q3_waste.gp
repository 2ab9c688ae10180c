# Question 3: how much does each path waste for odd sizes? Waste spans
# decades (a 100-byte request in a whole page wastes 40x), so y is log;
# no waste at all is drawn on the 0.001 line, just above the bottom.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q3: how much does each path waste for odd sizes?'
yfloor = 0.001
call plotdir.'common.gp' 'setup'

xlab = 'request size, bytes (log scale)'
ylab = 'waste: frames held / bytes asked - 1 (log)'
set logscale x 10
set logscale y 10
set format x '%.0s%c'
set format y '%g'
set yrange [yfloor / 2:*]
call plotdir.'common.gp' 'lines'
