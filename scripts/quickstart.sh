#!/usr/bin/env bash
# The quickstart: sets up what is missing (venv, package, the pulumi CLI), then runs `pulumi up` on the top-level
# Pulumi.yaml (examples/quickstart: golden sample files copied into .state/quickstart/dev) with a local file
# backend, and shows what was copied. Run it again: nothing changes. Edit a golden file: `pulumi preview` shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-servers
bin=$(bash scripts/pulumi-cli.sh | tail -n 1)
state="$PWD/.state"
mkdir -p "$state/backend"
export PATH="$bin:$PWD/.venv/bin:$PATH" PULUMI_PYTHON_CMD="$PWD/.venv/bin/python" PULUMI_HOME="$state/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-quickstart}"
pulumi login --non-interactive "file://$state/backend" >/dev/null
pulumi stack select --create --non-interactive dev >/dev/null
pulumi up --yes --non-interactive --suppress-progress
echo
echo "What was copied (pulumi stack output copies):"
pulumi stack output copies --json | .venv/bin/python -c 'import json,sys; [print(f"  {k}: {v}") for k, v in json.load(sys.stdin).items()]'
echo
echo "Drift check (objectcopy drift):"
objectcopy drift --stack dev || true
cat <<EOM

The stack's state is in .state/backend; to use the pulumi CLI on it yourself:
  source .venv/bin/activate
  export PATH="$bin:\$PATH" PULUMI_HOME="$state/pulumi-home" PULUMI_CONFIG_PASSPHRASE=quickstart
  pulumi preview            # after editing a file under examples/quickstart/golden/
  pulumi destroy --yes      # removes the copies, and nothing else
EOM
