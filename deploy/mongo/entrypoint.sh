#!/bin/bash
# The mongo image's entrypoint, after making the key file a replica set with authentication
# needs (--keyFile in docker-compose.yml): random, owner-only, made once per data volume.
set -euo pipefail
KEY_FILE=/data/configdb/replica.key
if [ ! -s "$KEY_FILE" ]; then
  head -c 756 /dev/urandom | base64 -w 0 > "$KEY_FILE"
fi
chown mongodb:mongodb "$KEY_FILE"
chmod 0400 "$KEY_FILE"
exec docker-entrypoint.sh "$@"
