#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the tests: socket only (no TCP listener), password
# authentication, every statement logged (the tests read the log to see what twinrisk asked).
#   cluster.sh start DIR [PORT]  initdb into DIR/data, start, create database twinrisk with PostGIS;
#                                writes DIR/env (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) to source
#   cluster.sh stop DIR          stop and remove it
# Exit 77 (skip) when PostgreSQL or PostGIS is not installed (./scripts/setup installs both).
set -euo pipefail
action=$1 dir=$2 port=${3:-54329}
bin=/usr/lib/postgresql/15/bin
password=Tw1nR1sk-s3cret

as_owner() {  # the server refuses to run as root: run it as postgres then
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case $action in
start)
  [ -x "$bin/initdb" ] || { echo "PostgreSQL 15 is not installed (./scripts/setup)"; exit 77; }
  [ -d /usr/share/postgresql/15/extension ] && ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 \
    || { echo "PostGIS is not installed (./scripts/setup)"; exit 77; }
  "$0" stop "$dir" >/dev/null 2>&1 || true
  mkdir -p "$dir/data" "$dir/socket"
  printf '%s\n' "$password" > "$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir" && chmod 755 "$dir"
  as_owner "$bin/initdb -D '$dir/data' -U twinrisk --pwfile='$dir/pwfile' --auth=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log"
  as_owner "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir/socket' -c listen_addresses='' -c fsync=off -c log_statement=all\" start" >/dev/null
  cat >"$dir/env" <<ENV
export PGHOST='$dir/socket' PGPORT=$port PGUSER=twinrisk PGPASSWORD='$password' PGDATABASE=twinrisk
ENV
  . "$dir/env"
  psql -q -d postgres -c "CREATE DATABASE twinrisk" >/dev/null
  psql -q -c "CREATE EXTENSION postgis" >/dev/null
  echo "cluster running: $dir (socket only, port $port)"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl -D '$dir/data' -m immediate stop" >/dev/null || true; fi
  rm -rf "$dir"
  ;;
esac
