# Question 7: the cost of each path with the directmap on and off (x is a
# label: one cluster of bars per setting). Per backend two bars, named
# apart: "host time (Linux mmap/munmap): BACKEND", the host's calls
# (Linux's cost), and "Xen's work priced: BACKEND (calibration: SOURCE)",
# Xen's counted mapping work times the units of calibration.json, per
# operation.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q7: what does each path cost without a directmap?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = ''
ylab = 'ns per operation'
call plotdir.'common.gp' 'bars'
