# Thread scaling: throughput as threads are added, 1 to all cores.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'How does throughput scale with threads?'
call plotdir.'common.gp' 'setup'

xlab = 'threads (log scale)'
ylab = 'million operations per second'
set logscale x 2
set format x '%g'
set xtics 2
set yrange [0:*]
set offsets graph 0.03, graph 0.03, 0, 0
call plotdir.'common.gp' 'lines'
