#!/usr/bin/python3
"""Evaluates the part of deploy/terraform a test needs, without Terraform.

Input: the JSON that hcl2json.js prints for the module's .tf files (and a
.tfvars). Terraform itself is not packaged for Debian and the registry that
has it is not reachable, so this evaluates the small expression language the
module uses for its variables' validations, its locals and the function's
preconditions: literals, templates, var./local./path. references, indexing,
unary and binary operators, the conditional, and the functions listed in
FUNCS. Anything else raises Unsupported, so a check can never pass by
skipping an expression it does not understand.

  tfeval.py TF.json names
      the variables, one per line
  tfeval.py TF.json refs
      every var., local., data. and resource reference (in expressions
      and depends_on) names something the module declares; prints the
      ones that do not, exit 1
  tfeval.py TF.json render [--tfvars KEY] [--local NAME] [-var NAME=VALUE]...
      checks every validation and the function's preconditions as
      `terraform plan` would, and prints the function's environment (or
      the local NAME) as JSON; exit 1 with the error messages when one fails
"""
import json
import os
import re
import sys


class Unsupported(Exception):
    pass


class EvalError(Exception):
    pass


# ---------------------------------------------------------------- lexer

TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<num>\d+(\.\d+)?)
  | (?P<str>")
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:()\[\],.{}=])
  | (?P<id>[A-Za-z_][A-Za-z0-9_-]*)
''', re.X)

ESC = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\'}


def lex(src):
    toks = []
    i = 0
    while i < len(src):
        m = TOKEN.match(src, i)
        if not m:
            raise Unsupported('cannot read %r' % src[i:i + 20])
        kind = m.lastgroup
        if kind == 'ws':
            i = m.end()
        elif kind == 'str':
            parts, i = lex_template(src, m.end(), '"')
            toks.append(('tmpl', parts))
        else:
            toks.append((kind, m.group(kind)))
            i = m.end()
    toks.append(('end', None))
    return toks


def lex_template(src, i, close):
    """A quoted template from src[i:] up to `close`: returns a list of
    literal strings and expression sources, and the index after close."""
    parts = []
    buf = []
    while True:
        if i >= len(src):
            if close is None:
                break
            raise Unsupported('unterminated string')
        c = src[i]
        if close is not None and c == close:
            i += 1
            break
        if c == '\\' and close is not None:
            n = src[i + 1]
            if n in ESC:
                buf.append(ESC[n])
                i += 2
                continue
            raise Unsupported('escape \\%s' % n)
        if src.startswith('$${', i):
            buf.append('${')
            i += 3
            continue
        if src.startswith('%{', i):
            raise Unsupported('template directive')
        if src.startswith('${', i):
            j, depth = i + 2, 1
            while depth:
                if j >= len(src):
                    raise Unsupported('unterminated ${')
                if src[j] == '"':
                    _, j = lex_template(src, j + 1, '"')
                    continue
                if src[j] == '{':
                    depth += 1
                elif src[j] == '}':
                    depth -= 1
                j += 1
            parts.append(''.join(buf))
            buf = []
            parts.append(('expr', src[i + 2:j - 1]))
            i = j
            continue
        buf.append(c)
        i += 1
    parts.append(''.join(buf))
    return parts, i


# --------------------------------------------------------------- parser

class Parser:
    def __init__(self, src):
        self.t = lex(src)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, val=None):
        tok = self.t[self.i]
        if val is not None and tok[1] != val:
            raise Unsupported('expected %r, found %r' % (val, tok[1]))
        self.i += 1
        return tok

    def parse(self):
        e = self.expr()
        if self.peek()[0] != 'end':
            raise Unsupported('trailing %r' % (self.peek(),))
        return e

    def expr(self):
        c = self.binary(0)
        if self.peek()[1] == '?':
            self.take('?')
            a = self.expr()
            self.take(':')
            b = self.expr()
            return ('cond', c, a, b)
        return c

    LEVELS = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='],
              ['+', '-'], ['*', '/', '%']]

    def binary(self, lv):
        if lv == len(self.LEVELS):
            return self.unary()
        left = self.binary(lv + 1)
        while self.peek()[0] == 'op' and self.peek()[1] in self.LEVELS[lv]:
            op = self.take()[1]
            right = self.binary(lv + 1)
            left = ('bin', op, left, right)
        return left

    def unary(self):
        if self.peek()[1] in ('!', '-'):
            op = self.take()[1]
            return ('un', op, self.unary())
        return self.postfix(self.primary())

    def postfix(self, e):
        while True:
            v = self.peek()[1]
            if v == '[':
                self.take('[')
                if self.peek()[1] == '*':
                    raise Unsupported('splat')
                idx = self.expr()
                self.take(']')
                e = ('index', e, idx)
            elif v == '.':
                self.take('.')
                kind, name = self.take()
                if kind not in ('id', 'num'):
                    raise Unsupported('attribute %r' % name)
                e = ('attr', e, name)
            else:
                return e

    def primary(self):
        kind, v = self.take()
        if kind == 'num':
            return ('lit', float(v) if '.' in v else int(v))
        if kind == 'tmpl':
            return ('tmpl', [p if isinstance(p, str)
                             else Parser(p[1]).parse() for p in v])
        if v == '(':
            e = self.expr()
            self.take(')')
            return e
        if v == '[':
            items = []
            while self.peek()[1] != ']':
                if self.peek()[1] == 'for':
                    raise Unsupported('for expression')
                items.append(self.expr())
                if self.peek()[1] == ',':
                    self.take(',')
            self.take(']')
            return ('list', items)
        if v == '{':
            raise Unsupported('object literal')
        if kind == 'id':
            if v in ('true', 'false'):
                return ('lit', v == 'true')
            if v == 'null':
                return ('lit', None)
            if self.peek()[1] == '(':
                self.take('(')
                args = []
                while self.peek()[1] != ')':
                    args.append(self.expr())
                    if self.peek()[1] == ',':
                        self.take(',')
                self.take(')')
                return ('call', v, args)
            return ('ref', v)
        raise Unsupported('token %r' % v)


# ------------------------------------------------------------ evaluator

def tf_str(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    raise EvalError('not a string: %r' % (v,))


def tf_regex(pat, s):
    # RE2 and Python agree on what the module uses; (?i) must lead.
    m = re.search(pat, s)
    if not m:
        raise EvalError('regex %r does not match %r' % (pat, s))
    return m.group(0) if not m.groups() else list(m.groups())


def tf_coalesce(*a):
    for v in a:
        if v is not None and v != '':
            return v
    raise EvalError('coalesce: no non-empty argument')


FUNCS = {
    'coalesce': tf_coalesce,
    'compact': lambda lst: [x for x in lst if x not in ('', None)],
    'contains': lambda lst, v: v in lst,
    'fileexists': lambda p: os.path.isfile(p),
    'format': lambda f, *a: f.replace('%s', '{}').format(*a),
    'jsondecode': lambda s: json.loads(s),
    'jsonencode': lambda v: json.dumps(v, separators=(',', ':')),
    'length': lambda v: len(v),
    'lower': lambda s: s.lower(),
    'max': lambda *a: max(a),
    'regex': tf_regex,
    'split': lambda sep, s: s.split(sep),
    'tostring': tf_str,
    'toset': lambda lst: sorted(set(lst)),
}


class Env:
    def __init__(self, variables, locals_src, path_module):
        self.vars = variables
        self.locals_src = locals_src
        self.locals = {}
        self.path_module = path_module

    def local(self, name):
        if name not in self.locals:
            if name not in self.locals_src:
                raise Unsupported('no local.%s' % name)
            self.locals[name] = self.value(self.locals_src[name])
        return self.locals[name]

    def value(self, v):
        """A value of hcl2json's output: strings are templates."""
        if isinstance(v, str):
            return self.template(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        return v

    def template(self, s):
        parts, _ = lex_template(s, 0, None)
        tree = ('tmpl', [p if isinstance(p, str) else Parser(p[1]).parse()
                         for p in parts])
        return self.ev(tree)

    def ev(self, e):
        k = e[0]
        if k == 'lit':
            return e[1]
        if k == 'tmpl':
            parts = e[1]
            # "${expr}" alone keeps the expression's type
            if len(parts) == 3 and parts[0] == '' and parts[2] == '':
                return self.ev(parts[1])
            return ''.join(p if isinstance(p, str) else tf_str(self.ev(p))
                           for p in parts)
        if k == 'list':
            return [self.ev(x) for x in e[1]]
        if k == 'ref':
            raise Unsupported('bare reference %s' % e[1])
        if k == 'attr':
            base = e[1]
            if base[0] == 'ref':
                if base[1] == 'var':
                    if e[2] not in self.vars:
                        raise Unsupported('no var.%s' % e[2])
                    return self.vars[e[2]]
                if base[1] == 'local':
                    return self.local(e[2])
                if base[1] == 'path' and e[2] == 'module':
                    return self.path_module
                raise Unsupported('reference %s.%s' % (base[1], e[2]))
            raise Unsupported('attribute of an expression')
        if k == 'index':
            b = self.ev(e[1])
            i = self.ev(e[2])
            try:
                return b[i]
            except (IndexError, KeyError, TypeError):
                raise EvalError('no index %r' % (i,))
        if k == 'un':
            v = self.ev(e[2])
            if e[1] == '!':
                if not isinstance(v, bool):
                    raise EvalError('! of a non-bool')
                return not v
            return -v
        if k == 'bin':
            op = e[1]
            if op in ('&&', '||'):
                a = self.ev(e[2])
                if not isinstance(a, bool):
                    raise EvalError('%s of a non-bool' % op)
                if op == '&&' and not a:
                    return False
                if op == '||' and a:
                    return True
                b = self.ev(e[3])
                if not isinstance(b, bool):
                    raise EvalError('%s of a non-bool' % op)
                return b
            a, b = self.ev(e[2]), self.ev(e[3])
            if op == '==':
                return a == b and type(a) is type(b)
            if op == '!=':
                return not (a == b and type(a) is type(b))
            ops = {'<': lambda: a < b, '>': lambda: a > b,
                   '<=': lambda: a <= b, '>=': lambda: a >= b,
                   '+': lambda: a + b, '-': lambda: a - b,
                   '*': lambda: a * b, '/': lambda: a / b,
                   '%': lambda: a % b}
            for x in (a, b):
                if isinstance(x, bool) or not isinstance(x, (int, float)):
                    raise EvalError('%s of a non-number' % op)
            return ops[op]()
        if k == 'cond':
            c = self.ev(e[1])
            if not isinstance(c, bool):
                raise EvalError('condition is not a bool')
            return self.ev(e[2] if c else e[3])
        if k == 'call':
            name, args = e[1], e[2]
            if name == 'try':
                for a in args:
                    try:
                        return self.ev(a)
                    except EvalError:
                        continue
                raise EvalError('try: every argument failed')
            if name == 'can':
                try:
                    self.ev(args[0])
                    return True
                except EvalError:
                    return False
            if name not in FUNCS:
                raise Unsupported('function %s()' % name)
            vals = [self.ev(a) for a in args]
            try:
                return FUNCS[name](*vals)
            except EvalError:
                raise
            except (ValueError, TypeError, AttributeError, re.error) as x:
                raise EvalError('%s(): %s' % (name, x))
        raise Unsupported(k)


# --------------------------------------------------- module and variables

def merged(tfjson, suffix='.tf'):
    """The blocks of every .tf file: variables, locals, resources."""
    mod = {'variable': {}, 'locals': {}, 'resource': {}}
    for f, d in tfjson.items():
        if not f.endswith(suffix):
            continue
        for name, blocks in d.get('variable', {}).items():
            mod['variable'][name] = blocks[0]
        for blk in d.get('locals', []):
            mod['locals'].update(blk)
        for rtype, byname in d.get('resource', {}).items():
            for rname, blocks in byname.items():
                mod['resource']['%s.%s' % (rtype, rname)] = blocks[0]
    return mod


def vtype(decl):
    t = decl.get('type', '${any}')
    return t[2:-1] if t.startswith('${') else t


def convert(name, t, v):
    """What Terraform's type conversion does to a value for type t."""
    if t == 'string':
        if isinstance(v, (list, dict)) or v is None:
            raise EvalError('var.%s: a string is required' % name)
        return tf_str(v)
    if t == 'bool':
        if isinstance(v, bool):
            return v
        if v in ('true', 'false'):
            return v == 'true'
        raise EvalError('var.%s: a bool is required' % name)
    if t == 'number':
        if isinstance(v, bool):
            raise EvalError('var.%s: a number is required' % name)
        if isinstance(v, (int, float)):
            return v
        try:
            return int(v)
        except (TypeError, ValueError):
            raise EvalError('var.%s: a number is required' % name)
    m = re.match(r'^(list|set)\((\w+)\)$', t)
    if m:
        if not isinstance(v, list):
            raise EvalError('var.%s: a %s is required' % (name, t))
        items = [convert(name, m.group(2), x) for x in v]
        return sorted(set(items)) if m.group(1) == 'set' else items
    raise Unsupported('type %s of var.%s' % (t, name))


def parse_cli_var(decl, raw):
    """-var NAME=VALUE: a string variable takes VALUE as it is; any other
    type reads it as an HCL expression (as terraform does)."""
    if vtype(decl) == 'string':
        return raw
    return Env({}, {}, '.').ev(Parser(raw).parse())


def render(tfjson, tfvars_key=None, cli=(), path_module=None, local=None):
    """Returns (environment, errors); with local, (that local, errors)."""
    mod = merged(tfjson)
    given = {}
    errors = []
    if tfvars_key:
        for k, v in tfjson[tfvars_key].items():
            given[k] = v
    for item in cli:
        name, _, raw = item.partition('=')
        if name not in mod['variable']:
            errors.append('-var %s: no such variable' % name)
            continue
        try:
            given[name] = parse_cli_var(mod['variable'][name], raw)
        except EvalError as x:
            errors.append('-var %s: %s' % (name, x))
    for k in given:
        if k not in mod['variable']:
            errors.append('%s: no such variable' % k)
    variables = {}
    for name, decl in mod['variable'].items():
        v = given.get(name, decl.get('default'))
        if 'default' not in decl and name not in given:
            errors.append('var.%s: no value' % name)
            continue
        try:
            variables[name] = convert(name, vtype(decl), v)
        except EvalError as x:
            errors.append(str(x))
    if errors:
        return None, errors
    if path_module is None:
        path_module = '.'
    env = Env(variables, mod['locals'], path_module)
    for name, decl in mod['variable'].items():
        for val in decl.get('validation', []):
            try:
                ok = env.value(val['condition'])
            except EvalError as x:
                ok = x
            if ok is not True:
                errors.append('var.%s: %s' % (name, val['error_message']))
    if errors:
        return None, errors
    fn = mod['resource']['aws_lambda_function.this']
    for lc in fn.get('lifecycle', []):
        for pre in lc.get('precondition', []):
            if env.value(pre['condition']) is not True:
                errors.append('aws_lambda_function.this: %s'
                              % pre['error_message'])
    if local is not None:
        return env.local(local), errors
    envblock = fn['environment'][0]['variables']
    out = env.value(envblock)
    if not isinstance(out, dict):
        raise Unsupported('environment is not a map')
    out = {k: tf_str(v) for k, v in out.items()}
    return (None if errors else out), errors


REF = re.compile(r'(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+|var|local)'
                 r'\.([A-Za-z_][A-Za-z0-9_]*)')
KEYWORDS = {'each', 'count', 'path', 'self', 'terraform', 'module'}


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for x in node:
            yield from strings(x)
    elif isinstance(node, dict):
        for x in node.values():
            yield from strings(x)


def refs(tfjson):
    """References to undeclared things, as 'file: reference' strings."""
    declared = set()
    for f, d in tfjson.items():
        if not f.endswith('.tf'):
            continue
        for name in d.get('variable', {}):
            declared.add('var.' + name)
        for blk in d.get('locals', []):
            for name in blk:
                declared.add('local.' + name)
        for kind, prefix in (('resource', ''), ('data', 'data.')):
            for rtype, byname in d.get(kind, {}).items():
                for rname in byname:
                    declared.add('%s%s.%s' % (prefix, rtype, rname))
    bad = []
    for f, d in tfjson.items():
        if not f.endswith('.tf'):
            continue
        body = {k: v for k, v in d.items() if k not in ('moved',)}
        for s in strings(body):
            if '${' not in s and not REF.fullmatch(s):
                continue
            for m in REF.finditer(s):
                data, typ, name = m.groups()
                if typ in KEYWORDS:
                    continue
                r = '%s%s.%s' % (data or '', typ, name)
                if r not in declared:
                    bad.append('%s: %s' % (f, r))
    return sorted(set(bad))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 100
    with open(argv[1]) as f:
        tfjson = json.load(f)
    if argv[2] == 'names':
        for n in sorted(merged(tfjson)['variable']):
            print(n)
        return 0
    if argv[2] == 'refs':
        bad = refs(tfjson)
        for b in bad:
            print(b)
        return 1 if bad else 0
    if argv[2] == 'render':
        key, cli, pm, loc = None, [], None, None
        args = argv[3:]
        while args:
            a = args.pop(0)
            if a == '--tfvars':
                key = args.pop(0)
            elif a == '--path-module':
                pm = args.pop(0)
            elif a == '--local':
                loc = args.pop(0)
            elif a == '-var':
                cli.append(args.pop(0))
            elif a.startswith('-var='):
                cli.append(a[5:])
            else:
                sys.stderr.write('tfeval: unknown argument %s\n' % a)
                return 100
        try:
            out, errors = render(tfjson, key, cli, pm, loc)
        except Unsupported as x:
            sys.stderr.write('tfeval: unsupported: %s\n' % x)
            return 2
        if errors:
            for e in errors:
                sys.stderr.write('error: %s\n' % e)
            return 1
        print(json.dumps(out, sort_keys=True))
        return 0
    sys.stderr.write(__doc__)
    return 100


if __name__ == '__main__':
    sys.exit(main(sys.argv))
