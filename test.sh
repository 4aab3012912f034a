#!/usr/bin/env bash
# Installs what the tests need and runs them. CI calls exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")"

export TESTCONTAINERS_RYUK_DISABLED=true

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== goreleaser check"
go run github.com/goreleaser/goreleaser/v2@v2.15.1 check -f goreleaser.yaml

echo "== go test"
go test -count=1 -timeout 20m ./... 2>&1 | tee /tmp/tempoctl-test.log
