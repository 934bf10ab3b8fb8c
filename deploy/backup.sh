#!/usr/bin/env bash
# Back up CityLab: the PostgreSQL database (pg_dump, custom format) and the media folder
# (scans, crops, officers' photos). Run nightly from one machine, with the environment loaded:
#   set -a; . /etc/citylab/citylab.env; set +a; deploy/backup.sh /srv/backups/citylab
# Keeps the newest $KEEP sets (default 14). Both files of a set carry the same timestamp.
set -euo pipefail
dest=${1:?usage: backup.sh DEST_DIR}
keep=${KEEP:-14}
: "${DATABASE_URL:?DATABASE_URL must be set (load /etc/citylab/citylab.env)}"
: "${CITYLAB_MEDIA_ROOT:?CITYLAB_MEDIA_ROOT must be set}"
mkdir -p "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# The database first: a scan stored during the backup then has its file in the archive, even
# if its row is not in the dump (the reverse would leave a row naming a missing file).
pg_dump --format=custom --no-owner --file="$dest/citylab-$stamp.dump" "$DATABASE_URL"
tar --create --gzip --file="$dest/citylab-media-$stamp.tar.gz" --directory="$CITYLAB_MEDIA_ROOT" .
echo "backup: $dest/citylab-$stamp.dump and $dest/citylab-media-$stamp.tar.gz"
ls -1t "$dest"/citylab-2*.dump | tail -n +$((keep + 1)) | while read -r old; do
  rm -f "$old" "${old%/*}/citylab-media-$(basename "$old" .dump | sed 's/^citylab-//').tar.gz"
done
