#!/bin/sh
# deploy/terraform, offline: every .tf file parses (npm @cdktf/hcl2json);
# lambda-promtail's variable names all exist; every variable is used; every
# environment variable the stages read is wired to the function; the
# validations refuse wrong values; the function's environment rendered from
# example.tfvars and from lambda-promtail's documented `terraform apply`
# lines passes every stage's --check.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/deploy/common.sh"
TF=$TOP/deploy/terraform

if ! why=$(deploy_tools); then
	skip "terraform: all" "$why"
	exit 0
fi

# 1. HCL syntax, file by file, and a broken file is refused.
for f in "$TF"/*.tf "$TF"/*.tfvars; do
	if node "$D/hcl2json.js" "$f" > /dev/null; then
		ok "terraform: $(basename "$f") parses"
	else
		notok "terraform: $(basename "$f") parses"
	fi
done
printf 'resource "aws_sqs_queue" "x" {\n  name = \n}\n' > "$T/bad.tf"
if node "$D/hcl2json.js" "$T/bad.tf" > /dev/null 2>&1; then
	notok "terraform: a broken .tf is refused by the parser"
else
	ok "terraform: a broken .tf is refused by the parser"
fi
(cd "$TF" && node "$D/hcl2json.js" -- *.tf example.tfvars) > "$T/tf.json" ||
    { notok "terraform: module to JSON"; exit 1; }
EV="$PY $D/tfeval.py $T/tf.json"

# Every reference names something declared (terraform validate's job, which
# cannot run here), and a dangling one is caught.
if $EV refs > "$T/refs.out"; then ok "terraform: every reference resolves"
else notok "terraform: every reference resolves"; cat "$T/refs.out" >&2; fi
mkdir "$T/tfbad"
cp "$TF"/*.tf "$T/tfbad/"
sed 's/aws_iam_role_policy\.lambda_sqs,/aws_iam_role_policy.lambda_sqss,/' \
    "$TF/main.tf" > "$T/tfbad/main.tf"
cmp -s "$TF/main.tf" "$T/tfbad/main.tf" && notok "terraform: test setup (sed)"
(cd "$T/tfbad" && node "$D/hcl2json.js" -- *.tf) > "$T/tfbad.json"
if $PY "$D/tfeval.py" "$T/tfbad.json" refs > /dev/null; then
	notok "terraform: a dangling reference is caught"
else
	ok "terraform: a dangling reference is caught"
fi

# What lambda-promtail's module gets wrong, ours gets right (tfshape.py);
# and lambda-promtail's mistakes, put back into a copy, are caught.
$PY "$D/tfshape.py" "$T/tf.json" || t_failed=$((t_failed + 1))
rm -rf "$T/tfbad" && mkdir "$T/tfbad" && cp "$TF"/*.tf "$T/tfbad/"
sed -e 's|filter_prefix = var.filter_prefix|filter_prefix = "VPC_FL/"|' \
    -e 's|"ReportBatchItemFailures"|"Nothing"|' "$TF/sqs.tf" > "$T/tfbad/sqs.tf"
sed -e 's|"kinesis:GetRecords",|"kinesis:*",|' \
    -e 's|bisect_batch_on_function_error = true|bisect_batch_on_function_error = false|' \
    "$TF/main.tf" > "$T/tfbad/main.tf"
(cd "$T/tfbad" && node "$D/hcl2json.js" -- *.tf) > "$T/tfbad.json"
$PY "$D/tfshape.py" "$T/tfbad.json" > "$T/shape.out" 2>&1
for what in "S3 -> SQS notification honours" "SQS mapping reports batch" \
    "IAM: no wildcard actions" "Kinesis mapping bisects"; do
	if grep -q "^not ok terraform shape: $what" "$T/shape.out"; then
		ok "terraform: a broken copy fails \"$what\""
	else
		notok "terraform: a broken copy fails \"$what\""
	fi
done

# 2. lambda-promtail's variable names.
$EV names > "$T/ours"
sed -n 's/^terraform //p' "$D/lambda-promtail-names.txt" | sort > "$T/theirs"
missing=$(sort "$T/ours" | comm -13 - "$T/theirs")
if [ -z "$missing" ]; then
	ok "terraform: all $(wc -l < "$T/theirs") lambda-promtail variables exist"
else
	notok "terraform: all lambda-promtail variables exist"
	echo "  missing: $missing" >&2
fi
for v in architectures on_failure_destination_arn memory_size timeout; do
	check "terraform: variable $v" grep -qx "$v" "$T/ours"
done

# 3. Every variable is used outside its own declaration.
unused=""
for v in $(cat "$T/ours"); do
	cat "$TF"/*.tf | grep -v '^ *condition *=' |
	    grep -q "var\.$v\([^a-z0-9_]\|$\)" || unused="$unused $v"
done
if [ -z "$unused" ]; then ok "terraform: every variable is used"; else
	notok "terraform: every variable is used"; echo "  unused:$unused" >&2; fi

# 4. Every variable the stages read is wired (the contract's list, and
#    whatever stages/ and lib/ read today, less env-not-wired.txt).
$EV render --path-module "$TF" --tfvars example.tfvars > "$T/example.env" ||
    notok "terraform: example.tfvars renders"
wanted_env > "$T/wanted"
$PY -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))))' \
    "$T/example.env" | sort > "$T/wired"
notwired=$(not_wired "$T/wanted" "$T/wired")
if [ -z "$notwired" ]; then
	ok "terraform: every variable the stages read is wired ($(wc -l < "$T/wanted") names)"
else
	notok "terraform: every variable the stages read is wired"
	echo "  not wired:$notwired" >&2
fi
# and each wired one comes from the variable of the same name
for pair in WRITE_ADDRESS=write_address TENANT_ID=tenant_id \
    SKIP_TLS_VERIFY=skip_tls_verify BATCH_SIZE=batch_size \
    EXTRA_LABELS=extra_labels DROP_LABELS=drop_labels \
    RELABEL_CONFIGS=relabel_configs KEEP_STREAM=keep_stream \
    PRINT_LOG_LINE=print_log_line LOG_LEVEL=log_level \
    LOKI_STAGE_CONFIGS=loki_stage_configs PIPELINE_TIMEOUT=pipeline_timeout; do
	grep -q "^ *${pair%%=*} *= var\.${pair#*=}\$" "$TF/main.tf" ||
	    { notok "terraform: ${pair%%=*} = var.${pair#*=}"; continue; }
	ok "terraform: ${pair%%=*} = var.${pair#*=}"
done

# 5. The rendered environment of example.tfvars.
$PY - "$T/example.env" > "$T/example.diff" <<'PYEOF'
import json, sys
e = json.load(open(sys.argv[1]))
want = {"WRITE_ADDRESS": "https://logs-prod-us-central1.grafana.net/loki/api/v1/push",
        "USERNAME": "123456", "OMIT_EXTRA_LABELS_PREFIX": "true",
        "KEEP_STREAM": "true", "TENANT_ID": "team-a", "BEARER_TOKEN": "",
        "REPORT_BATCH_ITEM_FAILURES": "true", "SKIP_TLS_VERIFY": "false"}
for k, v in want.items():
    if e.get(k) != v:
        print("%s=%r, want %r" % (k, e.get(k), v))
PYEOF
if [ -s "$T/example.diff" ]; then notok "terraform: example.tfvars environment"
	cat "$T/example.diff" >&2; else ok "terraform: example.tfvars environment"; fi
stage_checks "terraform example.tfvars" "$T/example.env"
# the --check step can fail: one setting of each stage, wrong (what the
# validations refuse, bypassed here), on top of example.tfvars
for sv in lambda-runtime:REPORT_BATCH_ITEM_FAILURES=perhaps \
    aws-decode:LOG_LEVEL=loud relabel:'RELABEL_CONFIGS=[{"action":"nope"}]' \
    transform:'LOKI_STAGE_CONFIGS=[{"nope":{}}]' batch:BATCH_SIZE=lots \
    loki-push:WRITE_ADDRESS=loki.example.com; do
	s=${sv%%:*}; kv=${sv#*:}
	[ -x "$BIN/$s" ] || { skip "terraform: $s --check refuses ${kv%%=*}" "no bin/$s"; continue; }
	$PY -c 'import json,sys; e=json.load(open(sys.argv[1])); k,v=sys.argv[2].split("=",1); e[k]=v; print(json.dumps(e))' \
	    "$T/example.env" "$kv" > "$T/bad.env"
	args=""
	[ "$s" = lambda-runtime ] && args="--acks $T/acks"
	# shellcheck disable=SC2086
	lambda_env "$T/bad.env" "$BIN/$s" $args --check > /dev/null 2>&1
	rc=$?
	if [ $rc -eq 100 ]; then ok "terraform: $s --check refuses ${kv%%=*}"
	else notok "terraform: $s --check refuses ${kv%%=*} (exit $rc)"; fi
done

# Who may write to the on-failure destination, and the switch that makes
# the function answer SQS/Kinesis batches item by item.
IMG=123456789012.dkr.ecr.us-east-2.amazonaws.com/lokipipe:0.1.0
local_is() {
	name=$1; want=$2; shift 2
	got=$($EV render --path-module "$TF" -var "lambda_promtail_image=$IMG" \
	    --local "$name" "$@" 2>&1)
	if [ "$got" = "$want" ]; then ok "terraform: $name = $want ($*)"
	else notok "terraform: $name = $want ($*)"; echo "  got $got" >&2; fi
}
local_is on_failure_action '"sqs:SendMessage"'
local_is on_failure_action '"sns:Publish"' \
    -var on_failure_destination_arn=arn:aws:sns:us-east-2:123456789012:failed
local_is on_failure_arn '"arn:aws:sqs:us-east-2:123456789012:failed"' \
    -var on_failure_destination_arn=arn:aws:sqs:us-east-2:123456789012:failed
local_is report_batch_item_failures false -var 'log_group_names=["a"]'
local_is report_batch_item_failures true -var sqs_enabled=true
local_is report_batch_item_failures true -var 'kinesis_stream_name=["k"]'
local_is visibility_timeout 360
local_is visibility_timeout 1800 -var timeout=300

# 6. Wrong values are refused, each with its message.
refuse() {
	name=$1; want=$2; shift 2
	if $EV render --path-module "$TF" -var "lambda_promtail_image=$IMG" \
	    "$@" > /dev/null 2> "$T/refuse.err"; then
		notok "terraform: refuses $name"
	elif grep -q -- "$want" "$T/refuse.err"; then
		ok "terraform: refuses $name"
	else
		notok "terraform: refuses $name (message)"
		cat "$T/refuse.err" >&2
	fi
}
refuse "write_address not a URL" "write_address: must be" \
    -var write_address=loki.example.com
refuse "username without password" "username and password go together" \
    -var username=123
refuse "password secret without username" "username and password go together" \
    -var password_secret_arn=arn:aws:secretsmanager:us-east-2:123456789012:secret:p
refuse "bearer token with username" "bearer_token cannot" \
    -var username=1 -var password=2 -var bearer_token=3
refuse "odd extra_labels" "extra_labels: an even" -var extra_labels=a,b,c
refuse "relabel_configs not a JSON array" "relabel_configs: a JSON array" \
    -var 'relabel_configs={"action":"drop"}'
refuse "batch_size not a size" "batch_size: a number" -var batch_size=lots
refuse "loki_stage_configs not a JSON array" "loki_stage_configs:" \
    -var 'loki_stage_configs={"json":{}}'
refuse "pipeline_timeout not a duration" "pipeline_timeout:" \
    -var pipeline_timeout=soon
refuse "keep_stream not a bool" "keep_stream:" -var keep_stream=maybe
refuse "architectures not a Lambda one" "architectures:" \
    -var 'architectures=["riscv64"]'
refuse "image outside ECR" "lambda_promtail_image:" \
    -var lambda_promtail_image=docker.io/grafana/lokipipe:1
refuse "no code at all" "build it first" -var lambda_promtail_image= \
    -var lambda_promtail_zip=/nonexistent.zip
refuse "an unknown variable" "no such variable" -var no_such_thing=1
refuse "an SSM ARN where a secret ARN goes" "username_secret_arn:" \
    -var username_secret_arn=arn:aws:ssm:us-east-2:123456789012:parameter/u

# 7. lambda-promtail's documented apply lines, with our image.
n=0
grep "^terraform " "$D/lambda-promtail-usage.txt" > "$T/usage.tf"
while read -r line; do
	n=$((n + 1))
	eval "set -- ${line#terraform }"
	case "$line" in
	*lambda_promtail_binary_bucket*) ;;
	*) set -- "$@" -var "lambda_promtail_image=$IMG" ;;
	esac
	if $EV render --path-module "$TF" "$@" > "$T/usage$n.env" \
	    2> "$T/usage.err"; then
		ok "terraform: documented apply line $n renders"
		stage_checks "terraform documented line $n" "$T/usage$n.env"
	else
		notok "terraform: documented apply line $n renders"
		cat "$T/usage.err" >&2
	fi
done < "$T/usage.tf"
t_done
