#!/usr/bin/env bash
# The whole flow on the bundled example repository, in a scratch copy:
# check -> plan -> run with signed evidence -> verify -> approve -> promote -> verify.
# Usage: bash examples/walkthrough.sh [DIR]   (DIR: where to build the scratch repository;
# default: a new temporary folder, kept so you can look around afterwards)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/assay-walkthrough.XXXXXX")}"
mkdir -p "$work"
repo="$work/repo"; keys="$work/keys"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a scratch copy of the example repository in $repo"
rm -rf "$repo"; mkdir -p "$repo"
cp -R "$here/assay.yaml" "$here/policies" "$here/models" "$repo/"
printf '.assay/\nplans/\n' > "$repo/.gitignore"
cd "$repo"
git init -q -b main
git config user.name "assay walkthrough"; git config user.email "bot@examplebank.com"

step "keys: a runner bot and an independent validator (private keys stay in $keys)"
assay keygen --role runner --principal bot@examplebank.com --out "$keys/runner.pem" --add-to-trust >/dev/null
assay keygen --role validator --principal grace.whitman@examplebank.com --out "$keys/validator.pem" --add-to-trust >/dev/null
git config gpg.format ssh; git config user.signingkey "$keys/runner.ssh"
git add -A; git commit -q -m "models, policies and the trust root"

step "assay check: schema and the US-bank policy library"
assay check

step "assay plan: what each model will train and deploy, pinned by digest"
assay plan --out plans

step "assay run --commit: train, evaluate, test fairness, explain, package; sign and commit the evidence"
for model in marketing-propensity consumer-credit-pd; do
  if assay run "$model" --commit --key "$keys/runner.pem" --quiet; then :; else
    echo "   ($model: a gate or fairness test failed; the signed evidence records it)"
  fi
done

step "assay verify: signatures, trust, chain, digests, plans recomputed from the specs"
assay verify

step "assay approve + assay promote: an independent validator approves, promotion renders deploy/"
assay approve marketing-propensity --env production --key "$keys/validator.pem"
assay promote marketing-propensity --env production --key "$keys/runner.pem"
assay verify
assay allowed-signers -o "$work/allowed_signers"
git -c gpg.ssh.allowedSignersFile="$work/allowed_signers" verify-commit HEAD~1 2>&1 | head -1

step "done: the scratch repository is $repo"
git log --oneline | head -8
