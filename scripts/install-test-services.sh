#!/bin/sh
# Installs the real services and tools the tests run against (Debian packages, as root):
# Slurm 22.05 + munge, Prometheus (promtool), Alertmanager, and Chromium for the dashboard tests. Idempotent, quiet, non-interactive.
# The tests start their own daemons in temp dirs; nothing here is started or enabled.
set -eu
missing=""
command -v slurmctld >/dev/null 2>&1 || missing="$missing slurm-wlm"
command -v munged >/dev/null 2>&1 || missing="$missing munge"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$missing prometheus-alertmanager"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
