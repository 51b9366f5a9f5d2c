#!/bin/sh
# After a deploy: run the smoke flow against it, then its latency budgets against the perf
# baseline (the first run, with no baseline yet, saves one).
#
#   sh post-deploy.sh URL [launchready options...]
#
# URL is the deployment to check (a Vercel/Netlify preview or production URL). Extra options go
# to both commands (e.g. --config path/to/launchready.toml). PERF_BASELINE names the baseline
# file (default perf-baseline.json). Exit code: the first non-zero one of smoke, then perf
# (0 ok, 1 findings at or above --fail-on, 2 usage/config error, 3 incomplete run).
set -u
if [ $# -lt 1 ]; then
    echo "usage: post-deploy.sh URL [launchready options...]" >&2
    exit 2
fi
DEPLOY_URL=$1
export DEPLOY_URL
shift
baseline=${PERF_BASELINE:-perf-baseline.json}

# a broken login makes latency numbers meaningless: stop at the first failing stage
launchready smoke -q "$@" || exit $?
# --yes-load: the deployment is your own app, named by the config this script is given
if [ -f "$baseline" ]; then
    launchready perf -q --yes-load --baseline "$baseline" "$@"
else
    launchready perf -q --yes-load --save-baseline "$baseline" "$@"
fi
