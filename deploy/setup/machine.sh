#!/usr/bin/env bash
# What the machine needs under the platform, set up once and then only checked (in well under a second):
#   deploy/setup/machine.sh [--postgres URL] [--rabbitmq URL] [--redis URL] [--pcscd]
# Always: what the workspace is built with (pyscard, the edge-reader's PC/SC driver, has no Linux wheel: a C
# compiler, Python's headers, swig and the PC/SC headers), venv, curl, jq and pgrep. Then each server named, when its URL is on this
# machine: installed with apt, started when it does not answer (RabbitMQ with its management plugin, which
# makes the edge-readers' broker accounts). A server elsewhere is left alone: whoever runs it starts it.
# --pcscd: pcscd and vpcd's virtual readers, on which the PC/SC tests put an emulated ID card.
# ./realname runs it: `./realname test` with every server and pcscd, `./realname up --distributed` with the
# servers, `./realname up` with RabbitMQ (the broker its gates reach it through). It prints one line per thing it sets up and nothing when all is ready.
set -euo pipefail

PATH="$PATH:/usr/sbin:/sbin"  # pcscd and RabbitMQ's commands live there
LOGS=${TMPDIR:-/tmp}/realname-setup
PYTHON=${PYTHON:-python3}
# The platform's and the tests' defaults (realname_launcher.cli, tests/support/infra.py).
DEFAULT_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/
DEFAULT_RABBITMQ=amqp://guest:guest@127.0.0.1:5672/%2F
DEFAULT_REDIS=redis://127.0.0.1:6379/0
PACKAGES=()   # Debian packages to install (one apt run for all)
POSTGRES="" RABBITMQ="" REDIS="" PCSCD=""

exec 3>&2  # the user's terminal, also from inside a command whose output goes to a log
say() { echo "realname: $*" >&3; }
fail() { say "$*"; exit 1; }

as_root() {  # a command that needs root: directly, through sudo, or a failure naming what to do
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "cannot run \`$*\` (not root, no sudo): run it as root, then run ./realname again"
  fi
}

logged() {  # run a command with its output in a log file, shown when it fails
  local log="$LOGS/$1.log"; shift
  mkdir -p "$LOGS"
  "$@" >"$log" 2>&1 || { tail -n 30 "$log" >&2; fail "\`$*\` failed (log: $log)"; }
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll until the command succeeds
  local seconds=$1 what=$2; shift 2
  for _ in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  fail "$what did not come up within ${seconds}s (logs in $LOGS)"
}

host_port() {  # host_port URL DEFAULT_PORT: "host port" of a URL (scheme://user:pass@host:port/path)
  local rest=${1#*://}
  rest=${rest%%/*}; rest=${rest##*@}
  local host port
  if [[ $rest == \[* ]]; then host=${rest%%]*}; host=${host#[}; port=${rest#*]}; port=${port#:}
  else host=${rest%%:*}; port=${rest#"$host"}; port=${port#:}
  fi
  echo "${host:-127.0.0.1} ${port:-$2}"
}

is_local() { case "$1" in 127.0.0.1|localhost|::1|"") return 0;; *) return 1;; esac; }

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }  # something listens on host:port

need() { PACKAGES+=("$@"); }

# --- what is missing --------------------------------------------------------------------------------------

build_packages() {
  command -v cc >/dev/null || need gcc
  command -v swig >/dev/null || need swig
  [ -e /usr/include/PCSC/winscard.h ] || need libpcsclite-dev
  command -v curl >/dev/null || need curl  # curl and jq: the README's commands (and RabbitMQ's check below)
  command -v jq >/dev/null || need jq
  command -v pgrep >/dev/null || need procps
  # One interpreter start for both (it is the slowest check): Python's headers, and venv with ensurepip.
  if ! command -v "$PYTHON" >/dev/null; then need python3 python3-dev python3-venv; return 0; fi
  local python_missing
  python_missing=$("$PYTHON" -c '
import importlib.util, os, sysconfig
if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")): print("python3-dev")
if not all(importlib.util.find_spec(m) for m in ("venv", "ensurepip")): print("python3-venv")')
  # shellcheck disable=SC2086  # one package name a word
  [ -z "$python_missing" ] || need $python_missing
}

serving() {  # serving URL DEFAULT_PORT: a server already answers there (however it was installed)
  local host port; read -r host port <<<"$(host_port "$1" "$2")"
  answers "$host" "$port"
}

server_packages() {
  if [ -n "$POSTGRES" ] && ! serving "$POSTGRES" 5432; then command -v pg_ctlcluster >/dev/null || need postgresql; fi
  if [ -n "$RABBITMQ" ] && ! serving "$RABBITMQ" 5672; then command -v rabbitmq-server >/dev/null || need rabbitmq-server; fi
  if [ -n "$REDIS" ] && ! serving "$REDIS" 6379; then command -v redis-server >/dev/null || need redis-server; fi
  if [ -n "$PCSCD" ]; then
    [ -x /usr/sbin/pcscd ] || command -v pcscd >/dev/null || need pcscd
    dpkg -s vsmartcard-vpcd >/dev/null 2>&1 || need vsmartcard-vpcd
  fi
}

install_packages() {
  [ ${#PACKAGES[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || fail "please install ${PACKAGES[*]} (Debian names), then run ./realname again"
  say "installing ${PACKAGES[*]} (apt, once)"
  logged apt-update as_root apt-get update -q
  logged apt-install as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"
}

# --- the servers --------------------------------------------------------------------------------------------

start_postgres() {
  local host port; read -r host port <<<"$(host_port "$POSTGRES" 5432)"
  if ! pg_isready -q -h "$host" -p "$port"; then
    local version; version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    [ -n "$version" ] || fail "PostgreSQL is installed but has no cluster: pg_createcluster <version> main"
    say "starting PostgreSQL $version"
    logged postgres as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for 60 PostgreSQL pg_isready -q -h "$host" -p "$port"
  fi
  # The platform's default URL has user postgres and no password; a fresh Debian cluster asks for one over
  # TCP. Then give postgres one and keep it in ~/.pgpass, where libpq (psycopg) finds it.
  if [ "$POSTGRES" = "$DEFAULT_POSTGRES" ] && ! psql -w -h "$host" -p "$port" -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    say "giving PostgreSQL's user postgres a password for TCP logins, kept in ~/.pgpass"
    local password; password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD '$password'\""
    touch ~/.pgpass && chmod 600 ~/.pgpass
    # libpq takes the first matching line: drop an older one for this server before adding the new password.
    { grep -v -F "$host:$port:*:postgres:" ~/.pgpass || true; printf '%s:%s:*:postgres:%s\n' "$host" "$port" "$password"; } \
      >~/.pgpass.new && mv ~/.pgpass.new ~/.pgpass && chmod 600 ~/.pgpass
    psql -w -h "$host" -p "$port" -U postgres -Atc 'select 1' >/dev/null \
      || fail "PostgreSQL at $host:$port still refuses user postgres: check pg_hba.conf"
  fi
}

start_rabbitmq() {
  local host port; read -r host port <<<"$(host_port "$RABBITMQ" 5672)"
  if ! answers "$host" "$port"; then
    say "starting RabbitMQ"
    # A first start once hung: it is given 90 s, then the log says why.
    logged rabbitmq as_root rabbitmq-server -detached
    wait_for 90 RabbitMQ as_root rabbitmq-diagnostics -q check_running
  fi
  # Any HTTP answer on 15672 (401 without credentials) means the management plugin is on.
  local api="http://$host:15672"; [[ $host == *:* ]] && api="http://[$host]:15672"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/api/overview")" = 000 ]; then
    command -v rabbitmq-plugins >/dev/null \
      || fail "RabbitMQ at $host answers without its management plugin: run rabbitmq-plugins enable rabbitmq_management there"
    say "enabling RabbitMQ's management plugin"
    logged rabbitmq-plugins as_root rabbitmq-plugins enable rabbitmq_management
    wait_for 60 "RabbitMQ's management API" curl -fs -o /dev/null "$api/"
  fi
}

start_redis() {
  local host port; read -r host port <<<"$(host_port "$REDIS" 6379)"
  answers "$host" "$port" && return 0
  say "starting Redis on port $port (nothing kept on disk)"
  mkdir -p "$LOGS"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir "$LOGS" --logfile "$LOGS/redis.log"
  wait_for 10 Redis answers "$host" "$port"
}

start_pcscd() {
  local pcscd; pcscd=$(PATH="$PATH:/usr/sbin" command -v pcscd)
  pgrep -x pcscd >/dev/null && return 0
  say "starting pcscd with vpcd's virtual readers (log: $LOGS/pcscd.log)"
  mkdir -p "$LOGS"
  # -f in a session of its own: it outlives this command and a Ctrl-C of it (--auto-exit would quit after a
  # minute without clients). vpcd is one of its drivers: it listens for a card emulator on port 35963.
  # A simple command, not a function, and without fd 3: nothing of this script's stays behind holding the
  # caller's output open (a `./realname test | tee log` would otherwise never end).
  local run=(setsid "$pcscd" -f)
  [ "$(id -u)" = 0 ] || run=(sudo "${run[@]}")
  "${run[@]}" </dev/null >"$LOGS/pcscd.log" 2>&1 3>&- &
  wait_for 10 pcscd test -S /run/pcscd/pcscd.comm
}

local_only() {  # the URL when its server is on this machine, else nothing
  local host; read -r host _ <<<"$(host_port "$1" 0)"
  if is_local "$host"; then echo "$1"; fi
}

main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --postgres) POSTGRES=$(local_only "${2:-$DEFAULT_POSTGRES}"); shift 2 ;;
      --rabbitmq) RABBITMQ=$(local_only "${2:-$DEFAULT_RABBITMQ}"); shift 2 ;;
      --redis) REDIS=$(local_only "${2:-$DEFAULT_REDIS}"); shift 2 ;;
      --pcscd) PCSCD=1; shift ;;
      *) fail "machine.sh: unknown argument $1" ;;
    esac
  done
  build_packages
  server_packages
  install_packages
  if [ -n "$POSTGRES" ]; then start_postgres; fi
  if [ -n "$RABBITMQ" ]; then start_rabbitmq; fi
  if [ -n "$REDIS" ]; then start_redis; fi
  if [ -n "$PCSCD" ]; then start_pcscd; fi
}

main "$@"
