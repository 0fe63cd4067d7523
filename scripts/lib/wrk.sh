# Shared by the benchmark scripts (sourced): one wrk run printed as a table row.
#
#   ceiling=""                       # the first row measured becomes the ceiling
#   wrk_row NAME CONNECTIONS ARGS…   # ARGS: wrk's target (a URL, or -s script.lua URL)
#
# Prints NAME, requests/s, p50 and p99 in ms, and requests/s as a share of the ceiling
# (`ceiling`, set by the first call). THREADS, DURATION and ROW_WIDTH (of NAME) are read.

# wrk's latency ("850.12us", "1.20ms", "2.01s") in milliseconds.
wrk_ms() {
  python3 -c "
v='$1'
u={'us':0.001,'ms':1,'s':1000}
for k in ('us','ms','s'):
    if v.endswith(k): print(f'{float(v[:-len(k)])*u[k]:.2f}'); break
"
}

wrk_row() {
  local name="$1" conns="$2"; shift 2
  local out rps p50 p99 non2xx ratio threads="$THREADS"
  [ "$conns" -lt "$threads" ] && threads="$conns"
  out="$(wrk -t"$threads" -c"$conns" -d"$DURATION" --latency "$@")"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p50="$(echo "$out" | awk '$1=="50%" {print $2}')"
  p99="$(echo "$out" | awk '$1=="99%" {print $2}')"
  non2xx="$(echo "$out" | awk '/Non-2xx/ {print $NF}')"
  [ -z "$ceiling" ] && ceiling="$rps"
  ratio="$(python3 -c "print(f'{100*float($rps)/float($ceiling):.0f} %')")"
  printf "%-${ROW_WIDTH:-32}s %12s %10s %10s %9s%s\n" "$name" "$rps" "$(wrk_ms "$p50")" "$(wrk_ms "$p99")" \
    "$ratio" "${non2xx:+  (non-2xx: $non2xx)}"
}
