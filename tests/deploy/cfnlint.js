// Lints CloudFormation templates offline with npm cfn-lint 1.9.7, after
// merging cfn-spec-extra.json (what AWS added to the resource specification
// since the linter's copy; see the file) into its specification.
// Prints one line per finding and exits 1 if any template has a critical
// finding or a warning.
'use strict';
const path = require('path');
const nm = path.join(__dirname, 'node_modules', 'cfn-lint', 'lib');
const spec = require(path.join(nm, 'resourcesSpec'));
const api = require(path.join(nm, 'api'));
const extra = require(path.join(__dirname, 'cfn-spec-extra.json'));
delete extra._comment;
spec.extendSpecification(extra);

let bad = 0;
for (const f of process.argv.slice(2)) {
	let r;
	try {
		r = api.validateFile(f);
	} catch (e) {
		console.log(`${f}: crit: cannot read: ${e.message}`);
		bad++;
		continue;
	}
	for (const level of ['crit', 'warn', 'info']) {
		for (const e of r.errors[level]) {
			console.log(`${f}: ${level}: ${e.resource}: ${e.message}`);
		}
	}
	if (!r.templateValid || r.errors.crit.length || r.errors.warn.length)
		bad++;
	else
		console.log(`${f}: valid`);
}
process.exit(bad ? 1 : 0);
