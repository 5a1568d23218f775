#!/usr/bin/env bash
# Provides the Pulumi CLI without the internet, for the e2e test and CI.
#
# - `pulumi` already on PATH: use it, build nothing.
# - Otherwise build it from Go modules (the Go module proxy is reachable, the
#   official installer's download host is not) into a cache OUTSIDE the repo,
#   keyed by version:
#     ${S2P_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlite-to-postgres}/pulumi-<version>/
#       bin/    pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs
#       home/   PULUMI_HOME (plugins, credentials of the local backend)
#   A second run finds the finished cache and returns at once.
#
# The version is the one of @pulumi/pulumi in node_modules (package.json). If
# the module proxy does not serve that version of the CLI's module, the
# newest version known to be served (PULUMI_CLI_FALLBACK_VERSION) is built
# instead, and the script says so on stderr.
#
# Output (stdout): human lines on stderr, and at the end, on stdout,
#   export PATH="<bin>:$PATH"
#   export PULUMI_HOME="<home>"          (only for a built CLI)
#   PULUMI_BIN_DIR=<bin>
# so `eval "$(scripts/pulumi-cli.sh | grep ^export)"` sets up a shell.
#
# --no-build: only report a CLI that is already there (PATH or cache); exit 1
# without building when there is none (the e2e test uses this to decide
# whether to skip).
set -euo pipefail

no_build=""
case "${1:-}" in
  --no-build) no_build=1 ;;
  "") ;;
  *) printf 'usage: %s [--no-build]\n' "$0" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
log() { printf 'pulumi-cli: %s\n' "$*" >&2; }

emit() { # bin_dir [pulumi_home]
  printf 'export PATH="%s:$PATH"\n' "$1"
  if [ -n "${2:-}" ]; then printf 'export PULUMI_HOME="%s"\n' "$2"; fi
  printf 'PULUMI_BIN_DIR=%s\n' "$1"
}

if [ -z "${S2P_PULUMI_FORCE_BUILD:-}" ] && command -v pulumi >/dev/null 2>&1; then
  found="$(command -v pulumi)"
  found_dir="$(cd "$(dirname "$found")" && pwd)"
  log "using pulumi from PATH: $found ($(pulumi version 2>/dev/null || echo 'version unknown'))"
  # One this script built (put on PATH by .ci/run): keep its PULUMI_HOME.
  if [ -f "$found_dir/../.complete" ]; then
    emit "$found_dir" "$(cd "$found_dir/../home" && pwd)"
  else
    emit "$found_dir"
  fi
  exit 0
fi

command -v go >/dev/null 2>&1 || { log "no pulumi on PATH and no Go toolchain to build it"; exit 1; }

# The version of the SDK the program uses; the CLI should match it.
sdk_version="$(cd "$repo" && node -p 'require("@pulumi/pulumi/package.json").version' 2>/dev/null || true)"
if [ -z "$sdk_version" ]; then
  sdk_version="$(node -p 'require(process.argv[1]).dependencies["@pulumi/pulumi"]' "$repo/package.json")"
fi
wanted="v${sdk_version#v}"
# The Go module proxy reachable here does not serve every version of
# github.com/pulumi/pulumi/pkg/v3 (it answers 403 "not available" for
# v3.260.0's zip and for v3.261.0..v3.274.1, 3.270.0 included); v3.276.0
# is served whole, and is the nearest to the SDK's 3.270.0.
fallback="${PULUMI_CLI_FALLBACK_VERSION:-v3.276.0}"

cache_root="${S2P_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlite-to-postgres}"
use_cached() {
  for v in "$wanted" "$fallback"; do
    if [ -f "$cache_root/pulumi-$v/.complete" ]; then
      [ "$v" = "$wanted" ] || log "using the cached CLI $v (the proxy did not serve $wanted when it was built)"
      log "cached: $cache_root/pulumi-$v/bin"
      emit "$cache_root/pulumi-$v/bin" "$cache_root/pulumi-$v/home"
      exit 0
    fi
  done
}
use_cached
if [ -n "$no_build" ]; then
  log "no pulumi on PATH and none built in $cache_root"
  exit 1
fi

# One builder at a time: a second caller waits for the first one's build,
# then uses it, instead of building into the same directories at once.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  log "another build holds $cache_root/.build.lock; waiting for it"
  flock 9
fi
use_cached

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
# CGO is not needed by any of the binaries; static ones survive libc changes.
export CGO_ENABLED=0
# Shared 2-core machine: be polite.
gonice() { nice -n 10 go "$@"; }

version="$wanted"
if ! gonice mod download github.com/pulumi/pulumi/pkg/v3@"$wanted" >/dev/null 2>&1; then
  log "the Go module proxy does not serve github.com/pulumi/pulumi/pkg/v3@$wanted; building $fallback instead"
  version="$fallback"
fi

dest="$cache_root/pulumi-$version"
bin="$dest/bin"
work="$dest/build"
mkdir -p "$bin" "$work" "$dest/home"
started=$SECONDS

# Reads one field of `go mod download -json` output.
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }

# --- 1. The CLI -------------------------------------------------------------
# pkg/go.mod replaces sdk/v3 with ../sdk and atotto/clipboard with a fork, so
# `go install ...@version` refuses to build it. A wrapper module requires both
# at the same version and repeats the clipboard replace.
pkg_dir="$(gonice mod download -json github.com/pulumi/pulumi/pkg/v3@"$version" | json_field Dir)"
clipboard_replace="$(grep -E '^replace github.com/atotto/clipboard ' "$pkg_dir/go.mod" || true)"
go_directive="$(grep -E '^go ' "$pkg_dir/go.mod")"
cli_mod="$work/cli"
mkdir -p "$cli_mod"
cat >"$cli_mod/go.mod" <<EOF
module sqlite-to-postgres.local/pulumi-cli

$go_directive

require (
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)

$clipboard_replace
EOF
log "building pulumi $version (the first build takes a while)"
(cd "$cli_mod" && gonice get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@"$version" github.com/pulumi/pulumi/sdk/v3@"$version" \
  && gonice build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
log "pulumi built ($((SECONDS - started)) s so far)"

# --- 2. The Node.js language host ------------------------------------------
# Its own module, with no version tags: the right one is the pseudo-version
# at the commit of the CLI's release tag (the proxy's .info gives Origin.Hash).
# The proxy reachable here serves no pseudo-version of it (403 "not
# available"), so the fallback is the host as it was while it still lived
# inside sdk/v3 (v3.68.0 is the newest such sdk/v3 the proxy serves). The
# engine handles older language hosts (it falls back when GetRequiredPackages
# or Handshake are unimplemented), and @pulumi/pulumi's `cmd/run` still takes
# the arguments that host passes (--monitor, --engine, --sync, ...).
lang_mod="$work/language-nodejs"
mkdir -p "$lang_mod"
lang_pkg=""
origin_hash="$(gonice list -m -json github.com/pulumi/pulumi/pkg/v3@"$version" | json_field Origin | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Hash||""))' || true)"
lang_module=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
if [ -n "$origin_hash" ] && lang_version="$(gonice mod download -json "$lang_module@$origin_hash" 2>/dev/null | json_field Version)"; then
  cat >"$lang_mod/go.mod" <<EOG
module sqlite-to-postgres.local/pulumi-language-nodejs

$go_directive

require (
	$lang_module $lang_version
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)

$clipboard_replace
EOG
  lang_pkg="$lang_module"
  lang_from="$lang_module@$lang_version"
else
  lang_sdk="${PULUMI_LANGUAGE_NODEJS_FALLBACK_SDK:-v3.68.0}"
  log "the Go module proxy serves no $lang_module at the CLI's commit ${origin_hash:-(unknown)}; using the Node.js language host of sdk/v3@$lang_sdk"
  cat >"$lang_mod/go.mod" <<EOG
module sqlite-to-postgres.local/pulumi-language-nodejs

go 1.21

require github.com/pulumi/pulumi/sdk/v3 $lang_sdk
EOG
  lang_pkg="github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
  lang_from="github.com/pulumi/pulumi/sdk/v3@$lang_sdk"
fi
log "building pulumi-language-nodejs from $lang_from"
(cd "$lang_mod" && gonice get "$lang_pkg@${lang_from##*@}" \
  && gonice build -trimpath -o "$bin/pulumi-language-nodejs" "$lang_pkg")
log "pulumi-language-nodejs built ($((SECONDS - started)) s so far)"

# --- 3. The dynamic-provider host ------------------------------------------
# Like the script shipped in @pulumi/pulumi's dist/: the engine starts it in
# the program's directory, so node resolves @pulumi/pulumi from the
# program's own node_modules.
cat >"$bin/pulumi-resource-pulumi-nodejs" <<'EOS'
#!/bin/sh
script="$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" || exit 1
exec node "$script" "$@"
EOS
chmod +x "$bin/pulumi-resource-pulumi-nodejs"

# --- 4. Resource provider plugins ------------------------------------------
# postgresql: github.com/pulumi/pulumi-postgresql/provider/v3 replaces
# github.com/cyrilgdn/terraform-provider-postgresql with ../upstream (a git
# submodule whose go.mod Pulumi patches from
# github.com/terraform-providers/terraform-provider-postgresql), and
# terraform-plugin-sdk/v2 with Pulumi's fork; its main package embeds a
# schema-embed.json generated at release time. The proxy reachable here
# answers 403 "not available" for every version of that module, so it cannot
# be built; stacks whose server a DBA manages (postgres manageAccess: false)
# need no postgresql plugin. The probe below builds nothing; it only says so.
pg_version="$(cd "$repo" && node -p 'require("@pulumi/postgresql/package.json").version' 2>/dev/null || true)"
if [ -n "$pg_version" ] && ! gonice mod download github.com/pulumi/pulumi-postgresql/provider/v3@"v$pg_version" >/dev/null 2>&1; then
  log "no pulumi-resource-postgresql: the Go module proxy does not serve github.com/pulumi/pulumi-postgresql/provider/v3@v$pg_version (stacks with manageAccess: false do not need it)"
fi
# docker: its upstream needs patches only its source repository holds, and no
# image registry is reachable here anyway; the container path is tested under
# mocks only.

PULUMI_HOME="$dest/home" "$bin/pulumi" version >/dev/null
touch "$dest/.complete"
log "done in $((SECONDS - started)) s: $bin"
emit "$bin" "$dest/home"
