# The baselines: the models against glibc, jemalloc, mimalloc and tcmalloc
# on the same traces (x is a label: one cluster of bars per workload).
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'How do the models compare with the malloc family?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = 'workload'
ylab = 'ns per operation'
call plotdir.'common.gp' 'bars'
