#!/usr/bin/env bash
# Makes a `debian:bookworm-slim` look-alike from Debian's packages, for
# building deploy/Dockerfile's runtime stage where no image can be pulled:
# mmdebstrap's minbase variant with merged /usr, Docker's slim excludes and
# apt settings, the apt cache cleaned. Writes a root file system tarball to
# $1 (cargo xtask image keeps it under target/image/ and imports it with
# `podman import`). Needs root and Debian's mirrors.
set -euo pipefail
out=${1:?usage: base-image.sh OUTPUT.tar}
mmdebstrap --variant=minbase --mode=root --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook='rm -f "$1"/etc/hostname; : > "$1"/etc/resolv.conf' \
  --customize-hook='d="$1"/etc/apt/apt.conf.d;
    printf "%s\n" \
      "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };" \
      "APT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };" \
      "Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" > "$d"/docker-clean;
    echo "Acquire::Languages \"none\";" > "$d"/docker-no-languages;
    echo "Apt::AutoRemove::SuggestsImportant \"false\";" > "$d"/docker-autoremove-suggests;
    rm -f "$1"/var/cache/apt/*.bin' \
  bookworm "$out.partial" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"
mv "$out.partial" "$out"
