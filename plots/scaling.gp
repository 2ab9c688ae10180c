# Thread scaling: throughput as threads are added, 1 to all cores.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'How does throughput scale with threads?'
call plotdir.'common.gp' 'setup'

xlab = 'threads'
ylab = 'million operations per second'
# Linear in threads, as parallelism is: ticks at whole threads, at most
# about eight of them.
stats csv using 1 nooutput
set format x '%.0f'
xstep = STATS_max <= 8 ? 1 : ceil(STATS_max / 8.0)
set xtics xstep
set xrange [0:STATS_max + xstep]
set yrange [0:*]
call plotdir.'common.gp' 'lines'
