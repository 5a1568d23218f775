#!/usr/bin/env bash
# `npm run up`: `pulumi up` on the dev stack, from a fresh clone.
#
#   npm run up                # interactive: shows the plan, asks before applying
#   npm run up -- --yes       # no questions (extra arguments go to `pulumi up`)
#
# - State lives in ./.pulumi-state (Pulumi.yaml backend.url; git-ignored): no login.
# - The dev stack's secrets in Pulumi.dev.yaml are encrypted with the
#   passphrase `dev`; PULUMI_CONFIG_PASSPHRASE is set to it unless already set.
# - `pulumi` comes from PATH; without one, scripts/pulumi-cli.sh builds it
#   (slow the first time, cached after).
set -euo pipefail
cd "$(dirname "$0")/.."

stack="${S2P_STACK:-dev}"

if ! command -v pulumi >/dev/null 2>&1; then
  if [ -x scripts/pulumi-cli.sh ]; then
    echo "up: no pulumi on PATH; providing it with scripts/pulumi-cli.sh" >&2
    eval "$(scripts/pulumi-cli.sh | grep '^export ')"
  else
    echo "up: the Pulumi CLI is required: https://www.pulumi.com/docs/install/" >&2
    exit 1
  fi
fi

if [ "$stack" = dev ]; then
  # The dev stack's passphrase is public on purpose (README); other stacks bring their own.
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-dev}"
fi

mkdir -p .pulumi-state
# Creates the stack in the local backend on first use; the committed
# Pulumi.<stack>.yaml keeps its encryption salt, so its secrets stay readable.
pulumi stack select --create --secrets-provider passphrase "$stack" >/dev/null
if [ "$stack" = dev ]; then
  # Pulumi.dev.yaml ships these encrypted; should one be missing (e.g. removed to
  # rotate it), generate a random one rather than stop.
  for key in adminPassword ownerPassword appPassword; do
    if ! grep -q "^  sqlite-to-postgres:$key:" Pulumi.dev.yaml; then
      echo "up: generating a random $key for the dev stack" >&2
      pulumi config set --secret "$key" "$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')" --stack dev
    fi
  done
fi
# The migration's dynamic provider runs the compiled engine (dist/): keep it current.
npm run -s build
exec pulumi up --stack "$stack" "$@"
