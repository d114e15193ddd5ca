# Starting and stopping tcpdump around a recording, shared by the record-*.sh scripts.
# The caller sets $work (a scratch folder); the capture goes to $work/capture, tcpdump's messages
# to $work/tcpdump.err, and start_tcpdump sets $tcpdump_pid.

# start_tcpdump LABEL TCPDUMP-ARGS...: starts tcpdump (immediate mode, so that nothing is left in
# the ring buffer on SIGINT) and waits until it listens; exits the script if it never does.
start_tcpdump() {
    local label=$1
    shift
    rm -f "$work/capture" "$work/tcpdump.err"
    tcpdump --immediate-mode -U -s 262144 -w "$work/capture" "$@" 2>"$work/tcpdump.err" &
    tcpdump_pid=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$work/tcpdump.err" 2>/dev/null && return 0
        kill -0 "$tcpdump_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$tcpdump_pid" 2>/dev/null || true
    wait "$tcpdump_pid" 2>/dev/null || true
    cat "$work/tcpdump.err" >&2
    echo "tcpdump did not start for $label" >&2
    exit 1
}

# stop_tcpdump: lets the last packets through, then stops tcpdump with SIGINT.
stop_tcpdump() {
    sleep 1
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid" || true
}

# captured_packets LABEL: prints how many packets $work/capture holds, after checking that this is
# what tcpdump said it captured; fails when they differ (call it as `count=$(...) || exit 1`).
captured_packets() {
    local count
    count=$(tcpdump -r "$work/capture" 2>/dev/null | wc -l)
    if ! grep -q "^$count packets captured" "$work/tcpdump.err"; then
        echo "$1: read back $count packets but tcpdump said: $(grep captured "$work/tcpdump.err")" >&2
        return 1
    fi
    echo "$count"
}
