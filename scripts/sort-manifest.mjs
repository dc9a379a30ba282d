#!/usr/bin/env node
// `oclif manifest` lists commands in directory-read order, which differs between checkouts; sort
// them by id so the committed oclif.manifest.json is deterministic and CI's staleness check is exact.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../oclif.manifest.json', import.meta.url);
const manifest = JSON.parse(readFileSync(file, 'utf8'));
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, JSON.stringify(manifest, null, 2));
