#!/bin/sh
# The release step, on a clean checkout whose HEAD is the commit being released:
#   scripts/release/release.sh NEXT_VERSION
# records HEAD and the version its pom names as the last release (scripts/release/previous,
# the upgrade suite's starting point), gives CHANGELOG.md's [Unreleased] section that version
# and the date, and opens NEXT_VERSION: the pom's version, a debian/changelog entry and an
# empty [Unreleased] section. Commit the result ("Open NEXT_VERSION") and tag HEAD~1 if you tag.
set -eu
cd "$(dirname "$0")/../.."
next=${1:-}
echo "$next" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' || { echo "usage: $0 NEXT_VERSION (x.y.z)" >&2; exit 64; }
[ -z "$(git status --porcelain)" ] || { echo "release: the tree has uncommitted changes" >&2; exit 1; }
commit=$(git rev-parse HEAD)
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
if [ -z "$version" ] || [ "$version" = "$next" ]; then
    echo "release: the pom's version is '$version', the next one '$next'" >&2; exit 1
fi
day=$(git log -1 --format=%cs HEAD)

{
    sed -n '1,/^commit=/p' scripts/release/previous | sed '$d'
    printf 'commit=%s\nversion=%s\n' "$commit" "$version"
} >scripts/release/previous.tmp
mv scripts/release/previous.tmp scripts/release/previous
sed -i "0,/^  <version>$version<\/version>$/s//  <version>$next<\/version>/" pom.xml
sed -i "0,/^## \[Unreleased\]$/s//## [Unreleased]\n\n## [$version] - $day/" CHANGELOG.md
{
    printf 'scalebox (%s) unstable; urgency=medium\n\n  * Development of %s; see CHANGELOG.md.\n\n' "$next" "$next"
    printf ' -- Scalebox developers <dev@scalebox.invalid>  %s\n\n' "$(date -R -u)"
    cat debian/changelog
} >debian/changelog.tmp
mv debian/changelog.tmp debian/changelog
echo "release: $version is $commit; the tree now builds $next"
