#!/usr/bin/env bash
# Installs what `npm run bench` needs besides the project itself:
#  - Debian's nginx (its core http_dav module does PUT; libnginx-mod-http-dav-ext adds the
#    PROPFIND/OPTIONS that rclone's WebDAV backend needs to list), rclone, curl, wrk;
#  - the tus baseline (@tus/server + @tus/file-store), pinned in bench/package.json and
#    bench/package-lock.json, kept out of the root package.
# Run as root (or with sudo) once per machine: bash bench/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

need=()
command -v nginx >/dev/null || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_http_dav_ext_module.so ] || need+=(libnginx-mod-http-dav-ext)
command -v rclone >/dev/null || need+=(rclone)
command -v curl >/dev/null || need+=(curl)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update
  # --no-install-recommends: no distro service setup beyond the package's own
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi
# The package may start a system nginx on port 80; the bench runs its own on a free port and
# needs none, so stop it where an init system started one (harmless where there is none).
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  $sudo systemctl stop nginx || true
fi

nginx -V 2>&1 | grep -q -- '--with-http_dav_module' || { echo "setup.sh: this nginx lacks http_dav_module" >&2; exit 1; }
npm ci --prefix "$here" --no-audit --no-fund
echo "bench setup done: $(nginx -v 2>&1), $(rclone version | head -1), $(curl --version | head -1 | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
