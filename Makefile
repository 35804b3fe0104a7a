# The two commands of the README's quick start, from a fresh clone:
#   make demo   a canary rollout on a local Kubernetes control plane, step by step
#   make test   every test: lint, types, unit and property tests, builds, then the
#               integration and end-to-end tests on a real local control plane
# Both install what they need first (pnpm 12.4.2, then the workspace with Node 24 from npm).

PNPM_VERSION := 12.4.2

.PHONY: demo test setup

setup:
	@if ! command -v pnpm >/dev/null 2>&1 || [ "$$(pnpm --version)" != "$(PNPM_VERSION)" ]; then \
		echo "installing pnpm $(PNPM_VERSION) with npm"; \
		npm install --global pnpm@$(PNPM_VERSION); \
	fi
	pnpm install --frozen-lockfile

demo: setup
	pnpm run demo

test: setup
	pnpm run test:all
