#!/usr/bin/env bash
# check-guests.sh: proves that the committed guest images in guests/bin are
# exactly what guests/Makefile builds from the committed sources. Rebuilds
# every guest into a temporary folder (installs nothing) and fails, naming
# each file, if an image differs, is missing, or is extra.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
guests="$root/guests"
cross="${CROSS:-riscv64-unknown-elf-}"

missing=()
command -v "${cross}gcc" >/dev/null 2>&1 || missing+=("${cross}gcc (Debian package gcc-riscv64-unknown-elf)")
[ -e /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] || missing+=("picolibc (Debian package picolibc-riscv64-unknown-elf)")
command -v make >/dev/null 2>&1 || missing+=("make")
if [ ${#missing[@]} -ne 0 ]; then
    echo "check-guests: cannot rebuild the guests; missing:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    echo "check-guests: install them with: apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf make" >&2
    exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! make -C "$guests" -s BUILD="$tmp/build" BIN="$tmp/bin" all >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log" >&2
    echo "check-guests: the guest build failed" >&2
    exit 1
fi

status=0
for built in "$tmp"/bin/*.elf; do
    name="$(basename "$built")"
    committed="$guests/bin/$name"
    if [ ! -e "$committed" ]; then
        echo "check-guests: guests/bin/$name is not committed (run: make -C guests)" >&2
        status=1
    elif ! cmp -s "$built" "$committed"; then
        echo "check-guests: guests/bin/$name differs from a fresh build (run: make -C guests, then commit it)" >&2
        status=1
    fi
done
for committed in "$guests"/bin/*.elf; do
    [ -e "$committed" ] || continue
    name="$(basename "$committed")"
    if [ ! -e "$tmp/bin/$name" ]; then
        echo "check-guests: guests/bin/$name has no source (not built by guests/Makefile)" >&2
        status=1
    fi
done

if [ $status -eq 0 ]; then
    echo "check-guests: $(ls "$tmp"/bin/*.elf | wc -l) guest images match their sources"
fi
exit $status
