#!/bin/sh
# pictures.sh - the pictures behind `make pictures`: the lesson, drawn from real runs.
#
#   timeline.svg  one bar per call: client_sync's staircase above client_async's stack
#   scaling.svg   total time against the number of calls N: a rising line, a flat one
#   firecrest.svg firecrest_async's 100 jobs of 2 s, merged polls beside --no-merge:
#                 each job's life, and the requests per second per microservice
#
# Each also as PNG. Runs every client against a server it starts itself (on a free
# port), writes into pictures/ (ignored by git), and says where the files are.
set -eu
cd "$(dirname "$0")/.."
. scripts/server.sh

read_delay_ms pictures "${1:-}"
out=pictures
data=$out/data
mkdir -p "$data"
trap stop_server EXIT INT TERM
start_server --delay-ms "$delay_ms"
url="$BASE_URL/say-hi"
cores=$(nproc)

# --- the timeline: N=10 and N=20, sync and async, on one time axis ------------------
for number in 10 20; do
    bin/client_sync --number "$number" --url "$url" --trace "$data/sync-$number.csv" >/dev/null
    bin/client_async --number "$number" --url "$url" --trace "$data/async-$number.csv" >/dev/null
done

# --- the scaling: total seconds against N --------------------------------------------
# The sync client stops at 50 calls (50 delays already): 1000 of them would take
# 1000 delays, and the line's slope is plain long before that.
scaling=$data/scaling.dat
echo "# N client_sync client_async mini_client (seconds)" >"$scaling"
seconds_of() { "$@" --url "$url" --json | json_field seconds; }
for number in 1 2 5 10 20 50 100 200 500 1000; do
    sync="?"
    if [ "$number" -le 50 ]; then
        sync=$(seconds_of bin/client_sync --number "$number")
    fi
    async=$(seconds_of bin/client_async --number "$number")
    mini=$(seconds_of bin/mini_client --number "$number")
    echo "$number $sync $async $mini" >>"$scaling"
done
stop_server

# --- FirecREST: 50 jobs of 2 s, with the polls merged and without ------------------
# The trace's CSV (call,start_ms,end_ms,status,result,job,service,kind) becomes two
# gnuplot tables: each job's life (its submission's start to its output's end, then
# to the end of its last request of its own: its acct, when that is not merged), and
# the requests each microservice got per second, over 2 s: the client paces to the
# clock's seconds, the trace counts from the run's start, and a 1 s bin astride two
# clock seconds could show 11 where the server saw 10 and 1.
fc_jobs=50
start_server --job-ms 2000
for way in merged no-merge; do
    flag=
    if [ "$way" = no-merge ]; then flag=--no-merge; fi
    bin/firecrest_async --url "$BASE_URL" --jobs "$fc_jobs" $flag --trace "$data/fc-$way.csv" \
        >/dev/null
    awk -F, 'NR > 1 && $8 == "submit" && !($6 in from) { from[$6] = $2 / 1000 }
             NR > 1 && $8 == "output" { read[$6] = $3 / 1000 }
             NR > 1 && $6 != "" && $3 / 1000 > last[$6] { last[$6] = $3 / 1000 }
             END { for (job in from) if (job in read) print job, from[job], read[job], last[job] }' \
        "$data/fc-$way.csv" | sort -n >"$data/fc-$way-jobs.dat"
    awk -F, 'NR > 1 { bin = int($2 / 2000); count[bin, $7]++
                      if (bin > last) last = bin }
             END { print "# second compute tasks utilities (requests per second, over 2 s)"
                   for (b = 0; b <= last; b++)
                       print 2 * b, count[b, "compute"] / 2, count[b, "tasks"] / 2,
                             count[b, "utilities"] / 2
                   print 2 * (last + 1), 0, 0, 0 }' "$data/fc-$way.csv" >"$data/fc-$way-rates.dat"
done
stop_server
# Each run's length and number of requests, for the titles; one x axis for both.
summary_of() {
    awk -F, 'NR > 1 { n++; if ($3 > end) end = $3 }
             END { printf "%.1f s, %d requests", end / 1000, n }' "$1"
}
fc_merged=$(summary_of "$data/fc-merged.csv")
fc_unmerged=$(summary_of "$data/fc-no-merge.csv")
fc_xmax=$(awk -F, 'FNR > 1 && $3 + 0 > end { end = $3 + 0 } END { print int(end / 1000) + 1 }' \
    "$data/fc-merged.csv" "$data/fc-no-merge.csv")

# --- draw ------------------------------------------------------------------------------
delay_s=$(awk -v d="$delay_ms" 'BEGIN { print d / 1000 }')
for format in svg png; do
    case $format in
        svg) terminal="svg size 900,560 dynamic font 'sans,13' background '#ffffff'" ;;
        png) terminal="pngcairo size 900,560 font 'sans,11' background '#ffffff'" ;;
    esac
    gnuplot <<EOF
set terminal $terminal
set datafile separator ","
set output "$out/timeline.$format"
set title "One bar per call; each call waits $delay_ms ms on the server ($cores cores)" font ",15"
# Each group's total time, written after its last bar, with what it means.
stats "$data/sync-10.csv" skip 1 using 3 nooutput
set label sprintf("%.2f s: the waits add up", STATS_max / 1000) at STATS_max / 2000, 1.5
stats "$data/sync-20.csv" skip 1 using 3 nooutput
set label sprintf("%.2f s: twice the calls, twice the time", STATS_max / 1000) at STATS_max / 2000, 15
stats "$data/async-10.csv" skip 1 using 3 nooutput
set label sprintf("%.2f s: all 10 wait at once", STATS_max / 1000) at STATS_max / 1000, 37.5 offset 1, 0
stats "$data/async-20.csv" skip 1 using 3 nooutput
set label sprintf("%.2f s: all 20 wait at once, still one delay", STATS_max / 1000) at STATS_max / 1000, 53.5 offset 1, 0
set xlabel "seconds since the run began"
unset ylabel
set yrange [64:0]
set xrange [0:*]
set grid xtics
set ytics ("sync, N = 10" 5.5, "sync, N = 20" 21.5, "async, N = 10" 37.5, "async, N = 20" 53.5) nomirror
set key off
set style fill solid 0.9 noborder
plot "$data/sync-10.csv" skip 1 using (\$2/1000):(\$1):(\$2/1000):(\$3/1000):(\$1-0.42):(\$1+0.42) with boxxyerror lc rgb "#e6550d", \
     "$data/sync-20.csv" skip 1 using (\$2/1000):(\$1+11):(\$2/1000):(\$3/1000):(\$1+11-0.42):(\$1+11+0.42) with boxxyerror lc rgb "#a63603", \
     "$data/async-10.csv" skip 1 using (\$2/1000):(\$1+32):(\$2/1000):(\$3/1000):(\$1+32-0.42):(\$1+32+0.42) with boxxyerror lc rgb "#31a354", \
     "$data/async-20.csv" skip 1 using (\$2/1000):(\$1+43):(\$2/1000):(\$3/1000):(\$1+43-0.42):(\$1+43+0.42) with boxxyerror lc rgb "#006d2c"

set datafile separator whitespace
set datafile missing "?"
unset label
set output "$out/scaling.$format"
set title "Total time for N calls of $delay_ms ms each ($cores cores)" font ",15"
set xlabel "N, the number of calls"
set ylabel "seconds"
set yrange [0.1:100] noreverse
set ytics auto mirror
set logscale xy
set xrange [1:1000]
set key on
set grid xtics ytics mxtics mytics
set key top left box opaque
plot x * $delay_s with lines dashtype 2 lc rgb "#999999" title "N delays (waiting in turn)", \
     $delay_s with lines dashtype 3 lc rgb "#555555" title "one delay (waiting at once)", \
     "$scaling" using 1:2 with linespoints pt 7 lw 2 lc rgb "#d95f02" title "client\\\\_sync", \
     "$scaling" using 1:3 with linespoints pt 5 lw 2 lc rgb "#1b9e77" title "client\\\\_async", \
     "$scaling" using 1:4 with linespoints pt 9 lw 2 lc rgb "#7570b3" title "mini\\\\_client"
EOF
done

# firecrest.svg: merged on the left, --no-merge on the right; above, each job's life,
# below, the requests per second of each microservice against the server's limits.
for format in svg png; do
    case $format in
        svg) terminal="svg size 1200,760 dynamic font 'sans,13' background '#ffffff'" ;;
        png) terminal="pngcairo size 1200,760 font 'sans,11' background '#ffffff'" ;;
    esac
    gnuplot <<EOF
set terminal $terminal
set output "$out/firecrest.$format"
set multiplot layout 2,2 columnsfirst title "firecrest\\\\_async: $fc_jobs jobs of 2 s each, one thread" font ",15"
set xrange [0:$fc_xmax]
set grid xtics
set style fill solid 0.9 noborder
do for [way in "merged no-merge"] {
    set title (way eq "merged" ? "polls merged: $fc_merged" : "--no-merge: $fc_unmerged") font ",13"
    set ylabel "job"
    set yrange [$fc_jobs + 7:-1]  # room below the last job for the key
    unset xlabel
    set key bottom left horizontal samplen 2 width -5
    plot "$data/fc-".way."-jobs.dat" using 2:1:2:3:(\$1-0.4):(\$1+0.4) with boxxyerror lc rgb "#3182bd" title "submitted ... output read", \
         "" using 3:1:3:4:(\$1-0.4):(\$1+0.4) with boxxyerror lc rgb "#fdae6b" title "then its own acct polls"
    unset title
    set ylabel "requests per second"
    set yrange [0:27]
    set xlabel "seconds since the run began"
    set key top center horizontal maxrows 2 width 0
    plot "$data/fc-".way."-rates.dat" using 1:2 with steps lw 2 lc rgb "#e6550d" title "compute", \
         "" using 1:3 with steps lw 2 lc rgb "#31a354" title "tasks", \
         "" using 1:4 with steps lw 2 lc rgb "#756bb1" title "utilities", \
         10 with lines dashtype 2 lw 1.5 lc rgb "#333333" title "the server's limits", \
         20 with lines dashtype 2 lw 1.5 lc rgb "#333333" notitle
}
unset multiplot
EOF
done
echo "pictures: $out/timeline.svg, $out/scaling.svg and $out/firecrest.svg (and .png), from runs with a $delay_ms ms delay"
