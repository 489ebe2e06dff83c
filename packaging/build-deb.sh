#!/bin/sh
# Builds heartbeat-ts_<version>_<arch>.deb from this tree, offline: `npm run package` (which builds dist/ first),
# or `sh packaging/build-deb.sh [OUTDIR]` after `npm run build`. Default OUTDIR: ./build.
#
# What goes where:
#   /usr/lib/heartbeat-ts/            dist/src (compiled), package.json, resource.d, production node_modules
#   /usr/sbin/heartbeat, hbctl        small launchers: exec Node.js on /usr/lib/heartbeat-ts/dist/src/cli/*.js
#   /usr/bin/cl_status, hb_standby, hb_takeover, ipfail
#   /usr/lib/heartbeat/ipfail         ipfail at the path existing ha.cf files name (respawn hacluster ...)
#   /usr/share/heartbeat/hb_standby, hb_takeover   the paths of Heartbeat's Debian package (symlinks)
#   /etc/init.d/heartbeat, /lib/systemd/system/heartbeat.service, /etc/default/heartbeat,
#   /etc/logrotate.d/heartbeat, /usr/lib/tmpfiles.d/heartbeat.conf, man pages, /usr/share/doc/heartbeat-ts
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=${1:-$top/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { echo "build-deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian's dpkg package)"
[ -f "$top/dist/src/cli/heartbeat.js" ] || die "dist/ is not built: run 'npm run build' first (or 'npm run package')"
[ -d "$top/node_modules" ] || die "node_modules/ is missing: run 'npm ci' first"

version=$(node -p 'require(process.argv[1]).version' "$top/package.json")
arch=$(dpkg --print-architecture)
case "$arch" in
	amd64) nodearch=x64 ;; arm64) nodearch=arm64 ;; armhf|armel) nodearch=arm ;; i386) nodearch=ia32 ;;
	*) nodearch=$arch ;;
esac

root=$(mktemp -d "$out/deb-root.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
lib=$root/usr/lib/heartbeat-ts

# 1. The program: compiled sources (not the tests), resource scripts, production dependencies only.
mkdir -p "$lib/dist"
cp -R "$top/dist/src" "$lib/dist/src"
cp "$top/package.json" "$lib/package.json"
cp -R "$top/resource.d" "$lib/resource.d"
chmod 0755 "$lib/resource.d/"*
# The lockfile says which installed packages are production ones (no "dev": true); copy exactly those, in one
# tar (a nested package comes with its parent as well; extracting it twice is harmless).
prod=$(node -e '
  const lock = require(process.argv[1]);
  for (const [p, v] of Object.entries(lock.packages)) if (p.startsWith("node_modules/") && !v.dev) console.log(p);
' "$top/package-lock.json")
for p in $prod; do
	[ -d "$top/$p" ] || die "$p is in package-lock.json but not installed: run 'npm ci'"
done
# shellcheck disable=SC2086 # one path per word
tar -cf - -C "$top" $prod | tar -xf - -C "$lib"
# Nothing but those: every package root copied (a node_modules/[@scope/]name directory with a package.json)
# must be a production package of the lockfile.
extra=$(cd "$lib" && find node_modules -name package.json | sed 's#/package.json$##' \
	| grep -E '(^|/)node_modules/(@[^/]+/)?[^/@]+$' | grep -vxF "$prod" || true)
[ -z "$extra" ] || die "not production dependencies, yet copied: $extra"
# Native prebuilt binaries: keep this architecture's Linux ones only.
for d in $(find "$lib/node_modules" -type d -name prebuilds); do
	for p in "$d"/*; do
		case "${p##*/}" in linux-"$nodearch"|linux-"$nodearch"+*) ;; *) rm -rf "$p" ;; esac
	done
done

# 2. Launchers: a few lines of sh each; they find the library relative to themselves (readlink -f), so an
#    unpacked tree (dpkg -x, dpkg --root) runs its own copy.
launcher() { # name, directory (relative to /usr), script (dist/src/cli/*.js), path from that directory to /usr/lib
	mkdir -p "$root/usr/$2"
	cat > "$root/usr/$2/$1" <<LAUNCHER
#!/bin/sh
# heartbeat-ts $version: $1. Node.js: \$HEARTBEAT_TS_NODE, else /usr/bin/node (see /etc/default/heartbeat).
lib=\$(dirname "\$(readlink -f "\$0")")/$4/heartbeat-ts
exec "\${HEARTBEAT_TS_NODE:-/usr/bin/node}" "\$lib/dist/src/cli/$3" "\$@"
LAUNCHER
	chmod 0755 "$root/usr/$2/$1"
}
launcher heartbeat sbin heartbeat.js ../lib
launcher hbctl sbin hbctl.js ../lib
launcher cl_status bin cl-status.js ../lib
launcher hb_standby bin hb-standby.js ../lib
launcher hb_takeover bin hb-takeover.js ../lib
launcher ipfail bin ipfail.js ../lib
launcher ipfail lib/heartbeat ipfail.js ..
mkdir -p "$root/usr/share/heartbeat"
ln -s ../../bin/hb_standby "$root/usr/share/heartbeat/hb_standby"
ln -s ../../bin/hb_takeover "$root/usr/share/heartbeat/hb_takeover"

# 3. System integration.
install -D -m 0755 "$here/heartbeat.init" "$root/etc/init.d/heartbeat"
install -D -m 0644 "$here/heartbeat.default" "$root/etc/default/heartbeat"
install -D -m 0644 "$here/heartbeat.logrotate" "$root/etc/logrotate.d/heartbeat"
install -D -m 0644 "$here/heartbeat.service" "$root/lib/systemd/system/heartbeat.service"
install -D -m 0644 "$here/heartbeat.tmpfiles" "$root/usr/lib/tmpfiles.d/heartbeat.conf"
mkdir -p "$root/var/lib/heartbeat"

# 4. Documentation: man pages, the example configuration, README, copyright.
for m in "$here"/man/*.[0-9]; do
	sec=${m##*.}
	mkdir -p "$root/usr/share/man/man$sec"
	gzip -9n < "$m" > "$root/usr/share/man/man$sec/${m##*/}.gz"
done
doc=$root/usr/share/doc/heartbeat-ts
mkdir -p "$doc/examples"
cp "$top/etc-ha.d/ha.cf" "$top/etc-ha.d/haresources" "$top/etc-ha.d/authkeys" "$doc/examples/"
chmod 0644 "$doc/examples/"*
gzip -9n < "$top/README.md" > "$doc/README.md.gz"
cp "$here/copyright" "$doc/copyright"

# 5. Control files.
mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/debian/control.in" > "$root/DEBIAN/control"
cp "$here/debian/conffiles" "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/debian/$s" "$root/DEBIAN/$s"; done
find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$root/usr/lib/heartbeat-ts" -type f ! -perm -u+x -exec chmod 0644 {} +

deb=$out/heartbeat-ts_${version}_${arch}.deb
dpkg-deb --build --root-owner-group -Zgzip "$root" "$deb" >/dev/null
echo "$deb"
