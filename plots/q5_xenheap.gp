# Question 5: with a small separate xenheap (Arm32), how often does
# xmalloc fail, and how much does a fallback to vmalloc save?
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q5: with a small separate xenheap, how often does allocation fail?'
call plotdir.'common.gp' 'setup'

xlab = 'separate xenheap size, MiB (log scale)'
ylab = 'failed allocations, %'
set logscale x 2
set format x '%g'
set yrange [0:*]
call plotdir.'common.gp' 'lines'
