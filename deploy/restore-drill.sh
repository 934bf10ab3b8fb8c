#!/usr/bin/env bash
# Restore drill: prove that a backup set restores. Restores DUMP into a scratch database and
# MEDIA_ARCHIVE into a scratch folder, then checks the copy with `manage.py verify_restore`
# (migrations, rows per table, every uploaded file present). Touches nothing live; drops the
# scratch database at the end unless KEEP_DRILL=1.
#   set -a; . /etc/citylab/citylab.env; set +a
#   deploy/restore-drill.sh /srv/backups/citylab/citylab-20261204T010000Z.dump \
#                           /srv/backups/citylab/citylab-media-20261204T010000Z.tar.gz
# The scratch database is made on the server of DATABASE_URL (its user needs CREATEDB), or on
# DRILL_SERVER_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) when given.
set -euo pipefail
dump=${1:?usage: restore-drill.sh DUMP MEDIA_ARCHIVE}
archive=${2:?usage: restore-drill.sh DUMP MEDIA_ARCHIVE}
app=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$app/.venv/bin/python}
server=${DRILL_SERVER_URL:-${DATABASE_URL:?DATABASE_URL or DRILL_SERVER_URL must be set}}
base=${server%/*}
scratch=citylab_restore_drill_$$
media=$(mktemp -d -t citylab-restore-drill-XXXXXX)
cleanup() {
  if [ "${KEEP_DRILL:-0}" != 1 ]; then
    psql --quiet "$base/postgres" -c "DROP DATABASE IF EXISTS $scratch" >/dev/null || true
    rm -rf "$media"
  else
    echo "kept: database $scratch, media $media"
  fi
}
trap cleanup EXIT
start=$(date +%s)
psql --quiet "$base/postgres" -c "CREATE DATABASE $scratch" >/dev/null
pg_restore --no-owner --exit-on-error --dbname="$base/$scratch" "$dump"
tar --extract --gzip --file="$archive" --directory="$media"
DATABASE_URL="$base/$scratch" CITYLAB_MEDIA_ROOT="$media" "$python" "$app/manage.py" verify_restore
echo "restore drill passed in $(( $(date +%s) - start )) s: $dump and $archive restore into a working copy"
