# tests/deploy/common.sh: sourced by tests/deploy/*.t after tests/lib.sh.
D=$TOP/tests/deploy
NODE_MODULES=$D/node_modules

# deploy_tools: installs the npm checkers of package-lock.json into
# tests/deploy/node_modules (once; again when the lock changes). Returns 1
# with the reason on stdout when npm or its registry cannot be reached.
deploy_tools() {
	command -v node >/dev/null 2>&1 || { echo "node is not installed"; return 1; }
	command -v npm >/dev/null 2>&1 || { echo "npm is not installed"; return 1; }
	stamp=$NODE_MODULES/.lokipipe-lock
	if [ -f "$stamp" ] && cmp -s "$stamp" "$D/package-lock.json" &&
	    [ -d "$NODE_MODULES/cfn-lint" ] && [ -d "$NODE_MODULES/yaml-cfn" ] &&
	    [ -d "$NODE_MODULES/@cdktf/hcl2json" ]; then
		return 0
	fi
	if ! (cd "$D" && npm ci --no-audit --no-fund --ignore-scripts \
	    --loglevel=error) > "$T/npm.log" 2>&1; then
		echo "npm ci failed (registry unreachable?): $(tail -2 "$T/npm.log" | tr '\n' ' ')"
		return 1
	fi
	cp "$D/package-lock.json" "$stamp"
}

# lambda_env ENV.json CMD...: runs CMD with only what Lambda provides and
# the variables of ENV.json (a function's rendered environment).
lambda_env() {
	envf=$1; shift
	$PY - "$envf" "$@" <<'PYEOF'
import json, os, shutil, sys
env = {
    'PATH': '/usr/local/bin:/usr/bin:/bin',
    'LANG': 'C.UTF-8', 'TZ': ':UTC',
    'AWS_REGION': 'us-east-2', 'AWS_DEFAULT_REGION': 'us-east-2',
    'AWS_ACCESS_KEY_ID': 'AKIAIOSFODNN7EXAMPLE',
    'AWS_SECRET_ACCESS_KEY': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'AWS_SESSION_TOKEN': 'IQoJb3JpZ2luX2VjEXAMPLE',
    'AWS_LAMBDA_RUNTIME_API': '127.0.0.1:9001',
    'AWS_LAMBDA_FUNCTION_NAME': 'lambda_promtail',
    'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': '128',
    'AWS_LAMBDA_FUNCTION_VERSION': '$LATEST',
    'LAMBDA_TASK_ROOT': '/var/task', '_HANDLER': 'bootstrap',
}
with open(sys.argv[1]) as f:
    env.update(json.load(f))
os.execve(shutil.which(sys.argv[2]) or sys.argv[2], sys.argv[2:], env)
PYEOF
}

# stage_checks LABEL ENV.json: every stage's --check with that environment.
stage_checks() {
	for s in lambda-runtime aws-decode relabel transform batch loki-push; do
		if [ ! -x "$BIN/$s" ]; then
			skip "$1: $s --check" "no bin/$s (not built yet)"
			continue
		fi
		# arguments as the Lambda pipeline gives them
		args=""
		[ "$s" = lambda-runtime ] && args="--acks $T/acks"
		# shellcheck disable=SC2086
		if lambda_env "$2" $LP_WRAP "$BIN/$s" $args --check \
		    > "$T/check.out" 2> "$T/check.err"; then
			ok "$1: $s --check"
		else
			notok "$1: $s --check"
			sed 's/^/  /' "$T/check.err" | head -5 >&2
		fi
	done
}

# wanted_env: the variables the stages read, one a line: the contract's
# list, and whatever stages/ and lib/ read today.
wanted_env() {
	{
		for e in WRITE_ADDRESS USERNAME PASSWORD BEARER_TOKEN TENANT_ID \
		    SKIP_TLS_VERIFY BATCH_SIZE EXTRA_LABELS \
		    OMIT_EXTRA_LABELS_PREFIX DROP_LABELS RELABEL_CONFIGS \
		    KEEP_STREAM PRINT_LOG_LINE REPORT_BATCH_ITEM_FAILURES \
		    LOG_LEVEL; do
			echo "$e"
		done
		cat "$TOP"/stages/*.c "$TOP"/lib/*.c 2>/dev/null |
		    grep -o -e 'setting([^,()]*, *"[A-Z_][A-Z0-9_]*")' \
		    -e 'getenv("[A-Z_][A-Z0-9_]*")' | grep -o '"[A-Z0-9_]*"' |
		    tr -d '"'
	} | sort -u
}

# not_wired WANTED WIRED: the names of WANTED missing from WIRED (sorted
# files, one name a line) that env-not-wired.txt does not excuse.
not_wired() {
	comm -23 "$1" "$2" | while read -r e; do
		allowed=no
		while read -r pat _; do
			case "$pat" in ''|'#'*) continue ;; esac
			# shellcheck disable=SC2254
			case "$e" in $pat) allowed=yes ;; esac
		done < "$D/env-not-wired.txt"
		[ $allowed = yes ] || printf ' %s' "$e"
	done
}
