#!/bin/sh
# Creates the unprivileged user meshd's children run as, if it is missing.
set -eu
user=${1:-_meshd}
id "$user" >/dev/null 2>&1 && exit 0
useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --user-group "$user"
echo "created user $user"
