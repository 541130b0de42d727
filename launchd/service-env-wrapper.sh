#!/bin/sh
# smart-routerd:managed. launchd wrapper written by `smart-routerd install` (macOS only).
# Usage: service-env-wrapper.sh <env-file> <command> [args...]
# Exports the KEY='value' lines of <env-file> (mode 0600; holds SMART_ROUTERD_TOKEN when
# `install --token` was used), then replaces itself with <command>: `exec` keeps the PID, so
# launchd supervises and signals node directly. launchd has no EnvironmentFile= of its own.
set -eu
env_file=$1
shift
if [ -r "$env_file" ]; then
  set -a
  . "$env_file"
  set +a
fi
exec "$@"
