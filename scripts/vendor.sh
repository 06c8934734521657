#!/usr/bin/env bash
# The vendored crates are published crates plus our patch (vendor/README.md says why each).
#   scripts/vendor.sh           check: vendor/NAME is exactly the published crate + its patch
#   scripts/vendor.sh --update  write vendor/patches/NAME-VERSION.patch from vendor/NAME
# Upstream sources come from cargo's registry cache (fetched with `cargo fetch` when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name version, from vendor/NAME/Cargo.toml
crates=()
for manifest in vendor/*/Cargo.toml; do
    dir=$(dirname "$manifest")
    name=$(basename "$dir")
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$manifest" | head -1)
    crates+=("$name $version")
done

upstream() { # name version -> path of the unpacked published crate
    local name=$1 version=$2 crate
    crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -1 || true)
    if [ -z "$crate" ]; then
        mkdir -p "$work/fetch/src"
        echo 'fn main() {}' > "$work/fetch/src/main.rs"
        printf '[package]\nname = "vendor-fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = "=%s"\n' \
            "$name" "$version" > "$work/fetch/Cargo.toml"
        (cd "$work/fetch" && rm -f Cargo.lock && cargo fetch -q)
        crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" | head -1)
    fi
    mkdir -p "$work/up"
    tar xzf "$crate" -C "$work/up"
    echo "$work/up/$name-$version"
}

status=0
for entry in "${crates[@]}"; do
    read -r name version <<<"$entry"
    patch_file="vendor/patches/$name-$version.patch"
    up=$(upstream "$name" "$version")
    if [ "$mode" = --update ]; then
        rm -rf "$work/a" "$work/b"
        cp -r "$up" "$work/a"
        cp -r "vendor/$name" "$work/b"
        # Without the file times diff writes, so an unchanged patch rewrites as the same bytes.
        (cd "$work" && diff -ruN a b | sed -E 's/^(---|\+\+\+) ([^\t]*)\t.*/\1 \2/' > "$OLDPWD/$patch_file") || true
        echo "wrote $patch_file ($(grep -c '^[-+][^-+]' "$patch_file") changed lines)"
    else
        [ -f "$patch_file" ] || { echo "error: vendor/$name has no $patch_file" >&2; status=1; continue; }
        (cd "$up" && patch -s -p1 < "$OLDPWD/$patch_file")
        if diff -r "$up" "vendor/$name" > "$work/diff"; then
            echo "vendor/$name = $name $version + $patch_file"
        else
            echo "error: vendor/$name is not $name $version + $patch_file (scripts/vendor.sh --update after a deliberate change):" >&2
            head -20 "$work/diff" >&2
            status=1
        fi
    fi
done
exit $status
