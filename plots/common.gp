# What every figure script shares: the terminal, the line styles, reading
# the CSV's header, and drawing its series. docs/figures.md has the CSV
# convention (x, then value,lo,hi per series) and how a script is run:
#
#   gnuplot -e "csv='D/F.csv'; out='D/plots/F'; fmt='png'" plots/F.gp
#
# fmt is png (pngcairo), svg or dumb (78 columns of text, for report.txt);
# the file written is out.'.png', out.'.svg' or out.'.txt'.
#
# A figure script sets its own labels and scales between two calls:
#
#   call plotdir.'common.gp' 'setup'    checks, terminal, styles, header
#   ...                                 xlab, ylab, logscale, ...
#   call plotdir.'common.gp' 'lines'    or 'bars' when x is a label
#
# The axis labels are variables, not "set xlabel", because the text
# version has no room for a vertical label: it states y in its title (the
# caption in report.txt states the question).
#   xlab, ylab, y2lab   the axes, with units
#
# Variables a script may set before 'setup':
#   question  the figure's title: the question it answers
#   y2match   series whose name contains this go on the right axis
#             (a difference, a count per access), titled "(right axis)"
#   autolog   1: log y when the values span more than LOG_SPAN
#   yfloor    > 0: values below it are drawn at it (zero waste on a log axis)
#   y2zero    1: a dotted zero line on the right axis (a difference)
#
# Bars of a single series are a ranking (figures.c ranks one group's bars,
# cheapest first): each bar has its value written above it.

if (ARG1 eq 'setup') {
    if (!exists("csv") || !exists("out") || !exists("fmt")) {
        exit error "usage: gnuplot -e \"csv='F.csv'; out='DIR/F'; fmt='png|svg|dumb'\" SCRIPT"
    }
    if (fmt ne 'png' && fmt ne 'svg' && fmt ne 'dumb') {
        exit error sprintf("fmt '%s': expected png, svg or dumb", fmt)
    }
    if (!exists("question")) { question = '' }
    if (!exists("y2match")) { y2match = '' }
    if (!exists("autolog")) { autolog = 0 }
    if (!exists("yfloor")) { yfloor = 0 }
    if (!exists("y2zero")) { y2zero = 0 }
    xlab = ''; ylab = ''; y2lab = ''

    # The sizes: PNG and SVG for slides and mail attachments; the text
    # version fits a 78-column email. Both grow with the key below them.
    PNG_W = 960; PNG_H = 600; PNG_KEY_ROW = 22; PNG_KEY_COLS = 4
    DUMB_W = 78; DUMB_H = 20; DUMB_KEY_COLS = 2
    LOG_SPAN = 30      # max/min beyond which autolog draws y in log scale
    N_STYLES = 8       # distinct styles before they repeat

    # The header names the series: x, then name,name_lo,name_hi each.
    # gnuplot reads that line itself, as one field (a tab splits no CSV
    # line of the convention), never through a shell: the CSV's path may
    # hold any character.
    hdr = ''
    set datafile separator "\t"
    set datafile nocolumnheaders
    stats csv every ::0::0 using (hdr = strcol(1), 0) nooutput
    undefine STATS_*
    set datafile separator comma
    set datafile columnheaders   # row 1 names the columns
    if (strlen(hdr) > 0 && hdr[strlen(hdr):strlen(hdr)] eq "\r") {
        hdr = hdr[1:strlen(hdr) - 1]
    }
    if (strlen(hdr) == 0) {
        exit error sprintf("%s: empty or unreadable", csv)
    }
    ncols = 1
    do for [j = 1:strlen(hdr)] {
        if (hdr[j:j] eq ',') { ncols = ncols + 1 }
    }
    if (ncols < 4 || (ncols - 1) % 3 != 0) {
        exit error sprintf("%s: %d columns; expected x then value,lo,hi per series", csv, ncols)
    }
    array names[ncols]
    k = 1; start = 1
    do for [j = 1:strlen(hdr) + 1] {
        if (j > strlen(hdr) || hdr[j:j] eq ',') {
            names[k] = (j > start) ? hdr[start:j - 1] : ''
            k = k + 1; start = j + 1
        }
    }
    nser = (ncols - 1) / 3

    # Which series have data at all: an all-NaN series (a counter this
    # machine cannot count, an experiment cut short) is left out and named
    # in a "no data" line, since gnuplot refuses an axis with no valid
    # point. ylo and yhi (left axis, positive values) decide autolog.
    array valid[nser]
    ylo = 0; yhi = 0
    missing = ''
    do for [s = 1:nser] {
        undefine STATS_*
        stats csv using (column(3 * s - 1)) nooutput
        valid[s] = exists("STATS_records") ? (STATS_records > 0) : 0
        if (valid[s] && (y2match eq '' || strstrt(names[3 * s - 1], y2match) == 0)) {
            if (STATS_min > 0 && (ylo == 0 || STATS_min < ylo)) { ylo = STATS_min }
            if (STATS_max > yhi) { yhi = STATS_max }
        }
        if (!valid[s]) {
            missing = missing.(missing eq '' ? '' : ', ').names[3 * s - 1]
        }
    }
    undefine STATS_*

    if (fmt eq 'png') {
        set terminal pngcairo noenhanced font "Sans,11" \
            size PNG_W, PNG_H + PNG_KEY_ROW * ((nser - 1) / PNG_KEY_COLS)
        set output out.'.png'
    }
    if (fmt eq 'svg') {
        set terminal svg dynamic noenhanced font "Sans,11" \
            size PNG_W, PNG_H + PNG_KEY_ROW * ((nser - 1) / PNG_KEY_COLS)
        set output out.'.svg'
    }
    if (fmt eq 'dumb') {
        set terminal dumb nofeed noenhanced \
            size DUMB_W, DUMB_H + (nser > 6 ? (nser - 5) / DUMB_KEY_COLS : 0)
        set output out.'.txt'
    }

    # Grayscale-readable: every style differs in dash pattern and point
    # shape as well as colour (Okabe-Ito, safe for colour blindness). The
    # dumb terminal draws each line type with its own character instead.
    set linetype 1 lc rgb '#000000' lw 2 dt 1 pt 7 ps 1.2
    set linetype 2 lc rgb '#D55E00' lw 2 dt 2 pt 4 ps 1.2
    set linetype 3 lc rgb '#0072B2' lw 2 dt 3 pt 9 ps 1.3
    set linetype 4 lc rgb '#009E73' lw 2 dt 4 pt 6 ps 1.2
    set linetype 5 lc rgb '#CC79A7' lw 2 dt 5 pt 13 ps 1.4
    set linetype 6 lc rgb '#E69F00' lw 2 dt (16,4,4,4) pt 8 ps 1.3
    set linetype 7 lc rgb '#56B4E9' lw 2 dt (2,6) pt 5 ps 1.1
    set linetype 8 lc rgb '#666666' lw 2 dt (24,8) pt 12 ps 1.4
    set linetype cycle N_STYLES

    set key below horizontal
    set border 3
    set tics nomirror
    set errorbars dt solid   # dashed error bars would read as grid lines
    # Room at the ends, so that no point's error bar is cut by the border;
    # a script that sets its own ranges or offsets overrides this.
    set offsets graph 0.04, graph 0.04, graph 0.06, 0
    if (fmt ne 'dumb') {
        set title question
        set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1
        set key spacing 1.2 width 2
    }
}

if (ARG1 eq 'lines' || ARG1 eq 'bars') {
    if (autolog && ylo > 0 && yhi / ylo > LOG_SPAN) {
        set logscale y
        if (yfloor > 0) { set yrange [yfloor / 2:*] }
    }
    # Series with no data are left out of the plot and its key; report.txt
    # and the caveats say what was not measured, not a note in the plot.
    # The value columns of the series to draw, left axis and right axis.
    array c1[nser]
    array c2[nser]
    n1 = 0; n2 = 0
    do for [s = 1:nser] {
        if (valid[s]) {
            if (y2match ne '' && strstrt(names[3 * s - 1], y2match) > 0) {
                n2 = n2 + 1; c2[n2] = 3 * s - 1
            } else {
                n1 = n1 + 1; c1[n1] = 3 * s - 1
            }
        }
    }
    if (n1 == 0 && n2 > 0) {   # only right-axis series: draw them on the left
        do for [s = 1:n2] { c1[s] = c2[s] }
        n1 = n2; n2 = 0
    }
    if (n2 > 0) {
        set ytics nomirror
        set y2tics
        if (y2zero) {   # an interval crossing it: no measurable difference
            set arrow 0103 from graph 0, second 0 to graph 1, second 0 nohead lc rgb '#888888' dt 3 back
        }
    }
    set xlabel xlab
    if (fmt eq 'dumb') {
        set title ylab.((n2 > 0 && y2lab ne '') ? '; right: '.y2lab : '')
    } else {
        set ylabel ylab
        if (n2 > 0) { set y2label y2lab }
    }
    # A value below yfloor is drawn at yfloor (log axes cannot show 0).
    fl(v) = (yfloor > 0 && v < yfloor) ? yfloor : v
    # The line type of the series in column c: by position in the CSV, so
    # a series keeps its style when another is missing.
    lt_of(c) = (c - 2) / 3 + 1
    # The characters the dumb terminal draws line types 1, 2, ... with.
    DUMB_PENS = '*#$%@&='
    pen(t) = DUMB_PENS[(t - 1) % 7 + 1:(t - 1) % 7 + 1].DUMB_PENS[(t - 1) % 7 + 1:(t - 1) % 7 + 1]
}

if (ARG1 eq 'lines') {
    if (n1 == 0) {
        set label 0102 'no data' at graph 0.5, graph 0.5 center front
        set xrange [1:2]
        set yrange [0:1]
        unset logscale
        plot NaN notitle
    } else {
        if (fmt eq 'dumb') {
            # Text has no room for error bars: the medians only.
            if (n2 > 0) {
                plot for [s = 1:n1] csv using 1:(fl(column(c1[s]))) with linespoints lt lt_of(c1[s]) title names[c1[s]], \
                     for [s = 1:n2] csv using 1:(column(c2[s])) axes x1y2 with linespoints lt lt_of(c2[s]) title names[c2[s]].' (right axis)'
            } else {
                plot for [s = 1:n1] csv using 1:(fl(column(c1[s]))) with linespoints lt lt_of(c1[s]) title names[c1[s]]
            }
        } else {
            if (n2 > 0) {
                plot for [s = 1:n1] csv using 1:(fl(column(c1[s]))):(fl(column(c1[s] + 1))):(fl(column(c1[s] + 2))) with yerrorlines lt lt_of(c1[s]) title names[c1[s]], \
                     for [s = 1:n2] csv using 1:(column(c2[s])):(column(c2[s] + 1)):(column(c2[s] + 2)) axes x1y2 with yerrorlines lt lt_of(c2[s]) title names[c2[s]].' (right axis)'
            } else {
                plot for [s = 1:n1] csv using 1:(fl(column(c1[s]))):(fl(column(c1[s] + 1))):(fl(column(c1[s] + 2))) with yerrorlines lt lt_of(c1[s]) title names[c1[s]]
            }
        }
    }
}

if (ARG1 eq 'bars') {
    # x is a label (xtic(1)): clustered bars, one cluster a row, with the
    # interval as error bars; fill patterns tell the series apart in gray.
    set style data histograms
    if (fmt eq 'dumb') {
        set style histogram clustered gap 1
    } else {
        set style histogram errorbars gap 1 lw 1
    }
    set style fill pattern 1 border rgb 'black'
    set xtics scale 0
    if (!(autolog && ylo > 0 && yhi / ylo > LOG_SPAN)) {
        set yrange [0:*]
    }
    if (n1 == 0) {
        set label 0102 'no data' at graph 0.5, graph 0.5 center front
        set xrange [0:1]
        set yrange [0:1]
        unset logscale
        plot NaN notitle
    } else {
        if (n1 == 1 && nser == 1) {
            # A ranking: one bar per row, its value above it.
            set style histogram clustered gap 1
            set offsets 0, 0, graph 0.1, 0
            set style fill solid 0.35 border rgb 'black'
            set xlabel (xlab ne '' ? xlab.': ' : '').names[2]
            unset key
            plot csv using (column(2)):xtic(1) lt 1 notitle, \
                 csv using ($0):(column(2)):(sprintf('%.3g', column(2))) with labels offset 0, 0.8 notitle
        } else { if (fmt eq 'dumb') {
            # Text draws no key sample for bars: name each bar's character.
            plot for [s = 1:n1] csv using (column(c1[s])):xtic(1) lt lt_of(c1[s]) fs empty title names[c1[s]].' '.pen(lt_of(c1[s]))
        } else {
            plot for [s = 1:n1] csv using (column(c1[s])):(column(c1[s] + 1)):(column(c1[s] + 2)):xtic(1) lt lt_of(c1[s]) fs pattern lt_of(c1[s]) % 8 title names[c1[s]]
        } }
    }
}
