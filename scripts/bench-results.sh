#!/bin/sh
# bench-results.sh FILE: the RESULT lines of a `go test -bench` output.
# A benchmark reports a goal's figure with
#   b.ReportMetric(value, "RESULT:<name>:<unit>")
# (ui/perf_bench_test.go: reportResult); this prints
#   RESULT <name> <value> <unit>
# one line per name (the last value when a benchmark ran more than once),
# known names first in the order of issue 9, then any others by name. A
# name no benchmark reported prints nothing.
set -eu
order="render_frame_100k cursor_move_100k filter_keystroke_100k keystroke_during_refresh_p99_100k heap_100k
warm_start_100k api_calls_per_refresh_100k speedup_filter_vs_bubbles_list_100k speedup_render_vs_bubbles_table_100k
bulk_cancel_rate_use"
awk -v order="$order" '
/^Benchmark/ {
	for (i = 2; i < NF; i++) {
		if ($(i+1) ~ /^RESULT:[^:]+:[^:]+$/) {
			split($(i+1), p, ":")
			if (!(p[2] in val)) names[++n] = p[2]
			val[p[2]] = $i; unit[p[2]] = p[3]
		}
	}
}
END {
	k = split(order, o, /[ \n]+/)
	for (i = 1; i <= k; i++) if (o[i] in val) { print "RESULT " o[i] " " val[o[i]] " " unit[o[i]]; done[o[i]] = 1 }
	for (i = 1; i <= n; i++) if (!(names[i] in done)) extra[++e] = names[i]
	for (i = 1; i <= e; i++) for (j = i + 1; j <= e; j++) if (extra[j] < extra[i]) { t = extra[i]; extra[i] = extra[j]; extra[j] = t }
	for (i = 1; i <= e; i++) print "RESULT " extra[i] " " val[extra[i]] " " unit[extra[i]]
}' "$1"
