#!/bin/sh
# deploy/cloudformation, offline: each template passes cfn-lint (npm
# cfn-lint 1.9.7, its specification brought up to date with
# cfn-spec-extra.json) and cfncheck.py (references resolve, every parameter
# is used and reaches the function's environment, secrets NoEcho, an
# on-failure destination); lambda-promtail's parameter names all exist; the
# environment of lambda-promtail's documented create-stack lines passes
# every stage's --check.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/deploy/common.sh"
CF=$TOP/deploy/cloudformation

if ! why=$(deploy_tools); then
	skip "cloudformation: all" "$why"
	exit 0
fi

# 1. The linter, per template, and a broken template is refused.
for f in lambda-promtail.yaml aws-eventbridge-logs.yaml aws-alb-logs.yaml; do
	if [ ! -f "$CF/$f" ]; then notok "cloudformation: $f exists"; continue; fi
	if node "$D/cfnlint.js" "$CF/$f" > "$T/lint.out" 2>&1; then
		ok "cloudformation: $f lints clean"
	else
		notok "cloudformation: $f lints clean"
		cat "$T/lint.out" >&2
	fi
done
sed -e 's/MemorySize: 128/MemorySize: 128\n      NoSuchProperty: 1/' \
    -e 's/!GetAtt LambdaPromtailRole.Arn/!GetAtt NoSuchRole.Arn/' \
    "$CF/lambda-promtail.yaml" > "$T/broken.yaml"
if node "$D/cfnlint.js" "$T/broken.yaml" > "$T/lint.out" 2>&1; then
	notok "cloudformation: the linter refuses a broken template"
else
	ok "cloudformation: the linter refuses a broken template"
fi

# 2. Our own checks, and each can fail.
node "$D/cfn2json.js" "$CF"/*.yaml > "$T/cfn.json" ||
    { notok "cloudformation: templates read with yaml-cfn"; exit 1; }
$PY "$D/cfncheck.py" "$T/cfn.json" check || t_failed=$((t_failed + 1))
$PY - "$T/cfn.json" "$T/cfnbad.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
k = [x for x in d if x.endswith('aws-eventbridge-logs.yaml')][0]
t = d[k]
r = t['Resources']
r['LambdaPromtailFunction']['Properties']['Environment']['Variables']['TENANT_ID'] = 'x'
r['EventRule']['Properties']['Targets'][0]['Arn'] = {'Fn::GetAtt': ['NoSuchFunction', 'Arn']}
r['LambdaPromtailEventInvokeConfig']['Properties']['DestinationConfig'] = {}
del t['Parameters']['Password']['NoEcho']
r['LambdaPromtailRole']['Properties']['Policies'][0]['PolicyDocument']['Statement'][0]['Resource'] = 'arn:aws:logs:*:*:*'
del r['EventRule']['Properties']['Targets'][0]['DeadLetterConfig']
json.dump({k: t}, open(sys.argv[2], 'w'))
PYEOF
$PY "$D/cfncheck.py" "$T/cfnbad.json" check > "$T/bad.out" 2>&1
for what in "references resolve" "parameters reach the environment" \
    "secrets are NoEcho" "on-failure destination" "least privilege" \
    "triggers"; do
	if grep -q "^not ok cfn aws-eventbridge-logs.yaml: $what" "$T/bad.out"; then
		ok "cloudformation: a broken template fails \"$what\""
	else
		notok "cloudformation: a broken template fails \"$what\""
	fi
done

# Every variable the stages read is set by each template.
wanted_env > "$T/wanted"
for f in lambda-promtail.yaml aws-eventbridge-logs.yaml aws-alb-logs.yaml; do
	$PY - "$T/cfn.json" "$f" > "$T/wired" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = [v for k, v in d.items() if k.endswith('/' + sys.argv[2])][0]
env = t['Resources']['LambdaPromtailFunction']['Properties']['Environment']
print('\n'.join(sorted(env['Variables'])))
PYEOF
	notwired=$(not_wired "$T/wanted" "$T/wired")
	if [ -z "$notwired" ]; then
		ok "cloudformation: $f sets every variable the stages read"
	else
		notok "cloudformation: $f sets every variable the stages read"
		echo "  not set:$notwired" >&2
	fi
done

# 3. lambda-promtail's parameter names, per template.
for f in lambda-promtail.yaml aws-eventbridge-logs.yaml aws-alb-logs.yaml; do
	missing=$($PY - "$T/cfn.json" "$f" "$D/lambda-promtail-names.txt" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = [v for k, v in d.items() if k.endswith('/' + sys.argv[2])][0]
for line in open(sys.argv[3]):
    w = line.split()
    if len(w) == 3 and w[0] == 'cloudformation' and w[1] == sys.argv[2]:
        if w[2] not in t['Parameters']:
            print(w[2])
PYEOF
)
	if [ -z "$missing" ]; then
		ok "cloudformation: $f has lambda-promtail's parameters"
	else
		notok "cloudformation: $f has lambda-promtail's parameters"
		echo "  missing: $missing" >&2
	fi
done
check "cloudformation: eventbridge has EventSourceS3Bucket" \
    grep -q '^  EventSourceS3Bucket:' "$CF/aws-eventbridge-logs.yaml"

# 4. The documented create-stack lines: environment and --check.
n=0
grep '^cloudformation ' "$D/lambda-promtail-usage.txt" > "$T/usage.cf"
while read -r line; do
	n=$((n + 1))
	eval "set -- ${line#cloudformation }"
	tmpl=$1; shift
	[ "$1" = --parameters ] && shift
	kv=""
	for p in "$@"; do
		k=${p#ParameterKey=}; k=${k%%,ParameterValue=*}
		v=${p#*,ParameterValue=}
		kv="$kv
$k=$v"
	done
	printf '%s\n' "$kv" | sed '/^$/d' > "$T/kv"
	# shellcheck disable=SC2046
	if (IFS='
'; $PY "$D/cfncheck.py" "$T/cfn.json" render "$tmpl" $(cat "$T/kv")) \
	    > "$T/cf$n.env" 2> "$T/render.err"; then
		ok "cloudformation: documented line $n ($tmpl) renders"
		stage_checks "cloudformation documented line $n" "$T/cf$n.env"
	else
		notok "cloudformation: documented line $n ($tmpl) renders"
		cat "$T/render.err" >&2
	fi
done < "$T/usage.cf"
# and with the image, every other parameter at its default
for f in lambda-promtail.yaml aws-eventbridge-logs.yaml aws-alb-logs.yaml; do
	if $PY "$D/cfncheck.py" "$T/cfn.json" render "$f" \
	    LambdaPromtailImage=123456789012.dkr.ecr.us-east-2.amazonaws.com/lokipipe:0.1.0 \
	    WriteAddress=http://loki.example.com:3100/loki/api/v1/push \
	    > "$T/def.env" 2> "$T/render.err"; then
		stage_checks "cloudformation $f defaults" "$T/def.env"
	else
		notok "cloudformation: $f renders with defaults"
		cat "$T/render.err" >&2
	fi
done
t_done
