# PledgeSeal: the two commands are `make run` and `make test`.
# Every target is a script under scripts/ so CI and people run the same thing.

FUZZTIME ?= 30s
export FUZZTIME

.PHONY: run stop test build lint fuzz bench dist image clean help

help: ## list the targets
	@grep -E "^[a-z]+:.*## " $(MAKEFILE_LIST) | sed -E "s/:.*## /\t/"

run: ## start Redis and pledged in the foreground with dev keys and tokens (Ctrl-C stops)
	@bash scripts/run.sh

stop: ## stop what a previous `make run` left running
	@bash scripts/stop.sh

test: ## gofmt, go vet and go test -race against a throwaway Redis and Redis Cluster
	@bash scripts/test.sh

build: ## build bin/pledged and bin/pledgectl, version from `git describe` stamped in (--version)
	@bash scripts/build.sh

lint: ## staticcheck (skipped with a message when it cannot be fetched)
	@bash scripts/lint.sh

fuzz: ## run every fuzz target for FUZZTIME (default 30s)
	@bash scripts/fuzz.sh

bench: ## performance harness: SM2 ceilings, in-process, HTTP load on its own pledged and Redis; JSON in var/bench/ (about 2½ min)
	@bash scripts/bench.sh

dist: ## release archives and a .deb in dist/ (VERSION defaults to git describe --always --dirty)
	@bash scripts/dist.sh

image: ## build the container image from deploy/Containerfile (podman, buildah or docker; says so when none runs)
	@bash scripts/image.sh

clean: ## remove build output (keeps var/ data and keys/)
	rm -rf bin dist
