# Question 2: what do vmalloc's map and unmap cost per page, against the
# size and the number of CPUs that must be flushed? Two kinds of series,
# named apart in the key: "host time (Linux mmap/munmap): RULE flush (N
# peers)", what the host's calls cost (Linux's cost, not Xen's), one per
# flush rule and number of flushing peers; and "Xen's work priced: RULE
# flush (calibration: SOURCE)", Xen's counted mapping work times the units
# of the run's calibration.json (docs/calibrate.md).
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q2: what do vmalloc map + unmap cost per page?'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = 'vmalloc size, pages (log scale)'
ylab = 'ns per page (vmalloc + vfree)'
set logscale x 2
set format x '%g'
call plotdir.'common.gp' 'lines'
