# Question 2 against the CPUs flushed: at the size sweep's largest size,
# the host time (Linux mmap/munmap, with 0, 1 ... flush peers: peers + 1
# CPUs in the address space) and Xen's mapping work priced for 1 .. this
# machine's CPUs and a larger modelled machine (64 CPUs: Xen flushes every
# online CPU). The two are different quantities and are named so in the
# key: the host's cost is Linux's, the priced one Xen's counts x units.
plotdir = ''
do for [j = strlen(ARG0):1:-1] { if (ARG0[j:j] eq '/') { plotdir = ARG0[1:j]; break } }

question = 'Q2: vmalloc map + unmap per page against the CPUs flushed'
autolog = 1
call plotdir.'common.gp' 'setup'

xlab = 'online CPUs flushed (log scale; past this machine: priced only)'
ylab = 'ns per page (vmalloc + vfree)'
set logscale x 2
set format x '%g'
call plotdir.'common.gp' 'lines'
