# Question 4: the largest free order as the aging trace runs: how far
# memory fragments, one series per backend.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q4: how does the largest free order fall as memory ages?'
call plotdir.'common.gp' 'setup'

xlab = 'events into the aging trace (0: fresh memory, then each probe)'
ylab = 'largest free order (2^order pages)'
# Whole events, from 0: an SI suffix rounds 1469 and 2451 both to "2k".
set format x '%.0f'
set xrange [0:*]
set offsets 0, graph 0.04, graph 0.06, 0
set yrange [0:*]
call plotdir.'common.gp' 'lines'
