#!/usr/bin/env bash
# Sets up a software Vulkan driver in a private folder so that Dawn (npm `webgpu`) finds an adapter on a machine
# without a GPU, for the webgpu tests of @db/backend. Idempotent: a second run only prints the environment.
#
#   eval "$(scripts/setup-vulkan.sh)"        # then: DB_BACKEND=webgpu ... / pnpm vitest run --project backend
#
# stdout: `export VK_ICD_FILENAMES=... LD_LIBRARY_PATH=...` lines and nothing else; progress goes to stderr.
#
# Driver: Mesa 25 lavapipe from Debian 12's bookworm-backports (Debian 12's own Mesa 22.3 lavapipe lacks the
# shaderUniform*ArrayDynamicIndexing features Dawn requires). Its .debs (and the Vulkan loader libvulkan1) are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the private folder: the system Mesa and
# /usr are not touched. The only system change is an apt source for bookworm-backports (a file in
# /etc/apt/sources.list.d, at priority 100, so nothing is upgraded from it), made only when absent and when root.
# `--driver swiftshader` uses the SwiftShader ICD of Debian's chromium package instead (installs chromium with apt;
# slower, see the figures in packages/backend/README.md).
#
# Folder: $DB_VULKAN_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/db-vulkan. Requires Debian 12 (bookworm) x86-64.
set -euo pipefail

driver=lavapipe
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) driver="${2:-}"; shift 2 ;;
    --driver=*) driver="${1#--driver=}"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-vulkan.sh: unknown argument '$1' (expected --driver lavapipe|swiftshader)" >&2; exit 2 ;;
  esac
done

say() { echo "setup-vulkan: $*" >&2; }
die() { say "$*"; exit 1; }

base="${DB_VULKAN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/db-vulkan}"
sudo_cmd=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else sudo_cmd=(false); fi
fi

# Downloads packages with apt and unpacks only the files matching the given globs into $dir/root (the mesa package
# holds every Mesa Vulkan driver, ~64 MB unpacked; lavapipe needs two files of it).
fetch_debs() { # dir "package..." glob...
  local dir="$1" packages="$2"; shift 2
  mkdir -p "$dir/debs" "$dir/root"
  local sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root) # root downloading into a private folder
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  (cd "$dir/debs" && apt-get download -q "${sandbox[@]}" $packages >&2) || return 1
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards "$@" 2>/dev/null || true
  done
  rm -rf "$dir/debs"
}

check_libs() { # lib
  local missing
  missing="$(LD_LIBRARY_PATH="$2" ldd "$1" 2>/dev/null | grep 'not found' || true)"
  [ -z "$missing" ] || die "$1 needs libraries that are not installed: $missing"
}

case "$driver" in
  lavapipe)
    version=25.0.7
    dir="$base/lavapipe-$version"
    lib="$dir/root/usr/lib/x86_64-linux-gnu"
    icd="$dir/lvp_icd.json"
    if [ ! -f "$icd" ] || [ ! -f "$lib/libvulkan_lvp.so" ] || [ ! -e "$lib/libvulkan.so.1" ]; then
      command -v apt-get >/dev/null 2>&1 || die "needs apt-get (Debian 12); none here"
      # Read into a variable first: `apt-cache | grep -q` dies of SIGPIPE under pipefail.
      offered() { local p; p="$(apt-cache policy mesa-vulkan-drivers 2>/dev/null)"; grep -o "[^ ]*$version[^ ]*bpo12[^ ]*" <<<"$p" | head -1; }
      if [ -z "$(offered)" ]; then
        if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
          say "adding the bookworm-backports apt source (/etc/apt/sources.list.d/bookworm-backports.sources)"
          printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
            'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
            "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null ||
            die "cannot add bookworm-backports (not root and no sudo)"
        fi
        say "apt-get update"
        "${sudo_cmd[@]}" apt-get update -qq >&2 || die "apt-get update failed"
      fi
      pkg_version="$(offered)"
      [ -n "$pkg_version" ] ||
        die "mesa-vulkan-drivers $version not offered by bookworm-backports (apt-cache policy mesa-vulkan-drivers)"
      say "downloading mesa-vulkan-drivers $version (backports) and libvulkan1 into $dir"
      rm -rf "$dir"
      # libvulkan1: Debian's Vulkan loader (libvulkan.so.1), which Dawn dlopens, kept next to the driver.
      fetch_debs "$dir" "mesa-vulkan-drivers=$pkg_version libvulkan1" \
        './usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' './usr/share/vulkan/icd.d/lvp_icd.json' \
        './usr/lib/x86_64-linux-gnu/libvulkan.so.1*' || die "apt-get download failed"
      # The packaged ICD names the library without a path (it expects /usr/lib); point it at the private copy.
      sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" \
        "$dir/root/usr/share/vulkan/icd.d/lvp_icd.json" >"$icd.tmp" && mv "$icd.tmp" "$icd"
      check_libs "$lib/libvulkan_lvp.so" "$lib"
      say "lavapipe $version ready in $dir"
    fi
    echo "export VK_ICD_FILENAMES='$icd'"
    echo "export LD_LIBRARY_PATH='$lib'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    ;;
  swiftshader)
    if ! dpkg -S vk_swiftshader_icd.json >/dev/null 2>&1; then
      say "installing Debian's chromium (for its SwiftShader Vulkan ICD)"
      "${sudo_cmd[@]}" apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2 ||
        die "apt-get install chromium failed"
    fi
    icd="$(dpkg -S vk_swiftshader_icd.json | awk -F': ' '{print $2}' | head -1)"
    [ -f "$icd" ] || die "vk_swiftshader_icd.json not found in the chromium package"
    # Chromium ships its own libvulkan.so.1 beside the ICD; use it when the system has no loader.
    libdir="$(dirname "$icd")"
    echo "export VK_ICD_FILENAMES='$icd'"
    loaders="$(ldconfig -p)"
    if ! grep -q 'libvulkan.so.1 ' <<<"$loaders"; then
      echo "export LD_LIBRARY_PATH='$libdir'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    fi
    ;;
  *) die "unknown driver '$driver' (expected lavapipe or swiftshader)" ;;
esac
