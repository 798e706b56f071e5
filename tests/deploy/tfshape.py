#!/usr/bin/python3
"""The shape of deploy/terraform that issue 8 asks for, from the JSON that
hcl2json.js prints for its .tf files: where lambda-promtail's module loses
events, ours must not. Prints "ok NAME" / "not ok NAME" lines; exit 1 if
any failed.

  tfshape.py TF.json
"""
import json
import re
import sys

failed = 0


def check(name, cond, detail=''):
    global failed
    if cond:
        print('ok terraform shape: %s' % name)
    else:
        print('not ok terraform shape: %s' % name)
        if detail:
            sys.stderr.write('  %s\n' % detail)
        failed += 1


def blocks(tf, kind):
    """{'type.name': block} of every resource or data block."""
    out = {}
    for f, d in tf.items():
        for rtype, byname in d.get(kind, {}).items():
            for rname, bl in byname.items():
                out['%s.%s' % (rtype, rname)] = bl[0]
    return out


def one(v):
    """hcl2json writes nested blocks as lists of one."""
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def main(argv):
    tf = json.load(open(argv[1]))
    res = blocks(tf, 'resource')
    data = blocks(tf, 'data')

    # the function
    fn = res.get('aws_lambda_function.this', {})
    check('function package_type is Image with an image, else Zip',
          fn.get('package_type') ==
          '${local.use_image ? "Image" : "Zip"}')
    check('function runtime provided.al2023 for the zip',
          'provided.al2023' in fn.get('runtime', ''))
    check('function architectures from var.architectures',
          fn.get('architectures') == '${var.architectures}')
    check('function environment is local.environment',
          one(fn.get('environment', [{}])).get('variables') ==
          '${local.environment}')

    # asynchronous invocations: two retries, then the destination
    ic = res.get('aws_lambda_function_event_invoke_config.this', {})
    check('event invoke config retries twice', ic.get(
        'maximum_retry_attempts') == 2)
    dest = one(one(ic.get('destination_config', [{}])).get('on_failure',
                                                            [{}]))
    check('event invoke config has an on-failure destination',
          dest.get('destination') == '${local.on_failure_arn}')
    q = res.get('aws_sqs_queue.on_failure', {})
    check('the module creates the on-failure queue unless one is given',
          q.get('count') ==
          '${var.on_failure_destination_arn == "" ? 1 : 0}')

    # SQS: the mapping lambda-promtail forgets, with item failures
    m = res.get('aws_lambda_event_source_mapping.sqs', {})
    check('SQS queue is mapped to the function',
          'aws_sqs_queue.main[0].arn' in m.get('event_source_arn', '') and
          'aws_lambda_function.this' in m.get('function_name', ''))
    check('SQS mapping reports batch item failures',
          m.get('function_response_types') == ['ReportBatchItemFailures'])
    main_q = res.get('aws_sqs_queue.main', {})
    rp = main_q.get('redrive_policy', '')
    check('SQS main queue redrives to the dead-letter queue after 5',
          'aws_sqs_queue.dead_letter[0].arn' in rp and
          re.search(r'maxReceiveCount\s*=\s*5\b', rp) is not None)
    n = one(res.get('aws_s3_bucket_notification.sqs', {}).get('queue',
                                                               [{}]))
    check('S3 -> SQS notification honours filter_prefix/filter_suffix',
          n.get('filter_prefix') == '${var.filter_prefix}' and
          n.get('filter_suffix') == '${var.filter_suffix}')
    n = one(res.get('aws_s3_bucket_notification.this', {}).get(
        'lambda_function', [{}]))
    check('S3 -> function notification honours filter_prefix/filter_suffix',
          n.get('filter_prefix') == '${var.filter_prefix}' and
          n.get('filter_suffix') == '${var.filter_suffix}')

    # Kinesis: bisect, bounded retries, destination
    k = res.get('aws_lambda_event_source_mapping.this', {})
    check('Kinesis mapping bisects a failing batch',
          k.get('bisect_batch_on_function_error') is True)
    check('Kinesis mapping has bounded retries',
          isinstance(k.get('maximum_retry_attempts'), int) and
          0 <= k['maximum_retry_attempts'] <= 10000)
    kd = one(one(k.get('destination_config', [{}])).get('on_failure', [{}]))
    check('Kinesis mapping has an on-failure destination',
          kd.get('destination_arn') == '${local.on_failure_arn}')

    # CloudWatch Logs: a filter per group, and the invoke permission
    sf = res.get('aws_cloudwatch_log_subscription_filter.'
                 'lambdafunction_logfilter', {})
    check('a subscription filter per log group',
          sf.get('for_each') == '${var.log_group_names}')
    perm = res.get('aws_lambda_permission.lambda_promtail_allow_cloudwatch',
                   {})
    check('CloudWatch Logs may invoke the function',
          perm.get('principal', '').startswith('logs.'))

    # least privilege: no wildcard action; "*" resources only where AWS
    # has no resource-level permission
    bad = []
    for name, d in data.items():
        if not name.startswith('aws_iam_policy_document.'):
            continue
        stmts = list(d.get('statement', []))
        for dyn in d.get('dynamic', {}).get('statement', []):
            stmts.extend(dyn.get('content', []))
        for st in stmts:
            for a in st.get('actions', []):
                if '*' in a:
                    bad.append('%s: action %s' % (name, a))
            r = st.get('resources', [])
            if r == ['*'] and st.get('actions') != ['kinesis:ListStreams']:
                bad.append('%s: %s on *' % (name, st.get('actions')))
    check('IAM: no wildcard actions, no * resources but ListStreams',
          not bad, '; '.join(bad))
    s3 = data.get('aws_iam_policy_document.lambda_s3', {})
    st = one(s3.get('statement', [{}]))
    check('IAM: s3:GetObject only, on the named buckets',
          st.get('actions') == ['s3:GetObject'] and
          'var.bucket_names' in str(st.get('resources')))
    sq = data.get('aws_iam_policy_document.lambda_sqs', {})
    st = one(sq.get('statement', [{}]))
    check('IAM: SQS receive/delete on the main queue only',
          'sqs:ReceiveMessage' in st.get('actions', []) and
          'sqs:DeleteMessage' in st.get('actions', []) and
          st.get('resources') == ['${aws_sqs_queue.main[0].arn}'])
    check('IAM: no AWSLambdaSQSQueueExecutionRole',
          'AWSLambdaSQSQueueExecutionRole' not in json.dumps(tf))
    kms = data.get('aws_iam_policy_document.lambda_kms', {})
    check('IAM: kms:Decrypt only when kms_key_arn is set',
          kms.get('count') == '${var.kms_key_arn != "" ? 1 : 0}')
    vpc = res.get('aws_iam_role_policy_attachment.lambda_vpc_execution', {})
    check('IAM: VPC access only when subnets are given',
          vpc.get('count') ==
          '${length(var.lambda_vpc_subnets) > 0 ? 1 : 0}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
