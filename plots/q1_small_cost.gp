# Question 1: does xvmalloc cost more than xmalloc for small sizes?
# The difference series ("xvmalloc - xmalloc") is near zero, so it gets
# the right axis; its interval containing 0 means no measurable cost.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q1: does xvmalloc cost more than xmalloc for small sizes?'
y2match = ' - '
y2zero = 1
call plotdir.'common.gp' 'setup'

xlab = 'request size, bytes (log scale)'
ylab = 'ns per operation'
y2lab = 'difference, ns'
set logscale x 2
set format x '%g'
call plotdir.'common.gp' 'lines'
