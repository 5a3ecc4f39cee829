#!/usr/bin/env bash
# Runs every fuzz target (each func Fuzz* in a _test.go file) for FUZZTIME
# after its committed seed corpus. A run that the fuzzing engine itself
# cuts short ("context deadline exceeded" with no failing input, which Go's
# coordinator reports when its workers are starved of CPU) is run again
# once with one worker; a real failure (a failing input) fails at once.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
FUZZFLAGS=${FUZZFLAGS:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg=$(dirname "$f")
  for t in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
    echo "fuzz: $pkg $t for $FUZZTIME"
    # shellcheck disable=SC2086
    if $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" $FUZZFLAGS "$pkg" >"$out" 2>&1; then
      cat "$out"; continue
    fi
    cat "$out"
    if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
      echo "fuzz: $t: the engine timed out (no failing input); running it again with one worker"
      # shellcheck disable=SC2086
      $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -parallel=1 $FUZZFLAGS "$pkg"
      continue
    fi
    exit 1
  done
done
