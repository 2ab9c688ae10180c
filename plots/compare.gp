# compare.gp: xheap compare's figure. One horizontal bar per run: the
# relative change of one metric's median, B against A, in percent, with
# its 95% bootstrap interval. Filled bars are significant (Mann-Whitney
# p < alpha and |change| above the noise floor); white ones are not. Fill
# and outline, not colour, tell them apart, so it survives grayscale.
#
# Run as (xheap compare does):
#   gnuplot -e "csv='DIR/compare_ns_per_op.csv';
#               out='DIR/plots/compare_ns_per_op'; fmt='png';
#               metric='ns_per_op'; title='B against A'" plots/compare.gp
# fmt: png or svg, written to out.'.png' or out.'.svg'. The numbers are
# in xheap compare's text; a dumb-terminal bar chart would add nothing.
#
# The CSV follows docs/figures.md: the run's id (quoted), the series
# "change" as value,lo,hi in percent, then "significant" (1 or 0).

if (!exists("csv") || !exists("out")) {
    print "compare.gp: set csv='FILE' and out='PREFIX' with -e"
    exit status 2
}
if (!exists("fmt")) fmt = 'png'
if (!exists("metric")) metric = 'ns_per_op'
if (!exists("title")) title = 'B against A'

set datafile separator comma
stats csv skip 1 using 3 nooutput name "LO"
stats csv skip 1 using 4 nooutput name "HI"
rows = LO_records
# The x range spans every interval, and at least -1%..+1% so that a run of
# zero changes still has an axis.
xlo = LO_min < -1 ? LO_min : -1
xhi = HI_max > 1 ? HI_max : 1
pad = (xhi - xlo) * 0.05

# Room for every label: a bar is 22 pixels high, plus title, axis and key.
height = 200 + 22 * rows
if (fmt eq 'png') {
    set terminal pngcairo size 1000, height font "sans,10" noenhanced
} else {
    if (fmt eq 'svg') {
        set terminal svg size 1000, height font "sans,10" noenhanced
    } else {
        print sprintf("compare.gp: fmt '%s': want png or svg", fmt)
        exit status 2
    }
}
set output out.'.'.fmt

set title title
set xlabel sprintf("change of the median %s, B against A (%%)", metric)
set ylabel ""
set yrange [rows - 0.5 : -0.5]        # first run on top
set ytics scale 0
set mxtics 2
set xrange [xlo - pad : xhi + pad]
set grid xtics
set key below left vertical maxrows 3 Left reverse
set key autotitle columnheader
set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 1.5
set style fill solid 1.0 border lc rgb "black"

bar = 0.35      # half a bar's height, in rows
fill(sig) = sig > 0.5 ? 0x595959 : 0xffffff

# One element per kind of mark, each with points on every row, so none is
# ever empty; the legend's boxes are keyentry lines.
plot csv using (0):0:ytic(1) with points pt -1 notitle, \
     csv using 2:0:(0):2:($0 - bar):($0 + bar):(fill($5)) \
         with boxxyerror fc rgb variable notitle, \
     keyentry with boxes fc rgb "white" title "not significant", \
     keyentry with boxes fc rgb "#595959" title "significant", \
     csv using 2:0:3:4 with xerrorbars pt -1 lc rgb "black" \
         title "95% bootstrap interval"
