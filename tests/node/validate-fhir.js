#!/usr/bin/env node
// Validates a FHIR R4 JSON document (a resource or a Bundle) with the
// independent `fhir` package (its R4 structure definitions), and every
// resource in a Bundle on its own as well.
// Usage: node validate-fhir.js FILE
// Prints {"valid": bool, "resources": n, "errors": [...]}; exit 0 valid, 1 not, 2 usage.
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');

if (process.argv.length !== 3) {
  process.stderr.write('usage: validate-fhir.js FILE\n');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const fhir = new Fhir();
const errors = [];
const check = (resource, where) => {
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  for (const m of result.messages || []) {
    if (m.severity === 'error') errors.push(`${where}: ${m.location || ''} ${m.message}`);
  }
};
check(doc, doc.resourceType || 'document');
let resources = 1;
if (doc.resourceType === 'Bundle') {
  resources = (doc.entry || []).length;
  (doc.entry || []).forEach((e, i) => check(e.resource, `entry[${i}]`));
}
process.stdout.write(JSON.stringify({ valid: errors.length === 0, resources, errors }) + '\n');
process.exit(errors.length === 0 ? 0 : 1);
