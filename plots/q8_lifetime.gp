# Question 8: short-lived against long-lived allocations (x is a label).
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q8: is xmalloc still better for short-lived allocations?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = ''
ylab = 'ns per alloc + free: median (bar) to 99th percentile (whisker)'
call plotdir.'common.gp' 'bars'
