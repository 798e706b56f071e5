#!/usr/bin/python3
"""Checks of our own on the CloudFormation templates, from the JSON that
cfn2json.js prints (intrinsic functions in their long form).

  cfncheck.py CFN.json check
      prints "ok NAME" / "not ok NAME" lines for each template: every Ref,
      GetAtt, Sub variable, condition and DependsOn resolves; a resource
      that has a Condition is only referenced under that condition; every
      parameter is used; every setting parameter reaches the function's
      environment as its variable; secrets are NoEcho; the asynchronous
      invocation config retries twice and has an on-failure destination;
      no IAM wildcard actions or resources; the triggers invoke the
      function, may do so, and EventBridge targets keep what they cannot
      deliver.
  cfncheck.py CFN.json render FILE [Key=Value]...
      the function's environment (JSON) for those parameter values, the
      others at their defaults, with conditions and !If resolved
"""
import json
import re
import sys

PSEUDO = {'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue',
          'AWS::Partition', 'AWS::Region', 'AWS::StackId',
          'AWS::StackName', 'AWS::URLSuffix'}

# GetAtt attributes of the types the templates use (CloudFormation User
# Guide, "Return values" of each resource type).
ATTRS = {
    'AWS::Lambda::Function': {'Arn'},
    'AWS::Lambda::Version': {'Version'},
    'AWS::SQS::Queue': {'Arn', 'QueueName', 'QueueUrl'},
    'AWS::Events::Rule': {'Arn'},
    'AWS::IAM::Role': {'Arn', 'RoleId'},
}

# Parameter -> the environment variable it sets (names as lambda-promtail's
# templates and the stages use them).
PARAM_ENV = {
    'WriteAddress': 'WRITE_ADDRESS',
    'Username': 'USERNAME',
    'Password': 'PASSWORD',
    'BearerToken': 'BEARER_TOKEN',
    'TenantID': 'TENANT_ID',
    'SkipTlsVerify': 'SKIP_TLS_VERIFY',
    'KeepStream': 'KEEP_STREAM',
    'PrintLogLine': 'PRINT_LOG_LINE',
    'ExtraLabels': 'EXTRA_LABELS',
    'OmitExtraLabelsPrefix': 'OMIT_EXTRA_LABELS_PREFIX',
    'DropLabels': 'DROP_LABELS',
    'RelabelConfigs': 'RELABEL_CONFIGS',
    'LokiStageConfigs': 'LOKI_STAGE_CONFIGS',
    'PipelineTimeout': 'PIPELINE_TIMEOUT',
    'BatchSize': 'BATCH_SIZE',
    'LogLevel': 'LOG_LEVEL',
}
SECRET_PARAMS = {'Password', 'BearerToken'}
# Every template has these (issue 8), the S3 ones their bucket parameter.
COMMON_PARAMS = ['WriteAddress', 'Username', 'Password', 'BearerToken',
                 'LambdaPromtailImage', 'KeepStream', 'ExtraLabels',
                 'OmitExtraLabelsPrefix', 'TenantID', 'SkipTlsVerify',
                 'ReservedConcurrency']
FUNCTION = 'LambdaPromtailFunction'

SUB_VAR = re.compile(r'\$\{([^}!][^}]*)\}')


def walk(node, path, conds, visit):
    """Calls visit(node, path, conds) on every dict and list; conds is the
    list of (condition, branch) pairs of the Fn::If around node."""
    visit(node, path, conds)
    if isinstance(node, dict):
        if 'Fn::If' in node and isinstance(node['Fn::If'], list) \
                and len(node['Fn::If']) == 3:
            c, a, b = node['Fn::If']
            walk(a, path + ['Fn::If[true]'], conds + [(c, True)], visit)
            walk(b, path + ['Fn::If[false]'], conds + [(c, False)], visit)
            return
        for k, v in node.items():
            walk(v, path + [k], conds, visit)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, path + [str(i)], conds, visit)


def problems(t):
    """Unresolved references and unused parameters of template t."""
    params = t.get('Parameters', {})
    res = t.get('Resources', {})
    conditions = t.get('Conditions', {})
    errs = []
    used = set()

    def need_resource(name, where, conds):
        r = res.get(name)
        if r is None:
            errs.append('%s: no resource %s' % (where, name))
            return None
        rc = r.get('Condition')
        if rc and (rc, True) not in conds:
            errs.append('%s: %s exists only under condition %s'
                        % (where, name, rc))
        return r

    def ref(name, where, conds):
        if name in PSEUDO:
            return
        if name in params:
            used.add(name)
            return
        need_resource(name, where, conds)

    def getatt(name, attr, where, conds):
        r = need_resource(name, where, conds)
        if r is None:
            return
        ok = ATTRS.get(r['Type'])
        if ok is None:
            errs.append('%s: GetAtt of a %s: attribute unknown to this '
                        'check' % (where, r['Type']))
        elif attr not in ok:
            errs.append('%s: %s has no attribute %s'
                        % (where, r['Type'], attr))

    def visit(node, path, conds):
        where = '/'.join(path)
        if not isinstance(node, dict):
            return
        if 'Ref' in node:
            ref(node['Ref'], where, conds)
        if 'Fn::GetAtt' in node:
            v = node['Fn::GetAtt']
            if isinstance(v, str):
                v = v.split('.', 1)
            getatt(v[0], v[1], where, conds)
        if 'Fn::Sub' in node:
            v = node['Fn::Sub']
            local = {}
            if isinstance(v, list):
                v, local = v[0], v[1]
            for name in SUB_VAR.findall(v):
                if name in local:
                    continue
                if '.' in name and not name.startswith('AWS::'):
                    r, a = name.split('.', 1)
                    getatt(r, a, where, conds)
                else:
                    ref(name, where, conds)
        if 'Fn::If' in node:
            c = node['Fn::If'][0]
            if c not in conditions:
                errs.append('%s: no condition %s' % (where, c))
        if 'Condition' in node and isinstance(node['Condition'], str) \
                and path and path[0] == 'Conditions':
            if node['Condition'] not in conditions:
                errs.append('%s: no condition %s'
                            % (where, node['Condition']))

    walk(conditions, ['Conditions'], [], visit)
    # a resource or output under a condition may use what exists under it
    for section in ('Resources', 'Outputs'):
        for name, r in t.get(section, {}).items():
            c = r.get('Condition')
            walk(r, [section, name], [(c, True)] if c else [], visit)
    for name, r in res.items():
        c = r.get('Condition')
        if c and c not in conditions:
            errs.append('Resources/%s: no condition %s' % (name, c))
        deps = r.get('DependsOn', [])
        for d in [deps] if isinstance(deps, str) else deps:
            if d not in res:
                errs.append('Resources/%s: DependsOn %s: no such resource'
                            % (name, d))
    for p in params:
        if p not in used:
            errs.append('parameter %s is not used' % p)
    # the interface groups name only parameters that exist
    iface = t.get('Metadata', {}).get('AWS::CloudFormation::Interface', {})
    for g in iface.get('ParameterGroups', []):
        for p in g.get('Parameters', []):
            if p not in params:
                errs.append('Metadata: group names %s, not a parameter' % p)
    return errs


def function_env(t):
    return t['Resources'][FUNCTION]['Properties']['Environment']['Variables']


def env_problems(t):
    errs = []
    env = function_env(t)
    params = t.get('Parameters', {})
    for p, var in PARAM_ENV.items():
        if p not in params:
            errs.append('no parameter %s (for %s)' % (p, var))
        elif env.get(var) != {'Ref': p}:
            errs.append('%s is not !Ref %s' % (var, p))
    for p in COMMON_PARAMS:
        if p not in params:
            errs.append('no parameter %s' % p)
    return errs


def secret_problems(t):
    params = t.get('Parameters', {})
    return ['%s is not NoEcho' % p for p in SECRET_PARAMS
            if p in params and params[p].get('NoEcho') not in (True, 'true')]


def invoke_problems(t):
    errs = []
    cfgs = [r for r in t['Resources'].values()
            if r['Type'] == 'AWS::Lambda::EventInvokeConfig']
    if len(cfgs) != 1:
        return ['%d EventInvokeConfig resources, want 1' % len(cfgs)]
    p = cfgs[0]['Properties']
    if p.get('FunctionName') != {'Ref': FUNCTION}:
        errs.append('EventInvokeConfig is not for %s' % FUNCTION)
    if p.get('Qualifier') != '$LATEST':
        errs.append('EventInvokeConfig Qualifier is not $LATEST (the '
                    'triggers invoke the unqualified function)')
    if p.get('MaximumRetryAttempts') != 2:
        errs.append('MaximumRetryAttempts is not 2')
    dest = p.get('DestinationConfig', {}).get('OnFailure', {})
    if not dest.get('Destination'):
        errs.append('no on-failure destination')
    return errs


def iam_problems(t):
    """No wildcard action, no resource that is all or mostly wildcards."""
    errs = []

    def visit(node, path, conds):
        if not isinstance(node, dict) or 'Action' not in node:
            return
        acts = node['Action']
        acts = [acts] if isinstance(acts, str) else acts
        for a in acts:
            if isinstance(a, str) and '*' in a:
                errs.append('%s: action %s' % ('/'.join(path), a))
        r = node.get('Resource')
        for x in [r] if not isinstance(r, list) else r:
            if isinstance(x, str) and re.fullmatch(r'[*:a-z]*\*', x):
                errs.append('%s: resource %s' % ('/'.join(path), x))
    walk(t.get('Resources', {}), ['Resources'], [], visit)
    return errs


def trigger_problems(t):
    """Each trigger invokes the function; EventBridge targets retry and
    keep what they cannot deliver."""
    errs = []
    res = t['Resources']
    rules = [r for r in res.values() if r['Type'] == 'AWS::Events::Rule']
    subs = [r for r in res.values()
            if r['Type'] == 'AWS::Logs::SubscriptionFilter']
    if not rules and not subs:
        errs.append('no trigger')
    for r in rules:
        for tg in r['Properties'].get('Targets', []):
            if tg.get('Arn') != {'Fn::GetAtt': [FUNCTION, 'Arn']}:
                errs.append('a rule target is not the function')
            if 'RetryPolicy' not in tg or 'DeadLetterConfig' not in tg:
                errs.append('a rule target has no RetryPolicy or '
                            'DeadLetterConfig')
    for r in subs:
        if r['Properties'].get('DestinationArn') != \
                {'Fn::GetAtt': [FUNCTION, 'Arn']}:
            errs.append('a subscription filter is not for the function')
    perms = [r['Properties'] for r in res.values()
             if r['Type'] == 'AWS::Lambda::Permission']
    principals = [str(p.get('Principal')) for p in perms]
    if rules and not any('events.amazonaws.com' in p for p in principals):
        errs.append('EventBridge may not invoke the function')
    if subs and not any('logs.' in p for p in principals):
        errs.append('CloudWatch Logs may not invoke the function')
    return errs


# ------------------------------------------------------------- rendering

class Resolver:
    def __init__(self, t, values):
        self.t = t
        self.values = {}
        for name, p in t.get('Parameters', {}).items():
            v = values.get(name, p.get('Default'))
            if v is None:
                raise ValueError('parameter %s has no value' % name)
            allowed = p.get('AllowedValues')
            if allowed is not None and str(v) not in [str(a)
                                                      for a in allowed]:
                raise ValueError('parameter %s: %r not in %r'
                                 % (name, v, allowed))
            self.values[name] = str(v)
        for k in values:
            if k not in self.values:
                raise ValueError('no parameter %s' % k)
        self.conds = {}

    def cond(self, name):
        if name not in self.conds:
            self.conds[name] = self.value(self.t['Conditions'][name])
        return self.conds[name]

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            return {k: self.value(x) for k, x in v.items()}
        (k, a), = v.items()
        if k == 'Ref':
            if a in self.values:
                return self.values[a]
            raise ValueError('cannot render !Ref %s' % a)
        if k == 'Fn::If':
            return self.value(a[1] if self.cond(a[0]) else a[2])
        if k == 'Fn::Equals':
            x, y = self.value(a[0]), self.value(a[1])
            return str(x) == str(y)
        if k == 'Fn::Not':
            return not self.value(a[0])
        if k == 'Fn::And':
            return all(self.value(x) for x in a)
        if k == 'Fn::Or':
            return any(self.value(x) for x in a)
        if k == 'Condition':
            return self.cond(a)
        if k == 'Fn::Join':
            return a[0].join(self.value(a[1]))
        if k.startswith('Fn::'):
            raise ValueError('cannot render %s' % k)
        return {k: self.value(a)}


def render(t, values):
    env = Resolver(t, values).value(function_env(t))
    return {k: str(v) for k, v in env.items()}


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 100
    with open(argv[1]) as f:
        cfn = json.load(f)
    if argv[2] == 'check':
        bad = 0
        for f, t in sorted(cfn.items()):
            name = f.split('/')[-1]
            for what, fn in (('references resolve', problems),
                             ('parameters reach the environment',
                              env_problems),
                             ('secrets are NoEcho', secret_problems),
                             ('on-failure destination', invoke_problems),
                             ('least privilege', iam_problems),
                             ('triggers', trigger_problems)):
                errs = fn(t)
                if errs:
                    print('not ok cfn %s: %s' % (name, what))
                    for e in errs:
                        sys.stderr.write('  %s: %s\n' % (name, e))
                    bad += 1
                else:
                    print('ok cfn %s: %s' % (name, what))
        return 1 if bad else 0
    if argv[2] == 'render':
        key = [k for k in cfn if k.endswith('/' + argv[3]) or k == argv[3]]
        if len(key) != 1:
            sys.stderr.write('cfncheck: no template %s\n' % argv[3])
            return 100
        values = dict(a.split('=', 1) for a in argv[4:])
        try:
            print(json.dumps(render(cfn[key[0]], values), sort_keys=True))
        except ValueError as x:
            sys.stderr.write('error: %s\n' % x)
            return 1
        return 0
    sys.stderr.write(__doc__)
    return 100


if __name__ == '__main__':
    sys.exit(main(sys.argv))
