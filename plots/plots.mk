# The figures (plots/*.gp, drawn by drivers/report/report.c for `xheap report`
# and `xheap run`): gnuplot-nox has the pngcairo, svg and dumb terminals;
# a font for pngcairo's text, as deps.sh skips gnuplot's recommended one.
DEPS_BUILD += gnuplot-nox fonts-dejavu-core
