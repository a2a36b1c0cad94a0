#!/usr/bin/env bash
# Points Docker at registry mirrors (for hosts that cannot reach Docker Hub).
#
#   ./update-docker-mirror.sh                  the default mirrors below
#   ./update-docker-mirror.sh URL [URL ...]    these mirrors instead
#   ./update-docker-mirror.sh -y               restart Docker without asking
#   ./update-docker-mirror.sh --no-restart     only write the file
#
# It edits /etc/docker/daemon.json in place: the mirrors are put first in
# "registry-mirrors" and every other setting (runtimes, log options, other
# mirrors) is kept. The previous file is saved as daemon.json.bak-<time>.
# Running it again changes nothing and restarts nothing.
# DOCKER_DAEMON_JSON=FILE edits another file (for testing).
set -euo pipefail

DEFAULT_MIRRORS=("https://docker.1panel.live" "https://hub.rat.dev")
config="${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"
assume_yes=""
restart="ask"
mirrors=()

for arg in "$@"; do
    case "$arg" in
        -y|--yes) assume_yes=1 ;;
        --no-restart) restart="no" ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        https://*|http://*) mirrors+=("$arg") ;;
        *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#mirrors[@]} -gt 0 ] || mirrors=("${DEFAULT_MIRRORS[@]}")

as_root() {
    if [ "$(id -u)" -eq 0 ] || [ -w "$(dirname "$config")" ]; then "$@"; else sudo "$@"; fi
}

command -v python3 >/dev/null || {
    echo "python3 is needed to edit $config safely (apt-get install python3)" >&2
    exit 1
}

echo "Updating the Docker registry mirrors in $config ..."
current="$(as_root cat "$config" 2>/dev/null || true)"
# Merge in Python: a JSON parser, not text substitution, so that other keys survive.
updated="$(CURRENT="$current" python3 - "${mirrors[@]}" <<'PY'
import json, os, sys
text = os.environ["CURRENT"].strip()
try:
    config = json.loads(text) if text else {}
except json.JSONDecodeError as err:
    sys.exit(f"the existing file is not valid JSON ({err}); fix it first")
if not isinstance(config, dict):
    sys.exit("the existing file does not hold a JSON object; fix it first")
wanted = sys.argv[1:]
others = [m for m in config.get("registry-mirrors", []) if m not in wanted]
config["registry-mirrors"] = wanted + others
print(json.dumps(config, indent=4, ensure_ascii=False))
PY
)"

if [ -n "$current" ] && [ "$(printf '%s' "$current" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" = \
     "$(printf '%s' "$updated" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" ]; then
    echo "Already configured: nothing changed, no restart needed."
    exit 0
fi

as_root mkdir -p "$(dirname "$config")"
if [ -n "$current" ]; then
    backup="$config.bak-$(date +%Y%m%d-%H%M%S)"
    as_root cp -p "$config" "$backup"
    echo "Previous file saved as $backup"
fi
printf '%s\n' "$updated" | as_root tee "$config.tmp" >/dev/null
as_root mv "$config.tmp" "$config"
echo "Written:"
printf '%s\n' "$updated"

if [ "$restart" = "no" ]; then
    echo "Docker was not restarted; run 'sudo systemctl restart docker' for the mirrors to take effect."
    exit 0
fi
if [ -z "$assume_yes" ]; then
    if [ ! -t 0 ]; then
        echo "Not restarting Docker without a terminal to ask on; run again with -y, or 'sudo systemctl restart docker'."
        exit 0
    fi
    read -r -p "Restart Docker now? Running containers restart too (those with restart: unless-stopped come back). [y/N] " answer
    case "$answer" in
        y|Y|yes|YES) ;;
        *) echo "Not restarted; run 'sudo systemctl restart docker' later."; exit 0 ;;
    esac
fi
echo "Restarting Docker ..."
as_root systemctl restart docker
echo "Docker restarted. Check with: docker info | grep -A3 'Registry Mirrors'; docker pull hello-world"
