# Question 4: which contiguous orders can still be had once memory has
# aged: the success rate of each order, one series per backend.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q4: how often does a contiguous allocation succeed after aging?'
call plotdir.'common.gp' 'setup'

xlab = 'order requested (2^order pages)'
ylab = 'contiguous allocations that succeed, %'
set xtics 1
set yrange [0:105]
set ytics 0, 20, 100
call plotdir.'common.gp' 'lines'
