# Question 8: short-lived against long-lived allocations (x is a label).
# Per backend two bars, named apart: "host time (Linux mmap/munmap):
# BACKEND", a pair's median calls with the whisker to the 99th percentiles
# (Linux's cost, not Xen's), and "Xen's work priced: BACKEND (calibration:
# SOURCE)", Xen's counted mapping work per allocation times the units of
# calibration.json.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q8: is xmalloc still better for short-lived allocations?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = ''
ylab = 'ns per alloc + free: host median (bar) to p99 (whisker); priced: mean'
call plotdir.'common.gp' 'bars'
