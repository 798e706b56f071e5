// Parses HCL files (Terraform .tf and .tfvars) offline with @cdktf/hcl2json
// and prints {"file": <its JSON>, ...}. Exits 1 with the file and the
// parser's message when one does not parse.
'use strict';
const fs = require('fs');
const path = require('path');
const hcl = require(path.join(__dirname, 'node_modules', '@cdktf', 'hcl2json'));

(async () => {
	const out = {};
	let bad = 0;
	for (const f of process.argv.slice(2).filter((a) => a !== '--')) {
		try {
			out[f] = await hcl.parse(f, fs.readFileSync(f, 'utf8'));
		} catch (e) {
			process.stderr.write(f + ': ' + String(e.message || e) + '\n');
			bad++;
		}
	}
	process.stdout.write(JSON.stringify(out) + '\n');
	process.exit(bad ? 1 : 0);
})();
