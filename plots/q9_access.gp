# Question 9: the cost of touching vmalloc'd memory (4K mappings) against
# directmap memory (large mappings where the kernel gives them). Series
# counting TLB misses ("... misses/access") go on the right axis; where the
# machine cannot count them they are all NaN and named under the plot.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q9: what does touching vmalloc''d memory cost against the directmap?'
y2match = 'miss'
call plotdir.'common.gp' 'setup'

xlab = 'working set, MiB (log scale)'
ylab = 'ns per access'
y2lab = 'TLB misses per access'
set logscale x 2
set format x '%g'
set yrange [0:*]
set y2range [0:*]
call plotdir.'common.gp' 'lines'
