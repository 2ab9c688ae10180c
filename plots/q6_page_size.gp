# Question 6: the cost of each path with 4K, 16K and 64K pages.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q6: how does the cost change with 4K, 16K and 64K pages?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = 'page size, KiB (log 2)'
ylab = 'ns per operation'
set logscale x 2
set format x '%g'
set offsets graph 0.05, graph 0.05, 0, 0
call plotdir.'common.gp' 'lines'
