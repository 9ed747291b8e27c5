# What the demo's tours share (sourced by examples/*/tour.sh): printing steps and commands,
# failing with a message, bounded waits on a file's content, and a temporary working folder whose
# background programs (listed in pids) are stopped and which is removed on exit.
# The sourcing script sets tour_name (for messages) first.

step() { printf '\n== %s\n' "$*"; }
# Prints a command the way a user would type it, then runs it.
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "${tour_name:-tour}: $*" >&2; exit 1; }
# Waits up to $2 seconds for file $1 to contain the fixed string $3 (checked every 0.1 s).
wait_for() {
  local deadline=$((SECONDS + $2))
  until grep -qF -- "$3" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "waited $2 s for '$3' in $1"
    sleep 0.1
  done
}

# The tours call the tools by the names a user would have on PATH (those they start in the
# background by their paths, so that $! is the program itself and the cleanup can stop it).
zmq-cert() { "$ZMQ_CERT" "$@"; }
curve_client() { "$CURVE_CLIENT" "$@"; }

# Makes the working folder and goes there; the programs in pids are stopped and the folder
# removed when the script exits.
enter_work_folder() {
  work=$(mktemp -d)
  pids=()
  trap cleanup EXIT
  cd "$work"
  echo "working in $work"
}
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
