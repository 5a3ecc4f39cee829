#!/usr/bin/env bash
# End-to-end test: drives the real signdeck binary through `signdeck demo`
# inside tmux (send-keys / capture-pane) — filter, cancel, bulk cancel, copy,
# remind, download, extend, fix a signer, send a draft, the message log, accounts (failed and successful login), help, quit — and checks that the
# terminal is restored and nothing was printed outside the TUI.
#
# Usage: scripts/e2e-tmux.sh [path/to/signdeck]
set -euo pipefail

BIN=${1:-./signdeck}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "e2e: $BIN is not an executable (run make build)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "e2e: tmux is not installed (apt-get install tmux)" >&2; exit 127; }

WORK=$(mktemp -d)
SOCK="signdeck-e2e-$$"
T="tmux -L $SOCK"
cleanup() { $T kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

SECRET="e2e-wrong-$RANDOM$RANDOM"
STEP=""
pass=0

fail() {
  echo "e2e: FAIL at step '$STEP': $*" >&2
  echo "----- screen -----" >&2
  $T capture-pane -p -t e2e >&2 2>/dev/null || true
  echo "----- log -----" >&2
  tail -n 30 "$WORK/state/signdeck/signdeck.log" >&2 2>/dev/null || true
  echo "1 failed, $pass passed" ; exit 1
}
screen() { $T capture-pane -p -t e2e; }
# wait_for REGEX [SECONDS]: poll the screen until it matches.
wait_for() {
  local re=$1 limit=${2:-10} i=0
  while [ "$i" -lt $((limit * 10)) ]; do
    if screen | grep -Eq -- "$re"; then return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  fail "timed out after ${limit}s waiting for /$re/"
}
# wait_gone REGEX [SECONDS]
wait_gone() {
  local re=$1 limit=${2:-10} i=0
  while [ "$i" -lt $((limit * 10)) ]; do
    if ! screen | grep -Eq -- "$re"; then return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  fail "timed out after ${limit}s waiting for /$re/ to go away"
}
keys() { $T send-keys -t e2e "$@"; sleep 0.25; }
typ() { $T send-keys -t e2e -l "$1"; sleep 0.25; }
step() { STEP=$1; echo "e2e: $1"; }
# open_cancel: press x on the cursor row; a row this account may not cancel
# (a teammate's request) only gets a reason in the flash, so move down and
# try the next one.
open_cancel() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    keys x
    sleep 0.2
    if screen | grep -Eq 'Cancel this session\?'; then return 0; fi
    keys j
  done
  fail "no cancelable row in the first ten"
}
ok() { pass=$((pass + 1)); }

mkdir -p "$WORK/state" "$WORK/config" "$WORK/home"
$T new-session -d -s e2e -x 140 -y 40 \
  "env -i PATH=/usr/bin:/bin HOME=$WORK/home TERM=xterm-256color XDG_STATE_HOME=$WORK/state XDG_CONFIG_HOME=$WORK/config XDG_DOWNLOAD_DIR=$WORK/downloads \
   $BIN demo --seed 7 2>$WORK/stderr; echo \"SIGNDECK_EXIT=\$?\"; sleep 600"

step "dashboard loads both accounts"
wait_for 'demo-dropboxsign [0-9]+ ✓' 20
wait_for 'demo-constellation1 [0-9]+ ✓' 20
wait_for 'refreshed'
ok

step "filter status:awaiting dbx"
keys /
typ 'status:awaiting dbx'
keys Enter
wait_for 'filter: status:awaiting dbx'
wait_for '[0-9]+ of [0-9]+ sessions'
screen | sed -n '3,30p' | grep -E '^ *[›◆ ]' | grep -q 'c1:' && fail "a Constellation1 row survived the dbx filter"
ok

step "cancel: Enter aborts"
open_cancel
wait_for 'This cannot be undone\.'
wait_for '\[y/N\]'
keys Enter
wait_gone 'Cancel this session\?'
screen | grep -q 'Cancel requested' && fail "Enter must not confirm a cancel"
ok

step "cancel: y confirms, then the async cancel is confirmed"
open_cancel
keys y
wait_for 'Cancel requested for'
wait_for 'Canceled .*\(confirmed\)' 30
ok

step "bulk cancel three marked sessions"
keys Space
keys Space
keys Space
wait_for '3 marked'
keys x
wait_for 'Cancel ([2-3] sessions|this session)\?'
keys y
wait_for '([1-3] requested|Cancel requested for)' 15
wait_for 'Canceled .*confirmed' 30
ok

step "clear the filter"
keys Escape
sleep 0.4
keys Escape
sleep 0.4
wait_gone 'filter: status'
ok

step "detail pane of a Constellation1 session shows signers and the action log"
keys /
typ 'provider:constellation1 status:awaiting'
keys Enter
wait_for 'filter: provider:constellation1'
keys Enter
wait_for 'Signers' 10
wait_for '(Action log|ACTION LOG|Activity)' 10
keys Enter
sleep 0.4
keys Escape
sleep 0.4
keys Escape
sleep 0.4
wait_gone 'filter: provider'
ok

step "copy with unchanged signers (a re-send)"
keys c
wait_for 'Copy "'
wait_for 'Signers \([0-9]+\)' 10
keys C-s
wait_for 'Send this copy\? \[y/N\]'
keys y
wait_for 'Copied .* to ' 15
ok

step "remind the pending signers of a Dropbox Sign request"
keys /
typ 'provider:dbx status:awaiting'
keys Enter
wait_for 'filter: provider:dbx'
keys m
wait_for 'Remind the pending signers of 1 session\?'
keys y
wait_for 'Remind .*: (ok|skipped) \((reminded|.*reminded within)' 15
ok

step "download its documents"
keys D
wait_for 'Download .*: ok \(saved ' 20
ls "$WORK/downloads"/*.pdf >/dev/null 2>&1 || fail "no PDF in the download directory"
ok

step "extend the expiry of a request of our own"
# A teammate's request says why it can't; move down to one of our own.
for i in 1 2 3 4 5 6 7 8 9 10; do
  keys E
  sleep 0.2
  if screen | grep -Eq 'Extend the expiry of 1 session'; then break; fi
  screen | grep -Eq 'Extend expiry: .*sent by' || fail "E neither opened the prompt nor said why"
  keys j
done
wait_for 'Extend the expiry of 1 session'
typ '+7d'
keys Enter
wait_for '\[y/N\]'
keys y
wait_for 'Extend expiry .*: ok \(expires ' 15
ok

step "fix a signer's email from the detail pane"
keys Enter
wait_for 'Signers \(' 10
keys e
wait_for 'Which signer\?'
keys Enter
wait_for 'Email'
keys C-u
typ 'fixed.signer@example.com'
keys Enter
wait_for 'Change this signer\? \[y/N\]'
keys y
wait_for 'Fix signer .*: ok' 15
wait_for 'fixed.signer@example.com' 10
keys Escape
sleep 0.4
ok

step "send a Constellation1 draft"
keys Escape
sleep 0.4
keys /
typ 'provider:constellation1 status:draft'
keys Enter
wait_for 'filter: provider:constellation1 status:draft'
keys p
wait_for 'Send 1 draft to the signers\?'
keys y
wait_for 'Send .*: ok' 15
ok

step "the message log keeps every outcome"
keys M
wait_for 'Message log'
wait_for 'Remind .*: '
wait_for 'Download .*: ok'
wait_for 'Send .*: ok'
keys Escape
sleep 0.4
wait_gone 'Message log'
keys Escape
sleep 0.4
keys Escape
sleep 0.4
wait_gone 'filter: provider'
ok

step "accounts view: a wrong token is refused and never shown"
keys a
wait_for 'Accounts'
wait_for 'demo-constellation1'
keys l
wait_for 'Token:'
typ "$SECRET"
screen | grep -q "$SECRET" && fail "the typed token is visible on screen"
keys Enter
wait_for 'Login failed' 15
screen | grep -q "$SECRET" && fail "the token appears in the login error"
keys Escape
sleep 0.4
ok

step "accounts view: the sandbox token logs in"
keys l
wait_for 'Token:'
typ "sandbox-token"
keys Enter
wait_for 'Logged in to' 15
ok

step "help lists the actions"
keys Escape
sleep 0.4
keys '?'
wait_for 'cancel session'
keys Escape
sleep 0.4
wait_gone 'cancel session'
ok

step "the : palette runs a view by name"
typ ':'
wait_for 'action or view name'
typ 'view expired'
keys Enter
wait_for 'View: expired' 10
typ ':'
typ 'view active'
keys Enter
wait_for 'View: active' 10
ok

step "views (expiring, stalled, buckets) and open by id"
wait_for 'exp(iring)? [0-9]'
keys v
wait_for 'View: expiring' 10
keys v
wait_for 'View: stalled' 10
keys v
wait_for 'View: expired' 10
wait_for 'demo-constellation1' 10
keys v
wait_for 'View: archived'
keys v
wait_for 'View: deleted'
keys v
wait_for 'View: active'
keys o
wait_for 'Open ACCOUNT/ID'
typ 'demo-constellation1/00000000-0000-0000-0000-000000000000'
keys Enter
wait_for '(not found|HTTP 404|no session)' 15
ok

step "quit restores the terminal and printed nothing"
keys q
wait_for 'SIGNDECK_EXIT=0' 10
# The primary screen must hold only our exit marker: no stray output.
others=$(screen | grep -v '^SIGNDECK_EXIT=0$' | grep -v '^[[:space:]]*$' || true)
[ -z "$others" ] || fail "text outside the TUI: $others"
[ ! -s "$WORK/stderr" ] || fail "stderr not empty: $(head -c 300 "$WORK/stderr")"
grep -rq "$SECRET" "$WORK/state" && fail "the wrong token was written under the state dir"
ok

echo "e2e: all steps passed"
echo "$pass passed, 0 failed"
