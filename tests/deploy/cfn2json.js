// Reads CloudFormation YAML templates with yaml-cfn (which knows the short
// intrinsic tags: !Ref, !GetAtt, !Sub, !If ...) and prints
// {"file": <template as JSON>, ...}. Exits 1 when one cannot be read.
'use strict';
const fs = require('fs');
const path = require('path');
const yc = require(path.join(__dirname, 'node_modules', 'yaml-cfn'));

const out = {};
let bad = 0;
for (const f of process.argv.slice(2)) {
	try {
		out[f] = yc.yamlParse(fs.readFileSync(f, 'utf8'));
	} catch (e) {
		process.stderr.write(`${f}: ${e.message}\n`);
		bad++;
	}
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(bad ? 1 : 0);
