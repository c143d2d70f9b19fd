# Two entry points for a new user: `make run` and `make test`.
# Both install uv (from the package index, with pip) when it is missing, then
# let uv build the locked environment. uv never downloads a Python interpreter.

UV_FROM_PATH := $(shell command -v uv 2>/dev/null)
UV ?= $(if $(UV_FROM_PATH),$(UV_FROM_PATH),$(CURDIR)/.tools/uv/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
export MLFLOW_DISABLE_TELEMETRY := true
export FLWR_DISABLE_UPDATE_CHECK := 1
export FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint sync sync-all bench clean

$(CURDIR)/.tools/uv/bin/uv:
	python3 -m pip install --quiet --disable-pip-version-check --target .tools/uv uv

# The main job needs no extra; --inexact keeps extras a test run installed.
sync: $(UV)
	$(UV) sync --locked --inexact --quiet

sync-all: $(UV)
	$(UV) sync --locked --all-extras --quiet

run: sync
	$(UV) run --locked --no-sync phibench run dp-analytics

lint: sync-all
	$(UV) lock --check
	$(UV) run --locked --no-sync ruff check .
	$(UV) run --locked --no-sync ruff format --check .

test: lint
	$(UV) run --locked --no-sync pytest

bench: sync
	$(UV) run --locked --no-sync python benchmarks/dp_analytics_speed.py
	$(UV) run --locked --no-sync python benchmarks/loader_scaling.py

clean:
	rm -rf .tools .venv phibench-runs mlruns.db
