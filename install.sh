#!/bin/sh
# Installs the standalone `krypt` binary (Linux and macOS, x64 and arm64) from a release directory
# made by `npm run release`: picks the archive for this machine from its SHA256SUMS, verifies the
# download against it, and installs `krypt` into PREFIX/bin.
#
#   curl -fsSL https://releases.example.com/krypt/install.sh | sh -s -- --base-url https://releases.example.com/krypt
#   sh install.sh --base-url file:///mnt/release --prefix /usr/local
#
# Options (or environment):
#   --base-url URL  (KRYPT_DOWNLOAD_URL)  where SHA256SUMS and the archives are (https://, http://, file://)
#   --prefix DIR    (KRYPT_PREFIX)        install into DIR/bin (default: /usr/local as root, else ~/.local)
# Windows: download krypt_VERSION_windows_x64.zip, check it against SHA256SUMS, put krypt.exe on PATH.
set -eu

base_url=${KRYPT_DOWNLOAD_URL:-}
prefix=${KRYPT_PREFIX:-}

die() { printf 'Error: %s\n' "$1" >&2; [ -n "${2:-}" ] && printf 'Hint: %s\n' "$2" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --base-url) [ $# -ge 2 ] || die "--base-url needs a value"; base_url=$2; shift 2 ;;
    --base-url=*) base_url=${1#*=}; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    -h|--help) sed -n '2,13p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" "sh install.sh --base-url URL [--prefix DIR]" ;;
  esac
done

[ -n "$base_url" ] || die "no release to install from" "pass --base-url URL (or set KRYPT_DOWNLOAD_URL): the directory holding SHA256SUMS and the krypt_*.tar.gz archives"
base_url=${base_url%/}
if [ -z "$prefix" ]; then
  if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "no krypt binary for $(uname -s) from this script" "on Windows, download krypt_VERSION_windows_x64.zip and check it against SHA256SUMS" ;;
esac
case $(uname -m) in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) die "no krypt binary for the $(uname -m) architecture" "krypt is built for x64 and arm64" ;;
esac

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then curl -fsSL --proto '=https,http,file' -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else die "neither curl nor wget is installed" "install one of them, or download the archive by hand"
  fi
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "neither sha256sum nor shasum is installed" "the download cannot be verified without one"
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$base_url/SHA256SUMS" "$tmp/SHA256SUMS" || die "could not download $base_url/SHA256SUMS" "check --base-url"
line=$(grep -E "  krypt_[^ ]+_${os}_${arch}\.tar\.gz\$" "$tmp/SHA256SUMS" | head -n 1) || true
[ -n "$line" ] || die "SHA256SUMS at $base_url lists no archive for ${os}_${arch}"
want=${line%% *}
archive=${line#*  }
printf 'Downloading %s\n' "$archive" >&2
fetch "$base_url/$archive" "$tmp/$archive" || die "could not download $base_url/$archive"
got=$(sha256 "$tmp/$archive")
[ "$got" = "$want" ] || die "$archive does not match SHA256SUMS (expected $want, got $got): nothing was installed" "download again; if it persists, the release or the connection has been tampered with"

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" krypt || die "$archive holds no krypt binary"
mkdir -p "$prefix/bin" || die "cannot create $prefix/bin" "choose another --prefix, or run as a user who may write there"
# Replace atomically: a running krypt keeps its old file.
cp "$tmp/x/krypt" "$prefix/bin/.krypt.new.$$" && chmod 755 "$prefix/bin/.krypt.new.$$" && mv -f "$prefix/bin/.krypt.new.$$" "$prefix/bin/krypt" \
  || die "cannot write $prefix/bin/krypt" "choose another --prefix, or run as a user who may write there"
printf 'Installed %s to %s\n' "$("$prefix/bin/krypt" --version)" "$prefix/bin/krypt" >&2
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) printf 'Add %s to your PATH, e.g.: echo '\''export PATH="%s:$PATH"'\'' >> ~/.profile\n' "$prefix/bin" "$prefix/bin" >&2 ;;
esac
