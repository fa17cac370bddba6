# Idempotent installers shared by scripts/install-test-deps and web-demo/build.
# Source this file; every function is quick when its tool is already present.
# shellcheck shell=bash

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# The repository root (this file lives in scripts/lib/).
SIMPLEHTTP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# cargo-fuzz version installed when core/fuzz exists.
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"

log() { printf '    %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# ensure_rust_targets TARGET...: rustup target add, only for targets not installed yet.
ensure_rust_targets() {
    local installed missing=()
    installed=$(rustup target list --installed)
    for t in "$@"; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "rust targets present: $*"
    else
        log "rustup target add ${missing[*]}"
        rustup target add "${missing[@]}"
    fi
}

# ensure_apt PACKAGE...: apt-get install the packages not installed yet (apt-get update once).
_APT_UPDATED=0
ensure_apt() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "apt packages present: $*"
        return
    fi
    if [ "$_APT_UPDATED" = 0 ]; then
        log "apt-get update"
        as_root apt-get update -q
        _APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    as_root apt-get install -y -q "${missing[@]}"
}

# ensure_pip REQUIREMENTS_FILE: pip install when a pinned `name==version` is not satisfied.
ensure_pip() {
    local req=$1
    if python3 - "$req" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        ok &= (not want) or version(name.strip()) == want.strip()
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
EOF
    then
        log "python packages present: $(grep -v '^#' "$req" | tr '\n' ' ')"
    else
        log "pip install -r $req"
        # A Debian-managed python3 refuses plain installs (PEP 668); pyenv's does not.
        python3 -m pip install --quiet --root-user-action=ignore -r "$req" ||
            python3 -m pip install --quiet --root-user-action=ignore --break-system-packages -r "$req"
    fi
}

# ensure_wasm_bindgen_cli: wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock.
ensure_wasm_bindgen_cli() {
    local want have
    want=$(cd "$SIMPLEHTTP_ROOT" && cargo pkgid -p wasm-bindgen 2>/dev/null | sed 's/.*[@#]//') || true
    if [ -z "$want" ]; then
        log "wasm-bindgen is not in Cargo.lock: no wasm-bindgen-cli needed"
        return
    fi
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || true
    if [ "$have" = "$want" ]; then
        log "wasm-bindgen-cli $want present"
        return
    fi
    log "cargo install wasm-bindgen-cli --version $want (have: ${have:-none}; takes a few minutes)"
    # Not --locked: its lockfile pins a crate version the registry here lacks.
    cargo install wasm-bindgen-cli --version "$want" --no-default-features --force
}

# ensure_npm DIR: `npm ci` in DIR unless node_modules already matches its package-lock.json.
ensure_npm() {
    local dir=$1 sum stamp
    stamp="$dir/node_modules/.simplehttp-lock-sha256"
    sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        log "npm packages of $dir present"
        return
    fi
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" >"$stamp"
}

# ensure_cargo_fuzz: a nightly toolchain and cargo-fuzz. Returns 1 when nightly can't be had.
ensure_cargo_fuzz() {
    if ! rustup toolchain list | grep -q '^nightly'; then
        log "rustup toolchain install nightly --profile minimal"
        rustup toolchain install nightly --profile minimal || return 1
    fi
    if cargo +nightly fuzz --version >/dev/null 2>&1; then
        log "cargo-fuzz present: $(cargo +nightly fuzz --version)"
    else
        log "cargo install cargo-fuzz --version $CARGO_FUZZ_VERSION"
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    fi
}
