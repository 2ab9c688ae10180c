# Question 4: the largest free order as the aging trace runs: how far
# memory fragments, one series per backend.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q4: how does the largest free order fall as memory ages?'
call plotdir.'common.gp' 'setup'

xlab = 'events into the aging trace'
ylab = 'largest free order (2^order pages)'
set format x '%.0s%c'
set yrange [0:*]
call plotdir.'common.gp' 'lines'
